import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY_FILE_NAME } from "../../src/adapters/mock-pay/key.ts";
import { type MockPayGateway, asMockPay } from "../../src/adapters/mock-pay/mock-pay.ts";
import { PaymentGatewayError } from "../../src/ports/payments.ts";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { Browser } from "../support/client.ts";
import { pathOf } from "../support/esign.ts";

/**
 * The mock payment gateway in the app: chosen by the composition root outside production (its RSA
 * key generated into DATA_DIR when none is configured), absent in production, and its cashier page
 * as a payer meets it (the masked accounts, the amount, the three outcomes, its own form token).
 */
const PAYER = { accountName: "广西南宁示例机械制造有限公司", bankName: "中国工商银行南宁分行", accountNumber: "6222020200112233445" };
const PAYEE = { accountName: "广西示例检验检测技术有限公司", bankName: "中国建设银行桂林分行", accountNumber: "4500123456789012" };
let n = 0;
const input = (over: Record<string, unknown> = {}) => ({
  paymentNo: `PAYT${Date.now()}${++n}`,
  orderNumber: "DD20261201000001",
  kind: "deposit" as const,
  amountFen: 80_000,
  payer: PAYER,
  payee: PAYEE,
  subject: "服务合同定金",
  returnUrl: "/me/orders",
  expiresAt: new Date(Date.now() + 3_600_000),
  ...over,
});
const mt = (html: string) => html.match(/name="_mt" value="([^"]+)"/)![1]!;

describe("the mock payment gateway in the app", () => {
  let t: TestApp;
  let pay: MockPayGateway;
  beforeAll(async () => {
    // No configured key: the embedded default generates one into DATA_DIR.
    t = await makeTestApp({ env: { MOCK_PAY_PRIVATE_KEY: "" } });
    pay = asMockPay(t.deps.pay)!;
  });
  afterAll(() => t?.close());

  it("is the channel outside production, its key pair generated once into DATA_DIR (0600)", async () => {
    expect(t.deps.pay.provider).toBe("mock");
    const path = join(t.deps.config.dataDir, KEY_FILE_NAME);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, "utf8")).toContain("BEGIN PRIVATE KEY");
    expect(pay.publicKeyPem).toContain("BEGIN PUBLIC KEY");
  });

  it("the cashier: the masked accounts and the amount, 支付成功 back to the return URL, its own form token", async () => {
    const created = await pay.createPayment(input());
    const path = pathOf(created.cashierUrl);
    const b = new Browser(t);
    const res = await b.get(path);
    expect(res.status).toBe(200);
    expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
    const html = b.lastHtml;
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).not.toContain("<script");
    expect(html).toContain("对公账户支付");
    expect(html).toContain("¥800.00");
    expect(html).toContain("**** 3445");
    expect(html).toContain("**** 9012");
    expect(html).not.toContain(PAYER.accountNumber);
    for (const label of ["支付成功", "稍后到账", "支付失败"]) expect(html).toContain(`>${label}</button>`);

    expect((await b.post(path, { _mt: "x".repeat(43), outcome: "paid" }, { csrf: null })).status).toBe(403);
    expect((await pay.queryPayment(created.paymentNo)).status).toBe("pending");
    const foreign = await b.request(path, {
      method: "POST",
      body: new URLSearchParams({ _mt: mt(html), outcome: "paid" }),
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "https://evil.example" },
    });
    expect(foreign.status).toBe(403);

    const done = await b.post(path, { _mt: mt(html), outcome: "paid" }, { csrf: null });
    expect(done.status).toBe(303);
    expect(done.headers.get("Location")).toBe("/me/orders");
    expect((await pay.queryPayment(created.paymentNo)).status).toBe("succeeded");
    // Paying again answers 409 and changes nothing.
    await b.get(path);
    expect(b.lastHtml).toContain("支付成功。");
    expect((await b.post(path, { _mt: mt(html), outcome: "failed" }, { csrf: null })).status).toBe(409);
    expect((await pay.notifications()).filter((e) => e.body.includes(created.paymentNo)).map((e) => e.type)).toEqual(["PAYMENT.SUCCESS"]);
  });

  it("稍后到账 keeps the payment pending until the bank confirms; unknown and malformed tokens answer 404", async () => {
    const created = await pay.createPayment(input());
    const b = new Browser(t);
    const path = pathOf(created.cashierUrl);
    await b.get(path);
    expect((await b.post(path, { _mt: mt(b.lastHtml), outcome: "later" }, { csrf: null })).status).toBe(303);
    expect((await pay.queryPayment(created.paymentNo)).status).toBe("pending");
    await b.get(path);
    expect(b.lastHtml).toContain("银行处理中");
    expect((await pay.settleDue()).payments).toBeGreaterThanOrEqual(1);
    expect((await pay.queryPayment(created.paymentNo)).status).toBe("succeeded");
    expect((await b.get(`/mock-pay/cashier/${"A".repeat(43)}`)).status).toBe(404);
    expect((await b.get("/mock-pay/cashier/short")).status).toBe(404);
  });
});

describe("in production", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({
      captchaTestAnswer: null,
      env: { NODE_ENV: "production", ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString("base64")}`, DEV_SMS_OUTBOX: "false" },
    });
  });
  afterAll(() => t?.close());

  it("no mock: the cashier answers 404 and every verb is refused with a clear message", async () => {
    expect(t.deps.pay.provider).toBe("unavailable");
    expect((await new Browser(t).get(`/mock-pay/cashier/${"A".repeat(43)}`)).status).toBe(404);
    await expect(t.deps.pay.createPayment(input())).rejects.toEqual(new PaymentGatewayError("unavailable", "在线支付服务尚未开通，请联系平台运营人员"));
    const parsed = await t.deps.pay.parseNotification({ headers: {}, rawBody: new Uint8Array(), receivedAt: new Date() });
    expect(parsed).toMatchObject({ ok: false, ack: { status: 401 } });
  });
});
