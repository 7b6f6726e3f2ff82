/**
 * 协商终止 on both parties' order pages (docs/payments.md "Termination and refunds"): the proposal's
 * form (终止原因, 退还企业金额), 撤回申请, and the other party's 同意终止 / 拒绝终止. Forms post and
 * redirect (303) to the order's page; a refusal shows the form again with its message (4xx).
 */
import { Hono } from "hono";
import { z } from "zod";
import { requireAccount } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, render } from "../../web/http.ts";
import { form, optionalText, params } from "../../web/validate.ts";
import { REASON_MAX } from "./domain.ts";
import { type Status, idParam, labels, versionField } from "./routes.ts";
import { paidFen, refundedFen } from "./termination-domain.ts";
import type { TerminationSide } from "./termination-service.ts";

const proposeForm = z.object({ reason: optionalText(REASON_MAX, "终止原因"), refund: optionalText(20, "退还企业金额"), version: versionField });
const rejectForm = z.object({ response: optionalText(REASON_MAX, "拒绝原因") });
const emptyForm = z.object({});

const SIDES: { side: TerminationSide; base: string; view: string; other: string }[] = [
  { side: "enterprise", base: "/me/orders", view: "me/order-terminate", other: "服务机构" },
  { side: "provider", base: "/provider/orders", view: "provider/order-terminate", other: "企业" },
];

export function terminationRoutes() {
  const r = new Hono<AppEnv>();
  const noOrder = (c: Ctx) => render(c, "errors/404", { title: "订单不存在" }, 404);

  for (const { side, base, view, other } of SIDES) {
    const load = (c: Ctx, id: string) =>
      side === "enterprise"
        ? c.var.deps.orders.myOrder(c.var.viewer.account!.enterpriseId, id)
        : c.var.deps.orders.providerOrder(c.var.viewer.account!.enterpriseId, id);

    /** The 协商终止 page: the form while this party may propose, else what stands (an open proposal, or why not). */
    const page = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
      const res = await load(c, c.req.param("id") ?? "");
      if (!res.ok) return res.status === 404 ? noOrder(c) : render(c, "errors/403", { title: "无权访问", message: res.errors._form }, 403);
      // The order's 协商终止 proposals come with it (one read of the order's page).
      const { order, moneyLines, actions, terminations } = res.value;
      const paid = paidFen(moneyLines) - refundedFen(moneyLines);
      const allowed = actions.includes("terminate") && !terminations.open;
      const shown =
        allowed || errors._form
          ? errors
          : { _form: terminations.open ? "该订单已有待处理的协商终止申请" : `订单当前状态为“${labels.status[order.status]}”，不能申请协商终止` };
      const st: Status = allowed || status !== 200 ? status : 409;
      return render(
        c,
        view,
        { title: "协商终止", menu: "orders", order, paid, allowed, open: terminations.open, other, base, errors: shown, values, labels },
        st,
      );
    };

    const refused = (c: Ctx, res: { status: number; errors: Record<string, string> }, values: Record<string, string> = {}) =>
      res.status === 404 ? noOrder(c) : page(c, res.errors, values, res.status === 403 ? 403 : res.status === 409 ? 409 : 422);

    r.get(`${base}/:id/terminate`, requireAccount, params(idParam, noOrder), (c) => page(c));
    r.post(
      `${base}/:id/terminate`,
      requireAccount,
      params(idParam, noOrder),
      form(proposeForm, (c: Ctx, errors, values) => page(c, errors, values, errors.version ? 409 : 422)),
      async (c) => {
        const { id } = c.req.valid("param");
        const f = c.req.valid("form");
        const res = await c.var.deps.orders.proposeTermination(side, c.var.viewer.account!.id, id, { reason: f.reason, refund: f.refund }, f.version);
        if (!res.ok) return refused(c, res, { reason: f.reason ?? "", refund: f.refund ?? "" });
        flash(c, `已提交协商终止申请，等待${other}确认`);
        return c.redirect(`${base}/${id}`, 303);
      },
    );
    r.post(
      `${base}/:id/termination/withdraw`,
      requireAccount,
      params(idParam, noOrder),
      form(emptyForm, (c: Ctx) => page(c)),
      async (c) => {
        const { id } = c.req.valid("param");
        const res = await c.var.deps.orders.withdrawTermination(side, c.var.viewer.account!.id, id);
        if (!res.ok) return refused(c, res);
        flash(c, "已撤回协商终止申请");
        return c.redirect(`${base}/${id}`, 303);
      },
    );
    r.post(
      `${base}/:id/termination/agree`,
      requireAccount,
      params(idParam, noOrder),
      form(emptyForm, (c: Ctx) => page(c)),
      async (c) => {
        const { id } = c.req.valid("param");
        const res = await c.var.deps.orders.respondTermination(side, c.var.viewer.account!.id, id, true, undefined, c.var.requestId);
        if (!res.ok) return refused(c, res);
        const refund = res.value.termination.refundFen;
        flash(c, refund > 0 ? "订单已终止，退款将原路退回企业对公账户" : "订单已终止");
        return c.redirect(`${base}/${id}`, 303);
      },
    );
    r.post(
      `${base}/:id/termination/reject`,
      requireAccount,
      params(idParam, noOrder),
      form(rejectForm, (c: Ctx, errors, values) => page(c, errors, values, 422)),
      async (c) => {
        const { id } = c.req.valid("param");
        const res = await c.var.deps.orders.respondTermination(side, c.var.viewer.account!.id, id, false, c.req.valid("form").response, c.var.requestId);
        if (!res.ok) return refused(c, res);
        flash(c, "已拒绝协商终止申请，订单继续履约");
        return c.redirect(`${base}/${id}`, 303);
      },
    );
  }
  return r;
}
