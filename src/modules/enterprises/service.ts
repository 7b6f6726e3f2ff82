import type { Clock } from "../../ports/clock.ts";
import { type Db, UniqueViolation } from "../../ports/db.ts";
import { readDecision } from "../../lib/decision.ts";
import { type FieldErrors, type Result, fail, ok } from "../../lib/result.ts";
import { type Audit, type AuditRow, PROTECTED_DATA_READ } from "../audit/service.ts";
import type { FileService, Upload } from "../files/service.ts";
import {
  type ApplicationStatus,
  type BankAccountInput,
  type Enterprise,
  type SizeClass,
  cityName,
  districtName,
  validateBankAccount,
  validateStep1,
  validateStep2,
  validateStep3,
  LICENCE_MISSING,
} from "./domain.ts";
import { maskAccountNumber } from "./codes.ts";
import type {
  BankAccount,
  BankAccountRepositoryFactory,
  Certification,
  CertificationRepositoryFactory,
  EnterpriseRepositoryFactory,
  QueueFilter,
} from "./ports.ts";

export type EnterpriseDeps = {
  db: Db;
  clock: Clock;
  enterpriseRepo: EnterpriseRepositoryFactory;
  certificationRepo: CertificationRepositoryFactory;
  bankAccountRepo: BankAccountRepositoryFactory;
  files: FileService;
  audit: Audit;
};

export type Staff = { id: string; role: string };
const REVIEWERS = new Set(["reviewer", "super_admin"]);
export const canReviewCertifications = (role: string) => REVIEWERS.has(role);
/** Staff who may see an enterprise's full bank account details (settlement). */
const BANK_READERS = new Set(["finance", "super_admin"]);

const DUPLICATE_CODE = "该统一社会信用代码已被其他企业认证。如确属本企业，请通过“我要留言”联系平台处理";

