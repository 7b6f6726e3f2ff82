/**
 * 协商终止 (docs/payments.md "Termination and refunds"): after 接单 either party proposes to end the
 * order with a reason and the part of what the enterprise paid that goes back to it; the other party
 * 同意终止 (the order ends 已终止 in that transaction: the voucher reservation released, or a consumed
 * amount returned, and the refunds written by the payments module through the `terminated` hook) or
 * 拒绝终止; the proposer may 撤回申请. An operator's termination in a dispute goes the same way
 * (admin-service.ts). The refunds' confirmations come back through `refundConfirmed`.
 */
import { type Result, fail, ok } from "../../lib/result.ts";
import type { Db } from "../../ports/db.ts";
import { UniqueViolation } from "../../ports/db.ts";
import { type OrderCore, inTransaction, refuse } from "./core-service.ts";
import { ORDER_STATUS_TEXT, REASON_MAX, checkReason, transition } from "./domain.ts";
import type { Order } from "./ports.ts";
import type { OrderDeps } from "./service.ts";
import { type OrderTermination, checkRefund, paidFen, refundedFen } from "./termination-domain.ts";

export type TerminationSide = "enterprise" | "provider";
const OTHER: Record<TerminationSide, string> = { enterprise: "服务机构", provider: "企业" };

