import type { Clock } from "../../ports/clock.ts";
import { type Db, UniqueViolation } from "../../ports/db.ts";
import type { SmsSender } from "../../ports/sms.ts";
import { pageOf, pagesOf } from "../../lib/paging.ts";
import { type Result, fail, ok } from "../../lib/result.ts";
import type { CatalogService } from "../catalog/service.ts";
import type { EnterpriseService } from "../enterprises/service.ts";
import type { IdentityService } from "../identity/service.ts";
import type { ProductService } from "../products/service.ts";
import { availableFen, hasExpired, isValidOn } from "../vouchers/domain.ts";
import type { VoucherService } from "../vouchers/service.ts";
import type { Audit } from "../audit/service.ts";
import type { SuspensionCheck } from "../monitoring/service.ts";
import { contractUseCases } from "./contract-service.ts";
import { signingUseCases } from "./signing-service.ts";
import { paymentUseCases } from "./payment-service.ts";
import { deliveryUseCases } from "./delivery-service.ts";
import { reviewUseCases } from "./review-service.ts";
import { terminationUseCases } from "./termination-service.ts";
import { reminderUseCases } from "./reminder-service.ts";
import type { FileService } from "../files/service.ts";
import { inTransaction as inTransaction_, orderCore, refuse } from "./core-service.ts";
import { orderExpiryService } from "./expiry-service.ts";
import { orderAdminUseCases, orderExportSource } from "./admin-service.ts";
import type { OrderAdminRepositoryFactory } from "./admin-ports.ts";
import type { TerminationRepositoryFactory } from "./termination-ports.ts";
import {
  INITIAL_STATUS,
  ORDER_TABS,
  type OrderStatus,
  type OrderTab,
  actionsFor,
  checkQuantity,
  checkReason,
  formatOrderNumber,
  isOrderTab,
  orderAmounts,
  parseSubmissionKey,
  quantityAllowed,
  snapshotOf,
  submissionKey,
} from "./domain.ts";
import type { Order, OrderParty, OrderRepositoryFactory, OrderView } from "./ports.ts";

