/**
 * npm run bench:pages:load [-- --connections 64] [-- --seconds 10] [-- --warmup 2] [-- --signed-in 64]
 *                          [-- --providers 500 --products 5000 --enterprises 2000 --orders 20000 --ledger 0] [-- --no-demo]
 *                          [-- --database-url URL [--schema NAME]] [-- --no-embedded] [-- --plain] [-- --json FILE]
 *
 * The public and the signed-in pages under load, side by side in one run with a bare Hono
 * hello-world (issue 15, deliverable 2), every server a process of its own on loopback:
 *
 * 1. the hello-world (`new Hono().get("/", c => c.text("ok"))` on @hono/node-server,
 *    scripts/lib/hello-server.ts) is measured first (and again at the end, to show the drift);
 * 2. the app on PostgreSQL: by default a cluster of its own (scripts/lib/cluster.ts: own PostgreSQL
 *    and Redis), the demo data (so 企业需求 and 政策资讯 have their few entries; --no-demo leaves it
 *    out), then seed:scale data of the sizes given (scripts/lib/seed-scale.ts); with
 *    `--database-url URL [--schema NAME]` an existing seed:scale database (only the signed-in
 *    enterprises' passwords are set) and a Redis of its own. ONE instance as `npm start` runs it
 *    in production: NODE_ENV=production, a throw-away ENCRYPTION_KEYS, the Redis cache, LOG_LEVEL
 *    info (production's default: a line per request) to a discarded stdout. Anonymous pages: 首页,
 *    全部服务, a search, a product page, a provider page, 企业需求, 政策资讯, 兑付公示. Signed in:
 *    `--signed-in` seed:scale enterprises that have orders get a password (the app's scrypt hash)
 *    and sign in through 账号密码登录 over HTTP, the captcha answer read from the bench's own
 *    Redis as a person reads the picture; connection i uses enterprise i mod N for 我的服务券,
 *    我购买的服务 and its own order's 订单详情;
 * 3. the embedded default: `npm start` with a fresh DATA_DIR and nothing else set (PGlite, the
 *    memory cache, the demo data), the same anonymous pages (ids of the demo data).
 *
 * Per target: `--warmup` seconds, then `--seconds` seconds of `--connections` keep-alive
 * connections in a closed loop (scripts/lib/load-generator.ts), `Accept-Encoding: gzip` like a
 * browser (`--plain`: none, as autocannon sends). Every answer must be 200 and sampled bodies (each
 * connection's first, then every 100th) must show the page's marker, else the target FAILS. The
 * table: req/s, p50, p99, the ratio to the hello-world (the better of its two runs), the goal and MET / NOT MET, and the
 * CPU of the generator, of the server process and of the whole machine. `--json FILE` writes it all.
 * Exits 1 when a target failed. Everything started is stopped by its pid and every temporary
 * folder removed, also on Ctrl-C.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "redis";
import { openPostgres } from "../src/adapters/postgres.ts";
import { migrate } from "../src/adapters/migrate.ts";
import { scryptPasswords } from "../src/adapters/scrypt-passwords.ts";
import { closeDeps } from "../src/compose.ts";
import { loadConfig } from "../src/config.ts";
import { start as startPlatform } from "../src/start.ts";
import type { Db } from "../src/ports/db.ts";
import { type Server, childEnv, freePort, startServer } from "../tests/support/processes.ts";
import { benchKey, intOption } from "./lib/bench-args.ts";
import { Client, decode, formOf, pageErrors } from "./lib/bench-http.ts";
import { type Cleanups, NPM_START, runCleanups, startCluster } from "./lib/cluster.ts";
import { type LoadResult, runLoad } from "./lib/load-generator.ts";
import { startOwnRedis } from "./lib/own-services.ts";
import { seedScale } from "./lib/seed-scale.ts";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "64" },
    seconds: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    "signed-in": { type: "string", default: "64" },
    providers: { type: "string", default: "500" },
    products: { type: "string", default: "5000" },
    enterprises: { type: "string", default: "2000" },
    orders: { type: "string", default: "20000" },
    ledger: { type: "string", default: "0" },
    "no-demo": { type: "boolean", default: false },
    "database-url": { type: "string" },
    schema: { type: "string" },
    "no-embedded": { type: "boolean", default: false },
    plain: { type: "boolean", default: false },
    json: { type: "string" },
  },
});
const CONNECTIONS = intOption("connections", values.connections, 1, 1000);
const SECONDS = intOption("seconds", values.seconds, 1, 600);
const WARMUP = intOption("warmup", values.warmup, 0, 60);
const SIGNED_IN = intOption("signed-in", values["signed-in"], 1, 1000);
const SEED = {
  providers: intOption("providers", values.providers, 1, 1_000_000),
  products: intOption("products", values.products, 1, 10_000_000),
  enterprises: intOption("enterprises", values.enterprises, 1, 10_000_000),
  orders: intOption("orders", values.orders, 1, 100_000_000),
  ledger: intOption("ledger", values.ledger, 0, 1_000_000_000),
};
const GIVEN_URL = values["database-url"];
const SCHEMA = values.schema;
if (SCHEMA && !GIVEN_URL) {
  console.error("--schema needs --database-url (the database holding that seed:scale schema)");
  process.exit(2);
}
if (SCHEMA && !/^[a-z_][a-z0-9_]{0,62}$/.test(SCHEMA)) {
  console.error("--schema must be a lower-case SQL identifier (a-z, 0-9, _)");
  process.exit(2);
}
const PASSWORD = "PagesLoad#2026";
const COMMAND = ["npm run bench:pages:load", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" ");

type Group = "PostgreSQL, anonymous" | "PostgreSQL, signed in" | "embedded (PGlite), anonymous";
/** Issue 15's goals: requests/s as a share of the hello-world's, and the p99 where one is set. */
const GOALS: Record<Group, { ratio: number; p99?: number }> = {
  "PostgreSQL, anonymous": { ratio: 0.3, p99: 50 },
  "PostgreSQL, signed in": { ratio: 0.05, p99: 200 },
  "embedded (PGlite), anonymous": { ratio: 0.1 },
};
const goalText = (g: { ratio: number; p99?: number }) => `≥${g.ratio * 100}%${g.p99 ? `, p99 ≤${g.p99} ms` : ""}`;

