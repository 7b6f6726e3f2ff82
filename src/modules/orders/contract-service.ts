/**
 * 制定合同 (the provider writes versions and 提交企业确认) and the enterprise's decision (同意 freezes
 * a version with the SHA-256 of its canonical content, 退回修改 sends it back with a reason). See
 * docs/orders.md "Contracts and versions".
 */
import { createHash } from "node:crypto";
import type { Db } from "../../ports/db.ts";
import { type Result, fail, ok } from "../../lib/result.ts";
import { availableFen } from "../vouchers/domain.ts";
import type { CatalogService } from "../catalog/service.ts";
import { type OrderCore, STALE_ORDER, inTransaction, refuse, refusalsOf } from "./core-service.ts";
import {
  type ContractContent,
  type ContractParty,
  type ContractTerms,
  type StoredContractVersion,
  type VoucherTerms,
  actionsFor,
  canonicalContract,
  checkContract,
  checkReason,
  contractEditable,
  diffContract,
  initialContract,
  nextVersion,
  transition,
  versionAfter,
  visibleToEnterprise,
} from "./domain.ts";
import type { Order } from "./ports.ts";
import type { OrderDeps } from "./service.ts";

/** A provider as the catalog service answers it. */
type Provider = NonNullable<Awaited<ReturnType<CatalogService["providerOfAccount"]>>>;

export const CONTRACT_CHANGED = "合同已更新，请查看最新版本后再操作";

/** The SHA-256 (hex) of a version's canonical content: what 同意 stores and signing (issue 12) will sign. */
export const contractHash = (c: ContractContent) => createHash("sha256").update(canonicalContract(c), "utf8").digest("hex");

