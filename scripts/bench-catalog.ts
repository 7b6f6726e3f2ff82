/**
 * npm run bench:catalog [-- --duration 10] [-- --concurrency 20] [-- --providers 5000 --products 50000] [-- --keep]
 *
 * The public product lists at scale on PostgreSQL (DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test):
 *
 * 1. a fresh schema `bench_catalog_<timestamp>`, migrated and seeded with scripts/lib/seed-scale.ts
 *    (5,000 providers, 50,000 listed products, then VACUUM ANALYZE);
 * 2. the real app (buildDeps + buildApp, NODE_ENV=production, logging off, memory cache, the
 *    postgres.js pool of 10 the app opens by default) served by @hono/node-server on 127.0.0.1, port 0,
 *    and a bare Hono hello-world served the same way in the same process;
 * 3. a load generator in a worker thread (node:http with a keep-alive agent, `Accept-Encoding: gzip`
 *    like a browser): per scenario 1 s of warm-up, then `--concurrency` clients each sending one
 *    request after the other for `--duration` seconds (at most 500,000 requests); requests/s and
 *    p50/p95/p99 latency, and the ratio of requests/s to the hello-world;
 * 4. everything is closed and the schema dropped (unless --keep).
 *
 * Every request goes to loopback only. One run takes about 2 to 3 minutes (most of it the seed).
 */
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import pino from "pino";
import { memoryCache } from "../src/adapters/memory-cache.ts";
import { migrate } from "../src/adapters/migrate.ts";
import { openPostgres } from "../src/adapters/postgres.ts";
import { buildApp } from "../src/app.ts";
import { buildDeps, closeDeps } from "../src/compose.ts";
import { loadConfig } from "../src/config.ts";
import { seedScale } from "./lib/seed-scale.ts";
import { benchKey, numberOption } from "./lib/bench-args.ts";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    concurrency: { type: "string", default: "20" },
    providers: { type: "string", default: "5000" },
    products: { type: "string", default: "50000" },
    keep: { type: "boolean", default: false },
  },
});
const DURATION_MS = numberOption("duration", values.duration, 1, 60) * 1000;
const CONCURRENCY = Math.floor(numberOption("concurrency", values.concurrency, 1, 200));
const PROVIDERS = Math.floor(numberOption("providers", values.providers, 1, 100_000));
const PRODUCTS = Math.floor(numberOption("products", values.products, 1, 1_000_000));
const WARMUP_MS = 1000;
const MAX_REQUESTS = 500_000;
const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const SCENARIOS: { name: string; path: string }[] = [
  { name: "newest (default list)", path: "/services" },
  { name: "通用券, category digital, price asc", path: "/services/general?category=digital&sort=price_asc" },
  { name: "region 450100, ¥10,000-¥100,000", path: "/services?region=450100&min=10000&max=100000" },
  { name: "search 数字化改造", path: `/services?q=${encodeURIComponent("数字化改造")}` },
  { name: "search 检测", path: `/services?q=${encodeURIComponent("检测")}` },
  { name: "search 管理 (a third of all listings)", path: `/services?q=${encodeURIComponent("管理")}` },
  { name: "deep page 50", path: "/services?page=50" },
  { name: "home page (figures cached for 60 s)", path: "/" },
];

/** The load generator, a CommonJS worker given as source so it runs without the TypeScript loader. */
const WORKER = `
const { parentPort } = require("node:worker_threads");
const http = require("node:http");
parentPort.on("message", async (job) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
  const get = () => new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request({ host: "127.0.0.1", port: job.port, path: job.path, agent, headers: { "accept-encoding": "gzip" } }, (res) => {
      let bytes = 0;
      res.on("data", (c) => { bytes += c.length; });
      res.on("end", () => resolve({ ms: performance.now() - t0, status: res.statusCode, bytes }));
      res.on("error", () => resolve({ ms: performance.now() - t0, status: 0, bytes }));
    });
    req.setTimeout(30000, () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve({ ms: performance.now() - t0, status: 0, bytes: 0 }));
    req.end();
  });
  const run = async (ms, max, record) => {
    const deadline = performance.now() + ms;
    let issued = 0;
    const client = async () => {
      while (issued < max && performance.now() < deadline) {
        issued++;
        const r = await get();
        record(r);
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: job.concurrency }, client));
    return performance.now() - t0;
  };
  await run(job.warmupMs, job.maxRequests, () => {});
  const lat = [];
  let errors = 0, bytes = 0;
  const elapsed = await run(job.durationMs, job.maxRequests, (r) => {
    if (r.status === 200) { lat.push(r.ms); bytes += r.bytes; } else errors++;
  });
  agent.destroy();
  const buf = Float64Array.from(lat);
  parentPort.postMessage({ lat: buf, errors, bytes, elapsed }, [buf.buffer]);
});
`;

type Result = {
  name: string;
  path: string;
  n: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  avgBytes: number;
  total?: string;
};

function drive(worker: Worker, port: number, path: string): Promise<{ lat: Float64Array; errors: number; bytes: number; elapsed: number }> {
  return new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.postMessage({ port, path, concurrency: CONCURRENCY, durationMs: DURATION_MS, warmupMs: WARMUP_MS, maxRequests: MAX_REQUESTS });
  });
}