type Page = {
  name: string;
  /** The path of connection i (most pages: the same for all). */
  path: (connection: number) => string;
  cookie?: (connection: number) => string;
  /** What is wrong with a body of connection i, or undefined. */
  check: (html: string, connection: number) => string | undefined;
};
type Row = {
  group: Group | "hello-world";
  name: string;
  path: string;
  result: LoadResult;
  serverCpuPercent: number;
  machineBusyPercent: number;
  ratio?: number;
  goal?: string;
  verdict?: "MET" | "NOT MET" | "FAILED";
};

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
const has = (marker: string) => (html: string) =>
  html.includes(marker) ? undefined : `no ${marker} in the page (${pageErrors(html) || html.slice(0, 80)})`;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// ---- CPU: this process (the generator, in the result), the server's process, the whole machine ----

const TICK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();
/** CPU seconds used so far by a process (utime + stime of /proc/<pid>/stat). */
function processCpu(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return Number.NaN;
  }
}
/** Busy and total jiffies of all CPUs (/proc/stat). */
function machineCpu(): { busy: number; total: number } {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

/**
 * Waits until the machine is quiet (under 20% busy over a second, at most 60 s): a server just
 * started still has background work (its job engine's first rounds, the embedded default's next
 * database image, PostgreSQL's autovacuum), which would be measured as the first targets' cost.
 */
async function settle(): Promise<void> {
  const started = performance.now();
  for (;;) {
    const m0 = machineCpu();
    await new Promise((r) => setTimeout(r, 1000));
    const m1 = machineCpu();
    const busy = ((m1.busy - m0.busy) / (m1.total - m0.total)) * 100;
    if (!(busy >= 20) || performance.now() - started > 60_000) {
      console.log(`  settled in ${secs(performance.now() - started)} (machine ${Number.isNaN(busy) ? "?" : busy.toFixed(0)}% busy)`);
      return;
    }
  }
}

const connections = CONNECTIONS;
const gzip = !values.plain;
async function measure(group: Row["group"], server: Server, port: number, page: Page): Promise<Row> {
  const s0 = processCpu(server.child.pid);
  const m0 = machineCpu();
  const t0 = performance.now();
  const result = await runLoad(
    {
      port,
      request: (i) => ({ path: page.path(i), headers: page.cookie ? { Cookie: page.cookie(i) } : undefined }),
      check: page.check,
      sampleEvery: 100,
    },
    { connections, durationMs: SECONDS * 1000, warmupMs: WARMUP * 1000, gzip },
  );
  // The server's and the machine's CPU over warm-up and window together (the generator's over the window).
  const wall = (performance.now() - t0) / 1000;
  const m1 = machineCpu();
  const row: Row = {
    group,
    name: page.name,
    path: decodeURIComponent(page.path(0)),
    result,
    serverCpuPercent: ((processCpu(server.child.pid) - s0) / wall) * 100,
    machineBusyPercent: ((m1.busy - m0.busy) / (m1.total - m0.total)) * 100,
  };
  const r = result;
  console.log(
    `  ${page.name}: ${r.rps.toFixed(0)} req/s, p50 ${r.latency.p50.toFixed(1)} ms, p99 ${r.latency.p99.toFixed(1)} ms${r.ok ? "" : `  FAILED: ${JSON.stringify(r.statuses)} ${JSON.stringify(r.errors)} ${r.failures.slice(0, 3).join(" | ")}`}; load ${load()}`,
  );
  return row;
}

// ---- the anonymous pages, from the ids of the data the server has ----

type Ids = { productId: string; productTitle: string; providerId: string; providerName: string };
function anonymousPages(ids: Ids): Page[] {
  const same = (p: string) => () => p;
  const listed = (html: string) => {
    const n = Number(/共 (\d+) 个服务产品/.exec(html)?.[1] ?? Number.NaN);
    return n > 0 ? undefined : `no 共 N 个服务产品 with N > 0 (${pageErrors(html) || html.slice(0, 80)})`;
  };
  const both =
    (...checks: ((html: string) => string | undefined)[]) =>
    (html: string) => {
      for (const c of checks) {
        const wrong = c(html);
        if (wrong) return wrong;
      }
      return undefined;
    };
  return [
    { name: "首页", path: same("/"), check: has("<h1>广西制造业企业培优育强服务券管理平台</h1>") },
    { name: "全部服务 (catalog list)", path: same("/services"), check: both(has("<h1>全部服务</h1>"), listed) },
    { name: "search 检测", path: same(`/services?q=${encodeURIComponent("检测")}`), check: both(has("<h1>全部服务</h1>"), listed) },
    { name: "product page", path: same(`/products/${ids.productId}`), check: has(`<h1>${escapeHtml(ids.productTitle)}</h1>`) },
    { name: "provider page", path: same(`/providers/${ids.providerId}`), check: has(`<h1>${escapeHtml(ids.providerName)}</h1>`) },
    { name: "企业需求", path: same("/demands"), check: has("<h1>企业需求</h1>") },
    { name: "政策资讯", path: same("/news"), check: has("<h1>政策资讯</h1>") },
    { name: "兑付公示", path: same("/settlements/publicity"), check: has("<h1>兑付公示</h1>") },
  ];
}

/** Each page answers 200 with its marker once before it is measured (a broken page fails here, loudly). */
async function preflight(base: string, pages: Page[]) {
  for (const p of pages) {
    const res = await fetch(base + p.path(0), { headers: p.cookie ? { cookie: p.cookie(0) } : {}, redirect: "manual" });
    const html = await res.text();
    const wrong = res.status !== 200 ? `status ${res.status} ${pageErrors(html)}` : p.check(html, 0);
    if (wrong) throw new Error(`${p.name} (${p.path(0)}): ${wrong}`);
  }
}

/** The product (of the provider with most listings) and its provider, from the database. */
async function idsFromDatabase(db: Db): Promise<Ids> {
  const [row] = await db.query<{ product_id: string; title: string; provider_id: string; name: string }>(
    `select l.product_id, l.title, l.provider_id, p.name from product_listings l join providers p on p.id = l.provider_id
      where l.provider_id = (select provider_id from product_listings group by provider_id order by count(*) desc, provider_id limit 1)
      order by l.listed_at desc limit 1`,
  );
  if (!row) throw new Error("no listed product in the database");
  return { productId: row.product_id, productTitle: row.title, providerId: row.provider_id, providerName: row.name };
}

/** The first product of 全部服务 and its provider, over HTTP (the embedded database is the server's own). */
async function idsFromPages(base: string): Promise<Ids> {
  const list = await (await fetch(`${base}/services`)).text();
  const productId = /href="\/products\/([0-9a-f-]{36})"/.exec(list)?.[1];
  if (!productId) throw new Error("no product link on /services");
  const product = await (await fetch(`${base}/products/${productId}`)).text();
  const productTitle = /<h1>([^<]+)<\/h1>/.exec(product)?.[1];
  const providerId = /href="\/providers\/([0-9a-f-]{36})"/.exec(product)?.[1];
  if (!productTitle || !providerId) throw new Error(`no title or provider link on /products/${productId}`);
  const provider = await (await fetch(`${base}/providers/${providerId}`)).text();
  const providerName = /<h1>([^<]+)<\/h1>/.exec(provider)?.[1];
  if (!providerName) throw new Error(`no name on /providers/${providerId}`);
  return { productId, productTitle: decode(productTitle), providerId, providerName: decode(providerName) };
}

// ---- signed in: seed:scale enterprises with orders, a password each, signed in over HTTP ----

type Member = { phone: string; orderId: string; orderNumber: string; cookie: string };
async function signInMembers(db: Db, base: string, redisUrl: string, n: number): Promise<Member[]> {
  const picked = await db.query<{ account_id: string; phone: string; order_id: string; number: string }>(
    `select a.id as account_id, a.phone, o.id as order_id, o.number
       from enterprises e join accounts a on a.id = e.account_id
       join lateral (select id, number from orders where enterprise_id = e.id order by created_at desc, id limit 1) o on true
      where e.credit_code like 'SCALEM%' and not e.is_provider and a.status = 'active'
      order by a.phone limit $1`,
    [n],
  );
  if (!picked.length) throw new Error("no seed:scale enterprise with orders (credit code SCALEM…) in the database");
  if (picked.length < n) console.log(`  only ${picked.length} seed:scale enterprises with orders: the connections share them`);
  // One hash of a cheap setting for all of them (self-describing, so the server verifies it as stored): sign-in is not measured.
  const hash = await scryptPasswords({ logN: 10, r: 8, p: 1 }).hash(PASSWORD);
  await db.query("update accounts set password_hash = $2 where id = any($1::uuid[])", [`{${picked.map((p) => p.account_id).join(",")}}`, hash]);
  const redis = createClient({ url: redisUrl });
  await redis.connect();
  try {
    const members: Member[] = [];
    for (const p of picked) {
      const c = new Client(base);
      const page = await c.get("/login");
      const f = formOf(page.html, "/login/password");
      if (!f?.captchaId) throw new Error(`no 账号密码登录 form with a captcha on /login (${page.status})`);
      // The answer the picture shows, as stored by the cache adapter (key prefix gxv:).
      const answer = await redis.get(`gxv:captcha:${f.captchaId}`);
      if (!answer) throw new Error("the captcha's answer is not in the bench's Redis");
      const res = await c.post("/login/password", { ...f, phone: p.phone, password: PASSWORD, captcha: answer });
      if (res.status !== 303) throw new Error(`sign-in of ${p.phone}: ${res.status} ${pageErrors(res.html)}`);
      members.push({ phone: p.phone, orderId: p.order_id, orderNumber: p.number, cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; ") });
    }
    return members;
  } finally {
    await redis.quit().catch(() => {});
  }
}

function signedInPages(members: Member[]): Page[] {
  const m = (i: number) => members[i % members.length]!;
  const cookie = (i: number) => m(i).cookie;
  return [
    { name: "我的服务券", path: () => "/me/vouchers", cookie, check: has("<h1>我的服务券</h1>") },
    { name: "我购买的服务", path: () => "/me/orders", cookie, check: has("<h1>我购买的服务</h1>") },
    {
      name: "订单详情 (each connection its order)",
      path: (i) => `/me/orders/${m(i).orderId}`,
      cookie,
      check: (html, i) => has(`<h1>订单 ${m(i).orderNumber}</h1>`)(html),
    },
  ];
}

// ---- the run ----

const cleanups: Cleanups = [];
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`${signal}: cleaning up`);
    void runCleanups(cleanups).finally(() => process.exit(130));
  });
}

