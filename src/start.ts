import { resolve } from "node:path";
import type { Config } from "./config.ts";
import type { Deps } from "./deps.ts";
import { migrate } from "./adapters/migrate.ts";
import { buildDeps, closeDeps, createLogger, openDatabase, type Overrides, prepareLocalFiles, sealStoredFields } from "./compose.ts";
import { type Lifecycle, createLifecycle } from "./lifecycle.ts";
import { DEMO_PASSWORD, seedDemo } from "./demo.ts";
import { freshDataDir } from "./adapters/pglite-image.ts";
import { scryptPasswords } from "./adapters/scrypt-passwords.ts";
import { asMockEsign } from "./adapters/mock-esign/mock-esign.ts";
import { asMockPay } from "./adapters/mock-pay/mock-pay.ts";
import { DASHBOARD_FOLD_CRON, DASHBOARD_FOLD_JOB } from "./modules/dashboard/service.ts";

/**
 * The graceful stop of a started process (src/lifecycle.ts) with its settings, its job engine and
 * its pools; each entry point says only how its runtime exits.
 */
export function lifecycleOf(deps: Deps, exit: (code: number) => void): Lifecycle {
  return createLifecycle({
    graceMs: deps.config.shutdown.graceMs,
    timeoutMs: deps.config.shutdown.timeoutMs,
    log: deps.log,
    jobs: deps.jobs,
    background: () => [...background],
    closeDeps: () => closeDeps(deps),
    exit,
  });
}

/** Work a start left running in the background (it never throws); a shutdown waits for it before closing the pools. */
const background = new Set<Promise<void>>();

/** Milliseconds of each start-up step, by name, in order (the entry points log them once listening). */
export type StartSteps = Record<string, number>;

/** Records the time since the last mark (or since it was made) under each name. */
export function stepTimer(steps: StartSteps, since = performance.now()) {
  let last = since;
  return (name: string) => {
    const now = performance.now();
    steps[name] = Math.round(now - last);
    last = now;
  };
}

/**
 * Shared start-up of every entry point: the database (a fresh DATA_DIR from the migrated image),
 * adapters, migrations, demo data. `steps` receives the time each step took.
 */
export async function start(config: Config, overrides: Overrides = {}, steps: StartSteps = {}): Promise<Deps> {
  const mark = stepTimer(steps);
  const log = overrides.log ?? createLogger(config);
  const passwords = overrides.passwords ?? scryptPasswords();
  // A first start with demo data: the demo accounts' one password hash (scrypt, on libuv's thread
  // pool) is made while the database is restored on the main thread.
  const fresh = config.demoData && !overrides.db && !config.databaseUrl && (await freshDataDir(resolve(config.dataDir, "pglite")));
  const demoHash = fresh ? passwords.hash(DEMO_PASSWORD) : undefined;
  demoHash?.catch(() => undefined); // awaited (and its error thrown) by seedDemo
  const prepared = prepareLocalFiles(config, overrides);
  const later: (() => Promise<void>)[] = [];
  const db = overrides.db ?? (await openDatabase(config, { image: true, log, later: (task) => later.push(task) }));
  mark("database");
  const deps = await buildDeps(config, { ...overrides, log, db, passwords }, prepared);
  mark("adapters");
  const applied = await migrate(deps.db);
  if (applied.length) deps.log.info({ applied }, "migrations applied");
  mark("migrate");
  const sealing = await sealStoredFields(deps.db, deps.cipher);
  if (sealing.sealed || sealing.resealed) deps.log.info(sealing, "sensitive fields sealed under the current key");
  if (sealing.unreadable) deps.log.error(sealing, "sensitive fields that do not open with the configured keys were left as they are");
  mark("seal");
  if (config.demoData) {
    await seedDemo(deps, { passwordHash: demoHash });
    mark("demo");
  }
  // Background work that would only slow the start down (the database image's next spare): begun
  // as the server starts to listen; a shutdown lets it finish (lifecycleOf).
  for (const task of later) {
    const work = task();
    background.add(work);
    void work.finally(() => background.delete(work));
  }
  return deps;
}

/** The scheduled orphan-file sweep (files service `sweepOrphans`): hourly, once across all instances. */
export const SWEEP_JOB = "files-sweep-orphans";
export const SWEEP_CRON = "17 * * * *";
/** The closing job (orders service `closeUnaccepted`, 超时关闭): hourly, once across all instances. */
export const ORDER_EXPIRY_JOB = "orders-close-unaccepted";
export const ORDER_EXPIRY_CRON = "41 * * * *";
/** 尾款 reminders (orders service `remindBalance`): daily at 09:00 Asia/Shanghai (01:00 UTC), once across all instances. */
export const BALANCE_REMINDER_JOB = "orders-remind-balance";
export const BALANCE_REMINDER_CRON = "0 1 * * *";
/** 使用率提醒 (monitoring service `remindLowUsage`): daily at 09:30 Asia/Shanghai (01:30 UTC), once across all instances. */
export const USAGE_REMINDER_JOB = "monitoring-remind-usage";
export const USAGE_REMINDER_CRON = "30 1 * * *";
/** 额度收回 (monitoring service `recallUnused`, off unless VOUCHER_RECALL_DAYS is set): daily at 02:20 Asia/Shanghai (18:20 UTC). */
export const RECALL_JOB = "monitoring-recall-unused";
export const RECALL_CRON = "20 18 * * *";

/**
 * Background work of the server process, on the job engine: starts it, registers the workers and
 * the schedules. Tests and CLI scripts that need no background work never call it.
 */
