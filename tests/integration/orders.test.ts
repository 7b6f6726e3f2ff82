import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORDER_WRITES, rowCounts } from "../support/orders.ts";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { submissionKey } from "../../src/modules/orders/domain.ts";
import type { Order } from "../../src/modules/orders/ports.ts";

/**
 * 订单详情, 提交订单 (the voucher reserved in the same transaction, once per submission key),
 * 取消订单 and 我购买的服务 through the real app's services on the demo data: enterprises 1 and 2
 * hold an approved 通用券, 5 is not certified, 7-9 are providers with listed products.
 */
let t: TestApp;
const ids: Record<string, string> = {};
/** The enterprise of each of those accounts (the id the viewer carries, which the read use cases take). */
const ents: Record<string, string> = {};
let testingProduct: string; // 金属材料力学性能检测, ¥8,000 per 批 (provider 8)
let delistProduct: string; // 智能制造能力成熟度诊断服务 (provider 7)

const accountOf = async (phone: string) => (await t.deps.db.query<{ id: string }>("select id from accounts where phone = $1", [phone]))[0]!.id;
const productBy = async (title: string) =>
  (await t.deps.db.query<{ product_id: string }>("select product_id from product_listings where title = $1", [title]))[0]!.product_id;

/** The enterprise's 通用券 account as 我的服务券 reads it. */
async function voucherOf(accountId: string) {
  const enterprise = (await t.deps.enterprises.ofAccount(accountId))!;
  const [a] = await t.deps.vouchers.payableAccounts(enterprise.id, "testing");
  return { enterpriseId: enterprise.id, accountId: a!.account.id, availableFen: a!.availableFen };
}

const counts = () => rowCounts(t, ORDER_WRITES);

/** 订单详情 then 提交订单 with its key, using the first payable voucher unless told otherwise. */
async function order(accountId: string, productId: string, opts: { useVoucher?: boolean; quantity?: number; voucherAccountId?: string } = {}) {
  const page = await t.deps.orders.orderPage(accountId, productId, opts.quantity);
  if (!page.ok) throw new Error(JSON.stringify(page.errors));
  const useVoucher = opts.useVoucher ?? true;
  const res = await t.deps.orders.submit(
    accountId,
    {
      productId,
      quantity: opts.quantity,
      useVoucher,
      voucherAccountId: useVoucher ? (opts.voucherAccountId ?? page.value.accounts[0]!.accountId) : undefined,
      submissionKey: page.value.submissionKey,
    },
    "req-test",
  );
  return { page: page.value, res };
}
const must = (r: { ok: true; value: { order: Order } } | { ok: false; errors: unknown }) => {
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value.order;
};

beforeAll(async () => {
  t = await makeTestApp({ demo: true });
  for (const i of [1, 2, 5, 7, 8]) {
    ids[i] = await accountOf(`1380000000${i}`);
    ents[i] = (await t.deps.enterprises.ofAccount(ids[i]!))!.id;
  }
  testingProduct = await productBy("金属材料力学性能检测");
  delistProduct = await productBy("智能制造能力成熟度诊断服务");
});
afterAll(async () => t?.close());

