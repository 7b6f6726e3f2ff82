/**
 * npm run bench:dashboard [-- --schema NAME] [-- --requests 200] [-- --enterprises 100000 --orders 1000000 --ledger 10000000] [-- --keep]
 *
 * 数据看板 at scale on PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test):
 *
 * 1. the data: `--schema NAME` uses a schema `npm run seed:scale -- --schema NAME` filled before
 *    (the full seed takes many minutes; it is kept); otherwise a fresh schema `bench_dashboard_<ts>`
 *    is seeded here with the sizes given (default 5,000 providers, 50,000 products, 100,000
 *    enterprises, 1,000,000 orders, 10,000,000 ledger rows) and dropped at the end unless --keep;
 * 2. the real app (buildDeps + buildApp, NODE_ENV=production, logging off, memory cache, the
 *    postgres.js pool of 10) and a bare Hono hello-world, both served by @hono/node-server on
 *    127.0.0.1 in this process; an `operator` staff account signs in through /admin/login;
 * 3. per scenario: 10 warm-up requests, then `--requests` requests one after the other (keep-alive,
 *    `Accept-Encoding: gzip` like a browser), p50/p95/p99 and max of the whole request;
 * 4. EXPLAIN (ANALYZE, BUFFERS) of every statement of one dashboard view, printed as text;
 * 5. the fold: 10,000 ledger entries through the trigger (one statement), then one fold, timed.
 *
 * Every request goes to loopback only.
 */
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import http from "node:http";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import pino from "pino";
import { memoryCache } from "../src/adapters/memory-cache.ts";
import { migrate } from "../src/adapters/migrate.ts";
import { openPostgres } from "../src/adapters/postgres.ts";
import { buildApp } from "../src/app.ts";
import { buildDeps, closeDeps } from "../src/compose.ts";
import { loadConfig } from "../src/config.ts";
import { pgDashboard } from "../src/modules/dashboard/pg.ts";
import { pgSettlements } from "../src/modules/settlement/pg.ts";
import type { Db } from "../src/ports/db.ts";
import { seedScale } from "./lib/seed-scale.ts";
import { benchKey, intOption } from "./lib/bench-args.ts";

