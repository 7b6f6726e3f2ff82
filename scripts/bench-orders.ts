/**
 * npm run bench:orders [-- --enterprises 600] [-- --race 120] [-- --concurrency 50] [-- --keep]
 *
 * 提交订单 under load on PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test),
 * from TWO real server processes on one database, then a consistency check of orders against the
 * voucher ledger with SQL:
 *
 * 1. a fresh database `bench_orders_<random>` on that server (dropped at the end unless --keep);
 *    migrated and loaded in this process with the demo data (src/demo.ts: the year's 通用券, the
 *    providers and their listed products) plus `--enterprises` certified 小型 enterprises and one
 *    大型 "race" enterprise (set-based SQL), whose 通用券 applications come from the annual
 *    allocation use case and are approved through the review use case; the race enterprise's
 *    amount is cut so that it covers only about a third of `--race` deductions;
 * 2. two servers `tsx src/main.ts` (NODE_ENV=development, so the test captcha answer can sign in;
 *    each with its own memory cache, so each client signs in on the instance it talks to), on
 *    their own loopback ports, against that database;
 * 3. phase 1: every enterprise opens 订单详情 for 金属材料力学性能检测 (¥8,000, 30 % = ¥2,400
 *    deduction) on its instance (odd ones on A, even ones on B), then all post 提交订单 (the form's
 *    hidden fields, its CSRF token, 使用补贴券 with the offered account) at once, at most
 *    `--concurrency` in flight;
 * 4. phase 2: `--race` submissions of the race enterprise, alternately through A and B, each with
 *    its own submission key (as `submissionKey(product, n)` makes them: distinct intents; the same
 *    key would be a replay), race for its one account;
 * 5. per phase: submissions/s, orders/s and p50/p99 latency of the POST; then the SQL checks of
 *    scripts/lib/order-ledger-checks.ts and the expected counts. Exits 1 when a check fails or a
 *    response was not the expected 303 / 422.
 *
 * Every request goes to loopback only; the servers are stopped by their pids. About a minute with
 * the defaults.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { memoryCache } from "../src/adapters/memory-cache.ts";
import { migrate } from "../src/adapters/migrate.ts";
import { openPostgres } from "../src/adapters/postgres.ts";
import { scryptPasswords } from "../src/adapters/scrypt-passwords.ts";
import { buildDeps, closeDeps } from "../src/compose.ts";
import { loadConfig } from "../src/config.ts";
import { DEMO_PASSWORD, seedDemo } from "../src/demo.ts";
import { submissionKey } from "../src/modules/orders/domain.ts";
import { ROOT, type Server, childEnv, freePort, freshDatabase, startServer } from "../tests/support/processes.ts";
import { checkOrdersAgainstLedger } from "./lib/order-ledger-checks.ts";

const { values } = parseArgs({
  options: {
    enterprises: { type: "string", default: "600" },
    race: { type: "string", default: "120" },
    concurrency: { type: "string", default: "50" },
    keep: { type: "boolean", default: false },
  },
});
const int = (name: string, v: string | undefined, min: number, max: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} must be an integer between ${min} and ${max}`);
    process.exit(2);
  }
  return n;
};
const ENTERPRISES = int("enterprises", values.enterprises, 1, 100_000);
const RACE = int("race", values.race, 2, 10_000);
const CONCURRENCY = int("concurrency", values.concurrency, 1, 1000);
const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const PRODUCT_TITLE = "金属材料力学性能检测";
const DEDUCTION_FEN = 240_000; // 30 % of ¥8,000, under the per-order cap
const LARGE_QUOTA_FEN = 10_000_000; // the demo 通用券's 大型 quota
/** The race account: about a third of the racing submissions get a full deduction, one more the remainder. */
const RACE_BALANCE_FEN = Math.min(LARGE_QUOTA_FEN, Math.floor(RACE / 3) * DEDUCTION_FEN + DEDUCTION_FEN / 2);
const RACE_FITS = Math.floor(RACE_BALANCE_FEN / DEDUCTION_FEN) + (RACE_BALANCE_FEN % DEDUCTION_FEN ? 1 : 0);
const CAPTCHA = "BENCH";
const TSX = join(ROOT, "node_modules/.bin/tsx");
const benchKey = () => `bench:${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
const phoneOf = (i: number) => String(15_100_000_000 + i); // i = 1..ENTERPRISES; the race enterprise is ENTERPRISES + 1

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// ---- a minimal browser over fetch: cookies, Origin on POST, the form's hidden fields ----

class Client {
  cookies = new Map<string, string>();
  constructor(readonly base: string) {}
  private store(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const i = pair!.indexOf("=");
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1);
      if (value === "" || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  async request(path: string, init: { method?: string; form?: Record<string, string> } = {}) {
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    let body: string | undefined;
    if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      headers.origin = this.base;
      body = new URLSearchParams(init.form).toString();
    }
    const t0 = performance.now();
    const res = await fetch(this.base + path, { method: init.method ?? (init.form ? "POST" : "GET"), headers, body, redirect: "manual" });
    const html = await res.text();
    const ms = performance.now() - t0;
    this.store(res);
    return { status: res.status, location: res.headers.get("location"), html, ms };
  }
  get(path: string) {
    return this.request(path);
  }
  post(path: string, form: Record<string, string>) {
    return this.request(path, { form });
  }
}
const field = (html: string, name: string) => html.match(new RegExp(`name="${name}" value="([^"]*)"`))?.[1];
const checkedVoucher = (html: string) => html.match(/name="voucherAccountId" value="([^"]+)" checked/)?.[1];

