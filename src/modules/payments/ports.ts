import type { Db } from "../../ports/db.ts";

export type PaymentRowStatus = "pending" | "succeeded" | "failed" | "closed";
export type PaymentRow = {
  id: string;
  orderId: string;
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
}
export type RefundRepositoryFactory = (db: Db) => RefundRepository;
export type PaymentRepositoryFactory = (db: Db) => PaymentRepository;
