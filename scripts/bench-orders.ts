/**
 * npm run bench:orders [-- --orders 200] [-- --race 120] [-- --concurrency 50] [-- --wait-timeout 300] [-- --submit-only] [-- --keep]
 *
 * Orders under load on PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test),
 * from TWO real server processes on one database, through their real pages: the whole life of
 * `--orders` orders from 提交订单 to 已完成 with both mock providers' pages and their signed
 * callbacks / notifications over real HTTP, then SQL checks of the money against the voucher ledger
 * and the payments.
 *
 * 1. Setup (in this process, not measured as load): a fresh database `bench_orders_<random>` on that
 *    server (dropped at the end unless --keep), migrated, the demo data (src/demo.ts: the year's
 *    通用券, provider 8 and its listed 金属材料力学性能检测, ¥8,000), `--orders` 小型 enterprises
 *    (accounts by SQL; 企业信息认证 step 1, step 2 with the licence, submit and the reviewer's
 *    approval, then 支付认证, all through the use cases) and one 大型 "race" enterprise (SQL), their
 *    通用券 from the annual allocation use case approved through the review use case (the race
 *    account cut to about a third of `--race` deductions).
 * 2. Two servers `tsx src/main.ts` (NODE_ENV=development, so the test captcha answer signs in; each
 *    with its own memory cache, job engine workers and mock providers' workers) on their own
 *    loopback ports, on that database and on ONE data directory (the file store and the mock
 *    providers' keys, as instances behind a load balancer share their storage). Each mock posts to
 *    its own instance's /callbacks/esign and /callbacks/pay; which instance sends an event is
 *    whichever one's worker takes its delivery job from pg-boss (the outbox row's lease makes it
 *    once).
 * 3. Sign-in: enterprise k on instance A (k odd) or B (k even) through the login page; the provider
 *    (demo 13800000008) on both. Every order's provider steps go through the OTHER instance than its
 *    enterprise's, so each step reads what the other instance wrote.
 * 4. Seals (setup, timed but not part of an order's life): every enterprise and the provider make
 *    their seal through 我的签章 (制作签章) and the mock's face-check page on their instance; the
 *    identity callbacks make them active.
 * 5. The order's life, stage by stage (every order finishes a stage before the next one starts, at
 *    most `--concurrency` orders in flight), every step a page's form posted as a browser would:
 *    提交订单 (订单详情's form with 使用补贴券; all forms loaded first, then all posted at once) ->
 *    接单 -> 制定合同 (the contract form, ¥800 定金) and 提交企业确认 -> 同意 -> 企业签署 (the sign
 *    flow started by a job; the QR link of 签署合同 opened as a phone: the mock's page, face step,
 *    确认签署; its callback) -> 服务机构签署 (the same; the callbacks move the order to 待支付定金) ->
 *    支付定金 (the cashier, 支付成功; the RSA-signed notification -> 待开始服务) -> 开始服务 -> 完成服务
 *    (服务成果说明 and a PDF as a multipart upload) -> 支付尾款 (-> 待评价) -> 评价 / 提交评价 (-> 已完成).
 *    A step that waits for a callback waits for its result in the database (polled every 100 ms
 *    for all waiting orders at once), at most `--wait-timeout` seconds, then fails the order with
 *    the state it was stuck in.
 * 6. Phase 2 (skipped with --race 0): `--race` submissions of the race enterprise, alternately
 *    through A and B, each with its own submission key, race for its one account (as before the
 *    whole-life run existed).
 * 7. Per stage: orders/s, the time per order (p50 / p99, waits included) and per POST its count,
 *    requests/s, p50 / p99; the total wall time; then the SQL checks of
 *    scripts/lib/order-ledger-checks.ts (ledger, money lines, payments, the mocks' deliveries) and
 *    that every order is 已完成. Exits 1 when a check fails or a response was not the expected one.
 *
 * `--submit-only` stops the life after 提交订单 (the old phase 1: no seals, no payments). Every
 * request goes to loopback only; the servers are stopped by their pids.
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
import { DEMO_PASSWORD, demoCodes, seedDemo } from "../src/demo.ts";
import { textPdf } from "../src/lib/text-pdf.ts";
import { creditCodeCheckChar, idNumberCheckChar } from "../src/modules/enterprises/codes.ts";
import { submissionKey } from "../src/modules/orders/domain.ts";
import type { Db } from "../src/ports/db.ts";
import { ROOT, type Server, childEnv, freePort, freshDatabase, startServer } from "../tests/support/processes.ts";
import { type Answer, Client, formOf, linkWithClass, pageErrors, signIn as signInAs } from "./lib/bench-http.ts";
import { checkOrderPayments, checkOrdersAgainstLedger } from "./lib/order-ledger-checks.ts";
import { benchKey, intOption, quantile } from "./lib/bench-args.ts";

const { values } = parseArgs({
  options: {
    orders: { type: "string", default: "200" },
    race: { type: "string", default: "120" },
    concurrency: { type: "string", default: "50" },
    "wait-timeout": { type: "string", default: "300" },
    "submit-only": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
  },
});
const ORDERS = intOption("orders", values.orders, 1, 100_000);
const RACE = intOption("race", values.race, 0, 10_000);
const CONCURRENCY = intOption("concurrency", values.concurrency, 1, 1000);
const WAIT_MS = intOption("wait-timeout", values["wait-timeout"], 5, 3600) * 1000;
const SUBMIT_ONLY = values["submit-only"];
const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const PRODUCT_TITLE = "金属材料力学性能检测";
const PROVIDER_PHONE = "13800000008";
const CONTRACT_FEN = 800_000; // the order's amount, kept as the contract's
const DEDUCTION_FEN = 240_000; // 30 % of ¥8,000, under the per-order cap
const DEPOSIT_FEN = 80_000; // ¥800 of 定金, typed into the contract form
const LARGE_QUOTA_FEN = 10_000_000; // the demo 通用券's 大型 quota
/** The race account: about a third of the racing submissions get a full deduction, one more the remainder. */
const RACE_BALANCE_FEN = Math.min(LARGE_QUOTA_FEN, Math.floor(RACE / 3) * DEDUCTION_FEN + DEDUCTION_FEN / 2);
const RACE_FITS = RACE ? Math.floor(RACE_BALANCE_FEN / DEDUCTION_FEN) + (RACE_BALANCE_FEN % DEDUCTION_FEN ? 1 : 0) : 0;
const CAPTCHA = "BENCH";
const TSX = join(ROOT, "node_modules/.bin/tsx");
const phoneOf = (i: number) => String(15_100_000_000 + i); // i = 1..ORDERS; the race enterprise is ORDERS + 1
const LEGAL_NAMES = ["张伟", "王芳", "李娜", "刘强", "陈静", "杨洋", "黄磊", "赵敏", "周杰"];
/** Enterprise i's codes: a well-formed 统一社会信用代码 and its legal representative's ID number. */
const creditCodeOf = (i: number) => {
  const first17 = `91450100${String(i).padStart(9, "0")}`;
  return first17 + creditCodeCheckChar(first17);
};
const legalOf = (i: number) => {
  const pad = (n: number) => String(n).padStart(2, "0");
  const first17 = `4501021980${pad(1 + (Math.floor(i / 28_000) % 12))}${pad(1 + (Math.floor(i / 1000) % 28))}${String(i % 1000).padStart(3, "0")}`;
  return { name: LEGAL_NAMES[i % LEGAL_NAMES.length]!, idNumber: first17 + idNumberCheckChar(first17) };
};

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A one-page PDF standing in for a scanned business licence. */
const LICENCE = new TextEncoder().encode(
  "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
);
/** The first bytes of a JPEG photo (what the mock's face step checks), as a phone's camera would send. */
const SELFIE = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, ...new Array(2048).fill(7), 0xff, 0xd9]);
/** 服务成果: a well-formed one-page PDF report of about 40 KB, unique per order. */
const reportPdf = (note: string) => textPdf([note], { filler: 38_000 });

