import { createHash, createPublicKey, sign, verify } from "node:crypto";
import type { NotificationRequest, ParsedNotification, PaymentAck, PaymentEvent } from "../../ports/payments.ts";

/**
 * The mock cashier's notification scheme, the way a gateway documents it (modelled on WeChat Pay
 * APIv3, and deliberately not the e-signature mock's HMAC):
 *
 *   POST <notify URL>, Content-Type: application/json; charset=utf-8
 *   X-Mock-Pay-Timestamp: <seconds since the epoch, of this attempt>
 *   X-Mock-Pay-Nonce: <32 random characters, of this attempt>
 *   X-Mock-Pay-Serial: <the signing key's serial: the first 16 hex digits of SHA-256 over its public key (SPKI DER)>
 *   X-Mock-Pay-Signature: base64(SHA256-with-RSA(private key, timestamp + "\n" + nonce + "\n" + raw body + "\n"))
 *   body: {"id": ..., "event_type": ..., "create_time": ISO 8601, "resource": {...}}
 *
 * The receiver verifies with the cashier's PUBLIC key (PKCS#1 v1.5 padding), refuses a serial it
 * does not hold, and accepts a timestamp within 5 minutes of its receipt. The body and `id` are the
 * same on every retry; timestamp, nonce and signature are made per attempt. Acknowledge with HTTP 204
 * (or 200 with {"code":"SUCCESS"}); anything else is retried.
 */
export const TIMESTAMP_HEADER = "X-Mock-Pay-Timestamp";
export const NONCE_HEADER = "X-Mock-Pay-Nonce";
export const SERIAL_HEADER = "X-Mock-Pay-Serial";
export const SIGNATURE_HEADER = "X-Mock-Pay-Signature";
export const NOTIFY_WINDOW_S = 5 * 60;

export const EVENT_TYPES = [
  "PAYMENT.SUCCESS",
  "PAYMENT.FAILED",
  "PAYMENT.CLOSED",
  "REFUND.SUCCESS",
  "REFUND.FAILED",
  "PAYOUT.SUCCESS",
  "PAYOUT.FAILED",
] as const;
export type MockPayEventType = (typeof EVENT_TYPES)[number];

const utf8 = new TextEncoder();