describe("订单详情 and 提交订单", () => {
  it("shows the product as it is now with the payable voucher, and the amounts equal the product page's (integer fen)", async () => {
    const detail = (await t.deps.products.productDetail(testingProduct, ids[1]))!;
    const page = await t.deps.orders.orderPage(ids[1]!, testingProduct);
    expect(page.ok).toBe(true);
    if (!page.ok) return;
    expect(page.value.revision).toMatchObject({ title: "金属材料力学性能检测", priceFen: 800_000, unit: "批" });
    expect(page.value.quantityAllowed).toBe(true);
    expect(page.value.amounts).toMatchObject({ orderFen: 800_000, contractFen: 800_000, deductionFen: 0, selfPayFen: 800_000 });
    expect(page.value.accounts).toHaveLength(1);
    const a = page.value.accounts[0]!;
    expect(a).toMatchObject({ kind: "general", rateBp: 3000, availableFen: detail.vouchers[0]!.availableFen });
    expect(a.amounts.deductionFen).toBe(detail.vouchers[0]!.deductionFen);
    expect(a.amounts.selfPayFen).toBe(detail.vouchers[0]!.payFen);
    expect(a.amounts).toMatchObject({ deductionFen: 240_000, selfPayFen: 560_000 });
    for (const v of Object.values(a.amounts)) expect(Number.isSafeInteger(v)).toBe(true);

    // The order made from this page carries exactly these amounts.
    const { res } = await order(ids[1]!, testingProduct);
    const o = must(res);
    expect(o).toMatchObject({ status: "pending_acceptance", orderFen: 800_000, contractFen: 800_000, deductionFen: 240_000, selfPayFen: 560_000 });
    expect(o.number).toMatch(/^DD\d{8}\d{6}$/);
    expect(o.snapshot).toMatchObject({ title: "金属材料力学性能检测", unitPriceFen: 800_000, unit: "批", provider: { name: detail.provider.name } });
  });

  it("reserves exactly the deduction in the same transaction, with the money line and the first event", async () => {
    const before = await voucherOf(ids[1]!);
    const { res } = await order(ids[1]!, testingProduct, { quantity: 3 });
    const o = must(res);
    expect(o).toMatchObject({ quantity: 3, orderFen: 2_400_000, deductionFen: 720_000, selfPayFen: 1_680_000, voucherAccountId: before.accountId });
    expect((await voucherOf(ids[1]!)).availableFen).toBe(before.availableFen - 720_000);
    const entries = await t.deps.db.query<{ kind: string; amount_fen: number }>("select kind, amount_fen from voucher_ledger where order_id = $1", [o.id]);
    expect(entries).toEqual([{ kind: "reserve", amount_fen: 720_000 }]);
    const detail = await t.deps.orders.myOrder(ents[1]!, o.id);
    expect(detail.ok && detail.value.moneyLines.map((l) => [l.kind, l.amountFen])).toEqual([["voucher_reserved", 720_000]]);
    expect(detail.ok && detail.value.events.map((e) => [e.action, e.toStatus, e.actorType, e.requestId])).toEqual([
      ["submit", "pending_acceptance", "enterprise", "req-test"],
    ]);
    expect(detail.ok && detail.value.actions).toEqual(["cancel"]);
  });

  it("without 使用补贴券 the order reserves nothing", async () => {
    const before = await voucherOf(ids[1]!);
    const o = must((await order(ids[1]!, testingProduct, { useVoucher: false })).res);
    expect(o).toMatchObject({ deductionFen: 0, selfPayFen: 800_000, voucherAccountId: null });
    expect((await voucherOf(ids[1]!)).availableFen).toBe(before.availableFen);
  });

  it("a replayed submission key gives the one order and one reservation, also when replays race", async () => {
    const before = await voucherOf(ids[1]!);
    const page = await t.deps.orders.orderPage(ids[1]!, testingProduct);
    if (!page.ok) throw new Error("page");
    const input = {
      productId: testingProduct,
      useVoucher: true,
      voucherAccountId: page.value.accounts[0]!.accountId,
      submissionKey: page.value.submissionKey,
    };
    const first = await t.deps.orders.submit(ids[1]!, input);
    expect(first.ok && first.value.replayed).toBe(false);
    const replays = await Promise.all(Array.from({ length: 5 }, () => t.deps.orders.submit(ids[1]!, input)));
    for (const r of replays) expect(r.ok && { id: r.value.order.id, replayed: r.value.replayed }).toEqual({ id: must(first).id, replayed: true });
    expect((await voucherOf(ids[1]!)).availableFen).toBe(before.availableFen - 240_000);
    // Two tabs opened before the first submission race with the same key: still one order.
    const page2 = await t.deps.orders.orderPage(ids[1]!, testingProduct);
    if (!page2.ok) throw new Error("page");
    expect(page2.value.submissionKey).not.toBe(page.value.submissionKey);
    const racing = await Promise.all(
      Array.from({ length: 4 }, () => t.deps.orders.submit(ids[1]!, { ...input, submissionKey: page2.value.submissionKey })),
    );
    expect(new Set(racing.map((r) => must(r).id)).size).toBe(1);
    expect(racing.filter((r) => r.ok && !r.value.replayed)).toHaveLength(1);
    const [n] = await t.deps.db.query<{ n: number }>("select count(*)::int as n from orders where submission_key = $1", [page2.value.submissionKey]);
    expect(n!.n).toBe(1);
    expect((await voucherOf(ids[1]!)).availableFen).toBe(before.availableFen - 480_000);
  });

  it("20 parallel submissions with different keys against a small balance never overspend", async () => {
    const v = await voucherOf(ids[2]!);
    // Leave ¥10,000 on the account: four full deductions of ¥2,400 and one partial fit.
    await t.deps.vouchers.reserve({
      accountId: v.accountId,
      enterpriseId: v.enterpriseId,
      orderId: crypto.randomUUID(),
      amountFen: v.availableFen - 1_000_000,
    });
    expect((await voucherOf(ids[2]!)).availableFen).toBe(1_000_000);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.deps.orders.submit(ids[2]!, {
          productId: testingProduct,
          useVoucher: true,
          voucherAccountId: v.accountId,
          submissionKey: submissionKey(testingProduct, 1000 + i),
        }),
      ),
    );
    const made = results.filter((r) => r.ok).map((r) => must(r));
    const refused = results.filter((r) => !r.ok);
    expect(made.map((o) => o.deductionFen).sort((a, b) => b - a)).toEqual([240_000, 240_000, 240_000, 240_000, 40_000]);
    expect(refused).toHaveLength(15);
    for (const r of refused) expect(!r.ok && r.errors).toEqual({ voucherAccountId: "服务券可用额度已用完" });
    const totals = (await t.deps.vouchers.accountTotals(v.accountId))!;
    expect(totals.grantedFen - totals.reservedFen - totals.consumedFen - totals.expiredFen).toBe(0);
    // Every reservation of these orders matches its order exactly; refused submissions left nothing.
    const reserves = await t.deps.db.query<{ order_id: string; amount_fen: number }>(
      "select l.order_id, l.amount_fen from voucher_ledger l join orders o on o.id = l.order_id where l.kind = 'reserve' and o.enterprise_id = $1",
      [v.enterpriseId],
    );
    expect(new Map(reserves.map((r) => [r.order_id, r.amount_fen]))).toEqual(new Map(made.map((o) => [o.id, o.deductionFen])));
    const [n] = await t.deps.db.query<{ n: number }>("select count(*)::int as n from orders where enterprise_id = $1", [v.enterpriseId]);
    expect(n!.n).toBe(5);
    // An exhausted account: a clear message, nothing written.
    const before = await counts();
    const again = await order(ids[2]!, testingProduct, { voucherAccountId: v.accountId });
    expect(again.res).toMatchObject({ ok: false, status: 422, errors: { voucherAccountId: "服务券可用额度已用完" } });
    expect(await counts()).toEqual(before);
  });

  it("a product taken off the shelf between the page and the submission is refused and nothing is written", async () => {
    const page = await t.deps.orders.orderPage(ids[1]!, delistProduct);
    if (!page.ok) throw new Error("page");
    const delisted = await t.deps.products.providerAction(ids[7]!, delistProduct, "delist");
    expect(delisted.ok).toBe(true);
    const before = await counts();
    const voucher = await voucherOf(ids[1]!);
    const res = await t.deps.orders.submit(ids[1]!, {
      productId: delistProduct,
      useVoucher: true,
      voucherAccountId: page.value.accounts[0]!.accountId,
      submissionKey: page.value.submissionKey,
    });
    expect(res).toEqual({ ok: false, status: 409, errors: { _form: "该服务产品已下架，不能下单" } });
    expect(await counts()).toEqual(before);
    expect((await voucherOf(ids[1]!)).availableFen).toBe(voucher.availableFen);
    expect(await t.deps.orders.orderPage(ids[1]!, delistProduct)).toMatchObject({ ok: false, status: 404 });
  });

  it("refuses an uncertified enterprise, forged ids, another enterprise's voucher and absurd quantities, writing nothing", async () => {
    const before = await counts();
    expect(await t.deps.orders.orderPage(ids[5]!, testingProduct)).toEqual({ ok: false, status: 403, errors: { _form: "请先完成企业信息认证" } });
    const key = submissionKey(testingProduct, 0);
    expect(await t.deps.orders.submit(ids[5]!, { productId: testingProduct, useVoucher: false, submissionKey: key })).toEqual({
      ok: false,
      status: 403,
      errors: { _form: "请先完成企业信息认证" },
    });
    const other = await voucherOf(ids[2]!);
    const fresh = submissionKey(testingProduct, 5000);
    expect(
      await t.deps.orders.submit(ids[1]!, { productId: testingProduct, useVoucher: true, voucherAccountId: other.accountId, submissionKey: fresh }),
    ).toEqual({ ok: false, status: 422, errors: { voucherAccountId: "服务券账户不存在" } });
    expect(
      await t.deps.orders.submit(ids[1]!, { productId: testingProduct, useVoucher: true, voucherAccountId: crypto.randomUUID(), submissionKey: fresh }),
    ).toMatchObject({ ok: false, status: 422, errors: { voucherAccountId: "服务券账户不存在" } });
    expect(await t.deps.orders.submit(ids[1]!, { productId: testingProduct, useVoucher: true, submissionKey: fresh })).toMatchObject({
      ok: false,
      errors: { voucherAccountId: "请选择要使用的服务券" },
    });
    const forged = crypto.randomUUID();
    expect(await t.deps.orders.submit(ids[1]!, { productId: forged, useVoucher: false, submissionKey: submissionKey(forged, 0) })).toMatchObject({
      ok: false,
      status: 409,
    });
    expect(await t.deps.orders.submit(ids[1]!, { productId: testingProduct, useVoucher: false, submissionKey: "x#1" })).toMatchObject({
      ok: false,
      status: 400,
    });
    expect(await t.deps.orders.submit(ids[1]!, { productId: delistProduct, useVoucher: false, submissionKey: fresh })).toMatchObject({
      ok: false,
      status: 400,
    });
    for (const quantity of [0, -1, 1000, "1.5", "abc"]) {
      const r = await t.deps.orders.submit(ids[1]!, { productId: testingProduct, quantity, useVoucher: false, submissionKey: fresh });
      expect(r).toMatchObject({ ok: false, status: 422, errors: { quantity: expect.any(String) } });
    }
    expect(await t.deps.orders.orderPage(ids[1]!, "not-a-uuid")).toMatchObject({ ok: false, status: 404 });
    expect(await counts()).toEqual(before);
  });
});

