import type { Clock } from "../../ports/clock.ts";
import { type Db, UniqueViolation } from "../../ports/db.ts";
import { readDecision } from "../../lib/decision.ts";
import { pageOf as pageNumber, pagesOf } from "../../lib/paging.ts";
import { type Result, fail, ok } from "../../lib/result.ts";
import type { Audit } from "../audit/service.ts";
import type { CatalogService } from "../catalog/service.ts";
import type { EnterpriseService } from "../enterprises/service.ts";
import type { ProductService } from "../products/service.ts";
import { CITIES, cityName } from "../enterprises/domain.ts";
import {
  type DemandAction,
  type DemandForm,
  type DemandStatus,
  DEMAND_STATUS_TEXT,
  budgetText,
  isOpen,
  maskContactPhone,
  maskName,
  queryTerms,
  searchTerms,
  shanghaiToday,
  transition,
  validateDemand,
  validateResponse,
} from "./domain.ts";
import type { Demand, DemandRepositoryFactory, DemandResponse, DemandWrite } from "./ports.ts";

export type DemandDeps = {
  db: Db;
  clock: Clock;
  demandRepo: DemandRepositoryFactory;
  enterprises: EnterpriseService;
  catalog: CatalogService;
  products: ProductService;
  audit: Audit;
};

export type Staff = { id: string; role: string };
const canReview = (role: string) => role === "reviewer" || role === "super_admin";
export const PUBLIC_PAGE_SIZE = 10;
const PAGE_SIZE = 20;
/** How many of a provider's listed products the 关联服务产品 select offers. */
const MAX_LINKABLE_PRODUCTS = 200;

const OWNER_ACTION_EVENT = { withdraw: "demand_withdrawn", close: "demand_closed" } as const;

