import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { Browser } from "../support/client.ts";
import { parseCsv, readXlsx } from "../support/exports.ts";
import { signIn, signInAdmin } from "../support/flows.ts";
import { accountOf, placeOrder, productBy } from "../support/orders.ts";
import type { DashboardView } from "../../src/modules/dashboard/service.ts";
import { type Totals, usageBucket } from "../../src/modules/dashboard/domain.ts";

/**
 * 数据看板 against the ledger: after reserve, release, consume, refund and settle through the
 * services, every figure equals the sums computed here straight from voucher_ledger, voucher_accounts,
 * enterprises and orders; before the fold (deltas read live), after it (rollups) and after a rebuild.
 * Runs on PGlite, and on PostgreSQL with DATABASE_URL.
 */

let t: TestApp;
let staff: { id: string; role: string };
let recalled: { entry: { amountFen: number } } | null;
let ids: { cancelled: string; consumed: string; refunded: string; settled: string; reserved: string };

const sums = `coalesce(sum(case l.kind when 'grant' then l.amount_fen else 0 end), 0)::bigint as granted_fen,
  coalesce(sum(case l.kind when 'reserve' then l.amount_fen when 'release' then -l.amount_fen when 'consume' then -l.amount_fen else 0 end), 0)::bigint as reserved_fen,
  coalesce(sum(case l.kind when 'consume' then l.amount_fen when 'refund' then -l.amount_fen else 0 end), 0)::bigint as consumed_fen,
  coalesce(sum(case l.kind when 'settle' then l.amount_fen else 0 end), 0)::bigint as settled_fen,
  coalesce(sum(case when l.kind in ('expire', 'recall') then l.amount_fen else 0 end), 0)::bigint as expired_fen`;
const FROM = `from voucher_ledger l join voucher_accounts a on a.id = l.account_id join enterprises e on e.id = a.enterprise_id left join orders o on o.id = l.order_id`;

/** The ledger's sums grouped by one expression, keyed by its text value. */
async function ledgerBy(expr: string): Promise<Record<string, Totals>> {
  const rows = await t.deps.db.query<Record<string, unknown>>(`select (${expr})::text as key, ${sums} ${FROM} group by 1`);
  return Object.fromEntries(
    rows.map((r) => [
      String(r.key ?? ""),
      {
        grantedFen: Number(r.granted_fen),
        reservedFen: Number(r.reserved_fen),
        consumedFen: Number(r.consumed_fen),
        settledFen: Number(r.settled_fen),
        expiredFen: Number(r.expired_fen),
      },
    ]),
  );
}
const totalsOf = (r: Totals): Totals => ({
  grantedFen: r.grantedFen,
  reservedFen: r.reservedFen,
  consumedFen: r.consumedFen,
  settledFen: r.settledFen,
  expiredFen: r.expiredFen,
});
const keyed = (rows: (Totals & { key: string })[]) => Object.fromEntries(rows.map((r) => [r.key, totalsOf(r)]));

async function view(q = {}): Promise<DashboardView> {
  const res = await t.deps.dashboard.page(staff, q);
  if (!res.ok) throw new Error(JSON.stringify(res.errors));
  return res.value;
}

