import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { type Balancer, startBalancer } from "../../scripts/lib/balancer.ts";

/** A backend that answers /readyz with `ready` and everything else with its name and the body it got. */
async function backend(
  name: string,
  state: { ready: boolean; slow?: boolean } = { ready: true },
): Promise<{ url: string; server: Server; state: { ready: boolean; slow?: boolean } }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/readyz") {
        // A busy backend: its check answers after the balancer's 1 s.
        if (state.slow) setTimeout(() => res.writeHead(200).end(), 1500).unref();
        else res.writeHead(state.ready ? 200 : 503).end();
        return;
      }
      res.writeHead(200, { "content-type": "text/plain", "x-forwarded-for-seen": String(req.headers["x-forwarded-for"] ?? "") });
      res.end(`${name}:${req.method}:${Buffer.concat(chunks).toString()}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const a = server.address();
  return { url: `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`, server, state };
}

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});
const close = (s: Server) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()));

describe("the benchmarks' load balancer", () => {
  it("spreads requests over ready backends and passes the client's address on", async () => {
    const a = await backend("a");
    const b = await backend("b");
    closers.push(
      () => close(a.server),
      () => close(b.server),
    );
    const lb: Balancer = await startBalancer({ backends: [a.url, b.url], checkMs: 50 });
    closers.push(() => lb.close());
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${lb.url}/x`, { method: "POST", body: `n=${i}` });
      const text = await res.text();
      expect(text).toMatch(new RegExp(`^[ab]:POST:n=${i}$`));
      expect(res.headers.get("x-forwarded-for-seen")).toBe("127.0.0.1");
      seen.add(text[0]!);
    }
    expect([...seen].sort()).toEqual(["a", "b"]);
  });

  it("keeps a backend whose /readyz answers late (busy, not refusing) and counts the late checks", async () => {
    const a = await backend("a");
    closers.push(() => close(a.server));
    const lb = await startBalancer({ backends: [a.url], checkMs: 50 });
    closers.push(() => lb.close());
    expect(lb.backends[0]!.ready).toBe(true);
    a.state.slow = true;
    const end = Date.now() + 10_000;
    while (!lb.stats.checkFailures.TimeoutError && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(lb.stats.checkFailures.TimeoutError).toBeGreaterThan(0);
    expect(lb.backends[0]!.ready).toBe(true);
    const res = await fetch(`${lb.url}/x`, { method: "POST", body: "n=1" });
    expect(await res.text()).toBe("a:POST:n=1");
  });

  it("sends no new requests to a backend whose /readyz says 503", async () => {
    const a = await backend("a");
    const b = await backend("b");
    closers.push(
      () => close(a.server),
      () => close(b.server),
    );
    const lb = await startBalancer({ backends: [a.url, b.url], checkMs: 50 });
    closers.push(() => lb.close());
    b.state.ready = false;
    await lb.check();
    for (let i = 0; i < 4; i++) expect(await (await fetch(`${lb.url}/y`)).text()).toBe("a:GET:");
  });

  it("retries a request a dead backend never answered on another one, once", async () => {
    const a = await backend("a");
    const b = await backend("b");
    closers.push(() => close(a.server));
    const lb = await startBalancer({ backends: [a.url, b.url], checkMs: 60_000 });
    closers.push(() => lb.close());
    // b goes away between health checks: the balancer still believes it ready.
    b.server.closeAllConnections();
    await close(b.server);
    const answers = await Promise.all([1, 2, 3, 4].map(async (i) => (await fetch(`${lb.url}/z`, { method: "POST", body: `k=${i}` })).text()));
    expect(answers.sort()).toEqual(["a:POST:k=1", "a:POST:k=2", "a:POST:k=3", "a:POST:k=4"]);
    expect(lb.stats.retried).toBeGreaterThanOrEqual(1);
    expect(lb.stats.failed).toBe(0);
  });

  it("answers 502 when no backend is ready", async () => {
    const a = await backend("a", { ready: false });
    closers.push(() => close(a.server));
    const lb = await startBalancer({ backends: [a.url], checkMs: 50 });
    closers.push(() => lb.close());
    const res = await fetch(`${lb.url}/`);
    expect(res.status).toBe(502);
    await res.text();
    expect(lb.stats.failed).toBe(1);
  });
});
