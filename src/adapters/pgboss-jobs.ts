import type { PGlite } from "@electric-sql/pglite";
import type { ConstructorOptions, JobResult, PgBoss } from "pg-boss";
import type { Logger } from "pino";
import type { Jobs } from "../ports/jobs.ts";

/**
 * Where pg-boss keeps its tables: its own pool from DATABASE_URL on PostgreSQL, or the embedded
 * PGlite instance itself (pg-boss's PGlite driver; PGlite runs one statement or transaction at a
 * time, so the engine's queries wait for the app's transactions and never run inside them).
 */
export type PgBossTarget = { connectionString: string } | { pglite: PGlite };

/** Jobs a worker takes per fetch; it fetches again at once while fetches come back full. */
export const BATCH_SIZE = 5;

/**
 * The Jobs port on pg-boss. Nothing connects until start(); pg-boss is loaded only then.
 *
 * How a worker takes its jobs (pg-boss's own default would wait a polling interval after every
 * job, so a queue drained one job per 2 s per instance, whatever the backlog): on PostgreSQL the
 * queues are notify-enabled and the engine LISTENs, so a sent job wakes the workers at once; every
 * fetch takes up to BATCH_SIZE jobs and, while fetches come back full, the worker fetches again
 * without waiting (the backlog drains at the handlers' pace); the polling interval stays as the
 * backstop (and is the only way on PGlite, which has no LISTEN here). The jobs of a batch run one
 * after another, oldest first, each settled on its own: one that throws fails (and is retried) alone.
 */
export function pgBossJobs(target: PgBossTarget, opts: { schema?: string; log?: Logger; pollingIntervalSeconds?: number } = {}): Jobs {
  let boss: PgBoss | undefined;
  const queues = new Set<string>();
  const active = new Map<string, { id: string; name: string; since: number }>();
  const listen = !("pglite" in target);
  const interval = opts.pollingIntervalSeconds ?? 2;
  const engine = () => {
    if (!boss) throw new Error("the job engine is not started");
    return boss;
  };
  const queue = async (name: string) => {
    if (queues.has(name)) return;
    await engine().createQueue(name, { notify: listen });
    // A queue made before notify was used keeps its settings on createQueue: switch it on.
    if (listen && (await engine().getQueue(name))?.notify === false) await engine().updateQueue(name, { notify: true });
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
          : new PgBoss({ ...common, connectionString: target.connectionString, max: 4, useListenNotify: true });
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
      await engine().work(
        name,
        {
          pollingIntervalSeconds: interval,
          notifyPollingIntervalSeconds: interval,
          batchSize: BATCH_SIZE,
          burstWhenBatchFull: true,
          perJobResults: true,
          includeMetadata: true,
        },
        async (jobs) => {
          const results: JobResult[] = [];
          // The engine's claim answers a batch in no particular order: run it oldest first, as one job per fetch would
          // (to the millisecond: createdOn is a Date, jobs sent within one millisecond keep no order between them).
          const ordered = [...jobs].sort((x, y) => x.createdOn.getTime() - y.createdOn.getTime());
          for (const j of ordered) {
            active.set(j.id, { id: j.id, name, since: Date.now() });
            try {
              await handler({ id: j.id, name: j.name, data: (j.data ?? {}) as Record<string, unknown> });
              results.push({ id: j.id, status: "completed" });
            } catch (err) {
              opts.log?.warn({ err, job: j.id, name }, "job failed");
              results.push({ id: j.id, status: "failed", output: { message: err instanceof Error ? err.message : String(err) } });
            } finally {
              active.delete(j.id);
            }
          }
          return results;
        },
      );
    },
    // Graceful: no new fetches; the running handlers get up to timeoutMs (pg-boss's minimum is 1 s),
    // then pg-boss fails their jobs ("pg-boss shut down while active"), which are retried by the
    // queue's retry policy, and closes its pool.
    async stop(o = {}) {
      const b = boss;
      boss = undefined;
      queues.clear();
      await b?.stop({ graceful: true, timeout: o.timeoutMs ?? 5000 });
    },
    running() {
      const now = Date.now();
      return [...active.values()].map((a) => ({ id: a.id, name: a.name, sinceMs: now - a.since }));
    },
  };
}