const machine = {
  cpus: cpus().length,
  model: cpus()[0]?.model ?? "?",
  memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  node: process.version,
  loadBefore: load(),
};
console.log(`Machine: ${machine.cpus} × ${machine.model}, ${machine.memoryGiB} GiB, Node ${machine.node}; load average before: ${machine.loadBefore}`);
console.log(`Command: ${COMMAND}`);
console.log(
  `Load: ${CONNECTIONS} keep-alive connections per target, ${WARMUP} s warm-up + ${SECONDS} s measured, ${gzip ? "Accept-Encoding: gzip" : "no Accept-Encoding"}`,
);

const rows: Row[] = [];
const started = performance.now();
let failed = false;
try {
  // ---- 1. the hello-world ----
  const helloPort = await freePort();
  const hello = await startServer(process.execPath, ["--import", "tsx", "scripts/lib/hello-server.ts"], {
    port: helloPort,
    env: childEnv({ PORT: String(helloPort), HOST: "127.0.0.1" }),
    readyPath: "/",
  });
  cleanups.push(() => hello.stop());
  const helloPage: Page = { name: "hello-world (bare Hono)", path: () => "/", check: (b) => (b === "ok" ? undefined : `body ${b.slice(0, 40)}`) };
  console.log("\nhello-world:");
  rows.push(await measure("hello-world", hello, helloPort, helloPage));

  // ---- 2. the app on PostgreSQL ----
  const phase = cleanups.length;
  const key = benchKey();
  const production = {
    NODE_ENV: "production",
    ENCRYPTION_KEYS: key,
    DEMO_DATA: "false",
    DEV_SMS_OUTBOX: "false",
    CAPTCHA_TEST_ANSWER: "",
    LOG_LEVEL: "info",
  };
  let t = performance.now();
  let app: Server;
  let db: Db;
  let redisUrl: string;
  if (GIVEN_URL) {
    const u = new URL(GIVEN_URL);
    if (SCHEMA) u.searchParams.set("options", `-c search_path=${SCHEMA}`);
    const redis = await startOwnRedis();
    cleanups.push(() => redis.close());
    redisUrl = redis.url;
    const dataDir = await mkdtemp(join(tmpdir(), "gxv-bench-pages-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    db = await openPostgres(GIVEN_URL, { max: 2, searchPath: SCHEMA, statementTimeoutMs: 600_000 });
    cleanups.push(() => db.close());
    const port = await freePort();
    app = await startServer(process.execPath, NPM_START, {
      port,
      env: childEnv({ ...production, DATABASE_URL: u.toString(), REDIS_URL: redis.url, PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir }),
      readyPath: "/readyz",
      timeoutMs: 180_000,
      discardStdout: true,
    });
    cleanups.push(() => app.stop());
    console.log(
      `\nPostgreSQL: ${u.host}${u.pathname}${SCHEMA ? `, schema ${SCHEMA}` : ""}; own Redis on port ${redis.port} (${secs(performance.now() - t)})`,
    );
  } else {
    const cluster = await startCluster("bench-pages", cleanups, { captcha: "", settings: production, discardStdout: true });
    redisUrl = cluster.redis.url;
    db = await openPostgres(cluster.pg.url, { max: 2, statementTimeoutMs: 600_000 });
    cleanups.push(() => db.close());
    console.log(`\nOwn PostgreSQL on port ${cluster.pg.port}, own Redis on port ${cluster.redis.port} (${secs(performance.now() - t)})`);
    t = performance.now();
    if (!values["no-demo"]) {
      // The demo data as a development instance would load it (no history), in this process, under the same key
      // (errors only: without a job engine here, the demo order's signing start is left to its page, which says so as a warning).
      const config = loadConfig({
        NODE_ENV: "development",
        DATABASE_URL: cluster.pg.url,
        DATA_DIR: cluster.dataDir,
        DEMO_DATA: "true",
        DEMO_HISTORY: "false",
        ENCRYPTION_KEYS: key,
        LOG_LEVEL: "error",
      });
      const deps = await startPlatform(config);
      await closeDeps(deps);
      console.log(`  migrated and the demo data loaded in ${secs(performance.now() - t)}`);
    } else await migrate(db);
    t = performance.now();
    const r = await seedScale(db, { ...SEED, log: (l) => console.log(`  ${l}`) });
    console.log(
      `  seed:scale --providers ${SEED.providers} --products ${SEED.products} --enterprises ${SEED.enterprises} --orders ${SEED.orders} --ledger ${SEED.ledger}: ${secs(r.ms)}`,
    );
    // A freshly loaded database: statistics now, not by autovacuum during the first targets.
    t = performance.now();
    await db.exec("vacuum analyze");
    console.log(`  vacuum analyze: ${secs(performance.now() - t)}`);
    t = performance.now();
    app = await cluster.start();
    console.log(`  the app (NODE_ENV=production, one instance) ready in ${secs(performance.now() - t)}; load ${load()}`);
  }
  const appPort = Number(new URL(app.url).port);
  const [sizes] = await db.query<{ listings: number; orders: number; enterprises: number }>(
    `select (select count(*)::int from product_listings) as listings, (select count(*)::int from orders) as orders,
            (select count(*)::int from enterprises where not is_provider) as enterprises`,
  );
  console.log(`  data: ${sizes!.listings} listed products, ${sizes!.enterprises} enterprises, ${sizes!.orders} orders`);
  const pgPages = anonymousPages(await idsFromDatabase(db));
  await preflight(app.url, pgPages);
  t = performance.now();
  const members = await signInMembers(db, app.url, redisUrl, SIGNED_IN);
  const memberPages = signedInPages(members);
  await preflight(app.url, memberPages);
  console.log(`  ${members.length} enterprises signed in through 账号密码登录 in ${secs(performance.now() - t)}`);
  await settle();
  console.log("PostgreSQL, anonymous:");
  for (const p of pgPages) rows.push(await measure("PostgreSQL, anonymous", app, appPort, p));
  console.log("PostgreSQL, signed in:");
  for (const p of memberPages) rows.push(await measure("PostgreSQL, signed in", app, appPort, p));
  const errorsLogged = app.output().trim();
  if (errorsLogged) console.log(`  the app's stderr:\n${errorsLogged.slice(0, 2000)}`);
  await runCleanups(cleanups.splice(phase));

  // ---- 3. the embedded default ----
  if (!values["no-embedded"]) {
    const dir = await mkdtemp(join(tmpdir(), "gxv-bench-pages-embedded-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const port = await freePort();
    t = performance.now();
    const embedded = await startServer(process.execPath, NPM_START, {
      port,
      // `npm start` with nothing set but where it listens and keeps its data (LOG_LEVEL: its default, named against the caller's environment).
      env: childEnv({ PORT: String(port), DATA_DIR: dir, LOG_LEVEL: "info" }),
      readyPath: "/readyz",
      timeoutMs: 180_000,
      discardStdout: true,
    });
    cleanups.push(() => embedded.stop());
    console.log(`\nThe embedded default (npm start, fresh DATA_DIR: PGlite, memory cache, demo data) ready in ${secs(performance.now() - t)}`);
    const pages = anonymousPages(await idsFromPages(embedded.url));
    await preflight(embedded.url, pages);
    console.log("embedded (PGlite), anonymous:");
    await settle();
    for (const p of pages) rows.push(await measure("embedded (PGlite), anonymous", embedded, port, p));
    await embedded.stop();
  }

  console.log("\nhello-world again:");
  rows.push(await measure("hello-world", hello, helloPort, { ...helloPage, name: "hello-world (again, at the end)" }));
} catch (err) {
  console.error(err);
  failed = true;
} finally {
  await runCleanups(cleanups);
}

// ---- the table ----
// The hello-world's capacity: the better of its two runs (on a busy machine the other processes' load moves both).
const hellos = rows.filter((r) => r.group === "hello-world" && r.result.ok).map((r) => r.result.rps);
const base = hellos.length ? Math.max(...hellos) : Number.NaN;
for (const r of rows) {
  r.ratio = r.result.rps / base;
  if (r.group === "hello-world") continue;
  const g = GOALS[r.group];
  r.goal = goalText(g);
  r.verdict = !r.result.ok ? "FAILED" : r.ratio >= g.ratio && (g.p99 === undefined || r.result.latency.p99 <= g.p99) ? "MET" : "NOT MET";
  if (r.verdict === "FAILED") failed = true;
}
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "");
console.log("");
console.log(
  "| group | target | path | req/s | p50 ms | p99 ms | vs hello-world | goal | result | non-200 / errors | answers per connection | CPU % generator / server / machine |",
);
console.log("|---|---|---|---:|---:|---:|---:|---|---|---:|---:|---|");
for (const r of rows) {
  const bad =
    Object.entries(r.result.statuses)
      .filter(([s]) => s !== "200")
      .reduce((a, [, n]) => a + n, 0) + Object.values(r.result.errors).reduce((a, b) => a + b, 0);
  console.log(
    `| ${r.group} | ${r.name} | \`${r.path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/, ":id")}\` | ${r.result.rps.toFixed(0)} | ${f1(r.result.latency.p50)} | ${f1(r.result.latency.p99)} | ${(r.ratio! * 100).toFixed(1)}% | ${r.goal ?? ""} | ${r.verdict ?? ""} | ${bad} | ${r.result.answersPerConnection.min}–${r.result.answersPerConnection.max} | ${r.result.generatorCpuPercent.toFixed(0)} / ${r.serverCpuPercent.toFixed(0)} / ${r.machineBusyPercent.toFixed(0)} |`,
  );
}
// How much the generator itself costs beside the server it drives: CPU time per answer of the hello-world runs.
const perAnswer = (r: Row, cpu: number) => ((cpu / 100) * (r.result.elapsedMs / 1000) * 1e6) / Math.max(r.result.requests, 1);
for (const r of rows.filter((x) => x.group === "hello-world")) {
  console.log(
    `${r.name}: the generator spent ${perAnswer(r, r.result.generatorCpuPercent).toFixed(1)} µs of CPU per answer, the server ${perAnswer(r, r.serverCpuPercent).toFixed(1)} µs (its CPU share averaged over warm-up and window)`,
  );
}
const loadAfter = load();
console.log(`\nMachine: ${machine.cpus} × ${machine.model}, ${machine.memoryGiB} GiB, Node ${machine.node}`);
console.log(`Load average before: ${machine.loadBefore}; after: ${loadAfter}; the whole run ${secs(performance.now() - started)}`);
console.log(`Command: ${COMMAND}`);
for (const r of rows.filter((x) => !x.result.ok)) console.log(`FAILED ${r.group} / ${r.name}: ${r.result.failures.join(" | ")}`);
if (values.json) {
  await writeFile(
    values.json,
    `${JSON.stringify(
      {
        command: COMMAND,
        machine: { ...machine, loadAfter },
        load: { connections: CONNECTIONS, seconds: SECONDS, warmupSeconds: WARMUP, gzip },
        data: GIVEN_URL ? { existingDatabase: true, schema: SCHEMA ?? null } : { ...SEED, demo: !values["no-demo"] },
        goals: GOALS,
        rows,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`Written: ${values.json}`);
}
process.exit(failed ? 1 : 0);