describe("取消订单 and 我购买的服务", () => {
  it("cancel while 待接单 -> 订单取消, the reservation released, the event written; a second cancel is 409", async () => {
    const { res } = await order(ids[1]!, testingProduct);
    const o = must(res);
    const before = await voucherOf(ids[1]!);
    const cancelled = await t.deps.orders.cancel(ids[1]!, o.id, "  计划有变  ", "req-cancel");
    expect(cancelled).toMatchObject({ ok: true, value: { status: "cancelled", version: 2 } });
    expect((await voucherOf(ids[1]!)).availableFen).toBe(before.availableFen + o.deductionFen);
    const detail = await t.deps.orders.myOrder(ents[1]!, o.id);
    if (!detail.ok) throw new Error("detail");
    expect(detail.value.events.map((e) => [e.action, e.fromStatus, e.toStatus, e.reason, e.requestId])).toEqual([
      ["submit", null, "pending_acceptance", null, "req-test"],
      ["cancel", "pending_acceptance", "cancelled", "计划有变", "req-cancel"],
    ]);
    expect(detail.value.moneyLines.map((l) => [l.kind, l.amountFen])).toEqual([
      ["voucher_reserved", o.deductionFen],
      ["voucher_released", o.deductionFen],
    ]);
    expect(detail.value.actions).toEqual([]);
    const snapshot = await counts();
    const twice = await t.deps.orders.cancel(ids[1]!, o.id);
    expect(twice).toMatchObject({ ok: false, status: 409, errors: { _form: expect.stringContaining("订单取消") } });
    expect(await counts()).toEqual(snapshot);
    expect((await voucherOf(ids[1]!)).availableFen).toBe(before.availableFen + o.deductionFen);
  });

  it("parallel cancels of one order: exactly one wins and the reservation is released once", async () => {
    const o = must((await order(ids[1]!, testingProduct)).res);
    const before = await voucherOf(ids[1]!);
    const results = await Promise.all(Array.from({ length: 4 }, () => t.deps.orders.cancel(ids[1]!, o.id)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    for (const r of results.filter((x) => !x.ok)) expect(r).toMatchObject({ status: 409 });
    expect((await voucherOf(ids[1]!)).availableFen).toBe(before.availableFen + o.deductionFen);
  });

  it("a stale page (old version) cannot cancel, a too long reason is refused; neither writes anything", async () => {
    const o = must((await order(ids[1]!, testingProduct)).res);
    const before = await counts();
    expect(await t.deps.orders.cancel(ids[1]!, o.id, "x".repeat(201))).toMatchObject({ ok: false, status: 422, errors: { reason: expect.any(String) } });
    expect(await t.deps.orders.cancel(ids[1]!, o.id, "", undefined, o.version + 1)).toMatchObject({ ok: false, status: 409 });
    expect(await counts()).toEqual(before);
    expect(await t.deps.orders.cancel(ids[1]!, o.id, "", undefined, o.version)).toMatchObject({ ok: true });
  });

  it("enterprise B can neither read nor cancel A's order (404), and a provider is not a party to cancel", async () => {
    const o = must((await order(ids[1]!, testingProduct)).res);
    const before = await counts();
    expect(await t.deps.orders.myOrder(ents[2]!, o.id)).toEqual({ ok: false, status: 404, errors: { _form: "订单不存在" } });
    expect(await t.deps.orders.cancel(ids[2]!, o.id)).toEqual({ ok: false, status: 404, errors: { _form: "订单不存在" } });
    expect(await t.deps.orders.cancel(ids[8]!, o.id)).toMatchObject({ ok: false, status: 404 });
    expect(await t.deps.orders.myOrder(ents[1]!, crypto.randomUUID())).toMatchObject({ ok: false, status: 404 });
    expect(await t.deps.orders.myOrder(ents[1]!, "1 or 1=1")).toMatchObject({ ok: false, status: 404 });
    expect(await counts()).toEqual(before);
    expect((await t.deps.orders.myOrder(ents[1]!, o.id)).ok).toBe(true);
  });

  it("lists my orders per tab with counts and paging; the provider sees its own orders", async () => {
    const mine = await t.deps.orders.mine(ents[1]!, "all", 1);
    if (!mine.ok) throw new Error("mine");
    const [c] = await t.deps.db.query<{ all: number; pending: number; cancelled: number }>(
      `select count(*)::int as all, count(*) filter (where status = 'pending_acceptance')::int as pending,
              count(*) filter (where status = 'cancelled')::int as cancelled
         from orders o join enterprises e on e.id = o.enterprise_id where e.account_id = $1`,
      [ids[1]],
    );
    expect(mine.value.counts).toMatchObject({ all: c!.all, pending: c!.pending, cancelled: c!.cancelled, contract: 0, payment: 0 });
    expect(mine.value.total).toBe(c!.all);
    expect(mine.value.rows.length).toBe(Math.min(c!.all, 20));
    const times = mine.value.rows.map((r) => new Date(r.createdAt).getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const pending = await t.deps.orders.mine(ents[1]!, "pending", 1);
    expect(pending.ok && pending.value.rows.every((r) => r.status === "pending_acceptance")).toBe(true);
    expect(pending.ok && pending.value.total).toBe(c!.pending);
    const cancelled = await t.deps.orders.mine(ents[1]!, "cancelled", "1");
    expect(cancelled.ok && cancelled.value.rows.every((r) => r.status === "cancelled")).toBe(true);
    // An unknown tab is 全部; an absurd page is clamped and empty.
    const odd = await t.deps.orders.mine(ents[1]!, "__proto__", 99999);
    expect(odd.ok && [odd.value.tab, odd.value.pageNo, odd.value.rows.length]).toEqual(["all", 1000, 0]);
    // Enterprise 5 has none; the provider of the testing product sees A's and B's orders, provider 7 none of them.
    const none = await t.deps.orders.mine(ents[5]!, "all", 1);
    expect(none.ok && none.value.total).toBe(0);
    const provider = await t.deps.orders.providerOrders(ents[8]!, "all", 1);
    expect(provider.ok && provider.value.total).toBeGreaterThanOrEqual(c!.all);
    const seven = await t.deps.orders.providerOrders(ents[7]!, "all", 1);
    expect(seven.ok && seven.value.rows.some((r) => r.productId === testingProduct)).toBe(false);
    expect(await t.deps.orders.providerOrders(ents[1]!, "all", 1)).toMatchObject({ ok: false, status: 403 });
  });
});
