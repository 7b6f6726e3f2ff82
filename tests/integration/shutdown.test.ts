import { type IncomingMessage, type ServerResponse, createServer, request } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OwnRedis, startOwnRedis } from "../../scripts/lib/own-services.ts";
import { Client, formOf } from "../../scripts/lib/bench-http.ts";
import { openPglite } from "../../src/adapters/pglite.ts";
import { openPostgres } from "../../src/adapters/postgres.ts";
import { ROOT, type Server, childEnv, freePort, freshDatabase, startServer, tempDir } from "../support/processes.ts";

/**
 * Graceful stop (src/lifecycle.ts, issue 15): real server processes get SIGTERM with a request in
 * flight (a form whose body the client is still sending) and a job running (the probe server's
 * `lifecycle-probe`, held by this test). On the embedded default, or with DATABASE_URL on a fresh
 * database of that server and a Redis of this test's own.
 */
/** As `npm start` and the Dockerfile run the server: one node process with tsx as its loader. */
const NODE = process.execPath;
const viaNode = (entry: string) => ["--import", "tsx", entry];
const CAPTCHA = "SHUTDOWN";
const PHONE = "13912345678";
const SHARED_PG = process.env.DATABASE_URL;

let redis: OwnRedis | undefined;
beforeAll(async () => {
  if (SHARED_PG) redis = await startOwnRedis();
}, 60_000);
afterAll(async () => {
  await redis?.close();
});

/** A data directory (and on PostgreSQL a fresh database) for one server process, and its job table. */
async function place() {
  const dir = await tempDir("gxv-shutdown-");
  const pg = SHARED_PG ? await freshDatabase(SHARED_PG, "shutdown_test") : undefined;
  return {
    env: { DATA_DIR: dir.dir, ...(pg ? { DATABASE_URL: pg.url, REDIS_URL: redis!.url } : {}) },
    /** The probe job's rows, read after the server exited (PGlite: its directory is free again). */
    async probeJobs(): Promise<{ state: string; retry_count: number }[]> {
      const db = pg ? await openPostgres(pg.url, { max: 1 }) : await openPglite(join(dir.dir, "pglite"));
      try {
        return await db.query("select state, retry_count from pgboss.job where name = 'lifecycle-probe'");
      } finally {
        await db.close();
      }
    },
    async remove() {
      await pg?.drop();
      await dir.remove();
    },
  };
}

/** The test's end of the probe job: GET /started is answered only on release(); POST /done is recorded. */
async function probeReceiver() {
  const held: ServerResponse[] = [];
  let started = 0;
  let done = 0;
  const srv = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    if (req.url === "/started") {
      started++;
      held.push(res);
    } else {
      done++;
      res.end("ok");
    }
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const a = srv.address();
  return {
    url: `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`,
    started: () => started,
    done: () => done,
    release() {
      for (const r of held.splice(0)) r.end("go");
    },
    close() {
      srv.closeAllConnections();
      return new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

/** Polls until fn answers something other than undefined. */
async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await Promise.resolve()
      .then(fn)
      .catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Whether a new TCP connection to the port is refused (the server stopped accepting). */
const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED"));
  });

const readyz = async (base: string) => {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string }, connection: res.headers.get("connection") };
};

/** The exit code of the server's process. */
const exitCode = (s: Server) =>
  s.child.exitCode !== null ? Promise.resolve(s.child.exitCode) : new Promise<number | null>((r) => s.child.once("exit", (code) => r(code)));

/**
 * 查询留言回复 of a message left just now, as a POST whose body is sent in two halves: the first
 * now, the rest when `finish` is called. Resolves with the answer once the server sends it.
 */
async function slowLookup(base: string) {
  const c = new Client(base);
  const form = formOf((await c.get("/messages/new")).html, "/messages")!;
  const sent = await c.post("/messages", {
    ...form,
    category: "question",
    content: "停机测试：这条留言用于查询回复",
    contactPhone: PHONE,
    captcha: CAPTCHA,
  });
  expect(sent.status, sent.html).toBe(303);
  const reference = new URL(sent.location!, base).searchParams.get("ref")!;
  const lookup = formOf((await c.get("/messages/lookup")).html, "/messages/lookup")!;
  const body = Buffer.from(new URLSearchParams({ ...lookup, reference, phone: PHONE, captcha: CAPTCHA }).toString());
  const cut = Math.floor(body.length / 2);
  const req = request(`${base}/messages/lookup`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "content-length": String(body.length),
      origin: base,
      cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
    },
  });
  const answer = new Promise<{ status: number; html: string; connection?: string }>((resolve, reject) => {
    req.on("response", (res) => {
      let html = "";
      res.setEncoding("utf8").on("data", (d: string) => (html += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, html, connection: res.headers.connection }));
    });
    req.on("error", reject);
  });
  // Marked as handled now: a test may expect it to fail (the process gone) and await it later.
  answer.catch(() => undefined);
  req.write(body.subarray(0, cut));
  await new Promise<void>((r) => req.once("socket", (s) => (s.connecting ? s.once("connect", () => r()) : r())));
  return { reference, answer, finish: () => req.end(body.subarray(cut)) };
}

const common = (port: number, set: Record<string, string>) =>
  childEnv({ PORT: String(port), HOST: "127.0.0.1", DEMO_DATA: "false", CAPTCHA_TEST_ANSWER: CAPTCHA, LOG_LEVEL: "info", ...set });

