import { cpus, loadavg, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { openPostgres } from "../src/adapters/postgres.ts";
import { scryptPasswords } from "../src/adapters/scrypt-passwords.ts";
import { creditCodeCheckChar } from "../src/modules/enterprises/codes.ts";
import { submissionKey } from "../src/modules/orders/domain.ts";
import { shanghaiDate, shanghaiYear } from "../src/lib/shanghai.ts";
import type { Server } from "../tests/support/processes.ts";
import { type Answer, Client, formOf, pageErrors } from "./lib/bench-http.ts";
import { startBalancer } from "./lib/balancer.ts";
import { intOption, quantile } from "./lib/bench-args.ts";
import { type CheckResult, checkConfirmedOrders, checkOrdersAgainstLedger, checkQuotaApplications } from "./lib/order-ledger-checks.ts";
import { type Cleanups, runCleanups, startCluster } from "./lib/cluster.ts";

const { values } = parseArgs({
  options: {
    enterprises: { type: "string", default: "10000" },
    orders: { type: "string", default: "5000" },
    concurrency: { type: "string", default: "128" },
    window: { type: "string", default: "60" },
  },
});
const ENTERPRISES = intOption("enterprises", values.enterprises, 20, 100_000);
const ORDERS = intOption("orders", values.orders, 10, 100_000);
const CONCURRENCY = intOption("concurrency", values.concurrency, 1, 1000);
const WINDOW_MS = intOption("window", values.window, 0, 3600) * 1000;
/** Submissions per enterprise in the race: 2 for the 1-in-10 with two tabs and the 1-in-10 double-clicking, else 1. */
const raceKind = (k: number): "tabs" | "double" | "once" => (k % 10 === 3 ? "tabs" : k % 10 === 7 ? "double" : "once");
let racers = 0;
for (let n = 0; n < ORDERS; racers++) n += raceKind(racers) === "once" ? 1 : 2;
if (racers > ENTERPRISES) {
  console.error(`--orders ${ORDERS} needs ${racers} enterprises (some submit twice); --enterprises is ${ENTERPRISES}`);
  process.exit(2);
}

const CAPTCHA = "RUSH";
const PASSWORD = "Rush#2026";
const ADMIN_PASSWORD = "Demo#2026";
const PRODUCT_TITLE = "金属材料力学性能检测";
const QUOTA_YUAN = 2400; // 小型: one deduction of 30 % of ¥8,000
const QUOTA_FEN = QUOTA_YUAN * 100;
const phoneOf = (i: number) => String(15_200_000_000 + i); // i = 1..ENTERPRISES

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const failures: string[] = [];
const check = (name: string, bad: unknown[] | boolean) => {
  const ok = Array.isArray(bad) ? bad.length === 0 : bad;
  console.log(`  ${ok ? "ok  " : "FAIL"} ${name}${Array.isArray(bad) && bad.length ? `: ${JSON.stringify(bad.slice(0, 5))}` : ""}`);
  if (!ok) failures.push(name);
};
const checks = (results: CheckResult[]) => {
  for (const r of results) check(r.name, r.failures);
};

/** Runs the tasks with at most `limit` in flight; the wall time. */
/**
 * A measured phase as the people of the scenario arrive: task i starts at i × window / count (an
 * open model: the arrivals do not wait for earlier answers), at most `limit` in flight (the
 * clients' sockets); with window 0, as fast as `limit` allows (a closed loop: a saturation test).
 * Answers the wall time and how far behind its planned start the latest task started (the server
 * fell behind the arrivals when that grows).
 */
async function arrivals(count: number, limit: number, windowMs: number, task: (i: number) => Promise<void>) {
  if (windowMs === 0) return { ms: await pool(count, limit, task), behindMs: 0 };
  const t0 = performance.now();
  const interval = windowMs / count;
  const running = new Set<Promise<void>>();
  let behindMs = 0;
  for (let i = 0; i < count; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    while (running.size >= limit) await Promise.race(running);
    behindMs = Math.max(behindMs, performance.now() - due);
    const p: Promise<void> = task(i).finally(() => running.delete(p));
    running.add(p);
  }
  await Promise.all(running);
  return { ms: performance.now() - t0, behindMs };
}

async function pool(count: number, limit: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
  return performance.now() - t0;
}

// ---- what is measured: per phase and request, every answer's status and time ----

type Row = { phase: string; label: string; ms: number[]; statuses: Map<number, number>; wallMs: number; write: boolean };
const rows: Row[] = [];
const row = (phase: string, label: string, write: boolean): Row => {
  const found = rows.find((x) => x.phase === phase && x.label === label);
  if (found) return found;
  const r: Row = { phase, label, ms: [], statuses: new Map(), wallMs: 0, write };
  rows.push(r);
  return r;
};
const note = (r: Row, a: Answer) => {
  r.ms.push(a.ms);
  r.statuses.set(a.status, (r.statuses.get(a.status) ?? 0) + 1);
  return a;
};
const f1 = (x: number) => (Number.isNaN(x) ? "" : x.toFixed(1));
/** Unexpected answers, for the failure report (the first few of each kind). */
const surprises: string[] = [];
const surprise = (what: string, a: Answer) => {
  if (surprises.length < 20) surprises.push(`${what}: ${a.status} ${a.location ?? ""} ${pageErrors(a.html)}`);
};

const cleanups: Cleanups = [];
process.once("SIGINT", () => {
  console.error("interrupted: cleaning up");
  void (async () => {
    await runCleanups(cleanups);
    process.exit(130);
  })();
});

console.log(
  `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average ${load()}`,
);
console.log(`bench:rush --enterprises ${ENTERPRISES} --orders ${ORDERS} --concurrency ${CONCURRENCY} --window ${WINDOW_MS / 1000}`);
const started = performance.now();
let stats: { requests: number; failed: number; checkFailures: Record<string, number> } | undefined;
try {
  // ---- 1. setup ----
  let t = performance.now();
  const { pg, redis, start } = await startCluster("bench-rush", cleanups, {
    captcha: CAPTCHA,
    settings: { FILE_STORE: "postgres", TRUST_PROXY: "127.0.0.1" },
  });
  // A first (migrations, demo data, the keys in the shared data directory), then B.
  const A: Server = await start();
  const B: Server = await start();
  const lb = await startBalancer({ backends: [A.url, B.url] });
  cleanups.push(() => lb.close());
  stats = lb.stats;
  const db = await openPostgres(pg.url, { max: 4, statementTimeoutMs: 300_000 });
  cleanups.push(() => db.close());
  console.log(
    `Own PostgreSQL on port ${pg.port}, own Redis on port ${redis.port}; instances ${A.url} and ${B.url} behind ${lb.url} (${secs(performance.now() - t)})`,
  );

  t = performance.now();
  // One hash for every account, of a cheap setting (self-describing, so the instances verify it as stored): sign-in is not measured.
  const hash = await scryptPasswords({ logN: 10, r: 8, p: 1 }).hash(PASSWORD);
  await db.query(
    `insert into accounts (id, phone, password_hash)
       select md5('bench-rush-' || g)::uuid, (15200000000 + g)::text, $2 from generate_series(1, $1::int) g`,
    [ENTERPRISES, hash],
  );
  const codes = Array.from({ length: ENTERPRISES }, (_, k) => {
    const first17 = `91450100${String(k + 1).padStart(9, "0")}`;
    return first17 + creditCodeCheckChar(first17);
  });
  await db.query(
    `insert into enterprises (account_id, name, certification_status, size_class, city_code, certified_at, credit_code)
       select md5('bench-rush-' || g)::uuid, '抢申企业' || g || '有限公司', 'certified', 'small', '450100', now(), ($2::text[])[g]
         from generate_series(1, $1::int) g`,
    [ENTERPRISES, codes],
  );
  await db.exec("analyze");
  const seedMs = performance.now() - t;

  const enterprises: Client[] = new Array(ENTERPRISES);
  const signIn = row("1 setup", "POST /login/password (账号密码登录)", false);
  const signInMs = await pool(ENTERPRISES, CONCURRENCY, async (k) => {
    const c = new Client(lb.url);
    const page = await c.get("/login");
    const f = formOf(page.html, "/login/password");
    if (!f) throw new Error(`no 账号密码登录 form (${page.status})`);
    const res = note(signIn, await c.post("/login/password", { ...f, phone: phoneOf(k + 1), password: PASSWORD, captcha: CAPTCHA }));
    if (res.status !== 303) throw new Error(`sign-in of ${phoneOf(k + 1)}: ${res.status} ${pageErrors(res.html)}`);
    enterprises[k] = c;
  });
  signIn.wallMs = signInMs;
  const staff = async (username: string) => {
    const c = new Client(lb.url);
    const page = await c.get("/admin/login");
    const res = await c.post("/admin/login", { ...formOf(page.html, "/admin/login"), username, password: ADMIN_PASSWORD });
    if (res.status !== 303) throw new Error(`admin sign-in of ${username}: ${res.status} ${pageErrors(res.html)}`);
    return c;
  };
  const [admin, reviewer] = await Promise.all([staff("admin"), staff("reviewer")]);
  console.log(
    `Seeded ${ENTERPRISES} certified 小型 enterprises in SQL in ${secs(seedMs)}; all signed in through 账号密码登录 in ${secs(signInMs)}; load average ${load()}`,
  );

  // ---- 2. the window opens ----
  const now = new Date();
  const today = shanghaiDate(now);
  const plus = (days: number) => shanghaiDate(new Date(now.getTime() + days * 86_400_000));
  const name = `${shanghaiYear(now)}年度通用券（抢申基准）`;
  const form = await admin.get("/admin/programmes/new");
  const opened = await admin.post("/admin/programmes/new", {
    ...formOf(form.html, "/admin/programmes/new"),
    year: String(shanghaiYear(now)),
    kind: "general",
    name,
    description: "抢申基准测试：申请窗口今日开放。",
    subsidyRate: "30",
    perOrderCap: "5000",
    quotaLarge: "10000",
    quotaMedium: "6000",
    quotaSmall: String(QUOTA_YUAN),
    quotaMicro: "1000",
    specialMin: "",
    specialMax: "",
    applyFrom: today,
    applyTo: plus(30),
    validFrom: today,
    validTo: plus(365),
    categories: "testing",
    status: "open",
  });
  if (opened.status !== 303) throw new Error(`新建券种: ${opened.status} ${pageErrors(opened.html)}`);
  const [programme] = await db.query<{ id: string }>("select id from voucher_programmes where name = $1", [name]);
  console.log(`The window opens: 新建券种 ${name} (开放申请 from ${today}); load average ${load()}`);

  // ---- 3. the rush ----
  const applyPath = `/me/quota/${programme!.id}/apply`;
  const P3 = "3 配额申请 (the rush)";
  const applyGet = row(P3, `GET /me/quota/:id/apply (确定配额申请)`, false);
  const applyPost = row(P3, "POST /me/quota/:id/apply", true);
  const applyAgain = row(P3, "POST /me/quota/:id/apply again (refused 409)", true);
  let applied = 0;
  let refusedAgain = 0;
  let dupsTried = 0;
  const rush = await arrivals(ENTERPRISES, CONCURRENCY, WINDOW_MS, async (k) => {
    const c = enterprises[k]!;
    const page = note(applyGet, await c.get(applyPath));
    const f = formOf(page.html, applyPath);
    if (page.status !== 200 || !f) return surprise(`确定配额申请 of enterprise ${k + 1}`, page);
    const post = () => c.post(applyPath, f);
    const answers: Answer[] = [];
    if (k % 50 === 10) {
      dupsTried++;
      answers.push(...(await Promise.all([post(), post()]))); // a double click
    } else {
      answers.push(await post());
      if (k % 50 === 35) {
        dupsTried++;
        answers.push(await post()); // applying again after the answer
      }
    }
    const firsts = answers.filter((a) => a.status === 303 && a.location === "/me/quota");
    const refused = answers.filter((a) => a.status === 409 && a.html.includes("请勿重复申请"));
    for (const a of answers) note(a === firsts[0] ? applyPost : applyAgain, a);
    applied += firsts.length;
    refusedAgain += refused.length;
    if (firsts.length !== 1 || refused.length !== answers.length - 1) for (const a of answers) surprise(`配额申请 of enterprise ${k + 1}`, a);
  });
  const rushMs = rush.ms;
  applyGet.wallMs = applyPost.wallMs = applyAgain.wallMs = rushMs;
  console.log(
    `The rush: ${applied} applications in ${secs(rushMs)} (${((applied / rushMs) * 1000).toFixed(0)}/s; the latest start ${rush.behindMs.toFixed(0)} ms behind its arrival); load average ${load()}`,
  );

  // ---- 4. staff approve ----
  const pending = (
    await db.query<{ id: string }>("select id from quota_applications where programme_id = $1 and status = 'pending' order by submitted_at", [
      programme!.id,
    ])
  ).map((r) => r.id);
  const P4 = "4 审核通过 (outside the window)";
  const approve = row(P4, "POST /admin/quota/:id/decision (通过)", true);
  let approved = 0;
  if (pending.length) {
    const detail = await reviewer.get(`/admin/quota/${pending[0]}`);
    const csrf = formOf(detail.html, `/admin/quota/${pending[0]}/decision`)?._csrf;
    if (!csrf) throw new Error(`配额申请详情: ${detail.status} ${pageErrors(detail.html)}`);
    approve.wallMs = await pool(pending.length, Math.min(32, CONCURRENCY), async (i) => {
      const a = note(approve, await reviewer.post(`/admin/quota/${pending[i]}/decision`, { _csrf: csrf, decision: "approve", amount: "", reason: "" }));
      if (a.status === 303) approved++;
      else surprise(`通过 of application ${pending[i]}`, a);
    });
  }
  console.log(`Staff approved ${approved} applications in ${secs(approve.wallMs)}; load average ${load()}`);

  // ---- 5. the order race ----
  const [{ product_id: product }] = (await db.query<{ product_id: string }>("select product_id from product_listings where title = $1", [
    PRODUCT_TITLE,
  ])) as [{ product_id: string }];
  const P5 = "5 提交订单 (the race)";
  const orderGet = row(P5, "GET /me/orders/new (订单详情)", false);
  const orderPost = row(P5, "POST /me/orders (提交订单)", true);
  const orderRefused = row(P5, "POST /me/orders, second tab (refused 422)", true);
  const confirmed: { key: string; id: string }[] = [];
  const racePhones: string[] = [];
  let refusedTabs = 0;
  let tabsTried = 0;
  let doubles = 0;
  const orderOf = (a: Answer) => (a.status === 303 ? a.location?.match(/^\/me\/orders\/([0-9a-f-]{36})$/)?.[1] : undefined);
  const race = await arrivals(racers, CONCURRENCY, WINDOW_MS, async (k) => {
    const c = enterprises[k]!;
    const phone = phoneOf(k + 1);
    racePhones.push(phone);
    const page = note(orderGet, await c.get(`/me/orders/new?product=${product}`));
    const f = formOf(page.html, "/me/orders");
    if (page.status !== 200 || !f?.voucherAccountId || f.useVoucher !== "yes") return surprise(`订单详情 of enterprise ${k + 1}`, page);
    const kind = raceKind(k);
    const forms = kind === "tabs" ? [f, { ...f, submissionKey: submissionKey(product, 1) }] : kind === "double" ? [f, f] : [f];
    const answers = await Promise.all(forms.map((x) => c.post("/me/orders", x)));
    for (const [i, a] of answers.entries()) {
      const id = orderOf(a);
      if (id) confirmed.push({ key: `${phone}/${forms[i]!.submissionKey}`, id });
    }
    const made = answers.filter(orderOf);
    const refused = answers.filter((a) => a.status === 422 && a.html.includes("服务券可用额度已用完"));
    for (const a of answers) note(orderOf(a) ? orderPost : orderRefused, a);
    if (kind === "tabs") {
      tabsTried++;
      refusedTabs += refused.length;
      if (made.length !== 1 || refused.length !== 1) for (const a of answers) surprise(`two tabs of enterprise ${k + 1}`, a);
    } else if (kind === "double") {
      if (made.length === 2 && orderOf(made[0]!) === orderOf(made[1]!)) doubles++;
      else for (const a of answers) surprise(`double click of enterprise ${k + 1}`, a);
    } else if (made.length !== 1) surprise(`提交订单 of enterprise ${k + 1}`, answers[0]!);
  });
  const raceMs = race.ms;
  orderGet.wallMs = orderPost.wallMs = orderRefused.wallMs = raceMs;
  const submissions = orderPost.ms.length + orderRefused.ms.length;
  console.log(
    `The race: ${submissions} submissions of ${racers} enterprises in ${secs(raceMs)} (the latest start ${race.behindMs.toFixed(0)} ms behind its arrival); load average ${load()}`,
  );

  // ---- 6. the report ----
  console.log("");
  console.log("| phase | request | n | statuses | requests/s | p50 ms | p99 ms | max ms |");
  console.log("|---|---|---:|---|---:|---:|---:|---:|");
  for (const r of rows) {
    const lat = [...r.ms].sort((a, b) => a - b);
    const statuses = [...r.statuses]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}: ${n}`)
      .join(", ");
    const rate = r.wallMs ? ((r.ms.length / r.wallMs) * 1000).toFixed(0) : "";
    console.log(
      `| ${r.phase} | ${r.label} | ${r.ms.length} | ${statuses} | ${rate} | ${f1(quantile(lat, 0.5))} | ${f1(quantile(lat, 0.99))} | ${f1(lat.at(-1) ?? Number.NaN)} |`,
    );
  }
  const writes = rows
    .filter((r) => r.write && r.phase !== P4)
    .flatMap((r) => r.ms)
    .sort((a, b) => a - b);
  const p99 = quantile(writes, 0.99);
  console.log("");
  console.log(
    `Writes of the rush and the race (${writes.length} POSTs): p50 ${f1(quantile(writes, 0.5))} ms, p99 ${f1(p99)} ms — goal p99 < 500 ms ${p99 < 500 ? "met" : "MISSED"}`,
  );
  console.log(
    `The rush: ${applied} applications in ${secs(rushMs)} (goal: ${ENTERPRISES} arriving within 60 s, all answered by 61 s: ${rushMs <= 61_000 && WINDOW_MS <= 60_000 ? "met" : "MISSED"}); the race: ${submissions} submissions in ${secs(raceMs)}`,
  );
  console.log(
    `Balancer: ${lb.stats.requests} requests, ${lb.stats.retried} retried, ${lb.stats.failed} failed; per instance ${Object.values(lb.stats.perBackend).join(" / ")}; health checks not answered 200 in time: ${JSON.stringify(lb.stats.checkFailures)}`,
  );

  // ---- 7. the checks ----
  console.log("");
  console.log("Checks:");
  check(`every enterprise's first application accepted: ${applied} of ${ENTERPRISES}`, applied === ENTERPRISES);
  check(`every second application refused with 409 请勿重复申请: ${refusedAgain} of ${dupsTried}`, refusedAgain === dupsTried && dupsTried > 0);
  const apps = await db.query<{ n: number; enterprises: number; approved: number; granted: number }>(
    `select count(*)::int as n, count(distinct q.enterprise_id)::int as enterprises, count(*) filter (where q.status = 'approved')::int as approved,
            coalesce((select sum(granted_fen) from voucher_accounts where programme_id = $1), 0)::bigint as granted
       from quota_applications q where q.programme_id = $1`,
    [programme!.id],
  );
  const a0 = apps[0]!;
  check(
    `one application per enterprise in the database: ${a0.n} applications of ${a0.enterprises} enterprises, ${a0.approved} approved`,
    a0.n === ENTERPRISES && a0.enterprises === ENTERPRISES && a0.approved === ENTERPRISES,
  );
  check(
    `the programme granted ${ENTERPRISES} x ¥${QUOTA_YUAN}: ¥${(Number(a0.granted) / 100).toLocaleString("en")}`,
    Number(a0.granted) === ENTERPRISES * QUOTA_FEN,
  );
  checks(await checkQuotaApplications(db));
  check(`the second tab refused with 422 服务券可用额度已用完: ${refusedTabs} of ${tabsTried}`, refusedTabs === tabsTried && tabsTried > 0);
  check(`a double click answers the same order twice: ${doubles} of ${racerDoubles(racers)}`, doubles === racerDoubles(racers));
  checks(await checkConfirmedOrders(db, confirmed, racePhones));
  const perEnterprise = await db.query<{ phone: string; orders: number; deduction: number; reserved: number; granted: number }>(
    `select a.phone, count(o.id)::int as orders, coalesce(sum(o.deduction_fen), 0)::bigint as deduction,
            max(v.reserved_fen)::bigint as reserved, max(v.granted_fen)::bigint as granted
       from accounts a join enterprises e on e.account_id = a.id
       left join orders o on o.enterprise_id = e.id
       left join voucher_accounts v on v.enterprise_id = e.id and v.programme_id = $2
      where a.phone = any($1::text[]) group by a.phone`,
    [racePhones, programme!.id],
  );
  check(
    `each of the ${racers} racing enterprises has exactly one order holding its whole ¥${QUOTA_YUAN}, and not one fen more`,
    perEnterprise.length !== racers
      ? [{ found: perEnterprise.length }]
      : perEnterprise.filter(
          (r) => r.orders !== 1 || Number(r.deduction) !== QUOTA_FEN || Number(r.reserved) !== QUOTA_FEN || Number(r.granted) !== QUOTA_FEN,
        ),
  );
  checks(await checkOrdersAgainstLedger(db));
  const fives = rows.flatMap((r) => [...r.statuses].filter(([s]) => s >= 500).map(([s, n]) => `${r.label}: ${n} x ${s}`));
  check(`no 5xx answer${fives.length ? ` (${fives.join("; ")})` : ""}`, fives.length === 0);
  check(`nothing lost by the balancer: ${lb.stats.failed} failed, ${lb.stats.retried} retried`, lb.stats.failed === 0);
  check(`no unexpected answer${surprises.length ? `: ${surprises.slice(0, 5).join(" | ")}` : ""}`, surprises.length === 0);
} catch (err) {
  console.error(err);
  if (stats) console.error(`balancer so far: ${JSON.stringify(stats)}`);
  failures.push(String(err));
} finally {
  await runCleanups(cleanups);
}
console.log(`\n${failures.length ? `${failures.length} check(s) failed` : "All checks passed"} in ${secs(performance.now() - started)}`);
process.exit(failures.length ? 1 : 0);

/** How many of the first `n` racers double-click. */
function racerDoubles(n: number): number {
  let d = 0;
  for (let k = 0; k < n; k++) if (raceKind(k) === "double") d++;
  return d;
}