const signIn = (base: string, phone: string) => signInAs(base, phone, DEMO_PASSWORD, CAPTCHA);

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

const ms1 = (x: number) => (Number.isNaN(x) ? "" : x.toFixed(1));

// ---- waiting for what a callback or a job does: one poller for every waiting order ----

type Condition = { name: string; sql: string };
const STATUS = (status: string): Condition => ({
  name: `status ${status}`,
  sql: `select id::text as key from orders where id = any($1::uuid[]) and status = '${status}'`,
});
const FLOW_READY: Condition = {
  name: "the sign flow created at the provider (the start job)",
  sql: "select order_id::text as key from sign_flows where order_id = any($1::uuid[]) and status = 'open' and external_flow_id is not null",
};
const ENTERPRISE_SIGNED: Condition = {
  name: "the enterprise's signature known to the platform (signer.signed callback)",
  sql: `select f.order_id::text as key from sign_flows f join sign_flow_signers s on s.flow_id = f.id
         where f.order_id = any($1::uuid[]) and f.status = 'open' and s.party = 'enterprise' and s.status = 'signed'`,
};
const SEAL_ACTIVE: Condition = {
  name: "the seal active (identity.passed callback)",
  sql: `select e.account_id::text as key from enterprises e join seals s on s.enterprise_id = e.id
         where e.account_id = any($1::uuid[]) and s.status = 'active'`,
};

type Waiting = { cond: Condition; key: string; since: number; resolve: (ms: number) => void; reject: (e: Error) => void };

class Waiter {
  private pending: Waiting[] = [];
  private running = false;
  constructor(
    private readonly db: Db,
    private readonly timeoutMs: number,
  ) {}

