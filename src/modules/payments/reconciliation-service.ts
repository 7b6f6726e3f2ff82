/**
 * 对账 (docs/payments.md "As built"): for one Asia/Shanghai day, the payments and refunds that ended
 * in it and those still open at its end, compared with what the channel answers when asked
 * (queryPayment / queryRefund), with the orders module's money lines and with the notifications the
 * signing module's inbox claimed. The result replaces the day's earlier one. It only compares: what
 * it finds is fixed by the reconciler (payments-reconcile) or by finance, never here.
 *
 * The daily job runs it for the previous day at 01:30 Asia/Shanghai; finance's 立即对账 runs it for
 * any day up to today. The channel is called outside any transaction.
 */
import { type Result, fail, ok } from "../../lib/result.ts";
import { pageOf, pagesOf } from "../../lib/paging.ts";
import { addDays, shanghaiDate, shanghaiMidnight } from "../../lib/shanghai.ts";
import type { Audit } from "../audit/service.ts";
import type { Clock } from "../../ports/clock.ts";
import type { Db } from "../../ports/db.ts";
import { type PaymentGateway, PaymentGatewayError } from "../../ports/payments.ts";
import type { OrderService } from "../orders/service.ts";
import type { SigningService } from "../signing/service.ts";
import { reads } from "./admin-service.ts";
import type {
  PaymentRepositoryFactory,
  PaymentRow,
  Reconciliation,
  ReconciliationRepositoryFactory,
  RefundRepositoryFactory,
  RefundRow,
} from "./ports.ts";
import {
  type ChannelAnswer,
  type ChannelPayment,
  type ChannelRefund,
  type DayLine,
  type DayPayment,
  type DayRefund,
  reconcileDay,
} from "./reconciliation-domain.ts";

export const DAILY_RECONCILE_JOB = "payments-daily-reconcile";
/** 01:30 Asia/Shanghai (UTC+8 all year) is 17:30 UTC of the day before. */
export const DAILY_RECONCILE_CRON = "30 17 * * *";
/** Who runs 立即对账. */
export const RECONCILERS = ["finance", "super_admin"] as const;
export const RECONCILIATION_PAGE_SIZE = 30;
/** At most this many open payments (and refunds) are asked about per run, oldest first. */
const OPEN_LIMIT = 2000;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const isRealDate = (s: string) =>
  DAY.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;

export type ReconciliationDeps = {
  db: Db;
  clock: Clock;
  gateway: PaymentGateway;
  paymentRepo: PaymentRepositoryFactory;
  refundRepo: RefundRepositoryFactory;
  reconciliationRepo: ReconciliationRepositoryFactory;
  orders: Pick<OrderService, "moneyLinesByRefs" | "channelLinesBetween">;
  inbox: Pick<SigningService, "claimedEvents">;
  audit?: Audit;
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
};
type Staff = { id: string; role: string; displayName?: string };

