import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import { buildApp } from "../../src/app.ts";
import { loadConfig, type Config } from "../../src/config.ts";
import { migrate } from "../../src/adapters/migrate.ts";
import { outboxSms } from "../../src/adapters/outbox-sms.ts";
import { scryptPasswords } from "../../src/adapters/scrypt-passwords.ts";
import { buildDeps, openJobs } from "../../src/compose.ts";
import type { Deps } from "../../src/deps.ts";
import { seedDemo } from "../../src/demo.ts";
import type { Clock } from "../../src/ports/clock.ts";
import { freshCache, freshDb, freshPostgres } from "./db.ts";
import { redisCache } from "../../src/adapters/redis-cache.ts";
import { memoryCache } from "../../src/adapters/memory-cache.ts";
import { pgliteInstance } from "../../src/adapters/pglite.ts";
import { pgBossJobs } from "../../src/adapters/pgboss-jobs.ts";
import { openPostgres } from "../../src/adapters/postgres.ts";
import { randomToken } from "../../src/lib/random.ts";
import type { Db } from "../../src/ports/db.ts";
import type { ESignature } from "../../src/ports/esignature.ts";
import type { Jobs } from "../../src/ports/jobs.ts";
import { DATABASE_URL } from "./db.ts";
import { type CountingDb, countingDb } from "./counting-db.ts";
import { mockEsign } from "../../src/adapters/mock-esign/mock-esign.ts";
import { keysOf, newMockPayKeys } from "../../src/adapters/mock-pay/key.ts";
import { mockPay } from "../../src/adapters/mock-pay/mock-pay.ts";

/**
 * One mock-cashier key pair per test process, given to every test app (MOCK_PAY_PRIVATE_KEY), so
 * that each app does not generate a 2048-bit RSA key of its own.
 */
let testPayKey: string | undefined;
const payKey = () => {
  testPayKey ??= newMockPayKeys().privateKeyPem;
  return testPayKey;
};

/** A job engine that is not running (as in a CLI script): every send is refused, nothing runs. */
const idleJobs: Jobs = {
  start: async () => undefined,
  send: async () => {
    throw new Error("the job engine is not running");
  },
  schedule: async () => undefined,
  schedules: async () => [],
  work: async () => undefined,
  stop: async () => undefined,
};

export const TEST_CAPTCHA = "TEST";

/** A settable clock for expiry tests. */
export function testClock(start = new Date("2026-11-27T02:00:00Z")): Clock & { advance(ms: number): void; set(d: Date): void } {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    advance(ms) {
      t += ms;
    },
    set(d) {
      t = d.getTime();
    },
  };
}

export type TestApp = {
  app: ReturnType<typeof buildApp>;
  deps: Deps;
  sms: ReturnType<typeof outboxSms>;
  /** The mock e-signature provider's secret, with `mockCallbacks` (to sign callbacks of a test's own). */
  mockSecret?: string;
  /** With `countStatements`: the app's Db, counting what it sends (`reset()` before a request, `count` after). */
  counter?: CountingDb;
  close: () => Promise<void>;
};

/**
 * The real app on a fresh database (PostgreSQL schema in CI, else PGlite) and cache
 * (Redis prefix in CI, else memory), with the development SMS outbox and a cheap scrypt setting.
 */
