import { verify } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockPayKeys, keysOf, newMockPayKeys } from "../../src/adapters/mock-pay/key.ts";
import { type CashierOutcome, MAX_PAYMENT_HOURS, type MockPayGateway, asMockPay, mockPay } from "../../src/adapters/mock-pay/mock-pay.ts";
import {
  NONCE_HEADER,
  SERIAL_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  keySerial,
  notificationSignature,
} from "../../src/adapters/mock-pay/notification.ts";
import {
  type NotificationRequest,
  type ParsedNotification,
  type PaymentEvent,
  type PaymentGateway,
  PaymentGatewayError,
  type PaymentInput,
} from "../../src/ports/payments.ts";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { until } from "../support/esign.ts";
import { type PayReceiver, startPayReceiver } from "../support/pay.ts";

/**
 * The PaymentGateway port's contract (docs/payments.md), run against the mock cashier on the test
 * database: its cashier driven through its test controls (the payer's 支付成功 / 支付失败 / 稍后到账),
 * its RSA-signed notifications received over real HTTP by a small server, its delivery jobs on the
 * job engine (pg-boss). A real channel's adapter passes the same verbs' checks against its sandbox;
 * `choose` (the payer on the cashier) and `settle` (the bank completing later) are the parts a
 * sandbox drives its own way.
 */
/** Short back-off for the delivery tests. */
const FAST_RETRIES = [100, 200, 300, 400, 500];
const HOUR = 3_600_000;

/** A clock on real time that a test may move ahead, so the job engine's time agrees with it. */
const clock = (() => {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    advance(ms: number) {
      offset += ms;
    },
    reset() {
      offset = 0;
    },
  };
})();

let t: TestApp;
let keys: MockPayKeys;
let mock: MockPayGateway;
let gateway: PaymentGateway;
let rx: PayReceiver;

beforeAll(async () => {
  rx = await startPayReceiver(() => clock.now());
  t = await makeTestApp({ clock, jobs: "engine" });
  keys = newMockPayKeys();
  mock = mockPay({ db: t.deps.db, clock, jobs: t.deps.jobs, keys, notifyUrl: rx.url, retryDelaysMs: FAST_RETRIES });
  gateway = mock;
  await t.deps.jobs.start();
  await mock.startWorkers();
}, 120_000);

afterAll(async () => {
  await t?.close();
  await rx?.close();
});

// ---------------------------------------------------------------------------------------------
// Test data, the payer on the cashier, and the platform's side of the notifications.

let seq = 0;
const no = (prefix: string) => `${prefix}${Date.now().toString(36)}${String(++seq).padStart(3, "0")}`;
const PAYER = { accountName: "广西合同测试采购有限公司", bankName: "中国工商银行南宁分行", accountNumber: "6222020000001234" };
const PAYEE = { accountName: "南宁合同测试服务有限公司", bankName: "广西北部湾银行", accountNumber: "6230580000005678" };

const paymentInput = (o: Partial<PaymentInput> = {}): PaymentInput => ({
  paymentNo: no("PAY"),
  orderNumber: `GX${Date.now()}${seq}`,
  kind: "deposit",
  amountFen: 12_345,
  payer: PAYER,
  payee: PAYEE,
  subject: "服务合同定金",
  returnUrl: "/me/orders/back",
  expiresAt: new Date(clock.now().getTime() + 2 * HOUR),
  ...o,
});

const tokenOf = (cashierUrl: string) => cashierUrl.split("/").pop()!;

/** The payer on the cashier page: opens it and picks an outcome. */
async function choose(cashierUrl: string, outcome: CashierOutcome) {
  const token = tokenOf(cashierUrl);
  const view = await mock.cashier(token);
  if (!view) throw new Error("the cashier link opens nothing");
  return mock.pay(token, view.formToken, outcome);
}

/** A payment the payer has paid. */
async function paid(o: Partial<PaymentInput> = {}) {
  const created = await gateway.createPayment(paymentInput(o));
  expect(await choose(created.cashierUrl, "paid")).toEqual({ ok: true, returnUrl: "/me/orders/back" });
  return created;
}

/** The requests acknowledged for a payment, refund or payout number. */
const delivered = (ref: string) => rx.for(ref).filter((r) => r.status === 204);
const request = (r: { headers: Record<string, string>; raw: Uint8Array; receivedAt: Date }): NotificationRequest => ({
  headers: r.headers,
  rawBody: r.raw,
  receivedAt: r.receivedAt,
});

/** The events received for a number, as the platform reads them through parseNotification. */
async function eventsFor(ref: string): Promise<PaymentEvent[]> {
  const out: PaymentEvent[] = [];
  for (const r of delivered(ref)) {
    const parsed = await gateway.parseNotification(request(r));
    if (!parsed.ok) throw new Error(`a delivered notification did not verify: ${parsed.reason}`);
    expect(parsed.ack.status).toBeGreaterThanOrEqual(200);
    expect(parsed.ack.status).toBeLessThan(300);
    out.push(...parsed.events);
  }
  return out;
}
const waitEvents = (ref: string, n: number) =>
  until(async () => ((await eventsFor(ref)).length >= n ? eventsFor(ref) : undefined), 20_000, `${n} notifications for ${ref}`);

/** The mock's outbox entries naming a number. */
const outbox = async (ref: string) => (await mock.notifications()).filter((n) => n.body.includes(`"${ref}"`));

async function refusal(p: Promise<unknown>): Promise<PaymentGatewayError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PaymentGatewayError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

/** A notification request signed like the mock's (with its key unless told otherwise). */
function signed(body: string | Uint8Array, o: { keys?: MockPayKeys; timestamp?: number; serial?: string; nonce?: string; receivedAt?: Date } = {}) {
  const k = o.keys ?? keys;
  const timestamp = String(o.timestamp ?? Math.floor(clock.now().getTime() / 1000));
  const nonce = o.nonce ?? "0123456789abcdef0123456789abcdef";
  const rawBody = typeof body === "string" ? new TextEncoder().encode(body) : body;
  return {
    headers: {
      "content-type": "application/json; charset=utf-8",
      [TIMESTAMP_HEADER.toLowerCase()]: timestamp,
      [NONCE_HEADER.toLowerCase()]: nonce,
      [SERIAL_HEADER.toLowerCase()]: o.serial ?? keySerial(k.publicKeyPem),
      [SIGNATURE_HEADER.toLowerCase()]: notificationSignature(k.privateKeyPem, timestamp, nonce, rawBody),
    },
    rawBody,
    receivedAt: o.receivedAt ?? clock.now(),
  };
}
const verdict = (r: ParsedNotification) => (r.ok ? "accepted" : `${r.reason} ${r.ack.status}`);

