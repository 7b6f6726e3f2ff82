import type { Clock } from "../../ports/clock.ts";
import type { Db } from "../../ports/db.ts";
import { type LedgerKind, type Programme, availableFen, hasExpired, shanghaiDate } from "./domain.ts";
import type { LedgerEntry, LedgerRepositoryFactory, ProgrammeRepositoryFactory, VoucherAccount } from "./ports.ts";

/**
 * The voucher ledger: the operations an order performs on a voucher account (服务券账户).
 *
 * Every operation takes the caller's transaction (`tx`), so an order row and its ledger entry
 * commit or roll back together. Each one locks the account row (`select ... for update`) before
 * it reads the totals, so concurrent operations on one account, from any number of app instances,
 * run one after the other; each is idempotent per order (repeating it returns the first entry).
 *
 * A refused operation throws a LedgerError before it writes anything of its own; an expiry that
 * fell due is written first (it belongs to the account, not to the order) and commits with
 * whatever the caller commits.
 */
export type LedgerDeps = {
  clock: Clock;
  programmeRepo: ProgrammeRepositoryFactory;
  ledgerRepo: LedgerRepositoryFactory;
};

export class LedgerError extends Error {
  constructor(
    readonly code: "not_found" | "expired" | "insufficient" | "conflict" | "invalid",
    message: string,
  ) {
    super(message);
  }
}

/**
 * `ref` names one movement of an order's reservation after the first (e.g. `contract:v2` when a
 * contract amount raises the deduction); omitted, it is the submission's reservation. Each
 * (order, ref) happens once.
 */
export type ReserveInput = { accountId: string; enterpriseId: string; orderId: string; amountFen: number; ref?: string };
export type OrderInput = { accountId: string; orderId: string };
/** A partial release of an order's reservation (a contract amount lowered the deduction), named by its ref. */
export type PartialReleaseInput = OrderInput & { ref: string; amountFen: number };

const REF = /^[a-z0-9:_-]{1,64}$/;

const left = availableFen;

