import { UniqueViolation } from "../../ports/db.ts";
import { readDecision } from "../../lib/decision.ts";
import { pageOf, pagesOf } from "../../lib/paging.ts";
import { type FieldErrors, type Result, fail, ok } from "../../lib/result.ts";
import type { Clock } from "../../ports/clock.ts";
import type { Db } from "../../ports/db.ts";
import type { Audit } from "../audit/service.ts";
import type { EnterpriseService } from "../enterprises/service.ts";
import type { FileService, Upload } from "../files/service.ts";
import { type ProviderApplicationStatus, type ProviderStatus, validateProviderApplication } from "./domain.ts";
import type { CatalogRepositoryFactory } from "./ports.ts";
import type { VersionService } from "../versions/service.ts";

import type { Provider } from "./ports.ts";
export type { Provider };

export type CatalogDeps = {
  db: Db;
  clock: Clock;
  catalogRepo: CatalogRepositoryFactory;
  /** Keeps the active categories per version of the catalog's data (they are on nearly every page). */
  versions?: VersionService;
  enterprises: EnterpriseService;
  files: FileService;
  audit: Audit;
  /**
   * Called inside the transaction of 恢复 (the products module lists the provider's approved
   * products again); the catalog never calls the products module itself.
   */
  providerRestored?: (tx: Db, provider: Provider, at: Date) => Promise<void>;
};

export type Staff = { id: string; role: string };
const canReview = (role: string) => role === "reviewer" || role === "super_admin";
const MAX_FILES = 5;