export function contractUseCases(deps: OrderDeps, core: OrderCore) {
  const { db } = deps;
  const now = () => deps.clock.now();

  /** 甲方 and 乙方 as their current certifications name them (the order's provider as the caller already read it). */
  async function parties(order: Order, provider: Provider): Promise<{ partyA: ContractParty; partyB: ContractParty }> {
    const [a, b] = await Promise.all([deps.enterprises.contractParty(order.enterpriseId), deps.enterprises.contractParty(provider.enterpriseId)]);
    const blank = (name: string): ContractParty => ({ name, creditCode: "", legalName: "", address: "" });
    return { partyA: a ?? blank(""), partyB: b ?? blank(provider.name) };
  }

  /**
   * The voucher's terms for recomputing this order's deduction: its rate and cap, and what it
   * could give this order (what is left on the account plus what the order already holds).
   * With `tx` the account is locked (提交企业确认); without, it is a plain read for the form's preview.
   */
  async function voucherTerms(order: Order, tx?: Db): Promise<{ terms: VoucherTerms | null; held: number }> {
    if (!order.voucherAccountId) return { terms: null, held: 0 };
    const input = { accountId: order.voucherAccountId, orderId: order.id };
    const [read, held] = tx
      ? [await deps.vouchers.ledger.lock(tx, order.voucherAccountId), await deps.vouchers.ledger.heldFor(tx, input)]
      : await Promise.all([
          Promise.all([
            deps.vouchers.ledger.accountTotals(db, order.voucherAccountId),
            deps.vouchers.programmeOfAccount(order.enterpriseId, order.voucherAccountId),
          ]).then(([account, programme]) => (account && programme ? { account, programme } : undefined)),
          deps.vouchers.ledger.heldFor(db, input),
        ]);
    if (!read) return { terms: null, held };
    const { account, programme } = read;
    return { terms: { rateBp: programme.subsidyRateBp, capFen: programme.perOrderCapFen, availableFen: availableFen(account) + held }, held };
  }

  /** The provider of an account, or a refusal (403): read before any transaction (PGlite has one connection). */
  async function providerOf(accountId: string) {
    const provider = await deps.catalog.providerOfAccount(accountId);
    if (!provider) return refuse({ _form: "仅入库服务商可以制定合同" }, 403);
    return provider;
  }

  /** One of this provider's orders (locked in `tx`), or 404. */
  async function providerOrder(providerId: string, orderId: string, tx?: Db): Promise<Order> {
    const order = await deps.orderRepo(tx ?? db).byId(orderId, Boolean(tx));
    if (!order || order.providerId !== providerId) return refuse({ _form: "订单不存在" }, 404);
    return order;
  }

  /** The enterprise's own order (locked in `tx`), or 404. */
  async function enterpriseOrder(accountId: string, orderId: string, tx?: Db): Promise<Order> {
    const enterprise = await deps.enterprises.ofAccount(accountId, tx ?? db);
    const order = enterprise ? await deps.orderRepo(tx ?? db).byId(orderId, Boolean(tx)) : undefined;
    if (!order || order.enterpriseId !== enterprise!.id) return refuse({ _form: "订单不存在" }, 404);
    return order;
  }

  /** Writes the provider's terms to the version it edits (the draft in place, or version n + 1) after checking them; the version written. */
  async function write(
    tx: Db,
    order: Order,
    terms: ContractTerms,
    names: { partyA: ContractParty; partyB: ContractParty },
  ): Promise<{ version: number; content: ContractContent }> {
    const repo = deps.orderRepo(tx);
    const versions = await repo.contractVersions(order.id);
    const current = versions.at(-1);
    const editable = contractEditable(order.status, current);
    if (!editable.ok) return refuse({ _form: editable.message }, 409);
    const content: ContractContent = { ...names, ...terms };
    const { terms: voucher } = await voucherTerms(order, tx);
    const checked = checkContract(content, { unitPriceFen: order.unitPriceFen, quantity: order.quantity, voucher });
    if (Object.keys(checked.errors).length) return refuse(checked.errors);
    const target = nextVersion(current, content);
    if (target.create) await repo.createVersion(order.id, target.version, content, now());
    else if (!(await repo.updateDraft(order.id, target.version, content, now()))) return refuse({ _form: CONTRACT_CHANGED }, 409);
    return { version: target.version, content };
  }

  return {
    /**
     * 制定合同 for the provider: the order, every version so far, the content of the form (the draft
     * being written, or the next version prefilled from the last one, or the first one prefilled from
     * both certifications and the snapshot), whether it may be written now, and the amounts of that
     * content (补贴券抵扣 recomputed from 合同金额).
     */
    async providerContract(accountId: string, orderId: string) {
      return refusalsOf(async () => {
        const provider = await providerOf(accountId);
        const order = await providerOrder(provider.id, orderId);
        const versions = await deps.orderRepo(db).contractVersions(order.id);
        const current = versions.at(-1);
        const editable = contractEditable(order.status, current);
        const fresh = await parties(order, provider);
        const base = current ? current.content : initialContract(order, fresh.partyA, fresh.partyB);
        const content: ContractContent = editable.ok ? { ...base, ...fresh } : (current?.content ?? base);
        const { terms } = await voucherTerms(order);
        const checked = checkContract(content, { unitPriceFen: order.unitPriceFen, quantity: order.quantity, voucher: terms });
        return ok({
          order,
          versions,
          current,
          content,
          editable: editable.ok,
          editRefusal: editable.ok ? null : editable.message,
          amounts: checked.amounts ?? null,
          canSubmit: editable.ok && current?.status === "draft" && !Object.keys(checked.errors).length,
          voucher: terms,
        });
      });
    },

    /** 保存合同: the provider's terms checked and written to its draft (version n + 1 after 退回修改); 422 with the fields' messages, 409 when not 待制定合同. */
    async saveContract(accountId: string, orderId: string, terms: ContractTerms): Promise<Result<{ version: number }>> {
      return refusalsOf(async () => {
        const provider = await providerOf(accountId);
        // Both parties as certified, read before the transaction (they do not depend on the order's state).
        const names = await parties(await providerOrder(provider.id, orderId), provider);
        return inTransaction(db, async (tx) => {
          const order = await providerOrder(provider.id, orderId, tx);
          await core.assertNotFrozen(tx, order);
          const { version } = await write(tx, order, { ...terms }, names);
          return ok({ version });
        });
      });
    },

    /**
     * 提交企业确认: the draft `contractVersion` (the one the provider previewed) becomes `submitted`,
     * the order's money follows its 合同金额 and 定金 (the deduction recomputed under the account
     * lock and the reservation moved by the difference, ref `contract:v<n>`), and the order goes to
     * 待确认合同, all in one transaction.
     */
    async submitContract(
      accountId: string,
      orderId: string,
      contractVersion: number,
      expectedVersion: number | undefined,
      requestId?: string,
    ): Promise<Result<Order>> {
      return refusalsOf(async () => {
        const provider = await providerOf(accountId);
        return inTransaction(db, (tx) => submitIn(tx, provider.id));
      });
      async function submitIn(tx: Db, providerId: string): Promise<Result<Order>> {
        const order = await providerOrder(providerId, orderId, tx);
        if (expectedVersion !== undefined && expectedVersion !== order.version) return refuse({ _form: STALE_ORDER }, 409);
        const repo = deps.orderRepo(tx);
        const current = (await repo.contractVersions(order.id)).at(-1);
        if (!current || (order.status === "contract_drafting" && current.status !== "draft")) return refuse({ _form: "请先填写并保存合同" }, 409);
        if (current.version !== contractVersion) return refuse({ _form: CONTRACT_CHANGED }, 409);
        const { terms: voucher, held } = await voucherTerms(order, tx);
        const checked = checkContract(current.content, { unitPriceFen: order.unitPriceFen, quantity: order.quantity, voucher });
        if (!checked.amounts) return refuse({ _form: Object.values(checked.errors)[0] ?? "合同内容不完整" });
        const m = checked.amounts;
        const at = now();
        const updated = await core.apply(tx, order, {
          action: "submit_contract",
          actor: "provider",
          actorId: accountId,
          reason: null,
          requestId,
          patch: { contractFen: m.contractFen, deductionFen: m.deductionFen, selfPayFen: m.selfPayFen, depositFen: m.depositFen },
        });
        if (!(await repo.setVersionStatus(order.id, current.version, "draft", "submitted", at))) return refuse({ _form: CONTRACT_CHANGED }, 409);
        const diff = m.deductionFen - held;
        if (order.voucherAccountId && diff !== 0) {
          const move = { accountId: order.voucherAccountId, orderId: order.id, ref: `contract:v${current.version}` };
          if (diff > 0) {
            const entry = await deps.vouchers.ledger.reserve(tx, { ...move, enterpriseId: order.enterpriseId, amountFen: diff });
            await repo.addMoneyLine(order.id, "voucher_reserved", entry.amountFen, String(entry.id), at);
          } else {
            const entry = await deps.vouchers.ledger.releasePart(tx, { ...move, amountFen: -diff });
            await repo.addMoneyLine(order.id, "voucher_released", entry.amountFen, String(entry.id), at);
          }
        }
        return ok(updated);
      }
    },

    /**
     * The enterprise's contract: every version the provider submitted (never a draft), the one to
     * decide on (the latest), what changed from the version before it, field by field, and whether
     * 同意 / 退回修改 apply now. An order without a submitted version yet: `current` is undefined.
     */
    async myContract(accountId: string, orderId: string) {
      return refusalsOf(async () => {
        const order = await enterpriseOrder(accountId, orderId);
        const versions = (await deps.orderRepo(db).contractVersions(order.id)).filter(visibleToEnterprise);
        const current = versions.at(-1);
        const previous = versions.at(-2);
        const open = order.status === "contract_review" && current?.status === "submitted";
        const actions = open ? actionsFor(order.status, "enterprise").filter((a) => a === "agree_contract" || a === "return_contract") : [];
        return ok({ order, versions, current, previous, changes: current && previous ? diffContract(previous.content, current.content) : [], actions });
      });
    },

    /** 同意: the submitted version `contractVersion` is frozen with its SHA-256 and the order goes to 待签合同. */
    async agreeContract(
      accountId: string,
      orderId: string,
      contractVersion: number,
      expectedVersion: number | undefined,
      requestId?: string,
    ): Promise<Result<{ order: Order; sha256: string }>> {
      return inTransaction(db, async (tx) => {
        const order = await enterpriseOrder(accountId, orderId, tx);
        const current = await deciding(tx, order, contractVersion, "agree_contract");
        const sha256 = contractHash(current.content);
        const updated = await core.apply(tx, order, {
          action: "agree_contract",
          actor: "enterprise",
          actorId: accountId,
          reason: null,
          requestId,
          expectedVersion,
        });
        if (!(await deps.orderRepo(tx).setVersionStatus(order.id, current.version, "submitted", "agreed", now(), { sha256 }))) {
          return refuse({ _form: CONTRACT_CHANGED }, 409);
        }
        // 待签合同: the signing module starts the sign flow once this transaction commits.
        deps.contractAgreed?.(tx, updated.id);
        return ok({ order: updated, sha256 });
      });
    },

    /** 退回修改 with a required reason: the version is returned and the order goes back to 待制定合同 for the provider's next version. */
    async returnContract(
      accountId: string,
      orderId: string,
      contractVersion: number,
      reasonRaw: string | undefined,
      expectedVersion: number | undefined,
      requestId?: string,
    ): Promise<Result<Order>> {
      const reason = checkReason("return_contract", reasonRaw);
      if ("error" in reason) return fail({ reason: reason.error });
      return inTransaction(db, async (tx) => {
        const order = await enterpriseOrder(accountId, orderId, tx);
        const current = await deciding(tx, order, contractVersion, "return_contract");
        const updated = await core.apply(tx, order, {
          action: "return_contract",
          actor: "enterprise",
          actorId: accountId,
          reason: reason.reason,
          requestId,
          expectedVersion,
        });
        const returned = await deps.orderRepo(tx).setVersionStatus(order.id, current.version, "submitted", "returned", now(), {
          returnReason: reason.reason ?? "",
        });
        if (!returned) return refuse({ _form: CONTRACT_CHANGED }, 409);
        return ok(updated);
      });
    },
  };

  /** The submitted version the enterprise decides on: the order in 待确认合同, the version the latest and the one its page showed. */
  async function deciding(tx: Db, order: Order, contractVersion: number, action: "agree_contract" | "return_contract"): Promise<StoredContractVersion> {
    const t = transition(order.status, action, "enterprise");
    if (!t.ok) return refuse({ _form: t.message }, t.code === "wrong_actor" ? 403 : 409);
    const current = (await deps.orderRepo(tx).contractVersions(order.id)).at(-1);
    if (!current || current.version !== contractVersion || versionAfter(current.status, action) === undefined)
      return refuse({ _form: CONTRACT_CHANGED }, 409);
    return current;
  }
}
