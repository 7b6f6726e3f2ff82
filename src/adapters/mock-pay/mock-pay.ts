import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Logger } from "pino";
import { camelRow } from "../../lib/rows.ts";
import type { Clock } from "../../ports/clock.ts";
import type { Db } from "../../ports/db.ts";
import type { Jobs } from "../../ports/jobs.ts";
import {
  type BankAccountRef,
  type CreatedPayment,
  type Payment,
  type PaymentGateway,
  PaymentGatewayError,
  type Payout,
  type Refund,
} from "../../ports/payments.ts";
import type { MockPayKeys } from "./key.ts";
import {
  type MockPayEventType,
  NONCE_HEADER,
  SERIAL_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  keySerial,
  notificationSignature,
  parseMockNotification,
} from "./notification.ts";

/**
 * The mock payment gateway (docs/payments.md "The mock cashier"): a bank gateway's behaviour on the
 * platform's database in tables of its own, its hosted cashier (routes.ts), RSA-signed notifications
 * posted to the platform over real HTTP by a delivery job, retried with back-off; refunds, payouts
 * and 稍后到账 payments completed asynchronously (the minute tick, or `settleDue()` in tests).
 */
export const DELIVER_JOB = "mock-pay-deliver";
export const TICK_JOB = "mock-pay-tick";
export const TICK_CRON = "* * * * *";
export const RETRY_DELAYS_MS = [15_000, 30_000, 180_000, 600_000, 1_800_000] as const;
/** The longest a cashier session may stay open. */
export const MAX_PAYMENT_HOURS = 72;
const LEASE_MS = 60_000;
const POST_TIMEOUT_MS = 10_000;
const PAYMENT_NO = /^[A-Za-z0-9_-]{6,32}$/;
const ACCOUNT_NO = /^\d{6,32}$/;
const MAX_FEN = 100_000_000_000; // ¥10亿, a bound no single payment here reaches

