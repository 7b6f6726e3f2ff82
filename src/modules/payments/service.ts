/**
 * Payments of orders (docs/payments.md): 支付定金 / 支付尾款 through the payment channel's cashier,
 * the channel's notifications through the callback inbox, the reconciler that asks the channel about
 * payments still pending, and what the order page shows (支付状态).
 *
 * Calls to the channel (the PaymentGateway port) are never made inside a database transaction. The
 * browser's return from the cashier proves nothing: only a verified notification or a query marks a
 * payment as paid, and each is applied once (the payment row's state, and the notification's id
 * claimed in the transaction of the change).
 */
import type { Clock } from "../../ports/clock.ts";
import type { Db } from "../../ports/db.ts";
import type { Jobs } from "../../ports/jobs.ts";
import { type NotificationRequest, type PaymentAck, type PaymentEvent, type PaymentGateway, PaymentGatewayError } from "../../ports/payments.ts";
import { type Result, fail, ok } from "../../lib/result.ts";
import type { EnterpriseService } from "../enterprises/service.ts";
import type { OrderService } from "../orders/service.ts";
import type { SigningService } from "../signing/service.ts";
import type { Audit } from "../audit/service.ts";
import { paymentAdminUseCases } from "./admin-service.ts";
import type {
  LedgerRepositoryFactory,
  PaymentRepositoryFactory,
  PaymentRow,
  ReconciliationRepositoryFactory,
  RefundRepositoryFactory,
  RefundRow,
} from "./ports.ts";
import { OUTCOME_AMOUNT_MISMATCH, OUTCOME_UNKNOWN_PAYMENT, OUTCOME_UNKNOWN_REFUND } from "./reconciliation-domain.ts";
import { DAILY_RECONCILE_CRON, DAILY_RECONCILE_JOB, reconciliationUseCases } from "./reconciliation-service.ts";

/** A cashier session stays open this long. */
export const PAYMENT_HOURS = 2;
/** The reconciler asks the channel about payments still pending this long after they were created. */
export const RECONCILE_AFTER_MINUTES = 10;
export const RECONCILE_JOB = "payments-reconcile";
export const RECONCILE_CRON = "*/5 * * * *";
export const KIND_TEXT = { deposit: "定金", balance: "尾款" } as const;
export const REFUND_STATUS_TEXT: Record<RefundRow["status"], string> = { processing: "退款中", succeeded: "已退款", failed: "退款失败" };
export const REFUND_CAUSE_TEXT: Record<RefundRow["cause"], string> = { termination: "订单终止退款", late_payment: "重复或逾期付款退款" };
/** A refund the channel has not confirmed after this long is asked about (or resent when it never accepted it). */
export const REFUND_RECONCILE_AFTER_MINUTES = 10;

/**
 * How a refund is split over an order's succeeded payments: the latest first (尾款 before 定金), each
 * at most what is left of it. Throws when they cannot cover it (the orders module checked the amount).
 */
export function splitRefund<P extends { amountFen: number; refundedFen: number }>(
  payments: readonly P[],
  refundFen: number,
): { payment: P; amountFen: number }[] {
  const out: { payment: P; amountFen: number }[] = [];
  let left = refundFen;
  for (const p of [...payments].reverse()) {
    if (left <= 0) break;
    const take = Math.min(p.amountFen - p.refundedFen, left);
    if (take > 0) out.push({ payment: p, amountFen: take });
    left -= Math.max(take, 0);
  }
  if (left > 0) throw new RangeError(`a refund of ${refundFen} fen exceeds what the order's payments can return`);
  return out;
}

export const PAYMENT_STATUS_TEXT: Record<PaymentRow["status"], string> = {
  pending: "支付处理中",
  succeeded: "已支付",
  failed: "支付失败",
  closed: "已关闭",
};

