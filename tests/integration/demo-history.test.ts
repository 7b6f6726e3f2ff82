import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkOrdersAgainstLedger } from "../../scripts/lib/order-ledger-checks.ts";
import { seedDemo } from "../../src/demo.ts";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { signInAdmin } from "../support/flows.ts";

/**
 * The demo's year of history (src/demo-history.ts, DEMO_HISTORY=true as on `npm start`): a year of
 * months on 数据看板 with every kind of figure, consistent with the ledger and the orders' own checks,
 * loaded once and fast.
 */
let t: TestApp;
let loadMs = 0;
beforeAll(async () => {
  t = await makeTestApp({ env: { DEMO_HISTORY: "true" } });
  const t0 = performance.now();
  await seedDemo(t.deps);
  loadMs = performance.now() - t0;
}, 120_000);
afterAll(async () => t?.close());

describe("demo history", () => {
  it("passes every order and ledger check (totals = entries, reservations held by live orders, one 提交订单 first, status = last event)", async () => {
    for (const c of await checkOrdersAgainstLedger(t.deps.db)) expect(c.failures, c.name).toEqual([]);
    const [n] = await t.deps.db.query<{ orders: number; ledger: number; events: number; lines: number }>(
      `select (select count(*)::int from orders) as orders, (select count(*)::int from voucher_ledger) as ledger,
              (select count(*)::int from order_events) as events, (select count(*)::int from order_money_lines) as lines`,
    );
    // A few thousand rows at most, so the first `npm start` stays quick.
    expect(n!.orders).toBeGreaterThan(100);
    expect(n!.orders + n!.ledger + n!.events + n!.lines).toBeLessThan(5000);
    console.info(`demo data with history: ${JSON.stringify(n)} in ${loadMs.toFixed(0)} ms`);
  });

  it("shows twelve months, every city, every 企业划型, settled amounts and top providers on the dashboard", async () => {
    const [admin] = await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'finance'");
    const res = await t.deps.dashboard.page({ id: admin!.id, role: "finance" }, {});
    if (!res.ok) throw new Error("refused");
    const v = res.value;
    expect(v.byMonth.length).toBeGreaterThanOrEqual(12);
    expect(v.byMonth.filter((m) => m.consumedFen > 0).length).toBeGreaterThanOrEqual(8);
    expect(v.byCity.length).toBeGreaterThanOrEqual(14);
    expect(v.bySize.map((s) => s.key).sort()).toEqual(["large", "medium", "micro", "small"]);
    expect(v.totals.settledFen).toBeGreaterThan(0);
    expect(v.topProviders.length).toBeGreaterThanOrEqual(2);
    expect(v.orders.filter((o) => o.n > 0).length).toBeGreaterThanOrEqual(6);
    expect(v.usage.buckets.filter((b) => b.n > 0).length).toBeGreaterThanOrEqual(3);
    const [acc] = await t.deps.db.query<{ s: string; c: string }>(
      "select sum(settled_fen)::bigint as s, sum(consumed_fen)::bigint as c from voucher_accounts",
    );
    expect([v.totals.settledFen, v.totals.consumedFen]).toEqual([Number(acc!.s), Number(acc!.c)]);
  });

  it("a history order opens in 订单管理 with its timeline", async () => {
    const [o] = await t.deps.db.query<{ id: string; number: string }>(
      "select id, number from orders where submission_key like 'history:%' and status = 'completed' order by created_at limit 1",
    );
    const b = await signInAdmin(t, "operator");
    expect((await b.get(`/admin/orders/${o!.id}`)).status).toBe(200);
    expect(b.lastHtml).toContain(o!.number);
    expect((await b.get("/admin/dashboard")).status).toBe(200);
  });

  it("loads once: a second start creates nothing", async () => {
    const before = await t.deps.db.query<{ n: number }>("select count(*)::int as n from orders");
    expect((await seedDemo(t.deps)).created).toBe(0);
    expect(await t.deps.db.query<{ n: number }>("select count(*)::int as n from orders")).toEqual(before);
  });
});
