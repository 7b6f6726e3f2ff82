/**
 * The production-like cluster that bench:faults, bench:rush and bench:rolling run on, on loopback
 * only: a PostgreSQL cluster and a Redis server of its own (own-services.ts; the machine's shared
 * ones are never touched), one data directory for every instance (the file store's folder and the
 * mock providers' keys, as instances behind a load balancer share their storage), and app
 * instances started as `npm start` runs them (one node process with tsx as its loader: the tsx
 * wrapper would SIGKILL a busy child that is slow to acknowledge a relayed SIGTERM), each ready
 * when its /readyz answers 200. The instances run with the demo data (no history), the dev SMS
 * outbox and the test captcha answer, so a script signs in as a person would.
 *
 * Everything started registers its stop in `cleanups`; `runCleanups` stops it all, newest first.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Server, childEnv, freePort, startServer } from "../../tests/support/processes.ts";
import { type OwnPostgres, type OwnRedis, startOwnPostgres, startOwnRedis } from "./own-services.ts";

export type Cleanups = (() => Promise<unknown>)[];

/** What `npm start` runs, as arguments of the node binary. */
export const NPM_START = ["--import", "tsx", "src/main.ts"];

export type Cluster = {
  pg: OwnPostgres;
  redis: OwnRedis;
  dataDir: string;
  /** Starts an instance on `port` (a free one if not given) and waits until /readyz answers 200. */
  start(port?: number): Promise<Server>;
};

/**
 * Starts the cluster's PostgreSQL and Redis (instances come with `start`). `settings` are added to
 * every instance's environment (TRUST_PROXY, FILE_STORE, SHUTDOWN_GRACE_MS…); `discardStdout` sends
 * the instances' stdout (their request log) nowhere.
 */
export async function startCluster(
  name: string,
  cleanups: Cleanups,
  opts: { captcha: string; settings?: Record<string, string>; timeoutMs?: number; discardStdout?: boolean },
): Promise<Cluster> {
  const [pg, redis] = await Promise.all([startOwnPostgres(), startOwnRedis()]);
  cleanups.push(
    () => pg.close(),
    () => redis.close(),
  );
  const dataDir = await mkdtemp(join(tmpdir(), `gxv-${name}-`));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const env = (port: number) =>
    childEnv({
      NODE_ENV: "development", // the test captcha answer signs in (production refuses it)
      DATABASE_URL: pg.url,
      REDIS_URL: redis.url,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      DEMO_DATA: "true",
      DEMO_HISTORY: "false",
      DEV_SMS_OUTBOX: "true",
      CAPTCHA_TEST_ANSWER: opts.captcha,
      LOG_LEVEL: "warn",
      ...opts.settings,
    });
  return {
    pg,
    redis,
    dataDir,
    async start(given?: number) {
      const port = given ?? (await freePort());
      const s = await startServer(process.execPath, NPM_START, {
        port,
        env: env(port),
        readyPath: "/readyz",
        timeoutMs: opts.timeoutMs ?? 180_000,
        discardStdout: opts.discardStdout,
      });
      cleanups.push(() => s.stop());
      return s;
    },
  };
}

/** Runs the cleanups newest first; a failing one is reported and the rest still run. */
export async function runCleanups(cleanups: Cleanups): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c().catch((err) => console.error("cleanup:", err));
}