export type PaymentDeps = {
  db: Db;
  clock: Clock;
  gateway: PaymentGateway;
  paymentRepo: PaymentRepositoryFactory;
  refundRepo: RefundRepositoryFactory;
  orders: OrderService;
  enterprises: EnterpriseService;
  /** The callback inbox (the signing module's generic tables, keyed by provider). */
  inbox: Pick<SigningService, "storeRequest" | "markRequest" | "applyEvent" | "claimedEvents">;
  jobs: Jobs;
  /** 支付管理's list and 对账's results. */
  ledgerRepo: LedgerRepositoryFactory;
  reconciliationRepo: ReconciliationRepositoryFactory;
  /** 立即对账 is audited. */
  audit?: Audit;
  /**
   * A payout's result (兑付), told in the transaction that handles the channel's notification or
   * query, bound by the composition root to the settlement module (payments does not know it).
   */
  payoutOutcome?: (tx: Db, r: { payoutNo: string; ok: boolean; amountFen?: number; reason?: string }) => Promise<string>;
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
};

/** The platform's number of the object an event is about (kept with its claim, for 对账). */
const refOf = (e: PaymentEvent): string | null =>
  e.type === "refund.succeeded" || e.type === "refund.failed"
    ? e.refundNo
    : e.type === "payout.succeeded" || e.type === "payout.failed"
      ? e.payoutNo
      : e.type === "unknown"
        ? null
        : e.paymentNo;

const last4 = (n: string) => n.replace(/\D/g, "").slice(-4).padStart(4, "0");