export function ledgerService(deps: LedgerDeps) {
  const now = () => deps.clock.now();

  /** Expires what is left once the programme's validity has ended (under the account lock). */
  async function expireIfDue(tx: Db, account: VoucherAccount, programme: Programme): Promise<VoucherAccount> {
    const rest = left(account);
    if (!hasExpired(programme, now()) || rest <= 0) return account;
    await deps.ledgerRepo(tx).append(account.id, "expire", rest, null);
    return { ...account, expiredFen: account.expiredFen + rest };
  }

  /** Locks the account in the caller's transaction and brings a due expiry up to date. */
  async function locked(tx: Db, accountId: string): Promise<{ account: VoucherAccount; programme: Programme }> {
    const account = await deps.ledgerRepo(tx).account(accountId, true);
    if (!account) throw new LedgerError("not_found", "服务券账户不存在");
    const programme = (await deps.programmeRepo(tx).byId(account.programmeId))!;
    return { account: await expireIfDue(tx, account, programme), programme };
  }

  /** The first reserve entry of an order on an account (the submission's), which release/consume act on. */
  async function reserved(tx: Db, accountId: string, orderId: string): Promise<LedgerEntry> {
    const r = await deps.ledgerRepo(tx).entry(accountId, "reserve", orderId);
    if (!r) throw new LedgerError("not_found", "该订单没有占用服务券额度");
    return r;
  }

  /** What an order holds on an account now: every reserve less every release (over all refs). */
  async function held(tx: Db, accountId: string, orderId: string): Promise<number> {
    const s = await deps.ledgerRepo(tx).orderSums(accountId, orderId);
    return s.reserve - s.release;
  }

  /** Refuses a movement of a reservation that has ended (finally released or consumed). */
  async function stillOpen(tx: Db, accountId: string, orderId: string): Promise<void> {
    if (await deps.ledgerRepo(tx).entry(accountId, "consume", orderId)) throw new LedgerError("conflict", "该订单已核销，不能调整占用");
    if (await deps.ledgerRepo(tx).entry(accountId, "release", orderId)) throw new LedgerError("conflict", "该订单已释放，不能调整占用");
  }

  return {
    /**
     * 下单占用 (no ref) or a further reservation of the same order (ref): idempotent per (order,
     * ref); never lets available go below zero.
     */
    async reserve(tx: Db, input: ReserveInput): Promise<LedgerEntry> {
      if (!Number.isSafeInteger(input.amountFen) || input.amountFen <= 0) throw new LedgerError("invalid", "占用金额必须为正整数（分）");
      if (input.ref !== undefined && !REF.test(input.ref)) throw new LedgerError("invalid", "占用调整的标识不正确");
      const ref = input.ref ?? "";
      const { account, programme } = await locked(tx, input.accountId);
      if (account.enterpriseId !== input.enterpriseId) throw new LedgerError("not_found", "服务券账户不存在");
      const existing = await deps.ledgerRepo(tx).entry(account.id, "reserve", input.orderId, ref);
      if (existing) {
        if (existing.amountFen !== input.amountFen) throw new LedgerError("conflict", "该订单已占用不同金额");
        return existing;
      }
      if (ref) await stillOpen(tx, account.id, input.orderId);
      if (hasExpired(programme, now())) throw new LedgerError("expired", "服务券已过期，不能使用");
      if (left(account) < input.amountFen) throw new LedgerError("insufficient", "服务券可用额度不足");
      return deps.ledgerRepo(tx).append(account.id, "reserve", input.amountFen, input.orderId, ref);
    },

    /** 取消释放: returns what the order still holds; idempotent; refused once consumed. */
    async release(tx: Db, input: OrderInput): Promise<LedgerEntry> {
      const { account } = await locked(tx, input.accountId);
      await reserved(tx, account.id, input.orderId);
      const done = await deps.ledgerRepo(tx).entry(account.id, "release", input.orderId);
      if (done) return done;
      if (await deps.ledgerRepo(tx).entry(account.id, "consume", input.orderId)) throw new LedgerError("conflict", "该订单已核销，不能释放");
      const amount = await held(tx, account.id, input.orderId);
      if (amount <= 0) throw new LedgerError("conflict", "该订单没有可释放的服务券额度");
      return deps.ledgerRepo(tx).append(account.id, "release", amount, input.orderId);
    },

    /**
     * Gives back part of an order's reservation (a lower contract amount), named by its ref:
     * idempotent per (order, ref); never more than the order holds; refused once it has ended.
     */
    async releasePart(tx: Db, input: PartialReleaseInput): Promise<LedgerEntry> {
      if (!Number.isSafeInteger(input.amountFen) || input.amountFen <= 0) throw new LedgerError("invalid", "释放金额必须为正整数（分）");
      if (!REF.test(input.ref)) throw new LedgerError("invalid", "占用调整的标识不正确");
      const { account } = await locked(tx, input.accountId);
      await reserved(tx, account.id, input.orderId);
      const existing = await deps.ledgerRepo(tx).entry(account.id, "release", input.orderId, input.ref);
      if (existing) {
        if (existing.amountFen !== input.amountFen) throw new LedgerError("conflict", "该订单已释放不同金额");
        return existing;
      }
      await stillOpen(tx, account.id, input.orderId);
      if (input.amountFen > (await held(tx, account.id, input.orderId))) throw new LedgerError("invalid", "释放金额不能超过该订单占用的额度");
      return deps.ledgerRepo(tx).append(account.id, "release", input.amountFen, input.orderId, input.ref);
    },

    /** What an order holds on an account now (every reserve less every release). */
    async heldFor(tx: Db, input: OrderInput): Promise<number> {
      return held(tx, input.accountId, input.orderId);
    },

    /** 完成核销: what the order holds becomes used; idempotent; refused once released. */
    async consume(tx: Db, input: OrderInput): Promise<LedgerEntry> {
      const { account } = await locked(tx, input.accountId);
      await reserved(tx, account.id, input.orderId);
      const done = await deps.ledgerRepo(tx).entry(account.id, "consume", input.orderId);
      if (done) return done;
      if (await deps.ledgerRepo(tx).entry(account.id, "release", input.orderId)) throw new LedgerError("conflict", "该订单已释放，不能核销");
      const amount = await held(tx, account.id, input.orderId);
      if (amount <= 0) throw new LedgerError("conflict", "该订单没有可核销的服务券额度");
      return deps.ledgerRepo(tx).append(account.id, "consume", amount, input.orderId);
    },

    /** 退款返还: a consumed amount comes back (and expires at once if the validity is over). */
    async refund(tx: Db, input: OrderInput): Promise<LedgerEntry> {
      const { account, programme } = await locked(tx, input.accountId);
      const c = await deps.ledgerRepo(tx).entry(account.id, "consume", input.orderId);
      if (!c) throw new LedgerError("conflict", "该订单未核销，不能退款返还");
      const done = await deps.ledgerRepo(tx).entry(account.id, "refund", input.orderId);
      if (done) return done;
      if (await deps.ledgerRepo(tx).entry(account.id, "settle", input.orderId)) throw new LedgerError("conflict", "该订单的补贴券已兑付，不能退款返还");
      const entry = await deps.ledgerRepo(tx).append(account.id, "refund", c.amountFen, input.orderId);
      await expireIfDue(tx, { ...account, consumedFen: account.consumedFen - c.amountFen }, programme);
      return entry;
    },

    /**
     * 兑付结算: the order's consumed amount is paid out to the provider (in the payout's transaction);
     * idempotent; refused unless consumed and not refunded.
     */
    async settle(tx: Db, input: OrderInput): Promise<LedgerEntry> {
      const { account } = await locked(tx, input.accountId);
      const done = await deps.ledgerRepo(tx).entry(account.id, "settle", input.orderId);
      if (done) return done;
      const c = await deps.ledgerRepo(tx).entry(account.id, "consume", input.orderId);
      if (!c) throw new LedgerError("conflict", "该订单的补贴券未核销，不能兑付");
      if (await deps.ledgerRepo(tx).entry(account.id, "refund", input.orderId)) throw new LedgerError("conflict", "该订单的补贴券已退回，不能兑付");
      return deps.ledgerRepo(tx).append(account.id, "settle", c.amountFen, input.orderId);
    },

    /**
     * 额度收回 (docs/monitoring.md): what is still available on an account nobody has ordered with
     * (nothing reserved, nothing consumed) goes back to the programme, in one `recall` entry, once
     * per account. Answers null, writing nothing of its own, when the account does not qualify under
     * its lock: approved on or after `approvedBefore`, an order holds or used part of it, its validity
     * is over (what is left expires instead), nothing is left, or it was recalled already.
     */
    async recall(
      tx: Db,
      input: { accountId: string; approvedBefore: Date },
    ): Promise<{ entry: LedgerEntry; account: VoucherAccount; programme: Programme } | null> {
      const { account, programme } = await locked(tx, input.accountId);
      if (await deps.ledgerRepo(tx).accountEntry(account.id, "recall")) return null;
      if (hasExpired(programme, now()) || account.reservedFen > 0 || account.consumedFen > 0) return null;
      const approved = await deps.ledgerRepo(tx).approvedAt(account.id);
      if (!approved || approved.getTime() >= input.approvedBefore.getTime()) return null;
      const rest = left(account);
      if (rest <= 0) return null;
      const entry = await deps.ledgerRepo(tx).append(account.id, "recall", rest, null);
      return { entry, account: { ...account, recalledFen: account.recalledFen + rest }, programme };
    },

    /** 额度收回 candidates (ids, keyset-paged): see LedgerRepository.recallCandidates. */
    async recallCandidates(db: Db, approvedBefore: Date, after: string | null, limit: number): Promise<string[]> {
      return deps.ledgerRepo(db).recallCandidates(approvedBefore, shanghaiDate(now()), after, limit);
    },

    /**
     * Locks one account in the caller's transaction (brought up to date with a due expiry) and
     * returns it with its programme, so the caller computes an amount from what is left under the
     * lock its following reserve/release takes again. Throws LedgerError not_found for an unknown id.
     */
    async lock(tx: Db, accountId: string): Promise<{ account: VoucherAccount; programme: Programme }> {
      return locked(tx, accountId);
    },

    /** Expires what is left on one account if its programme's validity has ended; the account as it now stands. */
    async expire(tx: Db, accountId: string): Promise<VoucherAccount> {
      return (await locked(tx, accountId)).account;
    },

    /** Accounts with something left after their programme's validity ended (for the scheduled sweep). */
    async dueForExpiry(db: Db): Promise<string[]> {
      return deps.ledgerRepo(db).dueForExpiry(shanghaiDate(now()));
    },

    async accountTotals(db: Db, accountId: string): Promise<VoucherAccount | undefined> {
      return deps.ledgerRepo(db).account(accountId);
    },
    async ledgerSums(db: Db, accountId: string): Promise<Record<LedgerKind, number>> {
      return deps.ledgerRepo(db).sums(accountId);
    },
  };
}
export type LedgerService = ReturnType<typeof ledgerService>;
