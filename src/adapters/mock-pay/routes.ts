import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv, Ctx } from "../../web/http.ts";
import { form, params } from "../../web/validate.ts";
import { fmt } from "../../web/views.ts";
import { type CashierOutcome, type MockPayGateway, asMockPay } from "./mock-pay.ts";
import { CASHIER_CSS } from "./pages-css.ts";

/**
 * The mock cashier's hosted pages, the way a bank gateway serves them on its own site:
 * 对公账户支付 (`/mock-pay/cashier/<token>`) with the payer's registered account (masked), the payee,
 * the amount and three outcomes for tests (支付成功, 支付失败, 稍后到账). Phone-sized, no JavaScript,
 * their own layout and stylesheet, their own form token (`_mt`); outside the platform's session CSRF
 * token (the origin check still applies). 404 unless the composition root chose the mock.
 */
const TOKEN = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/) });
const payForm = z.object({ _mt: z.string().max(100).catch(""), outcome: z.enum(["paid", "failed", "later"]).catch("paid") });
type Status = 200 | 403 | 404 | 409;

function page(c: Ctx, view: string, data: Record<string, unknown>, status: Status = 200) {
  const html = c.var.deps.views.render(`mock-pay/${view}`, { ...data, fmt });
  c.header("Cache-Control", "no-store");
  c.header("Referrer-Policy", "no-referrer");
  c.header("X-Robots-Tag", "noindex");
  return c.html(html, status);
}
const missing = (c: Ctx) => page(c, "message", { title: "页面不存在", text: "支付链接无效或已失效，请回到业务系统重新发起支付。" }, 404);
const mockOf = (c: Ctx) => asMockPay(c.var.deps.pay) as MockPayGateway;

export function mockPayRoutes() {
  const r = new Hono<AppEnv>();
  r.use("/mock-pay/*", async (c, next) => {
    if (!asMockPay(c.var.deps.pay)) return c.notFound();
    return next();
  });
  r.get("/mock-pay/static/cashier.css", (c) =>
    c.body(CASHIER_CSS, 200, { "Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=3600" }),
  );

  const cashierPage = async (c: Ctx, token: string, error = "", status: Status = 200) => {
    const v = await mockOf(c).cashier(token);
    if (!v) return missing(c);
    return page(c, "cashier", { title: "对公账户支付", token, view: v, error }, status);
  };
  r.get("/mock-pay/cashier/:token", params(TOKEN, missing), (c) => cashierPage(c, c.req.valid("param").token));
  r.post(
    "/mock-pay/cashier/:token",
    params(TOKEN, missing),
    form(payForm, (c: Ctx) => cashierPage(c, c.req.param("token") ?? "", "请求无效，请刷新页面后重试。", 403)),
    async (c) => {
      const { token } = c.req.valid("param");
      const f = c.req.valid("form");
      const res = await mockOf(c).pay(token, f._mt, f.outcome as CashierOutcome);
      if (res.ok) return c.redirect(res.returnUrl, 303);
      if (res.why === "missing") return missing(c);
      if (res.why === "forbidden") return cashierPage(c, token, "页面已过期，请刷新页面后重试。", 403);
      return cashierPage(c, token, "该笔支付已结束，不能再次操作。", 409);
    },
  );
  return r;
}
