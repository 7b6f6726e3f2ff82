import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orderExpiryService } from "../../src/modules/orders/expiry-service.ts";
import { pgOrders } from "../../src/modules/orders/pg.ts";
import { BALANCE_REMINDER_CRON, BALANCE_REMINDER_JOB, ORDER_EXPIRY_CRON, ORDER_EXPIRY_JOB, startJobs } from "../../src/start.ts";
import { type TestApp, makeTestApp, testClock } from "../support/app.ts";
import { accountOf, placeOrder, productBy, smsAbout, voucherLeft, statusOf } from "../support/orders.ts";

/**
 * 超时关闭 (the closing job `orders-close-unaccepted`) on the demo data with the test clock:
 * enterprises 1 and 2 hold an approved 通用券, provider 8 (13800000008) sells 金属材料力学性能检测.
 * ORDER_ACCEPT_DAYS is the default 7.
 */
const DAY = 86_400_000;
const clock = testClock();
let t: TestApp;
const ids: Record<string, string> = {};
/** The enterprise of each of those accounts (the id the viewer carries, which the read use cases take). */
const ents: Record<string, string> = {};
let product: string;

const written = async () => {
  const [r] = await t.deps.db.query<{ events: number; lines: number; ledger: number }>(
    `select (select count(*)::int from order_events) as events, (select count(*)::int from order_money_lines) as lines,
            (select count(*)::int from voucher_ledger) as ledger`,
  );
  return { ...r!, sms: (await t.sms.latest(200)).length };
};

beforeAll(async () => {
  t = await makeTestApp({ demo: true, clock, jobs: "engine" });
  for (const i of [1, 2, 8]) {
    ids[i] = await accountOf(t, `1380000000${i}`);
    ents[i] = (await t.deps.enterprises.ofAccount(ids[i]!))!.id;
  }
  product = await productBy(t, "金属材料力学性能检测");
});
afterAll(async () => t?.close());

