/**
 * Background work runs on a job engine in the database, never on timers inside one instance: a
 * job sent or scheduled by any instance runs once, on whichever instance's worker takes it first.
 * The adapter is pg-boss (src/adapters/pgboss-jobs.ts) on PostgreSQL and on the embedded PGlite.
 */
export type JobData = Record<string, unknown>;
export type JobHandler = (job: { id: string; name: string; data: JobData }) => Promise<void>;

export interface Jobs {
  /** Connects and creates the engine's tables on first use. Only the server process starts it. */
  start(): Promise<void>;
  /** Queues one job (to run no sooner than startAfter); its id. */
  send(name: string, data?: JobData, opts?: { startAfter?: Date }): Promise<string>;
  /** A recurring job on a cron expression (UTC), registered once per name however many instances call it. */
  schedule(name: string, cron: string, data?: JobData): Promise<void>;
  /** The cron expressions registered per job name. */
  schedules(): Promise<{ name: string; cron: string }[]>;
  /** Runs handler for each job of this name; a handler that throws fails the job (the engine retries it). */
  work(name: string, handler: JobHandler): Promise<void>;
  /**
   * Stops taking jobs, waits for the running ones (up to timeoutMs, default 5 s), disconnects. A job
   * still running then is failed by the engine and retried later, by whichever instance takes it.
   */
  stop(opts?: { timeoutMs?: number }): Promise<void>;
  /** The jobs this process is running now (for the shutdown's log). */
  running?(): { id: string; name: string; sinceMs: number }[];
}