async function signIn(base: string, phone: string): Promise<Client> {
  const c = new Client(base);
  const page = await c.get("/login");
  const res = await c.post("/login/password", {
    _csrf: field(page.html, "_csrf") ?? "",
    phone,
    password: DEMO_PASSWORD,
    captcha: CAPTCHA,
    captchaId: field(page.html, "captchaId") ?? "",
  });
  if (res.status !== 303) throw new Error(`sign-in of ${phone} on ${base}: ${res.status}`);
  return c;
}

/** Runs the tasks with at most `limit` in flight; answers their results in order and the wall time. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<{ results: T[]; ms: number }> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return { results, ms: performance.now() - t0 };
}

const quantile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : NaN);
type Row = { phase: string; requests: number; ok: number; refused: number; unexpected: number; ms: number; p50: number; p99: number };
function row(phase: string, r: { status: number; ms: number }[], ms: number, refusedStatus?: number): Row {
  const lat = r.map((x) => x.ms).sort((a, b) => a - b);
  const ok = r.filter((x) => x.status === 303).length;
  const refused = refusedStatus ? r.filter((x) => x.status === refusedStatus).length : 0;
  return { phase, requests: r.length, ok, refused, unexpected: r.length - ok - refused, ms, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99) };
}

// ---- run ----

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

console.log(
  `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average ${load()}`,
);
const started = performance.now();
const failures: string[] = [];
try {
  const database = await freshDatabase(url, "bench_orders");
  cleanups.push(async () => {
    if (values.keep) console.log(`kept database ${database.name}`);
    else await database.drop();
  });
  const keys = benchKey();
  const seedDir = await mkdtemp(join(tmpdir(), "gxv-bench-orders-"));
  cleanups.push(() => rm(seedDir, { recursive: true, force: true }));

  // 1. Schema, demo data, the bench enterprises and their approved 通用券.
  let t = performance.now();
  const config = loadConfig({
    NODE_ENV: "development",
    DATABASE_URL: database.url,
    DATA_DIR: seedDir,
    LOG_LEVEL: "silent",
    DEMO_DATA: "false",
    // The demo without its year of history (past orders of the demo providers): the checks count orders.
    DEMO_HISTORY: "false",
    ENCRYPTION_KEYS: keys,
  });
  const db = await openPostgres(database.url, { max: 4, statementTimeoutMs: 120_000 });
  // A cheaper scrypt setting for the seeded hashes (self-describing, so the servers verify them as stored): sign-in is not measured.
  const deps = await buildDeps(config, { db, cache: memoryCache(), log: pino({ level: "silent" }), passwords: scryptPasswords({ logN: 10, r: 8, p: 1 }) });
  cleanups.push(() => closeDeps(deps));
  await migrate(db);
  await seedDemo(deps);
  const hash = await deps.passwords.hash(DEMO_PASSWORD);
  const n = ENTERPRISES + 1;
  await db.query(
    `insert into accounts (id, phone, password_hash)
       select md5('bench-orders-' || g)::uuid, (15100000000 + g)::text, $2 from generate_series(1, $1::int) g`,
    [n, hash],
  );
  await db.query(
    `insert into enterprises (account_id, name, certification_status, size_class, city_code, certified_at)
       select md5('bench-orders-' || g)::uuid, '基准下单企业' || g, 'certified', case when g = $1::int then 'large' else 'small' end, '450100', now()
         from generate_series(1, $1::int) g`,
    [n],
  );
  const [admin] = await db.query<{ id: string }>("select id from admin_users where username = 'admin'");
  const staff = { id: admin!.id, role: "super_admin" };
  const general = (await deps.vouchers.programmes()).find((p) => p.kind === "general")!;
  const allocated = await deps.vouchers.allocate(staff, general.id);
  if (!allocated.ok) throw new Error(JSON.stringify(allocated.errors));
  const pending = await db.query<{ id: string; phone: string }>(
    `select q.id, a.phone from quota_applications q join enterprises e on e.id = q.enterprise_id join accounts a on a.id = e.account_id
      where q.status = 'pending' and a.phone like '151%' order by a.phone`,
  );
  const racePhone = phoneOf(n);
  const approved = await pool(
    pending.map(
      (p) => () =>
        deps.vouchers.decide(
          staff,
          p.id,
          p.phone === racePhone ? { decision: "approve", amountFen: RACE_BALANCE_FEN, reason: "基准测试：核减额度" } : { decision: "approve", reason: "" },
        ),
    ),
    4,
  );
  const notApproved = approved.results.filter((r) => !r.ok);
  if (pending.length !== n || notApproved.length) throw new Error(`approvals: ${pending.length} pending of ${n}, ${notApproved.length} refused`);
  const [{ product_id: product }] = (await db.query<{ product_id: string }>("select product_id from product_listings where title = $1", [
    PRODUCT_TITLE,
  ])) as [{ product_id: string }];
  await db.exec("analyze");
  console.log(
    `Seeded database ${database.name} in ${secs(performance.now() - t)}: demo data, ${ENTERPRISES} enterprises with ¥30,000 of 通用券 each, ` +
      `the race enterprise with ¥${(RACE_BALANCE_FEN / 100).toLocaleString("en")} (fits ${RACE_FITS} of ${RACE} submissions)`,
  );

  // 2. Two server processes on the same database.
  t = performance.now();
  const servers: Server[] = await Promise.all(
    ["a", "b"].map(async (name) => {
      const dir = await mkdtemp(join(tmpdir(), `gxv-bench-orders-${name}-`));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const port = await freePort();
      const server = await startServer(TSX, ["src/main.ts"], {
        port,
        timeoutMs: 120_000,
        env: childEnv({
          NODE_ENV: "development",
          DATABASE_URL: database.url,
          PORT: String(port),
          HOST: "127.0.0.1",
          DATA_DIR: dir,
          DEMO_DATA: "false",
          DEV_SMS_OUTBOX: "true", // the notices of 提交订单 go to the in-memory outbox (no gateway here)
          CAPTCHA_TEST_ANSWER: CAPTCHA,
          ENCRYPTION_KEYS: keys,
          LOG_LEVEL: "warn",
        }),
      });
      cleanups.push(() => server.stop());
      return server;
    }),
  );
  const [A, B] = servers as [Server, Server];
  console.log(`Started two servers (${A.url}, ${B.url}; pids ${A.child.pid}, ${B.child.pid}) in ${secs(performance.now() - t)}`);

  // 3. Sign-in and 订单详情 (not measured as load, but their latency is shown).
  t = performance.now();
  const instanceOf = (i: number) => (i % 2 ? A : B).url;
  const signedIn = await pool(
    Array.from({ length: ENTERPRISES }, (_, k) => () => signIn(instanceOf(k + 1), phoneOf(k + 1))),
    CONCURRENCY,
  );
  const raceA = await signIn(A.url, racePhone);
  const raceB = await signIn(B.url, racePhone);
  console.log(`Signed in ${ENTERPRISES + 1} enterprises (the race one on both instances) in ${secs(performance.now() - t)}`);

  const pages = await pool(
    signedIn.results.map((c) => () => c.get(`/me/orders/new?product=${product}`)),
    CONCURRENCY,
  );
  const forms = pages.results.map((p, k) => {
    const voucher = checkedVoucher(p.html);
    const csrf = field(p.html, "_csrf");
    const key = field(p.html, "submissionKey");
    if (p.status !== 200 || !voucher || !csrf || !key) throw new Error(`订单详情 of enterprise ${k + 1}: ${p.status}, voucher ${voucher}`);
    return { _csrf: csrf, product, submissionKey: key, quantity: "1", useVoucher: "yes", voucherAccountId: voucher };
  });
  const pageRow = row(
    "订单详情 GET (before phase 1)",
    pages.results.map((p) => ({ status: p.status === 200 ? 303 : p.status, ms: p.ms })),
    pages.ms,
  );

  // Phase 1: every enterprise posts its form at once.
  console.log(`Phase 1: ${ENTERPRISES} enterprises post 提交订单, half on each instance, at most ${CONCURRENCY} in flight; load average ${load()}`);
  const phase1 = await pool(
    signedIn.results.map((c, k) => () => c.post("/me/orders", forms[k]!)),
    CONCURRENCY,
  );
  const row1 = row("1: many enterprises, one order each", phase1.results, phase1.ms);
  for (const [k, r] of phase1.results.entries()) {
    if (r.status !== 303 || !/^\/me\/orders\/[0-9a-f-]{36}$/.test(r.location ?? ""))
      failures.push(`phase 1, enterprise ${k + 1}: ${r.status} ${r.location}`);
  }

  // Phase 2: the race enterprise's distinct submissions race for its one account through both instances.
  const raceForms = await Promise.all(
    [raceA, raceB].map(async (c) => {
      const p = await c.get(`/me/orders/new?product=${product}`);
      const voucher = checkedVoucher(p.html);
      if (p.status !== 200 || !voucher) throw new Error(`订单详情 of the race enterprise: ${p.status}`);
      return { _csrf: field(p.html, "_csrf")!, voucher };
    }),
  );
  if (raceForms[0]!.voucher !== raceForms[1]!.voucher) throw new Error("the race enterprise sees two accounts");
  console.log(`Phase 2: ${RACE} submissions of one enterprise for one account, alternately on A and B; load average ${load()}`);
  const phase2 = await pool(
    Array.from({ length: RACE }, (_, i) => () => {
      const [c, f] = i % 2 ? [raceA, raceForms[0]!] : [raceB, raceForms[1]!];
      return c.post("/me/orders", {
        _csrf: f._csrf,
        product,
        submissionKey: submissionKey(product, 1_000 + i),
        quantity: "1",
        useVoucher: "yes",
        voucherAccountId: f.voucher,
      });
    }),
    CONCURRENCY,
  );
  const row2 = row("2: one account, racing submissions", phase2.results, phase2.ms, 422);
  for (const [i, r] of phase2.results.entries()) {
    if (r.status === 422 && !r.html.includes("服务券可用额度已用完")) failures.push(`phase 2, submission ${i}: 422 without 服务券可用额度已用完`);
    else if (r.status !== 303 && r.status !== 422) failures.push(`phase 2, submission ${i}: ${r.status}`);
  }
  if (row2.ok !== RACE_FITS) failures.push(`phase 2: ${row2.ok} orders made, expected ${RACE_FITS}`);

  console.log("");
  console.log("| phase | requests | orders made | refused (422) | unexpected | wall s | submissions/s | orders/s | p50 ms | p99 ms |");
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of [pageRow, row1, row2]) {
    const isPage = r === pageRow;
    console.log(
      `| ${r.phase} | ${r.requests} | ${isPage ? "" : r.ok} | ${isPage ? "" : r.refused} | ${r.unexpected} | ${(r.ms / 1000).toFixed(2)} | ${((r.requests / r.ms) * 1000).toFixed(0)} | ${isPage ? "" : ((r.ok / r.ms) * 1000).toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} |`,
    );
  }
  console.log("");
  console.log(`Load average after the load: ${load()}`);

  // 4. The checks, with SQL on the database both servers wrote.
  console.log("");
  console.log("Checks:");
  const check = (name: string, failed: unknown[]) => {
    console.log(`  ${failed.length ? "FAIL" : "ok  "} ${name}${failed.length ? `: ${JSON.stringify(failed.slice(0, 5))}` : ""}`);
    if (failed.length) failures.push(name);
  };
  for (const c of await checkOrdersAgainstLedger(db)) check(c.name, c.failures);
  const perEnterprise = await db.query<{ phone: string; orders: number; deduction: number }>(
    `select a.phone, count(o.*)::int as orders, coalesce(sum(o.deduction_fen), 0)::bigint as deduction
       from accounts a join enterprises e on e.account_id = a.id left join orders o on o.enterprise_id = e.id
      where a.phone like '151%' group by a.phone`,
  );
  check(
    `phase 1: each of the ${ENTERPRISES} enterprises has exactly one order with the ¥2,400 deduction`,
    perEnterprise.filter((r) => r.phone !== racePhone && (r.orders !== 1 || r.deduction !== DEDUCTION_FEN)),
  );
  const race = perEnterprise.find((r) => r.phone === racePhone)!;
  check(
    `phase 2: the race enterprise has ${RACE_FITS} orders whose deductions add up to its whole balance`,
    race.orders === RACE_FITS && race.deduction === RACE_BALANCE_FEN ? [] : [race],
  );
  const [acc] = await db.query<{ granted_fen: number; reserved_fen: number; consumed_fen: number; expired_fen: number }>(
    `select v.granted_fen, v.reserved_fen, v.consumed_fen, v.expired_fen from voucher_accounts v
       join enterprises e on e.id = v.enterprise_id join accounts a on a.id = e.account_id where a.phone = $1`,
    [racePhone],
  );
  check(
    "phase 2: the race account is fully reserved and not one fen more",
    acc!.granted_fen === RACE_BALANCE_FEN && acc!.reserved_fen === RACE_BALANCE_FEN && acc!.consumed_fen === 0 && acc!.expired_fen === 0 ? [] : [acc],
  );
  const [{ n: orders }] = (await db.query<{ n: number }>("select count(*)::int as n from orders")) as [{ n: number }];
  check(`orders in the database = orders made over HTTP (${row1.ok + row2.ok})`, orders === row1.ok + row2.ok ? [] : [{ orders }]);

  console.log("");
  console.log(`Total run time ${secs(performance.now() - started)}; ${failures.length ? `${failures.length} FAILED` : "all checks passed"}`);
} catch (err) {
  console.error(err);
  failures.push(String(err));
} finally {
  await cleanup();
}
if (failures.length) process.exitCode = 1;