export type OrderDeps = {
  db: Db;
  clock: Clock;
  orderRepo: OrderRepositoryFactory;
  enterprises: EnterpriseService;
  products: ProductService;
  vouchers: VoucherService;
  catalog: CatalogService;
  /** The notices (notice-service.ts): the SMS port and the account phones through identity. */
  sms: SmsSender;
  identity: IdentityService;
  log?: { warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  /** ORDER_ACCEPT_DAYS, for the closing job (expiry-service.ts). */
  acceptDays: number;
  /**
   * 暂停交易 (the monitoring module, docs/monitoring.md): 提交订单 by a suspended enterprise or for a
   * suspended provider's product is refused, and so is every party's step on their open orders.
   */
  suspensions?: SuspensionCheck;
  audit: Audit;
  orderAdminRepo: OrderAdminRepositoryFactory;
  /**
   * Told in the transaction of 同意 (the order enters 待签合同), bound by the composition root to the
   * signing module, which queues the sign flow's start after commit (orders does not know signing).
   */
  contractAgreed?: (tx: Db, orderId: string) => void;
  /**
   * Told in the transaction that ends an order 已终止 (协商终止 agreed, an operator's termination), bound
   * by the composition root to the payments module, which writes the refunds of `refundFen` (of what
   * the enterprise paid) in that transaction and sends them to the channel after commit; it also
   * closes the order's unpaid cashier sessions. A throw rolls the termination back.
   */
  terminated?: (tx: Db, t: { orderId: string; refundFen: number; reason: string }) => Promise<void>;
  terminationRepo: TerminationRepositoryFactory;
  /** 服务成果 files (完成服务). */
  files: FileService;
};

export const ORDER_PAGE_SIZE = 20;
/** Staff roles that read orders (订单管理), and so their contracts' documents. */
export { ORDER_READERS } from "./admin-service.ts";
/** An order number typed into a search: exact, or a prefix (支付管理 filters payments by it too). */
export { numberFilter } from "./admin-service.ts";
export const SUSPENDED_ACCEPT = "服务商已暂停，不能接单；如无法提供服务，请拒单，企业的补贴券额度将退回";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 提交订单's input as the HTTP edge parsed it. */
export type SubmitInput = {
  productId: string;
  quantity?: number | string;
  useVoucher: boolean;
  voucherAccountId?: string;
  submissionKey: string;
};

/**
 * The orders module's use cases: 订单详情, 提交订单, 取消订单, 我购买的服务, the provider's 订单管理,
 * 接单 and 拒单, and 超时关闭 (expiry-service.ts). See docs/orders.md.
 */
export function orderService(deps: OrderDeps) {
  const { db } = deps;
  const now = () => deps.clock.now();
  const core = orderCore(deps);
  const { apply, notifySubmitted } = core;
  const inTransaction = <T>(fn: (tx: Db) => Promise<Result<T>>) => inTransaction_(db, fn);

  /** The counts of each tab from per-status counts. */
  function tabCounts(byStatus: Partial<Record<OrderStatus, number>>): Record<OrderTab, number> {
    const out = {} as Record<OrderTab, number>;
    for (const tab of Object.keys(ORDER_TABS) as OrderTab[]) {
      out[tab] = (ORDER_TABS[tab].statuses as readonly OrderStatus[]).reduce((n, s) => n + (byStatus[s] ?? 0), 0);
    }
    return out;
  }

  /** A page of a party's orders in one tab, and every tab's count; the tab's total is its count (two statements, side by side). */
  async function listFor(party: OrderParty, tabRaw: unknown, page: unknown) {
    const tab: OrderTab = isOrderTab(tabRaw) ? tabRaw : "all";
    const pageNo = pageOf(page);
    const repo = deps.orderRepo(db);
    const [rows, byStatus] = await Promise.all([
      repo.listRows(party, tab === "all" ? null : ORDER_TABS[tab].statuses, ORDER_PAGE_SIZE, (pageNo - 1) * ORDER_PAGE_SIZE),
      repo.countByStatus(party),
    ]);
    const counts = tabCounts(byStatus);
    const total = counts[tab];
    return { tab, rows, total, pageNo, pages: pagesOf(total, ORDER_PAGE_SIZE), counts };
  }

  /** The voucher accounts of an enterprise that can pay for this listing today, with the order's amounts on each. */
  async function payable(enterpriseId: string, listing: { category: string; voucherKinds: string[] }) {
    const at = now();
    return (await deps.vouchers.payableAccounts(enterpriseId, listing.category)).filter(
      (a) => listing.voucherKinds.includes(a.programme.kind) && isValidOn(a.programme, at),
    );
  }

  /** The ordering enterprise's transition with a reason (取消订单, 提出异议): the reason checked, the row locked, the version checked. */
  async function enterpriseAct(
    accountId: string,
    orderId: string,
    action: "cancel" | "dispute",
    reasonRaw: string | undefined,
    expectedVersion: number | undefined,
    requestId?: string,
  ): Promise<Result<Order>> {
    const reason = checkReason(action, reasonRaw);
    if ("error" in reason) return fail({ reason: reason.error });
    return inTransaction(async (tx) => {
      const enterprise = await deps.enterprises.ofAccount(accountId, tx);
      const order = enterprise ? await deps.orderRepo(tx).byId(orderId, true) : undefined;
      if (!order || order.enterpriseId !== enterprise!.id) return refuse({ _form: "订单不存在" }, 404);
      return ok(await apply(tx, order, { action, actor: "enterprise", actorId: accountId, reason: reason.reason, requestId, expectedVersion }));
    });
  }

  /** A provider's transition on one of its own orders: the row locked, the table's answer, the version checked. */
  async function providerAct(
    accountId: string,
    orderId: string,
    action: "accept" | "decline",
    reason: string | null,
    expectedVersion: number | undefined,
    requestId?: string,
  ): Promise<Result<Order>> {
    const provider = await deps.catalog.providerOfAccount(accountId);
    if (!provider) return fail({ _form: "仅入库服务商可以处理订单" }, 403);
    // A suspended (暂停) provider takes no new work but may still 拒单, so no enterprise waits on it.
    if (provider.status !== "active" && action === "accept") return fail({ _form: SUSPENDED_ACCEPT }, 403);
    return inTransaction(async (tx) => {
      const order = await deps.orderRepo(tx).byId(orderId, true);
      if (!order || order.providerId !== provider.id) return refuse({ _form: "订单不存在" }, 404);
      return ok(await apply(tx, order, { action, actor: "provider", actorId: accountId, reason, requestId, expectedVersion }));
    });
  }

  const termination = terminationUseCases(deps, core);

  /**
   * What both parties' order pages show of an order's own rows (OrderRepository.view): the timeline,
   * the money lines, 服务成果 with its files' names (one more statement, only when it has files), 评价,
   * and the open 协商终止 proposal beside every earlier one.
   */
  async function orderView(v: OrderView) {
    const d = v.delivery;
    const names = d?.fileIds.length ? await deps.files.metas(d.fileIds) : undefined;
    return {
      order: v.order,
      events: v.events,
      moneyLines: v.moneyLines,
      delivery: d && { ...d, files: d.fileIds.map((id) => ({ id, name: names?.get(id)?.originalName ?? "文件" })) },
      review: v.review,
      terminations: { open: v.terminations.find((t) => t.status === "proposed"), all: v.terminations },
    };
  }
  return {
    ...contractUseCases(deps, core),
    // 超时关闭 (the closing job's use case): closeUnaccepted.
    ...orderExpiryService(deps),
    ...orderAdminUseCases(deps, core, termination),
    /** 订单管理 as an export (导出 CSV / 导出 Excel), handed to the exports service by the composition root. */
    adminExport: orderExportSource(deps),
    // 尾款 reminders (reminder-service.ts, the daily job's use case).
    ...reminderUseCases(deps),
    // 协商终止 and refunds confirmed (termination-service.ts).
    ...termination,
    ...signingUseCases(deps, core),
    // What payments asks of orders (payment-service.ts): paymentTerms, tryPaymentOutcome.
    ...paymentUseCases(deps, core),
    // 开始服务 / 完成服务 with 服务成果 (delivery-service.ts).
    ...deliveryUseCases(deps, core),
    // 评价 (review-service.ts).
    ...reviewUseCases(deps, core),

    /**
     * 订单详情: the product as it is now, the quantity (where the unit allows more than one), the
     * enterprise's voucher accounts that can pay for it with the amounts on each, the amounts without
     * a voucher, and the submission key of this intent (see docs/orders.md "提交订单, once").
     */
    async orderPage(accountId: string, productId: string, quantityRaw?: number | string) {
      const enterprise = await deps.enterprises.ofAccount(accountId);
      if (!enterprise) return fail({ _form: "仅企业用户可以下单" }, 403);
      if (enterprise.certificationStatus !== "certified") return fail({ _form: "请先完成企业信息认证" }, 403);
      const detail = UUID.test(productId) ? await deps.products.productDetail(productId) : undefined;
      if (!detail) return fail({ _form: "该服务产品不存在或已下架" }, 404);
      const { listing, revision, provider } = detail;
      const q = checkQuantity(revision.unit, quantityRaw);
      if ("error" in q) return fail({ quantity: q.error });
      const base = orderAmounts({ unitPriceFen: revision.priceFen, quantity: q.quantity });
      if (!base.ok) return fail({ [base.field]: base.error });
      const accounts = (await payable(enterprise.id, listing)).map((a) => {
        const amounts = orderAmounts({
          unitPriceFen: revision.priceFen,
          quantity: q.quantity,
          voucher: { rateBp: a.programme.subsidyRateBp, capFen: a.programme.perOrderCapFen, availableFen: a.availableFen },
        });
        if (!amounts.ok) throw new Error(`order amounts of product ${listing.productId}: ${amounts.error}`);
        return {
          accountId: a.account.id,
          programmeName: a.programme.name,
          kind: a.programme.kind,
          categories: a.programme.categories,
          validFrom: a.programme.validFrom,
          validTo: a.programme.validTo,
          rateBp: a.programme.subsidyRateBp,
          capFen: a.programme.perOrderCapFen,
          availableFen: a.availableFen,
          amounts: amounts.value,
        };
      });
      const n = await deps.orderRepo(db).countForProduct(enterprise.id, listing.productId);
      // 暂停交易: the page says why 提交订单 would be refused (and offers no button).
      const suspended = (await deps.suspensions?.refusal(db, { enterpriseId: enterprise.id, providerId: listing.providerId }, "submit")) ?? null;
      return ok({
        suspended,
        listing,
        revision,
        provider,
        quantity: q.quantity,
        quantityAllowed: quantityAllowed(revision.unit),
        amounts: base.value,
        accounts,
        submissionKey: submissionKey(listing.productId, n),
      });
    },

    /**
     * 提交订单, in one transaction: re-reads the listing (share-locked), the certification and the
     * voucher account (locked by the ledger), computes the amounts under that lock, inserts the order
     * in 待接单 with its snapshot and first event, and reserves the deduction in the ledger. Any
     * refusal writes nothing. A submission key already used by this enterprise answers its order
     * (`replayed`), however the replay arrives (before or racing the first commit).
     */
    async submit(accountId: string, input: SubmitInput, requestId?: string): Promise<Result<{ order: Order; replayed: boolean }>> {
      const key = parseSubmissionKey(String(input.submissionKey ?? ""));
      if (!key || !UUID.test(String(input.productId ?? "")) || key.productId !== input.productId.toLowerCase()) {
        return fail({ _form: "订单表单已失效，请返回服务产品页面重新申请" }, 400);
      }
      if (input.useVoucher && !UUID.test(String(input.voucherAccountId ?? ""))) return fail({ voucherAccountId: "请选择要使用的服务券" });
      const keyText = input.submissionKey;
      let enterpriseId: string | undefined;
      try {
        return await inTransaction<{ order: Order; replayed: boolean }>(async (tx) => {
          const enterprise = await deps.enterprises.ofAccount(accountId, tx);
          if (!enterprise) return refuse({ _form: "仅企业用户可以下单" }, 403);
          enterpriseId = enterprise.id;
          if (enterprise.certificationStatus !== "certified") return refuse({ _form: "请先完成企业信息认证" }, 403);
          const repo = deps.orderRepo(tx);
          const existing = await repo.bySubmissionKey(enterprise.id, keyText);
          if (existing) return ok({ order: existing, replayed: true });
          const item = await deps.products.orderable(tx, input.productId);
          if (!item) return refuse({ _form: "该服务产品已下架，不能下单" }, 409);
          const { listing, revision } = item;
          const suspended = await deps.suspensions?.refusal(tx, { enterpriseId: enterprise.id, providerId: listing.providerId }, "submit");
          if (suspended) return refuse({ _form: suspended }, 409);
          const q = checkQuantity(revision.unit, input.quantity);
          if ("error" in q) return refuse({ quantity: q.error });
          let voucher: { accountId: string; rateBp: number; capFen: number; availableFen: number } | undefined;
          if (input.useVoucher) {
            // Locks the account for the rest of the transaction: the deduction is computed from what is left now.
            const { account, programme } = await deps.vouchers.ledger.lock(tx, input.voucherAccountId!);
            if (account.enterpriseId !== enterprise.id) return refuse({ voucherAccountId: "服务券账户不存在" });
            if (!listing.voucherKinds.includes(programme.kind) || !programme.categories.includes(listing.category)) {
              return refuse({ voucherAccountId: "该服务券不能用于此服务产品" });
            }
            if (hasExpired(programme, now())) return refuse({ voucherAccountId: "服务券已过期，不能使用" });
            if (!isValidOn(programme, now())) return refuse({ voucherAccountId: "服务券尚未到使用期，不能使用" });
            const available = availableFen(account);
            if (available <= 0) {
              // The lock may have waited for a racing submission of this very key (a double click) that
              // took what was left: its order, committed now, is the answer, not "used up".
              const raced = await repo.bySubmissionKey(enterprise.id, keyText);
              if (raced) return ok({ order: raced, replayed: true });
              return refuse({ voucherAccountId: "服务券可用额度已用完" });
            }
            voucher = { accountId: account.id, rateBp: programme.subsidyRateBp, capFen: programme.perOrderCapFen, availableFen: available };
          }
          const amounts = orderAmounts({ unitPriceFen: revision.priceFen, quantity: q.quantity, voucher });
          if (!amounts.ok) return refuse({ [amounts.field]: amounts.error });
          const m = amounts.value;
          if (voucher && m.deductionFen <= 0) return refuse({ voucherAccountId: "该服务券对本订单的抵扣金额为0，请不使用补贴券下单" });
          const at = now();
          const order = await repo.insert(
            {
              number: formatOrderNumber(at, await repo.nextSequence()),
              enterpriseId: enterprise.id,
              providerId: listing.providerId,
              productId: listing.productId,
              status: INITIAL_STATUS,
              quantity: q.quantity,
              unitPriceFen: revision.priceFen,
              orderFen: m.orderFen,
              contractFen: m.contractFen,
              deductionFen: m.deductionFen,
              selfPayFen: m.selfPayFen,
              depositFen: m.depositFen,
              voucherAccountId: voucher ? voucher.accountId : null,
              snapshot: snapshotOf({
                productId: listing.productId,
                revisionId: revision.id,
                title: revision.title,
                category: revision.category,
                providerId: listing.providerId,
                providerName: listing.providerName,
                priceFen: revision.priceFen,
                unit: revision.unit,
                content: revision.content,
                deliverables: revision.deliverables,
                acceptance: revision.acceptance,
                duration: revision.duration,
              }),
              submissionKey: keyText,
              at,
            },
            {
              actorType: "enterprise",
              actorId: accountId,
              action: "submit",
              fromStatus: null,
              toStatus: INITIAL_STATUS,
              reason: null,
              requestId: requestId ?? null,
            },
          );
          if (voucher) {
            const entry = await deps.vouchers.ledger.reserve(tx, {
              accountId: voucher.accountId,
              enterpriseId: enterprise.id,
              orderId: order.id,
              amountFen: m.deductionFen,
            });
            await repo.addMoneyLine(order.id, "voucher_reserved", entry.amountFen, String(entry.id), at);
          }
          notifySubmitted(tx, order);
          return ok({ order, replayed: false });
        });
      } catch (err) {
        // The same key committed by a racing submission of this enterprise: its order is the answer.
        if (err instanceof UniqueViolation && err.constraint === "orders_submission_key" && enterpriseId) {
          const order = await deps.orderRepo(db).bySubmissionKey(enterpriseId, keyText);
          if (order) return ok({ order, replayed: true });
        }
        throw err;
      }
    },

    /** 取消订单 by the ordering enterprise while 待接单 (409 otherwise): 订单取消, reservation released, one event. */
    async cancel(accountId: string, orderId: string, reasonRaw?: string, requestId?: string, expectedVersion?: number): Promise<Result<Order>> {
      return enterpriseAct(accountId, orderId, "cancel", reasonRaw, expectedVersion, requestId);
    },

    /** 提出异议 by the ordering enterprise in 待支付尾款, with a required reason: 争议处理中, for an operator to decide. */
    async dispute(
      accountId: string,
      orderId: string,
      reasonRaw: string | undefined,
      expectedVersion: number | undefined,
      requestId?: string,
    ): Promise<Result<Order>> {
      return enterpriseAct(accountId, orderId, "dispute", reasonRaw, expectedVersion, requestId);
    },

    /**
     * 我购买的服务 of the signed-in enterprise (its id as the viewer loaded it): its orders in one tab
     * (全部 for an unknown tab), a page of them and every tab's count.
     */
    async mine(enterpriseId: string, tab: unknown, page: unknown) {
      return ok(await listFor({ enterpriseId }, tab, page));
    },

    /**
     * One of the signed-in enterprise's own orders as its page shows it (the order, its timeline and
     * money lines, 服务成果 with its files' names, 评价, 协商终止) and the enterprise's actions; another
     * enterprise's order is 404.
     */
    async myOrder(enterpriseId: string, orderId: string) {
      const v = await deps.orderRepo(db).view(orderId);
      if (!v || v.order.enterpriseId !== enterpriseId) return fail({ _form: "订单不存在" }, 404);
      return ok({ ...(await orderView(v)), actions: actionsFor(v.order.status, "enterprise") });
    },

    /**
     * One order of the provider that sells its product (the signed-in enterprise's provider record),
     * as its page shows it (see myOrder), with the ordering enterprise's name and the provider's
     * actions. An enterprise that is no provider: 403; another provider's order or an unknown id: 404.
     */
    async providerOrder(enterpriseId: string, orderId: string) {
      const [provider, v] = await Promise.all([deps.catalog.providerOfEnterprise(enterpriseId), deps.orderRepo(db).view(orderId)]);
      if (!provider) return fail({ _form: "仅入库服务商可以查看订单管理" }, 403);
      if (!v || v.order.providerId !== provider.id) return fail({ _form: "订单不存在" }, 404);
      const suspended = provider.status !== "active";
      const actions = actionsFor(v.order.status, "provider").filter((a) => !suspended || a !== "accept");
      return ok({ ...(await orderView(v)), enterpriseName: v.enterpriseName, actions, suspended });
    },

    /** 接单 by the provider that sells the product, while 待接单 and on the page's version: 待制定合同, one event. */
    async accept(accountId: string, orderId: string, expectedVersion: number | undefined, requestId?: string): Promise<Result<Order>> {
      return providerAct(accountId, orderId, "accept", null, expectedVersion, requestId);
    },

    /** 拒单 with a required reason: 已拒单, the voucher reservation released in the same transaction, one event. */
    async decline(
      accountId: string,
      orderId: string,
      reasonRaw: string | undefined,
      expectedVersion: number | undefined,
      requestId?: string,
    ): Promise<Result<Order>> {
      const reason = checkReason("decline", reasonRaw);
      if ("error" in reason) return fail({ reason: reason.error });
      return providerAct(accountId, orderId, "decline", reason.reason, expectedVersion, requestId);
    },

    /** 订单管理 of a provider (the signed-in enterprise's provider record): its own orders in one tab (with the ordering enterprise's name on each row), with every tab's count. */
    async providerOrders(enterpriseId: string, tab: unknown, page: unknown) {
      const provider = await deps.catalog.providerOfEnterprise(enterpriseId);
      if (!provider) return fail({ _form: "仅入库服务商可以查看订单管理" }, 403);
      return ok(await listFor({ providerId: provider.id }, tab, page));
    },
  };
}
export type OrderService = ReturnType<typeof orderService>;
