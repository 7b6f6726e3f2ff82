import { Hono } from "hono";
import { renderSVG } from "uqr";
import { z } from "zod";
import { requireAccount, requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, isHtmx, render } from "../../web/http.ts";
import { params, uuid } from "../../web/validate.ts";
import { fmt } from "../../web/views.ts";
import { ORDER_READERS } from "../orders/service.ts";
import { FLOW_STATUS_TEXT, LINK_MINUTES, PARTY_TEXT, SIGNER_STATUS_TEXT, type Side } from "./service.ts";

/**
 * 签署合同 (manual 8.2, 8.3): each party's signing page of an order in 待签合同, with the QR code of
 * its phone link; the phone link itself (/s/<token>), the status the desktop follows, 发起签署 /
 * 重新发起签署, and the contract's documents for the parties and staff.
 */
const idParam = z.object({ id: uuid("订单不存在") });
const tokenParam = z.object({
  token: z
    .string()
    .min(20)
    .max(2000)
    .regex(/^[A-Za-z0-9_.-]+$/),
});
const fileKind = z.object({ kind: z.enum(["signed", "original", "vendor"]).catch("signed") });

const BASE: Record<Side, string> = { enterprise: "/me/orders", provider: "/provider/orders" };
const SEAL_PAGE: Record<Side, string> = { enterprise: "/me/seal", provider: "/provider/seal" };
const labels = { party: PARTY_TEXT, flow: FLOW_STATUS_TEXT, signer: SIGNER_STATUS_TEXT };
type Status = 200 | 403 | 404 | 409 | 410 | 422;

/** What the desktop page compares to know the signing moved on (the poll answers HX-Refresh then). */
const stateKey = (s: {
  flow: { id: string; status: string; externalFlowId: string | null } | null;
  signers: { status: string }[];
  order: { status: string };
}) => [s.order.status, s.flow?.id ?? "-", s.flow?.status ?? "-", s.flow?.externalFlowId ? "x" : "-", ...s.signers.map((x) => x.status)].join(".");