/** Every figure of the page equals the ledger (and the orders table for the status counts). */
async function expectFiguresEqualLedger() {
  const v = await view();
  const byProgramme = await ledgerBy("a.programme_id");
  expect(keyed(v.byProgramme)).toEqual(byProgramme);
  const [all] = Object.values(await ledgerBy("'all'"));
  expect(totalsOf(v.totals)).toEqual(all);
  expect(v.totals.availableFen).toBe(all!.grantedFen - all!.reservedFen - all!.consumedFen - all!.expiredFen);
  // The running totals of the accounts say the same.
  const [acc] = await t.deps.db.query<Record<string, unknown>>(
    "select sum(granted_fen)::bigint as g, sum(reserved_fen)::bigint as r, sum(consumed_fen)::bigint as c, sum(settled_fen)::bigint as s from voucher_accounts",
  );
  expect([v.totals.grantedFen, v.totals.reservedFen, v.totals.consumedFen, v.totals.settledFen]).toEqual([acc!.g, acc!.r, acc!.c, acc!.s].map(Number));
  expect(keyed(v.byCity)).toEqual(await ledgerBy("coalesce(e.city_code, '')"));
  expect(keyed(v.bySize)).toEqual(await ledgerBy("coalesce(e.size_class, '')"));
  const cats = await ledgerBy("coalesce(o.snapshot->>'category', '')");
  delete cats[""];
  expect(keyed(v.byCategory)).toEqual(cats);
  const months = await ledgerBy("to_char(l.created_at at time zone 'Asia/Shanghai', 'YYYY-MM')");
  expect(Object.fromEntries(v.byMonth.filter((m) => months[m.key]).map((m) => [m.key, [m.grantedFen, m.consumedFen, m.settledFen]]))).toEqual(
    Object.fromEntries(Object.entries(months).map(([k, m]) => [k, [m.grantedFen, m.consumedFen, m.settledFen]])),
  );
  expect(v.byMonth.at(-1)?.reservedEndFen).toBe(all!.reservedFen);
  // Orders by status: the orders table itself.
  const statuses = await t.deps.db.query<{ status: string; n: number }>("select status, count(*)::int as n from orders group by status");
  expect(Object.fromEntries(v.orders.filter((o) => o.n).map((o) => [o.status, o.n]))).toEqual(Object.fromEntries(statuses.map((s) => [s.status, s.n])));
  // Top providers: settled per provider from the ledger.
  const providers = await t.deps.db.query<{ provider_id: string; s: number }>(
    `select o.provider_id, sum(l.amount_fen)::bigint as s ${FROM} where l.kind = 'settle' group by 1 order by 2 desc`,
  );
  expect(v.topProviders.map((p) => [p.providerId, p.settledFen])).toEqual(providers.map((p) => [p.provider_id, Number(p.s)]));
  return v;
}

beforeAll(async () => {
  t = await makeTestApp({ demo: true });
  const [admin] = await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'finance'");
  staff = { id: admin!.id, role: "finance" };
  const e1 = await accountOf(t, "13800000001");
  const e2 = await accountOf(t, "13800000002");
  const testing = await productBy(t, "金属材料力学性能检测");
  const digital = await productBy(t, "产线数字化改造方案设计");
  const diagnosis = await productBy(t, "智能制造能力成熟度诊断服务");
  const cancelled = await placeOrder(t, e1, testing);
  const consumed = await placeOrder(t, e1, testing);
  const refunded = await placeOrder(t, e1, testing);
  const settled = await placeOrder(t, e2, digital);
  const reserved = await placeOrder(t, e2, diagnosis);
  ids = { cancelled: cancelled.id, consumed: consumed.id, refunded: refunded.id, settled: settled.id, reserved: reserved.id };
  const cancel = await t.deps.orders.cancel(e1, cancelled.id, "测试取消");
  if (!cancel.ok) throw new Error(JSON.stringify(cancel.errors));
  const L = t.deps.vouchers.ledger;
  const on = (o: { id: string; voucherAccountId: string | null }) => ({ accountId: o.voucherAccountId!, orderId: o.id });
  await t.deps.db.transaction(async (tx) => {
    await L.consume(tx, on(consumed));
    await L.consume(tx, on(refunded));
    await L.consume(tx, on(settled));
  });
  await t.deps.db.transaction(async (tx) => {
    await L.refund(tx, on(refunded));
    await L.settle(tx, on(settled));
  });
  // 额度收回: enterprise 3's application (pending in the demo) is approved, nobody orders with the
  // account, and it goes back to the programme.
  const [reviewer] = await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'reviewer'");
  const [pending] = await t.deps.db.query<{ id: string }>(
    "select q.id from quota_applications q join enterprises e on e.id = q.enterprise_id join accounts ac on ac.id = e.account_id where ac.phone = '13800000003'",
  );
  const approved = await t.deps.vouchers.decide({ id: reviewer!.id, role: "reviewer" }, pending!.id, { decision: "approve", reason: "" });
  if (!approved.ok) throw new Error(JSON.stringify(approved.errors));
  const [idle] = await t.deps.db.query<{ id: string }>(
    "select va.id from voucher_accounts va join enterprises e on e.id = va.enterprise_id join accounts ac on ac.id = e.account_id where ac.phone = '13800000003'",
  );
  recalled = await t.deps.db.transaction(async (tx) => L.recall(tx, { accountId: idle!.id, approvedBefore: new Date(Date.now() + 86_400_000) }));
  if (!recalled) throw new Error("the idle account was not recalled");
}, 120_000);
afterAll(async () => t?.close());