/** The demands module's public surface: 发布需求, 我的需求管理, review, the public 企业需求 list, 响应需求. */
export function demandService(deps: DemandDeps) {
  const { db } = deps;
  const now = () => deps.clock.now();
  const today = () => shanghaiToday(now());
  const repo = () => deps.demandRepo(db);

  async function certifiedEnterprise(accountId: string) {
    const e = await deps.enterprises.ofAccount(accountId);
    return e && e.certificationStatus === "certified" ? e : undefined;
  }

  /** The active provider of an account, or undefined. */
  async function activeProvider(accountId: string) {
    const p = await deps.catalog.providerOfAccount(accountId);
    return p && p.status === "active" ? p : undefined;
  }

  /** The provider's listed products (the only ones a response may link). */
  async function listedProducts(providerId: string): Promise<{ productId: string; title: string; priceFen: number }[]> {
    const rows = await deps.products.listedProductsOf(providerId, MAX_LINKABLE_PRODUCTS);
    return rows.map((r) => ({ productId: r.productId, title: r.title, priceFen: r.priceFen }));
  }

  async function prepare(f: DemandForm, enterpriseName: string): Promise<Result<DemandWrite>> {
    const categories = await deps.catalog.categories();
    const { value, errors } = validateDemand(f, { categories, today: today() });
    if (!value) return fail(errors);
    const categoryName = categories.find((c) => c.code === value.category)!.name;
    const terms = searchTerms([value.title, value.description, categoryName, enterpriseName].join(" "));
    return ok({ ...value, enterpriseName, categoryName, searchTerms: terms });
  }

  /** The owner's demand, or undefined for anyone else (the same answer as a missing id). */
  async function ownDemand(tx: Db, enterpriseId: string, id: string, forUpdate = false) {
    const d = await deps.demandRepo(tx).byId(id, forUpdate);
    return d && d.enterpriseId === enterpriseId ? d : undefined;
  }

  /** The demand as the public may see it: contact masked unless the viewer is the owner or an approved provider. */
  function withContact(d: Demand, visible: boolean) {
    return visible
      ? { ...d, contactVisible: true }
      : { ...d, contactName: maskName(d.contactName), contactPhone: maskContactPhone(d.contactPhone), contactVisible: false };
  }

  return {
    categories: () => deps.catalog.categories(),

    /** Whether the account may open the 发布需求 form (a certified enterprise). */
    async canPublish(accountId: string): Promise<boolean> {
      return !!(await certifiedEnterprise(accountId));
    },

    /** 发布需求: certified enterprises only; the demand starts 待处理. */
    async submit(accountId: string, f: DemandForm, requestId?: string): Promise<Result<{ id: string }>> {
      const e = await certifiedEnterprise(accountId);
      if (!e) return fail({ _form: "仅已完成企业信息认证的企业可以发布需求" }, 403);
      const prepared = await prepare(f, e.name);
      if (!prepared.ok) return prepared;
      return db.transaction(async (tx) => {
        const d = await deps.demandRepo(tx).insert(e.id, prepared.value, now());
        await deps.audit.record(tx, {
          actorType: "account",
          actorId: accountId,
          entityType: "demand",
          entityId: d.id,
          action: "demand_submitted",
          toStatus: "pending",
          requestId,
          data: { enterpriseId: e.id },
        });
        return ok({ id: d.id });
      });
    },

    /** 我的需求管理: the enterprise's demands, newest change first. */
    async mine(accountId: string, page: unknown) {
      const e = await deps.enterprises.ofAccount(accountId);
      if (!e) return fail({ _form: "企业不存在" }, 404);
      const p = pageNumber(page);
      const { rows, total } = await repo().ofEnterprise(e.id, PAGE_SIZE, (p - 1) * PAGE_SIZE);
      return ok({ rows, total, pageNo: p, pages: pagesOf(total, PAGE_SIZE), today: today(), certified: e.certificationStatus === "certified" });
    },

    /** The owner's view of one demand: everything, with the responses and the timeline. */
    async myDemand(accountId: string, id: string) {
      const e = await deps.enterprises.ofAccount(accountId);
      const d = e && (await ownDemand(db, e.id, id));
      if (!d) return fail({ _form: "需求不存在" }, 404);
      const [responses, timeline] = await Promise.all([repo().responsesOf(d.id), deps.audit.forEntity(db, "demand", d.id)]);
      return ok({ demand: d, responses, timeline, today: today() });
    },

    /** 修改并重新提交 a rejected or withdrawn demand. */
    async resubmit(accountId: string, id: string, f: DemandForm, requestId?: string): Promise<Result<{ id: string }>> {
      const e = await certifiedEnterprise(accountId);
      if (!e) return fail({ _form: "仅已完成企业信息认证的企业可以发布需求" }, 403);
      const found = await ownDemand(db, e.id, id);
      if (!found) return fail({ _form: "需求不存在" }, 404);
      if (!transition(found.status, "resubmit")) return fail({ _form: `该需求${DEMAND_STATUS_TEXT[found.status]}，不能修改` }, 409);
      const prepared = await prepare(f, e.name);
      if (!prepared.ok) return prepared;
      return db.transaction(async (tx) => {
        const d = (await ownDemand(tx, e.id, id, true))!;
        const to = transition(d.status, "resubmit");
        if (!to) return fail({ _form: `该需求${DEMAND_STATUS_TEXT[d.status]}，不能修改` }, 409);
        await deps.demandRepo(tx).resubmit(d.id, prepared.value, now());
        await deps.audit.record(tx, {
          actorType: "account",
          actorId: accountId,
          entityType: "demand",
          entityId: d.id,
          action: "demand_resubmitted",
          fromStatus: d.status,
          toStatus: to,
          requestId,
          data: { previousTitle: d.title },
        });
        return ok({ id: d.id });
      });
    },

    /** 撤回 (待处理 -> 已撤回) or 关闭 (已发布 -> 已关闭) by the owner. */
    async ownerAction(accountId: string, id: string, action: "withdraw" | "close", requestId?: string): Promise<Result<{ status: DemandStatus }>> {
      const e = await deps.enterprises.ofAccount(accountId);
      if (!e) return fail({ _form: "需求不存在" }, 404);
      return db.transaction(async (tx) => {
        const d = await ownDemand(tx, e.id, id, true);
        if (!d) return fail({ _form: "需求不存在" }, 404);
        const to = transition(d.status, action as DemandAction);
        if (!to) return fail({ _form: action === "withdraw" ? "只有待处理的需求可以撤回" : "只有已发布的需求可以关闭" }, 409);
        await deps.demandRepo(tx).setStatus(d.id, to, { at: now() });
        await deps.audit.record(tx, {
          actorType: "account",
          actorId: accountId,
          entityType: "demand",
          entityId: d.id,
          action: OWNER_ACTION_EVENT[action],
          fromStatus: d.status,
          toStatus: to,
          requestId,
        });
        return ok({ status: to });
      });
    },

    // ---- review (reviewer, super_admin) ----

    async queue(staff: Staff, status: DemandStatus | undefined, page: unknown) {
      if (!canReview(staff.role)) return fail({ _form: "您的角色无权审核企业需求" }, 403);
      const p = pageNumber(page);
      const { rows, total } = await repo().queue(status, PAGE_SIZE, (p - 1) * PAGE_SIZE);
      return ok({ rows, total, pageNo: p, pages: pagesOf(total, PAGE_SIZE), today: today() });
    },

    async reviewDetail(staff: Staff, id: string) {
      if (!canReview(staff.role)) return fail({ _form: "您的角色无权审核企业需求" }, 403);
      const d = await repo().byId(id);
      if (!d) return fail({ _form: "需求不存在" }, 404);
      const [responses, timeline] = await Promise.all([repo().responsesOf(d.id), deps.audit.forEntity(db, "demand", d.id)]);
      return ok({ demand: d, responses, timeline, today: today() });
    },

    /** 发布 (通过) or 驳回 with a reason. A demand past its deadline cannot be published. */
    async decide(staff: Staff, id: string, f: { decision: string; reason: string }, requestId?: string): Promise<Result<{ status: DemandStatus }>> {
      if (!canReview(staff.role)) return fail({ _form: "只有审核员或超级管理员可以审核企业需求" }, 403);
      const read = readDecision(f);
      if (!read.ok) return read;
      const { approve, reason } = read.value;
      return db.transaction(async (tx) => {
        const d = await deps.demandRepo(tx).byId(id, true);
        if (!d) return fail({ _form: "需求不存在" }, 404);
        const to = transition(d.status, approve ? "publish" : "reject");
        if (!to) return fail({ _form: "该需求已处理，不能重复审核" }, 409);
        if (approve && d.deadline < today()) return fail({ _form: "该需求的截止日期已过，不能发布，请驳回并说明原因" }, 409);
        await deps.demandRepo(tx).setStatus(d.id, to, { at: now(), adminId: staff.id, reason: reason || null });
        await deps.audit.record(tx, {
          actorType: "admin",
          actorId: staff.id,
          entityType: "demand",
          entityId: d.id,
          action: approve ? "demand_published" : "demand_rejected",
          fromStatus: d.status,
          toStatus: to,
          reason: reason || null,
          requestId,
        });
        return ok({ status: to });
      });
    },

    // ---- public ----

    /** The public 企业需求 list: published demands, by default only open ones (deadline not passed). */
    async publicList(q: { category?: string; city?: string; q?: string; status?: string; page?: number }) {
      const categories = await deps.catalog.categories();
      const t = today();
      const filter = {
        category: categories.some((c) => c.code === q.category) ? q.category : undefined,
        cityCode: CITIES.some((c) => c.code === q.city) ? q.city : undefined,
        terms: q.q ? queryTerms(q.q) : undefined,
        openOn: q.status === "all" ? undefined : t,
      };
      const p = pageNumber(q.page);
      const { rows, total } = await repo().published(filter, PUBLIC_PAGE_SIZE, (p - 1) * PUBLIC_PAGE_SIZE);
      return { rows, total, pageNo: p, pages: pagesOf(total, PUBLIC_PAGE_SIZE), categories, today: t, status: q.status === "all" ? "all" : "open" };
    },

    /**
     * A demand's public page. Published demands for everyone, any status for the owner. The contact is
     * in full for the owner and approved providers only. A signed-in provider also gets its response
     * form state: whether it may answer, its earlier response, and its listed products.
     */
    async publicDetail(id: string, accountId?: string) {
      const d = await repo().byId(id);
      if (!d) return undefined;
      const e = accountId ? await deps.enterprises.ofAccount(accountId) : undefined;
      const owner = !!e && e.id === d.enterpriseId;
      if (d.status !== "published" && !owner) return undefined;
      const t = today();
      let respond:
        | { allowed: boolean; reason?: string; existing?: DemandResponse; products: { productId: string; title: string; priceFen: number }[] }
        | undefined;
      const provider = accountId && e?.isProvider ? await activeProvider(accountId) : undefined;
      if (provider) {
        const existing = await repo().response(d.id, provider.id);
        const open = isOpen(d, t);
        respond = {
          allowed: open && !owner,
          reason: owner ? "这是贵企业发布的需求，不能响应" : !open ? "该需求已截止，不能再响应" : undefined,
          existing,
          products: open && !owner ? await listedProducts(provider.id) : [],
        };
      }
      return { demand: withContact(d, owner || !!e?.isProvider), owner, signedIn: !!e, respond, today: t };
    },

    /** 响应需求: an active provider, a published open demand of another enterprise, one response per provider (a second one edits it). */
    async respond(
      accountId: string,
      demandId: string,
      f: Parameters<typeof validateResponse>[0],
      requestId?: string,
    ): Promise<Result<{ created: boolean }>> {
      const e = await deps.enterprises.ofAccount(accountId);
      const provider = e?.isProvider ? await activeProvider(accountId) : undefined;
      if (!e || !provider) return fail({ _form: "仅审核通过的服务商可以响应需求" }, 403);
      const found = await repo().byId(demandId);
      if (found?.status !== "published") return fail({ _form: "需求不存在" }, 404);
      if (found.enterpriseId === e.id) return fail({ _form: "不能响应本企业发布的需求" }, 403);
      const { value, errors } = validateResponse(f);
      let productTitle: string | null = null;
      if (value?.productId) {
        const product = (await listedProducts(provider.id)).find((p) => p.productId === value.productId);
        if (!product) errors.productId = "请选择本机构已上架的服务产品";
        else productTitle = product.title;
      }
      if (!value || Object.keys(errors).length) return fail(errors);
      try {
        return await db.transaction(async (tx) => {
          const r = deps.demandRepo(tx);
          const d = (await r.byId(demandId, true))!;
          if (!isOpen(d, today())) return fail({ _form: "该需求已截止或已关闭，不能再响应" }, 409);
          const existing = await r.response(d.id, provider.id);
          const row = { proposal: value.proposal, quotedFen: value.quotedFen, productId: value.productId, productTitle, providerName: provider.name };
          let responseId: string;
          if (existing) {
            await r.updateResponse(existing.id, row, now());
            responseId = existing.id;
          } else {
            responseId = (await r.insertResponse({ demandId: d.id, providerId: provider.id, ...row }, now())).id;
          }
          await deps.audit.record(tx, {
            actorType: "account",
            actorId: accountId,
            entityType: "demand",
            entityId: d.id,
            action: existing ? "demand_response_updated" : "demand_response_created",
            requestId,
            data: { responseId, providerId: provider.id, productId: value.productId },
          });
          return ok({ created: !existing });
        });
      } catch (err) {
        // Two first responses at once: the unique (demand, provider) key keeps one.
        if (err instanceof UniqueViolation) return fail({ _form: "已提交过响应，请刷新页面后修改" }, 409);
        throw err;
      }
    },

    /** 服务机构中心 / 需求响应: the provider's responses. */
    async myResponses(accountId: string, page: unknown) {
      const provider = await activeProvider(accountId);
      if (!provider) return fail({ _form: "仅审核通过的服务商可以查看需求响应" }, 403);
      const p = pageNumber(page);
      const { rows, total } = await repo().responsesOfProvider(provider.id, PAGE_SIZE, (p - 1) * PAGE_SIZE);
      return ok({ provider, rows, total, pageNo: p, pages: pagesOf(total, PAGE_SIZE), today: today() });
    },

    // ---- for the home page ----

    /** The newest open published demands. */
    async latestPublished(limit: number) {
      const n = Math.max(1, Math.min(50, Math.floor(limit) || 1));
      const { rows } = await repo().published({ openOn: today() }, n, 0);
      return rows.map((d) => ({
        id: d.id,
        title: d.title,
        categoryName: d.categoryName,
        city: cityName(d.cityCode),
        budget: budgetText(d),
        deadline: d.deadline,
        publishedAt: d.publishedAt!,
      }));
    },

    /** How many published demands are open today. */
    async countPublished(): Promise<number> {
      return repo().countPublished(today());
    },
  };
}
export type DemandService = ReturnType<typeof demandService>;
