import { Hono } from "hono";
import { z } from "zod";
import { requireAccount } from "../../web/guards.ts";
import { type AppEnv, type Ctx, isHtmx, render, safeNext } from "../../web/http.ts";
import { enumOf, form, query } from "../../web/validate.ts";
import { SEAL_STATUS_TEXT } from "./service.ts";

/**
 * 我的签章 (制作签章): one seal per enterprise, the same page in 个人中心 (/me/seal) and in
 * 服务机构中心 (/provider/seal, for approved providers only). 制作签章 sends the person to the
 * provider's 实名认证 / 人脸认证 page, which comes back here; the seal becomes active when the
 * provider's callback arrives (or when 刷新状态 asks the provider). `next` (the signing page that
 * sent the person here) is carried through and offered back as 返回签署合同 once the seal is active.
 */

type Center = "me" | "provider";
const PAGE: Record<Center, string> = { me: "/me/seal", provider: "/provider/seal" };
const WHO_TEXT = { legal: "法定代表人", agent: "经办人" } as const;

const pageQuery = z.object({
  refresh: z.string().optional().catch(undefined),
  next: z.string().optional().catch(undefined),
});
const sealForm = z.object({
  who: enumOf(WHO_TEXT, "请选择认证人"),
  next: z.string().optional().catch(undefined),
});

type Status = 200 | 403 | 409 | 422;

/** A `next` that stays on this site, or "" (never the seal page itself, which would go round in circles). */
const nextOf = (raw: string | undefined) => {
  const next = safeNext(raw, "");
  return next.startsWith(PAGE.me) || next.startsWith(PAGE.provider) ? "" : next;
};
/** The page's own address with the `next` kept (where the provider sends the person back, where 刷新状态 lands). */
const selfUrl = (center: Center, next: string) => (next ? `${PAGE[center]}?next=${encodeURIComponent(next)}` : PAGE[center]);

export function sealRoutes() {
  const r = new Hono<AppEnv>();

  /** 服务机构中心 is for approved providers (as /provider); 个人中心 for every signed-in enterprise. */
  const notProvider = (c: Ctx) =>
    render(
      c,
      "errors/403",
      {
        title: "我的签章",
        message: "服务机构中心仅对审核通过的服务商开放。请先在个人中心申请成为服务商。",
        link: { href: "/me/provider-application", text: "申请成为服务商" },
      },
      403,
    );

  const page = async (c: Ctx, center: Center, opts: { next: string; errors?: Record<string, string>; who?: string; status?: Status }) => {
    const res = await c.var.deps.signing.mySeals(c.var.viewer.account!.id);
    if (!res.ok) return render(c, "errors/403", { title: "我的签章", message: res.errors._form }, 403);
    const d = res.value;
    const errors = opts.errors ?? {};
    const status = opts.status ?? 200;
    const view = center === "me" ? "me/seal" : "provider/seal";
    return render(
      c,
      view,
      {
        title: "我的签章",
        menu: "seal",
        ...d,
        latestFailed: !d.active && !d.making && d.history[0]?.status === "failed" ? d.history[0] : null,
        who: opts.who === "agent" && d.signers?.agent ? "agent" : "legal",
        action: PAGE[center],
        statusUrl: `${PAGE[center]}/status${opts.next ? `?next=${encodeURIComponent(opts.next)}` : ""}`,
        next: opts.next,
        errors,
        labels: { status: SEAL_STATUS_TEXT },
      },
      // A gate on GET is a page like any other; a refused POST keeps its status.
      status,
    );
  };

  for (const center of ["me", "provider"] as const) {
    const base = PAGE[center];
    const guard = async (c: Ctx, next: () => Promise<void>) => {
      if (center === "provider" && !c.var.viewer.account!.isProvider) return notProvider(c);
      await next();
    };

    r.get(base, requireAccount, guard, query(pageQuery), async (c) => {
      const q = c.req.valid("query");
      const next = nextOf(q.next);
      if (q.refresh !== undefined) {
        await c.var.deps.signing.refreshSeal(c.var.viewer.account!.id);
        return c.redirect(selfUrl(center, next), 303);
      }
      c.header("Cache-Control", "no-store");
      return page(c, center, { next });
    });

    /** htmx polling while 制作中: the status line again, or a full reload once it changed. */
    r.get(`${base}/status`, requireAccount, guard, query(pageQuery), async (c) => {
      const q = c.req.valid("query");
      c.header("Cache-Control", "no-store");
      if (!isHtmx(c)) return c.redirect(selfUrl(center, nextOf(q.next)), 303);
      const res = await c.var.deps.signing.mySeals(c.var.viewer.account!.id);
      if (!res.ok || !res.value.making) {
        c.header("HX-Refresh", "true");
        return c.body(null, 204);
      }
      return render(c, "partials/seal-making", {
        making: res.value.making,
        statusUrl: `${base}/status${q.next ? `?next=${encodeURIComponent(nextOf(q.next))}` : ""}`,
      });
    });

    /** 制作签章 / 重新发起认证 / 重新制作签章: the face check started, then to the provider's page. */
    r.post(
      base,
      requireAccount,
      guard,
      form(sealForm, (c: Ctx, errors, values) => page(c, center, { next: nextOf(values.next), errors, who: values.who, status: 422 })),
      async (c) => {
        const f = c.req.valid("form");
        const next = nextOf(f.next);
        const res = await c.var.deps.signing.startSeal(c.var.viewer.account!.id, { who: f.who, returnUrl: selfUrl(center, next) });
        if (!res.ok) return page(c, center, { next, errors: res.errors, who: f.who, status: res.status === 403 ? 403 : res.status === 409 ? 409 : 422 });
        return c.redirect(res.value.url, 303);
      },
    );
  }
  return r;
}
