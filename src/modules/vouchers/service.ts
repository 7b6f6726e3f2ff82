import type { Clock } from "../../ports/clock.ts";
import { type Db, UniqueViolation } from "../../ports/db.ts";
import { readDecision } from "../../lib/decision.ts";
import { type FieldErrors, type Result, fail, ok } from "../../lib/result.ts";
import { pageOf, pagesOf } from "../../lib/paging.ts";
import type { Audit } from "../audit/service.ts";
import type { VersionService } from "../versions/service.ts";
import type { EnterpriseService } from "../enterprises/service.ts";
import type { FileService, Upload } from "../files/service.ts";
import { SIZE_CLASSES } from "../enterprises/domain.ts";
import {
  availableFen,
  APPROVED_AMOUNT_FORMAT,
  type CardState,
  type LedgerKind,
  type Programme,
  type ProgrammeForm,
  cardState,
  checkProgramme,
  checkSpecialFen,
  generalQuota,
  hasExpired,
} from "./domain.ts";
import { LedgerError, type LedgerService, type OrderInput, type PartialReleaseInput, type ReserveInput, ledgerService } from "./ledger-service.ts";
import type {
  LedgerEntry,
  LedgerRepositoryFactory,
  UsageCandidate,
  ProgrammeRepositoryFactory,
  QuotaApplication,
  QuotaQueueFilter,
  QuotaRepositoryFactory,
} from "./ports.ts";

export type VoucherDeps = {
  db: Db;
  clock: Clock;
  programmeRepo: ProgrammeRepositoryFactory;
  quotaRepo: QuotaRepositoryFactory;
  ledgerRepo: LedgerRepositoryFactory;
  /** Keeps the open 券种 per version of the programmes (they are on the home and product pages). */
  versions?: VersionService;
  enterprises: EnterpriseService;
  files: FileService;
  audit: Audit;
};

export type Staff = { id: string; role: string };
const canReview = (role: string) => role === "reviewer" || role === "super_admin";
const MAX_DOCUMENTS = 5;

