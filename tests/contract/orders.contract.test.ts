import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/adapters/migrate.ts";
import { type Db, UniqueViolation } from "../../src/ports/db.ts";
import { ORDER_STATUSES, type OrderStatus, formatOrderNumber, parseOrderNumber, snapshotOf, submissionKey } from "../../src/modules/orders/domain.ts";
import { pgOrders } from "../../src/modules/orders/pg.ts";
import { pgTerminations } from "../../src/modules/orders/termination-pg.ts";
import type { EventInput, NewOrder } from "../../src/modules/orders/ports.ts";
import { certifiedEnterpriseRow, contractDatabases, providerRows } from "../support/db.ts";

/**
 * The order repository on both databases: the unique submission key per enterprise, append-only
 * events, unique readable numbers from the sequence, transitions guarded by the row's version,
 * and the lists and per-status counts behind the tabs.
 */
type Env = { db: Db; cleanup: () => Promise<void> };
const envs = contractDatabases();

const AT = new Date("2026-11-27T02:00:00Z");
async function seed(db: Db) {
  const providerEnterprise = await certifiedEnterpriseRow(db, "订单测试服务机构");
  const { providerId, productId } = await providerRows(db, providerEnterprise, "订单测试服务机构");
  return { providerId, productId, a: await certifiedEnterpriseRow(db, "甲企业"), b: await certifiedEnterpriseRow(db, "乙企业") };
}

type Seed = Awaited<ReturnType<typeof seed>>;

const firstEvent = (actorId: string | null = null): EventInput => ({
  actorType: "enterprise",
  actorId,
  action: "submit",
  fromStatus: null,
  toStatus: "pending_acceptance",
  reason: null,
  requestId: "req-1",
});

async function newOrder(db: Db, s: Seed, enterpriseId: string, key: string, at = AT): Promise<NewOrder> {
  const seq = await pgOrders(db).nextSequence();
  return {
    number: formatOrderNumber(at, seq),
    enterpriseId,
    providerId: s.providerId,
    productId: s.productId,
    status: "pending_acceptance",
    quantity: 2,
    unitPriceFen: 50_000,
    orderFen: 100_000,
    contractFen: 100_000,
    deductionFen: 0,
    selfPayFen: 100_000,
    depositFen: 0,
    voucherAccountId: null,
    snapshot: snapshotOf({
      productId: s.productId,
      revisionId: crypto.randomUUID(),
      title: "数字化诊断服务",
      category: "digital",
      providerId: s.providerId,
      providerName: "订单测试服务机构",
      priceFen: 50_000,
      unit: "次",
      content: "内容",
      deliverables: "报告",
      acceptance: "验收",
      duration: "30天",
    }),
    submissionKey: key,
    at,
  };
}

