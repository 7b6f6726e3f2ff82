/**
 * Service delivery (manual 8.4, docs/payments.md "Flow" step 3): the provider's 开始服务 (待开始服务 ->
 * 服务中) and 完成服务 with 服务成果, a summary and 1-5 files (服务中 -> 待支付尾款; with nothing left to
 * pay, on to 待评价 with the voucher reservation consumed in the same transaction), and the 服务成果 as
 * both parties read it (OrderRepository.view on their order pages).
 */
import { type Result, fail, ok } from "../../lib/result.ts";
import type { Db } from "../../ports/db.ts";
import type { FileService } from "../files/service.ts";
import { type OrderCore, inTransaction, refuse } from "./core-service.ts";
import type { Order } from "./ports.ts";
import type { OrderDeps } from "./service.ts";

export const DELIVERY_SUMMARY_MAX = 2000;
export const DELIVERY_FILES_MAX = 5;
export type DeliveryInput = { summary: string; files: { name: string; bytes: Uint8Array }[] };

export function deliveryUseCases(deps: OrderDeps & { files: FileService }, core: OrderCore) {
  const { db } = deps;

  /** The provider of an account, read before any transaction (PGlite has one connection: inside one, only `tx`). */
  const providerOf = (accountId: string) => deps.catalog.providerOfAccount(accountId);
  type Provider = NonNullable<Awaited<ReturnType<typeof providerOf>>>;

  async function providerOrder(tx: Db, provider: Provider | undefined, orderId: string) {
    if (!provider) return refuse({ _form: "仅入库服务商可以处理订单" }, 403);
    const order = await deps.orderRepo(tx).byId(orderId, true);
    if (!order || order.providerId !== provider.id) return refuse({ _form: "订单不存在" }, 404);
    return { order, provider };
  }

  /** Nothing left to pay after the deposit: 尾款到账 at once, with the voucher reservation consumed. */
  async function settleWithoutBalance(tx: Db, order: Order, requestId?: string): Promise<Order> {
    if (order.status !== "awaiting_balance" || order.selfPayFen - order.depositFen > 0) return order;
    const at = deps.clock.now();
    if (order.voucherAccountId && order.deductionFen > 0) {
      const entry = await deps.vouchers.ledger.consume(tx, { accountId: order.voucherAccountId, orderId: order.id });
      await deps.orderRepo(tx).addMoneyLine(order.id, "voucher_consumed", entry.amountFen, String(entry.id), at);
    }
    return core.apply(tx, order, { action: "balance_paid", actor: "system", actorId: null, reason: null, requestId });
  }

  return {
    /** 开始服务 by the order's provider, on the page's version: 待开始服务 -> 服务中. */
    async startService(accountId: string, orderId: string, expectedVersion: number | undefined, requestId?: string): Promise<Result<Order>> {
      const provider = await providerOf(accountId);
      return inTransaction(db, async (tx) => {
        const { order } = await providerOrder(tx, provider, orderId);
        return ok(
          await core.apply(tx, order, { action: "start_service", actor: "provider", actorId: accountId, reason: null, requestId, expectedVersion }),
        );
      });
    },

    /**
     * 完成服务 with 服务成果: the summary (1-2000 characters) and 1-5 files (PDF, JPG, PNG), checked before
     * anything is written; the files stored in the same transaction as the transition.
     */
    async completeService(
      accountId: string,
      orderId: string,
      input: DeliveryInput,
      expectedVersion: number | undefined,
      requestId?: string,
    ): Promise<Result<Order>> {
      const summary = input.summary.trim();
      const errors: Record<string, string> = {};
      if (!summary) errors.summary = "请填写服务成果说明";
      else if ([...summary].length > DELIVERY_SUMMARY_MAX) errors.summary = `服务成果说明不能超过${DELIVERY_SUMMARY_MAX}个字`;
      const files = input.files.filter((f) => f.bytes.length > 0);
      if (!files.length) errors.files = "请上传至少一个服务成果文件";
      else if (files.length > DELIVERY_FILES_MAX) errors.files = `服务成果文件最多${DELIVERY_FILES_MAX}个`;
      else {
        const bad = files.map((f) => deps.files.check(f)).find(Boolean);
        if (bad) errors.files = bad;
      }
      if (Object.keys(errors).length) return fail(errors);
      const found = await providerOf(accountId);
      return inTransaction(db, async (tx) => {
        const { order, provider } = await providerOrder(tx, found, orderId);
        const moved = await core.apply(tx, order, {
          action: "complete_service",
          actor: "provider",
          actorId: accountId,
          reason: null,
          requestId,
          expectedVersion,
        });
        const fileIds: string[] = [];
        for (const f of files) {
          const stored = await deps.files.store(tx, { ...f, ownerEnterpriseId: provider.enterpriseId, purpose: "order_delivery", accountId });
          if (!stored.ok) return refuse({ files: stored.message });
          fileIds.push(stored.file.id);
        }
        await deps.orderRepo(tx).addDelivery(order.id, { summary, fileIds, by: accountId, at: deps.clock.now() });
        return ok(await settleWithoutBalance(tx, moved, requestId));
      });
    },

    /** One 服务成果 file for the order's enterprise or its provider (by account); anyone else: undefined. */
    async deliveryFile(accountId: string, orderId: string, fileId: string) {
      const enterprise = await deps.enterprises.ofAccount(accountId);
      const order = enterprise ? await deps.orderRepo(db).byId(orderId) : undefined;
      if (!order) return undefined;
      const provider = await deps.catalog.providerOfAccount(accountId);
      if (order.enterpriseId !== enterprise!.id && order.providerId !== provider?.id) return undefined;
      const d = await deps.orderRepo(db).delivery(order.id);
      if (!d?.fileIds.includes(fileId)) return undefined;
      return deps.files.readChecked(fileId);
    },
  };
}