export function terminationUseCases(deps: OrderDeps, core: OrderCore) {
  const { db } = deps;
  const terms = (d: Db) => deps.terminationRepo(d);

  /** The party's id (enterprise or provider) of an account, read before any transaction. */
  async function partyOf(side: TerminationSide, accountId: string): Promise<string | undefined> {
    if (side === "enterprise") return (await deps.enterprises.ofAccount(accountId))?.id;
    return (await deps.catalog.providerOfAccount(accountId))?.id;
  }

  /** The party's order, locked; another party's (or an unknown one) is 404; frozen by a suspension (暂停交易): 409. */
  async function ownOrder(tx: Db, side: TerminationSide, partyId: string | undefined, orderId: string): Promise<Order> {
    const order = partyId ? await deps.orderRepo(tx).byId(orderId, true) : undefined;
    if (!order || (side === "enterprise" ? order.enterpriseId : order.providerId) !== partyId) return refuse({ _form: "订单不存在" }, 404);
    await core.assertNotFrozen(tx, order);
    return order;
  }

  /** What the enterprise paid and has not got back, from the order's money lines. */
  async function netPaid(tx: Db, orderId: string): Promise<number> {
    const lines = await deps.orderRepo(tx).moneyLines(orderId);
    return paidFen(lines) - refundedFen(lines);
  }

  /**
   * Ends the order 已终止 in the caller's transaction: the transition (the reservation released or
   * the consumed amount returned by core.apply) and the refunds through the payments module's hook.
   */
  async function terminate(
    tx: Db,
    order: Order,
    a: { actor: "enterprise" | "provider" | "operator"; actorId: string; reason: string; refundFen: number; requestId?: string },
  ): Promise<Order> {
    const ended = await core.apply(tx, order, {
      action: a.actor === "operator" ? "close" : "terminate",
      actor: a.actor,
      actorId: a.actorId,
      reason: a.reason,
      requestId: a.requestId,
    });
    if (deps.terminated) await deps.terminated(tx, { orderId: order.id, refundFen: a.refundFen, reason: a.reason });
    else if (a.refundFen > 0) throw new Error("no payments module bound: a refund cannot be made");
    return ended;
  }

  return {
    terminate,
    netPaid,

    /**
     * 申请协商终止 by one party, on the page's version: the reason (2-200 characters) and, when the
     * enterprise paid something, the amount that goes back to it (0 .. paid). One open proposal per
     * order; the other party is told.
     */
    async proposeTermination(
      side: TerminationSide,
      accountId: string,
      orderId: string,
      input: { reason?: string; refund?: string },
      expectedVersion: number | undefined,
    ): Promise<Result<OrderTermination>> {
      const reason = checkReason("terminate", input.reason);
      const partyId = await partyOf(side, accountId);
      return inTransaction(db, async (tx) => {
        const order = await ownOrder(tx, side, partyId, orderId);
        const t = transition(order.status, "terminate", side);
        if (!t.ok) return refuse({ _form: t.message }, t.code === "wrong_actor" ? 403 : 409);
        if (expectedVersion !== undefined && expectedVersion !== order.version) return refuse({ _form: "订单已发生变化，请刷新页面查看最新状态" }, 409);
        if (await terms(tx).open(order.id)) return refuse({ _form: "该订单已有待处理的协商终止申请" }, 409);
        const paid = await netPaid(tx, order.id);
        const refund = checkRefund(input.refund, paid);
        const errors: Record<string, string> = {};
        if ("error" in reason) errors.reason = reason.error.replace("协商终止原因", "终止原因");
        if ("error" in refund) errors.refund = refund.error;
        if (Object.keys(errors).length) return refuse(errors, 422);
        try {
          const created = await terms(tx).insert({
            orderId: order.id,
            proposedBy: side,
            proposerId: accountId,
            reason: (reason as { reason: string }).reason,
            paidFen: paid,
            refundFen: (refund as { refundFen: number }).refundFen,
            createdAt: deps.clock.now(),
          });
          core.notify(tx, order, side === "enterprise" ? "terminate_proposed_enterprise" : "terminate_proposed_provider");
          return ok(created);
        } catch (err) {
          if (err instanceof UniqueViolation) return refuse({ _form: "该订单已有待处理的协商终止申请" }, 409);
          throw err;
        }
      });
    },

    /** 撤回申请: the proposer takes its open proposal back. */
    async withdrawTermination(side: TerminationSide, accountId: string, orderId: string): Promise<Result<OrderTermination>> {
      const partyId = await partyOf(side, accountId);
      return inTransaction(db, async (tx) => {
        const order = await ownOrder(tx, side, partyId, orderId);
        const open = await terms(tx).open(order.id, true);
        if (!open || open.proposedBy !== side) return refuse({ _form: "没有可撤回的协商终止申请" }, 409);
        await terms(tx).end(open.id, "withdrawn", { responderId: accountId, response: null, at: deps.clock.now() });
        return ok(open);
      });
    },

    /**
     * 同意终止 / 拒绝终止 by the other party. Agreeing ends the order 已终止 with the proposal's refund in
     * the same transaction; when the paid amount changed since the proposal (a payment confirmed
     * meanwhile) the proposal lapses instead and has to be made again. Rejecting may give a reason.
     */
    async respondTermination(
      side: TerminationSide,
      accountId: string,
      orderId: string,
      agree: boolean,
      responseRaw: string | undefined,
      requestId?: string,
    ): Promise<Result<{ order: Order; termination: OrderTermination; agreed: boolean }>> {
      const response = (responseRaw ?? "").normalize("NFC").trim();
      if ([...response].length > REASON_MAX) return fail({ response: `拒绝原因不能超过${REASON_MAX}个字` });
      const partyId = await partyOf(side, accountId);
      return inTransaction<{ order: Order; termination: OrderTermination; agreed: boolean }>(db, async (tx) => {
        const order = await ownOrder(tx, side, partyId, orderId);
        const open = await terms(tx).open(order.id, true);
        if (!open) return refuse({ _form: "没有待处理的协商终止申请，请刷新页面查看最新状态" }, 409);
        if (open.proposedBy === side) return refuse({ _form: `协商终止申请需由${OTHER[side]}确认` }, 403);
        const at = deps.clock.now();
        if (!agree) {
          await terms(tx).end(open.id, "rejected", { responderId: accountId, response: response || null, at });
          core.notify(tx, order, open.proposedBy === "enterprise" ? "terminate_rejected_enterprise" : "terminate_rejected_provider");
          return ok({ order, termination: open, agreed: false });
        }
        if (!transition(order.status, "terminate", side).ok || (await netPaid(tx, order.id)) !== open.paidFen) {
          await terms(tx).end(open.id, "lapsed", { responderId: null, response: null, at });
          return fail({ _form: `订单状态或已付款项已变化（当前为“${ORDER_STATUS_TEXT[order.status]}”），该协商终止申请已失效，请重新申请` }, 409);
        }
        await terms(tx).end(open.id, "agreed", { responderId: accountId, response: null, at });
        const ended = await terminate(tx, order, { actor: side, actorId: accountId, reason: open.reason, refundFen: open.refundFen, requestId });
        return ok({ order: ended, termination: open, agreed: true });
      });
    },

    /**
     * What 兑付 needs to know of orders of one provider (no authorisation: the settlement module
     * checked the provider): each order with what the enterprise paid (less refunds), whether its
     * voucher part is consumed (and not returned), and whether a dispute or a 协商终止 is open.
     */
    async settlementFacts(orderIds: string[]) {
      const out = [];
      for (const id of orderIds) {
        const repo = deps.orderRepo(db);
        const order = await repo.byId(id);
        if (!order) continue;
        const [lines, open] = await Promise.all([repo.moneyLines(id), terms(db).open(id)]);
        const has = (k: string) => lines.some((l) => l.kind === k);
        out.push({
          order,
          paidFen: paidFen(lines) - refundedFen(lines),
          consumed: has("voucher_consumed") && !has("voucher_refunded"),
          settled: has("voucher_settled"),
          openDispute: order.status === "disputed" || !!open,
        });
      }
      return out;
    },

    /** A provider's 已完成 orders with a voucher part (the candidates of 申请兑付), newest first, at most `limit`. */
    async completedWithVoucher(providerId: string, limit = 200) {
      const { rows } = await deps.orderRepo(db).list({ providerId }, ["completed"], limit, 0);
      return rows.filter((r) => r.deductionFen > 0);
    },

    /** The voucher part paid out to the provider (兑付), in the settlement module's payout transaction: the money line. */
    async markSettled(tx: Db, orderId: string, s: { amountFen: number; ref: string }): Promise<void> {
      await deps.orderRepo(tx).addMoneyLine(orderId, "voucher_settled", s.amountFen, s.ref, deps.clock.now());
    },

    /**
     * A refund the channel confirmed, in the payments module's transaction: the money line (退款到账)
     * and the enterprise told. The payments module applies each refund once (its row's state).
     */
    async refundConfirmed(tx: Db, orderId: string, r: { amountFen: number; refundNo: string }): Promise<void> {
      const order = await deps.orderRepo(tx).byId(orderId, true);
      if (!order) throw new Error(`refund ${r.refundNo} of an unknown order ${orderId}`);
      await deps.orderRepo(tx).addMoneyLine(order.id, "refund", r.amountFen, r.refundNo, deps.clock.now());
      core.notify(tx, order, "refund_done");
    },
  };
}
