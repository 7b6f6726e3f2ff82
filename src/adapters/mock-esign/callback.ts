import { createHmac, timingSafeEqual } from "node:crypto";
import type { Acknowledgement, CallbackRequest, ParsedCallback, SignEvent } from "../../ports/esignature.ts";

/**
 * The mock provider's callback scheme, the way a vendor documents it:
 *
 *   POST <callback URL>, Content-Type: application/json; charset=utf-8
 *   X-Mock-Esign-Timestamp: <milliseconds since the epoch, of this attempt>
 *   X-Mock-Esign-Signature: hex(HMAC-SHA256(secret, timestamp + "." + raw body))
 *   body: {"eventId": ..., "type": ..., "occurredAt": ISO 8601, "data": {...}}
 *
 * The secret is used as its UTF-8 bytes. The body is byte for byte the same on every retry (so is
 * `eventId`); the timestamp and the signature are made per attempt. A receiver accepts a timestamp
 * within 5 minutes of when it received the request, either way.
 */
export const TIMESTAMP_HEADER = "X-Mock-Esign-Timestamp";
export const SIGNATURE_HEADER = "X-Mock-Esign-Signature";
export const CALLBACK_WINDOW_MS = 5 * 60_000;

/** The event types the mock sends. */
export const EVENT_TYPES = [
  "identity.passed",
  "identity.failed",
  "seal.active",
  "seal.rejected",
  "signer.signed",
  "signer.refused",
  "flow.completed",
  "flow.revoked",
  "flow.expired",
] as const;
export type MockEventType = (typeof EVENT_TYPES)[number];

const utf8 = new TextEncoder();

/** hex(HMAC-SHA256(secret, timestamp + "." + rawBody)). */
export function callbackSignature(secret: string, timestamp: string, rawBody: Uint8Array | string): string {
  const body = typeof rawBody === "string" ? utf8.encode(rawBody) : rawBody;
  return createHmac("sha256", utf8.encode(secret))
    .update(utf8.encode(`${timestamp}.`))
    .update(body)
    .digest("hex");
}

const ack = (status: number, body: Record<string, unknown>): Acknowledgement => ({
  status,
  contentType: "application/json",
  body: JSON.stringify(body),
});
export const OK_ACK: Acknowledgement = { status: 200, contentType: "application/json", body: '{"code":200}' };

/** A header by name, whatever its case. */
function header(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** Constant-time comparison of two hex signatures (a malformed one never matches). */
function sameSignature(sent: string, expected: string): boolean {
  if (!/^[0-9a-f]{64}$/i.test(sent)) return false;
  return timingSafeEqual(Buffer.from(sent.toLowerCase(), "hex"), Buffer.from(expected, "hex"));
}

/** The fields each known type needs in `data` (all non-empty strings). */
const FIELDS: Record<MockEventType, readonly string[]> = {
  "identity.passed": ["checkId", "bizRef"],
  "identity.failed": ["checkId", "bizRef", "reason"],
  "seal.active": ["sealId", "bizRef"],
  "seal.rejected": ["sealId", "bizRef", "reason"],
  "signer.signed": ["flowId", "bizRef", "partyId"],
  "signer.refused": ["flowId", "bizRef", "partyId", "reason"],
  "flow.completed": ["flowId", "bizRef"],
  "flow.revoked": ["flowId", "bizRef"],
  "flow.expired": ["flowId", "bizRef"],
};

const isText = (v: unknown, max = 500): v is string => typeof v === "string" && v.length > 0 && v.length <= max;

/** The body as the platform's event, or undefined when it is not a well-formed event. */
export function eventOf(body: unknown): SignEvent | undefined {
  if (!body || typeof body !== "object" || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  if (!isText(b.eventId, 100) || !isText(b.type, 100) || !isText(b.occurredAt, 40)) return undefined;
  const occurredAt = new Date(b.occurredAt);
  if (Number.isNaN(occurredAt.getTime())) return undefined;
  const common = { eventId: b.eventId, occurredAt };
  if (!(EVENT_TYPES as readonly string[]).includes(b.type)) return { ...common, type: "unknown", vendorType: b.type };
  const type = b.type as MockEventType;
  const data = b.data;
  if (!data || typeof data !== "object" || Array.isArray(data)) return undefined;
  const d = data as Record<string, unknown>;
  const picked: Record<string, string> = {};
  for (const f of FIELDS[type]) {
    const v = d[f];
    if (!isText(v)) return undefined;
    picked[f] = v;
  }
  return { ...common, type, ...picked } as SignEvent;
}

/**
 * Verifies one callback request (signature first, then the timestamp window, then the body) and
 * normalises it. Never throws: a refusal answers 401 (signature, stale) or 400 (malformed).
 */
export function parseMockCallback(secret: string, req: CallbackRequest): ParsedCallback {
  const timestamp = header(req.headers, TIMESTAMP_HEADER)?.trim() ?? "";
  const signature = header(req.headers, SIGNATURE_HEADER)?.trim() ?? "";
  if (!/^\d{1,16}$/.test(timestamp) || !signature) return { ok: false, reason: "signature", ack: ack(401, { code: 401, message: "signature" }) };
  if (!sameSignature(signature, callbackSignature(secret, timestamp, req.rawBody))) {
    return { ok: false, reason: "signature", ack: ack(401, { code: 401, message: "signature" }) };
  }
  if (Math.abs(req.receivedAt.getTime() - Number(timestamp)) > CALLBACK_WINDOW_MS) {
    return { ok: false, reason: "stale", ack: ack(401, { code: 401, message: "stale" }) };
  }
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(req.rawBody));
  } catch {
    return { ok: false, reason: "malformed", ack: ack(400, { code: 400, message: "malformed" }) };
  }
  const event = eventOf(body);
  if (!event) return { ok: false, reason: "malformed", ack: ack(400, { code: 400, message: "malformed" }) };
  return { ok: true, events: [event], ack: OK_ACK };
}
