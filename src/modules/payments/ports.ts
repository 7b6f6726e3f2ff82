import type { Db } from "../../ports/db.ts";

export type PaymentRowStatus = "pending" | "succeeded" | "failed" | "closed";
export type PaymentRow = {
  id: string;
  orderId: string;
  /** The order's readable number (DD...), copied at creation. */
  orderNumber: string;
  kind: "deposit" | "balance";
  paymentNo: string;
  provider: string;
  amountFen: number;
  status: PaymentRowStatus;
  gatewayPaymentId: string | null;
  failureReason: string | null;
  payerName: string;
  payerBank: string;
  payerLast4: string;
  payeeName: string;
  payeeBank: string;
  payeeLast4: string;
  expiresAt: Date;
  createdAt: Date;
  paidAt: Date | null;
  endedAt: Date | null;
};
export type NewPayment = Omit<PaymentRow, "id" | "status" | "gatewayPaymentId" | "failureReason" | "paidAt" | "endedAt">;

export interface PaymentRepository {
  /** Inserts a pending payment; a second live one of the same (order, kind) throws UniqueViolation. */
  insert(p: NewPayment): Promise<PaymentRow>;
  byNo(paymentNo: string, forUpdate?: boolean): Promise<PaymentRow | undefined>;
  /** The order's pending or succeeded payment of this kind (at most one). */
  live(orderId: string, kind: PaymentRow["kind"], forUpdate?: boolean): Promise<PaymentRow | undefined>;
  ofOrder(orderId: string): Promise<PaymentRow[]>;
  /** How many payments of this kind the order has had (the next attempt's number). */
  attempts(orderId: string, kind: PaymentRow["kind"]): Promise<number>;
  /** Ends a pending payment (false when it was no longer pending). */
  succeed(paymentNo: string, gatewayPaymentId: string, paidAt: Date): Promise<boolean>;
  end(paymentNo: string, status: "failed" | "closed", at: Date, reason?: string): Promise<boolean>;
  /** Pending payments created before `cutoff`, oldest first (the reconciler). */
  pendingBefore(cutoff: Date, limit: number): Promise<PaymentRow[]>;
  /** Payments that ended in [from, to): succeeded (paid then), failed or closed; oldest first (对账). */
  endedBetween(from: Date, to: Date): Promise<PaymentRow[]>;
  byNos(paymentNos: readonly string[]): Promise<PaymentRow[]>;
  byIds(ids: readonly string[]): Promise<PaymentRow[]>;
}
export type RefundRowStatus = "processing" | "succeeded" | "failed";
export type RefundRow = {
  id: string;
  paymentId: string;
  orderId: string;
  refundNo: string;
  amountFen: number;
  reason: string;
  cause: "termination" | "late_payment";
  status: RefundRowStatus;
  acceptedAt: Date | null;
  failureReason: string | null;
  createdAt: Date;
  endedAt: Date | null;
};
export type NewRefund = Pick<RefundRow, "paymentId" | "orderId" | "refundNo" | "amountFen" | "reason" | "cause" | "createdAt">;

/** Refunds asked of the channel (table refunds). */
export interface RefundRepository {
  insert(r: NewRefund): Promise<RefundRow>;
  byNo(refundNo: string, forUpdate?: boolean): Promise<RefundRow | undefined>;
  ofOrder(orderId: string): Promise<RefundRow[]>;
  /** What a payment has refunded or is refunding (every refund that did not fail), and how many refunds it had. */
  ofPayment(paymentId: string): Promise<{ activeFen: number; count: number }>;
  /** The channel accepted the request. */
  accepted(refundNo: string, at: Date): Promise<void>;
  /** Ends a processing refund; false when it was no longer processing. */
  end(refundNo: string, status: "succeeded" | "failed", at: Date, reason?: string): Promise<boolean>;
  /** Processing refunds created before `cutoff` (not yet accepted ones first), oldest first. */
  processingBefore(cutoff: Date, limit: number): Promise<RefundRow[]>;
  /** Refunds that succeeded in [from, to), oldest first (对账). */
  succeededBetween(from: Date, to: Date): Promise<RefundRow[]>;
  byNos(refundNos: readonly string[]): Promise<RefundRow[]>;
}
export type RefundRepositoryFactory = (db: Db) => RefundRepository;
export type PaymentRepositoryFactory = (db: Db) => PaymentRepository;

// ---- 支付管理 (the finance list) ----

/** One row of 支付管理: a payment, or a refund with its payment's order, kind and accounts. */
export type LedgerRow = {
  type: "payment" | "refund";
  id: string;
  orderId: string;
  orderNumber: string;
  kind: "deposit" | "balance";
  /** payment_no or refund_no. */
  no: string;
  /** For a refund, the payment it returns. */
  paymentNo: string;
  amountFen: number;
  status: PaymentRowStatus | RefundRowStatus;
  gatewayPaymentId: string | null;
  payerName: string;
  payerBank: string;
  payerLast4: string;
  payeeName: string;
  payeeBank: string;
  payeeLast4: string;
  createdAt: Date;
  endedAt: Date | null;
};
/** 支付管理's filter as the use case built it: every field optional, dates as instants [from, to). */
export type LedgerFilter = {
  type?: "payment" | "refund";
  /** The row's own status (a refund status implies refunds, a payment status payments). */
  status?: { type: "payment" | "refund"; status: string };
  kind?: "deposit" | "balance";
  number?: { exact: string } | { prefix: string };
  from?: Date;
  to?: Date;
};
export interface LedgerRepository {
  /** One page of the filtered rows, newest first, how many there are, and the sum of amounts per (type, status) of all of them. */
  search(
    f: LedgerFilter,
    limit: number,
    offset: number,
  ): Promise<{ rows: LedgerRow[]; total: number; totals: { type: LedgerRow["type"]; status: string; count: number; amountFen: number }[] }>;
}
export type LedgerRepositoryFactory = (db: Db) => LedgerRepository;

// ---- 对账 (the daily reconciliation) ----

export type ReconciliationStatus = "clean" | "differences";
export type ReconciliationItem = {
  kind: string;
  severity: "difference" | "note";
  /** The payment's, refund's or notification's number the item is about. */
  ref: string;
  orderId: string | null;
  orderNumber: string | null;
  /** The Chinese description (渠道已支付但平台未确认, 金额不一致, ...). */
  text: string;
  /** What each side says, in Chinese (平台：¥800.00；渠道：¥700.00). */
  detail: string;
};
export type Reconciliation = {
  id: string;
  day: string;
  status: ReconciliationStatus;
  ranAt: Date;
  ranBy: string | null;
  ranByName: string | null;
  paymentCount: number;
  paymentFen: number;
  refundCount: number;
  refundFen: number;
  queried: number;
  lineCount: number;
  noticeCount: number;
  differenceCount: number;
  noteCount: number;
  differences: ReconciliationItem[];
};
export type NewReconciliation = Omit<Reconciliation, "id">;
export interface ReconciliationRepository {
  /** Writes the day's result, replacing an earlier one of the same day. */
  save(r: NewReconciliation): Promise<Reconciliation>;
  byDay(day: string): Promise<Reconciliation | undefined>;
  /** The latest days first. */
  latest(limit: number, offset: number): Promise<{ rows: Reconciliation[]; total: number }>;
}
export type ReconciliationRepositoryFactory = (db: Db) => ReconciliationRepository;