describe.each(envs)("order repository: %s", (_name, open) => {
  let env: Env;
  let s: Seed;
  beforeAll(async () => {
    env = await open();
    await migrate(env.db);
    s = await seed(env.db);
  });
  afterAll(async () => env?.cleanup());

  it("inserts an order with its snapshot and first event, and reads it back by id and by key", async () => {
    const repo = pgOrders(env.db);
    const input = await newOrder(env.db, s, s.a, submissionKey(s.productId, 0));
    const order = await repo.insert(input, firstEvent());
    expect(order).toMatchObject({
      status: "pending_acceptance",
      version: 1,
      quantity: 2,
      orderFen: 100_000,
      selfPayFen: 100_000,
      snapshot: input.snapshot,
    });
    expect(typeof order.orderFen).toBe("number");
    expect(await repo.byId(order.id)).toEqual(order);
    expect(await repo.bySubmissionKey(s.a, input.submissionKey)).toEqual(order);
    expect(await repo.bySubmissionKey(s.b, input.submissionKey)).toBeUndefined();
    expect(await repo.byId("not-a-uuid")).toBeUndefined();
    expect(await repo.view(crypto.randomUUID())).toBeUndefined();
    expect(await repo.view("not-a-uuid")).toBeUndefined();
    const events = await repo.events(order.id);
    expect(events).toEqual([expect.objectContaining({ action: "submit", fromStatus: null, toStatus: "pending_acceptance", requestId: "req-1" })]);
    expect(await repo.countForProduct(s.a, s.productId)).toBe(1);
  });

  it("refuses a second order with the same submission key of one enterprise (UniqueViolation), and allows it for another", async () => {
    const repo = pgOrders(env.db);
    const key = `${s.productId}#7`;
    await repo.insert(await newOrder(env.db, s, s.a, key), firstEvent());
    const again = await newOrder(env.db, s, s.a, key);
    const err = await env.db
      .transaction(async (tx) => pgOrders(tx).insert(again, firstEvent()))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(UniqueViolation);
    expect((err as UniqueViolation).constraint).toBe("orders_submission_key");
    // Nothing of the refused insert remains, not even its event.
    expect(await repo.bySubmissionKey(s.a, key)).toMatchObject({ number: expect.not.stringMatching(again.number) });
    const [n] = await env.db.query<{ n: number }>("select count(*)::int as n from orders where number = $1", [again.number]);
    expect(n!.n).toBe(0);
    // The key of another enterprise is its own.
    await expect(repo.insert(await newOrder(env.db, s, s.b, key), firstEvent())).resolves.toMatchObject({ enterpriseId: s.b });
  });

  it("keeps order events append-only: update and delete are refused", async () => {
    const repo = pgOrders(env.db);
    const order = await repo.insert(await newOrder(env.db, s, s.a, `${s.productId}#20`), firstEvent());
    await expect(env.db.query("update order_events set reason = 'x' where order_id = $1", [order.id])).rejects.toThrow(/append-only/);
    await expect(env.db.query("delete from order_events where order_id = $1", [order.id])).rejects.toThrow(/append-only/);
    await repo.addMoneyLine(order.id, "voucher_reserved", 3000, "1", AT);
    await expect(env.db.query("update order_money_lines set amount_fen = 1 where order_id = $1", [order.id])).rejects.toThrow(/append-only/);
    await expect(env.db.query("delete from order_money_lines where order_id = $1", [order.id])).rejects.toThrow(/append-only/);
    expect(await repo.events(order.id)).toHaveLength(1);
    expect(await repo.moneyLines(order.id)).toEqual([expect.objectContaining({ kind: "voucher_reserved", amountFen: 3000, ref: "1" })]);
  });

  it("gives unique numbers in the DD + date + sequence format, also when many are taken at once", async () => {
    const numbers = await Promise.all(
      Array.from({ length: 12 }, async (_, i) =>
        env.db.transaction(async (tx) => (await pgOrders(tx).insert(await newOrder(tx, s, s.b, `${s.productId}#${100 + i}`), firstEvent())).number),
      ),
    );
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const n of numbers) {
      expect(n).toMatch(/^DD20261127\d{6}$/);
      expect(parseOrderNumber(n)).toMatchObject({ date: "2026-11-27" });
    }
    // The database refuses a malformed or repeated number even if a caller made one.
    const bad = { ...(await newOrder(env.db, s, s.b, `${s.productId}#200`)), number: "DD2026" };
    await expect(pgOrders(env.db).insert(bad, firstEvent())).rejects.toThrow();
    const dup = { ...(await newOrder(env.db, s, s.b, `${s.productId}#201`)), number: numbers[0]! };
    await expect(pgOrders(env.db).insert(dup, firstEvent())).rejects.toBeInstanceOf(UniqueViolation);
  });

  it("refuses amounts that break the money rules", async () => {
    const base = await newOrder(env.db, s, s.b, `${s.productId}#300`);
    for (const patch of [
      { orderFen: 99_999 }, // not unit price x quantity
      { deductionFen: 10, selfPayFen: 100_000 }, // self pay is not contract - deduction (and no voucher account)
      { depositFen: 100_001 }, // deposit above self pay
      { deductionFen: -1, selfPayFen: 100_001 },
    ]) {
      await expect(pgOrders(env.db).insert({ ...base, ...patch }, firstEvent())).rejects.toThrow();
    }
    await expect(pgOrders(env.db).insert({ ...base, status: "nonsense" as OrderStatus }, firstEvent())).rejects.toThrow();
  });

  it("applies a transition on the locked row with one event, and refuses a stale version", async () => {
    const order = await pgOrders(env.db).insert(await newOrder(env.db, s, s.a, `${s.productId}#400`), firstEvent());
    const event: EventInput = { ...firstEvent(), action: "cancel", fromStatus: "pending_acceptance", toStatus: "cancelled", reason: "不需要了" };
    const done = await env.db.transaction(async (tx) => {
      const locked = (await pgOrders(tx).byId(order.id, true))!;
      return pgOrders(tx).transition(locked.id, locked.version, "cancelled", new Date(AT.getTime() + 60_000), event);
    });
    expect(done).toMatchObject({ status: "cancelled", version: 2 });
    expect(await pgOrders(env.db).transition(order.id, 1, "contract_drafting", AT, { ...event, action: "accept" })).toBeUndefined();
    const events = await pgOrders(env.db).events(order.id);
    expect(events.map((e) => [e.action, e.fromStatus, e.toStatus, e.reason])).toEqual([
      ["submit", null, "pending_acceptance", null],
      ["cancel", "pending_acceptance", "cancelled", "不需要了"],
    ]);
    expect((await pgOrders(env.db).byId(order.id))!.status).toBe("cancelled");
  });

  it("lists a party's orders newest first with a status filter and paging, and counts them per status", async () => {
    const c = await certifiedEnterpriseRow(env.db, "丙企业");
    const repo = pgOrders(env.db);
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const o = await repo.insert(await newOrder(env.db, s, c, `${s.productId}#${i}`, new Date(AT.getTime() + i * 1000)), firstEvent());
      made.push(o.id);
    }
    // Two of them move on.
    await repo.transition(made[0]!, 1, "cancelled", AT, { ...firstEvent(), action: "cancel", fromStatus: "pending_acceptance", toStatus: "cancelled" });
    await repo.transition(made[1]!, 1, "contract_drafting", AT, {
      ...firstEvent(),
      action: "accept",
      fromStatus: "pending_acceptance",
      toStatus: "contract_drafting",
    });
    const all = await repo.list({ enterpriseId: c }, null, 3, 0);
    expect(all.total).toBe(5);
    expect(all.rows.map((r) => r.id)).toEqual([made[4], made[3], made[2]]);
    expect(all.rows[0]).toMatchObject({ title: "数字化诊断服务", providerName: "订单测试服务机构", contractFen: 100_000 });
    const second = await repo.list({ enterpriseId: c }, null, 3, 3);
    expect(second.rows.map((r) => r.id)).toEqual([made[1], made[0]]);
    const pending = await repo.list({ enterpriseId: c }, ["pending_acceptance"], 10, 0);
    expect(pending).toMatchObject({ total: 3 });
    const cancelled = await repo.list({ enterpriseId: c }, ["cancelled", "declined", "closed", "terminated"], 10, 0);
    expect(cancelled.rows.map((r) => r.id)).toEqual([made[0]]);
    // listRows is list's page without its count.
    expect(await repo.listRows({ enterpriseId: c }, null, 3, 3)).toEqual(second.rows);
    expect(await repo.listRows({ enterpriseId: c }, ["pending_acceptance"], 10, 0)).toEqual(pending.rows);
    expect(await repo.countByStatus({ enterpriseId: c })).toEqual({ pending_acceptance: 3, cancelled: 1, contract_drafting: 1 });
    // The provider's list holds every enterprise's orders of its products; another enterprise sees none of these.
    const provider = await repo.countByStatus({ providerId: s.providerId });
    expect(Object.values(provider).reduce((a, b) => a + (b ?? 0), 0)).toBeGreaterThanOrEqual(5);
    expect(Object.keys(provider).every((k) => (ORDER_STATUSES as string[]).includes(k))).toBe(true);
    expect((await repo.list({ providerId: s.providerId }, ["contract_drafting"], 10, 0)).rows.map((r) => r.id)).toContain(made[1]);
    const other = await repo.list({ enterpriseId: s.a }, null, 100, 0);
    expect(other.rows.some((r) => made.includes(r.id))).toBe(false);
  });
  it("pages the closing job's candidates: 待接单 before the cut-off, oldest first, by keyset (ties by id)", async () => {
    const d = await certifiedEnterpriseRow(env.db, "丁企业");
    const repo = pgOrders(env.db);
    const old = new Date("2020-01-01T00:00:00Z");
    const times = [0, 1000, 1000, 2000, 3000, 86_400_000 * 3].map((ms) => new Date(old.getTime() + ms));
    const made: { id: string; at: Date }[] = [];
    for (const [i, at] of times.entries()) {
      made.push({ id: (await repo.insert(await newOrder(env.db, s, d, `${s.productId}#9${i}`, at), firstEvent())).id, at });
    }
    // One is accepted meanwhile; the last is younger than the cut-off.
    await repo.transition(made[3]!.id, 1, "contract_drafting", AT, {
      ...firstEvent(),
      action: "accept",
      fromStatus: "pending_acceptance",
      toStatus: "contract_drafting",
    });
    const cutoff = new Date(old.getTime() + 86_400_000);
    const byTime = (a: { id: string; at: Date }, b: { id: string; at: Date }) => a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : 1);
    const expected = [made[0]!, made[1]!, made[2]!, made[4]!].sort(byTime).map((o) => o.id);
    const pages: string[][] = [];
    let after: string | null = null;
    for (;;) {
      const page = await repo.unacceptedBefore(cutoff, after, 2);
      pages.push(page);
      if (page.length < 2) break;
      after = page.at(-1)!;
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2, 0]);
    expect(pages.flat()).toEqual(expected);
    expect(await repo.unacceptedBefore(cutoff, "not-a-uuid", 10)).toEqual(expected);
  });

  it("reads an order's page in one statement (view), each part equal to its single read", async () => {
    const repo = pgOrders(env.db);
    const terms = pgTerminations(env.db);
    const bare = await repo.insert(await newOrder(env.db, s, s.a, `${s.productId}#view-bare`), firstEvent());
    const [{ name }] = (await env.db.query<{ name: string }>("select name from enterprises where id = $1", [s.a])) as [{ name: string }];
    // Before anything happens: the order, its one event, nothing else.
    expect(await repo.view(bare.id)).toEqual({
      order: bare,
      enterpriseName: name,
      events: await repo.events(bare.id),
      moneyLines: [],
      delivery: undefined,
      review: undefined,
      terminations: [],
    });

    const order = await repo.insert(await newOrder(env.db, s, s.a, `${s.productId}#view`), firstEvent());
    const at = (ms: number) => new Date(AT.getTime() + ms);
    const moved = await repo.transition(order.id, 1, "contract_drafting", at(1_001), {
      ...firstEvent(),
      action: "accept",
      fromStatus: "pending_acceptance",
      toStatus: "contract_drafting",
    });
    await repo.addMoneyLine(order.id, "deposit_paid", 30_000, "PAY-1", at(2_002));
    await repo.addMoneyLine(order.id, "balance_paid", 70_000, "PAY-2", at(3_003));
    const [{ account_id: by }] = (await env.db.query<{ account_id: string }>("select account_id from enterprises where id = $1", [s.a])) as [
      { account_id: string },
    ];
    const fileIds: string[] = [];
    for (const n of ["报告.pdf", "附件.png"]) {
      const [f] = await env.db.query<{ id: string }>(
        `insert into files (owner_enterprise_id, purpose, original_name, content_type, size_bytes, sha256, storage_key)
         values ($1, 'delivery', $2, 'application/pdf', 10, 'x', $3) returning id`,
        [s.a, n, crypto.randomUUID()],
      );
      fileIds.push(f!.id);
    }
    await repo.addDelivery(order.id, { summary: "服务成果说明", fileIds: [fileIds[1]!, fileIds[0]!], by, at: at(4_004) });
    await repo.addReview({
      orderId: order.id,
      productId: s.productId,
      providerId: s.providerId,
      enterpriseId: s.a,
      quality: 5,
      timeliness: 4,
      attitude: 3,
      comment: "很好",
      createdAt: at(5_005),
    });
    expect(await repo.replyToReview(order.id, "感谢", by, at(6_006))).toBe(true);
    const t1 = await terms.insert({
      orderId: order.id,
      proposedBy: "enterprise",
      proposerId: by,
      reason: "不再需要",
      paidFen: 30_000,
      refundFen: 10_000,
      createdAt: at(7_007),
    });
    expect(await terms.end(t1.id, "rejected", { responderId: "provider", response: "不同意", at: at(8_008) })).toBe(true);
    await terms.insert({
      orderId: order.id,
      proposedBy: "provider",
      proposerId: "p",
      reason: "再议一下",
      paidFen: 30_000,
      refundFen: 0,
      createdAt: at(9_009),
    });

    const view = (await repo.view(order.id))!;
    expect(view).toEqual({
      order: moved,
      enterpriseName: name,
      events: await repo.events(order.id),
      moneyLines: await repo.moneyLines(order.id),
      delivery: await repo.delivery(order.id),
      review: await repo.review(order.id),
      terminations: await terms.ofOrder(order.id),
    });
    // The same types as the single reads: Dates, numbers, the files in their order.
    expect(view.events).toHaveLength(2);
    expect(view.events[1]!.at).toEqual(at(1_001));
    expect(view.moneyLines.map((m) => [m.kind, m.amountFen, m.at.getTime()])).toEqual([
      ["deposit_paid", 30_000, at(2_002).getTime()],
      ["balance_paid", 70_000, at(3_003).getTime()],
    ]);
    expect(view.delivery).toMatchObject({ summary: "服务成果说明", fileIds: [fileIds[1], fileIds[0]], createdBy: by, createdAt: at(4_004) });
    expect(view.review).toMatchObject({ quality: 5, comment: "很好", reply: "感谢", repliedAt: at(6_006), hiddenAt: null });
    expect(view.terminations.map((t) => [t.status, t.refundFen, t.endedAt])).toEqual([
      ["rejected", 10_000, at(8_008)],
      ["proposed", 0, null],
    ]);
  });
});