  /** Resolves with the time waited once the condition holds for the key; rejects after the timeout, saying where the key stands. */
  wait(cond: Condition, key: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.pending.push({ cond, key, since: performance.now(), resolve, reject });
      if (!this.running) void this.loop();
    });
  }

  private async where(key: string): Promise<string> {
    const [o] = await this.db.query<{ number: string; status: string }>("select number, status from orders where id::text = $1", [key]);
    if (o) return `order ${o.number} is in status ${o.status}`;
    const [s] = await this.db.query<{ status: string }>(
      "select s.status from seals s join enterprises e on e.id = s.enterprise_id where e.account_id::text = $1 order by s.created_at desc limit 1",
      [key],
    );
    return s ? `the seal is ${s.status}` : "nothing found";
  }

  private async loop() {
    this.running = true;
    try {
      while (this.pending.length) {
        const groups = new Map<Condition, Waiting[]>();
        for (const w of this.pending) groups.set(w.cond, [...(groups.get(w.cond) ?? []), w]);
        const done = new Set<Waiting>();
        for (const [cond, list] of groups) {
          for (let i = 0; i < list.length; i += 1000) {
            const part = list.slice(i, i + 1000);
            const met = new Set((await this.db.query<{ key: string }>(cond.sql, [part.map((w) => w.key)])).map((r) => r.key));
            for (const w of part) if (met.has(w.key)) done.add(w);
          }
        }
        const t = performance.now();
        const late = this.pending.filter((w) => !done.has(w) && t - w.since > this.timeoutMs);
        this.pending = this.pending.filter((w) => !done.has(w) && !late.includes(w));
        for (const w of done) w.resolve(t - w.since);
        for (const w of late) {
          w.reject(new Error(`waited ${(this.timeoutMs / 1000).toFixed(0)} s for ${w.cond.name} in vain: ${await this.where(w.key)}`));
        }
        if (this.pending.length) await sleep(100);
      }
    } catch (err) {
      for (const w of this.pending.splice(0)) w.reject(err as Error);
    } finally {
      this.running = false;
    }
  }
}

// ---- what is measured ----

type Sample = { status: number; ms: number };
type StageRow = { stage: string; orders: number; failed: number; ms: number; perOrder: number[]; waits: number[] };
const stageRows: StageRow[] = [];
/** Per stage, per request label: the answers' statuses and latencies. */
const samples = new Map<string, Map<string, Sample[]>>();
const failures: string[] = [];

function record(stage: string, label: string, a: Answer) {
  const byLabel = samples.get(stage) ?? new Map<string, Sample[]>();
  samples.set(stage, byLabel);
  const list = byLabel.get(label) ?? [];
  byLabel.set(label, list);
  list.push({ status: a.status, ms: a.ms });
}

class StepError extends Error {}

/** One order in the run: its enterprise's browser, the provider's browser on the other instance. */
type Live = { k: number; ent: Client; pro: Client; legal: { name: string; idNumber: string }; id: string; broken?: string; waits: number[] };

/** A step of a stage: the request, recorded under its label, and the status it must answer. */
async function step(stage: string, label: string, p: Promise<Answer>, expect = 303): Promise<Answer> {
  const a = await p;
  record(stage, label, a);
  if (a.status !== expect) throw new StepError(`${label}: ${a.status} (expected ${expect}) ${pageErrors(a.html)}`);
  return a;
}

/** The page's form for `action`, or a clear failure. */
function mustForm(a: Answer, action: string, what: string): Record<string, string> {
  const f = formOf(a.html, action);
  if (!f) throw new StepError(`${what}: the page has no form for ${action} (${a.status} ${pageErrors(a.html)})`);
  return f;
}

const pathOf = (u: string) =>
  u.startsWith("/")
    ? u
    : (() => {
        const x = new URL(u);
        return x.pathname + x.search;
      })();

