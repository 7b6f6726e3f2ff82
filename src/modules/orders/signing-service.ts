/**
 * What the signing module asks of orders, through this service only: the agreed contract an order
 * in 待签合同 is to be signed on, and the transitions a signing outcome causes, in the signing
 * module's transaction (签署完成 -> 待支付定金; 拒签 -> 待制定合同 for a new version). See
 * docs/signing.md "Flow".
 */
import type { Db } from "../../ports/db.ts";
import { type Result, fail, ok } from "../../lib/result.ts";
import { type OrderCore, Refused, inTransaction, refuse } from "./core-service.ts";
import type { SigningNotice } from "./notice-domain.ts";
import { orderNotices } from "./notice-service.ts";
import { type ContractContent, checkReason } from "./domain.ts";
import type { Order } from "./ports.ts";
import type { OrderDeps } from "./service.ts";

/** The agreed version an order in 待签合同 is signed on, with both parties' enterprise ids. */
export type SigningTerms = {
  order: Order;
  providerEnterpriseId: string;
  contractVersion: number;
  content: ContractContent;
  /** SHA-256 of the version's canonical content, stored at 同意. */
  contentSha256: string;
  /** When the enterprise agreed to it (同意). */
  agreedAt: Date;
};

export function signingUseCases(deps: OrderDeps, core: OrderCore) {
  const { db } = deps;

  /** The version both parties agreed to last (a 拒签 leaves it agreed until the next version is). */
  const agreedVersion = async (tx: Db, orderId: string) =>
    (await deps.orderRepo(tx).contractVersions(orderId)).filter((v) => v.status === "agreed").at(-1);

  /**
   * A signing outcome applied to the order in the caller's transaction (the signing module's, with
   * the callback's claim): `signed` -> 待支付定金, `sign_refused` (reason) -> 待制定合同. The order
   * row is locked; a refusal (wrong state: the order moved on) throws, rolling the caller back.
   * `contractVersion` must still be the agreed one (an outcome for an old version changes nothing).
   */
  async function applySigningOutcome(
    tx: Db,
    orderId: string,
    outcome: { action: "signed" | "sign_refused"; contractVersion: number; reason?: string; requestId?: string },
  ): Promise<Order> {
    const repo = deps.orderRepo(tx);
    const order = await repo.byId(orderId, true);
    if (!order) return refuse({ _form: "订单不存在" }, 404);
    const agreed = await agreedVersion(tx, order.id);
    if (agreed?.version !== outcome.contractVersion) return refuse({ _form: "签署的合同版本已不是双方同意的版本" }, 409);
    let reason: string | null = null;
    if (outcome.action === "sign_refused") {
      const r = checkReason("sign_refused", outcome.reason);
      reason = "error" in r ? "（未填写原因）" : r.reason;
    }
    const moved = await core.apply(tx, order, { action: outcome.action, actor: "system", actorId: null, reason, requestId: outcome.requestId });
    // A contract without a deposit has nothing to pay now: 待开始服务 at once (docs/payments.md "Flow").
    if (moved.status === "awaiting_deposit" && moved.depositFen === 0) {
      return core.apply(tx, moved, { action: "deposit_paid", actor: "system", actorId: null, reason: null, requestId: outcome.requestId });
    }
    return moved;
  }

  const notices = orderNotices(deps);

  return {
    /**
     * The same outcome in the caller's transaction, a refusal (the order moved on, another version
     * was agreed meanwhile) returned rather than thrown, so the caller can still commit what it
     * recorded (the provider's event, the flow's end).
     */
    async trySigningOutcome(
      tx: Db,
      orderId: string,
      outcome: { action: "signed" | "sign_refused"; contractVersion: number; reason?: string },
    ): Promise<Result<Order>> {
      try {
        return ok(await applySigningOutcome(tx, orderId, outcome));
      } catch (err) {
        if (err instanceof Refused) return err.failure;
        throw err;
      }
    },

    /** A signing notice (待签署 to the party whose turn it is, 签署已过期), after `tx` commits, or now without one. */
    async signingNotice(orderId: string, kind: SigningNotice, tx?: Db): Promise<void> {
      const order = await deps.orderRepo(tx ?? db).byId(orderId);
      if (!order) return;
      if (tx) notices.afterCommit(tx, order, kind);
      else await notices.send(order, kind);
    },

    /**
     * The order as one of its parties may see it, and nothing more (the signing page and its 3-second
     * status poll): the ordering enterprise's account, or the provider's. Anyone else: 404 (an
     * account that is no provider asking as one: 403).
     */
    async orderOfParty(accountId: string, orderId: string, side: "enterprise" | "provider"): Promise<Result<Order>> {
      const repo = deps.orderRepo(db);
      if (side === "enterprise") {
        const enterprise = await deps.enterprises.ofAccount(accountId);
        const order = enterprise ? await repo.byId(orderId) : undefined;
        return order && order.enterpriseId === enterprise!.id ? ok(order) : fail({ _form: "订单不存在" }, 404);
      }
      const provider = await deps.catalog.providerOfAccount(accountId);
      if (!provider) return fail({ _form: "仅入库服务商可以查看订单管理" }, 403);
      const order = await repo.byId(orderId);
      return order && order.providerId === provider.id ? ok(order) : fail({ _form: "订单不存在" }, 404);
    },

    /** An order's number (合同编号 on 合同验真), or undefined. */
    async orderNumberOf(orderId: string): Promise<string | undefined> {
      return (await deps.orderRepo(db).byId(orderId))?.number;
    },

    /** The orders in 待签合同 in which this enterprise is a party (as the buyer or as the provider), oldest first, at most 100. */
    async awaitingSigning(enterpriseId: string): Promise<string[]> {
      const repo = deps.orderRepo(db);
      const enterprise = await deps.enterprises.byId(enterpriseId);
      const provider = enterprise ? await deps.catalog.providerOfAccount(enterprise.accountId) : undefined;
      const parties = [{ enterpriseId }, ...(provider ? [{ providerId: provider.id }] : [])];
      const ids = new Set<string>();
      for (const party of parties) {
        for (const row of (await repo.list(party, ["contract_signing"], 100, 0)).rows) ids.add(row.id);
      }
      return [...ids];
    },

    /** The agreed contract of an order in 待签合同 (409 in any other status, 404 for an unknown order). */
    async signingTerms(orderId: string, tx: Db = db): Promise<Result<SigningTerms>> {
      const repo = deps.orderRepo(tx);
      const order = await repo.byId(orderId);
      if (!order) return fail({ _form: "订单不存在" }, 404);
      if (order.status !== "contract_signing") return fail({ _form: "订单不在待签合同状态" }, 409);
      const agreed = await agreedVersion(tx, order.id);
      if (!agreed?.sha256) return fail({ _form: "合同尚未同意" }, 409);
      const provider = await deps.catalog.provider(order.providerId);
      if (!provider) return fail({ _form: "服务商不存在" }, 404);
      return ok({
        order,
        providerEnterpriseId: provider.enterpriseId,
        contractVersion: agreed.version,
        content: agreed.content,
        contentSha256: agreed.sha256,
        agreedAt: agreed.decidedAt ?? agreed.updatedAt,
      });
    },

    applySigningOutcome,

    /** The same outcome in a transaction of its own (for callers without one); a refusal is returned, not thrown. */
    async signingOutcome(orderId: string, outcome: { action: "signed" | "sign_refused"; contractVersion: number; reason?: string }) {
      return inTransaction(db, async (tx) => ok(await applySigningOutcome(tx, orderId, outcome)));
    },
  };
}