/** Test switches: `failPayouts` makes the bank refuse every payout it completes (收款账户状态异常). */
export type MockPayDelivery = { duplicates: boolean; late: boolean; failPayouts: boolean };
/** The reason the mock bank gives for a payout it refuses. */
export const MOCK_PAYOUT_FAILURE = "收款账户状态异常，银行退回（模拟）";
export type MockPayOptions = {
  db: Db;
  clock: Clock;
  jobs: Jobs;
  log?: Logger;
  keys: MockPayKeys;
  /** Where notifications are posted (the platform's /callbacks/pay). */
  notifyUrl: string;
  /** Prefix of the cashier's URLs: "" (root-relative, this server) or an origin. */
  pageBase?: string;
  retryDelaysMs?: readonly number[];
  /** How a notification is posted: the global fetch by default; a test may deliver into its app. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
};

type PaymentRow = {
  paymentNo: string;
  transactionId: string;
  orderNumber: string;
  kind: "deposit" | "balance";
  amountFen: number;
  subject: string;
  payerName: string;
  payerBank: string;
  payerMasked: string;
  payeeName: string;
  payeeBank: string;
  payeeMasked: string;
  status: Payment["status"];
  confirmLater: boolean;
  reason: string | null;
  returnUrl: string;
  tokenHash: string;
  fingerprint: string;
  expiresAt: Date;
  paidAt: Date | null;
  createdAt: Date;
  endedAt: Date | null;
};
type RefundRow = {
  refundNo: string;
  paymentNo: string;
  amountFen: number;
  reason: string;
  status: Refund["status"];
  createdAt: Date;
  endedAt: Date | null;
};
type PayoutRow = { payoutNo: string; amountFen: number; fingerprint: string; status: Payout["status"]; createdAt: Date; endedAt: Date | null };

/** What the cashier page shows and does (routes.ts renders it). */
export type CashierView = {
  paymentNo: string;
  orderNumber: string;
  subject: string;
  amountFen: number;
  payer: { name: string; bank: string; masked: string };
  payee: { name: string; bank: string; masked: string };
  status: Payment["status"];
  confirmLater: boolean;
  expiresAt: Date;
  returnUrl: string;
  formToken: string;
};
export type CashierOutcome = "paid" | "failed" | "later";

export interface MockPayGateway extends PaymentGateway {
  readonly provider: "mock";
  readonly publicKeyPem: string;
  /** Test switches: every notification twice; hold notifications until `releaseHeld()`. */
  setDelivery(d: Partial<MockPayDelivery>): void;
  releaseHeld(): Promise<number>;
  /** Completes what a bank completes later: processing refunds and payouts, 稍后到账 payments; expires due sessions. */
  settleDue(): Promise<{ payments: number; refunds: number; payouts: number; closed: number }>;
  /** Posts every notification that is due now (what the delivery jobs do). */
  deliverDue(): Promise<number>;
  startWorkers(): Promise<void>;
  /** The cashier page's data for a token (undefined when unknown). */
  cashier(token: string): Promise<CashierView | undefined>;
  /** The payer's choice on the cashier; refused (false) unless the session is open and the form token matches. */
  pay(
    token: string,
    formToken: string,
    outcome: CashierOutcome,
  ): Promise<{ ok: true; returnUrl: string } | { ok: false; why: "missing" | "forbidden" | "closed" }>;
  notifications(): Promise<{ id: string; type: string; body: string; deliveredAt: Date | null; deliveries: number; attempts: number }[]>;
}

export function asMockPay(p: PaymentGateway | undefined): MockPayGateway | undefined {
  return p?.provider === "mock" ? (p as MockPayGateway) : undefined;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const mask = (n: string) => `**** ${n.slice(-4)}`;
const invalid = (m: string) => new PaymentGatewayError("invalid", m);
const conflict = (m: string) => new PaymentGatewayError("conflict", m);
const notFound = (m: string) => new PaymentGatewayError("not_found", m);
const text = (v: unknown, max: number, message: string) => {
  const s = typeof v === "string" ? v.trim() : "";
  if (!s || s.length > max) throw invalid(message);
  return s;
};
const fen = (v: unknown) => {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0 || v > MAX_FEN) throw invalid("金额必须为正整数（分）");
  return v;
};
function account(a: BankAccountRef | undefined, who: string) {
  const accountName = text(a?.accountName, 100, `${who}户名不能为空`);
  const bankName = text(a?.bankName, 100, `${who}开户银行不能为空`);
  const accountNumber = text(a?.accountNumber, 32, `${who}账号格式不正确`).replace(/\s/g, "");
  if (!ACCOUNT_NO.test(accountNumber)) throw invalid(`${who}账号格式不正确`);
  return { accountName, bankName, accountNumber };
}
function returnUrl(v: unknown) {
  const s = text(v, 2000, "返回地址不正确");
  if (!(s.startsWith("/") && !s.startsWith("//")) && !/^https?:\/\//.test(s)) throw invalid("返回地址不正确");
  return s;
}

export function mockPay(opts: MockPayOptions): MockPayGateway {
  const { db, jobs, log } = opts;
  const now = () => opts.clock.now();
  const send = opts.fetch ?? ((url: string, init: RequestInit) => fetch(url, init));
  const delays = opts.retryDelaysMs ?? RETRY_DELAYS_MS;
  const pageBase = opts.pageBase ?? "";
  const serial = keySerial(opts.keys.publicKeyPem);
  const delivery: MockPayDelivery = { duplicates: false, late: false, failPayouts: false };
  // The cashier form's token: an HMAC of the link's token hash keyed with the cashier's private key, so
  // that nobody holding only the link (or another cashier's key) can make one.
  const formTokenOf = (tokenHash: string) => createHmac("sha256", opts.keys.privateKeyPem).update(`form:${tokenHash}`).digest("base64url");
  const formTokenOk = (tokenHash: string, sent: unknown) => {
    const want = Buffer.from(formTokenOf(tokenHash));
    const got = Buffer.from(typeof sent === "string" ? sent : "");
    return got.length === want.length && timingSafeEqual(got, want);
  };

  const paymentRow = async (d: Db, no: string, lock = false) => {
    const [r] = await d.query(`select * from mock_pay_payments where payment_no = $1${lock ? " for update" : ""}`, [no]);
    return r ? camelRow<PaymentRow>(r) : undefined;
  };
  const asPayment = (p: PaymentRow): Payment => ({
    paymentNo: p.paymentNo,
    gatewayPaymentId: p.transactionId,
    status: p.status,
    amountFen: Number(p.amountFen),
    ...(p.paidAt ? { paidAt: p.paidAt } : {}),
    ...(p.reason ? { reason: p.reason } : {}),
  });
  const asRefund = (r: RefundRow): Refund => ({
    refundNo: r.refundNo,
    paymentNo: r.paymentNo,
    amountFen: Number(r.amountFen),
    status: r.status,
    ...(r.endedAt ? { at: r.endedAt } : {}),
  });
  const asPayout = (p: PayoutRow): Payout => ({
    payoutNo: p.payoutNo,
    amountFen: Number(p.amountFen),
    status: p.status,
    ...(p.endedAt ? { at: p.endedAt } : {}),
  });

  /** Writes a notification to the outbox in the transaction of its change; its delivery is queued after commit. */
  async function emit(tx: Db, type: MockPayEventType, resource: Record<string, unknown>) {
    const at = now();
    const id = `evt_${randomBytes(12).toString("hex")}`;
    const body = JSON.stringify({ id, event_type: type, create_time: at.toISOString(), resource });
    await tx.query("insert into mock_pay_events (id, type, body, duplicate, held, next_attempt_at, created_at) values ($1, $2, $3, $4, $5, $6, $6)", [
      id,
      type,
      body,
      delivery.duplicates,
      delivery.late,
      at,
    ]);
    if (!delivery.late) tx.afterCommit(() => queue(id));
  }

  async function queue(eventId: string, startAfter?: Date) {
    try {
      await jobs.send(DELIVER_JOB, { eventId }, startAfter ? { startAfter } : {});
    } catch (err) {
      log?.warn({ err: (err as Error).message, eventId }, "mock cashier notification left for the next tick");
    }
  }

  async function post(body: string): Promise<{ ok: boolean; status: number | null; error: string }> {
    const timestamp = String(Math.floor(now().getTime() / 1000));
    const nonce = randomBytes(16).toString("hex");
    try {
      const res = await send(opts.notifyUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/json; charset=utf-8",
          [TIMESTAMP_HEADER]: timestamp,
          [NONCE_HEADER]: nonce,
          [SERIAL_HEADER]: serial,
          [SIGNATURE_HEADER]: notificationSignature(opts.keys.privateKeyPem, timestamp, nonce, body),
          "User-Agent": "mock-pay/1",
        },
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(POST_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      return { ok: res.status >= 200 && res.status < 300, status: res.status, error: res.status >= 300 ? `HTTP ${res.status}` : "" };
    } catch (err) {
      return { ok: false, status: null, error: (err as Error).message || "request failed" };
    }
  }

  async function deliver(eventId: string) {
    const at = now();
    const [row] = await db.query<{ id: string; body: string; duplicate: boolean; attempts: number }>(
      `update mock_pay_events set lease_until = $2
       where id = $1 and delivered_at is null and given_up_at is null and not held and (lease_until is null or lease_until < $3)
       returning id, body, duplicate, attempts`,
      [eventId, new Date(at.getTime() + LEASE_MS), at],
    );
    if (!row) return;
    const first = await post(row.body);
    if (first.ok) {
      let deliveries = 1;
      if (row.duplicate && (await post(row.body)).ok) deliveries = 2;
      await db.query(
        "update mock_pay_events set delivered_at = $2, deliveries = $3, attempts = attempts + 1, last_status = $4, lease_until = null where id = $1",
        [row.id, now(), deliveries, first.status],
      );
      return;
    }
    const attempts = row.attempts + 1;
    const delay = delays[attempts - 1];
    if (delay === undefined) {
      await db.query("update mock_pay_events set attempts = $2, given_up_at = $3, last_status = $4, last_error = $5, lease_until = null where id = $1", [
        row.id,
        attempts,
        now(),
        first.status,
        first.error.slice(0, 200),
      ]);
      log?.warn({ eventId: row.id, attempts }, "mock cashier gave up a notification");
      return;
    }
    const next = new Date(now().getTime() + delay);
    await db.query("update mock_pay_events set attempts = $2, next_attempt_at = $3, last_status = $4, last_error = $5, lease_until = null where id = $1", [
      row.id,
      attempts,
      next,
      first.status,
      first.error.slice(0, 200),
    ]);
    await queue(row.id, next);
  }

  /** Ends a payment that is still pending (false when it already ended). */
  async function endPayment(tx: Db, p: PaymentRow, status: "succeeded" | "failed" | "closed", reason?: string): Promise<boolean> {
    const at = now();
    const rows = await tx.query(
      `update mock_pay_payments set status = $2, reason = $3, paid_at = $4, ended_at = $5, confirm_later = false
       where payment_no = $1 and status = 'pending' returning payment_no`,
      [p.paymentNo, status, reason ?? null, status === "succeeded" ? at : null, at],
    );
    if (!rows.length) return false;
    if (status === "succeeded") {
      await emit(tx, "PAYMENT.SUCCESS", {
        out_trade_no: p.paymentNo,
        transaction_id: p.transactionId,
        amount: Number(p.amountFen),
        success_time: at.toISOString(),
      });
    } else if (status === "failed") await emit(tx, "PAYMENT.FAILED", { out_trade_no: p.paymentNo, reason: reason ?? "支付失败" });
    else await emit(tx, "PAYMENT.CLOSED", { out_trade_no: p.paymentNo });
    return true;
  }

  /** An open cashier session past its expiry (a 稍后到账 payment waits for its bank instead). */
  const expired = (p: PaymentRow) => p.status === "pending" && !p.confirmLater && p.expiresAt.getTime() <= now().getTime();

  /** A pending payment past its expiry closes when next looked at (or on the tick). */
  async function current(no: string): Promise<PaymentRow | undefined> {
    const p = await paymentRow(db, no);
    if (p && expired(p)) {
      await db.transaction(async (tx) => {
        const locked = await paymentRow(tx, no, true);
        if (locked) await endPayment(tx, locked, "closed");
      });
      return paymentRow(db, no);
    }
    return p;
  }

  const gateway: MockPayGateway = {
    provider: "mock",
    publicKeyPem: opts.keys.publicKeyPem,

    async createPayment(input): Promise<CreatedPayment> {
      const paymentNo = text(input?.paymentNo, 32, "支付单号格式不正确");
      if (!PAYMENT_NO.test(paymentNo)) throw invalid("支付单号格式不正确");
      if (input.kind !== "deposit" && input.kind !== "balance") throw invalid("支付类型不正确");
      const amountFen = fen(input.amountFen);
      const orderNumber = text(input.orderNumber, 40, "订单编号不能为空");
      const subject = text(input.subject, 100, "支付说明不能为空");
      const payer = account(input.payer, "付款方");
      const payee = account(input.payee, "收款方");
      if (payer.accountNumber === payee.accountNumber) throw invalid("付款账号与收款账号不能相同");
      const back = returnUrl(input.returnUrl);
      const at = now();
      const expiresAt = input.expiresAt instanceof Date ? input.expiresAt : new Date(Number.NaN);
      if (Number.isNaN(expiresAt.getTime()) || expiresAt <= at || expiresAt.getTime() - at.getTime() > MAX_PAYMENT_HOURS * 3_600_000) {
        throw invalid("支付有效期不正确");
      }
      const fingerprint = sha256(JSON.stringify([orderNumber, input.kind, amountFen, payer.accountNumber, payee.accountNumber]));
      const token = randomBytes(32).toString("base64url");
      const tokenHash = sha256(token);
      const row = await db.transaction(async (tx) => {
        /** The same payment asked again: the same payment (closed first if its session expired), with a fresh cashier link (the old one stops working). */
        const again = async (existing: PaymentRow): Promise<PaymentRow> => {
          if (existing.fingerprint !== fingerprint) throw conflict("该支付单号已用于另一笔支付");
          let p = existing;
          if (expired(p) && (await endPayment(tx, p, "closed"))) p = (await paymentRow(tx, paymentNo))!;
          await tx.query("update mock_pay_payments set token_hash = $2, return_url = $3 where payment_no = $1", [paymentNo, tokenHash, back]);
          return { ...p, tokenHash, returnUrl: back };
        };
        const existing = await paymentRow(tx, paymentNo, true);
        if (existing) return again(existing);
        // A concurrent first request with the same number inserts nothing here and waits for the other's commit.
        const [r] = await tx.query(
          `insert into mock_pay_payments (payment_no, transaction_id, order_number, kind, amount_fen, subject, payer_name, payer_bank, payer_masked,
             payee_name, payee_bank, payee_masked, return_url, token_hash, fingerprint, expires_at, created_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
           on conflict (payment_no) do nothing returning *`,
          [
            paymentNo,
            `tx_${randomBytes(12).toString("hex")}`,
            orderNumber,
            input.kind,
            amountFen,
            subject,
            payer.accountName,
            payer.bankName,
            mask(payer.accountNumber),
            payee.accountName,
            payee.bankName,
            mask(payee.accountNumber),
            back,
            tokenHash,
            fingerprint,
            expiresAt,
            at,
          ],
        );
        return r ? camelRow<PaymentRow>(r) : again((await paymentRow(tx, paymentNo, true))!);
      });
      return { ...asPayment(row), cashierUrl: `${pageBase}/mock-pay/cashier/${token}`, expiresAt: row.expiresAt };
    },

    async queryPayment(paymentNo) {
      const p = await current(String(paymentNo ?? ""));
      if (!p) throw notFound("支付单不存在");
      return asPayment(p);
    },

    async closePayment(paymentNo) {
      const p = await current(String(paymentNo ?? ""));
      if (!p) throw notFound("支付单不存在");
      if (p.status === "succeeded") throw conflict("该笔支付已成功，不能关闭");
      // The payer paid and the bank has yet to confirm (稍后到账): like a gateway's ORDERPAID, not closable.
      if (p.status === "pending" && p.confirmLater) throw conflict("该笔支付银行处理中，不能关闭");
      if (p.status === "pending") {
        await db.transaction(async (tx) => {
          const locked = await paymentRow(tx, p.paymentNo, true);
          if (locked && !locked.confirmLater) await endPayment(tx, locked, "closed");
        });
      }
      const after = (await paymentRow(db, p.paymentNo))!;
      if (after.status === "succeeded") throw conflict("该笔支付已成功，不能关闭");
      return asPayment(after);
    },

    async refund(input) {
      const refundNo = text(input?.refundNo, 32, "退款单号格式不正确");
      if (!PAYMENT_NO.test(refundNo)) throw invalid("退款单号格式不正确");
      const amountFen = fen(input.amountFen);
      const reason = text(input.reason, 200, "请填写退款原因");
      return db.transaction(async (tx) => {
        const p = await paymentRow(tx, String(input.paymentNo ?? ""), true);
        if (!p) throw notFound("支付单不存在");
        const [existing] = await tx.query("select * from mock_pay_refunds where refund_no = $1", [refundNo]);
        if (existing) {
          const r = camelRow<RefundRow>(existing);
          if (r.paymentNo !== p.paymentNo || Number(r.amountFen) !== amountFen) throw conflict("该退款单号已用于另一笔退款");
          return asRefund(r);
        }
        if (p.status !== "succeeded") throw conflict("该笔支付未成功，不能退款");
        const [sum] = await tx.query<{ n: string }>(
          "select coalesce(sum(amount_fen), 0)::text as n from mock_pay_refunds where payment_no = $1 and status <> 'failed'",
          [p.paymentNo],
        );
        if (Number(sum!.n) + amountFen > Number(p.amountFen)) throw invalid("退款金额超过可退金额");
        const [r] = await tx.query(
          "insert into mock_pay_refunds (refund_no, payment_no, amount_fen, reason, created_at) values ($1, $2, $3, $4, $5) returning *",
          [refundNo, p.paymentNo, amountFen, reason, now()],
        );
        return asRefund(camelRow<RefundRow>(r!));
      });
    },

    async queryRefund(refundNo) {
      const [r] = await db.query("select * from mock_pay_refunds where refund_no = $1", [String(refundNo ?? "")]);
      if (!r) throw notFound("退款单不存在");
      return asRefund(camelRow<RefundRow>(r));
    },

    async payout(input) {
      const payoutNo = text(input?.payoutNo, 32, "付款单号格式不正确");
      if (!PAYMENT_NO.test(payoutNo)) throw invalid("付款单号格式不正确");
      const amountFen = fen(input.amountFen);
      const payee = account(input.payee, "收款方");
      const memo = text(input.memo, 100, "请填写付款用途");
      const fingerprint = sha256(JSON.stringify([payee.accountNumber, amountFen]));
      // A concurrent first request with the same number inserts nothing and then reads the other's payout.
      const [inserted] = await db.query(
        `insert into mock_pay_payouts (payout_no, payee_name, payee_bank, payee_masked, amount_fen, memo, fingerprint, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (payout_no) do nothing returning *`,
        [payoutNo, payee.accountName, payee.bankName, mask(payee.accountNumber), amountFen, memo, fingerprint, now()],
      );
      if (inserted) return asPayout(camelRow<PayoutRow>(inserted));
      const [existing] = await db.query("select * from mock_pay_payouts where payout_no = $1", [payoutNo]);
      const p = camelRow<PayoutRow>(existing!);
      if (p.fingerprint !== fingerprint) throw conflict("该付款单号已用于另一笔付款");
      return asPayout(p);
    },

    async queryPayout(payoutNo) {
      const [r] = await db.query("select * from mock_pay_payouts where payout_no = $1", [String(payoutNo ?? "")]);
      if (!r) throw notFound("付款单不存在");
      return asPayout(camelRow<PayoutRow>(r));
    },

    async parseNotification(req) {
      try {
        return parseMockNotification(opts.keys.publicKeyPem, req);
      } catch {
        return { ok: false, reason: "malformed", ack: { status: 400, contentType: "application/json", body: '{"code":"MALFORMED"}' } };
      }
    },

    // ---- test and console controls ----

    setDelivery(d) {
      if (d.duplicates !== undefined) delivery.duplicates = d.duplicates;
      if (d.late !== undefined) delivery.late = d.late;
      if (d.failPayouts !== undefined) delivery.failPayouts = d.failPayouts;
    },

    async releaseHeld() {
      const rows = await db.query<{ id: string }>("update mock_pay_events set held = false, next_attempt_at = $1 where held returning id", [now()]);
      for (const r of rows) await queue(r.id);
      return rows.length;
    },

    async settleDue() {
      const out = { payments: 0, refunds: 0, payouts: 0, closed: 0 };
      const later = await db.query<{ payment_no: string }>("select payment_no from mock_pay_payments where status = 'pending' and confirm_later");
      for (const { payment_no } of later) {
        await db.transaction(async (tx) => {
          const p = await paymentRow(tx, payment_no, true);
          if (p && (await endPayment(tx, p, "succeeded"))) out.payments++;
        });
      }
      const expired = await db.query<{ payment_no: string }>(
        "select payment_no from mock_pay_payments where status = 'pending' and not confirm_later and expires_at <= $1",
        [now()],
      );
      for (const { payment_no } of expired) {
        await db.transaction(async (tx) => {
          const p = await paymentRow(tx, payment_no, true);
          if (p && (await endPayment(tx, p, "closed"))) out.closed++;
        });
      }
      const refunds = await db.query<{ refund_no: string }>("select refund_no from mock_pay_refunds where status = 'processing' order by created_at");
      for (const { refund_no } of refunds) {
        await db.transaction(async (tx) => {
          const [r] = await tx.query(
            "update mock_pay_refunds set status = 'succeeded', ended_at = $2 where refund_no = $1 and status = 'processing' returning *",
            [refund_no, now()],
          );
          if (!r) return;
          const row = camelRow<RefundRow>(r);
          await emit(tx, "REFUND.SUCCESS", { out_refund_no: row.refundNo, out_trade_no: row.paymentNo, amount: Number(row.amountFen) });
          out.refunds++;
        });
      }
      const payouts = await db.query<{ payout_no: string }>("select payout_no from mock_pay_payouts where status = 'processing' order by created_at");
      for (const { payout_no } of payouts) {
        await db.transaction(async (tx) => {
          const failing = delivery.failPayouts;
          const [r] = await tx.query("update mock_pay_payouts set status = $3, ended_at = $2 where payout_no = $1 and status = 'processing' returning *", [
            payout_no,
            now(),
            failing ? "failed" : "succeeded",
          ]);
          if (!r) return;
          if (failing) await emit(tx, "PAYOUT.FAILED", { out_batch_no: payout_no, reason: MOCK_PAYOUT_FAILURE });
          else await emit(tx, "PAYOUT.SUCCESS", { out_batch_no: payout_no, amount: Number(r.amount_fen) });
          out.payouts++;
        });
      }
      return out;
    },

    async deliverDue() {
      const at = now();
      const rows = await db.query<{ id: string }>(
        `select id from mock_pay_events where delivered_at is null and given_up_at is null and not held and next_attempt_at <= $1
           and (lease_until is null or lease_until < $1) order by seq limit 200`,
        [at],
      );
      for (const r of rows) await deliver(r.id);
      return rows.length;
    },

    async startWorkers() {
      await jobs.work(DELIVER_JOB, async (job) => {
        const id = job.data.eventId;
        if (typeof id === "string") await deliver(id);
      });
      await jobs.work(TICK_JOB, async () => {
        const settled = await gateway.settleDue();
        const resent = await gateway.deliverDue();
        if (settled.payments || settled.refunds || settled.payouts || settled.closed || resent) log?.info({ ...settled, resent }, "mock cashier tick");
      });
      await jobs.schedule(TICK_JOB, TICK_CRON);
    },

    async cashier(token) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(String(token))) return undefined;
      const [r] = await db.query("select payment_no from mock_pay_payments where token_hash = $1", [sha256(token)]);
      if (!r) return undefined;
      const p = (await current(String(r.payment_no)))!;
      return {
        paymentNo: p.paymentNo,
        orderNumber: p.orderNumber,
        subject: p.subject,
        amountFen: Number(p.amountFen),
        payer: { name: p.payerName, bank: p.payerBank, masked: p.payerMasked },
        payee: { name: p.payeeName, bank: p.payeeBank, masked: p.payeeMasked },
        status: p.status,
        confirmLater: p.confirmLater,
        expiresAt: p.expiresAt,
        returnUrl: p.returnUrl,
        formToken: formTokenOf(p.tokenHash),
      };
    },

    async pay(token, formToken, outcome) {
      const view = await gateway.cashier(token);
      if (!view) return { ok: false, why: "missing" };
      // Only the page's three buttons (a tampered form's outcome must not fail the payment).
      if (outcome !== "paid" && outcome !== "failed" && outcome !== "later") return { ok: false, why: "forbidden" };
      if (!formTokenOk(sha256(token), formToken)) return { ok: false, why: "forbidden" };
      if (view.status !== "pending" || view.confirmLater) return { ok: false, why: "closed" };
      const done = await db.transaction(async (tx) => {
        const p = await paymentRow(tx, view.paymentNo, true);
        if (p?.status !== "pending" || p.confirmLater) return false;
        if (outcome === "later") {
          await tx.query("update mock_pay_payments set confirm_later = true where payment_no = $1", [p.paymentNo]);
          return true;
        }
        return endPayment(tx, p, outcome === "paid" ? "succeeded" : "failed", outcome === "failed" ? "付款方账户余额不足（模拟）" : undefined);
      });
      return done ? { ok: true, returnUrl: view.returnUrl } : { ok: false, why: "closed" };
    },

    async notifications() {
      const rows = await db.query("select id, type, body, delivered_at, deliveries, attempts from mock_pay_events order by seq");
      return rows.map((r) => camelRow<{ id: string; type: string; body: string; deliveredAt: Date | null; deliveries: number; attempts: number }>(r));
    },
  };
  return gateway;
}