export function signingRoutes() {
  const r = new Hono<AppEnv>();
  const noOrder = (c: Ctx) => render(c, "errors/404", { title: "订单不存在" }, 404);

  async function signPage(c: Ctx, side: Side, errors: Record<string, string> = {}, status: Status = 200) {
    const account = c.var.viewer.account!;
    const id = c.req.param("id") ?? "";
    const res = await c.var.deps.signing.orderSigning(account.id, id, side);
    if (!res.ok) return res.status === 404 ? noOrder(c) : render(c, "errors/403", { title: "无权访问", message: res.errors._form }, 403);
    const s = res.value;
    let qr: { url: string; svg: string; expiresAt: Date } | null = null;
    if (s.myTurn && !s.needsSeal) {
      const link = await c.var.deps.signing.phoneLink(account.id, id, side);
      if (link.ok) {
        const origin = c.var.deps.config.publicOrigin ?? new URL(c.req.url).origin;
        const url = `${origin}/s/${link.value.token}`;
        qr = { url, svg: renderSVG(url, { ecc: "M", border: 2 }), expiresAt: link.value.expiresAt };
      }
    }
    const base = `${BASE[side]}/${s.order.id}`;
    return render(
      c,
      "signing/sign",
      {
        title: `签署合同 ${s.order.number}`,
        menu: side === "enterprise" ? "orders" : undefined,
        ...s,
        qr,
        base,
        sealPage: `${SEAL_PAGE[side]}?next=${encodeURIComponent(`${base}/sign`)}`,
        key: stateKey(s),
        linkMinutes: LINK_MINUTES,
        errors,
        labels,
      },
      status,
    );
  }

  for (const side of ["enterprise", "provider"] as const) {
    const base = BASE[side];
    r.get(`${base}/:id/sign`, requireAccount, params(idParam, noOrder), (c) => signPage(c, side));

    // The desktop page follows the status: the fragment, or HX-Refresh once it moved on (htmx polls every 3 s).
    r.get(`${base}/:id/sign/status`, requireAccount, params(idParam, noOrder), async (c) => {
      const res = await c.var.deps.signing.orderSigning(c.var.viewer.account!.id, c.req.valid("param").id, side);
      if (!res.ok && res.status === 403) {
        // Refused meanwhile (暂停签订电子合同): the full page says why.
        c.header("Cache-Control", "no-store");
        if (!isHtmx(c)) return c.redirect(`${base}/${c.req.valid("param").id}/sign`, 303);
        c.header("HX-Refresh", "true");
        return c.body(null, 204);
      }
      if (!res.ok) return noOrder(c);
      const key = stateKey(res.value);
      c.header("Cache-Control", "no-store");
      if (c.req.query("k") !== key) {
        if (isHtmx(c)) c.header("HX-Refresh", "true");
        else return c.redirect(`${base}/${res.value.order.id}/sign`, 303);
      }
      return c.html(c.var.deps.views.render("signing/status", { ...res.value, key, base: `${base}/${res.value.order.id}`, labels, fmt }));
    });

    // 发起签署 / 重新发起签署.
    r.post(`${base}/:id/sign/start`, requireAccount, params(idParam, noOrder), async (c) => {
      const { id } = c.req.valid("param");
      const res = await c.var.deps.signing.restartSigning(c.var.viewer.account!.id, id, side);
      if (!res.ok) {
        if (res.status === 404) return noOrder(c);
        return signPage(c, side, res.errors, 409);
      }
      flash(c, "已发起签署，请扫码签署");
      return c.redirect(`${base}/${id}/sign`, 303);
    });

    // The contract's documents: 已签署 (stamped), 原件 (the unsigned original), 签署服务商原件.
    r.get(`${base}/:id/contract.pdf`, requireAccount, params(idParam, noOrder), async (c) => {
      const kind = fileKind.parse({ kind: c.req.query("kind") }).kind;
      const res = await c.var.deps.signing.contractFile({ accountId: c.var.viewer.account!.id, side }, c.req.valid("param").id, kind);
      if (!res.ok) return res.status === 404 ? render(c, "errors/404", { title: "文件不存在", message: res.errors._form }, 404) : noOrder(c);
      return pdf(c, res.value);
    });
  }

  r.get("/admin/orders/:id/contract.pdf", requireAdmin(...ORDER_READERS), params(idParam, noOrder), async (c) => {
    const kind = fileKind.parse({ kind: c.req.query("kind") }).kind;
    const res = await c.var.deps.signing.contractFile({ adminRole: c.var.viewer.admin!.role }, c.req.valid("param").id, kind);
    if (!res.ok) return render(c, "errors/404", { title: "文件不存在", message: res.errors._form }, 404);
    return pdf(c, res.value);
  });

  // ---- the phone ----
  const phoneMessage = (c: Ctx, title: string, message: string, status: Status) => {
    c.header("Cache-Control", "no-store");
    c.header("Referrer-Policy", "no-referrer");
    return render(c, "signing/phone-message", { title, message }, status);
  };
  r.get("/s/done", (c) => phoneMessage(c, "签署操作已提交", "签署操作已提交。请回到电脑上的“签署合同”页面查看签署状态。", 200));
  r.get(
    "/s/:token",
    params(tokenParam, (c: Ctx) => phoneMessage(c, "签署链接无效", "签署链接无效，请在电脑上打开订单的“签署合同”页面重新扫码。", 404)),
    async (c) => {
      const res = await c.var.deps.signing.openPhoneLink(c.req.valid("param").token, "/s/done");
      if (!res.ok) {
        const status = res.status === 410 || res.status === 409 || res.status === 403 ? res.status : 404;
        return phoneMessage(c, "无法签署", res.errors._form ?? "签署链接无效", status);
      }
      c.header("Referrer-Policy", "no-referrer");
      c.header("Cache-Control", "no-store");
      return c.redirect(res.value.url, 303);
    },
  );
  return r;
}

function pdf(c: Ctx, f: { name: string; bytes: Uint8Array }) {
  return c.body(f.bytes as Uint8Array<ArrayBuffer>, 200, {
    "Content-Type": "application/pdf",
    "Content-Disposition": `attachment; filename="contract.pdf"; filename*=UTF-8''${encodeURIComponent(f.name)}`,
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
  });
}