/** Runs one stage for every order not broken yet, at most CONCURRENCY in flight. */
async function stage(name: string, lives: Live[], work: (o: Live, waits: number[]) => Promise<void>) {
  const live = lives.filter((o) => !o.broken);
  console.log(`  ${name}: ${live.length} orders; load average ${load()}`);
  const perOrder: number[] = [];
  const waits: number[] = [];
  let failed = 0;
  const run = await pool(
    live.map((o) => async () => {
      const t0 = performance.now();
      try {
        const w: number[] = [];
        await work(o, w);
        waits.push(...w);
        perOrder.push(performance.now() - t0);
      } catch (err) {
        failed++;
        o.broken = `${name}, enterprise ${o.k}${o.id ? ` (order ${o.id})` : ""}: ${(err as Error).message}`;
        failures.push(o.broken);
        if (!(err instanceof StepError) && !/waited/.test((err as Error).message)) console.error(err);
      }
    }),
    CONCURRENCY,
  );
  perOrder.sort((a, b) => a - b);
  waits.sort((a, b) => a - b);
  stageRows.push({ stage: name, orders: live.length, failed, ms: run.ms, perOrder, waits });
  if (failed) console.log(`    ${failed} failed, e.g. ${failures.at(-1)}`);
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
let lifeMs = 0;
try {
  const database = await freshDatabase(url, "bench_orders");
  cleanups.push(async () => {
    if (values.keep) console.log(`kept database ${database.name}`);
    else await database.drop();
  });
  const keys = benchKey();
  // One data directory for this process and both servers: the file store and the mock providers' keys (made here first).
  const dataDir = await mkdtemp(join(tmpdir(), "gxv-bench-orders-"));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));

  // 1. Schema, demo data, the bench enterprises (certified through the use cases) and their approved 通用券.
  let t = performance.now();
  const config = loadConfig({
    NODE_ENV: "development",
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
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
  const n = ORDERS + 1;
  await db.query(
    `insert into accounts (id, phone, password_hash)
       select md5('bench-orders-' || g)::uuid, (15100000000 + g)::text, $2 from generate_series(1, $1::int) g`,
    [n, hash],
  );
  await db.query(
    `insert into enterprises (account_id, name) select md5('bench-orders-' || g)::uuid, '基准下单企业' || g || '有限公司' from generate_series(1, $1::int) g`,
    [ORDERS],
  );
  await db.query(
    `insert into enterprises (account_id, name, certification_status, size_class, city_code, certified_at)
       values (md5('bench-orders-' || $1::int)::uuid, '基准抢单企业有限公司', 'certified', 'large', '450100', now())`,
    [n],
  );
  const [reviewer] = await db.query<{ id: string }>("select id from admin_users where username = 'reviewer'");
  const accountIds = (await db.query<{ id: string; phone: string }>("select id, phone from accounts where phone like '151%' order by phone")).map(
    (r) => r.id,
  );
  const certified = await pool(
    Array.from({ length: ORDERS }, (_, k) => async () => {
      const i = k + 1;
      const acc = accountIds[k]!;
      const legal = legalOf(i);
      const must = (r: { ok: boolean; errors?: unknown }, what: string) => {
        if (!r.ok) throw new Error(`setup of enterprise ${i}, ${what}: ${JSON.stringify(r.errors)}`);
      };
      must(await deps.enterprises.saveStep1(acc, { identityRole: "manufacturer", enterpriseType: "llc" }), "企业信息认证 step 1");
      must(
        await deps.enterprises.saveStep2(
          acc,
          {
            name: `基准下单企业${i}有限公司`,
            creditCode: creditCodeOf(i),
            staffCount: "80",
            revenueWan: "900",
            sizeDeclared: "",
            industry: "通用设备制造业",
            cityCode: "450100",
            districtCode: "450103",
            address: `基准路${i}号`,
            legalName: legal.name,
            legalIdNumber: legal.idNumber,
            legalPhone: phoneOf(i),
            agree: "yes",
          },
          { name: "营业执照.pdf", bytes: LICENCE },
        ),
        "企业信息认证 step 2",
      );
      must(await deps.enterprises.submit(acc, {}), "提交认证");
      const [app] = await db.query<{ id: string }>(
        "select c.id from enterprise_certifications c join enterprises e on e.id = c.enterprise_id where e.account_id = $1 and c.status = 'pending'",
        [acc],
      );
      must(await deps.enterprises.decide({ id: reviewer!.id, role: "reviewer" }, app!.id, { decision: "approve", reason: "" }), "认证审核");
      must(
        await deps.enterprises.saveBankAccount(acc, {
          accountName: `基准下单企业${i}有限公司`,
          bankName: "中国工商银行",
          bankCityCode: "450100",
          branchName: "南宁基准支行",
          accountNumber: `6222${String(i).padStart(12, "0")}`,
        }),
        "支付认证",
      );
    }),
    4,
  );
  const [sizes] = await db.query<{ small: number }>(
    "select count(*) filter (where size_class = 'small' and certification_status = 'certified')::int as small from enterprises e join accounts a on a.id = e.account_id where a.phone like '151%'",
  );
  if (sizes!.small !== ORDERS) throw new Error(`${sizes!.small} of ${ORDERS} bench enterprises certified as 小型`);
  const certMs = certified.ms;
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
          p.phone === racePhone
            ? { decision: "approve", amountFen: RACE_BALANCE_FEN || DEDUCTION_FEN, reason: "基准测试：核减额度" }
            : { decision: "approve", reason: "" },
        ),
    ),
    4,
  );
  const notApproved = approved.results.filter((r) => !r.ok);
  if (pending.length !== n || notApproved.length) throw new Error(`approvals: ${pending.length} pending of ${n}, ${notApproved.length} refused`);
  const [{ product_id: product }] = (await db.query<{ product_id: string }>("select product_id from product_listings where title = $1", [
    PRODUCT_TITLE,
  ])) as [{ product_id: string }];
  const [providerAcc] = await db.query<{ id: string }>("select id from accounts where phone = $1", [PROVIDER_PHONE]);
  const providerLegal = { name: LEGAL_NAMES[7]!, idNumber: demoCodes(8).idNumber };
  await db.exec("analyze");
  console.log(
    `Seeded database ${database.name} in ${secs(performance.now() - t)} (企业信息认证 and 支付认证 of ${ORDERS} enterprises through the use cases: ${secs(certMs)}): ` +
      `demo data, ${ORDERS} enterprises with ¥30,000 of 通用券 each` +
      (RACE ? `, the race enterprise with ¥${(RACE_BALANCE_FEN / 100).toLocaleString("en")} (fits ${RACE_FITS} of ${RACE} submissions)` : ""),
  );

  // 2. Two server processes on the same database and data directory.
  t = performance.now();
  const servers: Server[] = await Promise.all(
    ["a", "b"].map(async () => {
      const port = await freePort();
      const server = await startServer(TSX, ["src/main.ts"], {
        port,
        timeoutMs: 120_000,
        env: childEnv({
          NODE_ENV: "development",
          DATABASE_URL: database.url,
          PORT: String(port),
          HOST: "127.0.0.1",
          DATA_DIR: dataDir,
          DEMO_DATA: "false",
          DEV_SMS_OUTBOX: "true", // the order notices go to the in-memory outbox (no gateway here)
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

  // 3. Sign-in: enterprise k on A (odd) or B (even); the provider on both.
  t = performance.now();
  const instanceOf = (k: number) => (k % 2 ? A : B).url;
  const signedIn = await pool(
    Array.from({ length: ORDERS }, (_, k) => () => signIn(instanceOf(k + 1), phoneOf(k + 1))),
    CONCURRENCY,
  );
  const proA = await signIn(A.url, PROVIDER_PHONE);
  const proB = await signIn(B.url, PROVIDER_PHONE);
  const raceA = RACE ? await signIn(A.url, racePhone) : undefined;
  const raceB = RACE ? await signIn(B.url, racePhone) : undefined;
  console.log(
    `Signed in ${ORDERS} enterprises, the provider on both instances${RACE ? " and the race enterprise on both" : ""} in ${secs(performance.now() - t)}`,
  );
  const lives: Live[] = signedIn.results.map((ent, k) => ({
    k: k + 1,
    ent,
    pro: ent.base === A.url ? proB : proA,
    legal: legalOf(k + 1),
    id: "",
    waits: [],
  }));
  const waiter = new Waiter(db, WAIT_MS);

  // The demo data's own orders are not the run's.
  const [{ n: demoOrders }] = (await db.query<{ n: number }>("select count(*)::int as n from orders")) as [{ n: number }];
  const lifeStarted = performance.now();
  // 4. Seals: 制作签章 on 我的签章, the mock's face check; active once its callback arrived.
  if (!SUBMIT_ONLY) {
    console.log(`Setup: seals of the ${ORDERS} enterprises and the provider through 我的签章 and the mock's face-check page`);
    const seal = async (c: Client, center: "me" | "provider", person: { name: string; idNumber: string }, accountId: string, waits: number[]) => {
      const S = "0 制作签章 (setup)";
      const page = await step(S, `GET /${center}/seal`, c.get(`/${center}/seal`), 200);
      const made = await step(
        S,
        `POST /${center}/seal (制作签章)`,
        c.post(`/${center}/seal`, { ...mustForm(page, `/${center}/seal`, "我的签章"), who: "legal" }),
      );
      const check = pathOf(made.location ?? "");
      const face = await step(S, "GET /mock-esign/identity/:token", c.get(check), 200);
      await step(
        S,
        "POST /mock-esign/identity/:token (人脸认证, multipart)",
        c.postMultipart(
          check,
          { ...mustForm(face, check, "实名认证"), ...person, outcome: "passed" },
          { selfie: [{ name: "selfie.jpg", bytes: SELFIE, type: "image/jpeg" }] },
        ),
      );
      waits.push(await waiter.wait(SEAL_ACTIVE, accountId));
    };
    const w: number[] = [];
    await seal(proA, "provider", providerLegal, providerAcc!.id, w);
    await stage("0 制作签章 (setup)", lives, (o, waits) => seal(o.ent, "me", o.legal, accountIds[o.k - 1]!, waits));
  }

  // 5. The order's life.
  console.log(`Phase 1: the life of ${ORDERS} orders${SUBMIT_ONLY ? " (提交订单 only)" : ""}, at most ${CONCURRENCY} in flight`);
  const S1 = "1 提交订单";
  const forms = new Map<Live, Record<string, string>>();
  await stage("1a 订单详情 (forms loaded)", lives, async (o) => {
    const page = await step(S1, "GET /me/orders/new", o.ent.get(`/me/orders/new?product=${product}`), 200);
    const f = mustForm(page, "/me/orders", "订单详情");
    if (!f.voucherAccountId || f.useVoucher !== "yes") throw new StepError(`订单详情 offers no voucher: ${JSON.stringify(f)}`);
    forms.set(o, f);
  });
  await stage(S1, lives, async (o) => {
    const res = await step(S1, "POST /me/orders (提交订单)", o.ent.post("/me/orders", forms.get(o)!));
    const id = res.location?.match(/^\/me\/orders\/([0-9a-f-]{36})$/)?.[1];
    if (!id) throw new StepError(`提交订单 went to ${res.location}`);
    o.id = id;
  });

  if (!SUBMIT_ONLY) {
    const S2 = "2 接单";
    await stage(S2, lives, async (o) => {
      const page = await step(S2, "GET /provider/orders/:id", o.pro.get(`/provider/orders/${o.id}`), 200);
      await step(
        S2,
        "POST /provider/orders/:id/accept (接单)",
        o.pro.post(`/provider/orders/${o.id}/accept`, mustForm(page, `/provider/orders/${o.id}/accept`, "接单")),
      );
    });

    const S3 = "3 制定合同 + 提交企业确认";
    await stage(S3, lives, async (o) => {
      const edit = await step(S3, "GET /provider/orders/:id/contract/edit", o.pro.get(`/provider/orders/${o.id}/contract/edit`), 200);
      const f = mustForm(edit, `/provider/orders/${o.id}/contract`, "制定合同");
      await step(
        S3,
        "POST /provider/orders/:id/contract (保存并预览)",
        o.pro.post(`/provider/orders/${o.id}/contract`, {
          ...f,
          serviceFrom: "2026-12-10",
          serviceTo: "2027-01-31",
          contractAmount: String(CONTRACT_FEN / 100),
          depositAmount: String(DEPOSIT_FEN / 100),
        }),
      );
      const view = await step(S3, "GET /provider/orders/:id/contract", o.pro.get(`/provider/orders/${o.id}/contract`), 200);
      await step(
        S3,
        "POST /provider/orders/:id/contract/submit (提交企业确认)",
        o.pro.post(`/provider/orders/${o.id}/contract/submit`, mustForm(view, `/provider/orders/${o.id}/contract/submit`, "提交企业确认")),
      );
    });

    const S4 = "4 同意";
    await stage(S4, lives, async (o) => {
      const view = await step(S4, "GET /me/orders/:id/contract", o.ent.get(`/me/orders/${o.id}/contract`), 200);
      await step(
        S4,
        "POST /me/orders/:id/contract/agree (同意)",
        o.ent.post(`/me/orders/${o.id}/contract/agree`, mustForm(view, `/me/orders/${o.id}/contract/agree`, "同意")),
      );
    });

    /** One party signs: the QR link of 签署合同 opened as a phone, the mock's face step and 确认签署. */
    const signAs = async (st: string, desk: Client, side: "me" | "provider", o: Live, person: { name: string; idNumber: string }) => {
      const page = await step(st, `GET /${side}/orders/:id/sign`, desk.get(`/${side}/orders/${o.id}/sign`), 200);
      const link = linkWithClass(page.html, "break");
      if (!link || !/\/s\/[A-Za-z0-9_.-]+$/.test(link)) throw new StepError(`签署合同 shows no phone link: ${pageErrors(page.html)}`);
      const phone = new Client(new URL(link).origin);
      const opened = await step(st, "GET /s/:token (phone link)", phone.get(pathOf(link)));
      const signPage = pathOf(opened.location ?? "");
      const mock = await step(st, "GET /mock-esign/sign/:token", phone.get(signPage), 200);
      await step(
        st,
        "POST /mock-esign/sign/:token/face (人脸认证, multipart)",
        phone.postMultipart(
          `${signPage}/face`,
          { ...mustForm(mock, `${signPage}/face`, "人脸认证"), ...person, outcome: "passed" },
          { selfie: [{ name: "selfie.jpg", bytes: SELFIE, type: "image/jpeg" }] },
        ),
      );
      const again = await step(st, "GET /mock-esign/sign/:token", phone.get(signPage), 200);
      await step(
        st,
        "POST /mock-esign/sign/:token/confirm (确认签署)",
        phone.post(`${signPage}/confirm`, mustForm(again, `${signPage}/confirm`, "确认签署")),
      );
    };
    const S5 = "5 企业签署";
    await stage(S5, lives, async (o, waits) => {
      waits.push(await waiter.wait(FLOW_READY, o.id));
      await signAs(S5, o.ent, "me", o, o.legal);
      waits.push(await waiter.wait(ENTERPRISE_SIGNED, o.id));
    });
    const S6 = "6 服务机构签署";
    await stage(S6, lives, async (o, waits) => {
      await signAs(S6, o.pro, "provider", o, providerLegal);
      waits.push(await waiter.wait(STATUS("awaiting_deposit"), o.id));
    });

    /** 支付定金 / 支付尾款 from the order page through the cashier (支付成功); the notification moves the order. */
    const pay = async (st: string, o: Live, kind: "deposit" | "balance", after: string, waits: number[]) => {
      const label = kind === "deposit" ? "支付定金" : "支付尾款";
      const page = await step(st, "GET /me/orders/:id", o.ent.get(`/me/orders/${o.id}`), 200);
      const f = mustForm(page, `/me/orders/${o.id}/pay`, label);
      if (f.kind !== kind) throw new StepError(`the order page offers ${f.kind}, not ${kind}`);
      const res = await step(st, `POST /me/orders/:id/pay (${label})`, o.ent.post(`/me/orders/${o.id}/pay`, f));
      const cashier = pathOf(res.location ?? "");
      if (!cashier.startsWith("/mock-pay/cashier/")) throw new StepError(`${label} went to ${res.location}`);
      const view = await step(st, "GET /mock-pay/cashier/:token", o.ent.get(cashier), 200);
      const back = await step(
        st,
        "POST /mock-pay/cashier/:token (支付成功)",
        o.ent.post(cashier, { ...mustForm(view, cashier, "收银台"), outcome: "paid" }),
      );
      await step(st, "GET /me/orders/:id/paid (return)", o.ent.get(pathOf(back.location ?? "")));
      waits.push(await waiter.wait(STATUS(after), o.id));
    };
    const S7 = "7 支付定金";
    await stage(S7, lives, (o, waits) => pay(S7, o, "deposit", "awaiting_start", waits));

    const S8 = "8 开始服务";
    await stage(S8, lives, async (o) => {
      const page = await step(S8, "GET /provider/orders/:id", o.pro.get(`/provider/orders/${o.id}`), 200);
      await step(
        S8,
        "POST /provider/orders/:id/start (开始服务)",
        o.pro.post(`/provider/orders/${o.id}/start`, mustForm(page, `/provider/orders/${o.id}/start`, "开始服务")),
      );
    });

    const S9 = "9 完成服务";
    await stage(S9, lives, async (o) => {
      const page = await step(S9, "GET /provider/orders/:id/complete", o.pro.get(`/provider/orders/${o.id}/complete`), 200);
      await step(
        S9,
        "POST /provider/orders/:id/complete (服务成果, multipart)",
        o.pro.postMultipart(
          `/provider/orders/${o.id}/complete`,
          { ...mustForm(page, `/provider/orders/${o.id}/complete`, "完成服务"), summary: "已完成金属材料拉伸、冲击和硬度检测，出具CMA检测报告1份。" },
          { files: [{ name: "检测报告.pdf", bytes: reportPdf(`report ${o.id}`), type: "application/pdf" }] },
        ),
      );
    });

    const S10 = "10 支付尾款";
    await stage(S10, lives, (o, waits) => pay(S10, o, "balance", "awaiting_review", waits));

    const S11 = "11 评价";
    await stage(S11, lives, async (o) => {
      const page = await step(S11, "GET /me/orders/:id/review", o.ent.get(`/me/orders/${o.id}/review`), 200);
      await step(
        S11,
        "POST /me/orders/:id/review (提交评价)",
        o.ent.post(`/me/orders/${o.id}/review`, {
          ...mustForm(page, `/me/orders/${o.id}/review`, "评价"),
          quality: "5",
          timeliness: String(4 + (o.k % 2)),
          attitude: "5",
          comment: "检测及时，报告规范。",
        }),
      );
    });
  }
  lifeMs = performance.now() - lifeStarted;

  // 6. Phase 2: the race enterprise's distinct submissions race for its one account through both instances.
  let raceMade = 0;
  let raceMs = 0;
  const raceSamples: Sample[] = [];
  if (RACE && raceA && raceB) {
    const raceForms = await Promise.all(
      [raceA, raceB].map(async (c) => {
        const p = await c.get(`/me/orders/new?product=${product}`);
        const f = formOf(p.html, "/me/orders");
        if (p.status !== 200 || !f?.voucherAccountId) throw new Error(`订单详情 of the race enterprise: ${p.status}`);
        return f;
      }),
    );
    if (raceForms[0]!.voucherAccountId !== raceForms[1]!.voucherAccountId) throw new Error("the race enterprise sees two accounts");
    console.log(`Phase 2: ${RACE} submissions of one enterprise for one account, alternately on A and B; load average ${load()}`);
    const phase2 = await pool(
      Array.from({ length: RACE }, (_, i) => () => {
        const [c, f] = i % 2 ? [raceA, raceForms[0]!] : [raceB, raceForms[1]!];
        return c.post("/me/orders", { ...f, submissionKey: submissionKey(product, 1_000 + i) });
      }),
      CONCURRENCY,
    );
    raceMs = phase2.ms;
    for (const [i, r] of phase2.results.entries()) {
      raceSamples.push({ status: r.status, ms: r.ms });
      if (r.status === 303) raceMade++;
      else if (r.status === 422 && !r.html.includes("服务券可用额度已用完")) failures.push(`phase 2, submission ${i}: 422 without 服务券可用额度已用完`);
      else if (r.status !== 422) failures.push(`phase 2, submission ${i}: ${r.status}`);
    }
    if (raceMade !== RACE_FITS) failures.push(`phase 2: ${raceMade} orders made, expected ${RACE_FITS}`);
  }

  // 7. The report.
  console.log("");
  console.log("| stage | orders | failed | wall s | orders/s | per order p50 ms | per order p99 ms | waits for callbacks/jobs p50 ms | p99 ms |");
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of stageRows) {
    const okN = r.orders - r.failed;
    console.log(
      `| ${r.stage} | ${r.orders} | ${r.failed} | ${(r.ms / 1000).toFixed(2)} | ${((okN / r.ms) * 1000).toFixed(1)} | ${ms1(quantile(r.perOrder, 0.5))} | ${ms1(quantile(r.perOrder, 0.99))} | ${ms1(quantile(r.waits, 0.5))} | ${ms1(quantile(r.waits, 0.99))} |`,
    );
  }
  console.log("");
  console.log("| stage | request | n | unexpected | requests/s (stage wall) | p50 ms | p99 ms |");
  console.log("|---|---|---:|---:|---:|---:|---:|");
  const wallOf = (s: string) => stageRows.find((r) => r.stage === s)?.ms ?? 0;
  for (const [st, byLabel] of samples) {
    for (const [label, list] of byLabel) {
      const lat = list.map((x) => x.ms).sort((a, b) => a - b);
      const want = label.startsWith("GET") && !label.includes("/s/:token") && !label.includes("/paid") ? 200 : 303;
      const bad = list.filter((x) => x.status !== want).length;
      const wall = wallOf(st);
      const rate = label.startsWith("POST") && wall ? ((list.length / wall) * 1000).toFixed(1) : "";
      console.log(`| ${st} | ${label} | ${list.length} | ${bad} | ${rate} | ${ms1(quantile(lat, 0.5))} | ${ms1(quantile(lat, 0.99))} |`);
    }
  }
  if (RACE) {
    const lat = raceSamples.map((x) => x.ms).sort((a, b) => a - b);
    console.log(
      `| 2: one account, racing submissions | POST /me/orders | ${RACE} (${raceMade} made, ${raceSamples.filter((x) => x.status === 422).length} refused) | ${raceSamples.filter((x) => x.status !== 303 && x.status !== 422).length} | ${((RACE / raceMs) * 1000).toFixed(1)} | ${ms1(quantile(lat, 0.5))} | ${ms1(quantile(lat, 0.99))} |`,
    );
  }
  console.log("");
  console.log(
    `Phase 1 (${SUBMIT_ONLY ? "提交订单" : "seals, then the whole life"} of ${ORDERS} orders) took ${secs(lifeMs)}; load average after the load: ${load()}`,
  );

  // 8. The checks, with SQL on the database both servers wrote.
  console.log("");
  console.log("Checks:");
  const check = (name: string, failed: unknown[]) => {
    console.log(`  ${failed.length ? "FAIL" : "ok  "} ${name}${failed.length ? `: ${JSON.stringify(failed.slice(0, 5))}` : ""}`);
    if (failed.length) failures.push(name);
  };
  if (!SUBMIT_ONLY) {
    // Nothing may still be on its way: every outbox row delivered (or the run fails below).
    const end = Date.now() + 30_000;
    while (Date.now() < end) {
      const [left] = await db.query<{ n: number }>(
        "select ((select count(*) from mock_esign_events where delivered_at is null) + (select count(*) from mock_pay_events where delivered_at is null))::int as n",
      );
      if (!left!.n) break;
      await sleep(200);
    }
  }
  for (const c of await checkOrdersAgainstLedger(db)) check(c.name, c.failures);
  const lifeIds = lives.filter((o) => o.id).map((o) => o.id);
  if (!SUBMIT_ONLY) {
    for (const c of await checkOrderPayments(db, { mockDeliveries: true, completed: lifeIds })) check(c.name, c.failures);
  }
  const perEnterprise = await db.query<{ phone: string; orders: number; deduction: number; consumed: number }>(
    `select a.phone, count(o.*)::int as orders, coalesce(sum(o.deduction_fen), 0)::bigint as deduction, max(v.consumed_fen)::bigint as consumed
       from accounts a join enterprises e on e.account_id = a.id left join orders o on o.enterprise_id = e.id
       left join voucher_accounts v on v.enterprise_id = e.id
      where a.phone like '151%' group by a.phone`,
  );
  check(
    `phase 1: each of the ${ORDERS} enterprises has exactly one order with the ¥2,400 deduction${SUBMIT_ONLY ? "" : ", consumed"}`,
    perEnterprise.filter(
      (r) => r.phone !== racePhone && (r.orders !== 1 || r.deduction !== DEDUCTION_FEN || (!SUBMIT_ONLY && r.consumed !== DEDUCTION_FEN)),
    ),
  );
  if (RACE) {
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
  }
  const [{ n: orders }] = (await db.query<{ n: number }>("select count(*)::int as n from orders")) as [{ n: number }];
  check(
    `orders in the database = the demo data's ${demoOrders} + orders made over HTTP (${lifeIds.length + raceMade})`,
    orders === demoOrders + lifeIds.length + raceMade ? [] : [{ orders }],
  );

  console.log("");
  if (failures.length) {
    console.log("Failures (first 10):");
    for (const f of failures.slice(0, 10)) console.log(`  - ${f}`);
  }
  console.log(`Total run time ${secs(performance.now() - started)}; ${failures.length ? `${failures.length} FAILED` : "all checks passed"}`);
} catch (err) {
  console.error(err);
  failures.push(String(err));
} finally {
  await cleanup();
}
if (failures.length) process.exitCode = 1;