describe("数据看板 figures equal the ledger", () => {
  it("before the fold (the deltas counted live), after it (the rollups) and after a rebuild", async () => {
    const before = await t.deps.dashboard.page(staff, {});
    expect(before.ok && before.value.freshness.pendingEntries).toBeGreaterThan(0);
    const live = await expectFiguresEqualLedger();
    // Every kind of entry is there: something reserved, consumed (net of the refund), settled.
    expect(live.totals.reservedFen).toBeGreaterThan(0);
    expect(live.totals.settledFen).toBe(36_000_00);
    // 额度收回 counts in 已失效或收回 (nothing in the demo expired yet).
    expect(live.totals.expiredFen).toBe(recalled!.entry.amountFen);
    expect(live.totals.expiredFen).toBeGreaterThan(0);
    expect(live.totals.consumedFen).toBeGreaterThanOrEqual(2_400_00 + 36_000_00);

    const fold = await t.deps.dashboard.fold();
    expect(fold.entries).toBeGreaterThan(0);
    const folded = await expectFiguresEqualLedger();
    expect(folded.freshness.pendingEntries).toBe(0);
    expect(folded.freshness.pendingOrderChanges).toBe(0);
    expect(folded).toEqual({ ...live, freshness: folded.freshness });
    // A second fold moves nothing.
    expect(await t.deps.dashboard.fold()).toMatchObject({ entries: 0, orderChanges: 0 });

    await t.deps.dashboard.rebuild();
    const rebuilt = await expectFiguresEqualLedger();
    expect(rebuilt).toEqual({ ...live, freshness: rebuilt.freshness });
  });

  it("two folds at once (two instances' jobs), while orders are placed, count every entry once", async () => {
    const e2 = await accountOf(t, "13800000002");
    const testing = await productBy(t, "金属材料力学性能检测");
    await Promise.all([t.deps.dashboard.fold(), placeOrder(t, e2, testing), t.deps.dashboard.fold(), placeOrder(t, e2, testing), t.deps.dashboard.fold()]);
    await expectFiguresEqualLedger();
    await t.deps.dashboard.fold();
    const v = await expectFiguresEqualLedger();
    expect(v.freshness.pendingEntries).toBe(0);
  });

  it("a ledger entry in a transaction that rolls back leaves no trace on the dashboard", async () => {
    const before = await view();
    const e1 = await accountOf(t, "13800000001");
    const order = await placeOrder(t, e1, await productBy(t, "金属材料力学性能检测"));
    await expect(
      t.deps.db.transaction(async (tx) => {
        await t.deps.vouchers.ledger.consume(tx, { accountId: order.voucherAccountId!, orderId: order.id });
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    const after = await expectFiguresEqualLedger();
    expect(after.totals.consumedFen).toBe(before.totals.consumedFen);
    expect(after.totals.reservedFen).toBe(before.totals.reservedFen + order.deductionFen);
    expect(after.orders.find((o) => o.status === "pending_acceptance")!.n).toBe(before.orders.find((o) => o.status === "pending_acceptance")!.n + 1);
  });

  it.each(["before", "after"])("usage rates per voucher account equal consumed / granted of the accounts, lowest first (%s a fold)", async (when) => {
    if (when === "after") await t.deps.dashboard.fold();
    else {
      // A consume not yet folded moves that account's rate at once.
      const [o] = await t.deps.db.query<{ voucher_account_id: string }>("select voucher_account_id from orders where id = $1", [ids.reserved]);
      await t.deps.db.transaction((tx) => t.deps.vouchers.ledger.consume(tx, { accountId: o!.voucher_account_id, orderId: ids.reserved }));
      expect((await view()).freshness.pendingEntries).toBeGreaterThan(0);
    }
    const res = await t.deps.dashboard.usage(staff, {}, 1);
    if (!res.ok) throw new Error("usage refused");
    const accounts = await t.deps.db.query<{ id: string; granted_fen: number; consumed_fen: number }>(
      "select id, granted_fen, consumed_fen from voucher_accounts order by (consumed_fen * 10000 / granted_fen), id",
    );
    expect(res.value.total).toBe(accounts.length);
    expect(res.value.rows.map((r) => [r.accountId, r.grantedFen, r.consumedFen, r.usageBp])).toEqual(
      accounts.map((a) => [a.id, Number(a.granted_fen), Number(a.consumed_fen), Math.floor((Number(a.consumed_fen) * 10000) / Number(a.granted_fen))]),
    );
    const v = await view();
    expect(v.usage.accounts).toBe(accounts.length);
    const expected = new Map<number, number>();
    for (const a of accounts) {
      const b = usageBucket(Math.floor((Number(a.consumed_fen) * 10000) / Number(a.granted_fen)));
      expected.set(b, (expected.get(b) ?? 0) + 1);
    }
    expect(v.usage.buckets.map((b) => [b.bucket, b.n])).toEqual(v.usage.buckets.map((b) => [b.bucket, expected.get(b.bucket) ?? 0]));
  });

  it("a programme filter shows that programme only; a year filter its programmes; a malformed filter is ignored", async () => {
    const all = await view();
    const general = all.byProgramme[0]!;
    const one = await view({ programmeId: general.key });
    expect(one.filter.programmeId).toBe(general.key);
    expect(totalsOf(one.totals)).toEqual(totalsOf(general));
    // Orders without a voucher belong to no programme.
    expect(one.ordersTotal).toBeLessThan(all.ordersTotal);
    const year = await view({ year: general.year });
    expect(totalsOf(year.totals)).toEqual(totalsOf(all.totals));
    const none = await view({ year: 2099 });
    expect(none.filter.year).toBeNull();
    expect(totalsOf(none.totals)).toEqual(totalsOf(all.totals));
  });
});

describe("数据看板 pages and who reads them", () => {
  it("finance, operator, reviewer and the super admin read it; the figures link to the lists their role may open", async () => {
    for (const who of ["finance", "operator", "reviewer", "admin"]) {
      const b = await signInAdmin(t, who);
      const res = await b.get("/admin/dashboard");
      expect(res.status, who).toBe(200);
      expect(b.lastHtml).toContain("<h1>数据看板</h1>");
      const orderLinks = /href="\/admin\/orders\?/.test(b.lastHtml);
      const quotaLinks = /href="\/admin\/quota\?/.test(b.lastHtml);
      expect([who, orderLinks, quotaLinks]).toEqual([who, who !== "reviewer", who === "reviewer" || who === "admin"]);
      // Each chart is an image with a title and the table of its numbers beside it.
      expect((b.lastHtml.match(/<svg class="chart-svg"[^>]*role="img"[^>]*aria-labelledby="c-[a-z]+-t c-[a-z]+-d"/g) ?? []).length).toBe(8);
      expect((b.lastHtml.match(/<title id="c-[a-z]+-t">/g) ?? []).length).toBe(8);
      expect((b.lastHtml.match(/<table class="dash-table">/g) ?? []).length).toBeGreaterThanOrEqual(9);
      expect(b.lastHtml).toContain("汇总数据更新于");
    }
    const home = await signInAdmin(t, "finance");
    await home.get("/admin");
    expect(home.lastHtml).toContain('href="/admin/dashboard"');
  });

  it("the links carry the figure's filters: 订单管理 by status, programme, city and month", async () => {
    const b = await signInAdmin(t, "operator");
    const v = await view();
    const programme = v.byProgramme[0]!.key;
    await b.get(`/admin/dashboard?programme=${programme}`);
    expect(b.lastHtml).toContain(`href="/admin/orders?programme=${programme}&amp;status=completed"`);
    expect(b.lastHtml).toContain(`href="/admin/orders?programme=${programme}&amp;city=450100"`);
    const month = v.byMonth.at(-1)!;
    expect(b.lastHtml).toContain(`href="/admin/orders?programme=${programme}&amp;from=${month.from}&amp;to=${month.to}"`);
    // The list behind a status figure shows that many orders.
    const pending = v.orders.find((o) => o.status === "pending_acceptance")!;
    await b.get("/admin/orders?status=pending_acceptance");
    expect(b.lastHtml).toContain(`共 ${pending.n} 条`);
  });

  it("the usage list pages lowest first; a malformed filter or page is ignored, not an error", async () => {
    const b = await signInAdmin(t, "reviewer");
    for (const path of ["/admin/dashboard/usage", "/admin/dashboard/usage?programme=nope&year=abc&page=x", "/admin/dashboard?programme=%27&year=99999"]) {
      const res = await b.get(path);
      expect(res.status, path).toBe(200);
    }
    await b.get("/admin/dashboard/usage");
    expect(b.lastHtml).toContain("<h1>服务券使用率</h1>");
    expect(b.lastHtml).toMatch(/共 \d+ 条，第 1 \/ 1 页/);
  });

  it("导出 CSV / 导出 Excel of the page's tables and of the usage list hold the page's figures", async () => {
    const b = await signInAdmin(t, "reviewer");
    const v = await view();
    await b.get("/admin/dashboard");
    expect(b.lastHtml).toContain('href="/admin/dashboard/export?format=csv"');
    const res = await b.get("/admin/dashboard/export?format=csv");
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parseCsv(bytes);
    expect(rows[0]).toEqual(["维度", "项目", "发放额度（元）", "占用中（元）", "已核销（元）", "已兑付（元）", "已失效或收回（元）", "订单数"]);
    const yuanOf = (fen: number) => (fen / 100).toFixed(2);
    const t0 = v.totals;
    expect(rows[1]).toEqual(["合计", "全部", ...[t0.grantedFen, t0.reservedFen, t0.consumedFen, t0.settledFen, t0.expiredFen].map(yuanOf), ""]);
    for (const c of v.byCity)
      expect(rows).toContainEqual(["城市", c.label, ...[c.grantedFen, c.reservedFen, c.consumedFen, c.settledFen, c.expiredFen].map(yuanOf), ""]);
    for (const o of v.orders) expect(rows).toContainEqual(["订单状态", o.label, "", "", "", "", "", String(o.n)]);
    expect(rows.filter((r) => r[0] === "服务商").map((r) => r[5])).toEqual(v.topProviders.map((p) => yuanOf(p.settledFen)));
    // One programme: its figures only; as Excel, the same rows.
    const programme = v.byProgramme[0]!;
    const one = parseCsv(new Uint8Array(await (await b.get(`/admin/dashboard/export?format=csv&programme=${programme.key}`)).arrayBuffer()));
    expect(one[1]!.slice(2, 4)).toEqual([yuanOf(programme.grantedFen), yuanOf(programme.reservedFen)]);
    const xlsx = await b.get("/admin/dashboard/export?format=xlsx");
    expect(xlsx.status).toBe(200);
    expect(readXlsx(new Uint8Array(await xlsx.arrayBuffer())).rows.length).toBe(rows.length);
    // The usage list: every account, lowest first, with its rate.
    await b.get("/admin/dashboard/usage");
    expect(b.lastHtml).toContain('href="/admin/dashboard/usage/export?format=csv"');
    const usage = parseCsv(new Uint8Array(await (await b.get("/admin/dashboard/usage/export?format=csv")).arrayBuffer()));
    expect(usage[0]).toEqual(["企业名称", "所在城市", "券种", "发放额度（元）", "已核销（元）", "使用率"]);
    expect(usage.length - 1).toBe(v.usage.accounts);
    expect(usage[1]![0]).toBe(v.usage.lowest[0]!.enterpriseName);
    // An enterprise account is not staff.
    const ent = await signIn(t, "13800000001");
    expect((await ent.get("/admin/dashboard/export?format=csv")).status).toBe(303);
  });

  it("nobody else reads it: visitors go to the login, an enterprise account is not staff, an unknown role is refused by the use case", async () => {
    const anon = new Browser(t);
    const res = await anon.get("/admin/dashboard");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toContain("/admin/login");
    const ent = await signIn(t, "13800000001");
    expect((await ent.get("/admin/dashboard/usage")).status).toBe(303);
    const refused = await t.deps.dashboard.page({ id: staff.id, role: "guest" }, {});
    expect(refused).toMatchObject({ ok: false, status: 403 });
    expect(await t.deps.dashboard.usage({ id: staff.id, role: "guest" }, {}, 1)).toMatchObject({ ok: false, status: 403 });
  });
});
