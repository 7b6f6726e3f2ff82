import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keySerial, notificationSignature } from "../../src/adapters/mock-pay/notification.ts";
import { keysOf } from "../../src/adapters/mock-pay/key.ts";
import type { Browser } from "../support/client.ts";
import { signIn } from "../support/flows.ts";
import { pathOf } from "../support/esign.ts";
import { accountOf, statusOf } from "../support/orders.ts";
import { mockPayOf, registerBankAccount, signedOrder } from "../support/payments.ts";
import { type SigningWorld, makeSeal, sign, signingOrder, signingWorld } from "../support/signing.ts";

/**
 * 支付定金 (manual 8.4) end to end on the mock cashier: the order page's button, the cashier, the
 * browser's return (trusted for nothing), the signed notification through the inbox -> 待开始服务 with
 * the money line; and what must change nothing: replays, forgeries, another amount, another
 * enterprise, a missing 支付认证.
 */
let w: SigningWorld;
beforeAll(async () => {
  w = await signingWorld();
  await registerBankAccount(w, w.ent, "6222020200112233445");
  await registerBankAccount(w, w.pro, "4500123456789012");
}, 120_000);
afterAll(async () => w?.t.close());

const moneyLines = async (orderId: string) =>
  w.t.deps.db.query<{ kind: string; amount_fen: number; ref: string }>(
    "select kind, amount_fen::int as amount_fen, ref from order_money_lines where order_id = $1 order by id",
    [orderId],
  );
const payments = async (orderId: string) =>
  w.t.deps.db.query<{ payment_no: string; status: string; amount_fen: number }>(
    "select payment_no, status, amount_fen::int as amount_fen from payments where order_id = $1 order by created_at",
    [orderId],
  );
const mt = (html: string) => html.match(/name="_mt" value="([^"]+)"/)![1]!;

