/**
 * Payment channel port (支付通道): the vendor-neutral verbs the payments module needs from a bank
 * gateway we do not run (银联企业网银, 通联 通企付, 微信支付, 支付宝, ...). docs/payments.md maps each
 * verb to those channels' calls. The mock cashier (src/adapters/mock-pay/) implements it like a
 * gateway, and every adapter must pass tests/contract/payments.contract.test.ts.
 *
 * Every verb that moves money is idempotent on the platform's own number for the object
 * (`paymentNo`, `refundNo`, `payoutNo`): the same number answers the same object and never moves
 * money twice; the same number with other content is refused (conflict). Amounts are integer fen.
 */

/** A corporate bank account as registered under 支付认证 (the full number goes to the channel only). */
export type BankAccountRef = { accountName: string; bankName: string; accountNumber: string };

export type PaymentKind = "deposit" | "balance";

export type PaymentInput = {
  /** The platform's payment number: the idempotency key (out_trade_no). 6-32 characters [A-Za-z0-9_-]. */
  paymentNo: string;
  /** The order number it pays for, shown on the cashier. */
  orderNumber: string;
  kind: PaymentKind;
  amountFen: number;
  payer: BankAccountRef;
  payee: BankAccountRef;
  /** What the cashier shows as the payment's subject, e.g. 服务合同定金. */
  subject: string;
  /** Where the cashier sends the payer's browser afterwards (never proof of payment). */
  returnUrl: string;
  /** After this the payment can no longer be paid (the cashier session closes). */
  expiresAt: Date;
};
export type PaymentStatus = "pending" | "succeeded" | "failed" | "closed";
export type Payment = {
  paymentNo: string;
  /** The channel's id of the payment (transaction_id / queryId). */
  gatewayPaymentId: string;
  status: PaymentStatus;
  amountFen: number;
  paidAt?: Date;
  reason?: string;
};
export type CreatedPayment = Payment & { cashierUrl: string; expiresAt: Date };

export type RefundInput = { refundNo: string; paymentNo: string; amountFen: number; reason: string };
export type RefundStatus = "processing" | "succeeded" | "failed";
export type Refund = { refundNo: string; paymentNo: string; amountFen: number; status: RefundStatus; at?: Date; reason?: string };

export type PayoutInput = { payoutNo: string; payee: BankAccountRef; amountFen: number; memo: string };
export type PayoutStatus = "processing" | "succeeded" | "failed";
export type Payout = { payoutNo: string; amountFen: number; status: PayoutStatus; at?: Date; reason?: string };

/** A channel notification after verification, in the platform's words. `eventId` is stable across the channel's retries. */
export type PaymentEvent = { eventId: string; occurredAt: Date } & (
  | { type: "payment.succeeded"; paymentNo: string; gatewayPaymentId: string; amountFen: number; paidAt: Date }
  | { type: "payment.failed"; paymentNo: string; reason: string }
  | { type: "payment.closed"; paymentNo: string }
  | { type: "refund.succeeded"; refundNo: string; paymentNo: string; amountFen: number }
  | { type: "refund.failed"; refundNo: string; paymentNo: string; reason: string }
  | { type: "payout.succeeded"; payoutNo: string; amountFen: number }
  | { type: "payout.failed"; payoutNo: string; reason: string }
  | { type: "unknown"; vendorType: string }
);

/** What the HTTP route answers the channel with (its format, not ours). */
export type PaymentAck = { status: number; contentType: string; body: string };
export type NotificationRequest = { headers: Record<string, string>; rawBody: Uint8Array; receivedAt: Date };
export type ParsedNotification =
  | { ok: true; events: PaymentEvent[]; ack: PaymentAck }
  | { ok: false; reason: "signature" | "stale" | "malformed"; ack: PaymentAck };

/** A refusal of the channel (bad input, unknown object, wrong state), with a Chinese message for the user. */
export class PaymentGatewayError extends Error {
  constructor(
    readonly code: "invalid" | "not_found" | "conflict" | "unavailable",
    message: string,
  ) {
    super(message);
    this.name = "PaymentGatewayError";
  }
}

export interface PaymentGateway {
  /** The adapter's name as stored beside its ids (e.g. "mock", "unionpay", "allinpay"). */
  readonly provider: string;
  createPayment(input: PaymentInput): Promise<CreatedPayment>;
  queryPayment(paymentNo: string): Promise<Payment>;
  /** Closes an unpaid payment; a paid one is a conflict; closing twice is fine. */
  closePayment(paymentNo: string): Promise<Payment>;
  /** Accepted now (processing), completed asynchronously; refused above what is left to refund. */
  refund(input: RefundInput): Promise<Refund>;
  queryRefund(refundNo: string): Promise<Refund>;
  payout(input: PayoutInput): Promise<Payout>;
  queryPayout(payoutNo: string): Promise<Payout>;
  /** Verifies (signature, 5-minute window) and normalises one notification request. Never throws for bad input. */
  parseNotification(req: NotificationRequest): Promise<ParsedNotification>;
}
