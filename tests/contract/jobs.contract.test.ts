import { afterAll, describe, expect, it } from "vitest";
import { openPglite, pgliteInstance } from "../../src/adapters/pglite.ts";
import { openPostgres } from "../../src/adapters/postgres.ts";
import { type PgBossTarget, pgBossJobs } from "../../src/adapters/pgboss-jobs.ts";
import type { JobData, Jobs } from "../../src/ports/jobs.ts";
import { randomToken } from "../../src/lib/random.ts";
import { DATABASE_URL } from "../support/db.ts";

/**
 * The Jobs port's contract on pg-boss, on the embedded PGlite and (when DATABASE_URL is set) on
 * PostgreSQL. Two engine instances on one database stand for two server instances.
 */
type Engine = { make: (pollingIntervalSeconds?: number) => Jobs; cleanup: () => Promise<void> };
const engines: [string, () => Promise<Engine>][] = [
  [
    "pglite",
    async () => {
      const db = await openPglite();
      const target: PgBossTarget = { pglite: pgliteInstance(db)! };
      return { make: (p = 0.5) => pgBossJobs(target, { pollingIntervalSeconds: p }), cleanup: () => db.close() };
    },
  ],
];
const url = DATABASE_URL;
if (url) {
  engines.push([
    "postgres",
    async () => {
      const schema = `jobs_${randomToken(9)
        .toLowerCase()
        .replace(/[^a-z0-9]/g, "")}`;
      return {
        make: (p = 0.5) => pgBossJobs({ connectionString: url }, { schema, pollingIntervalSeconds: p }),
        cleanup: async () => {
          const admin = await openPostgres(url, { max: 1 });
          await admin.exec(`drop schema if exists ${schema} cascade`);
          await admin.close();
        },
      };
    },
  ]);
}

/** Waits for a condition (no fixed sleeps); fails after timeoutMs. */
async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(engines)("Jobs contract (pg-boss): %s", (_name, open) => {
  let engine: Engine;
  const started: Jobs[] = [];
  const startOne = async (pollingIntervalSeconds?: number) => {
    engine ??= await open();
    const j = engine.make(pollingIntervalSeconds);
    await j.start();
    started.push(j);
    return j;
  };
  afterAll(async () => {
    for (const j of started) await j.stop();
    await engine?.cleanup();
  });

  it("a sent job runs once, even with two instances working the queue", async () => {
    const [a, b] = [await startOne(), await startOne()];
    const runs: { by: string; data: JobData }[] = [];
    await a.work("contract-once", async (job) => void runs.push({ by: "a", data: job.data }));
    await b.work("contract-once", async (job) => void runs.push({ by: "b", data: job.data }));
    const ids = await Promise.all([1, 2, 3, 4, 5].map((n) => (n % 2 ? a : b).send("contract-once", { n })));
    expect(ids.every((id) => typeof id === "string")).toBe(true);
    await until(() => runs.length >= 5);
    // A little longer, to see that nothing runs twice.
    const sentinel = await a.send("contract-once", { n: 6 });
    expect(sentinel).toBeTruthy();
    await until(() => runs.some((r) => r.data.n === 6));
    expect(runs.map((r) => r.data.n).sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("a job sent to start later waits", async () => {
    const a = await startOne();
    let ran = 0;
    await a.work("contract-later", async () => void ran++);
    await a.send("contract-later", {}, { startAfter: new Date(Date.now() + 3_600_000) });
    const now = await a.send("contract-later");
    expect(now).toMatch(/^[0-9a-f-]{36}$/);
    await until(() => ran >= 1);
    expect(ran).toBe(1);
  });

  it("a scheduled job is registered once, whichever instances schedule it", async () => {
    const [a, b] = [await startOne(), await startOne()];
    await a.schedule("contract-cron", "17 * * * *");
    await b.schedule("contract-cron", "17 * * * *");
    const mine = (await a.schedules()).filter((s) => s.name === "contract-cron");
    expect(mine).toEqual([{ name: "contract-cron", cron: "17 * * * *" }]);
  });

  it("a backlog drains at the handler's pace, oldest first, not one job per polling interval", async () => {
    // A 30 s polling interval: the 12 jobs (sent before the worker starts) can only all run within the
    // wait below if the worker fetches again at once while its fetches come back full.
    const a = await startOne(30);
    // The engine's creation time reaches the adapter as a Date (milliseconds): jobs sent within one
    // millisecond have no order between them, so each is sent once the clock has moved on.
    for (let n = 1, last = -1; n <= 12; n++) {
      while (Date.now() === last) await new Promise((r) => setImmediate(r));
      last = Date.now();
      await a.send("contract-backlog", { n });
    }
    const runs: number[] = [];
    await a.work("contract-backlog", async (job) => void runs.push(job.data.n as number));
    await until(() => runs.length >= 12, 15_000);
    // One worker takes them oldest first, batch after batch (the engine's claim answers a batch unordered).
    expect(runs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it("a job that fails in a batch fails alone: the others complete once, it is retried", async () => {
    const a = await startOne();
    for (let n = 1; n <= 5; n++) await a.send("contract-batch-fail", { n });
    const runs: number[] = [];
    await a.work("contract-batch-fail", async (job) => {
      const n = job.data.n as number;
      runs.push(n);
      if (n === 3 && runs.filter((x) => x === 3).length === 1) throw new Error("the first attempt of job 3 fails");
    });
    await until(() => runs.filter((x) => x === 3).length >= 2);
    // The sentinel, sent after the retry, runs after everything before it settled.
    const seen = runs.length;
    await a.send("contract-batch-fail", { n: 6 });
    await until(() => runs.includes(6));
    expect(seen).toBe(6);
    expect(runs.sort((x, y) => x - y)).toEqual([1, 2, 3, 3, 4, 5, 6]);
  });

  // PGlite has no LISTEN here: there the polling interval is the only way, so this case is PostgreSQL's alone.
  if (_name === "postgres") {
    it("a sent job wakes an idle worker at once (LISTEN/NOTIFY), not at its next poll", async () => {
      const a = await startOne(30);
      const runs: number[] = [];
      await a.work("contract-notify", async (job) => void runs.push(job.data.n as number));
      // The first job shows the worker running; after it the worker sleeps its 30 s interval, so only a notification wakes it within the wait.
      await a.send("contract-notify", { n: 1 });
      await until(() => runs.length === 1, 15_000);
      await a.send("contract-notify", { n: 2 });
      await until(() => runs.length === 2, 15_000);
      expect(runs).toEqual([1, 2]);
    });
  }

  it("a failing job is retried until it succeeds", async () => {
    const a = await startOne();
    let attempts = 0;
    await a.work("contract-retry", async () => {
      attempts++;
      if (attempts === 1) throw new Error("first attempt fails");
    });
    await a.send("contract-retry");
    await until(() => attempts >= 2);
    expect(attempts).toBe(2);
  });
});
