/**
 * A small HTTP load balancer for the benchmarks that run several app instances (bench:rush,
 * bench:rolling). It behaves like nginx's `upstream` with `proxy_next_upstream error` and an
 * active health check, which is what a production balancer in front of the platform does:
 *
 * - requests go round-robin to the backends whose `/readyz` answered 200 at the last check
 *   (checked every `checkMs`); a backend that starts draining (SIGTERM -> /readyz 503) or dies
 *   gets no new requests after the next check; a check answered too late (over 1 s, a busy
 *   backend) leaves the backend as it was;
 * - a request whose connection to a backend fails before any byte of the answer came back
 *   (refused, reset, the backend gone) is sent once more to another ready backend — whatever the
 *   method, since the backend never answered it. The request body is buffered for that;
 * - `X-Forwarded-For` gets the client's address appended (run the instances with
 *   TRUST_PROXY=127.0.0.1 so the rate limits see the clients, not the balancer).
 *
 * It counts what it did (`stats`), so a benchmark can say how many requests were retried or lost.
 */
import { Agent, type IncomingMessage, request, type Server, type ServerResponse, createServer } from "node:http";

export type Backend = { url: string; ready: boolean };
export type BalancerStats = {
  requests: number;
  retried: number;
  failed: number;
  perBackend: Record<string, number>;
  /** Health checks that did not answer 200 in time, by what happened (a status, or the error's code or name). */
  checkFailures: Record<string, number>;
};
export type Balancer = {
  url: string;
  backends: Backend[];
  stats: BalancerStats;
  /** Adds a backend (checked before it gets traffic). */
  add(url: string): void;
  /** Removes a backend at once (no new requests; those in flight finish). */
  remove(url: string): void;
  /** Runs a health check of every backend now. */
  check(): Promise<void>;
  close(): Promise<void>;
};

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);

export async function startBalancer(opts: { port?: number; backends: string[]; checkMs?: number }): Promise<Balancer> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const backends: Backend[] = opts.backends.map((url) => ({ url, ready: false }));
  const stats: BalancerStats = { requests: 0, retried: 0, failed: 0, perBackend: {}, checkFailures: {} };
  let next = 0;

  const pick = (skip?: Backend): Backend | undefined => {
    const ready = backends.filter((b) => b.ready && b !== skip);
    if (!ready.length) return undefined;
    next = (next + 1) % ready.length;
    return ready[next];
  };

  const checkOne = async (b: Backend) => {
    try {
      const res = await fetch(`${b.url}/readyz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      b.ready = res.status === 200;
      if (!b.ready) stats.checkFailures[String(res.status)] = (stats.checkFailures[String(res.status)] ?? 0) + 1;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const why = e.cause?.code ?? e.name;
      stats.checkFailures[why] = (stats.checkFailures[why] ?? 0) + 1;
      // A busy backend answers its check late (its pool is queued behind the load): that is no
      // refusal, it keeps its state, as nginx keeps an upstream that is slow but answering. A
      // refused or reset connection takes it out.
      if ((err as Error).name !== "TimeoutError") b.ready = false;
    }
  };
  const check = async () => {
    await Promise.all(backends.map(checkOne));
  };

  const forward = (b: Backend, req: IncomingMessage, body: Buffer, res: ServerResponse, onConnectError: (err: Error) => void) => {
    const target = new URL(req.url ?? "/", b.url);
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    const client = req.socket.remoteAddress ?? "127.0.0.1";
    headers["x-forwarded-for"] = req.headers["x-forwarded-for"] ? `${req.headers["x-forwarded-for"]}, ${client}` : client;
    headers["content-length"] = String(body.length);
    let answered = false;
    const up = request(target, { method: req.method, headers, agent }, (upRes) => {
      answered = true;
      stats.perBackend[b.url] = (stats.perBackend[b.url] ?? 0) + 1;
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(upRes.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
      res.writeHead(upRes.statusCode ?? 502, out);
      upRes.pipe(res);
      upRes.on("error", () => res.destroy());
    });
    up.on("error", (err) => {
      if (!answered) onConnectError(err);
      else res.destroy();
    });
    up.end(body);
  };

  const server: Server = createServer((req, res) => {
    stats.requests++;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const first = pick();
      const fail = () => {
        stats.failed++;
        if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain; charset=utf-8" });
        res.end("no backend answered");
      };
      if (!first) return fail();
      forward(first, req, body, res, () => {
        // The backend never answered: take it out until its next check, and try another once.
        first.ready = false;
        const second = pick(first);
        if (!second) return fail();
        stats.retried++;
        forward(second, req, body, res, fail);
      });
    });
  });
  server.keepAliveTimeout = 30_000;

  await check();
  const timer = setInterval(() => void check(), opts.checkMs ?? 200);
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => {
      const a = server.address();
      resolve(typeof a === "object" && a ? a.port : 0);
    });
  });

  return {
    url: `http://127.0.0.1:${port}`,
    backends,
    stats,
    add(url) {
      if (!backends.some((b) => b.url === url)) backends.push({ url, ready: false });
    },
    remove(url) {
      const i = backends.findIndex((b) => b.url === url);
      if (i >= 0) backends.splice(i, 1);
    },
    check,
    async close() {
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
