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
import type { PaymentRepositoryFactory, PaymentRow } from "./ports.ts";

/** A cashier session stays open this long. */
export const PAYMENT_HOURS = 2;
/** The reconciler asks the channel about payments still pending this long after they were created. */
export const RECONCILE_AFTER_MINUTES = 10;
export const RECONCILE_JOB = "payments-reconcile";
export const RECONCILE_CRON = "*/5 * * * *";
export const KIND_TEXT = { deposit: "定金", balance: "尾款" } as const;
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
  orders: OrderService;
  enterprises: EnterpriseService;
  /** The callback inbox (the signing module's generic tables, keyed by provider). */
  inbox: Pick<SigningService, "storeRequest" | "markRequest" | "claimEvent">;
  jobs: Jobs;
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
};

const last4 = (n: string) => n.replace(/\D/g, "").slice(-4).padStart(4, "0");

export function paymentService(deps: PaymentDeps) {
  const { db, gateway } = deps;
  const now = () => deps.clock.now();
  const repo = (d: Db = db) => deps.paymentRepo(d);
  const inboxProvider = `pay:${gateway.provider}`;

  class Duplicate extends Error {}
  const duplicateOutcome = (err: unknown): string => {
    if (err instanceof Duplicate) return "duplicate";
    throw err;
  };
  const claim = async (tx: Db, e: PaymentEvent, inboxId: number | null, outcome: string) => {
    const first = await deps.inbox.claimEvent(tx, {
      provider: inboxProvider,
      eventId: e.eventId,
      inboxId,
      eventType: e.type,
      outcome: outcome.slice(0, 200),
      at: now(),
    });
    if (!first) throw new Duplicate("duplicate");
    return outcome;
  };

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
    return db
      .transaction(async (tx) => {
        if (e.type === "payment.succeeded") {
          const p = await repo(tx).byNo(e.paymentNo, true);
          if (!p) return claim(tx, e, inboxId, "unknown payment");
          if (p.status === "succeeded") return claim(tx, e, inboxId, "payment already succeeded");
          if (e.amountFen !== p.amountFen) {
            deps.log?.error({ paymentNo: p.paymentNo, expected: p.amountFen, got: e.amountFen }, "payment notification with another amount: not applied");
            return claim(tx, e, inboxId, `amount mismatch: ${e.amountFen} instead of ${p.amountFen}`);
          }
          if (p.status !== "pending") {
            // Paid at the channel after we closed it here (a late bank confirmation): keep the fact, flag it for finance.
            deps.log?.error({ paymentNo: p.paymentNo, status: p.status }, "a closed payment was paid at the channel: refund it");
            return claim(tx, e, inboxId, `paid after ${p.status}: refund needed`);
          }
          await repo(tx).succeed(p.paymentNo, e.gatewayPaymentId, e.paidAt);
          const moved = await deps.orders.tryPaymentOutcome(tx, p.orderId, { kind: p.kind, amountFen: p.amountFen, paymentNo: p.paymentNo });
          return claim(tx, e, inboxId, moved.ok ? `${p.kind} paid: order ${moved.value.status}` : `${p.kind} paid: order not moved (refund needed)`);
        }
        if (e.type === "payment.failed" || e.type === "payment.closed") {
          const p = await repo(tx).byNo(e.paymentNo, true);
          if (!p) return claim(tx, e, inboxId, "unknown payment");
          const status = e.type === "payment.failed" ? "failed" : "closed";
          const changed = await repo(tx).end(p.paymentNo, status, e.occurredAt, e.type === "payment.failed" ? e.reason : undefined);
          return claim(tx, e, inboxId, changed ? `payment ${status}` : `payment already ${p.status}`);
        }
        return claim(tx, e, inboxId, `ignored: ${e.type === "unknown" ? `unknown type ${e.vendorType}` : e.type}`);
      })
      .catch(duplicateOutcome);
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
    return { checked: pending.length, changed };
  }

  return {
    startPayment,
    receiveNotification,
    reconcile,
    handle,
    /** The order's payments, oldest first (支付状态 on its page, whose route already checked the reader through orders). */
    async paymentsOf(orderId: string): Promise<PaymentRow[]> {
      return repo().ofOrder(orderId);
    },
    /** Registers the reconciler. Called by startJobs. */
    async startWorkers(): Promise<void> {
      await deps.jobs.work(RECONCILE_JOB, async () => {
        const run = await reconcile();
        if (run.checked) deps.log?.info(run, "payments reconciled");
      });
      await deps.jobs.schedule(RECONCILE_JOB, RECONCILE_CRON);
    },
  };
}
export type PaymentService = ReturnType<typeof paymentService>;
