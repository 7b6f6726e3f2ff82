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

  it("has 兑付 in every status: the paid ones settled in the ledger, the waiting ones not, some orders left for 申请兑付", async () => {
    const states = await t.deps.db.query<{ status: string; n: number }>("select status, count(*)::int as n from settlements group by status");
    expect(states.map((s) => s.status).sort()).toEqual(["awaiting_payout", "paid", "paused", "pending", "publicising", "rejected", "spot_check"]);
    // 已拨付: every order's voucher part is settled in the ledger (once), and nothing else is.
    const settled = await t.deps.db.query<{ order_id: string; v: number; s: number }>(
      `select o.order_id, o.voucher_fen::int as v, coalesce(sum(l.amount_fen) filter (where l.kind = 'settle'), 0)::int as s
         from settlement_orders o join settlements x on x.id = o.settlement_id
         left join voucher_ledger l on l.order_id = o.order_id
        where x.status = 'paid' group by 1, 2`,
    );
    expect(settled.length).toBeGreaterThan(5);
    expect(settled.filter((r) => r.s !== r.v)).toEqual([]);
    const [stray] = await t.deps.db.query<{ n: number }>(
      `select count(*)::int as n from voucher_ledger l where l.kind = 'settle'
          and not exists (select 1 from settlement_orders o join settlements x on x.id = o.settlement_id where o.order_id = l.order_id and x.status = 'paid')`,
    );
    expect(stray!.n).toBe(0);
    // Every application's amounts are its orders' and each was paid in a batch with its total.
    const [sums] = await t.deps.db.query<{ bad: number; unbatched: number; badBatch: number }>(
      `select (select count(*)::int from settlements s where s.amount_fen <> (select sum(voucher_fen) from settlement_orders o where o.settlement_id = s.id)) as bad,
              (select count(*)::int from settlements where status = 'paid' and (batch_id is null or payout_no is null or paid_at is null)) as unbatched,
              (select count(*)::int from payout_batches b where b.total_fen <> (select sum(amount_fen) from settlements s where s.batch_id = b.id)) as "badBatch"`,
    );
    expect(sums).toEqual({ bad: 0, unbatched: 0, badBatch: 0 });
    // A demo provider has completed orders still to apply for.
    const [pro] = await t.deps.db.query<{ account_id: string }>(
      `select e.account_id from settlement_orders o join orders r on r.id = o.order_id join providers p on p.id = r.provider_id
         join enterprises e on e.id = p.enterprise_id limit 1`,
    );
    const providers = await t.deps.db.query<{ account_id: string }>(
      "select distinct e.account_id from providers p join enterprises e on e.id = p.enterprise_id",
    );
    let eligible = 0;
    for (const p of providers) {
      const r = await t.deps.settlement.eligible(p.account_id);
      if (r.ok) eligible += r.value.orders.length;
    }
    expect(pro).toBeDefined();
    expect(eligible).toBeGreaterThan(0);
  });

  it("a demo 待拨付 application is paid out through the real 拨付 (the payee snapshot matches 支付认证); 公示中 ones are on 兑付公示", async () => {
    const [waiting] = await t.deps.db.query<{ id: string; number: string }>("select id, number from settlements where status = 'awaiting_payout' limit 1");
    const [finance] = await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'finance'");
    const paid = await t.deps.settlement.payBatch({ id: finance!.id, role: "finance" }, [waiting!.id]);
    expect(paid.ok && paid.value.rereview).toBe(0);
    const [after] = await t.deps.db.query<{ status: string }>("select status from settlements where id = $1", [waiting!.id]);
    expect(["paying", "paid"]).toContain(after!.status);
    const [shown] = await t.deps.db.query<{ number: string }>("select number from settlements where status = 'publicising' limit 1");
    const b = await signInAdmin(t, "finance");
    expect((await b.get("/settlements/publicity")).status).toBe(200);
    expect(b.lastHtml).toContain(shown!.number);
    const [review] = await t.deps.db.query<{ id: string }>("select id from settlements where status = 'spot_check' limit 1");
    expect((await b.get(`/admin/settlements/${review!.id}`)).status).toBe(200);
    expect(b.lastHtml).toContain("抽查中");
    expect(b.lastHtml).toContain("请补充服务过程记录与验收现场照片");
  });

  it("loads once: a second start creates nothing", async () => {
    const before = await t.deps.db.query<{ n: number }>("select count(*)::int as n from orders");
    expect((await seedDemo(t.deps)).created).toBe(0);
    expect(await t.deps.db.query<{ n: number }>("select count(*)::int as n from orders")).toEqual(before);
  });
});
