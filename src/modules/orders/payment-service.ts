/**
 * What the payments module asks of orders, through this service only: what an order owes now (定金 in
 * 待支付定金, 尾款 in 待支付尾款) and the transition a confirmed payment causes, in the payments
 * module's transaction: 定金到账 -> 待开始服务 (money line deposit_paid); 尾款到账 -> 待评价 with the
 * voucher reservation consumed in the same transaction (money lines voucher_consumed, balance_paid).
 * See docs/payments.md "Flow".
 */
import type { Db } from "../../ports/db.ts";
import { type Result, fail, ok } from "../../lib/result.ts";
import { type OrderCore, Refused, refuse } from "./core-service.ts";
import type { MoneyLine, Order } from "./ports.ts";
import type { OrderDeps } from "./service.ts";

export type PaymentKind = "deposit" | "balance";

/** What an order owes in its status: the kind and the amount (fen), or null when nothing is due. */
export function dueOf(order: Pick<Order, "status" | "depositFen" | "selfPayFen">): { kind: PaymentKind; amountFen: number } | null {
  if (order.status === "awaiting_deposit" && order.depositFen > 0) return { kind: "deposit", amountFen: order.depositFen };
  const balance = order.selfPayFen - order.depositFen;
  if (order.status === "awaiting_balance" && balance > 0) return { kind: "balance", amountFen: balance };
  return null;
}

export function paymentUseCases(deps: OrderDeps, core: OrderCore) {
  const { db } = deps;

  async function apply(tx: Db, orderId: string, p: { kind: PaymentKind; amountFen: number; paymentNo: string; requestId?: string }): Promise<Order> {
    const repo = deps.orderRepo(tx);
    const order = await repo.byId(orderId, true);
    if (!order) return refuse({ _form: "订单不存在" }, 404);
    const due = dueOf(order);
    if (due?.kind !== p.kind) return refuse({ _form: "订单当前不需要这笔付款" }, 409);
    if (due.amountFen !== p.amountFen) return refuse({ _form: "付款金额与订单应付金额不一致" }, 409);
    const at = deps.clock.now();
    if (p.kind === "deposit") {
      await repo.addMoneyLine(order.id, "deposit_paid", p.amountFen, p.paymentNo, at);
      return core.apply(tx, order, { action: "deposit_paid", actor: "system", actorId: null, reason: null, requestId: p.requestId });
    }
    if (order.voucherAccountId && order.deductionFen > 0) {
      const entry = await deps.vouchers.ledger.consume(tx, { accountId: order.voucherAccountId, orderId: order.id });
      await repo.addMoneyLine(order.id, "voucher_consumed", entry.amountFen, String(entry.id), at);
    }
    await repo.addMoneyLine(order.id, "balance_paid", p.amountFen, p.paymentNo, at);
    return core.apply(tx, order, { action: "balance_paid", actor: "system", actorId: null, reason: null, requestId: p.requestId });
  }

  return {
    /**
     * The order as its enterprise sees it, with what it owes now and the provider's enterprise (the
     * payee): 404 for another enterprise's order or an unknown one.
     */
    async paymentTerms(
      accountId: string,
      orderId: string,
    ): Promise<Result<{ order: Order; due: ReturnType<typeof dueOf>; providerEnterpriseId: string }>> {
      const enterprise = await deps.enterprises.ofAccount(accountId);
      const order = enterprise ? await deps.orderRepo(db).byId(orderId) : undefined;
      if (!order || order.enterpriseId !== enterprise!.id) return fail({ _form: "订单不存在" }, 404);
      // 订单冻结 (暂停交易): no new payment starts on it; a payment already made is still confirmed by its callback.
      const frozen = await deps.suspensions?.refusal(db, order, "order");
      if (frozen) return fail({ _form: frozen }, 409);
      const provider = await deps.catalog.provider(order.providerId);
      if (!provider) return fail({ _form: "服务商不存在" }, 404);
      return ok({ order, due: dueOf(order), providerEnterpriseId: provider.enterpriseId });
    },

    /** The money lines of these payments' and refunds' numbers (deposit_paid, balance_paid, refund), oldest first: 对账. */
    async moneyLinesByRefs(refs: readonly string[]): Promise<MoneyLine[]> {
      return refs.length ? deps.orderRepo(db).channelLines({ refs }) : [];
    },

    /** The lines of money through the channel written in [from, to), oldest first: 对账 finds those of no payment or refund. */
    async channelLinesBetween(from: Date, to: Date): Promise<MoneyLine[]> {
      return deps.orderRepo(db).channelLines({ refs: [], from, to });
    },

    /** An order by id for the payments module's own checks (no authorisation: the caller owns the payment row). */
    async orderForPayment(orderId: string, tx: Db = db): Promise<Order | undefined> {
      return deps.orderRepo(tx).byId(orderId);
    },

    /**
     * A payment the channel confirmed for an order that no longer needs it (terminated meanwhile, or
     * a second cashier session paid): its money line is written all the same, in the payments
     * module's transaction, beside the refund that returns it, so the lines add up.
     */
    async recordLatePayment(tx: Db, orderId: string, p: { kind: PaymentKind; amountFen: number; paymentNo: string }): Promise<void> {
      await deps.orderRepo(tx).addMoneyLine(orderId, p.kind === "deposit" ? "deposit_paid" : "balance_paid", p.amountFen, p.paymentNo, deps.clock.now());
    },

    /**
     * A confirmed payment applied in the caller's transaction (with the notification's claim): the
     * money line(s) and the transition. A refusal (the order moved on, another amount) is returned,
     * not thrown, so the caller still commits what it recorded.
     */
    async tryPaymentOutcome(tx: Db, orderId: string, p: { kind: PaymentKind; amountFen: number; paymentNo: string }): Promise<Result<Order>> {
      try {
        return ok(await apply(tx, orderId, p));
      } catch (err) {
        if (err instanceof Refused) return err.failure;
        throw err;
      }
    },
  };
}