export async function makeTestApp(
  opts: {
    env?: Record<string, string>;
    clock?: Clock;
    demo?: boolean;
    captchaTestAnswer?: string | null;
    cache?: "memory" | "redis";
    log?: Logger;
    /** "engine": a real job engine (pg-boss) on the test database, in its own schema on PostgreSQL; the test starts it. */
    jobs?: "engine";
    /** The e-signature provider, built on the test's database, clock and jobs (default: what the composition root picks). */
    esign?: (parts: { db: Db; clock: Clock; jobs: Jobs; config: Config }) => ESignature;
    /**
     * The mock e-signature provider and the mock cashier posting their signed callbacks into this
     * app's own /callbacks/esign and /callbacks/pay (the app's `request`, no socket). Without the
     * engine they are sent when the test calls `deliverDue()`; with it, once the test starts the workers.
     */
    mockCallbacks?: boolean;
    /** A PostgreSQL server and a Redis server of the test's own (tests that stop and restart them), instead of the shared ones. */
    own?: { postgresUrl: string; redisUrl: string };
    /** The app's Db wrapped in a statement counter (`counter` on the result), for query budgets per request. */
    countStatements?: boolean;
  } = {},
): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), "gxv-test-"));
  const config: Config = loadConfig({
    NODE_ENV: "test",
    DATA_DIR: dataDir,
    CAPTCHA_TEST_ANSWER: opts.captchaTestAnswer === null ? "" : (opts.captchaTestAnswer ?? TEST_CAPTCHA),
    LOG_LEVEL: "silent",
    DEMO_DATA: "false",
    // The demo's year of history (many past orders with the demo providers) only where a test asks for it.
    DEMO_HISTORY: "false",
    // A change shows on the next view (production reuses the data versions for a second).
    PAGE_CACHE_VERSIONS_MS: "0",
    ...(opts.env?.NODE_ENV === "production" ? {} : { MOCK_PAY_PRIVATE_KEY: payKey() }),
    ...opts.env,
  });
  const { db: rawDb, cleanup } = opts.own ? await freshPostgres(opts.own.postgresUrl) : await freshDb();
  const counter = opts.countStatements ? countingDb(rawDb) : undefined;
  // The job engine drives the PGlite instance itself, so it is given the unwrapped handle.
  const db: Db = counter ?? rawDb;
  // Time-travel tests need the cache's expiry on the same clock, so they use the memory cache;
  // the cache contract tests prove Redis keeps the same semantics in real time.
  const clock = opts.clock;
  const cache = clock
    ? memoryCache(() => clock.now().getTime())
    : opts.own
      ? await redisCache(opts.own.redisUrl, `test:${randomToken(9)}:`)
      : await freshCache(opts.cache ?? "auto");
  const sms = outboxSms();
  const engine = opts.jobs === "engine" ? testJobs(rawDb, opts.own?.postgresUrl ?? DATABASE_URL) : undefined;
  let appRef: ReturnType<typeof buildApp> | undefined;
  const esignClock = opts.clock ?? { now: () => new Date() };
  const mockSecret = `test-mock-esign-secret-${randomToken(24)}`;
  const intoApp = opts.mockCallbacks
    ? mockEsign({
        db,
        clock: esignClock,
        jobs: engine?.jobs ?? idleJobs,
        secret: mockSecret,
        callbackUrl: "http://platform.test/callbacks/esign",
        retryDelaysMs: [50, 100, 200],
        fetch: async (url, init) => appRef!.request(url, init),
      })
    : undefined;
  const payIntoApp = opts.mockCallbacks
    ? mockPay({
        db,
        clock: esignClock,
        jobs: engine?.jobs ?? idleJobs,
        keys: keysOf(config.mockPay?.privateKey ?? payKey()),
        notifyUrl: "http://platform.test/callbacks/pay",
        retryDelaysMs: [50, 100, 200],
        fetch: async (url, init) => appRef!.request(url, init),
      })
    : undefined;
  const deps = await buildDeps(config, {
    db,
    cache,
    sms,
    clock: opts.clock,
    passwords: scryptPasswords({ logN: 10, r: 8, p: 1 }),
    log: opts.log ?? pino({ level: "silent" }),
    jobs: engine?.jobs ?? (counter ? openJobs(config, rawDb) : undefined),
    esign: intoApp ?? (opts.esign && engine ? opts.esign({ db, clock: esignClock, jobs: engine.jobs, config }) : undefined),
    pay: payIntoApp,
  });
  await migrate(db);
  if (opts.demo) await seedDemo(deps);
  appRef = buildApp(deps);
  return {
    app: appRef,
    mockSecret: intoApp ? mockSecret : undefined,
    counter,
    deps,
    sms,
    close: async () => {
      await engine?.close();
      await cache.close();
      await cleanup();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A job engine on a test database: the PGlite instance itself, or PostgreSQL in a schema of its own (dropped on close). */
function testJobs(db: Db, url: string | undefined): { jobs: Jobs; close: () => Promise<void> } {
  const pglite = pgliteInstance(db);
  if (pglite) {
    const jobs = pgBossJobs({ pglite }, { pollingIntervalSeconds: 0.5 });
    return { jobs, close: () => jobs.stop() };
  }
  const schema = `jobs_${randomToken(9)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")}`;
  const jobs = pgBossJobs({ connectionString: url! }, { schema, pollingIntervalSeconds: 0.5 });
  return {
    jobs,
    close: async () => {
      await jobs.stop();
      const admin = await openPostgres(url!, { max: 1 });
      await admin.exec(`drop schema if exists ${schema} cascade`);
      await admin.close();
    },
  };
}
