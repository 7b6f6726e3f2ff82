import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLoad } from "../../scripts/lib/load-generator.ts";

/**
 * The load generator of bench:pages:load (scripts/lib/load-generator.ts) against a tiny local
 * server: what it counts, the latency it sees, and that a wrong status, a wrong body, a broken
 * connection or a hung answer fails the run.
 */
let server: Server;
let port: number;
const handled = new Map<string, number>();

function answer(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? "/", "http://x");
  const n = (handled.get(url.pathname) ?? 0) + 1;
  handled.set(url.pathname, n);
  switch (url.pathname) {
    case "/slow":
      // The server takes 20 ms per answer (its behaviour, not a wait of the test).
      setTimeout(() => res.end("slow marker"), 20);
      return;
    case "/echo": {
      // Chunked (no Content-Length) and gzipped when asked, in two pieces: the connection's own text.
      const body = Buffer.from(`conn ${url.searchParams.get("c")} ${"x".repeat(3000)}`);
      const gz = /gzip/.test(req.headers["accept-encoding"] ?? "");
      const bytes = gz ? gzipSync(body) : body;
      res.writeHead(200, gz ? { "Content-Encoding": "gzip" } : {});
      res.write(bytes.subarray(0, 10));
      res.end(bytes.subarray(10));
      return;
    }
    case "/flaky":
      res.statusCode = n % 5 === 0 ? 500 : 200;
      res.end(res.statusCode === 500 ? "<title>服务器错误</title>" : "marker");
      return;
    case "/close":
      res.setHeader("Connection", "close");
      res.end("marker");
      return;
    case "/broken":
      if (n % 3 === 0) {
        res.writeHead(200, { "Content-Length": "100" });
        res.write("half");
        res.socket?.destroy();
      } else res.end("marker");
      return;
    case "/starve":
      // The very first request waits 400 ms (sent during the warm-up, answered in the window).
      setTimeout(() => res.end("marker"), n === 1 ? 400 : 1);
      return;
    case "/hang":
      if (n % 4 !== 0) res.end("marker");
      return;
    default:
      res.end("marker");
  }
}

beforeAll(async () => {
  server = createServer(answer);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const marker = (body: string) => (body.includes("marker") ? undefined : "no marker");

describe("the load generator of bench:pages:load", () => {
  it("counts every answer of the window and sees the server's latency", async () => {
    handled.delete("/slow");
    const r = await runLoad({ port, request: () => ({ path: "/slow" }), check: marker }, { connections: 4, durationMs: 600 });
    // No warm-up: every request sent is an answer of the window, the drain included.
    expect(r.requests).toBe(handled.get("/slow"));
    expect(r.requests).toBeGreaterThan(20);
    expect(r.requests).toBeLessThanOrEqual(4 * Math.ceil(r.elapsedMs / 20) + 4);
    expect(r.statuses).toEqual({ 200: r.requests });
    expect(r.latency.p50).toBeGreaterThanOrEqual(19.5);
    expect(r.latency.p99).toBeGreaterThanOrEqual(r.latency.p50);
    expect(r.latency.max).toBeGreaterThanOrEqual(r.latency.p99);
    expect(r.rps).toBeCloseTo((r.requests / r.elapsedMs) * 1000, 6);
    expect(r.checked).toBeGreaterThanOrEqual(4); // each connection's first answer at least
    expect(r.answersPerConnection.min).toBeGreaterThan(0);
    expect(r.answersPerConnection.max - r.answersPerConnection.min).toBeLessThanOrEqual(2); // a fair server
    expect(r.answersPerConnection.max * 4).toBeGreaterThanOrEqual(r.requests);
    expect(r.bodyBytesPerAnswer).toBe("slow marker".length);
    expect(r.ok).toBe(true);
  });

  it("leaves the warm-up out and reads chunked, gzipped bodies per connection", async () => {
    handled.delete("/echo");
    const r = await runLoad(
      {
        port,
        request: (i) => ({ path: `/echo?c=${i}`, headers: { "X-Conn": String(i) } }),
        check: (body, i) =>
          body.startsWith(`conn ${i} x`) && body.length === `conn ${i} `.length + 3000 ? undefined : `body of ${i}: ${body.slice(0, 20)}`,
        sampleEvery: 3,
      },
      { connections: 5, durationMs: 400, warmupMs: 200 },
    );
    expect(r.ok).toBe(true);
    expect(r.failures).toEqual([]);
    expect(r.requests).toBeLessThan(handled.get("/echo")!); // the warm-up's answers are not counted
    expect(r.checked).toBeGreaterThanOrEqual(Math.floor(r.requests / 3));
    expect(r.bodyBytesPerAnswer).toBeLessThan(3000); // bytes as sent: compressed
    const plain = await runLoad(
      { port, request: () => ({ path: "/echo?c=0" }), check: (b) => (b.startsWith("conn 0") ? undefined : "wrong") },
      {
        connections: 2,
        durationMs: 200,
        gzip: false,
      },
    );
    expect(plain.ok).toBe(true);
    expect(plain.bodyBytesPerAnswer).toBe("conn 0 ".length + 3000);
  });

  it("counts an answer the server kept waiting since the warm-up as the window's slowest", async () => {
    handled.delete("/starve");
    const r = await runLoad({ port, request: () => ({ path: "/starve" }), check: marker }, { connections: 2, durationMs: 500, warmupMs: 100 });
    expect(r.ok).toBe(true);
    expect(r.latency.max).toBeGreaterThanOrEqual(399);
    expect(r.answersPerConnection.min).toBeGreaterThan(0);
  });

  it("fails the run on an unexpected status and says which", async () => {
    const r = await runLoad({ port, request: () => ({ path: "/flaky" }), check: marker }, { connections: 3, durationMs: 300 });
    expect(r.ok).toBe(false);
    expect(r.statuses["500"]).toBeGreaterThan(0);
    expect(r.statuses["200"]).toBeGreaterThan(r.statuses["500"]!);
    expect(r.failures.some((f) => f.includes("status 500") && f.includes("服务器错误"))).toBe(true);
  });

  it("fails the run when a sampled body lacks the page's marker", async () => {
    const r = await runLoad(
      { port, request: () => ({ path: "/" }), check: (b) => (b.includes("没有的标记") ? undefined : "no 没有的标记") },
      { connections: 2, durationMs: 200 },
    );
    expect(r.ok).toBe(false);
    expect(r.statuses).toEqual({ 200: r.requests });
    expect(r.checkFailures).toBeGreaterThanOrEqual(2);
    expect(r.failures[0]).toContain("no 没有的标记");
  });

  it("opens a connection again after Connection: close, without counting a failure", async () => {
    const r = await runLoad({ port, request: () => ({ path: "/close" }), check: marker }, { connections: 2, durationMs: 300 });
    expect(r.ok).toBe(true);
    expect(r.reconnects).toBeGreaterThanOrEqual(r.requests - 2);
  });

  it("counts a connection broken mid-answer and a hung answer as failed requests", async () => {
    const broken = await runLoad({ port, request: () => ({ path: "/broken" }), check: marker }, { connections: 2, durationMs: 300 });
    expect(broken.ok).toBe(false);
    expect(broken.errors["closed before the answer"]).toBeGreaterThan(0);
    expect(broken.requests).toBeGreaterThan(0);
    const hung = await runLoad({ port, request: () => ({ path: "/hang" }), check: marker }, { connections: 2, durationMs: 300, timeoutMs: 200 });
    expect(hung.ok).toBe(false);
    expect(hung.errors.timeout).toBeGreaterThan(0);
  });
});