describe("超时关闭 (orders-close-unaccepted)", () => {
  it("closes an order older than ORDER_ACCEPT_DAYS with its reservation released and both parties told; younger and accepted ones stay; a second run changes nothing", async () => {
    expect(t.deps.config.orderAcceptDays).toBe(7);
    const before = await voucherLeft(t, ids[1]!);
    const old = await placeOrder(t, ids[1]!, product);
    expect(old.deductionFen).toBeGreaterThan(0);
    expect(await voucherLeft(t, ids[1]!)).toBe(before - old.deductionFen);
    const accepted = await placeOrder(t, ids[2]!, product);
    const acc = await t.deps.orders.accept(ids[8]!, accepted.id, accepted.version);
    expect(acc.ok).toBe(true);
    clock.advance(6 * DAY);
    const young = await placeOrder(t, ids[1]!, product, { useVoucher: false });
    clock.advance(DAY + 60_000); // old: 7 days and a minute; young: a day and a minute

    const run = await t.deps.orders.closeUnaccepted();
    expect(run.closed).toBeGreaterThanOrEqual(1);
    expect(run.failed).toBe(0);

    expect(await statusOf(t, old.id)).toBe("closed");
    expect(await voucherLeft(t, ids[1]!)).toBe(before);
    const detail = await t.deps.orders.myOrder(ents[1]!, old.id);
    if (!detail.ok) throw new Error("myOrder");
    expect(detail.value.moneyLines.map((l) => [l.kind, l.amountFen])).toEqual([
      ["voucher_reserved", old.deductionFen],
      ["voucher_released", old.deductionFen],
    ]);
    const expire = detail.value.events.at(-1)!;
    expect(expire).toMatchObject({ action: "expire", actorType: "system", actorId: null, fromStatus: "pending_acceptance", toStatus: "closed" });
    expect(detail.value.actions).toEqual([]);

    // Notices: 提交订单 to the provider, then 超时关闭 to both parties, with nothing but the number.
    const provider = (await t.deps.catalog.provider(old.providerId))!;
    const sent = await smsAbout(t, old.number);
    expect(sent.map((m) => m.phone)).toEqual([provider.contactPhone, "13800000001", provider.contactPhone]);
    const closing = sent.slice(1);
    expect(closing.every((m) => m.text.includes("超时") && m.text.includes("已自动关闭"))).toBe(true);
    const enterprise = (await t.deps.enterprises.ofAccount(ids[1]!))!;
    for (const m of closing) {
      for (const secret of [enterprise.name, provider.name, "13800000001", provider.contactPhone, "金属材料力学性能检测"]) {
        expect(m.text).not.toContain(secret);
      }
    }

    expect(await statusOf(t, young.id)).toBe("pending_acceptance");
    expect(await statusOf(t, accepted.id)).toBe("contract_drafting");

    // Again: nothing more to close, nothing written, nothing sent.
    const mark = await written();
    expect(await t.deps.orders.closeUnaccepted()).toEqual({ closed: 0, skipped: 0, failed: 0 });
    expect(await written()).toEqual(mark);
  });

  it("an order accepted after it was selected is skipped, not an error, and keeps its acceptance", async () => {
    const o = await placeOrder(t, ids[2]!, product);
    clock.advance(8 * DAY);
    let raced = false;
    // The candidates are read, then the provider accepts before the job locks the row.
    const expiry = orderExpiryService({
      ...t.deps,
      orderRepo: (db) => {
        const repo = pgOrders(db);
        return {
          ...repo,
          async unacceptedBefore(cutoff, after, limit) {
            const found = await repo.unacceptedBefore(cutoff, after, limit);
            if (found.includes(o.id) && !raced) {
              raced = true;
              const res = await t.deps.orders.accept(ids[8]!, o.id, o.version);
              if (!res.ok) throw new Error(JSON.stringify(res.errors));
            }
            return found;
          },
        };
      },
      acceptDays: t.deps.config.orderAcceptDays,
    });
    const run = await expiry.closeUnaccepted();
    expect(raced).toBe(true);
    expect(run.skipped).toBeGreaterThanOrEqual(1);
    expect(run.failed).toBe(0);
    expect(await statusOf(t, o.id)).toBe("contract_drafting");
    const events = await t.deps.db.query<{ action: string }>("select action from order_events where order_id = $1 order by id", [o.id]);
    expect(events.map((e) => e.action)).toEqual(["submit", "accept"]);
    expect((await smsAbout(t, o.number)).some((m) => m.text.includes("超时"))).toBe(false);
  });

  it("pages through more candidates than one batch in one run, oldest first", async () => {
    // Whatever other tests left waiting is closed first, so only this test's orders are candidates below.
    clock.advance(8 * DAY);
    await t.deps.orders.closeUnaccepted();
    const made = [];
    for (let i = 0; i < 5; i++) {
      made.push(await placeOrder(t, ids[1]!, product, { useVoucher: false }));
      clock.advance(1000);
    }
    clock.advance(8 * DAY);
    const closedOrder: string[] = [];
    const small = orderExpiryService({
      ...t.deps,
      acceptDays: 7,
      batch: 2,
      orderRepo: (db) => {
        const repo = pgOrders(db);
        return {
          ...repo,
          transition: (id, ...rest) => {
            closedOrder.push(id);
            return repo.transition(id, ...rest);
          },
        };
      },
    });
    const run = await small.closeUnaccepted();
    expect(run).toEqual({ closed: 5, skipped: 0, failed: 0 });
    expect(closedOrder).toEqual(made.map((o) => o.id));
    for (const o of made) expect(await statusOf(t, o.id)).toBe("closed");
    const left = await t.deps.db.query<{ n: number }>("select count(*)::int as n from orders where status = 'pending_acceptance' and created_at < $1", [
      new Date(clock.now().getTime() - 7 * DAY),
    ]);
    expect(left[0]!.n).toBe(0);
  });

  it("runs as the scheduled job on the job engine (pg-boss)", async () => {
    const o = await placeOrder(t, ids[1]!, product);
    clock.advance(8 * DAY);
    const jobs = t.deps.jobs;
    try {
      await startJobs(t.deps);
      expect((await jobs.schedules()).filter((s) => s.name === ORDER_EXPIRY_JOB)).toEqual([{ name: ORDER_EXPIRY_JOB, cron: ORDER_EXPIRY_CRON }]);
      expect((await jobs.schedules()).filter((s) => s.name === BALANCE_REMINDER_JOB)).toEqual([
        { name: BALANCE_REMINDER_JOB, cron: BALANCE_REMINDER_CRON },
      ]);
      await jobs.send(ORDER_EXPIRY_JOB);
      const end = Date.now() + 20_000;
      while ((await statusOf(t, o.id)) !== "closed") {
        if (Date.now() > end) throw new Error("the closing job did not run");
        await new Promise((r) => setTimeout(r, 50));
      }
      const events = await t.deps.db.query<{ action: string; actor_type: string }>(
        "select action, actor_type from order_events where order_id = $1 order by id",
        [o.id],
      );
      expect(events.at(-1)).toEqual({ action: "expire", actor_type: "system" });
    } finally {
      await jobs.stop();
    }
  });
});