export function reconciliationUseCases(deps: ReconciliationDeps) {
  const { db, gateway } = deps;
  const provider = `pay:${gateway.provider}`;
  const now = () => deps.clock.now();
  const payments = () => deps.paymentRepo(db);
  const refunds = () => deps.refundRepo(db);

  async function ask<T>(fn: () => Promise<T>): Promise<ChannelAnswer<T>> {
    try {
      return { found: await fn() };
    } catch (err) {
      if (err instanceof PaymentGatewayError && err.code === "not_found") return { missing: true };
      deps.log?.warn({ err: String(err) }, "reconciliation: the channel did not answer");
      return { failed: `渠道查询失败：${err instanceof PaymentGatewayError ? err.message : "渠道暂时无法查询"}` };
    }
  }
  const askPayment = (no: string) =>
    ask<ChannelPayment>(async () => {
      const p = await gateway.queryPayment(no);
      return { status: p.status, amountFen: p.amountFen, gatewayPaymentId: p.gatewayPaymentId };
    });
  const askRefund = (no: string) =>
    ask<ChannelRefund>(async () => {
      const r = await gateway.queryRefund(no);
      return { status: r.status, amountFen: r.amountFen };
    });

  const dayPayment = (p: PaymentRow): DayPayment => ({
    id: p.id,
    orderId: p.orderId,
    orderNumber: p.orderNumber,
    kind: p.kind,
    paymentNo: p.paymentNo,
    amountFen: Number(p.amountFen),
    status: p.status,
    gatewayPaymentId: p.gatewayPaymentId,
  });

  /** Compares one day (YYYY-MM-DD, Asia/Shanghai) and stores the result in place of the day's earlier one. */
  async function runDay(day: string, by: { id: string; displayName: string } | null): Promise<Reconciliation> {
    const from = shanghaiMidnight(day);
    const to = shanghaiMidnight(day, 1);
    // (a) The platform: what ended in the day, what was still open at its end.
    const [ended, refunded, pendingRows, processingRows, dayLines] = await Promise.all([
      payments().endedBetween(from, to),
      refunds().succeededBetween(from, to),
      payments().pendingBefore(to, OPEN_LIMIT),
      refunds().processingBefore(to, OPEN_LIMIT),
      deps.orders.channelLinesBetween(from, to),
    ]);
    const known = new Set([...ended, ...pendingRows].map((p) => p.paymentNo));
    const knownRefunds = new Set([...refunded, ...processingRows].map((r) => r.refundNo));
    const otherRefs = [...new Set(dayLines.map((l) => l.ref ?? "").filter((r) => r && !known.has(r) && !knownRefunds.has(r)))];
    const [otherPaymentRows, otherRefundRows] = await Promise.all([payments().byNos(otherRefs), refunds().byNos(otherRefs)]);
    // The payments of the refunds (their order number and payment number).
    const byId = new Map([...ended, ...pendingRows, ...otherPaymentRows].map((p) => [p.id, p]));
    const missingIds = [...new Set([...refunded, ...processingRows, ...otherRefundRows].map((r) => r.paymentId).filter((id) => !byId.has(id)))];
    for (const p of await payments().byIds(missingIds)) byId.set(p.id, p);
    const dayRefund = (r: RefundRow): DayRefund => {
      const p = byId.get(r.paymentId);
      return {
        paymentId: r.paymentId,
        orderId: r.orderId,
        orderNumber: p?.orderNumber ?? "",
        refundNo: r.refundNo,
        paymentNo: p?.paymentNo ?? "",
        amountFen: Number(r.amountFen),
        status: r.status,
        cause: r.cause,
        acceptedAt: r.acceptedAt,
      };
    };

    // (b) The channel, asked about each of them (outside any transaction).
    const channelPayments = new Map<string, ChannelAnswer<ChannelPayment>>();
    for (const p of [...ended, ...pendingRows, ...otherPaymentRows.filter((x) => x.status !== "succeeded")]) {
      if (!channelPayments.has(p.paymentNo)) channelPayments.set(p.paymentNo, await askPayment(p.paymentNo));
    }
    const channelRefunds = new Map<string, ChannelAnswer<ChannelRefund>>();
    for (const r of [...refunded, ...processingRows]) {
      if (!channelRefunds.has(r.refundNo)) channelRefunds.set(r.refundNo, await askRefund(r.refundNo));
    }
    // What the handler confirmed while the channel was asked is no longer open.
    const moved = async <T extends { status: string }>(rows: T[], no: (x: T) => string, open: string, fetch: (nos: string[]) => Promise<T[]>) => {
      const fresh = new Map((await fetch(rows.map(no))).map((x) => [no(x), x]));
      return rows.map((x) => fresh.get(no(x)) ?? x).filter((x) => x.status === open);
    };
    const pending = await moved(
      pendingRows,
      (p) => p.paymentNo,
      "pending",
      (nos) => payments().byNos(nos),
    );
    const processing = await moved(
      processingRows,
      (r) => r.refundNo,
      "processing",
      (nos) => refunds().byNos(nos),
    );
    // A payment failed or closed here that the channel says was paid: its refunds tell whether it was a late payment, refunded.
    const paidElsewhere = [...ended, ...otherPaymentRows].filter((p) => {
      const a = channelPayments.get(p.paymentNo);
      return p.status !== "succeeded" && a && "found" in a && a.found.status === "succeeded";
    });
    const lateRefunds: RefundRow[] = [];
    for (const orderId of new Set(paidElsewhere.map((p) => p.orderId))) lateRefunds.push(...(await refunds().ofOrder(orderId)));

    // (c) The money lines and (d) the notifications of every number involved.
    const refs = [
      ...new Set([...ended, ...pending, ...otherPaymentRows].map((p) => p.paymentNo).concat([...refunded, ...processing].map((r) => r.refundNo))),
    ];
    const [refLines, events] = await Promise.all([deps.orders.moneyLinesByRefs(refs), deps.inbox.claimedEvents(provider, { refs, from, to })]);
    const lines = new Map<number, DayLine & { id: number }>();
    for (const l of [...refLines, ...dayLines])
      lines.set(l.id, { id: l.id, orderId: l.orderId, kind: l.kind, amountFen: Number(l.amountFen), ref: l.ref, at: l.at });

    const result = reconcileDay({
      from,
      to,
      ended: ended.map(dayPayment),
      refunded: refunded.map(dayRefund),
      pending: pending.map(dayPayment),
      processing: processing.map(dayRefund),
      otherPayments: otherPaymentRows.map(dayPayment),
      otherRefunds: [...otherRefundRows, ...lateRefunds].map(dayRefund),
      channelPayments,
      channelRefunds,
      lines: [...lines.values()],
      events,
    });
    const { items, ...counts } = result;
    const saved = await deps.reconciliationRepo(db).save({
      day,
      ...counts,
      ranAt: now(),
      ranBy: by?.id ?? null,
      ranByName: by?.displayName ?? null,
      differences: items,
    });
    deps.log?.info({ day, status: saved.status, differences: saved.differenceCount, notes: saved.noteCount }, "payments reconciled for the day");
    return saved;
  }

  return {
    /** The day 立即对账 offers and the job runs: yesterday in Asia/Shanghai. */
    defaultReconciliationDay: () => addDays(shanghaiDate(now()), -1),

    /** The daily job: yesterday's reconciliation. */
    async reconcileYesterday(): Promise<Reconciliation> {
      return runDay(addDays(shanghaiDate(now()), -1), null);
    },

    /** 立即对账 by finance (or the super admin): one day up to today, replacing its earlier result; audited. */
    async runReconciliation(staff: Staff, dayRaw: unknown, requestId?: string): Promise<Result<Reconciliation>> {
      if (!(RECONCILERS as readonly string[]).includes(staff.role)) return fail({ _form: "只有财务人员或超级管理员可以对账" }, 403);
      const day = typeof dayRaw === "string" ? dayRaw.trim() : "";
      if (!isRealDate(day)) return fail({ day: "请选择正确的对账日期" }, 422);
      if (day > shanghaiDate(now())) return fail({ day: "对账日期不能晚于今天" }, 422);
      if (day < "2000-01-01") return fail({ day: "请选择正确的对账日期" }, 422);
      const saved = await runDay(day, { id: staff.id, displayName: staff.displayName ?? "" });
      await deps.audit?.record(db, {
        actorType: "admin",
        actorId: staff.id,
        entityType: "payment_reconciliation",
        entityId: saved.id,
        action: "payments_reconciled",
        toStatus: saved.status,
        requestId,
        data: { day, differences: saved.differenceCount, notes: saved.noteCount },
      });
      return ok(saved);
    },

    /** 对账's results, the latest days first. */
    async reconciliations(staff: Staff, page: unknown) {
      if (!reads(staff.role)) return fail({ _form: "您的角色无权查看对账结果" }, 403);
      const pageNo = pageOf(page);
      const { rows, total } = await deps.reconciliationRepo(db).latest(RECONCILIATION_PAGE_SIZE, (pageNo - 1) * RECONCILIATION_PAGE_SIZE);
      return ok({ rows, total, pageNo, pages: pagesOf(total, RECONCILIATION_PAGE_SIZE) });
    },

    /** One day's result with its differences (404 when that day was never reconciled). */
    async reconciliation(staff: Staff, day: string): Promise<Result<Reconciliation>> {
      if (!reads(staff.role)) return fail({ _form: "您的角色无权查看对账结果" }, 403);
      const r = isRealDate(day) ? await deps.reconciliationRepo(db).byDay(day) : undefined;
      return r ? ok(r) : fail({ _form: "该日尚未对账" }, 404);
    },
  };
}