/** The enterprise's 支付定金 on its order page, then the cashier's outcome; the cashier path. */
async function payOnCashier(b: Browser, orderId: string, outcome: "paid" | "failed" | "later" = "paid") {
  await b.get(`/me/orders/${orderId}`);
  const res = await b.post(`/me/orders/${orderId}/pay`, { kind: "deposit" });
  expect(res.status).toBe(303);
  const cashier = pathOf(res.headers.get("Location")!);
  expect(cashier).toMatch(/^\/mock-pay\/cashier\//);
  await b.get(cashier);
  const back = await b.post(cashier, { _mt: mt(b.lastHtml), outcome }, { csrf: null });
  expect(back.status).toBe(303);
  return { cashier, back: back.headers.get("Location")! };
}

/** A notification signed with the cashier's key, as the channel would send it (for forgeries and replays of our own). */
function signed(body: string, opts: { key?: string; ts?: number } = {}) {
  const pem = opts.key ?? w.t.deps.config.mockPay!.privateKey!;
  const ts = String(opts.ts ?? Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString("hex");
  return {
    "Content-Type": "application/json",
    "X-Mock-Pay-Timestamp": ts,
    "X-Mock-Pay-Nonce": nonce,
    "X-Mock-Pay-Serial": keySerial(keysOf(w.t.deps.config.mockPay!.privateKey!).publicKeyPem),
    "X-Mock-Pay-Signature": notificationSignature(pem, ts, nonce, body),
  };
}
const post = (body: string, headers: Record<string, string>) => w.t.app.request("/callbacks/pay", { method: "POST", body, headers });

describe("支付定金", () => {
  it("the order page's 支付定金 -> the cashier -> 支付处理中 until the notification -> 待开始服务 with the money line", async () => {
    const id = await signedOrder(w);
    expect(await statusOf(w.t, id)).toBe("awaiting_deposit");
    const [order] = await w.t.deps.db.query<{ deposit_fen: number }>("select deposit_fen::int as deposit_fen from orders where id = $1", [id]);
    const b = await signIn(w.t, "13800000001");
    await b.get(`/me/orders/${id}`);
    expect(b.lastHtml).toContain(`支付定金（¥${(order!.deposit_fen / 100).toLocaleString("en-US", { minimumFractionDigits: 2 })}）</button>`);

    const { back } = await payOnCashier(b, id);
    expect(back).toBe(`/me/orders/${id}/paid`);
    // The browser's return proves nothing: still 待支付定金, the page says 支付处理中.
    const returned = await b.get(back);
    expect(returned.status).toBe(303);
    await b.get(`/me/orders/${id}`);
    expect(b.lastHtml).toContain("支付结果以银行通知为准");
    expect(b.lastHtml).toContain("支付处理中");
    expect(await statusOf(w.t, id)).toBe("awaiting_deposit");

    expect(await mockPayOf(w).deliverDue()).toBeGreaterThan(0);
    expect(await statusOf(w.t, id)).toBe("awaiting_start");
    const [p] = await payments(id);
    expect(p).toMatchObject({ status: "succeeded", amount_fen: order!.deposit_fen });
    expect((await moneyLines(id)).filter((l) => l.kind === "deposit_paid")).toEqual([
      { kind: "deposit_paid", amount_fen: order!.deposit_fen, ref: p!.payment_no },
    ]);
    await b.get(`/me/orders/${id}`);
    expect(b.lastHtml).not.toContain("支付定金（");
    // Paying again is refused.
    const again = await b.post(`/me/orders/${id}/pay`, { kind: "deposit" });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("定金已支付");
  });

  it("a notification replayed 100 times makes one transition; forged, another key, stale, another amount change nothing", async () => {
    const id = await signedOrder(w);
    const b = await signIn(w.t, "13800000001");
    mockPayOf(w).setDelivery({ late: true });
    try {
      await payOnCashier(b, id);
    } finally {
      mockPayOf(w).setDelivery({ late: false });
    }
    const [p] = await payments(id);
    const note = (await mockPayOf(w).notifications()).find((n) => n.body.includes(p!.payment_no))!;
    // Another amount, correctly signed: recorded, not applied.
    const wrong = note.body.replace(/"amount":\d+/, '"amount":1').replace(note.id, `${note.id}x`);
    expect((await post(wrong, signed(wrong))).status).toBe(204);
    expect(await statusOf(w.t, id)).toBe("awaiting_deposit");
    // Another key, a tampered body, a stale timestamp: 401.
    const other = keysOf((await import("../../src/adapters/mock-pay/key.ts")).newMockPayKeys().privateKeyPem);
    expect((await post(note.body, signed(note.body, { key: other.privateKeyPem }))).status).toBe(401);
    const headers = signed(note.body);
    expect((await post(note.body.replace("PAYMENT.SUCCESS", "PAYMENT.FAILED"), headers)).status).toBe(401);
    expect((await post(note.body, signed(note.body, { ts: Math.floor(Date.now() / 1000) - 360 }))).status).toBe(401);
    expect(await statusOf(w.t, id)).toBe("awaiting_deposit");

    const answers = await Promise.all(Array.from({ length: 100 }, () => post(note.body, signed(note.body))));
    expect(answers.every((a) => a.status === 204)).toBe(true);
    expect(await statusOf(w.t, id)).toBe("awaiting_start");
    expect((await moneyLines(id)).filter((l) => l.kind === "deposit_paid")).toHaveLength(1);
    const [ev] = await w.t.deps.db.query<{ n: number }>("select count(*)::int as n from order_events where order_id = $1 and action = 'deposit_paid'", [
      id,
    ]);
    expect(ev!.n).toBe(1);
    // The held notification itself, released later, is a duplicate.
    await mockPayOf(w).releaseHeld();
    await mockPayOf(w).deliverDue();
    expect((await moneyLines(id)).filter((l) => l.kind === "deposit_paid")).toHaveLength(1);
  });

  it("without a notification the reconciler's query confirms it; 支付失败 leaves the order waiting and a new attempt works", async () => {
    const id = await signedOrder(w);
    const b = await signIn(w.t, "13800000001");
    await payOnCashier(b, id, "failed");
    await mockPayOf(w).deliverDue();
    expect((await payments(id)).map((p) => p.status)).toEqual(["failed"]);
    expect(await statusOf(w.t, id)).toBe("awaiting_deposit");

    mockPayOf(w).setDelivery({ late: true });
    try {
      await payOnCashier(b, id, "paid");
    } finally {
      mockPayOf(w).setDelivery({ late: false });
    }
    expect((await payments(id)).map((p) => p.status)).toEqual(["failed", "pending"]);
    const run = await w.t.deps.payments.reconcile({ olderThanMinutes: 0 });
    expect(run.changed).toBeGreaterThan(0);
    expect(await statusOf(w.t, id)).toBe("awaiting_start");
    expect((await payments(id)).map((p) => p.status)).toEqual(["failed", "succeeded"]);
  });

  it("two tabs share one pending payment; another enterprise cannot pay; without 支付认证 nothing starts", async () => {
    const id = await signedOrder(w);
    const b = await signIn(w.t, "13800000001");
    await b.get(`/me/orders/${id}`);
    const one = await b.post(`/me/orders/${id}/pay`, { kind: "deposit" });
    const two = await b.post(`/me/orders/${id}/pay`, { kind: "deposit" });
    expect([one.status, two.status]).toEqual([303, 303]);
    expect(await payments(id)).toHaveLength(1);
    // Balance now, or a made-up kind: refused.
    expect((await b.post(`/me/orders/${id}/pay`, { kind: "balance" })).status).toBe(409);
    expect((await b.post(`/me/orders/${id}/pay`, { kind: "all" })).status).toBe(422);

    const stranger = await signIn(w.t, "13800000002");
    await stranger.get("/me");
    expect((await stranger.post(`/me/orders/${id}/pay`, { kind: "deposit" })).status).toBe(404);
    expect(await payments(id)).toHaveLength(1);

    // Enterprise 2 without 支付认证 (the demo's account removed for this case): its own signed order cannot start a payment.
    const ent2 = await accountOf(w.t, "13800000002");
    const e2 = await w.t.deps.enterprises.ofAccount(ent2);
    await w.t.deps.db.query("delete from enterprise_bank_accounts where enterprise_id = $1", [e2!.id]);
    await makeSeal(w, ent2);
    const own = await signingOrder(w, { ent: ent2, contract: { depositFen: 80_000 } });
    expect((await w.t.deps.signing.startFlow(own)).ok).toBe(true);
    await sign(w, ent2, own, "enterprise");
    await sign(w, w.pro, own, "provider");
    expect(await statusOf(w.t, own)).toBe("awaiting_deposit");
    const refused = await stranger.post(`/me/orders/${own}/pay`, { kind: "deposit" });
    expect(refused.status).toBe(409);
    const text = await refused.text();
    expect(text).toContain("请先在“支付认证”中登记企业对公账户后再支付");
    expect(text).toContain('href="/me/payment-account">去支付认证</a>');
    expect(await payments(own)).toEqual([]);
  });

  it("a cashier session that ran out is closed at the channel and 支付定金 opens a new attempt", async () => {
    const id = await signedOrder(w);
    const b = await signIn(w.t, "13800000001");
    await b.get(`/me/orders/${id}`);
    expect((await b.post(`/me/orders/${id}/pay`, { kind: "deposit" })).status).toBe(303);
    await w.t.deps.db.query("update payments set expires_at = now() - interval '1 minute' where order_id = $1", [id]);
    const again = await b.post(`/me/orders/${id}/pay`, { kind: "deposit" });
    expect(again.status).toBe(303);
    const rows = await payments(id);
    expect(rows.map((p) => p.status)).toEqual(["closed", "pending"]);
    expect(rows[1]!.payment_no).toMatch(/D2$/);
    expect((await w.t.deps.pay.queryPayment(rows[0]!.payment_no)).status).toBe("closed");
  });

  it("a contract without a deposit goes from 签署完成 straight to 待开始服务", async () => {
    const id = await signedOrder(w, { depositFen: 0 });
    expect(await statusOf(w.t, id)).toBe("awaiting_start");
    expect(await payments(id)).toEqual([]);
  });
});
