/**
 * 兑付 (docs/settlement.md): the provider's 申请兑付 of the voucher part of its 已完成 orders with the
 * invoice and the acceptance report; finance's review (checklist, 审核通过 under the yearly cap,
 * 驳回, 抽查); 公示 for SETTLEMENT_PUBLICITY_DAYS (an objection through 我要留言 or an operator pauses
 * it); 拨付 in batches through the payments module's payout, whose confirmation moves the ledger from
 * consumed to settled in the same transaction. Every transition locks the application's row, checks
 * the table (domain.ts) and writes one event.
 */
import { createHash } from "node:crypto";
import type { Clock } from "../../ports/clock.ts";
import { type Db, UniqueViolation } from "../../ports/db.ts";
import type { Jobs } from "../../ports/jobs.ts";
import { readYuan, yuan } from "../../lib/money.ts";
import { pageOf, pagesOf } from "../../lib/paging.ts";
import { type Failure, type Result, fail, ok } from "../../lib/result.ts";
import type { Audit } from "../audit/service.ts";
import type { CatalogService } from "../catalog/service.ts";
import type { EnterpriseService } from "../enterprises/service.ts";
import type { FileService } from "../files/service.ts";
import type { OrderService } from "../orders/service.ts";
import type { PaymentService } from "../payments/service.ts";
import type { SigningService } from "../signing/service.ts";
import { LedgerError, type VoucherService } from "../vouchers/service.ts";
import {
  type SettlementAction,
  type SettlementActor,
  SETTLEMENT_STATUS_TEXT,
  type SettlementStatus,
  actionsOf,
  checkReason,
  checklist,
  formatSettlementNumber,
  isSettlementStatus,
  settlementNumbersIn,
  settlementTransition,
  withinCap,
} from "./domain.ts";
import type { PayoutLineRow, Settlement, SettlementPatch, SettlementRepositoryFactory, SettlementRow } from "./ports.ts";
import { defineExport } from "../exports/domain.ts";

export const SETTLEMENT_PAGE_SIZE = 20;
export const SETTLEMENT_ORDERS_MAX = 50;
export const PUBLICITY_JOB = "settlement-publicity";
export const PUBLICITY_CRON = "*/10 * * * *";
export const PAYOUT_RECONCILE_JOB = "settlement-payout-reconcile";
export const PAYOUT_RECONCILE_CRON = "*/5 * * * *";
/** Staff who review and pay out; operators read and handle objections. */
export const SETTLEMENT_REVIEWERS = ["finance", "super_admin"] as const;
export const SETTLEMENT_READERS = ["finance", "super_admin", "operator"] as const;
export const SETTLEMENT_OBJECTION_HANDLERS = ["operator", "super_admin"] as const;

export type SettlementDeps = {
  db: Db;
  clock: Clock;
  repo: SettlementRepositoryFactory;
  orders: OrderService;
  vouchers: VoucherService;
  catalog: CatalogService;
  enterprises: EnterpriseService;
  files: FileService;
  signing: Pick<SigningService, "signedDigest">;
  payments: Pick<PaymentService, "sendPayout" | "reconcilePayout">;
  /** 暂停交易 (fraud): a suspended provider neither applies nor is approved or paid. */
  suspensions?: { frozenNotice(parties: { enterpriseId?: string; providerId: string }): Promise<string | null> };
  audit: Audit;
  jobs: Jobs;
  publicityDays: number;
  generalCapFen: number;
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
};

type Staff = { id: string; role: string };
type Upload = { name: string; bytes: Uint8Array };
export type ApplyInput = { orderIds: string[]; invoiceAmount: string; invoice?: Upload; acceptance?: Upload };

class Refused extends Error {
  constructor(readonly failure: Failure) {
    super("refused");
  }
}
const refuse = (errors: Record<string, string>, status: Failure["status"] = 422): never => {
  throw new Refused(fail(errors, status));
};
const has = (roles: readonly string[], role: string) => roles.includes(role);
const DAY_MS = 86_400_000;
export const fingerprint = (accountNumber: string) => createHash("sha256").update(accountNumber.replace(/\s/g, "")).digest("hex");