export async function startJobs(deps: Deps): Promise<void> {
  await deps.jobs.start();
  await deps.jobs.work(SWEEP_JOB, async () => {
    const swept = await deps.files.sweepOrphans({ now: deps.clock.now() });
    deps.log.info(swept, "orphan files swept");
  });
  await deps.jobs.schedule(SWEEP_JOB, SWEEP_CRON);
  await deps.jobs.work(ORDER_EXPIRY_JOB, async () => {
    const run = await deps.orders.closeUnaccepted();
    deps.log.info(run, "unaccepted orders closed");
  });
  await deps.jobs.schedule(ORDER_EXPIRY_JOB, ORDER_EXPIRY_CRON);
  await deps.jobs.work(BALANCE_REMINDER_JOB, async () => {
    const run = await deps.orders.remindBalance();
    deps.log.info(run, "balance reminders sent");
  });
  await deps.jobs.schedule(BALANCE_REMINDER_JOB, BALANCE_REMINDER_CRON);
  // Monitoring (docs/monitoring.md): registered whatever the settings; a job whose setting is 0 does nothing.
  await deps.jobs.work(USAGE_REMINDER_JOB, async () => {
    const run = await deps.monitoring.remindLowUsage();
    deps.log.info(run, "low-usage reminders sent");
  });
  await deps.jobs.schedule(USAGE_REMINDER_JOB, USAGE_REMINDER_CRON);
  await deps.jobs.work(RECALL_JOB, async () => {
    const run = await deps.monitoring.recallUnused();
    deps.log.info(run, "unused voucher quota recalled");
  });
  await deps.jobs.schedule(RECALL_JOB, RECALL_CRON);
  // 数据看板: fold the ledger's and the orders' deltas into the rollups every minute.
  await deps.jobs.work(DASHBOARD_FOLD_JOB, async () => {
    const run = await deps.dashboard.fold();
    if (run.entries || run.orderChanges) deps.log.info(run, "dashboard rollups folded");
  });
  await deps.jobs.schedule(DASHBOARD_FOLD_JOB, DASHBOARD_FOLD_CRON);
  // Signing: the sign flow's start (queued at 同意 and when a seal becomes active) and the reconciler.
  await deps.signing.startWorkers();
  // Payments: the reconciler (queries what stays pending).
  await deps.payments.startWorkers();
  // 兑付: the end of 公示 and the payout reconciler.
  await deps.settlement.startWorkers();
  // Exports: the background export worker and the hourly sweep of expired export files.
  await deps.exports.startWorkers();
  // The mock e-signature provider's callback delivery and its minute tick (only when it is the provider).
  await asMockEsign(deps.esign)?.startWorkers();
  // The mock payment gateway's notification delivery and its minute tick (only when it is the channel).
  await asMockPay(deps.pay)?.startWorkers();
  deps.log.info(
    { schedules: [SWEEP_JOB, ORDER_EXPIRY_JOB, BALANCE_REMINDER_JOB, USAGE_REMINDER_JOB, RECALL_JOB, DASHBOARD_FOLD_JOB] },
    "job engine started",
  );
}

/**
 * Starts the background work of a server that already listens, so the first page does not wait
 * for the job engine (on the embedded database, pg-boss creates its schema on a first start): the
 * lifecycle reports the instance not ready (/readyz 503 starting) until `jobs` has finished, and a
 * shutdown meanwhile lets it finish before stopping the engine. If it fails, the process shuts down
 * and exits 1, as a failed start did before it listened.
 */
export function startJobsWhileServing(
  deps: Deps,
  lifecycle: Lifecycle,
  exit: (code: number) => void,
  jobs: () => Promise<void> = () => startJobs(deps),
): Promise<void> {
  const t0 = performance.now();
  const work = jobs();
  lifecycle.starting(work);
  return work.then(
    () => deps.log.info({ ms: Math.round(performance.now() - t0) }, "ready: the job engine is running"),
    async (err) => {
      if (lifecycle.draining()) return;
      deps.log.error({ err }, "the job engine did not start: shutting down");
      const code = await lifecycle.shutdown({ reason: "the job engine did not start", graceMs: 0 });
      exit(code || 1);
    },
  );
}

export type Listening = { host: string; port: number; loopbackOnly: boolean; demo: boolean; outbox: boolean; runtime?: string };

/**
 * What `npm start` prints: the URL, which interface the server listens on (and, when it keeps to
 * this machine because demo data or the SMS outbox is on, how to open it up), and the demo logins.
 */
export function welcomeText(l: Listening): string {
  const loopback = l.host === "127.0.0.1" || l.host === "::1" || l.host === "localhost";
  const shown = loopback || l.host === "0.0.0.0" || l.host === "::" ? "localhost" : l.host.includes(":") ? `[${l.host}]` : l.host;
  const url = `http://${shown}:${l.port}`;
  const lines = [
    "",
    `  广西制造业企业培优育强服务券管理平台 is running${l.runtime ? ` on ${l.runtime}` : ""}: ${url}`,
    `  Admin portal: ${url}/admin/login`,
  ];
  if (l.loopbackOnly) {
    lines.push(
      `  Listening on ${l.host} only: demo data and the SMS outbox are not reachable from other machines.`,
      "  Set HOST (e.g. HOST=0.0.0.0) to listen on other interfaces.",
    );
  } else {
    lines.push(`  Listening on ${l.host}${loopback ? " only" : l.host === "0.0.0.0" || l.host === "::" ? " (every interface)" : ""}.`);
  }
  if (l.outbox) lines.push(`  SMS outbox (development): ${url}/dev/sms`);
  if (l.demo) {
    lines.push(
      "  Demo logins (password Demo#2026):",
      "    admin portal: admin (super_admin), reviewer, finance, operator",
      "    enterprises: phones 13800000001 ... 13800000009 (账号密码登录 or 验证码登录)",
    );
  }
  lines.push("");
  return lines.join("\n");
}