export function paymentService(deps: PaymentDeps) {
  const { db, gateway } = deps;
  const now = () => deps.clock.now();
  const repo = (d: Db = db) => deps.paymentRepo(d);
  const inboxProvider = `pay:${gateway.provider}`;
  const refunds = (d: Db = db) => deps.refundRepo(d);

  /**
   * A refund of part of one payment, written in the caller's transaction under the payment row's lock
   * (never above what is left of it); sent to the channel once the transaction commits. The refund
   * number (R + the payment number + R + n) is its idempotency key at the channel, reused on every resend.
   */
  async function addRefund(tx: Db, p: PaymentRow, amountFen: number, reason: string, cause: RefundRow["cause"]): Promise<RefundRow> {
    await repo(tx).byNo(p.paymentNo, true);
    const { activeFen, count } = await refunds(tx).ofPayment(p.id);
    if (amountFen <= 0 || activeFen + amountFen > p.amountFen) throw new RangeError(`refund of ${amountFen} fen exceeds what is left of ${p.paymentNo}`);
    const row = await refunds(tx).insert({
      paymentId: p.id,
      orderId: p.orderId,
      refundNo: `R${p.paymentNo.slice(1)}R${count + 1}`,
      amountFen,
      reason,
      cause,
      createdAt: now(),
    });
    tx.afterCommit(() => sendRefunds(p.orderId));
    return row;
  }

  /**
   * Sends an order's refunds that the channel has not accepted yet (after the commit that wrote them,
   * and again from the reconciler). The same refund number every time: the channel refunds once. A
   * refusal of the channel (nothing left to refund, an unknown payment) ends the refund as failed for
   * finance to look at; a network error leaves it for the reconciler.
   */
  async function sendRefunds(orderId: string): Promise<void> {
    const rows = (await refunds().ofOrder(orderId)).filter((r) => r.status === "processing" && !r.acceptedAt);
    if (!rows.length) return;
    const byId = new Map((await repo().ofOrder(orderId)).map((p) => [p.id, p]));
    for (const r of rows) {
      const p = byId.get(r.paymentId);
      if (!p) continue;
      try {
        const sent = await gateway.refund({ refundNo: r.refundNo, paymentNo: p.paymentNo, amountFen: r.amountFen, reason: r.reason });
        await refunds().accepted(r.refundNo, now());
        if (sent.status !== "processing") await handle(refundEvent(sent, `refund:${r.refundNo}:${sent.status}`), null);
      } catch (err) {
        if (err instanceof PaymentGatewayError && err.code !== "unavailable") {
          deps.log?.error({ refundNo: r.refundNo, err: err.message }, "refund refused by the channel");
          await refunds().end(r.refundNo, "failed", now(), err.message);
        } else {
          deps.log?.warn({ refundNo: r.refundNo, err: String(err) }, "refund not sent; the reconciler resends it");
        }
      }
    }
  }

  const refundEvent = (r: { refundNo: string; paymentNo: string; amountFen: number; status: string; reason?: string }, eventId: string): PaymentEvent =>
    r.status === "succeeded"
      ? { eventId, occurredAt: now(), type: "refund.succeeded", refundNo: r.refundNo, paymentNo: r.paymentNo, amountFen: r.amountFen }
      : { eventId, occurredAt: now(), type: "refund.failed", refundNo: r.refundNo, paymentNo: r.paymentNo, reason: r.reason ?? "退款失败" };

  /** Closes unpaid cashier sessions (an order that ended); one the payer already paid stays, and its notification refunds it. */
  async function closePending(paymentNos: string[]): Promise<void> {
    for (const no of paymentNos) {
      try {
        const st = await gateway.closePayment(no);
        if (st.status === "closed") await repo().end(no, "closed", now());
      } catch (err) {
        deps.log?.warn({ paymentNo: no, err: String(err) }, "cashier session not closed");
      }
    }
  }

  /**
   * 支付定金 / 支付尾款: what the order owes now, both 支付认证 accounts, one pending payment per
   * (order, kind) reused while open (a second tab lands on the same cashier), then the channel's
   * cashier. A payment already made is refused.
   */
  async function startPayment(
    accountId: string,
    orderId: string,
    kind: "deposit" | "balance",
    returnUrl: string,
  ): Promise<Result<{ cashierUrl: string }>> {
    const terms = await deps.orders.paymentTerms(accountId, orderId);
    if (!terms.ok) return terms;
    const { order, due, providerEnterpriseId } = terms.value;
    const live = await repo().live(order.id, kind);
    if (live?.status === "succeeded") return fail({ _form: `${KIND_TEXT[kind]}已支付` }, 409);
    if (due?.kind !== kind) return fail({ _form: `订单当前不需要支付${KIND_TEXT[kind]}` }, 409);
    const [payer, payee] = await Promise.all([deps.enterprises.paymentAccount(order.enterpriseId), deps.enterprises.paymentAccount(providerEnterpriseId)]);
    if (!payer) return fail({ _form: "请先在“支付认证”中登记企业对公账户后再支付" }, 409);
    if (!payee) return fail({ _form: "服务机构尚未登记收款账户，请联系服务机构" }, 409);
    let payment = live;
    if (payment?.status === "pending" && payment.expiresAt.getTime() <= now().getTime()) {
      // The cashier session ran out: close it at the channel (refused if the payer already paid,
      // which the reconciler will then confirm) and open a new attempt.
      const closed = await gateway.closePayment(payment.paymentNo).then(
        () => true,
        () => false,
      );
      if (!closed) return fail({ _form: "上一笔支付银行仍在处理中，请稍后刷新查看结果" }, 409);
      await repo().end(payment.paymentNo, "closed", now());
      payment = undefined;
    }
    if (!payment) {
      const attempt = (await repo().attempts(order.id, kind)) + 1;
      const at = now();
      try {
        payment = await repo().insert({
          orderId: order.id,
          orderNumber: order.number,
          kind,
          paymentNo: `P${order.number.replace(/\D/g, "")}${kind === "deposit" ? "D" : "B"}${attempt}`,
          provider: gateway.provider,
          amountFen: due.amountFen,
          payerName: payer.accountName,
          payerBank: payer.bankName,
          payerLast4: last4(payer.accountNumber),
          payeeName: payee.accountName,
          payeeBank: payee.bankName,
          payeeLast4: last4(payee.accountNumber),
          expiresAt: new Date(at.getTime() + PAYMENT_HOURS * 3_600_000),
          createdAt: at,
        });
      } catch (err) {
        // Another tab (or instance) opened it first: use that one.
        payment = await repo().live(order.id, kind);
        if (!payment) throw err;
        if (payment.status === "succeeded") return fail({ _form: `${KIND_TEXT[kind]}已支付` }, 409);
      }
    }
    try {
      const created = await gateway.createPayment({
        paymentNo: payment.paymentNo,
        orderNumber: order.number,
        kind,
        amountFen: payment.amountFen,
        payer,
        payee,
        subject: `服务合同${KIND_TEXT[kind]}（${order.number}）`,
        returnUrl,
        expiresAt: payment.expiresAt,
      });
      return ok({ cashierUrl: created.cashierUrl });
    } catch (err) {
      if (err instanceof PaymentGatewayError) return fail({ _form: err.message }, 409);
      throw err;
    }
  }

  /** One normalised notification through its handler; one already handled (same id, or the payment's state) changes nothing. */
  async function handle(e: PaymentEvent, inboxId: number | null): Promise<string> {
    return deps.inbox.applyEvent(inboxProvider, { ...e, ref: refOf(e) }, inboxId, async (tx, done) => {
      if (e.type === "payment.succeeded") {
        const p = await repo(tx).byNo(e.paymentNo, true);
        if (!p) return done(OUTCOME_UNKNOWN_PAYMENT);
        if (p.status === "succeeded") return done("payment already succeeded");
        if (e.amountFen !== p.amountFen) {
          deps.log?.error({ paymentNo: p.paymentNo, expected: p.amountFen, got: e.amountFen }, "payment notification with another amount: not applied");
          return done(`${OUTCOME_AMOUNT_MISMATCH}: ${e.amountFen} instead of ${p.amountFen}`);
        }
        if (p.status !== "pending") {
          // Paid at the channel after we closed it here (a late bank confirmation, a second session): the money goes back.
          deps.log?.warn({ paymentNo: p.paymentNo, status: p.status }, "a closed payment was paid at the channel: refunded");
          await deps.orders.recordLatePayment(tx, p.orderId, { kind: p.kind, amountFen: p.amountFen, paymentNo: p.paymentNo });
          await addRefund(tx, p, p.amountFen, "付款时订单已不需要该笔付款，原路退回", "late_payment");
          return done(`paid after ${p.status}: refunded`);
        }
        await repo(tx).succeed(p.paymentNo, e.gatewayPaymentId, e.paidAt);
        const moved = await deps.orders.tryPaymentOutcome(tx, p.orderId, { kind: p.kind, amountFen: p.amountFen, paymentNo: p.paymentNo });
        if (moved.ok) return done(`${p.kind} paid: order ${moved.value.status}`);
        // The order moved on meanwhile (终止, 关闭): the payment is kept as a fact and refunded in full.
        await deps.orders.recordLatePayment(tx, p.orderId, { kind: p.kind, amountFen: p.amountFen, paymentNo: p.paymentNo });
        await addRefund(tx, p, p.amountFen, "付款时订单已不需要该笔付款，原路退回", "late_payment");
        return done(`${p.kind} paid: order not moved, refunded`);
      }
      if (e.type === "payment.failed" || e.type === "payment.closed") {
        const p = await repo(tx).byNo(e.paymentNo, true);
        if (!p) return done(OUTCOME_UNKNOWN_PAYMENT);
        const status = e.type === "payment.failed" ? "failed" : "closed";
        const changed = await repo(tx).end(p.paymentNo, status, e.occurredAt, e.type === "payment.failed" ? e.reason : undefined);
        return done(changed ? `payment ${status}` : `payment already ${p.status}`);
      }
      if (e.type === "refund.succeeded" || e.type === "refund.failed") {
        const r = await refunds(tx).byNo(e.refundNo, true);
        if (!r) return done(OUTCOME_UNKNOWN_REFUND);
        if (r.status !== "processing") return done(`refund already ${r.status}`);
        if (e.type === "refund.failed") {
          deps.log?.error({ refundNo: r.refundNo, reason: e.reason }, "refund failed at the channel");
          await refunds(tx).end(r.refundNo, "failed", e.occurredAt, e.reason);
          return done("refund failed");
        }
        if (e.amountFen !== r.amountFen) {
          deps.log?.error({ refundNo: r.refundNo, expected: r.amountFen, got: e.amountFen }, "refund notification with another amount: not applied");
          return done(`${OUTCOME_AMOUNT_MISMATCH}: ${e.amountFen} instead of ${r.amountFen}`);
        }
        await refunds(tx).end(r.refundNo, "succeeded", e.occurredAt);
        await deps.orders.refundConfirmed(tx, r.orderId, { amountFen: r.amountFen, refundNo: r.refundNo });
        return done("refund succeeded");
      }
      if ((e.type === "payout.succeeded" || e.type === "payout.failed") && deps.payoutOutcome) {
        const outcome = await deps.payoutOutcome(tx, {
          payoutNo: e.payoutNo,
          ok: e.type === "payout.succeeded",
          amountFen: e.type === "payout.succeeded" ? e.amountFen : undefined,
          reason: e.type === "payout.failed" ? e.reason : undefined,
        });
        return done(outcome);
      }
      return done(`ignored: ${e.type === "unknown" ? `unknown type ${e.vendorType}` : e.type}`);
    });
  }

  /** POST /callbacks/pay: stored first, verified by the adapter, each event handled; the adapter's acknowledgement. */
  async function receiveNotification(req: NotificationRequest): Promise<{ ack: PaymentAck; inboxId: number; outcomes: string[] }> {
    const inboxId = await deps.inbox.storeRequest({ provider: inboxProvider, receivedAt: req.receivedAt, headers: req.headers, rawBody: req.rawBody });
    const parsed = await gateway.parseNotification(req);
    if (!parsed.ok) {
      await deps.inbox.markRequest(inboxId, { verified: false, refusal: parsed.reason, events: 0, at: now() });
      deps.log?.warn({ inboxId, reason: parsed.reason }, "payment notification refused");
      return { ack: parsed.ack, inboxId, outcomes: [] };
    }
    const outcomes: string[] = [];
    try {
      for (const e of parsed.events) outcomes.push(await handle(e, inboxId));
    } catch (err) {
      deps.log?.error({ inboxId, err: String(err) }, "payment notification not handled; the channel will retry");
      return { ack: { status: 500, contentType: "application/json", body: '{"code":"RETRY"}' }, inboxId, outcomes };
    }
    await deps.inbox.markRequest(inboxId, { verified: true, events: parsed.events.length, at: now() });
    return { ack: parsed.ack, inboxId, outcomes };
  }

  /**
   * The reconciler (every 5 minutes, once across instances): payments pending for some minutes are
   * asked about (queryPayment) and the answer fed through the same handler; one past its cashier's
   * expiry is closed at the channel first, so it can no longer be paid.
   */
  async function reconcile(opts: { olderThanMinutes?: number } = {}): Promise<{ checked: number; changed: number }> {
    const cutoff = new Date(now().getTime() - (opts.olderThanMinutes ?? RECONCILE_AFTER_MINUTES) * 60_000);
    const pending = await repo().pendingBefore(cutoff, 200);
    let changed = 0;
    for (const p of pending) {
      try {
        let st = await gateway.queryPayment(p.paymentNo);
        if (st.status === "pending" && p.expiresAt.getTime() <= now().getTime()) {
          st = await gateway.closePayment(p.paymentNo).catch(async () => gateway.queryPayment(p.paymentNo));
        }
        const base = { eventId: `query:${p.paymentNo}:${st.status}`, occurredAt: now(), paymentNo: p.paymentNo };
        const e: PaymentEvent | null =
          st.status === "succeeded"
            ? { ...base, type: "payment.succeeded", gatewayPaymentId: st.gatewayPaymentId, amountFen: st.amountFen, paidAt: st.paidAt ?? now() }
            : st.status === "failed"
              ? { ...base, type: "payment.failed", reason: st.reason ?? "支付失败" }
              : st.status === "closed"
                ? { ...base, type: "payment.closed" }
                : null;
        if (e && (await handle(e, null)) !== "duplicate") changed++;
      } catch (err) {
        deps.log?.warn({ paymentNo: p.paymentNo, err: String(err) }, "payment not reconciled");
      }
    }
    // Refunds: resend the ones the channel never accepted, ask about the ones it did.
    const refundCutoff = new Date(now().getTime() - (opts.olderThanMinutes ?? REFUND_RECONCILE_AFTER_MINUTES) * 60_000);
    const open = await refunds().processingBefore(refundCutoff, 200);
    for (const orderId of new Set(open.filter((r) => !r.acceptedAt).map((r) => r.orderId))) await sendRefunds(orderId);
    for (const r of open.filter((x) => x.acceptedAt)) {
      try {
        const st = await gateway.queryRefund(r.refundNo);
        if (st.status !== "processing" && (await handle(refundEvent(st, `query:${r.refundNo}:${st.status}`), null)) !== "duplicate") changed++;
      } catch (err) {
        deps.log?.warn({ refundNo: r.refundNo, err: String(err) }, "refund not reconciled");
      }
    }
    return { checked: pending.length + open.length, changed };
  }

  /**
   * The orders module's hook in the transaction that ends an order 已终止: the agreed refund split over
   * the order's succeeded payments (尾款 first) as refunds written now and sent after commit, and the
   * order's unpaid cashier sessions closed after commit.
   */
  async function refundForTermination(tx: Db, t: { orderId: string; refundFen: number; reason: string }): Promise<void> {
    const ps = await repo(tx).ofOrder(t.orderId);
    const pending = ps.filter((p) => p.status === "pending").map((p) => p.paymentNo);
    if (pending.length) tx.afterCommit(() => closePending(pending));
    if (t.refundFen <= 0) return;
    const paid: (PaymentRow & { refundedFen: number })[] = [];
    for (const p of ps.filter((x) => x.status === "succeeded")) paid.push({ ...p, refundedFen: (await refunds(tx).ofPayment(p.id)).activeFen });
    for (const part of splitRefund(paid, t.refundFen))
      await addRefund(tx, part.payment, part.amountFen, `协商终止：${t.reason}`.slice(0, 200), "termination");
  }

  const daily = reconciliationUseCases(deps);

  return {
    ...paymentAdminUseCases(deps),
    ...daily,
    startPayment,
    receiveNotification,
    reconcile,
    handle,
    refundForTermination,
    sendRefunds,
    /**
     * Sends a payout (兑付) to the channel, outside any transaction: accepted (processing) or the
     * channel's refusal as a message. The same payout number is the same payout at the channel.
     */
    async sendPayout(p: { payoutNo: string; payee: { accountName: string; bankName: string; accountNumber: string }; amountFen: number; memo: string }) {
      try {
        const r = await gateway.payout(p);
        if (r.status !== "processing") {
          const base = { eventId: `payout:${p.payoutNo}:${r.status}`, occurredAt: now(), payoutNo: p.payoutNo };
          await handle(
            r.status === "succeeded"
              ? { ...base, type: "payout.succeeded", amountFen: r.amountFen }
              : { ...base, type: "payout.failed", reason: r.reason ?? "拨付失败" },
            null,
          );
        }
        return ok(r.status);
      } catch (err) {
        if (err instanceof PaymentGatewayError) return fail({ _form: err.message }, 409);
        throw err;
      }
    },
    /** Asks the channel about a payout and feeds a final answer through the notification handler (the payout reconciler). */
    async reconcilePayout(payoutNo: string): Promise<string> {
      const r = await gateway.queryPayout(payoutNo);
      if (r.status === "processing") return "processing";
      const base = { eventId: `query:${payoutNo}:${r.status}`, occurredAt: now(), payoutNo };
      return handle(
        r.status === "succeeded"
          ? { ...base, type: "payout.succeeded", amountFen: r.amountFen }
          : { ...base, type: "payout.failed", reason: r.reason ?? "拨付失败" },
        null,
      );
    },
    /** The order's refunds, oldest first (款项记录 on its pages; the route checked the reader through orders). */
    async refundsOf(orderId: string): Promise<RefundRow[]> {
      return refunds().ofOrder(orderId);
    },
    /** The order's payments, oldest first (支付状态 on its page, whose route already checked the reader through orders). */
    async paymentsOf(orderId: string): Promise<PaymentRow[]> {
      return repo().ofOrder(orderId);
    },
    /** Registers the reconciler and the daily reconciliation (对账 of the previous day). Called by startJobs. */
    async startWorkers(): Promise<void> {
      await deps.jobs.work(RECONCILE_JOB, async () => {
        const run = await reconcile();
        if (run.checked) deps.log?.info(run, "payments reconciled");
      });
      await deps.jobs.schedule(RECONCILE_JOB, RECONCILE_CRON);
      await deps.jobs.work(DAILY_RECONCILE_JOB, async () => {
        await daily.reconcileYesterday();
      });
      await deps.jobs.schedule(DAILY_RECONCILE_JOB, DAILY_RECONCILE_CRON);
    },
  };
}
export type PaymentService = ReturnType<typeof paymentService>;
