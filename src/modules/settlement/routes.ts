/**
 * 兑付 pages: the provider's 兑付管理 (list, 申请兑付, one application with 补充材料 / 重新提交 /
 * 撤回申请), finance's review queue and payout page, and the public 兑付公示. Forms post and
 * redirect (303); a refusal shows the page again with its message (4xx).
 */
import { Hono } from "hono";
import { z } from "zod";
import { requireAccount, requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, formUploads, render, sendFile } from "../../web/http.ts";
import { publicPage } from "../../web/page-cache.ts";
import { listExport } from "../../web/exports.ts";
import { form, optionalText, pageNo, params, query, searchText, uuid, uuidList } from "../../web/validate.ts";
import { ORDER_STATUS_TEXT } from "../orders/domain.ts";
import { SETTLEMENT_ACTIONS, SETTLEMENT_ACTOR_TEXT, SETTLEMENT_STATUS_TEXT, maskName } from "./domain.ts";
import { SETTLEMENT_OBJECTION_HANDLERS, SETTLEMENT_READERS, SETTLEMENT_REVIEWERS } from "./service.ts";

type Status = 200 | 403 | 404 | 409 | 422;
const idParam = z.object({ id: uuid("兑付申请不存在") });
const fileParam = z.object({ id: uuid("兑付申请不存在"), fileId: uuid("文件不存在") });
const listQuery = z.object({ status: searchText(20), page: pageNo });
const queueQuery = z.object({ status: searchText(20), provider: searchText(60), number: searchText(30), page: pageNo });
const applyForm = z.object({ orders: uuidList("所选订单不正确"), invoiceAmount: optionalText(20, "发票金额") });
const resubmitForm = z.object({ invoiceAmount: optionalText(20, "发票金额"), version: z.coerce.number().int().optional().catch(undefined) });
const versionForm = z.object({ version: z.coerce.number().int().optional().catch(undefined) });
const reasonForm = z.object({ reason: optionalText(200, "原因"), version: z.coerce.number().int().optional().catch(undefined) });
const noteForm = z.object({ note: optionalText(200, "说明"), version: z.coerce.number().int().optional().catch(undefined) });
const payoutForm = z.object({ settlements: uuidList("所选兑付申请不正确") });

export const labels = {
  status: SETTLEMENT_STATUS_TEXT as Record<string, string>,
  action: SETTLEMENT_ACTIONS as Record<string, string>,
  actor: SETTLEMENT_ACTOR_TEXT as Record<string, string>,
  orderStatus: ORDER_STATUS_TEXT as Record<string, string>,
  fileKind: { invoice: "发票", acceptance: "验收报告", evidence: "补充材料" } as Record<string, string>,
  maskName,
};
/** The tabs of 兑付管理 (provider) and of the review queue. */
const TABS: [string, string][] = [
  ["", "全部"],
  ["pending", "待审核"],
  ["spot_check", "抽查中"],
  ["publicising", "公示中"],
  ["awaiting_payout", "待拨付"],
  ["paying", "拨付中"],
  ["paid", "已拨付"],
  ["rejected", "已驳回"],
];