const { values } = parseArgs({
  options: {
    schema: { type: "string" },
    requests: { type: "string", default: "200" },
    providers: { type: "string", default: "5000" },
    products: { type: "string", default: "50000" },
    enterprises: { type: "string", default: "100000" },
    orders: { type: "string", default: "1000000" },
    ledger: { type: "string", default: "10000000" },
    keep: { type: "boolean", default: false },
  },
});
const REQUESTS = intOption("requests", values.requests, 10, 100_000);
const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const given = values.schema;
if (given && !/^[a-z_][a-z0-9_]{0,62}$/.test(given)) {
  console.error("--schema must be a lower-case SQL identifier");
  process.exit(2);
}
const schema = given ?? `bench_dashboard_${Date.now()}`;
const machine = `${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

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

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
/** One GET over a keep-alive socket: status, body (gunzipped by nobody: bytes on the wire counted), time. */
function get(port: number, path: string, cookie = ""): Promise<{ status: number; ms: number; bytes: number; body: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: "127.0.0.1", port, path, agent, headers: { "accept-encoding": "gzip", cookie } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const raw = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          ms: performance.now() - t0,
          bytes: raw.length,
          body: res.headers["content-encoding"] ? "" : raw.toString("utf8"),
        });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

const cleanups: (() => Promise<unknown>)[] = [];
async function cleanup() {
  for (const f of cleanups.reverse()) await f().catch((err) => console.error("cleanup:", err));
}

console.log(`Machine: ${machine}; load average ${load()}`);
const admin = await openPostgres(url, { max: 1, statementTimeoutMs: 3_600_000 });
cleanups.push(async () => {
  if (!given && !values.keep) await admin.exec(`drop schema if exists ${schema} cascade`);
  else console.log(`schema kept: ${schema}`);
  await admin.close();
});
try {
  if (!given) {
    await admin.exec(`create schema ${schema}`);
    const seedDb = await openPostgres(url, { searchPath: schema, max: 2, statementTimeoutMs: 3_600_000 });
    try {
      await migrate(seedDb);
      const r = await seedScale(seedDb, {
        providers: intOption("providers", values.providers, 1, 1_000_000),
        products: intOption("products", values.products, 1, 10_000_000),
        enterprises: intOption("enterprises", values.enterprises, 1, 10_000_000),
        orders: intOption("orders", values.orders, 0, 100_000_000),
        ledger: intOption("ledger", values.ledger, 0, 1_000_000_000),
        log: (l) => console.log(`  ${l}`),
      });
      console.log(`Seeded ${schema} in ${(r.ms / 1000).toFixed(1)} s`);
    } finally {
      await seedDb.close();
    }
  }

  const db = await openPostgres(url, { searchPath: schema });
  await migrate(db);
  const [size] = await db.query<{ orders: number; ledger: number; accounts: number; enterprises: number; rollup: number }>(
    `select (select count(*)::int from orders) as orders, (select count(*)::int from voucher_ledger) as ledger, (select count(*)::int from voucher_accounts) as accounts,
            (select count(*)::int from enterprises) as enterprises, (select count(*)::int from dashboard_rollup) as rollup`,
  );
  console.log(
    `Data in ${schema}: ${size!.enterprises} enterprises, ${size!.accounts} voucher accounts, ${size!.orders} orders, ${size!.ledger} ledger rows; ${size!.rollup} rollup rows`,
  );
  const dataDir = await mkdtemp(join(tmpdir(), "gxv-bench-dashboard-"));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const config = loadConfig({ NODE_ENV: "production", LOG_LEVEL: "silent", DATA_DIR: dataDir, DEMO_DATA: "false", ENCRYPTION_KEYS: benchKey() });
  const deps = await buildDeps(config, { db, cache: memoryCache(), log: pino({ level: "silent" }) });
  cleanups.push(() => closeDeps(deps));
  const app = await listen(buildApp(deps).fetch);
  cleanups.push(app.close);
  const hello = await listen(new Hono().get("/", (c) => c.text("ok")).fetch);
  cleanups.push(hello.close);

  // An operator signs in through the login form (the operator role needs no second factor in production).
  const username = `bench_${Date.now().toString(36)}`;
  const password = `Bench#${crypto.randomUUID()}`;
  const made = await deps.identity.createAdmin({ username, displayName: "压测运营", password, role: "operator", actor: "cli" });
  if (!made.ok) throw new Error(JSON.stringify(made.errors));
  cleanups.push(() => db.query("update admin_users set status = 'disabled' where username = $1", [username]));
  const login = await fetch(`http://127.0.0.1:${app.port}/admin/login`);
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair!.indexOf("=");
      jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
  };
  keep(login);
  const csrf = (await login.text()).match(/name="_csrf" value="([^"]+)"/)?.[1] ?? "";
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const signed = await fetch(`http://127.0.0.1:${app.port}/admin/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: `http://127.0.0.1:${app.port}`, cookie: cookie() },
    body: new URLSearchParams({ _csrf: csrf, username, password }),
  });
  keep(signed);
  if (signed.status !== 303) throw new Error(`admin login: ${signed.status}`);

  const programmes = await deps.vouchers.programmes();
  const thisYear = programmes.sort((a, b) => b.year - a.year)[0];
  const lastYear = programmes.find((p) => p.year < (thisYear?.year ?? 0));
  const scenarios = [
    { name: "数据看板, all programmes", path: "/admin/dashboard" },
    ...(thisYear ? [{ name: `数据看板, one programme (${thisYear.year})`, path: `/admin/dashboard?programme=${thisYear.id}` }] : []),
    ...(lastYear ? [{ name: `数据看板, year ${lastYear.year}`, path: `/admin/dashboard?year=${lastYear.year}` }] : []),
    { name: "使用率 list, page 50", path: "/admin/dashboard/usage?page=50" },
    // 兑付审核: the queue (all, 待审核, a provider's name, a deep page), 兑付拨付, the public 兑付公示.
    { name: "兑付审核 queue", path: "/admin/settlements" },
    { name: "兑付审核, 待审核", path: "/admin/settlements?status=pending" },
    { name: "兑付审核, provider name", path: `/admin/settlements?provider=${encodeURIComponent("科技")}` },
    { name: "兑付审核, page 200", path: "/admin/settlements?page=200" },
    { name: "兑付拨付 (待拨付 and batches)", path: "/admin/settlements/payouts" },
    { name: "兑付公示 (public)", path: "/settlements/publicity", anonymous: true },
  ];
  // Each page answers 200 with its heading before it is measured.
  for (const s of scenarios) {
    const r = await fetch(`http://127.0.0.1:${app.port}${s.path}`, { headers: { cookie: cookie() } });
    const html = await r.text();
    if (r.status !== 200 || !/<h1>(数据看板|服务券使用率|兑付审核|兑付拨付|兑付公示)<\/h1>/.test(html)) throw new Error(`${s.path}: ${r.status}`);
  }

  const measure = async (port: number, path: string, c = "") => {
    for (let i = 0; i < 10; i++) await get(port, path, c);
    const ms: number[] = [];
    let bytes = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const r = await get(port, path, c);
      if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
      ms.push(r.ms);
      bytes += r.bytes;
    }
    ms.sort((a, b) => a - b);
    const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!;
    return { n: ms.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: ms[ms.length - 1]!, bytes: bytes / ms.length };
  };
  console.log(`Requests: ${REQUESTS} per scenario, one after the other (10 warm-up); load average ${load()}`);
  const rows: string[] = [];
  const row = (name: string, path: string, r: Awaited<ReturnType<typeof measure>>) =>
    rows.push(
      `| ${name} | \`${path}\` | ${r.n} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${(r.bytes / 1024).toFixed(1)} |`,
    );
  row("hello-world (bare Hono)", "/", await measure(hello.port, "/"));
  for (const s of scenarios) {
    row(s.name, s.path, await measure(app.port, s.path, "anonymous" in s ? "" : cookie()));
    console.log(`  ${s.name} done`);
  }
  console.log("");
  console.log("| scenario | path | requests | p50 ms | p95 ms | p99 ms | max ms | KB gzip |");
  console.log("|---|---|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) console.log(r);
  console.log(`\nLoad average after the requests: ${load()}`);

  // The plans of one view of the whole dashboard (all programmes).
  const ids = programmes.map((p) => p.id);
  const repo = pgDashboard(db);
  for (const [label, list, keys] of [
    ["all programmes", ids, [...ids, ""]],
    ["one programme", thisYear ? [thisYear.id] : ids, thisYear ? [thisYear.id] : ids],
  ] as const) {
    for (const q of repo.pageQueries([...list], [...keys])) {
      const plan = await db.query<{ "QUERY PLAN": string }>(`explain (analyze, buffers, costs off) ${q.sql}`, q.params);
      console.log(`\n-- ${q.name} (${label})`);
      console.log(plan.map((p) => p["QUERY PLAN"]).join("\n"));
    }
  }

  // The plans of the 兑付 pages' statements: the settlement repository's own SQL, recorded as it runs.
  const recorded: { sql: string; params: readonly unknown[] }[] = [];
  const spy: Db = {
    ...db,
    kind: db.kind,
    query: (sql, params = []) => {
      recorded.push({ sql, params });
      return db.query(sql, params);
    },
  };
  const settlements = pgSettlements(spy);
  for (const [label, run] of [
    ["兑付审核 queue, first page", () => settlements.list({}, 20, 0)],
    ["兑付审核, 待审核", () => settlements.list({ status: "pending" }, 20, 0)],
    ["兑付审核, page 200", () => settlements.list({}, 20, 199 * 20)],
    ["兑付拨付, 待拨付", () => settlements.list({ status: "awaiting_payout" }, 100, 0)],
    ["拨付批次", () => settlements.batches(20, 0)],
    ["兑付公示, first page", () => settlements.publicity(20, 0)],
  ] as const) {
    recorded.length = 0;
    await run();
    for (const q of [...recorded]) {
      const plan = await db.query<{ "QUERY PLAN": string }>(`explain (analyze, buffers, costs off) ${q.sql}`, q.params);
      console.log(`\n-- ${label}: ${q.sql.replace(/\s+/g, " ").slice(0, 90)}…`);
      console.log(plan.map((p) => p["QUERY PLAN"]).join("\n"));
    }
  }

  // The fold's cost: 10,000 reservation moves (pairs on existing orders' accounts, written in one statement through the trigger), then one fold.
  const sample = await db.query<{ account_id: string; order_id: string }>(
    "select voucher_account_id as account_id, id as order_id from orders where voucher_account_id is not null and status = 'in_service' limit 5000",
  );
  if (sample.length) {
    const accountsArr = `{${sample.map((s) => s.account_id).join(",")}}`;
    const ordersArr = `{${sample.map((s) => s.order_id).join(",")}}`;
    const tag = Date.now().toString(36);
    const t0 = performance.now();
    await db.query(
      `insert into voucher_ledger (account_id, kind, amount_fen, order_id, ref)
       select a, k, 1, o, 'bench:' || $3 from unnest($1::uuid[], $2::uuid[]) as x(a, o) cross join (values ('reserve'), ('release')) as v(k)`,
      [accountsArr, ordersArr, tag],
    );
    const insertMs = performance.now() - t0;
    const t1 = performance.now();
    const fold = await deps.dashboard.fold();
    const foldMs = performance.now() - t1;
    console.log(
      `\nFold: ${sample.length * 2} ledger entries inserted through the trigger in ${insertMs.toFixed(0)} ms (one statement); fold of ${fold.entries} deltas in ${foldMs.toFixed(0)} ms (${fold.batches} batch)`,
    );
    console.log("(The bench's entries are +1/-1 fen pairs named bench:*, net zero; the accounts' running totals are not touched by a raw insert.)");
  }
  console.log(`Load average at the end: ${load()}`);
} finally {
  agent.destroy();
  await cleanup();
}
