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
export type PaymentRepositoryFactory = (db: Db) => PaymentRepository;