export function settlementRoutes() {
  const r = new Hono<AppEnv>();
  const noSettlement = (c: Ctx) => render(c, "errors/404", { title: "兑付申请不存在" }, 404);
  const forbidden = (c: Ctx, message?: string) => render(c, "errors/403", { title: "无权访问", message }, 403);
  const as = (s: number): Status => (s === 403 || s === 404 || s === 409 ? s : 422);

  // ---- the public 兑付公示 ----
  r.get("/settlements/publicity", publicPage(["settlement"]), query(z.object({ page: pageNo })), async (c) => {
    const data = await c.var.deps.settlement.publicity(c.req.valid("query").page);
    return render(c, "public/settlement-publicity", { title: "兑付公示", ...data, labels });
  });

  // ---- 兑付管理 (provider) ----
  r.get("/provider/settlements", requireAccount, query(listQuery), async (c) => {
    const q = c.req.valid("query");
    const res = await c.var.deps.settlement.mine(c.var.viewer.account!.id, q.status, q.page);
    if (!res.ok) return forbidden(c, res.errors._form);
    return render(c, "provider/settlements", {
      title: "兑付管理",
      ...res.value,
      tabs: TABS,
      query: res.value.status ? `status=${res.value.status}` : "",
      labels,
    });
  });

  const newPage = async (
    c: Ctx,
    errors: Record<string, string> = {},
    values: { orders?: string[]; invoiceAmount?: string } = {},
    status: Status = 200,
  ) => {
    const res = await c.var.deps.settlement.eligible(c.var.viewer.account!.id);
    if (!res.ok) return forbidden(c, res.errors._form);
    return render(
      c,
      "provider/settlement-new",
      { title: "申请兑付", orders: res.value.orders, errors, values: { invoiceAmount: values.invoiceAmount ?? "" }, chosen: values.orders ?? [], labels },
      status,
    );
  };
  r.get("/provider/settlements/new", requireAccount, (c) => newPage(c));
  r.post(
    "/provider/settlements",
    requireAccount,
    form(applyForm, (c: Ctx, errors) => newPage(c, errors, {}, 422)),
    async (c) => {
      const f = c.req.valid("form");
      const [invoice] = await formUploads(c, "invoice");
      const [acceptance] = await formUploads(c, "acceptance");
      const res = await c.var.deps.settlement.apply(
        c.var.viewer.account!.id,
        { orderIds: f.orders, invoiceAmount: f.invoiceAmount ?? "", invoice, acceptance },
        c.var.requestId,
      );
      if (!res.ok) return newPage(c, res.errors, { orders: f.orders, invoiceAmount: f.invoiceAmount ?? "" }, as(res.status));
      flash(c, `已提交兑付申请 ${res.value.number}，等待财务审核`);
      return c.redirect(`/provider/settlements/${res.value.id}`, 303);
    },
  );

  const minePage = async (c: Ctx, errors: Record<string, string> = {}, status: Status = 200) => {
    const res = await c.var.deps.settlement.mineOne(c.var.viewer.account!.id, c.req.param("id") ?? "");
    if (!res.ok) return res.status === 404 ? noSettlement(c) : forbidden(c, res.errors._form);
    return render(c, "provider/settlement", { title: `兑付申请 ${res.value.settlement.number}`, ...res.value, errors, labels }, status);
  };
  r.get("/provider/settlements/:id", requireAccount, params(idParam, noSettlement), (c) => minePage(c));
  r.get("/provider/settlements/:id/files/:fileId", requireAccount, params(fileParam, noSettlement), async (c) => {
    const { id, fileId } = c.req.valid("param");
    const found = await c.var.deps.settlement.file({ accountId: c.var.viewer.account!.id }, id, fileId);
    return found ? sendFile(c, found) : noSettlement(c);
  });
  r.post(
    "/provider/settlements/:id/supplement",
    requireAccount,
    params(idParam, noSettlement),
    form(versionForm, (c: Ctx, errors) => minePage(c, errors, 409)),
    async (c) => {
      const { id } = c.req.valid("param");
      const res = await c.var.deps.settlement.supplement(c.var.viewer.account!.id, id, await formUploads(c, "evidence"), c.req.valid("form").version);
      if (!res.ok) return res.status === 404 ? noSettlement(c) : minePage(c, res.errors, as(res.status));
      flash(c, "已提交补充材料，等待财务审核");
      return c.redirect(`/provider/settlements/${id}`, 303);
    },
  );
  r.post(
    "/provider/settlements/:id/resubmit",
    requireAccount,
    params(idParam, noSettlement),
    form(resubmitForm, (c: Ctx, errors) => minePage(c, errors, 422)),
    async (c) => {
      const { id } = c.req.valid("param");
      const f = c.req.valid("form");
      const [invoice] = await formUploads(c, "invoice");
      const [acceptance] = await formUploads(c, "acceptance");
      const res = await c.var.deps.settlement.resubmit(
        c.var.viewer.account!.id,
        id,
        { invoiceAmount: f.invoiceAmount ?? "", invoice, acceptance },
        f.version,
      );
      if (!res.ok) return res.status === 404 ? noSettlement(c) : minePage(c, res.errors, as(res.status));
      flash(c, "已重新提交兑付申请，等待财务审核");
      return c.redirect(`/provider/settlements/${id}`, 303);
    },
  );
  r.post(
    "/provider/settlements/:id/withdraw",
    requireAccount,
    params(idParam, noSettlement),
    form(versionForm, (c: Ctx, errors) => minePage(c, errors, 409)),
    async (c) => {
      const { id } = c.req.valid("param");
      const res = await c.var.deps.settlement.withdraw(c.var.viewer.account!.id, id, c.req.valid("form").version);
      if (!res.ok) return res.status === 404 ? noSettlement(c) : minePage(c, res.errors, as(res.status));
      flash(c, "已撤回兑付申请，所含订单可重新申请");
      return c.redirect(`/provider/settlements/${id}`, 303);
    },
  );

  // ---- finance: the queue, one application, payouts ----
  listExport(r, {
    path: "/admin/settlements/export",
    source: "settlements",
    roles: SETTLEMENT_READERS,
    schema: queueQuery,
    toQuery: (q) => ({ status: q.status ?? "", provider: q.provider ?? "", number: q.number ?? "" }),
  });
  r.get("/admin/settlements", requireAdmin(...SETTLEMENT_READERS), query(queueQuery), async (c) => {
    const q = c.req.valid("query");
    const res = await c.var.deps.settlement.queue(c.var.viewer.admin!, q, q.page);
    if (!res.ok) return forbidden(c, res.errors._form);
    const link = new URLSearchParams();
    for (const [k, v] of Object.entries({ status: res.value.status ?? "", provider: q.provider ?? "", number: q.number ?? "" })) if (v) link.set(k, v);
    return render(c, "admin/settlements", {
      title: "兑付审核",
      ...res.value,
      q: { status: res.value.status ?? "", provider: q.provider ?? "", number: q.number ?? "" },
      query: link.toString(),
      tabs: TABS,
      canPay: (SETTLEMENT_REVIEWERS as readonly string[]).includes(c.var.viewer.admin!.role),
      labels,
    });
  });

  const payoutPage = async (c: Ctx, errors: Record<string, string> = {}, status: Status = 200) => {
    const staff = c.var.viewer.admin!;
    const res = await c.var.deps.settlement.awaitingPayout(staff, 1);
    if (!res.ok) return forbidden(c, res.errors._form);
    const batches = await c.var.deps.settlement.batches(staff, c.req.query("page"));
    if (!batches.ok) return forbidden(c, batches.errors._form);
    const canPay = (SETTLEMENT_REVIEWERS as readonly string[]).includes(staff.role);
    return render(c, "admin/settlement-payouts", { title: "兑付拨付", ...res.value, batches: batches.value, canPay, errors, labels }, status);
  };
  // 导出 of 拨付明细 (all batches, or one by its number).
  listExport(r, {
    path: "/admin/settlements/payouts/export",
    source: "payout_batches",
    roles: SETTLEMENT_READERS,
    schema: z.object({ batch: z.string().max(40).optional() }),
    toQuery: (q) => ({ batch: q.batch ?? "" }),
  });
  r.get("/admin/settlements/payouts", requireAdmin(...SETTLEMENT_READERS), (c) => payoutPage(c));
  r.post(
    "/admin/settlements/payouts",
    requireAdmin(),
    form(payoutForm, (c: Ctx, errors) => payoutPage(c, errors, 422)),
    async (c) => {
      const res = await c.var.deps.settlement.payBatch(c.var.viewer.admin!, c.req.valid("form").settlements);
      if (!res.ok) return res.status === 403 ? forbidden(c, res.errors._form) : payoutPage(c, res.errors, as(res.status));
      const { batch, paying, rereview } = res.value;
      flash(c, `拨付批次 ${batch} 已提交：${paying} 笔拨付中${rereview ? `，${rereview} 笔因收款账户变更退回重新审核` : ""}`);
      return c.redirect("/admin/settlements/payouts", 303);
    },
  );

  const reviewPage = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const res = await c.var.deps.settlement.review(c.var.viewer.admin!, c.req.param("id") ?? "");
    if (!res.ok) return res.status === 404 ? noSettlement(c) : forbidden(c, res.errors._form);
    return render(c, "admin/settlement", { title: `兑付申请 ${res.value.settlement.number}`, ...res.value, errors, values, labels }, status);
  };
  r.get("/admin/settlements/:id", requireAdmin(...SETTLEMENT_READERS), params(idParam, noSettlement), (c) => reviewPage(c));
  r.get("/admin/settlements/:id/files/:fileId", requireAdmin(...SETTLEMENT_READERS), params(fileParam, noSettlement), async (c) => {
    const { id, fileId } = c.req.valid("param");
    const found = await c.var.deps.settlement.file({ staff: c.var.viewer.admin! }, id, fileId);
    return found ? sendFile(c, found) : noSettlement(c);
  });

  /** One staff decision: the use case's refusal shows the page again; success flashes and redirects to it. */
  const decision = <F extends z.ZodType>(
    path: string,
    schema: F,
    run: (c: Ctx, id: string, f: z.output<F>) => Promise<{ ok: true } | { ok: false; status: number; errors: Record<string, string> }>,
    done: string,
  ) =>
    r.post(
      `/admin/settlements/:id/${path}`,
      requireAdmin(),
      params(idParam, noSettlement),
      form(schema, (c: Ctx, errors) => reviewPage(c, errors, {}, 422)),
      async (c) => {
        const { id } = c.req.valid("param");
        const f = c.req.valid("form") as z.output<F>;
        const res = await run(c, id, f);
        if (!res.ok) {
          if (res.status === 404) return noSettlement(c);
          if (res.status === 403) return forbidden(c, res.errors._form);
          return reviewPage(c, res.errors, Object.fromEntries(Object.entries(f as object).map(([k, v]) => [k, String(v ?? "")])), as(res.status));
        }
        flash(c, done);
        return c.redirect(`/admin/settlements/${id}`, 303);
      },
    );
  decision("approve", versionForm, (c, id, f) => c.var.deps.settlement.approve(c.var.viewer.admin!, id, f.version), "已审核通过，进入公示");
  decision("reject", reasonForm, (c, id, f) => c.var.deps.settlement.reject(c.var.viewer.admin!, id, f.reason, f.version), "已驳回兑付申请");
  decision(
    "spot-check",
    noteForm,
    (c, id, f) => c.var.deps.settlement.spotCheck(c.var.viewer.admin!, id, f.note, f.version),
    "已标记抽查，等待服务机构补充材料",
  );
  decision("object", noteForm, (c, id, f) => c.var.deps.settlement.object(c.var.viewer.admin!, id, f.note), "已登记公示异议，公示暂停");
  decision("resume", noteForm, (c, id, f) => c.var.deps.settlement.resumePublicity(c.var.viewer.admin!, id, f.note), "已恢复公示");
  void SETTLEMENT_OBJECTION_HANDLERS;
  return r;
}
