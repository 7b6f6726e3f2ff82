import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/adapters/migrate.ts";
import { openPglite } from "../../src/adapters/pglite.ts";
import { openPostgres } from "../../src/adapters/postgres.ts";
import type { Db } from "../../src/ports/db.ts";
import { pgLedger, pgProgrammes, pgQuota } from "../../src/modules/vouchers/pg.ts";
import { LedgerError, voucherService } from "../../src/modules/vouchers/service.ts";
import { availableFen } from "../../src/modules/vouchers/domain.ts";
import { pgAudit as audit } from "../../src/modules/audit/pg.ts";
import { DATABASE_URL, freshPostgres } from "../support/db.ts";
import { testClock } from "../support/app.ts";

/**
 * The voucher ledger on both databases: idempotent order operations, exact totals, expiry,
 * and (on PostgreSQL) concurrent reservations from two connection pools, as two app instances.
 */
type Env = { db: Db; cleanup: () => Promise<void>; url?: string; schema?: string };
const envs: [string, () => Promise<Env>][] = [
  [
    "pglite",
    async () => {
      const db = await openPglite();
      return { db, cleanup: () => db.close() };
    },
  ],
];
if (DATABASE_URL) envs.push(["postgres", async () => freshPostgres()]);

const uuid = () => crypto.randomUUID();

async function seed(db: Db, grantFen: number, validTo = "2026-12-31") {
  const [acc] = await db.query<{ id: string }>("insert into accounts (phone) values ($1) returning id", [
    `139${Math.floor(Math.random() * 1e8)
      .toString()
      .padStart(8, "0")}`,
  ]);
  const [ent] = await db.query<{ id: string }>(
    "insert into enterprises (account_id, name, certification_status, size_class) values ($1, '账本测试', 'certified', 'small') returning id",
    [acc!.id],
  );
  const programme = await pgProgrammes(db).insert({
    year: 2026,
    kind: "general",
    name: `通用券${uuid().slice(0, 6)}`,
    description: "",
    subsidyRateBp: 3000,
    perOrderCapFen: 1_000_000,
    quotaBySize: { large: 1, medium: 1, small: 1, micro: 1 },
    specialMinFen: 0,
    specialMaxFen: 0,
    requiresDocuments: false,
    applyFrom: "2026-01-01",
    applyTo: "2026-12-31",
    validFrom: "2026-01-01",
    validTo,
    categories: ["digital"],
    status: "open",
    isExample: false,
  });
  const app = await pgQuota(db).insert({ programmeId: programme.id, enterpriseId: ent!.id, requestedFen: grantFen, documentFileIds: [] });
  const account = await pgLedger(db).openAccount({ programmeId: programme.id, enterpriseId: ent!.id, applicationId: app.id, grantFen });
  return { account, enterpriseId: ent!.id };
}

function service(db: Db, clock = testClock(new Date("2026-11-27T02:00:00Z"))) {
  return voucherService({
    db,
    clock,
    programmeRepo: pgProgrammes,
    quotaRepo: pgQuota,
    ledgerRepo: pgLedger,
    audit,
    enterprises: {} as never,
    files: {} as never,
  });
}

