import { createHash } from "node:crypto";
import { type IncomingHttpHeaders, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { textPdf } from "../../src/lib/text-pdf.ts";

/** Helpers for the e-signature tests: a callback receiver over real HTTP, test PDFs, parties' data. */

export type Received = {
  headers: Record<string, string>;
  raw: Uint8Array;
  body: { eventId?: string; type?: string; occurredAt?: string; data?: Record<string, string> } | undefined;
  status: number;
  /** When it arrived, on the clock the receiver was given. */
  receivedAt: Date;
};

export type Receiver = {
  url: string;
  requests: Received[];
  /** The requests whose body's data.bizRef is this one, in arrival order. */
  for(bizRef: string): Received[];
  /** Answers 500 to the next `times` requests for this bizRef (Infinity: always). */
  failFor(bizRef: string, times: number): void;
  close(): Promise<void>;
};

const flat = (h: IncomingHttpHeaders) =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")])) as Record<string, string>;

/** A tiny HTTP server on a free port that records every request and answers `{"code":200}` (or 500 when told). */
export async function startReceiver(now: () => Date = () => new Date()): Promise<Receiver> {
  const requests: Received[] = [];
  const failing = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = new Uint8Array(Buffer.concat(chunks));
      let body: Received["body"];
      try {
        body = JSON.parse(Buffer.from(raw).toString("utf8"));
      } catch {
        body = undefined;
      }
      const bizRef = body?.data?.bizRef ?? "";
      const left = failing.get(bizRef) ?? 0;
      const status = left > 0 ? 500 : 200;
      if (left > 0) failing.set(bizRef, left - 1);
      requests.push({ headers: flat(req.headers), raw, body, status, receivedAt: now() });
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(status === 200 ? '{"code":200}' : '{"code":500}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callbacks/esign`,
    requests,
    for: (bizRef) => requests.filter((r) => r.body?.data?.bizRef === bizRef),
    failFor: (bizRef, times) => void failing.set(bizRef, times),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Waits for a condition (no fixed sleeps); fails after timeoutMs. */
export async function until<T>(cond: () => T | Promise<T>, timeoutMs = 20_000, what = "condition"): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`${what} not met in time`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A small well-formed one-page PDF (cross-reference table and startxref), unique by `note`. */
export const testPdf = (note: string): Uint8Array => textPdf([note]);

export const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** The first bytes of a JPEG photo (what the face step checks), as a phone's camera would send. */
export const SELFIE = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, ...new Array(64).fill(7), 0xff, 0xd9]);
export const SEAL_PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, ...new Array(32).fill(1)]);

let n = 0;
const digits = (k: number) =>
  Array.from({ length: k }, () => Math.floor(Math.random() * 10))
    .join("")
    .slice(0, k);
/** A fresh 统一社会信用代码 (18 characters of the allowed set). */
export const creditCode = () => `9145${digits(12)}${String(++n % 100).padStart(2, "0")}`;
/** A fresh 18-digit ID number. */
export const idNumber = () => `450102${digits(11)}X`;

/** The mock's per-page form token on the last page. */
export function pageToken(html: string): string {
  const m = html.match(/name="_mt" value="([^"]+)"/);
  if (!m) throw new Error("no page token on the page");
  return m[1]!;
}

/** The path (and query) of a URL the mock returned, for the test Browser. */
export const pathOf = (url: string) => (url.startsWith("/") ? url : new URL(url).pathname);
