import { Hono } from "hono";
import { z } from "zod";
import { requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, render } from "../../web/http.ts";
import { form, optionalText, pageNo, params, query, searchText, uuid } from "../../web/validate.ts";
import { MONITORING_ACTION_TEXT, PARTY_KIND_TEXT, type Party, REASON_MAX, SUSPENSION_STATUS_TEXT } from "./domain.ts";

/**
 * 暂停交易管理 (docs/monitoring.md): the operators' list of suspensions with a search for a party by
 * name, each party's monitoring record (its suspensions and audit timeline) with 暂停交易 / 恢复交易.
 * Every use case checks the staff role itself; the routes only let signed-in staff in.
 */
const listQuery = z.object({
  scope: z.enum(["live", "all"]).catch("live"),
  q: searchText(50),
  page: pageNo,
});
const partyParam = z.object({ kind: z.enum(["enterprise", "provider"]), id: uuid("记录不存在") });
const reasonForm = z.object({ reason: optionalText(REASON_MAX, "原因") });
type Status = 200 | 403 | 404 | 409 | 422;

/** What a party's timeline shows: monitoring's own actions and the ones of the modules whose events share the entity. */
const ACTION_TEXT: Record<string, string> = {
  ...MONITORING_ACTION_TEXT,
  provider_suspended: "暂停（出库）",
  provider_restored: "恢复（入库）",
  registered: "注册账号",
  certification_submitted: "提交企业信息认证",
  certification_approved: "企业信息认证通过",
  certification_rejected: "企业信息认证驳回",
  bank_account_added: "填写支付认证",
  bank_account_changed: "修改支付认证",
  password_set: "设置密码",
  password_changed: "修改密码",
};
const labels = { kind: PARTY_KIND_TEXT, status: SUSPENSION_STATUS_TEXT, action: ACTION_TEXT };

export function monitoringRoutes() {
  const r = new Hono<AppEnv>();
  const notFound = (c: Ctx, title = "记录不存在") => render(c, "errors/404", { title }, 404);
  const forbidden = (c: Ctx, message?: string) => render(c, "errors/403", { title: "无权访问", message }, 403);

  r.get("/admin/suspensions", requireAdmin(), query(listQuery), async (c) => {
    const q = c.req.valid("query");
    const res = await c.var.deps.monitoring.suspensions(c.var.viewer.admin!, { scope: q.scope, keyword: q.q, page: q.page });
    if (!res.ok) return forbidden(c, res.errors._form);
    const link = new URLSearchParams({ scope: q.scope, ...(q.q ? { q: q.q } : {}) });
    return render(c, "admin/suspensions", { title: "暂停交易管理", ...res.value, scope: q.scope, query: link.toString(), labels });
  });

  const partyOf = (c: Ctx): Party => ({ kind: c.req.param("kind") as Party["kind"], id: c.req.param("id") ?? "" });
  const recordPage = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const res = await c.var.deps.monitoring.partyRecord(c.var.viewer.admin!, partyOf(c));
    if (!res.ok) return res.status === 404 ? notFound(c, res.errors._form) : forbidden(c, res.errors._form);
    const d = res.value;
    return render(c, "admin/suspension", { title: `交易监管记录：${d.party.name}`, ...d, errors, values, labels }, status);
  };
  r.get("/admin/suspensions/:kind/:id", requireAdmin(), params(partyParam, notFound), (c) => recordPage(c));

  for (const action of ["suspend", "resume"] as const) {
    r.post(
      `/admin/suspensions/:kind/:id/${action}`,
      requireAdmin(),
      params(partyParam, notFound),
      form(reasonForm, (c: Ctx, errors, values) => recordPage(c, errors, { reason: String(values.reason ?? "") }, 422)),
      async (c) => {
        const party = c.req.valid("param") as Party;
        const { reason } = c.req.valid("form");
        const m = c.var.deps.monitoring;
        const res = await (action === "suspend" ? m.suspend : m.resume)(c.var.viewer.admin!, party, reason, c.var.requestId);
        if (!res.ok) {
          if (res.status === 403) return forbidden(c, res.errors._form);
          if (res.status === 404) return notFound(c, res.errors._form);
          return recordPage(c, res.errors, { reason: reason ?? "" }, res.status === 409 ? 409 : 422);
        }
        flash(c, action === "suspend" ? "已暂停交易：该单位不能新下单或签订电子合同，进行中的订单已冻结" : "已恢复交易");
        return c.redirect(`/admin/suspensions/${party.kind}/${party.id}`, 303);
      },
    );
  }
  return r;
}