/** The catalog module's public surface: provider admission and management, service categories, the negative list. */
export function catalogService(deps: CatalogDeps) {
  const { db } = deps;
  const now = () => deps.clock.now();

  function checkFiles(list: Upload[], field: string, label: string, required: boolean, errors: FieldErrors) {
    if (required && list.length === 0) errors[field] = `请上传${label}（PDF、JPG或PNG）`;
    if (list.length > MAX_FILES) errors[field] = `${label}最多上传${MAX_FILES}个文件`;
    for (const d of list) {
      const msg = deps.files.check(d);
      if (msg && !errors[field]) errors[field] = `${d.name}：${msg}`;
    }
  }

  return {
    /** The active 服务类别 in their order: reference data, read once per version of the catalog. */
    async categories() {
      const load = () => deps.catalogRepo(db).categories();
      return [...(deps.versions ? await deps.versions.memo("catalog.categories", ["catalog"], load) : await load())];
    },

    async settings(staff: Staff) {
      if (staff.role !== "super_admin") return fail({ _form: "只有超级管理员可以维护服务类别和负面清单" }, 403);
      const [categories, negativeWords] = await Promise.all([deps.catalogRepo(db).allCategories(), deps.catalogRepo(db).negativeWords()]);
      return ok({ categories, negativeWords });
    },

    /** 服务类别 and 负面清单 are seed data that the super admin maintains. */
    async changeSettings(staff: Staff, f: Record<string, string>, requestId?: string): Promise<Result<{ message: string }>> {
      if (staff.role !== "super_admin") return fail({ _form: "只有超级管理员可以维护服务类别和负面清单" }, 403);
      try {
        // The change and its audit event commit together or not at all.
        return await db.transaction(async (tx): Promise<Result<{ message: string }>> => {
          const repo = deps.catalogRepo(tx);
          const done = async (action: string, data: Record<string, unknown>, message: string) => {
            await deps.audit.record(tx, { actorType: "admin", actorId: staff.id, entityType: "catalog_settings", action, requestId, data });
            return ok({ message });
          };
          switch (f.action) {
            case "add_category": {
              const code = (f.code ?? "").trim().toLowerCase();
              const name = (f.name ?? "").trim();
              const errors: FieldErrors = {};
              if (!/^[a-z][a-z0-9-]{1,39}$/.test(code)) errors.code = "类别代码为2-40位小写字母、数字或连字符，以字母开头";
              if (!name || [...name].length > 20 || /[<>]/.test(name)) errors.name = "类别名称为1-20个字";
              if (Object.keys(errors).length) return fail(errors);
              await repo.addCategory({ code, name });
              return done("category_added", { code, name }, `已添加服务类别“${name}”`);
            }
            case "disable_category":
            case "enable_category": {
              const active = f.action === "enable_category";
              if (!(await repo.setCategoryActive(f.code ?? "", active))) return fail({ _form: "服务类别不存在" }, 404);
              return done(
                active ? "category_enabled" : "category_disabled",
                { code: f.code },
                active ? "已启用" : "已停用（已上架产品不受影响，新产品不能再选）",
              );
            }
            case "add_word": {
              const word = (f.word ?? "").trim();
              if (!word || [...word].length > 20 || /[<>]/.test(word)) return fail({ word: "负面清单词语为1-20个字" });
              await repo.addNegativeWord(word);
              return done("negative_word_added", { word }, `已添加负面清单词语“${word}”`);
            }
            case "remove_word": {
              if (!(await repo.removeNegativeWord(f.word ?? ""))) return fail({ _form: "词语不存在" }, 404);
              return done("negative_word_removed", { word: f.word }, `已移除“${f.word}”`);
            }
            default:
              return fail({ _form: "操作不正确" }, 400);
          }
        });
      } catch (err) {
        if (err instanceof UniqueViolation) return fail({ _form: "已存在，不能重复添加" }, 409);
        throw err;
      }
    },

    /** 负面清单 words (the products module's pre-review reads them). */
    async negativeWords() {
      return deps.catalogRepo(db).negativeWords();
    },

    /** 入库服务商 on the home page's platform figures. */
    async countActiveProviders(): Promise<number> {
      return deps.catalogRepo(db).countActiveProviders();
    },

    /** A provider by id, whatever its status (for the products module; pages use providerPublic). */
    async provider(id: string) {
      return deps.catalogRepo(db).provider(id);
    },

    /** The provider record of the signed-in enterprise, if it was ever approved. */
    async providerOfAccount(accountId: string) {
      const e = await deps.enterprises.ofAccount(accountId);
      return e ? deps.catalogRepo(db).providerOfEnterprise(e.id) : undefined;
    },

    /** The provider record of an enterprise (the signed-in viewer's, as it was loaded), if it was ever approved: one statement. */
    async providerOfEnterprise(enterpriseId: string) {
      return deps.catalogRepo(db).providerOfEnterprise(enterpriseId);
    },

    async providerPublic(id: string) {
      const p = await deps.catalogRepo(db).provider(id);
      return p && p.status === "active" ? p : undefined;
    },

    /** 申请成为服务商 page state: the latest application and the provider record. */
    async myProviderState(accountId: string) {
      const e = await deps.enterprises.ofAccount(accountId);
      if (!e) return { certified: false };
      const [application, provider] = await Promise.all([deps.catalogRepo(db).latestApplication(e.id), deps.catalogRepo(db).providerOfEnterprise(e.id)]);
      return { certified: e.certificationStatus === "certified", enterprise: e, application, provider };
    },

    /** 申请成为服务商: certified enterprises only; documents required by the measures. */
    async applyAsProvider(
      accountId: string,
      f: { categories: string[]; regions: string[]; introduction?: string; qualifications?: string; contactName?: string; contactPhone?: string },
      files: { qualifications: Upload[]; contracts: Upload[] },
      requestId?: string,
    ): Promise<Result<{ applicationId: string }>> {
      const e = await deps.enterprises.ofAccount(accountId);
      if (e?.certificationStatus !== "certified") return fail({ _form: "请先完成企业信息认证，再申请成为服务商" }, 403);
      const existing = await deps.catalogRepo(db).providerOfEnterprise(e.id);
      if (existing) return fail({ _form: "贵企业已是入库服务商" }, 409);
      const { value, errors } = validateProviderApplication(f, await deps.catalogRepo(db).categories());
      checkFiles(files.qualifications, "qualificationFiles", "资质证明材料", true, errors);
      checkFiles(files.contracts, "contractFiles", "上一年度为企业提供服务的合同", true, errors);
      if (!value || Object.keys(errors).length) return fail(errors);
      try {
        return await db.transaction(async (tx) => {
          const ids = { qualifications: [] as string[], contracts: [] as string[] };
          for (const [kind, list, purpose] of [
            ["qualifications", files.qualifications, "provider_qualification"],
            ["contracts", files.contracts, "provider_contract"],
          ] as const) {
            for (const d of list) {
              const stored = await deps.files.store(tx, { ...d, ownerEnterpriseId: e.id, purpose, accountId });
              if (!stored.ok) return fail({ [kind === "qualifications" ? "qualificationFiles" : "contractFiles"]: stored.message });
              ids[kind].push(stored.file.id);
            }
          }
          const a = await deps.catalogRepo(tx).insertApplication(e.id, value, ids);
          await deps.audit.record(tx, {
            actorType: "account",
            actorId: accountId,
            entityType: "provider_application",
            entityId: a.id,
            action: "provider_applied",
            toStatus: "pending",
            requestId,
            data: { enterpriseId: e.id },
          });
          return ok({ applicationId: a.id });
        });
      } catch (err) {
        if (err instanceof UniqueViolation) return fail({ _form: "贵企业已有待审核的服务商申请，请勿重复提交" }, 409);
        throw err;
      }
    },

    // ---- review (reviewer, super_admin) ----

    async applicationQueue(staff: Staff, status: ProviderApplicationStatus | undefined, page: number, pageSize = 20) {
      if (!canReview(staff.role)) return fail({ _form: "您的角色无权审核服务商" }, 403);
      const p = pageOf(page);
      const { rows, total } = await deps.catalogRepo(db).applicationQueue(status, pageSize, (p - 1) * pageSize);
      return ok({ rows, total, pageNo: p, pages: pagesOf(total, pageSize) });
    },

    async applicationDetail(staff: Staff, id: string) {
      if (!canReview(staff.role)) return fail({ _form: "您的角色无权审核服务商" }, 403);
      const application = await deps.catalogRepo(db).application(id);
      if (!application) return fail({ _form: "服务商申请不存在" }, 404);
      const [enterprise, qualificationFiles, contractFiles, timeline] = await Promise.all([
        deps.enterprises.byId(application.enterpriseId),
        Promise.all(application.qualificationFileIds.map((f) => deps.files.meta(f))),
        Promise.all(application.contractFileIds.map((f) => deps.files.meta(f))),
        deps.audit.forEntity(db, "provider_application", id),
      ]);
      return ok({
        application,
        enterprise: enterprise!,
        qualificationFiles: qualificationFiles.filter(Boolean),
        contractFiles: contractFiles.filter(Boolean),
        timeline,
      });
    },

    /** 通过 (入库) or 驳回 with a reason. */
    async decideApplication(
      staff: Staff,
      id: string,
      f: { decision: string; reason: string },
      requestId?: string,
    ): Promise<Result<{ status: "approved" | "rejected" }>> {
      if (!canReview(staff.role)) return fail({ _form: "只有审核员或超级管理员可以审核服务商" }, 403);
      const read = readDecision(f);
      if (!read.ok) return read;
      const decision = read.value.approve ? "approved" : "rejected";
      const reason = read.value.reason;
      // Read outside the transaction: inside it, every query must use its handle.
      const found = await deps.catalogRepo(db).application(id);
      if (!found) return fail({ _form: "服务商申请不存在" }, 404);
      const enterprise = (await deps.enterprises.byId(found.enterpriseId))!;
      return db.transaction(async (tx) => {
        const a = (await deps.catalogRepo(tx).application(id, true))!;
        if (a.status !== "pending") return fail({ _form: "该申请已审核，不能重复审核" }, 409);
        await deps.catalogRepo(tx).decideApplication(a.id, { status: decision, adminId: staff.id, reason: reason || null, at: now() });
        if (decision === "approved") {
          await deps.catalogRepo(tx).upsertProvider({
            enterpriseId: a.enterpriseId,
            name: enterprise.name,
            categories: a.categories,
            regions: a.regions,
            introduction: a.introduction,
            contactName: a.contactName,
            contactPhone: a.contactPhone,
            applicationId: a.id,
            at: now(),
          });
          await deps.enterprises.setProvider(tx, a.enterpriseId, true);
        }
        await deps.audit.record(tx, {
          actorType: "admin",
          actorId: staff.id,
          entityType: "provider_application",
          entityId: a.id,
          action: decision === "approved" ? "provider_approved" : "provider_rejected",
          fromStatus: "pending",
          toStatus: decision,
          reason: reason || null,
          requestId,
          data: { enterpriseId: a.enterpriseId },
        });
        return ok({ status: decision });
      });
    },

    async providers(staff: Staff, status: ProviderStatus | undefined, page: number, pageSize = 20) {
      if (!canReview(staff.role)) return fail({ _form: "您的角色无权管理服务商" }, 403);
      const p = pageOf(page);
      const { rows, total } = await deps.catalogRepo(db).providers(status, pageSize, (p - 1) * pageSize);
      return ok({ rows, total, pageNo: p, pages: pagesOf(total, pageSize) });
    },

    /** 暂停 (出库) with a reason, or 恢复. The provider center closes and opens with it. */
    async setProviderStatus(
      staff: Staff,
      providerId: string,
      f: { action: string; reason: string },
      requestId?: string,
    ): Promise<Result<{ status: ProviderStatus }>> {
      if (!canReview(staff.role)) return fail({ _form: "只有审核员或超级管理员可以暂停或恢复服务商" }, 403);
      const to: ProviderStatus | null = f.action === "suspend" ? "suspended" : f.action === "restore" ? "active" : null;
      if (!to) return fail({ action: "请选择操作" });
      const reason = f.reason.trim().replace(/\s+/g, " ");
      if (to === "suspended" && [...reason].length < 2) return fail({ reason: "暂停时请填写原因（至少2个字）" });
      if ([...reason].length > 500) return fail({ reason: "原因不能超过500个字" });
      return db.transaction(async (tx) => {
        const p = await deps.catalogRepo(tx).provider(providerId, true);
        if (!p) return fail({ _form: "服务商不存在" }, 404);
        if (p.status === to) return fail({ _form: to === "suspended" ? "该服务商已暂停" : "该服务商已在库" }, 409);
        await deps.catalogRepo(tx).setProviderStatus(p.id, to, reason || null);
        await deps.enterprises.setProvider(tx, p.enterpriseId, to === "active");
        // 恢复 shows the provider's listed products again; a product approved while the provider was
        // suspended by an earlier version never got its listing row, so it is written here.
        if (to === "active" && deps.providerRestored) await deps.providerRestored(tx, p, now());
        await deps.audit.record(tx, {
          actorType: "admin",
          actorId: staff.id,
          entityType: "provider",
          entityId: p.id,
          action: to === "suspended" ? "provider_suspended" : "provider_restored",
          fromStatus: p.status,
          toStatus: to,
          reason: reason || null,
          requestId,
        });
        return ok({ status: to });
      });
    },
  };
}
export type CatalogService = ReturnType<typeof catalogService>;
