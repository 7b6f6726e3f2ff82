import type { PGlite } from "@electric-sql/pglite";
import type { ConstructorOptions, PgBoss } from "pg-boss";
import type { Logger } from "pino";
import type { Jobs } from "../ports/jobs.ts";

/**
 * Where pg-boss keeps its tables: its own pool from DATABASE_URL on PostgreSQL, or the embedded
 * PGlite instance itself (pg-boss's PGlite driver; PGlite runs one statement or transaction at a
 * time, so the engine's queries wait for the app's transactions and never run inside them).
 */
export type PgBossTarget = { connectionString: string } | { pglite: PGlite };

/** The Jobs port on pg-boss. Nothing connects until start(); pg-boss is loaded only then. */
export function pgBossJobs(target: PgBossTarget, opts: { schema?: string; log?: Logger; pollingIntervalSeconds?: number } = {}): Jobs {
  let boss: PgBoss | undefined;
  const queues = new Set<string>();
  const engine = () => {
    if (!boss) throw new Error("the job engine is not started");
    return boss;
  };
  const queue = async (name: string) => {
    if (queues.has(name)) return;
    await engine().createQueue(name);
    queues.add(name);
  };
  return {
    async start() {
      if (boss) return;
      const { PgBoss, fromPglite } = await import("pg-boss");
      const common: ConstructorOptions = { schema: opts.schema ?? "pgboss", application_name: "gxv-jobs" };
      const b =
        "pglite" in target
          ? new PgBoss({ ...common, db: fromPglite(target.pglite), backend: "pglite" })
          : new PgBoss({ ...common, connectionString: target.connectionString, max: 4 });
      b.on("error", (err) => opts.log?.error({ err }, "job engine error"));
      await b.start();
      boss = b;
    },
    async send(name, data = {}, o = {}) {
      await queue(name);
      const id = await engine().send(name, data, o.startAfter ? { startAfter: o.startAfter } : {});
      if (!id) throw new Error(`job ${name} was not queued`);
      return id;
    },
    async schedule(name, cron, data = {}) {
      await queue(name);
      await engine().schedule(name, cron, data, { tz: "UTC" });
    },
    async schedules() {
      return (await engine().getSchedules()).map((s) => ({ name: s.name, cron: s.cron }));
    },
    async work(name, handler) {
      await queue(name);
      await engine().work(name, { pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 2 }, async (jobs) => {
        for (const j of jobs) await handler({ id: j.id, name: j.name, data: (j.data ?? {}) as Record<string, unknown> });
      });
    },
    async stop() {
      const b = boss;
      boss = undefined;
      queues.clear();
      await b?.stop({ graceful: true, timeout: 5000 });
    },
  };
}