/** probe-server.ts with a probe job of its own that runs until the test releases it. */
async function startProbeServer(set: Record<string, string>) {
  const where = await place();
  const probe = await probeReceiver();
  const port = await freePort();
  const server = await startServer(NODE, viaNode("tests/support/probe-server.ts"), {
    env: common(port, { ...where.env, ...set, PROBE_JOB_URL: probe.url }),
    port,
    readyPath: "/readyz",
    timeoutMs: 120_000,
  }).catch(async (err) => {
    await probe.close();
    await where.remove();
    throw err;
  });
  const close = async () => {
    await server.stop();
    await probe.close();
    await where.remove();
  };
  return { where, probe, port, server, close };
}

describe("graceful stop on SIGTERM", () => {
  it("drains (/readyz 503), stops accepting, answers the request in flight with 200, lets the running job finish, exits 0", async () => {
    const { where, probe, port, server, close } = await startProbeServer({ SHUTDOWN_GRACE_MS: "1500" });
    try {
      const slow = await slowLookup(server.url);
      await until("the probe job to be running", () => (probe.started() === 1 ? true : undefined));
      const code = exitCode(server);
      server.child.kill("SIGTERM");
      // Draining: new connections still answered, /readyz says so and ends the connection.
      const draining = await until("/readyz 503", async () => {
        const r = await readyz(server.url);
        return r.status === 503 ? r : undefined;
      });
      expect(draining).toEqual({ status: 503, body: { status: "draining" }, connection: "close" });
      // After the grace period: no new connections.
      await until("new connections refused", async () => ((await refused(port)) ? true : undefined));
      // The request that was in flight all along gets its answer.
      slow.finish();
      const answer = await slow.answer;
      expect(answer.status, answer.html).toBe(200);
      expect(answer.html).toContain(slow.reference);
      expect(answer.connection).toBe("close");
      // The job is still running: the process waits for it.
      expect(probe.done()).toBe(0);
      expect(server.child.exitCode).toBeNull();
      probe.release();
      expect(await code).toBe(0);
      expect(probe.done()).toBe(1);
      const out = server.output();
      expect(out).toContain("shutting down: draining");
      expect(out).toContain('"msg":"shut down"');
      expect(out).not.toContain("timed out");
      expect(await where.probeJobs()).toEqual([{ state: "completed", retry_count: 0 }]);
    } finally {
      await close();
    }
  }, 180_000);

  it("a job still running at SHUTDOWN_TIMEOUT_MS: exits 1, logs it, and the engine leaves it to be retried", async () => {
    const { where, probe, server, close } = await startProbeServer({ SHUTDOWN_TIMEOUT_MS: "3000" });
    try {
      await until("the probe job to be running", () => (probe.started() === 1 ? true : undefined));
      const code = exitCode(server);
      const t0 = Date.now();
      server.child.kill("SIGTERM");
      expect(await code).toBe(1);
      expect(Date.now() - t0).toBeLessThan(10_000);
      const out = server.output();
      expect(out).toMatch(/"msg":"(jobs still running when the job engine stopped[^"]*|shutdown timed out[^"]*)"/);
      expect(out).toMatch(/"name":"lifecycle-probe"/);
      expect(probe.done()).toBe(0);
      const [job] = await where.probeJobs();
      // Failed by the engine's stop ("pg-boss shut down while active"), to be taken again.
      expect(job?.state).toBe("retry");
    } finally {
      probe.release();
      await close();
    }
  }, 180_000);

  it("npm start: a second signal exits at once, without waiting for the request in flight", async () => {
    const where = await place();
    const port = await freePort();
    const server = await startServer(NODE, viaNode("src/main.ts"), {
      env: common(port, { ...where.env, SHUTDOWN_GRACE_MS: "20000", SHUTDOWN_TIMEOUT_MS: "60000" }),
      port,
      readyPath: "/readyz",
      timeoutMs: 120_000,
    });
    try {
      const slow = await slowLookup(server.url);
      const code = exitCode(server);
      server.child.kill("SIGTERM");
      await until("/readyz 503 draining", async () => ((await readyz(server.url)).status === 503 ? true : undefined));
      const t0 = Date.now();
      server.child.kill("SIGTERM");
      expect(await code).toBe(1);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(server.output()).toContain("second signal: exiting at once");
      await expect(slow.answer).rejects.toThrow();
    } finally {
      await server.stop();
      await where.remove();
    }
  }, 180_000);

  it("Deno (npm run start:deno): drains, answers the request in flight with 200, then stops accepting and exits 0", async () => {
    const where = await place();
    const port = await freePort();
    const server = await startServer(join(ROOT, "node_modules/.bin/deno"), ["run", "-A", "--node-modules-dir=manual", "src/main.deno.ts"], {
      env: common(port, { ...where.env, SHUTDOWN_GRACE_MS: "1500" }),
      port,
      readyPath: "/readyz",
      timeoutMs: 120_000,
    });
    try {
      const slow = await slowLookup(server.url);
      const code = exitCode(server);
      server.child.kill("SIGTERM");
      const draining = await until("/readyz 503", async () => {
        const r = await readyz(server.url);
        return r.status === 503 ? r : undefined;
      });
      expect(draining.body).toEqual({ status: "draining" });
      // On Deno the server stops accepting once the requests in flight are answered (src/main.deno.ts).
      slow.finish();
      const answer = await slow.answer;
      expect(answer.status, answer.html).toBe(200);
      expect(answer.html).toContain(slow.reference);
      await until("new connections refused", async () => ((await refused(port)) ? true : undefined));
      expect(await code).toBe(0);
      expect(server.output()).toContain('"msg":"shut down"');
    } finally {
      await server.stop();
      await where.remove();
    }
  }, 180_000);
});