// ---------------------------------------------------------------------------------------------

describe("PaymentGateway contract: the mock cashier", () => {
  it("is the mock provider", () => {
    expect(gateway.provider).toBe("mock");
    expect(asMockPay(gateway)).toBe(mock);
  });

  describe("createPayment", () => {
    it("is idempotent by paymentNo: the same payment (same id), a fresh cashier link; other content under the same number is a conflict", async () => {
      const input = paymentInput();
      const a = await gateway.createPayment(input);
      expect(a).toMatchObject({ paymentNo: input.paymentNo, status: "pending", amountFen: 12_345, expiresAt: input.expiresAt });
      expect(a.gatewayPaymentId).toMatch(/^\S{6,}$/);
      expect(a.cashierUrl).toMatch(/^\/mock-pay\/cashier\/[A-Za-z0-9_-]{43}$/);
      expect(a.paidAt).toBeUndefined();

      const b = await gateway.createPayment(input);
      expect(b.gatewayPaymentId).toBe(a.gatewayPaymentId);
      expect(b).toMatchObject({ paymentNo: input.paymentNo, status: "pending", amountFen: 12_345 });
      expect(b.cashierUrl).not.toBe(a.cashierUrl);
      // The old link stops working; the new one opens the same payment.
      expect(await mock.cashier(tokenOf(a.cashierUrl))).toBeUndefined();
      expect(await mock.cashier(tokenOf(b.cashierUrl))).toMatchObject({ paymentNo: input.paymentNo, amountFen: 12_345, status: "pending" });

      for (const other of [
        { amountFen: 12_346 },
        { payer: { ...PAYER, accountNumber: "6222020000009999" } },
        { payee: { ...PAYEE, accountNumber: "6230580000009999" } },
      ]) {
        const err = await refusal(gateway.createPayment({ ...input, ...other }));
        expect(err.code).toBe("conflict");
        expect(err.message).toMatch(/[\u4e00-\u9fff]/);
      }
      expect(await gateway.queryPayment(input.paymentNo)).toEqual({
        paymentNo: input.paymentNo,
        gatewayPaymentId: a.gatewayPaymentId,
        status: "pending",
        amountFen: 12_345,
      });
      expect((await refusal(gateway.queryPayment("PAYNEVERSEEN"))).code).toBe("not_found");
    });

    it("the same paymentNo sent several times at once is one payment", async () => {
      const input = paymentInput();
      const all = await Promise.all([1, 2, 3, 4].map(() => gateway.createPayment(input)));
      expect(new Set(all.map((p) => p.gatewayPaymentId)).size).toBe(1);
      expect(new Set(all.map((p) => p.cashierUrl)).size).toBe(4);
      // The last link handed out is the one that opens the cashier.
      const open = await Promise.all(all.map((p) => mock.cashier(tokenOf(p.cashierUrl))));
      expect(open.filter(Boolean)).toHaveLength(1);
    });

    it("asking again for a payment whose cashier expired answers it closed (as a query would), with no link that pays", async () => {
      const input = paymentInput({ expiresAt: new Date(clock.now().getTime() + 10 * 60_000) });
      await gateway.createPayment(input);
      // The closing notice is held while the clock is moved on: sent then, it would carry the moved
      // timestamp and could arrive after the reset below (a stale notice, refused).
      mock.setDelivery({ late: true });
      try {
        clock.advance(11 * 60_000);
        const again = await gateway.createPayment({ ...input, expiresAt: new Date(clock.now().getTime() + HOUR) });
        expect(again.status).toBe("closed");
        expect(await gateway.queryPayment(input.paymentNo)).toMatchObject({ status: "closed" });
        expect(await choose(again.cashierUrl, "paid")).toEqual({ ok: false, why: "closed" });
      } finally {
        clock.reset();
        mock.setDelivery({ late: false });
      }
      await mock.releaseHeld();
      expect((await waitEvents(input.paymentNo, 1)).map((e) => e.type)).toEqual(["payment.closed"]);
    });

    it("refuses invalid input (amount, account numbers, paymentNo, expiry, payer = payee) and creates nothing", async () => {
      const now = clock.now().getTime();
      const cases: [string, Partial<PaymentInput>][] = [
        ["amount 0", { amountFen: 0 }],
        ["negative amount", { amountFen: -100 }],
        ["non-integer amount", { amountFen: 100.5 }],
        ["NaN amount", { amountFen: Number.NaN }],
        ["amount as a string", { amountFen: "100" as unknown as number }],
        ["payer account with letters", { payer: { ...PAYER, accountNumber: "6222ab0000001234" } }],
        ["payee account too short", { payee: { ...PAYEE, accountNumber: "123" } }],
        ["payer without a name", { payer: { ...PAYER, accountName: "  " } }],
        ["expiry in the past", { expiresAt: new Date(now - 60_000) }],
        ["expiry beyond 72 hours", { expiresAt: new Date(now + MAX_PAYMENT_HOURS * HOUR + 60_000) }],
        ["expiry not a date", { expiresAt: "tomorrow" as unknown as Date }],
        ["payer and payee the same account", { payee: { ...PAYEE, accountNumber: PAYER.accountNumber } }],
        ["the same account written with spaces", { payee: { ...PAYEE, accountNumber: "6222 0200 0000 1234" } }],
        ["kind", { kind: "tip" as unknown as "deposit" }],
        ["return URL to another scheme", { returnUrl: "javascript:alert(1)" }],
      ];
      for (const [what, o] of cases) {
        const input = paymentInput(o);
        const err = await refusal(gateway.createPayment(input));
        expect(err.code, what).toBe("invalid");
        expect(err.message, what).toMatch(/[\u4e00-\u9fff]/);
        expect((await refusal(gateway.queryPayment(input.paymentNo))).code, what).toBe("not_found");
      }
      for (const paymentNo of ["abc", "has space 123", "中文单号123456", "A".repeat(33), ""]) {
        expect((await refusal(gateway.createPayment(paymentInput({ paymentNo })))).code, paymentNo).toBe("invalid");
      }
      // The bounds themselves: 72 hours less a minute, and one fen, are fine.
      expect((await gateway.createPayment(paymentInput({ amountFen: 1, expiresAt: new Date(now + MAX_PAYMENT_HOURS * HOUR - 60_000) }))).status).toBe(
        "pending",
      );
    });

    it("the cashier shows the payer's account masked, the payee, the amount and the order", async () => {
      const input = paymentInput();
      const created = await gateway.createPayment(input);
      const view = await mock.cashier(tokenOf(created.cashierUrl));
      expect(view).toMatchObject({
        paymentNo: input.paymentNo,
        orderNumber: input.orderNumber,
        subject: "服务合同定金",
        amountFen: 12_345,
        payer: { name: PAYER.accountName, bank: PAYER.bankName, masked: "**** 1234" },
        payee: { name: PAYEE.accountName, bank: PAYEE.bankName, masked: "**** 5678" },
        status: "pending",
        confirmLater: false,
        returnUrl: "/me/orders/back",
      });
      expect(JSON.stringify(view)).not.toContain(PAYER.accountNumber);
      expect(JSON.stringify(view)).not.toContain(PAYEE.accountNumber);
      expect(await mock.cashier("A".repeat(43))).toBeUndefined();
      expect(await mock.cashier("not-a-token")).toBeUndefined();
    });

    it("the cashier's form token is its own secret: a link alone, or another key's cashier, cannot pay", async () => {
      const input = paymentInput();
      const created = await gateway.createPayment(input);
      const token = tokenOf(created.cashierUrl);
      const view = (await mock.cashier(token))!;
      // Another cashier on the same tables with another key (of the same size: only the key itself tells them apart) derives another form token.
      let otherKeys = newMockPayKeys();
      while (otherKeys.privateKeyPem.length !== keys.privateKeyPem.length) otherKeys = newMockPayKeys();
      const other = mockPay({ db: t.deps.db, clock, jobs: t.deps.jobs, keys: otherKeys, notifyUrl: rx.url });
      const foreign = (await other.cashier(token))!;
      expect(foreign.paymentNo).toBe(view.paymentNo);
      expect(foreign.formToken).not.toBe(view.formToken);
      expect(await mock.pay(token, foreign.formToken, "paid")).toEqual({ ok: false, why: "forbidden" });
      expect(await mock.pay(token, "", "paid")).toEqual({ ok: false, why: "forbidden" });
      expect(await mock.pay(token, view.formToken, "refund" as CashierOutcome)).toEqual({ ok: false, why: "forbidden" });
      expect(await mock.pay("B".repeat(43), view.formToken, "paid")).toEqual({ ok: false, why: "missing" });
      // A fresh link has its own form token; the old page's does not pay through it.
      const again = await gateway.createPayment(input);
      const fresh = tokenOf(again.cashierUrl);
      expect(await mock.pay(fresh, view.formToken, "paid")).toEqual({ ok: false, why: "forbidden" });
      expect((await gateway.queryPayment(created.paymentNo)).status).toBe("pending");
    });
  });

  describe("paying", () => {
    it("支付成功: queryPayment says succeeded, and a signed notification over HTTP parses as payment.succeeded with the amount and ids", async () => {
      const created = await gateway.createPayment(paymentInput({ amountFen: 880_000 }));
      expect(await choose(created.cashierUrl, "paid")).toEqual({ ok: true, returnUrl: "/me/orders/back" });
      const q = await gateway.queryPayment(created.paymentNo);
      expect(q).toMatchObject({ paymentNo: created.paymentNo, gatewayPaymentId: created.gatewayPaymentId, status: "succeeded", amountFen: 880_000 });
      expect(q.paidAt).toBeInstanceOf(Date);

      const [event] = await waitEvents(created.paymentNo, 1);
      const real = delivered(created.paymentNo)[0]!;
      expect(real.headers["content-type"]).toMatch(/^application\/json/);
      expect(real.headers["x-mock-pay-timestamp"]).toMatch(/^\d{10}$/);
      expect(real.headers["x-mock-pay-nonce"]).toMatch(/^[A-Za-z0-9]{16,64}$/);
      expect(real.headers["x-mock-pay-serial"]).toBe(keySerial(keys.publicKeyPem));
      expect(Buffer.from(real.headers["x-mock-pay-signature"]!, "base64").length).toBe(256);
      expect(real.body).toMatchObject({ event_type: "PAYMENT.SUCCESS", resource: { out_trade_no: created.paymentNo, amount: 880_000 } });
      expect(event).toEqual({
        eventId: real.body!.id,
        occurredAt: expect.any(Date),
        type: "payment.succeeded",
        paymentNo: created.paymentNo,
        gatewayPaymentId: created.gatewayPaymentId,
        amountFen: 880_000,
        paidAt: q.paidAt,
      });
      expect(event!.eventId).toMatch(/^evt_/);
      const parsed = await gateway.parseNotification(request(real));
      expect(parsed.ack).toEqual({ status: 204, contentType: expect.any(String), body: "" });

      // Paid once: the cashier offers nothing more, and asking again is the same succeeded payment.
      expect(await choose(created.cashierUrl, "paid")).toEqual({ ok: false, why: "closed" });
      expect(await choose(created.cashierUrl, "failed")).toEqual({ ok: false, why: "closed" });
      expect((await mock.cashier(tokenOf(created.cashierUrl)))!.status).toBe("succeeded");
      expect((await outbox(created.paymentNo)).map((n) => n.type)).toEqual(["PAYMENT.SUCCESS"]);
    });

    it("支付失败: failed with a reason, notified as payment.failed", async () => {
      const created = await gateway.createPayment(paymentInput());
      expect((await choose(created.cashierUrl, "failed")).ok).toBe(true);
      const q = await gateway.queryPayment(created.paymentNo);
      expect(q).toMatchObject({ status: "failed", amountFen: 12_345 });
      expect(q.reason).toMatch(/[\u4e00-\u9fff]/);
      expect(q.paidAt).toBeUndefined();
      const [event] = await waitEvents(created.paymentNo, 1);
      expect(event).toMatchObject({ type: "payment.failed", paymentNo: created.paymentNo, reason: q.reason });
      expect(delivered(created.paymentNo)[0]!.body?.event_type).toBe("PAYMENT.FAILED");
      expect(await choose(created.cashierUrl, "paid")).toEqual({ ok: false, why: "closed" });
      expect((await refusal(gateway.refund({ refundNo: no("RF"), paymentNo: created.paymentNo, amountFen: 1, reason: "测试" }))).code).toBe("conflict");
    });

    it("稍后到账: pending until the bank confirms (settleDue), then succeeded and notified; the payer cannot choose again meanwhile", async () => {
      const created = await gateway.createPayment(paymentInput({ expiresAt: new Date(clock.now().getTime() + HOUR) }));
      expect((await choose(created.cashierUrl, "later")).ok).toBe(true);
      expect(await gateway.queryPayment(created.paymentNo)).toMatchObject({ status: "pending" });
      expect((await mock.cashier(tokenOf(created.cashierUrl)))!.confirmLater).toBe(true);
      expect(await choose(created.cashierUrl, "paid")).toEqual({ ok: false, why: "closed" });
      // Nor can the merchant close it: the money is on its way (a gateway's ORDERPAID).
      await expect(gateway.closePayment(created.paymentNo)).rejects.toMatchObject({ code: "conflict" });
      expect(await outbox(created.paymentNo)).toEqual([]);
      // The cashier's expiry does not close a payment the payer already sent.
      try {
        clock.advance(2 * HOUR);
        expect((await gateway.queryPayment(created.paymentNo)).status).toBe("pending");
        expect((await mock.settleDue()).payments).toBeGreaterThanOrEqual(1);
      } finally {
        clock.reset();
      }
      const q = await gateway.queryPayment(created.paymentNo);
      expect(q).toMatchObject({ status: "succeeded", amountFen: 12_345, gatewayPaymentId: created.gatewayPaymentId });
      const [event] = await waitEvents(created.paymentNo, 1);
      expect(event).toMatchObject({
        type: "payment.succeeded",
        paymentNo: created.paymentNo,
        amountFen: 12_345,
        gatewayPaymentId: created.gatewayPaymentId,
      });
      expect((await mock.settleDue()).payments).toBe(0);
      expect((await outbox(created.paymentNo)).map((n) => n.type)).toEqual(["PAYMENT.SUCCESS"]);
    });
  });

  describe("closing", () => {
    it("closes a pending payment (payment.closed, once; closing twice is fine); the cashier refuses to pay it afterwards", async () => {
      const created = await gateway.createPayment(paymentInput());
      const token = tokenOf(created.cashierUrl);
      const page = (await mock.cashier(token))!;
      const closed = await gateway.closePayment(created.paymentNo);
      expect(closed).toMatchObject({ paymentNo: created.paymentNo, gatewayPaymentId: created.gatewayPaymentId, status: "closed" });
      expect(await gateway.closePayment(created.paymentNo)).toEqual(closed);
      expect(await gateway.queryPayment(created.paymentNo)).toEqual(closed);
      expect(await mock.pay(token, page.formToken, "paid")).toEqual({ ok: false, why: "closed" });
      expect((await gateway.queryPayment(created.paymentNo)).status).toBe("closed");
      const [event] = await waitEvents(created.paymentNo, 1);
      expect(event).toMatchObject({ type: "payment.closed", paymentNo: created.paymentNo });
      expect((await outbox(created.paymentNo)).map((n) => n.type)).toEqual(["PAYMENT.CLOSED"]);
      expect((await refusal(gateway.closePayment("PAYNEVERSEEN"))).code).toBe("not_found");
    });

    it("a succeeded payment cannot be closed (conflict), and stays succeeded", async () => {
      const created = await paid();
      const err = await refusal(gateway.closePayment(created.paymentNo));
      expect(err.code).toBe("conflict");
      expect(err.message).toMatch(/[\u4e00-\u9fff]/);
      expect((await gateway.queryPayment(created.paymentNo)).status).toBe("succeeded");
    });

    it("an expired cashier session closes when queried (test clock), notified once, and cannot be paid", async () => {
      const created = await gateway.createPayment(paymentInput({ expiresAt: new Date(clock.now().getTime() + 10 * 60_000) }));
      const token = tokenOf(created.cashierUrl);
      const page = (await mock.cashier(token))!;
      try {
        clock.advance(11 * 60_000);
        expect(await gateway.queryPayment(created.paymentNo)).toMatchObject({ status: "closed" });
        expect(await mock.pay(token, page.formToken, "paid")).toEqual({ ok: false, why: "closed" });
        expect((await mock.cashier(token))!.status).toBe("closed");
        expect(await gateway.closePayment(created.paymentNo)).toMatchObject({ status: "closed" });
      } finally {
        clock.reset();
      }
      expect((await waitEvents(created.paymentNo, 1))[0]).toMatchObject({ type: "payment.closed", paymentNo: created.paymentNo });
      expect((await outbox(created.paymentNo)).map((n) => n.type)).toEqual(["PAYMENT.CLOSED"]);
    });
  });

  describe("refunds", () => {
    it("partial refunds up to the amount paid; the same refundNo is one refund; settled by notification and query", async () => {
      const p = await paid({ amountFen: 10_000 });
      const r1No = no("RF");
      const r1 = await gateway.refund({ refundNo: r1No, paymentNo: p.paymentNo, amountFen: 3_000, reason: "协商终止退款" });
      expect(r1).toEqual({ refundNo: r1No, paymentNo: p.paymentNo, amountFen: 3_000, status: "processing" });
      expect(await gateway.refund({ refundNo: r1No, paymentNo: p.paymentNo, amountFen: 3_000, reason: "协商终止退款" })).toEqual(r1);
      expect((await refusal(gateway.refund({ refundNo: r1No, paymentNo: p.paymentNo, amountFen: 3_001, reason: "协商终止退款" }))).code).toBe("conflict");
      expect(await gateway.queryRefund(r1No)).toEqual(r1);

      const over = await refusal(gateway.refund({ refundNo: no("RF"), paymentNo: p.paymentNo, amountFen: 7_001, reason: "超额" }));
      expect(over.code).toBe("invalid");
      expect(over.message).toMatch(/[\u4e00-\u9fff]/);
      const r2No = no("RF");
      expect((await gateway.refund({ refundNo: r2No, paymentNo: p.paymentNo, amountFen: 7_000, reason: "余款退回" })).status).toBe("processing");
      expect((await refusal(gateway.refund({ refundNo: no("RF"), paymentNo: p.paymentNo, amountFen: 1, reason: "已退完" }))).code).toBe("invalid");

      expect((await mock.settleDue()).refunds).toBeGreaterThanOrEqual(2);
      const q1 = await gateway.queryRefund(r1No);
      expect(q1).toMatchObject({ refundNo: r1No, paymentNo: p.paymentNo, amountFen: 3_000, status: "succeeded" });
      expect(q1.at).toBeInstanceOf(Date);
      expect((await gateway.queryRefund(r2No)).status).toBe("succeeded");
      expect((await waitEvents(r1No, 1))[0]).toMatchObject({ type: "refund.succeeded", refundNo: r1No, paymentNo: p.paymentNo, amountFen: 3_000 });
      expect((await waitEvents(r2No, 1))[0]).toMatchObject({ type: "refund.succeeded", refundNo: r2No, paymentNo: p.paymentNo, amountFen: 7_000 });
      expect(delivered(r1No)[0]!.body?.event_type).toBe("REFUND.SUCCESS");
      // Retried after completion: still the one refund, now succeeded; nothing more is refunded or notified.
      expect(await gateway.refund({ refundNo: r1No, paymentNo: p.paymentNo, amountFen: 3_000, reason: "协商终止退款" })).toEqual(q1);
      expect((await mock.settleDue()).refunds).toBe(0);
      expect((await outbox(r1No)).map((n) => n.type)).toEqual(["REFUND.SUCCESS"]);
      // The payment itself stays succeeded (a refund is its own object).
      expect((await gateway.queryPayment(p.paymentNo)).status).toBe("succeeded");
    });

    it("refuses a refund of an unpaid payment (conflict), of an unknown one (not_found), and invalid input", async () => {
      const pending = await gateway.createPayment(paymentInput());
      const err = await refusal(gateway.refund({ refundNo: no("RF"), paymentNo: pending.paymentNo, amountFen: 100, reason: "未支付" }));
      expect(err.code).toBe("conflict");
      expect(err.message).toMatch(/[\u4e00-\u9fff]/);
      expect((await refusal(gateway.refund({ refundNo: no("RF"), paymentNo: "PAYNEVERSEEN", amountFen: 100, reason: "无此单" }))).code).toBe("not_found");
      const p = await paid();
      for (const [what, input] of [
        ["amount 0", { amountFen: 0 }],
        ["negative amount", { amountFen: -1 }],
        ["non-integer amount", { amountFen: 1.5 }],
        ["bad refundNo", { refundNo: "x" }],
        ["no reason", { reason: " " }],
      ] as const) {
        const e = await refusal(gateway.refund({ refundNo: no("RF"), paymentNo: p.paymentNo, amountFen: 100, reason: "测试", ...input }));
        expect(e.code, what).toBe("invalid");
      }
      expect((await refusal(gateway.queryRefund("RFNEVERSEEN"))).code).toBe("not_found");
    });
  });

  describe("payouts", () => {
    it("idempotent by payoutNo (other content is a conflict); settled by notification and query", async () => {
      const payoutNo = no("PO");
      const input = { payoutNo, payee: PAYEE, amountFen: 50_000, memo: "补贴券兑付" };
      const a = await gateway.payout(input);
      expect(a).toEqual({ payoutNo, amountFen: 50_000, status: "processing" });
      expect(await gateway.payout(input)).toEqual(a);
      expect((await refusal(gateway.payout({ ...input, amountFen: 50_001 }))).code).toBe("conflict");
      expect((await refusal(gateway.payout({ ...input, payee: { ...PAYEE, accountNumber: "6230580000009999" } }))).code).toBe("conflict");
      expect(await gateway.queryPayout(payoutNo)).toEqual(a);
      for (const bad of [{ amountFen: 0 }, { amountFen: 2.5 }, { payoutNo: "x" }, { payee: { ...PAYEE, accountNumber: "abc" } }, { memo: "" }]) {
        expect((await refusal(gateway.payout({ ...input, payoutNo: no("PO"), ...bad }))).code).toBe("invalid");
      }

      expect((await mock.settleDue()).payouts).toBeGreaterThanOrEqual(1);
      const q = await gateway.queryPayout(payoutNo);
      expect(q).toMatchObject({ payoutNo, amountFen: 50_000, status: "succeeded" });
      expect(q.at).toBeInstanceOf(Date);
      expect((await waitEvents(payoutNo, 1))[0]).toMatchObject({ type: "payout.succeeded", payoutNo, amountFen: 50_000 });
      expect(delivered(payoutNo)[0]!.body?.event_type).toBe("PAYOUT.SUCCESS");
      expect(await gateway.payout(input)).toEqual(q);
      expect((await refusal(gateway.queryPayout("PONEVERSEEN"))).code).toBe("not_found");
    });

    it("the same payoutNo, or refundNo, sent several times at once is one payout, or refund", async () => {
      const payoutNo = no("PO");
      const input = { payoutNo, payee: PAYEE, amountFen: 20_000, memo: "补贴券兑付" };
      const payouts = await Promise.all([1, 2, 3, 4].map(() => gateway.payout(input)));
      expect(payouts.every((p) => p.payoutNo === payoutNo && p.status === "processing" && p.amountFen === 20_000)).toBe(true);

      const p = await paid({ amountFen: 5_000 });
      const refundNo = no("RF");
      const refunds = await Promise.all(
        [1, 2, 3, 4].map(() => gateway.refund({ refundNo, paymentNo: p.paymentNo, amountFen: 5_000, reason: "重复提交" })),
      );
      expect(refunds.every((r) => r.refundNo === refundNo && r.amountFen === 5_000)).toBe(true);
      await mock.settleDue();
      expect((await waitEvents(payoutNo, 1)).map((e) => e.type)).toEqual(["payout.succeeded"]);
      expect((await waitEvents(refundNo, 1)).map((e) => e.type)).toEqual(["refund.succeeded"]);
      expect(await outbox(payoutNo)).toHaveLength(1);
      expect(await outbox(refundNo)).toHaveLength(1);
    });
  });

  describe("notifications", () => {
    const GOLDEN = {
      // A throwaway 2048-bit RSA key made for this vector only (published here; it signs nothing real).
      privateKeyPem: [
        "-----BEGIN PRIVATE KEY-----",
        "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDEzpQ30J2zEb1F",
        "dzgq0rN+VSt3HqC6OWKhnFvsNAxFrvNq0XoxtV6F1rXQ3ZJICTu1H12QCgPtzH3R",
        "lNT1rqPxrXvVleqhbICCO7fGyIlQ1bAPZ4BPnYhlietbHFdVHxpJC8PtXMXRlPgR",
        "HILd/ZbMuHNs0Klb0VU/qONaixnpnuEw5iprlSqSR2PcjEdK6DwY6uKeHRgPw7zb",
        "yEkQOKc86mkG1aRSJbgFrQu+IU5Kv6H3GruE1B6SjoC23j2rneWxb0piV3BGXF0Q",
        "TFWu7MjGLdVjZBaipJ7wuitL+isBqQ4Nb0aCHFkVxjg4xpJfrsS6DqTxAuwQlJbt",
        "RsT3FsL7AgMBAAECggEADbXMaoT8b2yVcGDpR0ZtXagmQoKeNMrpnZOMbcyEbFhP",
        "OcpFBnB5mL5H5TiCR8Vo5Om99VpVQrwjqbWCDmlvn1b0EQGEGmG6JBhv6Yev1TNF",
        "tBUEQceaKGSuwiabyODFToBk0kTLvRlxHJQNY9SWLEXPOK3ilnRjSW+FAxo8oGMj",
        "PWJMpOGS+/Bg8L2JeG06tu8vvFq4sraxHqdq+AyypIB/lZRCeJ5ZCoNvMsaVIA/u",
        "PLLNwXH/CrY2hL/CM8zbPksh/mxznKWPrDlk2Spb6qCy5XKbVPNhFBJOOviLpRr3",
        "0K+sUtZ3ajHoEytcE6XFsPTIEhZDbpzSgLnH4TMvYQKBgQDuXukdKpJZOaO+SRhs",
        "HOEpLH/zugxLZg4MXT7CwNr8MsH/Zxcug8X9tfVNAjY9k4uLkWix+C/jlLAGmL4z",
        "lvckz5MOsjhGhTJf0jRt8hNW2gJivNHt+JlC0Y7xRKPrbJqP6UboZAGFEVy4m3iv",
        "CtQyQXZ7OPypW0/e039k6Ju+oQKBgQDTXLz8s87DBNika3lW6AJ30TMv9gLj9vvu",
        "CvDxopGGTQRE1gDKmE1Mh18N3nF6Jvs2hQmueSuQCtXpu4ilUI/ROBQ70zLCLsbH",
        "VzXQ4n2X4m9ENtiK31Rkl2xdwm+kj44eY2+4OdEFt3ZaICdS//fZ5Ri8d/FQ/Exd",
        "2VXZn5CoGwKBgQDj1IU8okb0zvmpUxXrp4Kxpt245zb/DdEZkjn9TPVBHYZ8hV0L",
        "0Vj40ORfMWEEY7R5toZ5q7yh6aiA9Za9mmonndpxrnfJN1/ZZAFGoJxJY9/p3Y1M",
        "xVI/Iipcgf2mc8wbBp0GWyd0tw6HR9oGe/QrAJSs29/qQuNJF57opMbPYQKBgQCm",
        "6gbJHYo8Elivx7wEOKayToA48POpaYPcocFTYYnA4JNtdP8c/xeURxd20WMWDzC2",
        "Bmv13/TaBOSXd6TawHtCwyGfeRMNrHkINUPnmOWMC6LI4PMzAFkaM0a96G3YLBIU",
        "x3wTpXz/IboSRHApqMDnz3cwZxwoU4ZPWvHkMZHAXwKBgHCV8rNGXz9EDDFa2jY4",
        "vJbP/yB5de/RApKqoRDJtJ3vYw5JAE5Xz/Et0xKnlIDqbswxGlHEP4Hj3okn1/zM",
        "pBoXTLNBhHELGgFGBUV0ZnDWYgxp2jW3WeMODKkMddxH/SuvkAHvksY2C/+sWgzw",
        "h9/5yeGtYQiT42Qnv98uPjJT",
        "-----END PRIVATE KEY-----",
      ].join("\n"),
      timestamp: "1764590400",
      nonce: "abcdefabcdefabcdefabcdefabcdefab",
      body: '{"id":"evt_golden"}',
      // printf '%s\n%s\n%s\n' "$timestamp" "$nonce" "$body" | openssl dgst -sha256 -sign key.pem | base64 -w0
      signature:
        "g05+/61xJhHZrSadiQn685WBiPQGECuZ2iI1RzX81+01mBqxCt51o58ZDpJVM5FqS8aVvoey2/eXQo98tv08u6/B9x8GhtfMwMGr/BdxOPBevS/zU7p/Hm84bgtX2Fi3MdypP4JeBjxLDrUILGe8LKRoTFj2lFE5GQMfWZl0f8Zpu36qtN9cszk0f8vOzHMxxHsNlo23D0YDsUvvf9EYQNHcXtEA84L1MSVIlKKBJKIlxeIgzcgowzzuiEbIK1iU3HGPZKuBt2N222UIi/x2VnMCjVH4ADr2+zMa6JYQrOoEyuzd3YEymyNgnkA7B2azusXNCVDFAJx0K3B0LoOjeg==",
      // openssl pkey -in key.pem -pubout -outform DER | sha256sum | cut -c1-16 (upper case)
      serial: "07F73E3759B66CD3",
    };

    it("the signature scheme's golden vector (computed with openssl): SHA256-with-RSA over timestamp, nonce and body, each with a newline", async () => {
      expect(notificationSignature(GOLDEN.privateKeyPem, GOLDEN.timestamp, GOLDEN.nonce, GOLDEN.body)).toBe(GOLDEN.signature);
      const goldenKeys = keysOf(GOLDEN.privateKeyPem);
      expect(keySerial(goldenKeys.publicKeyPem)).toBe(GOLDEN.serial);
      const message = Buffer.from(`${GOLDEN.timestamp}\n${GOLDEN.nonce}\n${GOLDEN.body}\n`, "utf8");
      expect(verify("sha256", message, goldenKeys.publicKeyPem, Buffer.from(GOLDEN.signature, "base64"))).toBe(true);
      expect(verify("sha256", message, keys.publicKeyPem, Buffer.from(GOLDEN.signature, "base64"))).toBe(false);

      // Through the adapter holding only that key: the signature and the window pass, and the body (no event type) is malformed.
      const golden = mockPay({ db: t.deps.db, clock, jobs: t.deps.jobs, keys: goldenKeys, notifyUrl: rx.url });
      const headers = {
        "X-Mock-Pay-Timestamp": GOLDEN.timestamp,
        "X-Mock-Pay-Nonce": GOLDEN.nonce,
        "X-Mock-Pay-Serial": GOLDEN.serial,
        "X-Mock-Pay-Signature": GOLDEN.signature,
      };
      const rawBody = new TextEncoder().encode(GOLDEN.body);
      const receivedAt = new Date(Number(GOLDEN.timestamp) * 1000 + 1000);
      expect(verdict(await golden.parseNotification({ headers, rawBody, receivedAt }))).toBe("malformed 400");
      const flipped = Buffer.from(GOLDEN.signature, "base64");
      flipped[10] = flipped[10]! ^ 0x01;
      expect(
        verdict(await golden.parseNotification({ headers: { ...headers, "X-Mock-Pay-Signature": flipped.toString("base64") }, rawBody, receivedAt })),
      ).toBe("signature 401");
      expect(verdict(await gateway.parseNotification({ headers, rawBody, receivedAt }))).toBe("signature 401");
    });

    it("refuses a tampered body, another key, a wrong serial, a stale timestamp, missing headers; malformed bodies are malformed; nothing throws", async () => {
      const created = await paid();
      await waitEvents(created.paymentNo, 1);
      const real = delivered(created.paymentNo)[0]!;
      const receivedAt = real.receivedAt;
      expect(verdict(await gateway.parseNotification(request(real)))).toBe("accepted");

      const tampered = new Uint8Array(real.raw);
      const at = Buffer.from(tampered).indexOf(Buffer.from(String(12_345)));
      tampered[at] = "9".charCodeAt(0);
      expect(verdict(await gateway.parseNotification({ headers: real.headers, rawBody: tampered, receivedAt }))).toBe("signature 401");

      const body = Buffer.from(real.raw).toString("utf8");
      const ts = Number(real.headers["x-mock-pay-timestamp"]);
      const stranger = newMockPayKeys();
      // Another key under our serial; our key under another serial; another key under its own serial.
      expect(
        verdict(await gateway.parseNotification(signed(body, { keys: stranger, serial: keySerial(keys.publicKeyPem), timestamp: ts, receivedAt }))),
      ).toBe("signature 401");
      expect(verdict(await gateway.parseNotification(signed(body, { serial: keySerial(stranger.publicKeyPem), timestamp: ts, receivedAt })))).toBe(
        "signature 401",
      );
      expect(verdict(await gateway.parseNotification(signed(body, { keys: stranger, timestamp: ts, receivedAt })))).toBe("signature 401");
      expect(verdict(await gateway.parseNotification({ ...request(real), headers: { ...real.headers, "x-mock-pay-serial": "0000000000000000" } }))).toBe(
        "signature 401",
      );

      // The 5-minute window, both ways (6 minutes off is stale; 4 minutes 59 is fine).
      const off = (ms: number) => ({ ...request(real), receivedAt: new Date(ts * 1000 + ms) });
      expect(verdict(await gateway.parseNotification(off(6 * 60_000)))).toBe("stale 401");
      expect(verdict(await gateway.parseNotification(off(-6 * 60_000)))).toBe("stale 401");
      expect(verdict(await gateway.parseNotification(off(299_000)))).toBe("accepted");
      expect(verdict(await gateway.parseNotification({ ...request(real), receivedAt: new Date(Number.NaN) }))).toBe("stale 401");

      // Missing or garbled headers.
      expect(verdict(await gateway.parseNotification({ headers: {}, rawBody: real.raw, receivedAt }))).toBe("signature 401");
      for (const h of ["x-mock-pay-timestamp", "x-mock-pay-nonce", "x-mock-pay-serial", "x-mock-pay-signature"]) {
        const { [h]: _gone, ...rest } = real.headers;
        expect(verdict(await gateway.parseNotification({ headers: rest, rawBody: real.raw, receivedAt })), h).toBe("signature 401");
      }
      for (const [h, v] of [
        ["x-mock-pay-signature", "!!!not base64!!!"],
        ["x-mock-pay-signature", "AAAA"],
        ["x-mock-pay-timestamp", "soon"],
        ["x-mock-pay-nonce", "short"],
      ]) {
        expect(verdict(await gateway.parseNotification({ ...request(real), headers: { ...real.headers, [h!]: v! } })), `${h}: ${v}`).toBe("signature 401");
      }

      // Correctly signed, but not a notification.
      const malformed = [
        "{not json",
        new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
        "[]",
        "null",
        JSON.stringify({ id: "evt_x", event_type: "PAYMENT.SUCCESS", create_time: clock.now().toISOString(), resource: { out_trade_no: "PAY123456" } }),
        JSON.stringify({ id: "evt_x", event_type: "PAYMENT.SUCCESS", create_time: "yesterday", resource: {} }),
        JSON.stringify({
          id: "evt_x",
          event_type: "PAYMENT.SUCCESS",
          create_time: clock.now().toISOString(),
          resource: { out_trade_no: "PAY123456", transaction_id: "tx_1", amount: -5, success_time: clock.now().toISOString() },
        }),
        JSON.stringify({ event_type: "REFUND.SUCCESS", create_time: clock.now().toISOString(), resource: {} }),
      ];
      for (const b of malformed) {
        const r = await gateway.parseNotification(signed(b));
        expect(verdict(r), String(b)).toBe("malformed 400");
        expect(r.ack.status).toBeGreaterThanOrEqual(400);
        expect(r.ack.status).toBeLessThan(500);
      }
      // Nonsense of every kind never throws.
      expect(
        (await gateway.parseNotification({ headers: { "x-mock-pay-signature": "x" }, rawBody: new Uint8Array(), receivedAt: new Date(Number.NaN) })).ok,
      ).toBe(false);
    });

    it("an unknown event type in a correctly signed body is acknowledged and normalised as `unknown`", async () => {
      const body = JSON.stringify({ id: "evt_unknown_1", event_type: "TRANSFER.ARCHIVED", create_time: clock.now().toISOString(), resource: { x: 1 } });
      const parsed = await gateway.parseNotification(signed(body));
      expect(parsed).toEqual({
        ok: true,
        events: [{ eventId: "evt_unknown_1", occurredAt: expect.any(Date), type: "unknown", vendorType: "TRANSFER.ARCHIVED" }],
        ack: expect.objectContaining({ status: 204 }),
      });
    });

    it("the duplicates switch delivers the same notification (same body, same id) twice", async () => {
      const created = await gateway.createPayment(paymentInput());
      mock.setDelivery({ duplicates: true });
      try {
        expect((await choose(created.cashierUrl, "paid")).ok).toBe(true);
      } finally {
        mock.setDelivery({ duplicates: false });
      }
      const events = await waitEvents(created.paymentNo, 2);
      const [one, two] = delivered(created.paymentNo);
      expect(Buffer.from(one!.raw).equals(Buffer.from(two!.raw))).toBe(true);
      expect(one!.headers["x-mock-pay-nonce"]).not.toBe(two!.headers["x-mock-pay-nonce"]);
      expect(events.map((e) => e.type)).toEqual(["payment.succeeded", "payment.succeeded"]);
      expect(events[0]!.eventId).toBe(events[1]!.eventId);
      const [entry] = await outbox(created.paymentNo);
      await until(async () => (await outbox(created.paymentNo))[0]?.deliveredAt);
      expect((await outbox(created.paymentNo))[0]).toMatchObject({ id: entry!.id, deliveries: 2, attempts: 1 });
      // The switch is off again: the next one comes once.
      const next = await paid();
      await waitEvents(next.paymentNo, 1);
      await until(async () => (await outbox(next.paymentNo))[0]?.deliveredAt);
      expect(delivered(next.paymentNo)).toHaveLength(1);
    });

    it("the late switch holds the notification: queryPayment already says succeeded (the query fallback), releaseHeld delivers it", async () => {
      const created = await gateway.createPayment(paymentInput());
      mock.setDelivery({ late: true });
      try {
        expect((await choose(created.cashierUrl, "paid")).ok).toBe(true);
      } finally {
        mock.setDelivery({ late: false });
      }
      expect(await gateway.queryPayment(created.paymentNo)).toMatchObject({ status: "succeeded", amountFen: 12_345 });
      // Held: neither the delivery job nor a sweep sends it.
      await mock.deliverDue();
      expect(rx.for(created.paymentNo)).toEqual([]);
      expect((await outbox(created.paymentNo))[0]).toMatchObject({ type: "PAYMENT.SUCCESS", deliveredAt: null, attempts: 0 });

      expect(await mock.releaseHeld()).toBe(1);
      const [event] = await waitEvents(created.paymentNo, 1);
      expect(event).toMatchObject({ type: "payment.succeeded", paymentNo: created.paymentNo, amountFen: 12_345 });
      expect(await mock.releaseHeld()).toBe(0);
    });

    it("retries a notification answered 500 with the same body and id (attempts counted), and gives up after the last back-off", async () => {
      const paymentNo = no("PAY");
      rx.failFor(paymentNo, 2);
      await paid({ paymentNo });
      await until(() => delivered(paymentNo).length >= 1, 20_000, "the third attempt");
      const attempts = rx.for(paymentNo);
      expect(attempts.map((r) => r.status)).toEqual([500, 500, 204]);
      expect(new Set(attempts.map((r) => Buffer.from(r.raw).toString("hex"))).size).toBe(1);
      expect(new Set(attempts.map((r) => r.body?.id)).size).toBe(1);
      // Each attempt is signed afresh (its own timestamp and nonce) and verifies on its own.
      expect(new Set(attempts.map((r) => r.headers["x-mock-pay-nonce"])).size).toBe(3);
      for (const r of attempts) expect(verdict(await gateway.parseNotification(request(r)))).toBe("accepted");
      await until(async () => (await outbox(paymentNo))[0]?.deliveredAt);
      expect((await outbox(paymentNo))[0]).toMatchObject({ id: attempts[0]!.body!.id, attempts: 3, deliveries: 1 });

      const lost = no("PAY");
      rx.failFor(lost, Number.POSITIVE_INFINITY);
      await paid({ paymentNo: lost });
      await until(async () => (await outbox(lost))[0]?.attempts === FAST_RETRIES.length + 1, 20_000, "given up");
      expect(rx.for(lost)).toHaveLength(FAST_RETRIES.length + 1);
      expect(await mock.deliverDue()).toBe(0);
      expect(rx.for(lost)).toHaveLength(FAST_RETRIES.length + 1);
      expect((await outbox(lost))[0]).toMatchObject({ deliveredAt: null, deliveries: 0 });
      // The platform's query covers what the notifications did not bring.
      expect((await gateway.queryPayment(lost)).status).toBe("succeeded");
    });
  });
});