/** The string both sides sign: timestamp, nonce and the raw body, each followed by a newline. */
function message(timestamp: string, nonce: string, rawBody: Uint8Array | string): Buffer {
  const body = typeof rawBody === "string" ? utf8.encode(rawBody) : rawBody;
  return Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`, "utf8"), Buffer.from(body), Buffer.from("\n", "utf8")]);
}

/** base64(SHA256-with-RSA(privateKey, message)). */
export function notificationSignature(privateKeyPem: string, timestamp: string, nonce: string, rawBody: Uint8Array | string): string {
  return sign("sha256", message(timestamp, nonce, rawBody), privateKeyPem).toString("base64");
}

/** The key's serial: the first 16 hex digits of SHA-256 over the public key's SPKI DER. */
export function keySerial(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("hex").slice(0, 16).toUpperCase();
}

const ack = (status: number, code: string): PaymentAck => ({ status, contentType: "application/json", body: JSON.stringify({ code, message: code }) });
export const OK_ACK: PaymentAck = { status: 204, contentType: "application/json", body: "" };

function header(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

const isText = (v: unknown, max = 200): v is string => typeof v === "string" && v.length > 0 && v.length <= max;
const isFen = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v > 0;

/** The body as the platform's event, or undefined when it is not well formed. */
export function eventOf(body: unknown): PaymentEvent | undefined {
  if (!body || typeof body !== "object" || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  if (!isText(b.id, 100) || !isText(b.event_type, 100) || !isText(b.create_time, 40)) return undefined;
  const occurredAt = new Date(b.create_time);
  if (Number.isNaN(occurredAt.getTime())) return undefined;
  const common = { eventId: b.id, occurredAt };
  if (!(EVENT_TYPES as readonly string[]).includes(b.event_type)) return { ...common, type: "unknown", vendorType: b.event_type };
  const r = b.resource;
  if (!r || typeof r !== "object" || Array.isArray(r)) return undefined;
  const d = r as Record<string, unknown>;
  const at = (v: unknown) => (isText(v, 40) && !Number.isNaN(new Date(v).getTime()) ? new Date(v) : undefined);
  switch (b.event_type as MockPayEventType) {
    case "PAYMENT.SUCCESS": {
      const paidAt = at(d.success_time);
      if (!isText(d.out_trade_no) || !isText(d.transaction_id) || !isFen(d.amount) || !paidAt) return undefined;
      return { ...common, type: "payment.succeeded", paymentNo: d.out_trade_no, gatewayPaymentId: d.transaction_id, amountFen: d.amount, paidAt };
    }
    case "PAYMENT.FAILED":
      if (!isText(d.out_trade_no) || !isText(d.reason)) return undefined;
      return { ...common, type: "payment.failed", paymentNo: d.out_trade_no, reason: d.reason };
    case "PAYMENT.CLOSED":
      if (!isText(d.out_trade_no)) return undefined;
      return { ...common, type: "payment.closed", paymentNo: d.out_trade_no };
    case "REFUND.SUCCESS":
      if (!isText(d.out_refund_no) || !isText(d.out_trade_no) || !isFen(d.amount)) return undefined;
      return { ...common, type: "refund.succeeded", refundNo: d.out_refund_no, paymentNo: d.out_trade_no, amountFen: d.amount };
    case "REFUND.FAILED":
      if (!isText(d.out_refund_no) || !isText(d.out_trade_no) || !isText(d.reason)) return undefined;
      return { ...common, type: "refund.failed", refundNo: d.out_refund_no, paymentNo: d.out_trade_no, reason: d.reason };
    case "PAYOUT.SUCCESS":
      if (!isText(d.out_batch_no) || !isFen(d.amount)) return undefined;
      return { ...common, type: "payout.succeeded", payoutNo: d.out_batch_no, amountFen: d.amount };
    case "PAYOUT.FAILED":
      if (!isText(d.out_batch_no) || !isText(d.reason)) return undefined;
      return { ...common, type: "payout.failed", payoutNo: d.out_batch_no, reason: d.reason };
  }
}

/**
 * Verifies one notification (serial, signature, then the timestamp window, then the body) with the
 * cashier's public key and normalises it. Never throws: a refusal answers 401 or 400.
 */
export function parseMockNotification(publicKeyPem: string, req: NotificationRequest): ParsedNotification {
  const timestamp = header(req.headers, TIMESTAMP_HEADER)?.trim() ?? "";
  const nonce = header(req.headers, NONCE_HEADER)?.trim() ?? "";
  const serial = header(req.headers, SERIAL_HEADER)?.trim() ?? "";
  const signature = header(req.headers, SIGNATURE_HEADER)?.trim() ?? "";
  const refused = { ok: false as const, reason: "signature" as const, ack: ack(401, "SIGN_ERROR") };
  if (!/^\d{1,12}$/.test(timestamp) || !/^[A-Za-z0-9]{16,64}$/.test(nonce) || !signature || serial !== keySerial(publicKeyPem)) return refused;
  let good = false;
  try {
    good = verify("sha256", message(timestamp, nonce, req.rawBody), publicKeyPem, Buffer.from(signature, "base64"));
  } catch {
    good = false;
  }
  if (!good) return refused;
  // Written as "not within" so that an invalid receipt time (NaN) is stale too, never inside the window.
  if (!(Math.abs(req.receivedAt.getTime() / 1000 - Number(timestamp)) <= NOTIFY_WINDOW_S)) {
    return { ok: false, reason: "stale", ack: ack(401, "STALE") };
  }
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(req.rawBody));
  } catch {
    return { ok: false, reason: "malformed", ack: ack(400, "MALFORMED") };
  }
  const event = eventOf(body);
  if (!event) return { ok: false, reason: "malformed", ack: ack(400, "MALFORMED") };
  return { ok: true, events: [event], ack: OK_ACK };
}