describe.each(envs)("voucher ledger: %s", (_name, open) => {
  let env: Env;
  beforeAll(async () => {
    env = await open();
    await migrate(env.db);
  });
  afterAll(async () => env?.cleanup());

  it("reserve, consume, refund and release keep exact totals that equal the ledger sums", async () => {
    const v = service(env.db);
    const { account, enterpriseId } = await seed(env.db, 100_000);
    const [o1, o2] = [uuid(), uuid()];
    await v.reserve({ accountId: account.id, enterpriseId, orderId: o1, amountFen: 30_000 });
    await v.reserve({ accountId: account.id, enterpriseId, orderId: o2, amountFen: 20_000 });
    await v.consume({ accountId: account.id, orderId: o1 });
    await v.release({ accountId: account.id, orderId: o2 });
    await v.refund({ accountId: account.id, orderId: o1 });
    const t = (await v.accountTotals(account.id))!;
    expect(t).toMatchObject({ grantedFen: 100_000, reservedFen: 0, consumedFen: 0, expiredFen: 0 });
    const s = await v.ledgerSums(account.id);
    expect(s).toEqual({ grant: 100_000, reserve: 50_000, release: 20_000, consume: 30_000, refund: 30_000, expire: 0, settle: 0, recall: 0 });
    expect(t.reservedFen).toBe(s.reserve - s.release - s.consume);
    expect(t.consumedFen).toBe(s.consume - s.refund);
  });

  it("a reservation made inside the caller's transaction commits and rolls back with it", async () => {
    const v = service(env.db);
    const { account, enterpriseId } = await seed(env.db, 100_000);
    const entries = async () =>
      (await env.db.query<{ n: number }>("select count(*)::int as n from voucher_ledger where account_id = $1", [account.id]))[0]!.n;
    const before = await entries();
    // The order fails after its reservation: both are gone.
    const failed = uuid();
    await expect(
      env.db.transaction(async (tx) => {
        const entry = await v.ledger.reserve(tx, { accountId: account.id, enterpriseId, orderId: failed, amountFen: 40_000 });
        expect(entry.amountFen).toBe(40_000);
        expect((await v.ledger.accountTotals(tx, account.id))!.reservedFen).toBe(40_000); // visible inside the transaction
        throw new Error("the order row could not be written");
      }),
    ).rejects.toThrow("the order row could not be written");
    expect(await v.accountTotals(account.id)).toMatchObject({ reservedFen: 0 });
    expect(await entries()).toBe(before);
    // The same order placed again reserves afresh; a later step in the same transaction commits with it.
    await env.db.transaction(async (tx) => {
      await v.ledger.reserve(tx, { accountId: account.id, enterpriseId, orderId: failed, amountFen: 40_000 });
      await v.ledger.consume(tx, { accountId: account.id, orderId: failed });
    });
    expect(await v.accountTotals(account.id)).toMatchObject({ reservedFen: 0, consumedFen: 40_000 });
    expect(await v.ledgerSums(account.id)).toMatchObject({ reserve: 40_000, consume: 40_000 });
    // A release and a refund rolled back with their caller leave the totals as they were.
    await expect(
      env.db.transaction(async (tx) => {
        await v.ledger.refund(tx, { accountId: account.id, orderId: failed });
        throw new Error("refund callback failed");
      }),
    ).rejects.toThrow("refund callback failed");
    expect(await v.accountTotals(account.id)).toMatchObject({ consumedFen: 40_000 });
    expect((await v.ledgerSums(account.id)).refund).toBe(0);
  });

  it("every operation is idempotent per order", async () => {
    const v = service(env.db);
    const { account, enterpriseId } = await seed(env.db, 100_000);
    const o = uuid();
    const a = await v.reserve({ accountId: account.id, enterpriseId, orderId: o, amountFen: 10_000 });
    const b = await v.reserve({ accountId: account.id, enterpriseId, orderId: o, amountFen: 10_000 });
    expect(b.id).toBe(a.id);
    await v.consume({ accountId: account.id, orderId: o });
    await v.consume({ accountId: account.id, orderId: o });
    await v.refund({ accountId: account.id, orderId: o });
    await v.refund({ accountId: account.id, orderId: o });
    expect(await v.ledgerSums(account.id)).toMatchObject({ reserve: 10_000, consume: 10_000, refund: 10_000 });
    await expect(v.reserve({ accountId: account.id, enterpriseId, orderId: o, amountFen: 9_000 })).rejects.toMatchObject({ code: "conflict" });
  });

  it("兑付结算 (settle) moves a consumed amount to settled once; never before consumption or after a refund; a settled order is not refunded", async () => {
    const v = service(env.db);
    const { account, enterpriseId } = await seed(env.db, 100_000);
    const [o, early, back] = [uuid(), uuid(), uuid()];
    const settle = (orderId: string) => env.db.transaction((tx) => v.ledger.settle(tx, { accountId: account.id, orderId }));
    for (const id of [o, early, back]) await v.reserve({ accountId: account.id, enterpriseId, orderId: id, amountFen: 10_000 });
    await expect(settle(early)).rejects.toMatchObject({ code: "conflict" });
    await v.consume({ accountId: account.id, orderId: o });
    await v.consume({ accountId: account.id, orderId: back });
    await v.refund({ accountId: account.id, orderId: back });
    await expect(settle(back)).rejects.toMatchObject({ code: "conflict" });
    const first = await settle(o);
    expect((await settle(o)).id).toBe(first.id);
    await expect(v.refund({ accountId: account.id, orderId: o })).rejects.toMatchObject({ code: "conflict" });
    const t = (await v.accountTotals(account.id))!;
    expect(t).toMatchObject({ consumedFen: 10_000, settledFen: 10_000, reservedFen: 10_000 });
    expect((await v.ledgerSums(account.id)).settle).toBe(10_000);
    // The database refuses settled above consumed.
    await expect(env.db.query("update voucher_accounts set settled_fen = consumed_fen + 1 where id = $1", [account.id])).rejects.toThrow();
  });

  it("额度收回 (recall) takes what is available on an unused account once, as its own entry; the totals equal the ledger sums", async () => {
    const clock = testClock(new Date("2026-11-27T02:00:00Z"));
    const v = service(env.db, clock);
    const approve = (accountId: string, at: string) =>
      env.db.query(
        "update quota_applications set status = 'approved', approved_fen = requested_fen, decided_at = $2 where id = (select application_id from voucher_accounts where id = $1)",
        [accountId, at],
      );
    const recall = (accountId: string, approvedBefore: Date) => env.db.transaction((tx) => v.ledger.recall(tx, { accountId, approvedBefore }));
    const cutoff = new Date("2026-11-01T00:00:00Z");
    const unused = await seed(env.db, 100_000);
    await approve(unused.account.id, "2026-10-01T00:00:00Z");
    // An order that came and went leaves the account unused; one holding a reservation keeps it.
    const gone = uuid();
    await v.reserve({ accountId: unused.account.id, enterpriseId: unused.enterpriseId, orderId: gone, amountFen: 10_000 });
    expect(await recall(unused.account.id, cutoff)).toBeNull();
    await v.release({ accountId: unused.account.id, orderId: gone });
    // Approved too recently: nothing.
    expect(await recall(unused.account.id, new Date("2026-10-01T00:00:00Z"))).toBeNull();
    const done = await recall(unused.account.id, cutoff);
    expect(done!.entry).toMatchObject({ kind: "recall", amountFen: 100_000, orderId: null });
    expect(await recall(unused.account.id, cutoff)).toBeNull();
    const t = (await v.accountTotals(unused.account.id))!;
    expect(t).toMatchObject({ grantedFen: 100_000, reservedFen: 0, consumedFen: 0, expiredFen: 0, recalledFen: 100_000 });
    expect(availableFen(t)).toBe(0);
    const s = await v.ledgerSums(unused.account.id);
    expect(s).toEqual({ grant: 100_000, reserve: 10_000, release: 10_000, consume: 0, refund: 0, expire: 0, settle: 0, recall: 100_000 });
    expect(t.recalledFen).toBe(s.recall);
    expect(t.grantedFen - t.reservedFen - t.consumedFen - t.expiredFen - t.recalledFen).toBe(
      s.grant - (s.reserve - s.release - s.consume) - (s.consume - s.refund) - s.expire - s.recall,
    );
    // Nothing can be reserved afterwards; the database refuses a recall beyond what is left, and a second recall entry.
    await expect(v.reserve({ accountId: unused.account.id, enterpriseId: unused.enterpriseId, orderId: uuid(), amountFen: 1 })).rejects.toMatchObject({
      code: "insufficient",
    });
    await expect(env.db.query("update voucher_accounts set recalled_fen = recalled_fen + 1 where id = $1", [unused.account.id])).rejects.toThrow();
    await expect(
      env.db.query("insert into voucher_ledger (account_id, kind, amount_fen) values ($1, 'recall', 1)", [unused.account.id]),
    ).rejects.toMatchObject({ constraint: "voucher_ledger_recall_key" });
    // A used account (something consumed) keeps its quota; so does one whose validity ended (it expires instead).
    const used = await seed(env.db, 50_000);
    await approve(used.account.id, "2026-10-01T00:00:00Z");
    const o = uuid();
    await v.reserve({ accountId: used.account.id, enterpriseId: used.enterpriseId, orderId: o, amountFen: 5_000 });
    await v.consume({ accountId: used.account.id, orderId: o });
    expect(await recall(used.account.id, cutoff)).toBeNull();
    const ended = await seed(env.db, 50_000, "2026-11-01");
    await approve(ended.account.id, "2026-10-01T00:00:00Z");
    expect(await recall(ended.account.id, cutoff)).toBeNull();
    expect(await v.accountTotals(ended.account.id)).toMatchObject({ expiredFen: 50_000, recalledFen: 0 });
    // The candidates' query names the unused account only before its recall.
    const fresh = await seed(env.db, 20_000);
    await approve(fresh.account.id, "2026-10-02T00:00:00Z");
    const candidates = await v.ledger.recallCandidates(env.db, cutoff, null, 1000);
    expect(candidates).toContain(fresh.account.id);
    expect(candidates).not.toContain(unused.account.id);
    expect(candidates).not.toContain(used.account.id);
    expect(candidates).not.toContain(ended.account.id);
  });

  it("illegal sequences are refused and change nothing", async () => {
    const v = service(env.db);
    const { account, enterpriseId } = await seed(env.db, 100_000);
    const o = uuid();
    await expect(v.consume({ accountId: account.id, orderId: o })).rejects.toBeInstanceOf(LedgerError);
    await v.reserve({ accountId: account.id, enterpriseId, orderId: o, amountFen: 5_000 });
    await v.release({ accountId: account.id, orderId: o });
    await expect(v.consume({ accountId: account.id, orderId: o })).rejects.toMatchObject({ code: "conflict" });
    await expect(v.refund({ accountId: account.id, orderId: o })).rejects.toMatchObject({ code: "conflict" });
    await expect(v.reserve({ accountId: account.id, enterpriseId: uuid(), orderId: uuid(), amountFen: 1 })).rejects.toMatchObject({ code: "not_found" });
    await expect(v.reserve({ accountId: account.id, enterpriseId, orderId: uuid(), amountFen: 0 })).rejects.toMatchObject({ code: "invalid" });
    expect(await v.accountTotals(account.id)).toMatchObject({ reservedFen: 0, consumedFen: 0 });
  });

  it("never reserves more than is available", async () => {
    const v = service(env.db);
    const { account, enterpriseId } = await seed(env.db, 10_000);
    await v.reserve({ accountId: account.id, enterpriseId, orderId: uuid(), amountFen: 9_999 });
    await expect(v.reserve({ accountId: account.id, enterpriseId, orderId: uuid(), amountFen: 2 })).rejects.toMatchObject({ code: "insufficient" });
    await v.reserve({ accountId: account.id, enterpriseId, orderId: uuid(), amountFen: 1 });
    expect(await v.accountTotals(account.id)).toMatchObject({ reservedFen: 10_000 });
  });

  it("moves an order's reservation by ref: a further reserve and a partial release, each once, never above what the order holds", async () => {
    const v = service(env.db);
    const { account, enterpriseId } = await seed(env.db, 100_000);
    const order = uuid();
    const tx = <T>(fn: (tx: Db) => Promise<T>) => env.db.transaction(fn);
    await tx((t) => v.ledger.reserve(t, { accountId: account.id, enterpriseId, orderId: order, amountFen: 30_000 }));
    // A higher contract amount reserves the difference under its ref; repeating it changes nothing.
    const up = await tx((t) => v.ledger.reserve(t, { accountId: account.id, enterpriseId, orderId: order, amountFen: 10_000, ref: "contract:v2" }));
    expect(up).toMatchObject({ kind: "reserve", amountFen: 10_000, ref: "contract:v2" });
    expect(await tx((t) => v.ledger.reserve(t, { accountId: account.id, enterpriseId, orderId: order, amountFen: 10_000, ref: "contract:v2" }))).toEqual(
      up,
    );
    await expect(
      tx((t) => v.ledger.reserve(t, { accountId: account.id, enterpriseId, orderId: order, amountFen: 9_000, ref: "contract:v2" })),
    ).rejects.toMatchObject({ code: "conflict" });
    expect(await v.accountTotals(account.id)).toMatchObject({ reservedFen: 40_000 });
    expect(await tx((t) => v.ledger.heldFor(t, { accountId: account.id, orderId: order }))).toBe(40_000);
    // A lower one releases part; never more than the order holds; repeating it changes nothing.
    const down = await tx((t) => v.ledger.releasePart(t, { accountId: account.id, orderId: order, amountFen: 15_000, ref: "contract:v3" }));
    expect(await tx((t) => v.ledger.releasePart(t, { accountId: account.id, orderId: order, amountFen: 15_000, ref: "contract:v3" }))).toEqual(down);
    await expect(
      tx((t) => v.ledger.releasePart(t, { accountId: account.id, orderId: order, amountFen: 25_001, ref: "contract:v4" })),
    ).rejects.toMatchObject({ code: "invalid" });
    await expect(tx((t) => v.ledger.releasePart(t, { accountId: account.id, orderId: order, amountFen: 1, ref: "bad ref!" }))).rejects.toMatchObject({
      code: "invalid",
    });
    expect(await v.accountTotals(account.id)).toMatchObject({ reservedFen: 25_000 });
    // Consuming takes what the order holds now; after that the reservation cannot move.
    expect(await v.consume({ accountId: account.id, orderId: order })).toMatchObject({ amountFen: 25_000, ref: "" });
    await expect(
      tx((t) => v.ledger.reserve(t, { accountId: account.id, enterpriseId, orderId: order, amountFen: 1_000, ref: "contract:v5" })),
    ).rejects.toMatchObject({ code: "conflict" });
    const t = (await v.accountTotals(account.id))!;
    const s = await v.ledgerSums(account.id);
    expect(t).toMatchObject({ reservedFen: 0, consumedFen: 25_000 });
    expect(t.reservedFen).toBe(s.reserve - s.release - s.consume);
  });

  it("the final release gives back what the order holds after its movements, once", async () => {
    const v = service(env.db);
    const { account, enterpriseId } = await seed(env.db, 100_000);
    const order = uuid();
    await v.reserve({ accountId: account.id, enterpriseId, orderId: order, amountFen: 20_000 });
    await env.db.transaction((t) => v.ledger.reserve(t, { accountId: account.id, enterpriseId, orderId: order, amountFen: 5_000, ref: "contract:v2" }));
    await env.db.transaction((t) => v.ledger.releasePart(t, { accountId: account.id, orderId: order, amountFen: 8_000, ref: "contract:v3" }));
    const released = await v.release({ accountId: account.id, orderId: order });
    expect(released).toMatchObject({ amountFen: 17_000, ref: "" });
    expect(await v.release({ accountId: account.id, orderId: order })).toEqual(released);
    await expect(
      env.db.transaction((t) => v.ledger.releasePart(t, { accountId: account.id, orderId: order, amountFen: 1, ref: "contract:v4" })),
    ).rejects.toMatchObject({ code: "conflict" });
    expect(await v.accountTotals(account.id)).toMatchObject({ reservedFen: 0 });
    // The database itself refuses a second entry of one (account, kind, order, ref).
    await expect(
      env.db.query("insert into voucher_ledger (account_id, kind, amount_fen, order_id, ref) values ($1, 'reserve', 1, $2, 'contract:v2')", [
        account.id,
        order,
      ]),
    ).rejects.toMatchObject({ constraint: "voucher_ledger_order_key" });
  });

  it("the database itself refuses a negative balance", async () => {
    const { account } = await seed(env.db, 100);
    await expect(env.db.query("update voucher_accounts set reserved_fen = 101 where id = $1", [account.id])).rejects.toThrow();
    await expect(env.db.query("update voucher_ledger set amount_fen = 1 where account_id = $1", [account.id])).rejects.toThrow(/append-only/);
  });

  it("reads for a page in one statement each: the latest entries of several accounts, programmes by id, an account's programme for its own enterprise only", async () => {
    const v = service(env.db);
    const a = await seed(env.db, 100_000);
    const b = await seed(env.db, 70_000);
    for (let i = 0; i < 4; i++) await v.reserve({ accountId: a.account.id, enterpriseId: a.enterpriseId, orderId: uuid(), amountFen: 1_000 + i });
    const ledger = pgLedger(env.db);
    const latest = await ledger.latestEntries([a.account.id, b.account.id, uuid(), "not-an-id"], 3);
    // Newest first within an account, at most `limit`, as `entries` reads one account; an unknown account has none.
    expect(latest.get(a.account.id)).toEqual(await ledger.entries(a.account.id, 3));
    expect(latest.get(a.account.id)!.map((e) => e.amountFen)).toEqual([1_003, 1_002, 1_001]);
    expect(latest.get(b.account.id)).toEqual(await ledger.entries(b.account.id, 3));
    expect(latest.get(b.account.id)!.map((e) => e.kind)).toEqual(["grant"]);
    expect([...latest.values()].filter((x) => x.length === 0)).toHaveLength(2);
    expect(await ledger.latestEntries([], 3)).toEqual(new Map());

    const programmes = pgProgrammes(env.db);
    const found = await programmes.byIds([a.account.programmeId, b.account.programmeId, uuid(), "x"]);
    expect(found.map((p) => p.id).sort()).toEqual([a.account.programmeId, b.account.programmeId].sort());
    expect(found.find((p) => p.id === a.account.programmeId)).toEqual(await programmes.byId(a.account.programmeId));
    expect(await programmes.byIds([])).toEqual([]);

    expect(await programmes.ofAccount(a.account.id, a.enterpriseId)).toEqual(await programmes.byId(a.account.programmeId));
    expect(await programmes.ofAccount(a.account.id, b.enterpriseId)).toBeUndefined();
    expect(await programmes.ofAccount(uuid(), a.enterpriseId)).toBeUndefined();
    expect(await programmes.ofAccount("1 or 1=1", a.enterpriseId)).toBeUndefined();
  });

  it("我的服务券 writes nothing while vouchers are valid, and expires what is left once when viewed after validity", async () => {
    const clock = testClock(new Date("2026-11-27T02:00:00Z"));
    const { account, enterpriseId } = await seed(env.db, 40_000, "2026-12-31");
    const v = voucherService({
      db: env.db,
      clock,
      programmeRepo: pgProgrammes,
      quotaRepo: pgQuota,
      ledgerRepo: pgLedger,
      audit,
      enterprises: {} as never,
      files: {} as never,
    });
    const entries = async () =>
      (await env.db.query<{ n: number }>("select count(*)::int as n from voucher_ledger where account_id = $1", [account.id]))[0]!.n;
    const before = await entries();
    let [mine] = await v.myVouchers(enterpriseId);
    expect(mine!.expired).toBe(false);
    expect(mine!.account.expiredFen).toBe(0);
    expect(await entries()).toBe(before);

    clock.set(new Date("2027-01-01T00:00:00+08:00"));
    [mine] = await v.myVouchers(enterpriseId);
    expect(mine!.expired).toBe(true);
    expect(mine!.account.expiredFen).toBe(40_000);
    expect(await entries()).toBe(before + 1);
    [mine] = await v.myVouchers(enterpriseId);
    expect(mine!.account.expiredFen).toBe(40_000);
    expect(await entries()).toBe(before + 1);
    expect((await v.ledgerSums(account.id)).expire).toBe(40_000);
  });

  it("after the validity ends, what is left expires (recorded) and can no longer be reserved", async () => {
    const clock = testClock(new Date("2026-11-27T02:00:00Z"));
    const v = service(env.db, clock);
    const { account, enterpriseId } = await seed(env.db, 50_000, "2026-12-31");
    const o = uuid();
    await v.reserve({ accountId: account.id, enterpriseId, orderId: o, amountFen: 20_000 });
    await v.consume({ accountId: account.id, orderId: o });
    clock.set(new Date("2027-01-01T00:00:00+08:00"));
    await expect(v.reserve({ accountId: account.id, enterpriseId, orderId: uuid(), amountFen: 1 })).rejects.toMatchObject({ code: "expired" });
    expect(await v.accountTotals(account.id)).toMatchObject({ expiredFen: 30_000, consumedFen: 20_000 });
    // A refund after expiry comes back and expires at once.
    await v.refund({ accountId: account.id, orderId: o });
    expect(await v.accountTotals(account.id)).toMatchObject({ expiredFen: 50_000, consumedFen: 0 });
    expect((await v.ledgerSums(account.id)).expire).toBe(50_000);
    // The scheduled sweep expires the other accounts of this database that are due, once.
    expect(await v.expireDue()).toBeGreaterThan(0);
    expect(await v.expireDue()).toBe(0);
  });
});

