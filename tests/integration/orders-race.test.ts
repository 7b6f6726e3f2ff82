import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { submissionKey } from "../../src/modules/orders/domain.ts";
import type { Order } from "../../src/modules/orders/ports.ts";
import { checkOrdersAgainstLedger } from "../../scripts/lib/order-ledger-checks.ts";
import { type TestApp, makeTestApp } from "../support/app.ts";
import type { Browser } from "../support/client.ts";
import { secondInstance } from "../support/instances.ts";
import { signIn } from "../support/flows.ts";

/**
 * Races on orders between two app instances on one database, on the demo data (enterprises 1 and 2
 * hold an approved 通用券; provider 8 sells 金属材料力学性能检测, ¥8,000, 30 % = ¥2,400 a deduction).
 * With DATABASE_URL (CI) the instances have a connection pool each on one PostgreSQL schema, as two
 * servers would; on the embedded default both share PGlite's one connection (interleaved, not
 * parallel), like the rest of the suite. After every race the SQL checks of
 * scripts/lib/order-ledger-checks.ts (the ones `npm run bench:orders` runs) must all hold.
 */
let a: TestApp;
let b: TestApp & { pooled: boolean };
let product: string;
const DEDUCTION = 240_000;

const accountOf = async (phone: string) => (await a.deps.db.query<{ id: string }>("select id from accounts where phone = $1", [phone]))[0]!.id;
async function voucherOf(accountId: string) {
  const enterprise = (await a.deps.enterprises.ofAccount(accountId))!;
  const [v] = await a.deps.vouchers.payableAccounts(enterprise.id, "testing");
  return { enterpriseId: enterprise.id, accountId: v!.account.id, availableFen: v!.availableFen };
}
async function expectLedgerConsistent() {
  for (const c of await checkOrdersAgainstLedger(a.deps.db)) expect(c.failures, c.name).toEqual([]);
}
const must = (r: { ok: true; value: { order: Order } } | { ok: false; errors: unknown }) => {
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value.order;
};