function summarise(name: string, path: string, r: { lat: Float64Array; errors: number; bytes: number; elapsed: number }): Result {
  const s = Float64Array.from(r.lat).sort();
  const q = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : NaN);
  return {
    name,
    path,
    n: s.length,
    rps: (s.length / r.elapsed) * 1000,
    p50: q(0.5),
    p95: q(0.95),
    p99: q(0.99),
    errors: r.errors,
    avgBytes: s.length ? r.bytes / s.length : 0,
  };
}

function listen(fetch: (req: Request) => Response | Promise<Response>): Promise<{ port: number; close: () => Promise<void> }> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
      resolve({
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}

const machine = `${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
const schema = `bench_catalog_${Date.now()}`;
const cleanups: (() => Promise<unknown>)[] = [];
let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const f of cleanups.reverse()) await f().catch((err) => console.error("cleanup:", err));
}
process.once("SIGINT", () => {
  console.error("interrupted: cleaning up");
  void cleanup().then(() => process.exit(130));
});

console.log(`Machine: ${machine}; load average ${load()}`);
const admin = await openPostgres(url, { max: 1, statementTimeoutMs: 600_000 });
cleanups.push(async () => {
  if (!values.keep) await admin.exec(`drop schema if exists ${schema} cascade`);
  else console.log(`kept schema ${schema}`);
  await admin.close();
});
await admin.exec(`create schema ${schema}`);
try {
  const seedDb = await openPostgres(url, { searchPath: schema, max: 2, statementTimeoutMs: 600_000 });
  try {
    await migrate(seedDb);
    const r = await seedScale(seedDb, { providers: PROVIDERS, products: PRODUCTS });
    console.log(
      `Seeded schema ${schema}: ${r.providers} providers, ${r.products} listed products in ${(r.ms / 1000).toFixed(1)} s (incl. vacuum analyze ${(r.vacuumMs / 1000).toFixed(1)} s)`,
    );
  } finally {
    await seedDb.close();
  }

  // The app as `npm start` builds it with DATABASE_URL set: a postgres.js pool of 10.
  const db = await openPostgres(url, { searchPath: schema });
  const dataDir = await mkdtemp(join(tmpdir(), "gxv-bench-catalog-"));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const config = loadConfig({ NODE_ENV: "production", LOG_LEVEL: "silent", DATA_DIR: dataDir, DEMO_DATA: "false", ENCRYPTION_KEYS: benchKey() });
  const deps = await buildDeps(config, { db, cache: memoryCache(), log: pino({ level: "silent" }) });
  cleanups.push(() => closeDeps(deps));
  const app = await listen(buildApp(deps).fetch);
  cleanups.push(app.close);
  const hello = await listen(new Hono().get("/", (c) => c.text("ok")).fetch);
  cleanups.push(hello.close);

  // Each page answers 200 with the expected list before it is measured.
  const totals = new Map<string, string>();
  for (const s of SCENARIOS) {
    const res = await fetch(`http://127.0.0.1:${app.port}${s.path}`);
    const html = await res.text();
    const m = html.match(/共 (\d+) 个服务产品/);
    const cards = html.match(/class="card product-card"/g)?.length ?? 0;
    if (s.path === "/") {
      // The home page: four newest per voucher kind (the scale seed picks no 推荐服务) and the figures.
      if (res.status !== 200 || cards !== 8 || !html.includes("上架服务产品")) throw new Error(`/: status ${res.status}, ${cards} cards`);
      continue;
    }
    if (res.status !== 200 || !m || cards !== Math.min(20, Math.max(0, Number(m[1]) - (s.path.includes("page=50") ? 980 : 0)))) {
      throw new Error(`${s.path}: status ${res.status}, total ${m?.[1]}, ${cards} cards`);
    }
    totals.set(s.path, m[1]!);
  }

  const worker = new Worker(WORKER, { eval: true });
  cleanups.push(() => worker.terminate());
  console.log(
    `Load: ${CONCURRENCY} concurrent keep-alive clients, ${WARMUP_MS / 1000} s warm-up + ${DURATION_MS / 1000} s per scenario; load average ${load()}`,
  );
  const results: Result[] = [];
  results.push(summarise("hello-world (bare Hono)", "/", await drive(worker, hello.port, "/")));
  for (const s of SCENARIOS) {
    const r = summarise(s.name, s.path, await drive(worker, app.port, s.path));
    r.total = totals.get(s.path);
    results.push(r);
    console.log(`  ${s.name}: ${r.rps.toFixed(0)} req/s`);
  }
  const base = results[0]!.rps;
  console.log("");
  console.log("| scenario | path | matches | requests | req/s | p50 ms | p95 ms | p99 ms | vs hello-world | errors |");
  console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of results) {
    console.log(
      `| ${r.name} | \`${decodeURIComponent(r.path)}\` | ${r.total ?? ""} | ${r.n} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.p99.toFixed(1)} | ${(r.rps / base).toFixed(3)} | ${r.errors} |`,
    );
  }
  console.log("");
  console.log(`Load average at the end: ${load()}`);
  if (results.some((r) => r.errors > 0 || r.n === 0)) process.exitCode = 1;
} finally {
  await cleanup();
}
