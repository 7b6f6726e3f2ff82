/**
 * What every use case of the orders module shares: refusals that roll a transaction back, and one
 * transition of a locked order (the table's answer, the version check, the event, the reservation
 * released when the order ends, the SMS notices after the commit). The use cases in `service.ts`
 * and the other `*-service.ts` files of this module build on it; nothing outside the module imports it.
 */
import type { Clock } from "../../ports/clock.ts";
import type { Db } from "../../ports/db.ts";
import { type Failure, type Result, fail } from "../../lib/result.ts";
import { LedgerError, type VoucherService } from "../vouchers/service.ts";
import type { SuspensionCheck } from "../monitoring/service.ts";
import { type Actor, FINAL_STATUSES, type OrderAction, releasesReservation, transition } from "./domain.ts";
import type { NoticeAction } from "./notice-domain.ts";
import { type NoticeDeps, orderNotices } from "./notice-service.ts";
import type { Order, OrderRepositoryFactory } from "./ports.ts";

/** A refusal thrown inside a transaction so that everything it wrote rolls back; returned as its failure. */
export class Refused extends Error {
  constructor(readonly failure: Failure) {
    super("refused");
  }
}
export const refuse = (errors: Record<string, string>, status: Failure["status"] = 422): never => {
  throw new Refused(fail(errors, status));
};

/** A ledger refusal as the order form shows it (the field is the voucher choice). */
export function ledgerFailure(err: LedgerError): Failure {
  if (err.code === "not_found") return fail({ voucherAccountId: "服务券账户不存在" });
  if (err.code === "conflict") return fail({ _form: err.message }, 409);
  return fail({ voucherAccountId: err.message });
}

/** Runs a use case; a Refused or LedgerError it throws becomes its failure (a read, or the body of `inTransaction`). */
export async function refusalsOf<T>(fn: () => Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Refused) return err.failure;
    if (err instanceof LedgerError) return ledgerFailure(err);
    throw err;
  }
}

/** Runs a use case in one transaction; a Refused or LedgerError rolls everything back and becomes its failure. */
export const inTransaction = <T>(db: Db, fn: (tx: Db) => Promise<Result<T>>): Promise<Result<T>> => refusalsOf(() => db.transaction(fn));

export const STALE_ORDER = "订单已发生变化，请刷新页面查看最新状态";

/** One action on an order as its use case asks for it. */
export type ActionInput = {
  action: OrderAction;
  actor: Actor;
  actorId: string | null;
  reason: string | null;
  requestId?: string;
  expectedVersion?: number;
  /** New money terms applied with the status (提交企业确认 moves them). */
  patch?: Partial<Pick<Order, "contractFen" | "deductionFen" | "selfPayFen" | "depositFen">>;
};

export type CoreDeps = {
  clock: Clock;
  orderRepo: OrderRepositoryFactory;
  vouchers: VoucherService;
  /** 暂停交易 (the monitoring module): a party's steps on an open order are refused while either party is suspended. */
  suspensions?: SuspensionCheck;
} & NoticeDeps;

export function orderCore(deps: CoreDeps) {
  const notices = orderNotices(deps);
  /**
   * 订单冻结: refuses (409, rolling the caller back) a party's step on an open order while the
   * ordering enterprise or the provider is suspended (暂停交易). The platform's own steps (an
   * operator's 关闭 / 终止 / 继续履约, the jobs, the providers' callbacks) never ask.
   */
  async function assertNotFrozen(tx: Db, order: Pick<Order, "status" | "enterpriseId" | "providerId">): Promise<void> {
    if (!deps.suspensions || FINAL_STATUSES.includes(order.status)) return;
    const refusal = await deps.suspensions.refusal(tx, order, "order");
    if (refusal) refuse({ _form: refusal }, 409);
  }
  /**
   * One transition of an order in the caller's transaction, on the row it locked: the table's
   * answer, the version check, the new status with one event, and the reservation released when
   * the order ends (取消, 拒单, 关闭, 终止) with its money line. The action's notices (ORDER_NOTICES)
   * go out once the caller's transaction commits.
   */
  async function apply(tx: Db, order: Order, a: ActionInput): Promise<Order> {
    const t = transition(order.status, a.action, a.actor);
    if (!t.ok) return refuse({ _form: t.message }, t.code === "wrong_actor" ? 403 : 409);
    if (a.expectedVersion !== undefined && a.expectedVersion !== order.version) return refuse({ _form: STALE_ORDER }, 409);
    if (a.actor === "enterprise" || a.actor === "provider") await assertNotFrozen(tx, order);
    const at = deps.clock.now();
    const repo = deps.orderRepo(tx);
    const updated = await repo.transition(
      order.id,
      order.version,
      t.to,
      at,
      {
        actorType: a.actor,
        actorId: a.actorId,
        action: a.action,
        fromStatus: order.status,
        toStatus: t.to,
        reason: a.reason,
        requestId: a.requestId ?? null,
      },
      a.patch,
    );
    if (!updated) return refuse({ _form: STALE_ORDER }, 409);
    if (releasesReservation(t.to) && order.voucherAccountId && updated.deductionFen > 0) {
      // 待评价 is the one status after the balance consumed the reservation: ending there returns the consumed amount.
      const input = { accountId: order.voucherAccountId, orderId: order.id };
      if (order.status === "awaiting_review") {
        const entry = await deps.vouchers.ledger.refund(tx, input);
        await repo.addMoneyLine(order.id, "voucher_refunded", entry.amountFen, String(entry.id), at);
      } else {
        const entry = await deps.vouchers.ledger.release(tx, input);
        await repo.addMoneyLine(order.id, "voucher_released", entry.amountFen, String(entry.id), at);
      }
    }
    notices.afterCommit(tx, updated, a.action);
    return updated;
  }
  /** The notices of an order's creation (提交订单), sent once the caller's transaction commits. */
  const notifySubmitted = (tx: Db, order: Order) => notices.afterCommit(tx, order, "submit");
  /** Notices of a step that is no transition (a 协商终止 proposal, a refund), sent once the caller's transaction commits. */
  const notify = (tx: Db, order: Order, action: NoticeAction) => notices.afterCommit(tx, order, action);
  return { apply, notifySubmitted, notify, assertNotFrozen };
}
export type OrderCore = ReturnType<typeof orderCore>;