beforeAll(async () => {
  a = await makeTestApp({ demo: true });
  b = await secondInstance(a);
  product = (await a.deps.db.query<{ product_id: string }>("select product_id from product_listings where title = '金属材料力学性能检测'"))[0]!.product_id;
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe(`orders raced from two app instances (${process.env.DATABASE_URL ? "PostgreSQL, two pools" : "PGlite, one shared connection"})`, () => {
  it("parallel 提交订单 against one voucher account, split over both instances, never overspend: reservations = deductions", async () => {
    expect(b.pooled).toBe(a.deps.db.kind === "postgres");
    const account = await accountOf("13800000002");
    const v = await voucherOf(account);
    const full = Math.floor(v.availableFen / DEDUCTION);
    const rest = v.availableFen % DEDUCTION;
    const fits = full + (rest > 0 ? 1 : 0);
    const n = fits + 20; // 20 more than the balance covers
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        (i % 2 ? a : b).deps.orders.submit(account, {
          productId: product,
          useVoucher: true,
          voucherAccountId: v.accountId,
          submissionKey: submissionKey(product, 100 + i),
        }),
      ),
    );
    const made = results.filter((r) => r.ok).map(must);
    const refused = results.filter((r) => !r.ok);
    expect(made).toHaveLength(fits);
    expect(new Set(made.map((o) => o.id)).size).toBe(fits);
    expect(made.every((o) => o.voucherAccountId === v.accountId && o.status === "pending_acceptance")).toBe(true);
    // Each got what was left under the account's lock: full deductions, then the remainder once.
    const deductions = made.map((o) => o.deductionFen).sort((x, y) => y - x);
    expect(deductions).toEqual([...Array(full).fill(DEDUCTION), ...(rest > 0 ? [rest] : [])]);
    expect(refused).toHaveLength(20);
    for (const r of refused) expect(r).toEqual({ ok: false, status: 422, errors: { voucherAccountId: "服务券可用额度已用完" } });

    const sum = made.reduce((s, o) => s + o.deductionFen, 0);
    expect(sum).toBe(v.availableFen);
    const totals = (await a.deps.vouchers.accountTotals(v.accountId))!;
    expect(totals.reservedFen + totals.consumedFen + totals.expiredFen).toBeLessThanOrEqual(totals.grantedFen);
    expect(totals.grantedFen - totals.reservedFen - totals.consumedFen - totals.expiredFen).toBe(0);
    // Seen from the other instance's pool: the same committed totals and one reservation per order.
    expect((await b.deps.vouchers.ledgerSums(v.accountId)).reserve).toBe(sum);
    const reserves = await b.deps.db.query<{ order_id: string; amount_fen: number }>(
      "select order_id, amount_fen from voucher_ledger where account_id = $1 and kind = 'reserve'",
      [v.accountId],
    );
    expect(reserves).toHaveLength(fits);
    expect(new Map(reserves.map((r) => [r.order_id, r.amount_fen]))).toEqual(new Map(made.map((o) => [o.id, o.deductionFen])));
    // The refused submissions wrote nothing: the enterprise has exactly the orders made.
    const [c] = await a.deps.db.query<{ n: number }>("select count(*)::int as n from orders where enterprise_id = $1", [v.enterpriseId]);
    expect(c!.n).toBe(fits);
    await expectLedgerConsistent();
  });

  it("取消订单 racing 接单 on the same order across both instances: one wins, the other is a 409, the reservation released once or kept", async () => {
    const ent = await accountOf("13800000001");
    const v = await voucherOf(ent);
    // Each party signed in on both instances (each instance has its own sessions).
    const sessions = async (phone: string) => {
      const out: { browser: Browser; csrf: string }[] = [];
      for (const t of [a, b]) {
        const browser = await signIn(t, phone);
        await browser.get("/me/orders");
        out.push({ browser, csrf: browser.csrf() });
      }
      return out;
    };
    const [entA, entB] = await sessions("13800000001");
    const [proA, proB] = await sessions("13800000008");
    const outcomes = { cancel: 0, accept: 0 };
    const ROUNDS = 8;
    for (let round = 0; round < ROUNDS; round++) {
      const page = await a.deps.orders.orderPage(ent, product);
      if (!page.ok) throw new Error(JSON.stringify(page.errors));
      const order = must(
        await a.deps.orders.submit(ent, { productId: product, useVoucher: true, voucherAccountId: v.accountId, submissionKey: page.value.submissionKey }),
      );
      expect(order.deductionFen).toBe(DEDUCTION);
      const version = String(order.version);
      // The enterprise on one instance, the provider on the other; swapped every round.
      const [e, p] = round % 2 ? [entA!, proB!] : [entB!, proA!];
      const [cancel, accept] = await Promise.all([
        e.browser.post(`/me/orders/${order.id}/cancel`, { reason: "", version }, { csrf: e.csrf }),
        p.browser.post(`/provider/orders/${order.id}/accept`, { version }, { csrf: p.csrf }),
      ]);
      expect([cancel.status, accept.status].sort()).toEqual([303, 409]);
      const winner = cancel.status === 303 ? "cancel" : "accept";
      outcomes[winner]++;
      const loserHtml = await (winner === "cancel" ? accept : cancel).text();
      // The loser read the row after the winner committed (it waited on the row lock): the table's refusal.
      expect(loserHtml).toContain(winner === "cancel" ? "订单当前状态为“订单取消”，不能接单" : "订单当前状态为“待制定合同”，不能取消订单");

      const [row] = await a.deps.db.query<{ status: string; version: number }>("select status, version from orders where id = $1", [order.id]);
      expect(row).toEqual({ status: winner === "cancel" ? "cancelled" : "contract_drafting", version: 2 });
      const events = await b.deps.db.query<{ action: string; from_status: string | null; to_status: string }>(
        "select action, from_status, to_status from order_events where order_id = $1 order by id",
        [order.id],
      );
      expect(events).toEqual([
        { action: "submit", from_status: null, to_status: "pending_acceptance" },
        winner === "cancel"
          ? { action: "cancel", from_status: "pending_acceptance", to_status: "cancelled" }
          : { action: "accept", from_status: "pending_acceptance", to_status: "contract_drafting" },
      ]);
      const entries = await a.deps.db.query<{ kind: string; amount_fen: number }>(
        "select kind, amount_fen from voucher_ledger where order_id = $1 order by id",
        [order.id],
      );
      const lines = await a.deps.db.query<{ kind: string; amount_fen: number }>(
        "select kind, amount_fen from order_money_lines where order_id = $1 order by id",
        [order.id],
      );
      if (winner === "cancel") {
        expect(entries).toEqual([
          { kind: "reserve", amount_fen: DEDUCTION },
          { kind: "release", amount_fen: DEDUCTION },
        ]);
        expect(lines).toEqual([
          { kind: "voucher_reserved", amount_fen: DEDUCTION },
          { kind: "voucher_released", amount_fen: DEDUCTION },
        ]);
      } else {
        expect(entries).toEqual([{ kind: "reserve", amount_fen: DEDUCTION }]);
        expect(lines).toEqual([{ kind: "voucher_reserved", amount_fen: DEDUCTION }]);
      }
    }
    expect(outcomes.cancel + outcomes.accept).toBe(ROUNDS);
    // The account holds exactly the accepted orders' deductions.
    expect((await voucherOf(ent)).availableFen).toBe(v.availableFen - outcomes.accept * DEDUCTION);
    await expectLedgerConsistent();
  });

  it("a double click of 提交订单 (one submission key twice at once, one per instance) when the voucher has room for one order answers that order twice, never 额度已用完", async () => {
    const account = await accountOf("13800000002");
    for (let round = 0; round < 4; round++) {
      // Free exactly one deduction: cancel one of the orders the first race made.
      const [held] = await a.deps.db.query<{ id: string }>(
        `select o.id from orders o join enterprises e on e.id = o.enterprise_id
          where e.account_id = $1 and o.status = 'pending_acceptance' and o.deduction_fen = $2 order by o.id limit 1`,
        [account, DEDUCTION],
      );
      expect((await a.deps.orders.cancel(account, held!.id, "重新下单")).ok).toBe(true);
      const v = await voucherOf(account);
      expect(v.availableFen).toBe(DEDUCTION);
      const input = { productId: product, useVoucher: true, voucherAccountId: v.accountId, submissionKey: submissionKey(product, 500 + round) };
      const results = await Promise.all([a.deps.orders.submit(account, input), b.deps.orders.submit(account, input)]);
      expect(results.map((r) => r.ok)).toEqual([true, true]);
      const [x, y] = results.map((r) => (r.ok ? r.value : undefined));
      expect(x!.order.id).toBe(y!.order.id);
      expect([x!.replayed, y!.replayed].sort()).toEqual([false, true]);
      expect(x!.order.deductionFen).toBe(DEDUCTION);
      expect((await voucherOf(account)).availableFen).toBe(0);
    }
    await expectLedgerConsistent();
  });

  it("the consistency checks catch a reservation without its order and an order whose deduction the ledger does not hold", async () => {
    const ent = await accountOf("13800000001");
    const v = await voucherOf(ent);
    const page = await a.deps.orders.orderPage(ent, product);
    if (!page.ok) throw new Error(JSON.stringify(page.errors));
    const order = must(
      await a.deps.orders.submit(ent, { productId: product, useVoucher: true, voucherAccountId: v.accountId, submissionKey: page.value.submissionKey }),
    );
    const broken = await a.deps.db
      .transaction(async (tx) => {
        // A stray reservation (no such order) with its running total, and an order claiming more than it holds.
        await tx.query("insert into voucher_ledger (account_id, kind, amount_fen, order_id) values ($1, 'reserve', 100, $2)", [
          v.accountId,
          crypto.randomUUID(),
        ]);
        await tx.query("update voucher_accounts set reserved_fen = reserved_fen + 100 where id = $1", [v.accountId]);
        await tx.query("update orders set deduction_fen = deduction_fen + 1, self_pay_fen = self_pay_fen - 1 where id = $1", [order.id]);
        const failed = (await checkOrdersAgainstLedger(tx)).filter((c) => c.failures.length).map((c) => c.name);
        throw Object.assign(new Error("roll back"), { failed });
      })
      .catch((err: { failed?: string[] }) => err.failed);
    expect(broken).toEqual([
      "every order entry of the ledger belongs to exactly one order, on that order's voucher account",
      "every reservation held is held by one live order, for exactly its deduction",
      "every live order with a deduction has exactly one reservation (held or consumed) of that amount",
    ]);
    await expectLedgerConsistent();
  });
});