/** The vouchers module's public surface: programmes, 配额申请 and review, allocation, and the ledger (ledger-service.ts). */
export function voucherService(deps: VoucherDeps) {
  const { db } = deps;
  const now = () => deps.clock.now();
  const ledger = ledgerService({ clock: deps.clock, programmeRepo: deps.programmeRepo, ledgerRepo: deps.ledgerRepo });

  /** The programmes of these accounts, in one statement. */
  async function programmesOf(accounts: { programmeId: string }[]) {
    const ids = [...new Set(accounts.map((a) => a.programmeId))];
    const found = ids.length ? await deps.programmeRepo(db).byIds(ids) : [];
    return new Map(found.map((p) => [p.id, p]));
  }

  async function certifiedEnterprise(accountId: string) {
    const e = await deps.enterprises.ofAccount(accountId);
    if (e?.certificationStatus !== "certified") return undefined;
    return e;
  }

  /**
   * One ledger operation in a transaction of its own, for callers without one. A refused
   * operation (LedgerError, thrown before it writes) still commits a due expiry, then is thrown.
   */
  async function own<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const out = await db.transaction(async (tx): Promise<{ value: T } | { error: LedgerError }> => {
      try {
        return { value: await fn(tx) };
      } catch (err) {
        if (err instanceof LedgerError) return { error: err };
        throw err;
      }
    });
    if ("error" in out) throw out.error;
    return out.value;
  }

  const ledgerOps = {
    /**
     * The ledger operations taking the caller's transaction (`reserve(tx, ...)`, `release`,
     * `consume`, `refund`, `expire`): an order and its ledger entry commit together.
     */
    ledger,
    /** 下单占用 in its own transaction: idempotent per order; never lets available go below zero. */
    async reserve(input: ReserveInput): Promise<LedgerEntry> {
      return own((tx) => ledger.reserve(tx, input));
    },
    /** 取消释放 in its own transaction. */
    async release(input: OrderInput): Promise<LedgerEntry> {
      return own((tx) => ledger.release(tx, input));
    },
    /** 完成核销 in its own transaction. */
    async consume(input: OrderInput): Promise<LedgerEntry> {
      return own((tx) => ledger.consume(tx, input));
    },
    /** 退款返还 in its own transaction (expires the refunded amount at once if the validity is over). */
    async refund(input: OrderInput): Promise<LedgerEntry> {
      return own((tx) => ledger.refund(tx, input));
    },
    /** 已发放服务券 on the home page's platform figures. */
    async grantedTotals() {
      return deps.ledgerRepo(deps.db).grantedTotals();
    },
    /** Expires every account of programmes whose validity has ended, one transaction each (a scheduled job may call this). */
    async expireDue(): Promise<number> {
      const ids = await ledger.dueForExpiry(db);
      for (const id of ids) await own((tx) => ledger.expire(tx, id));
      return ids.length;
    },
    async accountTotals(accountId: string) {
      return ledger.accountTotals(db, accountId);
    },
    /**
     * 使用率提醒 candidates (docs/monitoring.md): accounts whose validity ends between `from` and `to`
     * (YYYY-MM-DD, inclusive) with consumed below `belowBp` of granted and something left, by id after `after`.
     */
    async usageCandidates(q: { from: string; to: string; belowBp: number; after: string | null; limit: number }): Promise<UsageCandidate[]> {
      return deps.ledgerRepo(db).usageCandidates(q.from, q.to, q.belowBp, q.after, q.limit);
    },
    async ledgerSums(accountId: string): Promise<Record<LedgerKind, number>> {
      return ledger.ledgerSums(db, accountId);
    },
  };

  return {
    ...ledgerOps,

    // ---- programmes (super_admin) ----

    async programmes(): Promise<Programme[]> {
      return deps.programmeRepo(db).list();
    },
    /** The 券种 open for applications: reference data, read once per version of the programmes. */
    async openProgrammes(): Promise<Programme[]> {
      const load = () => deps.programmeRepo(db).list({ status: ["open"] });
      return [...(deps.versions ? await deps.versions.memo("vouchers.openProgrammes", ["programmes"], load) : await load())];
    },
    async programme(id: string): Promise<Programme | undefined> {
      return deps.programmeRepo(db).byId(id);
    },

    /** 新建 / 编辑券种: the form's fields as read at the edge; the rules across them here. */
    async saveProgramme(staff: Staff, id: string | null, f: ProgrammeForm, requestId?: string): Promise<Result<{ id: string }>> {
      if (staff.role !== "super_admin") return fail({ _form: "只有超级管理员可以管理券种" }, 403);
      const { value, errors } = checkProgramme(f);
      if (!value) return fail(errors);
      return db.transaction(async (tx) => {
        let pid = id;
        if (pid) {
          const before = await deps.programmeRepo(tx).byId(pid);
          if (!before) return fail({ _form: "券种不存在" }, 404);
          if (before.kind !== value.kind) return fail({ kind: "券种类型创建后不能修改" });
          await deps.programmeRepo(tx).update(pid, value);
        } else {
          pid = (await deps.programmeRepo(tx).insert(value)).id;
        }
        await deps.audit.record(tx, {
          actorType: "admin",
          actorId: staff.id,
          entityType: "voucher_programme",
          entityId: pid,
          action: id ? "programme_updated" : "programme_created",
          toStatus: value.status,
          requestId,
          data: { name: value.name, year: value.year },
        });
        return ok({ id: pid });
      });
    },

    // ---- 服务券配额申请 (enterprise) ----

    /** One card per open programme, with the enterprise's state on its button. */
    async quotaCards(accountId: string) {
      const enterprise = await deps.enterprises.ofAccount(accountId);
      const programmes = await deps.programmeRepo(db).list({ status: ["open", "closed"] });
      const [apps, accounts] = enterprise
        ? await Promise.all([deps.quotaRepo(db).latestByEnterprise(enterprise.id), deps.ledgerRepo(db).accountsOf(enterprise.id)])
        : [[], []];
      const at = now();
      const cards = programmes
        .map((p) => {
          const application = apps.find((a) => a.programmeId === p.id);
          const state: CardState = cardState(p, application, at);
          // The voucher account 去使用 filters the catalog by (one per programme and enterprise).
          const accountId = accounts.find((a) => a.programmeId === p.id)?.id;
          return { programme: p, application, state, accountId, generalQuotaFen: generalQuota(p, enterprise?.sizeClass ?? null) };
        })
        .filter((c) => c.programme.status === "open" || c.application);
      return { enterprise, certified: enterprise?.certificationStatus === "certified", cards };
    },

    /** 确定配额申请 (通用券) or 确定申领 (专项券, with amount and contract documents). */
    async apply(
      accountId: string,
      programmeId: string,
      input: { amountFen?: number; documents?: Upload[] },
      requestId?: string,
    ): Promise<Result<{ applicationId: string }>> {
      const enterprise = await certifiedEnterprise(accountId);
      if (!enterprise) return fail({ _form: "请先完成企业信息认证，再申请服务券配额" }, 403);
      const p = await deps.programmeRepo(db).byId(programmeId);
      if (!p || p.status === "draft") return fail({ _form: "该服务券不存在" }, 404);
      const state = cardState(
        p,
        (await deps.quotaRepo(db).latestByEnterprise(enterprise.id)).find((a) => a.programmeId === p.id),
        now(),
      );
      if (state === "pending" || state === "use") return fail({ _form: "您已申请过该服务券，请勿重复申请" }, 409);
      if (state === "expired" || state === "closed") return fail({ _form: "该服务券当前不在申请期内" }, 409);

      let requestedFen: number;
      const errors: FieldErrors = {};
      const documents = (input.documents ?? []).filter((d) => d.bytes.length > 0);
      if (p.kind === "general") {
        requestedFen = generalQuota(p, enterprise.sizeClass);
        if (requestedFen <= 0) return fail({ _form: "按贵企业的企业划型，该通用券没有可申请的额度" }, 409);
      } else {
        const amount = checkSpecialFen(p, input.amountFen);
        if (amount.error) errors.amount = amount.error;
        requestedFen = amount.fen ?? 0;
        if (p.requiresDocuments && documents.length === 0) errors.documents = "请上传相关的合同凭证（PDF、JPG或PNG）";
        if (documents.length > MAX_DOCUMENTS) errors.documents = `合同凭证最多上传${MAX_DOCUMENTS}个文件`;
        for (const d of documents) {
          const msg = deps.files.check(d);
          if (msg && !errors.documents) errors.documents = `${d.name}：${msg}`;
        }
      }
      if (Object.keys(errors).length) return fail(errors);
      try {
        return await db.transaction(async (tx) => {
          const fileIds: string[] = [];
          for (const d of documents) {
            const stored = await deps.files.store(tx, { ...d, ownerEnterpriseId: enterprise.id, purpose: "quota_contract", accountId });
            if (!stored.ok) return fail({ documents: stored.message });
            fileIds.push(stored.file.id);
          }
          const a = await deps.quotaRepo(tx).insert({ programmeId: p.id, enterpriseId: enterprise.id, requestedFen, documentFileIds: fileIds });
          await deps.audit.record(tx, {
            actorType: "account",
            actorId: accountId,
            entityType: "quota_application",
            entityId: a.id,
            action: "quota_applied",
            toStatus: "pending",
            requestId,
            data: { programmeId: p.id, enterpriseId: enterprise.id, requestedFen },
          });
          return ok({ applicationId: a.id });
        });
      } catch (err) {
        if (err instanceof UniqueViolation) return fail({ _form: "您已申请过该服务券，请勿重复申请" }, 409);
        throw err;
      }
    },

    /**
     * 我的服务券 of the signed-in enterprise (its id as the viewer loaded it): each voucher account with
     * its totals, programme (validity) and latest ledger entries, in three statements however many
     * accounts it holds.
     */
    async myVouchers(enterpriseId: string) {
      // Expire what is due first, so the page never shows an amount that can no longer be used.
      // Only an account with something left after its programme ended takes the lock and a write;
      // every other view is a plain read.
      const repo = deps.ledgerRepo(db);
      const accounts = await repo.accountsOf(enterpriseId);
      if (!accounts.length) return [];
      const ids = accounts.map((a) => a.id);
      // The entries are read beside the programmes; read again only after an expiry wrote one.
      const [programmes, latest] = await Promise.all([programmesOf(accounts), repo.latestEntries(ids, 50)]);
      let entries = latest;
      const at = now();
      const shown = [];
      for (const a of accounts) {
        const programme = programmes.get(a.programmeId)!;
        const expired = hasExpired(programme, at);
        const fresh = expired && availableFen(a) > 0 ? await own((tx) => ledger.expire(tx, a.id)) : a;
        shown.push({ account: fresh, programme, expired });
      }
      if (shown.some((x, i) => x.account !== accounts[i])) entries = await repo.latestEntries(ids, 50);
      return shown.map((x) => ({ ...x, entries: entries.get(x.account.id) ?? [] }));
    },

    /** The programme of one of this enterprise's voucher accounts (an order names the voucher it used), or undefined. */
    async programmeOfAccount(enterpriseId: string, voucherAccountId: string) {
      return deps.programmeRepo(db).ofAccount(voucherAccountId, enterpriseId);
    },

    /** Live voucher accounts of an enterprise that may pay for a product category (catalog, ordering). */
    async payableAccounts(enterpriseId: string, category: string) {
      const accounts = await deps.ledgerRepo(db).accountsOf(enterpriseId);
      const programmes = await programmesOf(accounts);
      const out = [];
      for (const a of accounts) {
        const p = programmes.get(a.programmeId)!;
        if (hasExpired(p, now()) || !p.categories.includes(category)) continue;
        out.push({ account: a, programme: p, availableFen: availableFen(a) });
      }
      return out;
    },

    // ---- review (reviewer, super_admin) ----

    async reviewQueue(staff: Staff, f: QuotaQueueFilter, page: number, pageSize = 20) {
      if (!canReview(staff.role)) return fail({ _form: "您的角色无权审核服务券配额" }, 403);
      const pg = pageOf(page);
      const { rows, total } = await deps.quotaRepo(db).queue(f, pageSize, (pg - 1) * pageSize);
      return ok({ rows, total, page: pg, pages: pagesOf(total, pageSize) });
    },

    async reviewDetail(staff: Staff, id: string) {
      if (!canReview(staff.role)) return fail({ _form: "您的角色无权审核服务券配额" }, 403);
      const application = await deps.quotaRepo(db).byId(id);
      if (!application) return fail({ _form: "配额申请不存在" }, 404);
      const [programme, enterprise, documents, timeline] = await Promise.all([
        deps.programmeRepo(db).byId(application.programmeId),
        deps.enterprises.byId(application.enterpriseId),
        Promise.all(application.documentFileIds.map((fid) => deps.files.meta(fid))),
        deps.audit.forEntity(db, "quota_application", id),
      ]);
      return ok({ application, programme: programme!, enterprise: enterprise!, documents: documents.filter(Boolean), timeline });
    },

    /** 通过 (optionally a lower amount, with a reason) or 驳回 (reason). Opens the voucher account. */
    async decide(
      staff: Staff,
      id: string,
      f: { decision: string; amountFen?: number; reason: string },
      requestId?: string,
    ): Promise<Result<{ status: "approved" | "rejected" }>> {
      if (!canReview(staff.role)) return fail({ _form: "只有审核员或超级管理员可以审核服务券配额" }, 403);
      const read = readDecision(f);
      if (!read.ok) return read;
      const decision = read.value.approve ? "approved" : "rejected";
      const reason = read.value.reason;
      return db.transaction(async (tx) => {
        const a = await deps.quotaRepo(tx).byId(id, true);
        if (!a) return fail({ _form: "配额申请不存在" }, 404);
        if (a.status !== "pending") return fail({ _form: "该申请已审核，不能重复审核" }, 409);
        let approvedFen: number | null = null;
        if (decision === "approved") {
          approvedFen = a.requestedFen;
          if (f.amountFen !== undefined) {
            const fen = f.amountFen;
            if (!Number.isSafeInteger(fen) || fen <= 0) return fail({ amount: APPROVED_AMOUNT_FORMAT });
            if (fen > a.requestedFen) return fail({ amount: "核定额度不能超过申请额度" });
            approvedFen = fen;
          }
          if (approvedFen < a.requestedFen && [...reason].length < 2) return fail({ reason: "核减额度时请填写原因" });
        }
        await deps.quotaRepo(tx).decide(a.id, { status: decision, approvedFen, adminId: staff.id, reason: reason || null, at: now() });
        if (decision === "approved") {
          await deps.ledgerRepo(tx).openAccount({ programmeId: a.programmeId, enterpriseId: a.enterpriseId, applicationId: a.id, grantFen: approvedFen! });
        }
        await deps.audit.record(tx, {
          actorType: "admin",
          actorId: staff.id,
          entityType: "quota_application",
          entityId: a.id,
          action: decision === "approved" ? "quota_approved" : "quota_rejected",
          fromStatus: "pending",
          toStatus: decision,
          reason: reason || null,
          requestId,
          data: { requestedFen: a.requestedFen, approvedFen },
        });
        return ok({ status: decision });
      });
    },

    /**
     * Annual allocation: one pending 通用券 application for every certified enterprise by its
     * 企业划型, as one set-based statement. Running it again creates nothing twice.
     */
    async allocate(staff: Staff, programmeId: string, requestId?: string): Promise<Result<{ eligible: number; created: number; runId: string }>> {
      if (staff.role !== "super_admin") return fail({ _form: "只有超级管理员可以执行年度额度分配" }, 403);
      const p = await deps.programmeRepo(db).byId(programmeId);
      if (!p) return fail({ _form: "券种不存在" }, 404);
      if (p.kind !== "general") return fail({ _form: "年度额度分配只适用于通用券" }, 409);
      if (p.status !== "open") return fail({ _form: "请先将该券种设为开放申请" }, 409);
      const runId = await deps.quotaRepo(db).startRun(p.id, staff.id);
      try {
        const counts = await db.transaction(async (tx) => {
          await deps.quotaRepo(tx).lockAllocation(p.id);
          const c = await deps.quotaRepo(tx).allocate(p.id, runId);
          await deps.audit.record(tx, {
            actorType: "admin",
            actorId: staff.id,
            entityType: "voucher_programme",
            entityId: p.id,
            action: "annual_allocation",
            requestId,
            data: { runId, ...c },
          });
          return c;
        });
        await deps.quotaRepo(db).finishRun(runId, { ...counts, status: "done" });
        return ok({ ...counts, runId });
      } catch (err) {
        await deps.quotaRepo(db).finishRun(runId, { eligible: 0, created: 0, status: "failed" });
        throw err;
      }
    },

    async allocationRuns(programmeId: string) {
      return deps.quotaRepo(db).runs(programmeId);
    },
  };
}
export type VoucherService = ReturnType<typeof voucherService>;
export { LedgerError };
export type { LedgerService, OrderInput, PartialReleaseInput, ReserveInput };

export { SIZE_CLASSES };
export type { QuotaApplication, UsageCandidate };