export function settlementService(deps: SettlementDeps) {
  const { db } = deps;
  const now = () => deps.clock.now();
  const repo = (d: Db = db) => deps.repo(d);

  async function inTx<T>(fn: (tx: Db) => Promise<Result<T>>): Promise<Result<T>> {
    try {
      return await db.transaction(fn);
    } catch (err) {
      if (err instanceof Refused) return err.failure;
      if (err instanceof LedgerError) return fail({ _form: err.message }, 409);
      throw err;
    }
  }

  /** One transition of a locked application: the table's answer, the version, the event. */
  async function move(
    tx: Db,
    s: Settlement,
    action: SettlementAction,
    actor: SettlementActor,
    actorId: string | null,
    reason: string | null,
    patch?: SettlementPatch,
    expectedVersion?: number,
  ): Promise<Settlement> {
    const t = settlementTransition(s.status, action, actor);
    if (!t.ok) return refuse({ _form: t.message }, t.status);
    if (expectedVersion !== undefined && expectedVersion !== s.version) return refuse({ _form: "兑付申请已发生变化，请刷新页面查看最新状态" }, 409);
    const moved = await repo(tx).transition(s.id, s.version, t.to, now(), { actorType: actor, actorId, action, fromStatus: s.status, reason }, patch);
    if (!moved) return refuse({ _form: "兑付申请已发生变化，请刷新页面查看最新状态" }, 409);
    return moved;
  }

  /** The provider of an account (read before any transaction). */
  const providerOf = (accountId: string) => deps.catalog.providerOfAccount(accountId);

  /** The orders a provider may apply for now: 已完成, voucher consumed and not settled, in no live application. */
  async function eligible(providerId: string) {
    const rows = await deps.orders.completedWithVoucher(providerId);
    const held = new Set(await repo().heldOrders(rows.map((r) => r.id)));
    const facts = await deps.orders.settlementFacts(rows.filter((r) => !held.has(r.id)).map((r) => r.id));
    return facts
      .filter((f) => f.consumed && !f.settled && f.order.voucherAccountId)
      .map((f) => ({
        ...f,
        title: rows.find((r) => r.id === f.order.id)?.title ?? "",
        enterpriseName: rows.find((r) => r.id === f.order.id)?.enterpriseName ?? "",
      }));
  }

  function readInvoiceAmount(raw: string): { fen: number } | { error: string } {
    const r = readYuan(raw ?? "");
    if ("problem" in r) return { error: r.problem === "empty" ? "请填写发票金额" : "发票金额格式不正确，如 8000 或 8000.50" };
    if (r.fen <= 0) return { error: "发票金额应大于0" };
    return r;
  }

  /** Checks the two documents (PDF, JPG, PNG) before anything is written. */
  function checkDocs(input: { invoice?: Upload; acceptance?: Upload }, errors: Record<string, string>) {
    if (!input.invoice?.bytes.length) errors.invoice = "请上传发票";
    else {
      const bad = deps.files.check(input.invoice);
      if (bad) errors.invoice = bad;
    }
    if (!input.acceptance?.bytes.length) errors.acceptance = "请上传验收报告";
    else {
      const bad = deps.files.check(input.acceptance);
      if (bad) errors.acceptance = bad;
    }
  }

  /** The facts of the review's checklist, read outside any transaction. */
  async function reviewFacts(s: Settlement) {
    const orders = await repo().orders(s.id);
    const facts = await deps.orders.settlementFacts(orders.map((o) => o.orderId));
    const digests = await Promise.all(orders.map((o) => deps.signing.signedDigest(o.orderId)));
    const provider = await deps.catalog.provider(s.providerId);
    const payee = provider ? await deps.enterprises.paymentAccount(provider.enterpriseId) : undefined;
    const files = await repo().files(s.id);
    const items = checklist({
      invoiceAmountFen: s.invoiceAmountFen,
      contractFen: s.contractFen,
      invoiceFile: files.some((f) => f.kind === "invoice" && f.fileId === s.invoiceFileId),
      acceptanceFile: files.some((f) => f.kind === "acceptance" && f.fileId === s.acceptanceFileId),
      orders: facts.map((f, i) => ({
        orderId: f.order.id,
        number: f.order.number,
        status: f.order.status,
        contractFen: f.order.contractFen,
        deductionFen: f.order.deductionFen,
        selfPayFen: f.order.selfPayFen,
        paidFen: f.paidFen,
        consumed: f.consumed,
        openDispute: f.openDispute,
        contractSha256: digests[i] ?? null,
      })),
      providerActive: provider?.status === "active",
      payee: !!payee,
    });
    return { orders, facts, digests, provider, payee, files, items };
  }

  /** The yearly 通用券 cap: what this application's orders add per service year, under the year rows' locks. */
  async function checkCap(tx: Db, s: Pick<Settlement, "providerId" | "generalFen" | "serviceYear">) {
    if (!s.generalFen) return;
    const approved = await repo(tx).lockYear(s.providerId, s.serviceYear);
    const cap = withinCap(approved, s.generalFen, deps.generalCapFen);
    if (!cap.ok) {
      refuse(
        {
          _form: `超出年度兑付上限：${s.serviceYear}年通用券兑付上限为${yuan(deps.generalCapFen)}，已审核通过${yuan(approved)}，本次通用券部分${yuan(s.generalFen)}，最多还可兑付${yuan(cap.leftFen)}；请减少订单后重新提交`,
        },
        422,
      );
    }
  }

  /** The payout of one application after commit; a refusal of the channel puts it back to 待拨付 with the reason. */
  async function sendPayout(settlementId: string): Promise<void> {
    const s = await repo().byId(settlementId);
    if (s?.status !== "paying" || !s.payoutNo) return;
    const provider = await deps.catalog.provider(s.providerId);
    const payee = provider ? await deps.enterprises.paymentAccount(provider.enterpriseId) : undefined;
    if (!payee) return;
    const sent = await deps.payments.sendPayout({ payoutNo: s.payoutNo, payee, amountFen: s.amountFen, memo: `服务券兑付 ${s.number}` });
    if (!sent.ok) {
      await inTx(async (tx) => {
        const locked = await repo(tx).byId(s.id, true);
        if (locked?.status !== "paying" || locked.payoutNo !== s.payoutNo) return ok(null);
        await move(tx, locked, "payout_failed", "system", null, sent.errors._form ?? "拨付失败", {
          payoutFailure: (sent.errors._form ?? "拨付失败").slice(0, 200),
        });
        return ok(null);
      });
    }
  }

  /** The review queue's filter as its route parsed it (the page and its export read the same). */
  const queueFilter = (q: { status?: string; provider?: string; number?: string }) => {
    const number = q.number?.replace(/\s+/g, "").toUpperCase();
    return {
      status: isSettlementStatus(q.status) ? q.status : undefined,
      providerName: q.provider?.trim() || undefined,
      number: number && /^[0-9A-Z]{1,24}$/.test(number) ? number : undefined,
    };
  };

  /** 导出 CSV / 导出 Excel of the review queue (docs/exports.md): a small table, read in one batch. */
  const exportSource = defineExport<{ status?: string; provider?: string; number?: string }, SettlementRow>({
    key: "settlements",
    title: "兑付申请",
    listPath: "/admin/settlements",
    readers: SETTLEMENT_READERS,
    columns: [
      { header: "申请编号", kind: "text", value: (s) => s.number, width: 20 },
      { header: "服务机构", kind: "text", value: (s) => s.providerName, width: 30 },
      { header: "状态", kind: "text", value: (s) => SETTLEMENT_STATUS_TEXT[s.status], width: 10 },
      { header: "订单数", kind: "integer", value: (s) => s.orderCount },
      { header: "合同金额（元）", kind: "money", value: (s) => s.contractFen },
      { header: "兑付金额（元）", kind: "money", value: (s) => s.amountFen },
      { header: "其中通用券（元）", kind: "money", value: (s) => s.generalFen },
      { header: "服务年度", kind: "integer", value: (s) => s.serviceYear },
      { header: "提交时间", kind: "time", value: (s) => s.submittedAt },
      { header: "拨付单号", kind: "text", value: (s) => s.payoutNo, width: 24 },
      { header: "拨付时间", kind: "time", value: (s) => s.paidAt },
    ],
    count: async (q, asOf) => (await repo().list(queueFilter(q), 10_000, 0)).rows.filter((s) => s.submittedAt <= asOf).length,
    async rows(q, asOf) {
      const { rows } = await repo().list(queueFilter(q), 10_000, 0);
      return { rows: rows.filter((s) => s.submittedAt <= asOf), cursor: undefined };
    },
  });

  /** 导出 of 拨付明细: the applications of the payout batches (one batch, or all), newest batch first. */
  const batchQuery = (q: { batch?: string }) => {
    const number = q.batch?.replace(/\s+/g, "").toUpperCase();
    return number && /^PC[0-9]{14,20}$/.test(number) ? number : undefined;
  };
  const batchExport = defineExport<{ batch?: string }, PayoutLineRow>({
    key: "payout_batches",
    title: "拨付明细",
    listPath: "/admin/settlements/payouts",
    readers: SETTLEMENT_READERS,
    columns: [
      { header: "拨付批次", kind: "text", value: (r) => r.batchNumber, width: 20 },
      { header: "批次时间", kind: "time", value: (r) => r.batchAt },
      { header: "申请编号", kind: "text", value: (r) => r.number, width: 20 },
      { header: "服务机构", kind: "text", value: (r) => r.providerName, width: 30 },
      { header: "兑付金额（元）", kind: "money", value: (r) => r.amountFen },
      { header: "收款户名", kind: "text", value: (r) => r.payeeName, width: 30 },
      { header: "开户银行", kind: "text", value: (r) => r.payeeBank, width: 24 },
      { header: "账号尾号", kind: "text", value: (r) => r.payeeLast4, width: 8 },
      { header: "拨付单号", kind: "text", value: (r) => r.payoutNo, width: 24 },
      { header: "状态", kind: "text", value: (r) => SETTLEMENT_STATUS_TEXT[r.status], width: 10 },
      { header: "到账时间", kind: "time", value: (r) => r.paidAt },
      { header: "失败原因", kind: "text", value: (r) => r.payoutFailure, width: 30 },
    ],
    count: async (q) => (await repo().payoutLines(batchQuery(q), 1, 0)).total,
    async rows(q, _asOf, limit, cursor) {
      const offset = cursor ? Number(cursor) : 0;
      const { rows } = await repo().payoutLines(batchQuery(q), limit, offset);
      return { rows, cursor: rows.length === limit ? String(offset + limit) : undefined };
    },
  });

  const service = {
    exportSource,
    batchExport,
    /** 拨付批次 (the payout page): newest first, a page of them. */
    async batches(staff: Staff, page: unknown) {
      if (!has(SETTLEMENT_READERS, staff.role)) return fail({ _form: "您的角色无权查看兑付拨付" }, 403);
      const pageNo = pageOf(page);
      const { rows, total } = await repo().batches(SETTLEMENT_PAGE_SIZE, (pageNo - 1) * SETTLEMENT_PAGE_SIZE);
      return ok({ rows, total, pageNo, pages: pagesOf(total, SETTLEMENT_PAGE_SIZE) });
    },
    eligible: async (accountId: string) => {
      const provider = await providerOf(accountId);
      if (!provider) return fail({ _form: "仅入库服务商可以申请兑付" }, 403);
      return ok({ provider, orders: await eligible(provider.id) });
    },

    /**
     * 申请兑付: the ticked orders (1..50, each eligible now), the invoice amount (= the orders' 合同金额
     * together), the invoice and the acceptance report. The orders are held by the application from
     * now on; 通用券 over the provider's yearly cap is refused with what is left.
     */
    async apply(accountId: string, input: ApplyInput, requestId?: string): Promise<Result<Settlement>> {
      const provider = await providerOf(accountId);
      if (!provider) return fail({ _form: "仅入库服务商可以申请兑付" }, 403);
      if (provider.status !== "active") return fail({ _form: "服务商已暂停，不能申请兑付" }, 403);
      const frozen = await deps.suspensions?.frozenNotice({ providerId: provider.id });
      if (frozen) return fail({ _form: "服务机构已被平台暂停交易，暂不能申请兑付；如有疑问请联系平台运营人员" }, 403);
      const errors: Record<string, string> = {};
      const ids = [...new Set(input.orderIds)];
      if (!ids.length) errors.orders = "请选择要兑付的订单";
      else if (ids.length > SETTLEMENT_ORDERS_MAX) errors.orders = `一次最多申请${SETTLEMENT_ORDERS_MAX}个订单`;
      const amount = readInvoiceAmount(input.invoiceAmount);
      if ("error" in amount) errors.invoiceAmount = amount.error;
      checkDocs(input, errors);
      if (Object.keys(errors).length) return fail(errors);
      const candidates = await eligible(provider.id);
      const chosen = ids.map((id) => candidates.find((c) => c.order.id === id));
      if (chosen.some((c) => !c))
        return fail({ orders: "所选订单不可申请兑付（不是本服务机构已完成且使用补贴券的订单，或已在兑付申请中），请刷新页面重新选择" }, 409);
      const picked = chosen as NonNullable<(typeof chosen)[number]>[];
      const programmes = await Promise.all(picked.map((c) => deps.vouchers.programmeOfAccount(c.order.enterpriseId, c.order.voucherAccountId!)));
      if (programmes.some((p) => !p)) return fail({ orders: "订单的服务券不存在" }, 409);
      const years = new Set(programmes.map((p) => p!.year));
      if (years.size > 1) return fail({ orders: "一次申请只能包含同一服务年度的订单，请分开申请" }, 422);
      const contractFen = picked.reduce((n, c) => n + c.order.contractFen, 0);
      if ("fen" in amount && amount.fen !== contractFen) {
        return fail({ invoiceAmount: `发票金额应与所选订单的合同金额合计${yuan(contractFen)}一致（含企业自付和补贴券抵扣部分）` }, 422);
      }
      const amountFen = picked.reduce((n, c) => n + c.order.deductionFen, 0);
      const generalFen = picked.reduce((n, c, i) => n + (programmes[i]!.kind === "general" ? c.order.deductionFen : 0), 0);
      const serviceYear = programmes[0]!.year;
      return inTx(async (tx) => {
        await checkCap(tx, { providerId: provider.id, generalFen, serviceYear });
        const at = now();
        const stored = [];
        for (const f of [input.invoice!, input.acceptance!]) {
          const r = await deps.files.store(tx, { ...f, ownerEnterpriseId: provider.enterpriseId, purpose: "settlement", accountId });
          if (!r.ok) return refuse({ _form: r.message });
          stored.push(r.file.id);
        }
        const number = formatSettlementNumber(at, await repo(tx).nextSequence());
        try {
          const s = await repo(tx).insert(
            {
              number,
              providerId: provider.id,
              amountFen,
              generalFen,
              contractFen,
              invoiceAmountFen: contractFen,
              invoiceFileId: stored[0]!,
              acceptanceFileId: stored[1]!,
              serviceYear,
              at,
            },
            picked.map((c, i) => ({
              orderId: c.order.id,
              orderNumber: c.order.number,
              enterpriseId: c.order.enterpriseId,
              voucherAccountId: c.order.voucherAccountId!,
              programmeId: programmes[i]!.id,
              programmeName: programmes[i]!.name,
              programmeKind: programmes[i]!.kind,
              voucherFen: c.order.deductionFen,
              contractFen: c.order.contractFen,
            })),
            { actorType: "provider", actorId: accountId, action: "apply", fromStatus: null, toStatus: "pending", reason: null },
          );
          deps.log?.info({ settlement: s.number, requestId }, "settlement applied");
          return ok(s);
        } catch (err) {
          if (err instanceof UniqueViolation) return refuse({ orders: "所选订单已在其他兑付申请中，请刷新页面重新选择" }, 409);
          throw err;
        }
      });
    },

    /** 兑付管理: the provider's applications in one status (all without one), a page of them. */
    async mine(accountId: string, statusRaw: unknown, page: unknown) {
      const provider = await providerOf(accountId);
      if (!provider) return fail({ _form: "仅入库服务商可以查看兑付管理" }, 403);
      const status = isSettlementStatus(statusRaw) ? statusRaw : undefined;
      const pageNo = pageOf(page);
      const { rows, total } = await repo().list({ providerId: provider.id, status }, SETTLEMENT_PAGE_SIZE, (pageNo - 1) * SETTLEMENT_PAGE_SIZE);
      return ok({ rows, total, pageNo, pages: pagesOf(total, SETTLEMENT_PAGE_SIZE), status });
    },

    /** One application of the provider (another provider's: 404) with its orders, files, timeline and actions. */
    async mineOne(accountId: string, id: string) {
      const provider = await providerOf(accountId);
      if (!provider) return fail({ _form: "仅入库服务商可以查看兑付管理" }, 403);
      const s = await repo().byId(id);
      if (!s || s.providerId !== provider.id) return fail({ _form: "兑付申请不存在" }, 404);
      const [orders, files, events] = await Promise.all([repo().orders(s.id), repo().files(s.id), repo().events(s.id)]);
      return ok({ settlement: s, orders, files, events, actions: actionsOf(s.status, "provider") });
    },

    /** 补充材料 (抽查中) with 1-5 files, or 重新提交 (已驳回) with a new invoice amount, invoice and acceptance report. */
    async supplement(accountId: string, id: string, files: Upload[], expectedVersion?: number): Promise<Result<Settlement>> {
      const provider = await providerOf(accountId);
      if (!provider) return fail({ _form: "仅入库服务商可以申请兑付" }, 403);
      const uploads = files.filter((f) => f.bytes.length);
      if (!uploads.length) return fail({ evidence: "请上传补充材料" });
      if (uploads.length > 5) return fail({ evidence: "补充材料最多5个文件" });
      const bad = uploads.map((f) => deps.files.check(f)).find(Boolean);
      if (bad) return fail({ evidence: bad });
      return inTx(async (tx) => {
        const s = await repo(tx).byId(id, true);
        if (!s || s.providerId !== provider.id) return refuse({ _form: "兑付申请不存在" }, 404);
        const moved = await move(tx, s, "supplement", "provider", accountId, null, {}, expectedVersion);
        for (const f of uploads) {
          const r = await deps.files.store(tx, { ...f, ownerEnterpriseId: provider.enterpriseId, purpose: "settlement", accountId });
          if (!r.ok) return refuse({ evidence: r.message });
          await repo(tx).addFile(s.id, r.file.id, "evidence", s.revision, now());
        }
        return ok(moved);
      });
    },

    async resubmit(accountId: string, id: string, input: Omit<ApplyInput, "orderIds">, expectedVersion?: number): Promise<Result<Settlement>> {
      const provider = await providerOf(accountId);
      if (!provider) return fail({ _form: "仅入库服务商可以申请兑付" }, 403);
      const errors: Record<string, string> = {};
      const amount = readInvoiceAmount(input.invoiceAmount);
      if ("error" in amount) errors.invoiceAmount = amount.error;
      checkDocs(input, errors);
      if (Object.keys(errors).length) return fail(errors);
      return inTx(async (tx) => {
        const s = await repo(tx).byId(id, true);
        if (!s || s.providerId !== provider.id) return refuse({ _form: "兑付申请不存在" }, 404);
        if ("fen" in amount && amount.fen !== s.contractFen) {
          return refuse({ invoiceAmount: `发票金额应与所选订单的合同金额合计${yuan(s.contractFen)}一致（含企业自付和补贴券抵扣部分）` });
        }
        const revision = s.revision + 1;
        const ids: string[] = [];
        for (const f of [input.invoice!, input.acceptance!]) {
          const r = await deps.files.store(tx, { ...f, ownerEnterpriseId: provider.enterpriseId, purpose: "settlement", accountId });
          if (!r.ok) return refuse({ _form: r.message });
          ids.push(r.file.id);
        }
        await repo(tx).addFile(s.id, ids[0]!, "invoice", revision, now());
        await repo(tx).addFile(s.id, ids[1]!, "acceptance", revision, now());
        return ok(
          await move(
            tx,
            s,
            "resubmit",
            "provider",
            accountId,
            null,
            { revision, invoiceAmountFen: s.contractFen, invoiceFileId: ids[0]!, acceptanceFileId: ids[1]!, reason: null },
            expectedVersion,
          ),
        );
      });
    },

    /** 撤回申请 (待审核, 抽查中, 已驳回): the orders are free to apply for again. */
    async withdraw(accountId: string, id: string, expectedVersion?: number): Promise<Result<Settlement>> {
      const provider = await providerOf(accountId);
      if (!provider) return fail({ _form: "仅入库服务商可以申请兑付" }, 403);
      return inTx(async (tx) => {
        const s = await repo(tx).byId(id, true);
        if (!s || s.providerId !== provider.id) return refuse({ _form: "兑付申请不存在" }, 404);
        const moved = await move(tx, s, "withdraw", "provider", accountId, null, {}, expectedVersion);
        await repo(tx).release(s.id);
        return ok(moved);
      });
    },

    // ---- finance ----

    /** The review queue (finance, super admin; operators read it). */
    async queue(staff: Staff, q: { status?: string; provider?: string; number?: string }, page: unknown) {
      if (!has(SETTLEMENT_READERS, staff.role)) return fail({ _form: "您的角色无权查看兑付审核" }, 403);
      const pageNo = pageOf(page);
      const f = queueFilter(q);
      const { rows, total } = await repo().list(f, SETTLEMENT_PAGE_SIZE, (pageNo - 1) * SETTLEMENT_PAGE_SIZE);
      return ok({ rows, total, pageNo, pages: pagesOf(total, SETTLEMENT_PAGE_SIZE), status: f.status });
    },

    /** One application for staff: the checklist, orders, files, timeline, and what this role may do now. */
    async review(staff: Staff, id: string) {
      if (!has(SETTLEMENT_READERS, staff.role)) return fail({ _form: "您的角色无权查看兑付审核" }, 403);
      const s = await repo().byId(id);
      if (!s) return fail({ _form: "兑付申请不存在" }, 404);
      const facts = await reviewFacts(s);
      const events = await repo().events(s.id);
      const finance = has(SETTLEMENT_REVIEWERS, staff.role) ? actionsOf(s.status, "finance") : [];
      const operator = has(SETTLEMENT_OBJECTION_HANDLERS, staff.role) ? actionsOf(s.status, "operator") : [];
      return ok({ settlement: s, ...facts, events, actions: [...new Set([...finance, ...operator])] });
    },

    /**
     * 审核通过 by finance: every checklist item passes, the yearly cap holds under the year row's lock
     * (the approved total grows by the 通用券 part), the payee account is snapshotted, and 公示 starts.
     */
    async approve(staff: Staff, id: string, expectedVersion?: number): Promise<Result<Settlement>> {
      if (!has(SETTLEMENT_REVIEWERS, staff.role)) return fail({ _form: "只有财务人员或超级管理员可以审核兑付" }, 403);
      const s0 = await repo().byId(id);
      if (!s0) return fail({ _form: "兑付申请不存在" }, 404);
      const facts = await reviewFacts(s0);
      const failed = facts.items.filter((i) => !i.ok);
      if (failed.length && s0.status === "pending") {
        return fail({ _form: `审核项未通过：${failed.map((i) => i.label + (i.detail ? `（${i.detail}）` : "")).join("；")}` }, 422);
      }
      const payee = facts.payee;
      return inTx(async (tx) => {
        const s = await repo(tx).byId(id, true);
        if (!s) return refuse({ _form: "兑付申请不存在" }, 404);
        if (s.status === "pending") await checkCap(tx, s);
        const at = now();
        const moved = await move(
          tx,
          s,
          "approve",
          "finance",
          staff.id,
          null,
          {
            decidedBy: staff.id,
            decidedAt: at,
            reason: null,
            payeeName: payee?.accountName ?? null,
            payeeBank: payee?.bankName ?? null,
            payeeLast4: payee ? payee.accountNumber.replace(/\D/g, "").slice(-4).padStart(4, "0") : null,
            payeeFingerprint: payee ? fingerprint(payee.accountNumber) : null,
            publicityUntil: new Date(at.getTime() + deps.publicityDays * DAY_MS),
          },
          expectedVersion,
        );
        if (s.generalFen) await repo(tx).addYear(s.providerId, s.serviceYear, s.generalFen);
        await deps.audit.record(tx, {
          actorType: "admin",
          actorId: staff.id,
          entityType: "settlement",
          entityId: s.id,
          action: "settlement_approved",
          fromStatus: s.status,
          toStatus: moved.status,
          data: { number: s.number, amountFen: s.amountFen },
        });
        return ok(moved);
      });
    },

    /** 驳回 (finance in 待审核; an operator in 公示暂停) with a required reason; an approved amount leaves the year's total. */
    async reject(staff: Staff, id: string, reasonRaw: string | undefined, expectedVersion?: number): Promise<Result<Settlement>> {
      const reason = checkReason(reasonRaw, "驳回原因");
      if ("error" in reason) return fail({ reason: reason.error });
      const actor: SettlementActor | undefined = has(SETTLEMENT_REVIEWERS, staff.role)
        ? "finance"
        : has(SETTLEMENT_OBJECTION_HANDLERS, staff.role)
          ? "operator"
          : undefined;
      if (!actor) return fail({ _form: "您的角色无权驳回兑付申请" }, 403);
      return inTx(async (tx) => {
        const s = await repo(tx).byId(id, true);
        if (!s) return refuse({ _form: "兑付申请不存在" }, 404);
        const by: SettlementActor = s.status === "paused" && has(SETTLEMENT_OBJECTION_HANDLERS, staff.role) ? "operator" : actor;
        const moved = await move(
          tx,
          s,
          "reject",
          by,
          staff.id,
          reason.reason,
          { reason: reason.reason, decidedBy: staff.id, decidedAt: now() },
          expectedVersion,
        );
        if (s.status === "paused" && s.generalFen) {
          await repo(tx).lockYear(s.providerId, s.serviceYear);
          await repo(tx).addYear(s.providerId, s.serviceYear, -s.generalFen);
        }
        await deps.audit.record(tx, {
          actorType: "admin",
          actorId: staff.id,
          entityType: "settlement",
          entityId: s.id,
          action: "settlement_rejected",
          fromStatus: s.status,
          toStatus: moved.status,
          reason: reason.reason,
          data: { number: s.number },
        });
        return ok(moved);
      });
    },

    /** 抽查 by finance with what the provider must add (2..200 characters). */
    async spotCheck(staff: Staff, id: string, noteRaw: string | undefined, expectedVersion?: number): Promise<Result<Settlement>> {
      if (!has(SETTLEMENT_REVIEWERS, staff.role)) return fail({ _form: "只有财务人员或超级管理员可以抽查" }, 403);
      const note = checkReason(noteRaw, "抽查说明");
      if ("error" in note) return fail({ note: note.error });
      return inTx(async (tx) => {
        const s = await repo(tx).byId(id, true);
        if (!s) return refuse({ _form: "兑付申请不存在" }, 404);
        return ok(await move(tx, s, "spot_check", "finance", staff.id, note.reason, { spotCheckNote: note.reason }, expectedVersion));
      });
    },

    /** 公示异议 registered by an operator (a note required): the publicity pauses with the days left. */
    async object(staff: Staff, id: string, noteRaw: string | undefined): Promise<Result<Settlement>> {
      if (!has(SETTLEMENT_OBJECTION_HANDLERS, staff.role)) return fail({ _form: "只有运营人员或超级管理员可以处理公示异议" }, 403);
      const note = checkReason(noteRaw, "异议说明");
      if ("error" in note) return fail({ note: note.error });
      return inTx(async (tx) => {
        const s = await repo(tx).byId(id, true);
        if (!s) return refuse({ _form: "兑付申请不存在" }, 404);
        const left = Math.max(0, (s.publicityUntil?.getTime() ?? now().getTime()) - now().getTime());
        return ok(await move(tx, s, "object", "operator", staff.id, note.reason, { pausedRemainingMs: left, publicityUntil: null }));
      });
    },

    /** 恢复公示 by an operator: the days left when it paused. */
    async resumePublicity(staff: Staff, id: string, noteRaw: string | undefined): Promise<Result<Settlement>> {
      if (!has(SETTLEMENT_OBJECTION_HANDLERS, staff.role)) return fail({ _form: "只有运营人员或超级管理员可以处理公示异议" }, 403);
      const note = checkReason(noteRaw, "处理意见");
      if ("error" in note) return fail({ note: note.error });
      return inTx(async (tx) => {
        const s = await repo(tx).byId(id, true);
        if (!s) return refuse({ _form: "兑付申请不存在" }, 404);
        const until = new Date(now().getTime() + (s.pausedRemainingMs ?? 0));
        return ok(await move(tx, s, "resume_publicity", "operator", staff.id, note.reason, { publicityUntil: until, pausedRemainingMs: null }));
      });
    },

    /**
     * A message to the platform (我要留言) that names applications in 公示中 pauses each of them
     * (an objection during 公示), in the message's transaction. The operators see it in their queue.
     */
    async objectionFromMessage(tx: Db, m: { messageId: string; text: string }): Promise<void> {
      for (const number of settlementNumbersIn(m.text)) {
        const [row] = (await repo(tx).list({ number }, 1, 0)).rows.filter((r) => r.number === number);
        if (row?.status !== "publicising") continue;
        const s = (await repo(tx).byId(row.id, true))!;
        const left = Math.max(0, (s.publicityUntil?.getTime() ?? now().getTime()) - now().getTime());
        await move(tx, s, "object", "system", null, `公示期间收到留言异议（留言编号 ${m.messageId}）`, {
          pausedRemainingMs: left,
          publicityUntil: null,
        });
      }
    },

    /** The publicity job: applications whose 公示 ended move to 待拨付 (each in its own transaction). */
    async endPublicity(): Promise<number> {
      let moved = 0;
      for (const id of await repo().publicityEnded(now(), 200)) {
        const r = await inTx(async (tx) => {
          const s = await repo(tx).byId(id, true);
          if (s?.status !== "publicising" || !s.publicityUntil || s.publicityUntil > now()) return ok(false);
          await move(tx, s, "publicity_end", "system", null, null);
          return ok(true);
        });
        if (r.ok && r.value) moved++;
      }
      return moved;
    },

    /** 待拨付 applications (the payout page). */
    async awaitingPayout(staff: Staff, page: unknown) {
      if (!has(SETTLEMENT_READERS, staff.role)) return fail({ _form: "您的角色无权查看兑付拨付" }, 403);
      const pageNo = pageOf(page);
      const { rows, total } = await repo().list({ status: "awaiting_payout" }, 100, (pageNo - 1) * 100);
      return ok({ rows, total, pageNo, pages: pagesOf(total, 100) });
    },

    /**
     * 拨付 of a batch (finance): each ticked application in 待拨付 gets a payout number and goes to
     * 拨付中, in one transaction with the batch; one whose payee account changed since approval goes
     * back to 待审核 instead. The payouts are sent after commit.
     */
    async payBatch(staff: Staff, ids: string[]): Promise<Result<{ batch: string; paying: number; rereview: number }>> {
      if (!has(SETTLEMENT_REVIEWERS, staff.role)) return fail({ _form: "只有财务人员或超级管理员可以拨付" }, 403);
      const unique = [...new Set(ids)].slice(0, 200);
      if (!unique.length) return fail({ settlements: "请选择要拨付的兑付申请" });
      // The payees as registered now (read before the transaction).
      const current = new Map<string, string | undefined>();
      for (const id of unique) {
        const s = await repo().byId(id);
        const provider = s ? await deps.catalog.provider(s.providerId) : undefined;
        const payee = provider ? await deps.enterprises.paymentAccount(provider.enterpriseId) : undefined;
        // A provider suspended for fraud (暂停交易) is not paid: its application goes back to 待审核 like a changed account.
        const frozen = s ? await deps.suspensions?.frozenNotice({ providerId: s.providerId }) : null;
        current.set(id, payee && !frozen ? fingerprint(payee.accountNumber) : undefined);
      }
      const paying: string[] = [];
      const res = await inTx(async (tx) => {
        const at = now();
        let rereview = 0;
        const locked: Settlement[] = [];
        for (const id of unique) {
          const s = await repo(tx).byId(id, true);
          if (!s) return refuse({ settlements: "兑付申请不存在" }, 404);
          if (s.status !== "awaiting_payout")
            return refuse({ settlements: `兑付申请${s.number}当前为“${s.status === "paying" ? "拨付中" : "非待拨付"}”，请刷新页面重新选择` }, 409);
          locked.push(s);
        }
        let total = 0;
        const batch = await repo(tx).insertBatch({
          number: `PC${formatSettlementNumber(at, await repo(tx).nextSequence()).slice(2)}`,
          createdBy: staff.id,
          at,
          count: locked.length,
          totalFen: locked.reduce((n, s) => n + s.amountFen, 0),
        });
        for (const s of locked) {
          if (current.get(s.id) !== s.payeeFingerprint) {
            await move(tx, s, "payee_changed", "system", null, "收款账户已变更，需重新审核", { payeeFingerprint: null, publicityUntil: null });
            if (s.generalFen) {
              await repo(tx).lockYear(s.providerId, s.serviceYear);
              await repo(tx).addYear(s.providerId, s.serviceYear, -s.generalFen);
            }
            rereview++;
            continue;
          }
          const attempt = s.payoutAttempts + 1;
          const payoutNo = `S${s.number.slice(2)}P${attempt}`;
          await move(tx, s, "pay", "finance", staff.id, null, { payoutNo, payoutAttempts: attempt, payoutFailure: null, batchId: batch.id });
          paying.push(s.id);
          total += s.amountFen;
        }
        await deps.audit.record(tx, {
          actorType: "admin",
          actorId: staff.id,
          entityType: "payout_batch",
          entityId: batch.id,
          action: "settlement_payout_batch",
          data: { number: batch.number, paying: paying.length, totalFen: total, rereview },
        });
        return ok({ batch: batch.number, paying: paying.length, rereview });
      });
      if (res.ok)
        for (const id of paying)
          await sendPayout(id).catch((err) => deps.log?.warn({ id, err: String(err) }, "payout not sent; the reconciler resends it"));
      return res;
    },

    /**
     * The payments module's hook for a payout's result, in the transaction of its notification:
     * succeeded -> 已拨付 with each order's voucher part settled in the ledger and its money line
     * (once: a second notice finds it paid); failed -> 待拨付 with the reason.
     */
    async payoutOutcome(tx: Db, r: { payoutNo: string; ok: boolean; amountFen?: number; reason?: string }): Promise<string> {
      const s = await repo(tx).byPayoutNo(r.payoutNo, true);
      if (!s) return "unknown payout";
      if (s.status !== "paying") return `settlement already ${s.status}`;
      if (!r.ok) {
        await move(tx, s, "payout_failed", "system", null, r.reason ?? "拨付失败", { payoutFailure: (r.reason ?? "拨付失败").slice(0, 200) });
        return "payout failed";
      }
      if (r.amountFen !== undefined && r.amountFen !== s.amountFen) {
        deps.log?.error({ payoutNo: r.payoutNo, expected: s.amountFen, got: r.amountFen }, "payout notification with another amount: not applied");
        return `amount mismatch: ${r.amountFen} instead of ${s.amountFen}`;
      }
      for (const o of await repo(tx).orders(s.id)) {
        const entry = await deps.vouchers.ledger.settle(tx, { accountId: o.voucherAccountId, orderId: o.orderId });
        await deps.orders.markSettled(tx, o.orderId, { amountFen: entry.amountFen, ref: r.payoutNo });
      }
      await move(tx, s, "payout_succeeded", "system", null, null, { paidAt: now() });
      if (s.batchId) await repo(tx).batchPaid(s.batchId);
      return "settlement paid";
    },

    /**
     * 兑付状态 of an order beside its main status, for a page that already authorised its reader:
     * the live application holding it (number, status), or none.
     */
    async ofOrder(orderId: string) {
      return repo().ofOrder(orderId);
    },

    /** The public 兑付公示 (a page of it). */
    async publicity(page: unknown) {
      const pageNo = pageOf(page);
      const { rows, total } = await repo().publicity(SETTLEMENT_PAGE_SIZE, (pageNo - 1) * SETTLEMENT_PAGE_SIZE);
      return { rows, total, pageNo, pages: pagesOf(total, SETTLEMENT_PAGE_SIZE) };
    },

    /** A file of an application for its provider (by account) or staff who read settlements; anyone else: undefined. */
    async file(viewer: { accountId?: string; staff?: Staff }, id: string, fileId: string) {
      const s = await repo().byId(id);
      if (!s) return undefined;
      if (viewer.staff) {
        if (!has(SETTLEMENT_READERS, viewer.staff.role)) return undefined;
      } else {
        const provider = viewer.accountId ? await providerOf(viewer.accountId) : undefined;
        if (provider?.id !== s.providerId) return undefined;
      }
      if (!(await repo().files(s.id)).some((f) => f.fileId === fileId)) return undefined;
      return deps.files.readChecked(fileId);
    },

    /** The payout reconciler: applications 拨付中 for 10 minutes are resent (same number) and asked about. */
    async reconcilePayouts(): Promise<number> {
      let changed = 0;
      for (const s of await repo().payingBefore(new Date(now().getTime() - 10 * 60_000), 100)) {
        try {
          await sendPayout(s.id);
          const outcome = await deps.payments.reconcilePayout(s.payoutNo!);
          if (outcome !== "processing" && outcome !== "duplicate") changed++;
        } catch (err) {
          deps.log?.warn({ settlement: s.number, err: String(err) }, "payout not reconciled");
        }
      }
      return changed;
    },

    async startWorkers(): Promise<void> {
      await deps.jobs.work(PUBLICITY_JOB, async () => {
        const n = await service.endPublicity();
        if (n) deps.log?.info({ moved: n }, "settlement publicity ended");
      });
      await deps.jobs.schedule(PUBLICITY_JOB, PUBLICITY_CRON);
      await deps.jobs.work(PAYOUT_RECONCILE_JOB, async () => {
        const n = await service.reconcilePayouts();
        if (n) deps.log?.info({ changed: n }, "settlement payouts reconciled");
      });
      await deps.jobs.schedule(PAYOUT_RECONCILE_JOB, PAYOUT_RECONCILE_CRON);
    },
  };
  return service;
}
export type SettlementService = ReturnType<typeof settlementService>;
export type { SettlementStatus };
