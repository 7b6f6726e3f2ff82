import { Hono } from "hono";
import { z } from "zod";
import { requireAccount } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, providerRequest, render } from "../../web/http.ts";
import { form, params, uuid } from "../../web/validate.ts";

/**
 * 支付定金 / 支付尾款 from the order page (a form: POST, then 303 to the channel's cashier), the
 * return from the cashier (it proves nothing: the page says 支付处理中 until the notification), and
 * POST /callbacks/pay for the channel's notifications (no session, no CSRF token: the adapter
 * authenticates them by their signature).
 */
const idParam = z.object({ id: uuid("订单不存在") });
const payForm = z.object({ kind: z.enum(["deposit", "balance"], { error: "支付类型不正确" }) });

export function paymentRoutes() {
  const r = new Hono<AppEnv>();
  const noOrder = (c: Ctx) => render(c, "errors/404", { title: "订单不存在" }, 404);
  const refused = (c: Ctx, id: string, message: string, status: 409 | 422) =>
    render(c, "payments/refused", { title: "无法支付", menu: "orders", message, back: `/me/orders/${id}` }, status);

  r.post(
    "/me/orders/:id/pay",
    requireAccount,
    params(idParam, noOrder),
    form(payForm, (c: Ctx, errors) => refused(c, c.req.param("id") ?? "", errors.kind ?? "支付类型不正确", 422)),
    async (c) => {
      const { id } = c.req.valid("param");
      const res = await c.var.deps.payments.startPayment(c.var.viewer.account!.id, id, c.req.valid("form").kind, `/me/orders/${id}/paid`);
      if (!res.ok) return res.status === 404 ? noOrder(c) : refused(c, id, res.errors._form ?? "暂时无法支付", 409);
      return c.redirect(res.value.cashierUrl, 303);
    },
  );

  // Back from the cashier: nothing is trusted from it; the order page follows the notification.
  r.get("/me/orders/:id/paid", requireAccount, params(idParam, noOrder), (c) => {
    flash(c, "已返回平台，支付结果以银行通知为准，请稍候刷新查看");
    return c.redirect(`/me/orders/${c.req.valid("param").id}`, 303);
  });

  r.post("/callbacks/pay", async (c) => {
    const { ack } = await c.var.deps.payments.receiveNotification(await providerRequest(c));
    c.header("Cache-Control", "no-store");
    if (ack.status === 204) return c.body(null, 204);
    return c.body(ack.body, ack.status as 200, { "Content-Type": ack.contentType });
  });
  return r;
}
