import { type IncomingHttpHeaders, createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** Helpers for the payment tests: a notification receiver over real HTTP, keyed on the objects a notification names. */

export type PayReceived = {
  headers: Record<string, string>;
  raw: Uint8Array;
  /** The parsed body (undefined when it is not JSON). */
  body: { id?: string; event_type?: string; create_time?: string; resource?: Record<string, unknown> } | undefined;
  /** What the receiver answered. */
  status: number;
  /** When it arrived, on the clock the receiver was given. */
  receivedAt: Date;
};

export type PayReceiver = {
  url: string;
  requests: PayReceived[];
  /** The requests whose resource names this payment, refund or payout number, in arrival order. */
  for(ref: string): PayReceived[];
  /** Answers 500 to the next `times` requests naming this number (Infinity: always). */
  failFor(ref: string, times: number): void;
  close(): Promise<void>;
};

const flat = (h: IncomingHttpHeaders) =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")])) as Record<string, string>;

/** The numbers a notification's resource names (payment, refund, payout). */
const refsOf = (body: PayReceived["body"]): string[] => {
  const r = body?.resource ?? {};
  return [r.out_trade_no, r.out_refund_no, r.out_batch_no].filter((v): v is string => typeof v === "string");
};

/** A tiny HTTP server on a free port that records every request and answers 204 (or 500 when told). */
export async function startPayReceiver(now: () => Date = () => new Date()): Promise<PayReceiver> {
  const requests: PayReceived[] = [];
  const failing = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = new Uint8Array(Buffer.concat(chunks));
      let body: PayReceived["body"];
      try {
        body = JSON.parse(Buffer.from(raw).toString("utf8"));
      } catch {
        body = undefined;
      }
      const ref = refsOf(body).find((r) => (failing.get(r) ?? 0) > 0);
      const status = ref ? 500 : 204;
      if (ref) failing.set(ref, failing.get(ref)! - 1);
      requests.push({ headers: flat(req.headers), raw, body, status, receivedAt: now() });
      if (status === 204) res.writeHead(204).end();
      else res.writeHead(500, { "Content-Type": "application/json" }).end('{"code":"FAIL"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callbacks/pay`,
    requests,
    for: (ref) => requests.filter((r) => refsOf(r.body).includes(ref)),
    failFor: (ref, times) => void failing.set(ref, times),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