/** The enterprises module's public surface. Other modules call only this. */
export function enterpriseService(deps: EnterpriseDeps) {
  const { db } = deps;
  const now = () => deps.clock.now();

  async function enterpriseOf(accountId: string, tx: Db = db): Promise<Enterprise> {
    const e = await deps.enterpriseRepo(tx).byAccount(accountId);
    if (!e) throw new Error("account without enterprise");
    return e;
  }

  /** The draft the wizard edits; refuses while an application is under review. */
  async function draftFor(tx: Db, enterprise: Enterprise): Promise<Result<Certification>> {
    const open = await deps.certificationRepo(tx).open(enterprise.id, true);
    if (open?.status === "pending") return fail({ _form: "企业信息认证正在审核中，审核完成前不能修改" }, 409);
    if (open) return ok(open);
    return fail({ _form: "请先从“去企业信息认证”开始填写" }, 409);
  }

  /** Step 2 with its fields, or (fields null) only the licence part of it. */
  async function step2(accountId: string, fields: Record<string, string> | null, licence: Upload | null): Promise<Result<null>> {
    const enterprise = await enterpriseOf(accountId);
    const errors: FieldErrors = {};
    if (licence) {
      const msg = deps.files.check(licence);
      if (msg) errors.licence = msg;
    }
    return db.transaction(async (tx): Promise<Result<null>> => {
      const d = await draftFor(tx, enterprise);
      if (!d.ok) return d;
      if (d.value.step < 2) return fail({ _form: "请先完成第一步：选择身份角色和企业类型" }, 409);
      let licenceFileId = d.value.licenceFileId;
      if (licence && !errors.licence) {
        const stored = await deps.files.store(tx, { ...licence, ownerEnterpriseId: enterprise.id, purpose: "business_licence", accountId });
        if (!stored.ok) errors.licence = stored.message;
        else {
          licenceFileId = stored.file.id;
          await deps.certificationRepo(tx).setLicence(d.value.id, licenceFileId);
        }
      }
      if (!fields) {
        if (licenceFileId === null && !errors.licence) errors.licence = LICENCE_MISSING;
        return Object.keys(errors).length ? fail(errors) : ok(null);
      }
      const v = validateStep2(fields, licenceFileId !== null, now());
      const all = { ...v.errors, ...errors };
      if (!v.value || Object.keys(all).length) return fail(all);
      const claims = await deps.certificationRepo(tx).codeClaims(v.value.creditCode, enterprise.id);
      if (claims.certified > 0) return fail({ creditCode: DUPLICATE_CODE }, 409);
      await deps.certificationRepo(tx).saveStep2(d.value.id, v.value, now());
      return ok(null);
    });
  }

  return {
    /** Creates the uncertified enterprise of a newly registered account, inside the caller's transaction. */
    async createForAccount(tx: Db, input: { accountId: string; name: string }): Promise<Enterprise> {
      return deps.enterpriseRepo(tx).create(input);
    },

    /** The enterprise of an account; with `tx`, read in the caller's transaction (an order re-reads the certification there). */
    async ofAccount(accountId: string, tx: Db = db): Promise<Enterprise | undefined> {
      return deps.enterpriseRepo(tx).byAccount(accountId);
    },

    async byId(enterpriseId: string): Promise<Enterprise | undefined> {
      return deps.enterpriseRepo(db).byId(enterpriseId);
    },

    /**
     * An enterprise as a contract names it (甲方 or 乙方): its certified name, 统一社会信用代码,
     * 法定代表人 and address (city, district and street), from its current approved certification;
     * undefined when it has none.
     */
    async contractParty(enterpriseId: string): Promise<{ name: string; creditCode: string; legalName: string; address: string } | undefined> {
      const cert = await deps.certificationRepo(db).certified(enterpriseId);
      if (!cert?.name || !cert.creditCode) return undefined;
      const address = `${cityName(cert.cityCode)}${districtName(cert.districtCode)}${cert.address ?? ""}`;
      return { name: cert.name, creditCode: cert.creditCode, legalName: cert.legalName ?? "", address };
    },

    /**
     * Who may sign for a certified enterprise at the e-signature provider: its full name and credit
     * code, the legal representative and, when the certification names one, the authorised 经办人,
     * with their ID numbers (opened for the provider's 实名认证 only, never shown). Undefined when
     * the enterprise is not certified.
     */
    async signatory(enterpriseId: string): Promise<
      | {
          name: string;
          creditCode: string;
          legal: { name: string; idNumber: string };
          agent: { name: string; idNumber: string } | null;
        }
      | undefined
    > {
      const cert = await deps.certificationRepo(db).certified(enterpriseId);
      if (!cert?.name || !cert.creditCode || !cert.legalName || !cert.legalIdNumber) return undefined;
      const agent = cert.agentName && cert.agentIdNumber ? { name: cert.agentName, idNumber: cert.agentIdNumber } : null;
      return { name: cert.name, creditCode: cert.creditCode, legal: { name: cert.legalName, idNumber: cert.legalIdNumber }, agent };
    },

    /** 认证企业 on the home page's platform figures. */
    async countCertified(): Promise<number> {
      return deps.enterpriseRepo(db).countCertified();
    },

    /** Opens or closes the provider center for an enterprise, inside the catalog's transaction. */
    async setProvider(tx: Db, enterpriseId: string, isProvider: boolean): Promise<void> {
      await deps.enterpriseRepo(tx).setProvider(enterpriseId, isProvider);
    },

    /** 基本信息 / 企业信息认证 overview for the owner: standing, open and past applications, own timeline. */
    async overview(accountId: string) {
      const enterprise = await enterpriseOf(accountId);
      const certs = deps.certificationRepo(db);
      const [open, history, timeline] = await Promise.all([
        certs.open(enterprise.id),
        certs.history(enterprise.id),
        deps.audit.forEntity(db, "enterprise", enterprise.id),
      ]);
      return { enterprise, open, history, timeline: timeline as AuditRow[] };
    },

    /**
     * Step 1 (身份角色, 企业类型). Opens a draft when none is open, prefilled from the last
     * application so a rejected one is corrected rather than retyped. Refused while under review.
     */
    async saveStep1(accountId: string, fields: Record<string, string>): Promise<Result<null>> {
      const { value, errors } = validateStep1(fields);
      if (!value) return fail(errors);
      return db.transaction(async (tx) => {
        const enterprise = await enterpriseOf(accountId, tx);
        await deps.enterpriseRepo(tx).byId(enterprise.id, true); // serialises concurrent first saves
        let open = await deps.certificationRepo(tx).open(enterprise.id, true);
        if (open?.status === "pending") return fail({ _form: "企业信息认证正在审核中，审核完成前不能修改" }, 409);
        if (!open) open = await deps.certificationRepo(tx).createDraft(enterprise.id, await deps.certificationRepo(tx).latest(enterprise.id));
        await deps.certificationRepo(tx).saveStep1(open.id, value);
        return ok(null);
      });
    },

    /** What the wizard shows: the open draft, else the last application (to correct), else nothing. */
    async wizardValues(accountId: string): Promise<{ current?: Certification; pending: boolean }> {
      const enterprise = await enterpriseOf(accountId);
      const certs = deps.certificationRepo(db);
      const open = await certs.open(enterprise.id);
      if (open) return { current: open, pending: open.status === "pending" };
      return { current: await certs.latest(enterprise.id), pending: false };
    },

    /**
     * Step 2. A valid licence upload is kept on the draft even when other fields fail, so the
     * user does not upload it again.
     */
    async saveStep2(accountId: string, fields: Record<string, string>, licence: Upload | null): Promise<Result<null>> {
      return step2(accountId, fields, licence);
    },

    /**
     * Step 2 refused at the HTTP edge: the licence upload is still checked and kept on the draft,
     * and a missing licence is reported beside the other fields' messages.
     */
    async keepLicence(accountId: string, licence: Upload | null): Promise<Result<null>> {
      return step2(accountId, null, licence);
    },

    /** Step 3 下一步: 经办人 (optional) and submission; the application goes to 待审核. */
    async submit(accountId: string, fields: Record<string, string>, requestId?: string): Promise<Result<null>> {
      const { value, errors } = validateStep3(fields, now());
      if (!value) return fail(errors);
      return db.transaction(async (tx) => {
        const enterprise = await enterpriseOf(accountId, tx);
        await deps.enterpriseRepo(tx).byId(enterprise.id, true);
        const d = await draftFor(tx, enterprise);
        if (!d.ok) return d;
        if (d.value.step < 3 || !d.value.creditCode || !d.value.licenceFileId || !d.value.agreedAt) {
          return fail({ _form: "请先完成第二步：填写企业信息" }, 409);
        }
        const claims = await deps.certificationRepo(tx).codeClaims(d.value.creditCode, enterprise.id);
        if (claims.certified > 0) return fail({ _form: DUPLICATE_CODE }, 409);
        await deps.certificationRepo(tx).submit(d.value.id, value, now());
        const from = enterprise.certificationStatus;
        // A certified enterprise stays certified while a change of its details is reviewed.
        const to = from === "certified" ? "certified" : "pending";
        if (to !== from) await deps.enterpriseRepo(tx).setStatus(enterprise.id, to);
        await deps.audit.record(tx, {
          actorType: "account",
          actorId: accountId,
          entityType: "enterprise",
          entityId: enterprise.id,
          action: "certification_submitted",
          fromStatus: from,
          toStatus: "pending",
          requestId,
          data: { applicationId: d.value.id, creditCodeValid: d.value.creditCodeValid, agent: value.agentName !== null },
        });
        return ok(null);
      });
    },

    async isCertified(accountId: string): Promise<boolean> {
      return (await enterpriseOf(accountId)).certificationStatus === "certified";
    },

    // ---- 支付认证 ----

    async bankAccount(accountId: string): Promise<{ current?: BankAccount; history: BankAccount[] }> {
      const enterprise = await enterpriseOf(accountId);
      const [current, history] = await Promise.all([deps.bankAccountRepo(db).current(enterprise.id), deps.bankAccountRepo(db).history(enterprise.id)]);
      return { current, history };
    },

    /**
     * The enterprise's current 支付认证 account in full, for the payments module's channel calls
     * only (the payer's or payee's account of an order it already authorised); never shown.
     */
    async paymentAccount(enterpriseId: string): Promise<{ accountName: string; bankName: string; accountNumber: string } | undefined> {
      const current = await deps.bankAccountRepo(db).current(enterpriseId);
      if (!current) return undefined;
      return { accountName: current.accountName, bankName: `${current.bankName}${current.branchName}`, accountNumber: current.accountNumber };
    },

    /** 保存: every change is a new row; the audit event names only the last four digits. */
    async saveBankAccount(accountId: string, fields: Record<string, string>, requestId?: string): Promise<Result<null>> {
      const { value, errors } = validateBankAccount(fields);
      if (!value) return fail(errors);
      return db.transaction(async (tx) => {
        const enterprise = await enterpriseOf(accountId, tx);
        const before = await deps.bankAccountRepo(tx).current(enterprise.id);
        const unchanged = before && (Object.keys(value) as (keyof BankAccountInput)[]).every((k) => before[k] === value[k]);
        if (unchanged) return ok(null);
        await deps.bankAccountRepo(tx).add(enterprise.id, value, accountId);
        await deps.audit.record(tx, {
          actorType: "account",
          actorId: accountId,
          entityType: "enterprise",
          entityId: enterprise.id,
          action: before ? "bank_account_changed" : "bank_account_added",
          requestId,
          data: {
            from: before ? maskAccountNumber(before.accountNumber) : null,
            to: maskAccountNumber(value.accountNumber),
            bankName: value.bankName,
          },
        });
        return ok(null);
      });
    },

    /**
     * An enterprise's bank account details in full, for finance staff (settlement). Every read
     * that returns an account is audited.
     */
    async bankAccountForStaff(staff: Staff, enterpriseId: string, requestId?: string): Promise<Result<{ current?: BankAccount; history: BankAccount[] }>> {
      if (!BANK_READERS.has(staff.role)) return fail({ _form: "您的角色无权查看企业银行账户" }, 403);
      const enterprise = /^[0-9a-f-]{36}$/i.test(enterpriseId) ? await deps.enterpriseRepo(db).byId(enterpriseId) : undefined;
      if (!enterprise) return fail({ _form: "企业不存在" }, 404);
      const [current, history] = await Promise.all([deps.bankAccountRepo(db).current(enterprise.id), deps.bankAccountRepo(db).history(enterprise.id)]);
      if (current) {
        await deps.audit.record(db, {
          actorType: "admin",
          actorId: staff.id,
          entityType: PROTECTED_DATA_READ,
          entityId: enterprise.id,
          action: "bank_account_viewed",
          requestId,
          data: { bankAccountId: current.id, rows: history.length },
        });
      }
      return ok({ current, history });
    },

    // ---- review (staff) ----

    async reviewQueue(staff: Staff, filter: QueueFilter, page: number, pageSize = 20) {
      if (!canReviewCertifications(staff.role)) return fail({ _form: "您的角色无权查看企业认证审核" }, 403);
      const p = Math.max(1, Math.floor(page) || 1); // the edge clamps it to 1..1000
      const { rows, total } = await deps.certificationRepo(db).queue(filter, pageSize, (p - 1) * pageSize);
      return ok({ rows, total, page: p, pages: Math.max(1, Math.ceil(total / pageSize)) });
    },

    /** The full application for review, with full ID numbers: every read is audited. */
    async reviewDetail(staff: Staff, id: string, requestId?: string) {
      if (!canReviewCertifications(staff.role)) return fail({ _form: "您的角色无权查看企业认证审核" }, 403);
      const application = await deps.certificationRepo(db).byId(id);
      if (!application || application.status === "draft") return fail({ _form: "认证申请不存在" }, 404);
      const enterprise = (await deps.enterpriseRepo(db).byId(application.enterpriseId))!;
      await deps.audit.record(db, {
        actorType: "admin",
        actorId: staff.id,
        entityType: PROTECTED_DATA_READ,
        entityId: enterprise.id,
        action: "certification_viewed",
        requestId,
        data: {
          applicationId: application.id,
          fields: ["legalIdNumber", ...(application.agentIdNumber ? ["agentIdNumber"] : [])],
          ...(application.unreadable ? { unreadable: application.unreadable } : {}),
        },
      });
      const [claims, licence, history, timeline] = await Promise.all([
        application.creditCode ? deps.certificationRepo(db).codeClaims(application.creditCode, enterprise.id) : { certified: 0, pending: 0 },
        application.licenceFileId ? deps.files.meta(application.licenceFileId) : undefined,
        deps.certificationRepo(db).history(enterprise.id),
        deps.audit.forEntity(db, "enterprise", enterprise.id),
      ]);
      return ok({ application, enterprise, claims, licence, history, timeline });
    },

    /** 通过 or 驳回 (a reason is required to reject). Only a pending application; decided once. */
    async decide(
      staff: Staff,
      id: string,
      input: { decision: string; reason: string },
      requestId?: string,
    ): Promise<Result<{ status: "certified" | "rejected" }>> {
      if (!canReviewCertifications(staff.role)) return fail({ _form: "只有审核员或超级管理员可以审核企业认证" }, 403);
      const read = readDecision(input);
      if (!read.ok) return read;
      const decision = read.value.approve ? "certified" : "rejected";
      const reason = read.value.reason;
      try {
        return await db.transaction(async (tx): Promise<Result<{ status: "certified" | "rejected" }>> => {
          const app = await deps.certificationRepo(tx).byId(id, true);
          if (!app || app.status === "draft") return fail({ _form: "认证申请不存在" }, 404);
          if (app.status !== "pending") return fail({ _form: "该申请已审核，不能重复审核" }, 409);
          const enterprise = (await deps.enterpriseRepo(tx).byId(app.enterpriseId, true))!;
          const at = now();
          if (decision === "certified") {
            const claims = await deps.certificationRepo(tx).codeClaims(app.creditCode!, enterprise.id);
            if (claims.certified > 0) return fail({ _form: "该统一社会信用代码已被其他企业认证，不能通过" }, 409);
            await deps.certificationRepo(tx).supersede(enterprise.id, app.id);
            await deps.certificationRepo(tx).decide(app.id, { status: "certified", adminId: staff.id, reason: reason || null, at });
            await deps.enterpriseRepo(tx).applyCertification(enterprise.id, {
              name: app.name!,
              creditCode: app.creditCode!,
              sizeClass: app.sizeDeclared as SizeClass,
              cityCode: app.cityCode!,
              at,
            });
          } else {
            await deps.certificationRepo(tx).decide(app.id, { status: "rejected", adminId: staff.id, reason, at });
            if (enterprise.certificationStatus !== "certified") await deps.enterpriseRepo(tx).setStatus(enterprise.id, "rejected");
          }
          await deps.audit.record(tx, {
            actorType: "admin",
            actorId: staff.id,
            entityType: "enterprise",
            entityId: enterprise.id,
            action: decision === "certified" ? "certification_approved" : "certification_rejected",
            fromStatus: "pending",
            toStatus: decision,
            reason: reason || null,
            requestId,
            data: { applicationId: app.id },
          });
          return ok({ status: decision });
        });
      } catch (err) {
        if (err instanceof UniqueViolation) return fail({ _form: "该统一社会信用代码已被其他企业认证，不能通过" }, 409);
        throw err;
      }
    },
  };
}
export type EnterpriseService = ReturnType<typeof enterpriseService>;
export type { ApplicationStatus };