// Two app instances = two connection pools on one PostgreSQL. Defined only where a server is configured (CI).
if (DATABASE_URL)
  describe("voucher ledger under concurrency (PostgreSQL, two pools)", () => {
    let env: Awaited<ReturnType<typeof freshPostgres>>;
    let second: Db;
    beforeAll(async () => {
      env = await freshPostgres();
      await migrate(env.db);
      const schema = (await env.db.query<{ s: string }>("select current_schema() as s"))[0]!.s;
      second = await openPostgres(DATABASE_URL!, { searchPath: schema, max: 10 });
    });
    afterAll(async () => {
      await second?.close();
      await env?.cleanup();
    });

    it("200 concurrent reservations never overspend and leave exact totals", async () => {
      const { account, enterpriseId } = await seed(env.db, 1_000_000); // ¥10,000.00
      const a = service(env.db);
      const b = service(second);
      const amounts = Array.from({ length: 200 }, (_, i) => 5_000 + (i % 7) * 1_000); // 5,000 .. 11,000 fen; total far above the grant
      const results = await Promise.allSettled(
        amounts.map((amountFen, i) => (i % 2 ? a : b).reserve({ accountId: account.id, enterpriseId, orderId: uuid(), amountFen })),
      );
      const ok = results.flatMap((r, i) => (r.status === "fulfilled" ? [amounts[i]!] : []));
      const failed = results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason);
      expect(failed.every((e) => e instanceof LedgerError && e.code === "insufficient")).toBe(true);
      const reservedSum = ok.reduce((x, y) => x + y, 0);
      expect(reservedSum).toBeLessThanOrEqual(1_000_000);
      expect(reservedSum).toBeGreaterThan(1_000_000 - 11_000); // it filled up, no amount fits any more
      const totals = (await a.accountTotals(account.id))!;
      expect(totals.reservedFen).toBe(reservedSum);
      expect((await a.ledgerSums(account.id)).reserve).toBe(reservedSum);
    });

    it("concurrent repeats of one order's operations write each entry once", async () => {
      const { account, enterpriseId } = await seed(env.db, 100_000);
      const a = service(env.db);
      const b = service(second);
      const o = uuid();
      await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).reserve({ accountId: account.id, enterpriseId, orderId: o, amountFen: 7_000 })),
      );
      await Promise.allSettled(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).consume({ accountId: account.id, orderId: o })));
      expect(await a.ledgerSums(account.id)).toMatchObject({ reserve: 7_000, consume: 7_000 });
      expect(await a.accountTotals(account.id)).toMatchObject({ reservedFen: 0, consumedFen: 7_000 });
    });
  });
