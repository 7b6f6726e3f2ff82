import type { Clock } from "../../ports/clock.ts";
import type { Db } from "../../ports/db.ts";
import { readDecision } from "../../lib/decision.ts";
import { pageOf, pagesOf } from "../../lib/paging.ts";
import { type Result, fail, ok } from "../../lib/result.ts";
import type { Audit } from "../audit/service.ts";
import type { EnterpriseService } from "../enterprises/service.ts";
import { CITIES } from "../enterprises/domain.ts";
import type { VoucherService } from "../vouchers/service.ts";
import { hasExpired, isValidOn } from "../vouchers/domain.ts";
import { orderAmounts } from "../orders/domain.ts";
import type { CatalogService } from "../catalog/service.ts";
import { categoryNamer } from "../catalog/domain.ts";
import type { Provider } from "../catalog/service.ts";
import { type ProductStatus, type VoucherKind, prereview, queryTerms, validateProduct } from "./domain.ts";
import { checkCoverSvg } from "./cover-svg.ts";
import type { ListingFilter, ProductRepositoryFactory } from "./ports.ts";

export type ProductDeps = {
  db: Db;
  clock: Clock;
  catalog: CatalogService;
  productRepo: ProductRepositoryFactory;
  enterprises: EnterpriseService;
  vouchers: VoucherService;
  audit: Audit;
};

type Staff = { id: string; role: string };
type ProductForm = Parameters<typeof validateProduct>[0];
/** A new cover (SVG text to check), removing the cover, or (undefined) keeping it. */
export type CoverChange = { svg: string } | { remove: true } | undefined;
const canReview = (role: string) => role === "reviewer" || role === "super_admin";
const REGION_CODES = ["450000", ...CITIES.map((c) => c.code)];
export const PAGE_SIZE = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The products module's public surface: the provider's side, the reviewer's side and the public shop window. */
export function productService(deps: ProductDeps) {
  const { db } = deps;
  const now = () => deps.clock.now();

  /** The active provider of the signed-in account, or a failure to show. */
  async function activeProvider(accountId: string): Promise<Result<Provider>> {
    const p = await deps.catalog.providerOfAccount(accountId);
    if (!p) return fail({ _form: "仅入库服务商可以管理服务产品" }, 403);
    if (p.status !== "active") return fail({ _form: "服务商已暂停，不能管理服务产品" }, 403);
    return ok(p);
  }

  /** A product of this provider, locked; another provider's id finds nothing. */
  async function ownProduct(tx: Db, provider: Provider, productId: string) {
    const p = await deps.productRepo(tx).product(productId, true);
    return p && p.providerId === provider.id ? p : undefined;
  }

  async function payableByKind(): Promise<Record<VoucherKind, string[]>> {
    const out: Record<VoucherKind, string[]> = { general: [], special: [] };
    for (const p of await deps.vouchers.openProgrammes()) out[p.kind].push(...p.categories);
    return out;
  }

  /**
   * The voucher a 去使用 link filters the catalog by: one of this account's enterprise's own voucher
   * accounts whose programme has not ended; otherwise a notice.
   */
  async function voucherScope(
    viewerAccountId: string | undefined,
    voucherAccountId: string,
  ): Promise<{ voucher: { accountId: string; name: string; kind: VoucherKind; categories: string[] } } | { notice: string }> {
    if (!viewerAccountId) return { notice: "登录后才能按服务券筛选，以下为全部服务产品" };
    const enterprise = UUID.test(voucherAccountId) ? await deps.enterprises.ofAccount(viewerAccountId) : undefined;
    const programme = enterprise ? await deps.vouchers.programmeOfAccount(enterprise.id, voucherAccountId) : undefined;
    if (!programme) return { notice: "未找到该服务券，以下为全部服务产品" };
    if (hasExpired(programme, now())) return { notice: "该服务券已过期，不能再抵扣，以下为全部服务产品" };
    return { voucher: { accountId: voucherAccountId.toLowerCase(), name: programme.name, kind: programme.kind, categories: programme.categories } };
  }

  return {
    async myProducts(accountId: string) {
      const provider = await activeProvider(accountId);
      if (!provider.ok) return provider;
      return ok({ provider: provider.value, products: await deps.productRepo(db).ofProvider(provider.value.id) });
    },

    /** The provider's own product with its working and listed revisions. */
    async myProduct(accountId: string, productId: string) {
      const provider = await activeProvider(accountId);
      if (!provider.ok) return provider;
      const product = await deps.productRepo(db).product(productId);
      if (!product || product.providerId !== provider.value.id) return fail({ _form: "服务产品不存在" }, 404);
      const [working, listed] = await Promise.all([
        deps.productRepo(db).revision(product.workingRevisionId),
        deps.productRepo(db).revision(product.listedRevisionId),
      ]);
      return ok({ provider: provider.value, product, working: working!, listed });
    },

    /**
     * Creates a product (草稿) or saves its working revision. Editing a listed product starts a new
     * revision; the listed one stays public until the new one is approved. Frozen while 待审核.
     */
    async saveProduct(
      accountId: string,
      productId: string | null,
      f: ProductForm,
      cover?: CoverChange,
      requestId?: string,
    ): Promise<Result<{ productId: string }>> {
      const provider = await activeProvider(accountId);
      if (!provider.ok) return provider;
      const { value, errors } = validateProduct(f, { categories: await deps.catalog.categories(), regionCodes: REGION_CODES });
      let coverSvg: string | null | undefined;
      if (cover && "svg" in cover) {
        const checked = checkCoverSvg(cover.svg);
        if (checked.ok) coverSvg = checked.svg;
        else errors.cover = checked.message;
      } else if (cover) coverSvg = null;
      if (!value || errors.cover) return fail(errors);
      return db.transaction(async (tx) => {
        const repo = deps.productRepo(tx);
        if (!productId) {
          const { product } = await repo.create(provider.value.id, value, coverSvg ?? null);
          await deps.audit.record(tx, {
            actorType: "account",
            actorId: accountId,
            entityType: "product",
            entityId: product.id,
            action: "product_created",
            toStatus: "draft",
            requestId,
          });
          return ok({ productId: product.id });
        }
        const product = await ownProduct(tx, provider.value, productId);
        if (!product) return fail({ _form: "服务产品不存在" }, 404);
        const working = (await repo.revision(product.workingRevisionId))!;
        if (working.status === "pending") return fail({ _form: "该产品正在审核中，不能修改；如需修改请先撤回" }, 409);
        if (working.status === "approved" || working.status === "superseded") {
          const keep = coverSvg === undefined ? ((await repo.coverSvg(working.id)) ?? null) : coverSvg;
          const next = await repo.insertRevision(product.id, value, keep);
          await repo.setProduct(product.id, { working: next.id });
        } else {
          await repo.updateRevision(working.id, value, coverSvg);
          if (product.status === "rejected") await repo.setProduct(product.id, { status: "draft" });
        }
        await deps.audit.record(tx, {
          actorType: "account",
          actorId: accountId,
          entityType: "product",
          entityId: product.id,
          action: "product_edited",
          requestId,
        });
        return ok({ productId: product.id });
      });
    },

    /**
     * A product cover for this reader: anyone for a revision listed now; the owning provider for its
     * products' revisions; review staff for any. Otherwise undefined (the route answers 404).
     */
    async cover(revisionId: string, reader: { accountId?: string; staff?: Staff }): Promise<{ svg: string; public: boolean } | undefined> {
      const repo = deps.productRepo(db);
      const listed = await repo.listedCoverSvg(revisionId);
      if (listed) return { svg: listed, public: true };
      let allowed = !!reader.staff && canReview(reader.staff.role);
      if (!allowed && reader.accountId) {
        const revision = await repo.revision(revisionId);
        const provider = revision && (await activeProvider(reader.accountId));
        const product = provider?.ok ? await repo.product(revision!.productId) : undefined;
        allowed = !!product && !!provider?.ok && product.providerId === provider.value.id;
      }
      const svg = allowed ? await repo.coverSvg(revisionId) : undefined;
      return svg ? { svg, public: false } : undefined;
    },

    /** 提交审核: runs the automatic pre-review and puts the working revision in the queue. */
    async submit(accountId: string, productId: string, requestId?: string) {
      const provider = await activeProvider(accountId);
      if (!provider.ok) return provider;
      const payable = await payableByKind();
      const categories = await deps.catalog.categories();
      const negativeWords = await deps.catalog.negativeWords();
      return db.transaction(async (tx): Promise<Result<{ verdict: string }>> => {
        const repo = deps.productRepo(tx);
        const product = await ownProduct(tx, provider.value, productId);
        if (!product) return fail({ _form: "服务产品不存在" }, 404);
        const working = (await repo.revision(product.workingRevisionId))!;
        if (working.status !== "draft") return fail({ _form: "只有草稿可以提交审核" }, 409);
        const result = prereview(working, { negativeWords, payable, categoryName: categoryNamer(categories) });
        await repo.submitRevision(working.id, result.verdict, result.findings, now());
        if (!product.listedRevisionId) await repo.setProduct(product.id, { status: "pending" });
        await deps.audit.record(tx, {
          actorType: "account",
          actorId: accountId,
          entityType: "product",
          entityId: product.id,
          action: "product_submitted",
          fromStatus: product.status,
          toStatus: "pending",
          requestId,
          data: { revisionId: working.id, prereview: result.verdict },
        });
        return ok({ verdict: result.verdict });
      });
    },

    /** 撤回 / 下架 / 重新上架 by the provider. */
    async providerAction(accountId: string, productId: string, action: string, requestId?: string): Promise<Result<{ status: ProductStatus }>> {
      const provider = await activeProvider(accountId);
      if (!provider.ok) return provider;
      return db.transaction(async (tx): Promise<Result<{ status: ProductStatus }>> => {
        const repo = deps.productRepo(tx);
        const product = await ownProduct(tx, provider.value, productId);
        if (!product) return fail({ _form: "服务产品不存在" }, 404);
        const working = (await repo.revision(product.workingRevisionId))!;
        let to: ProductStatus;
        if (action === "withdraw") {
          if (working.status !== "pending") return fail({ _form: "只有待审核的产品可以撤回" }, 409);
          await repo.setRevisionStatus(working.id, "draft");
          to = product.listedRevisionId ? product.status : "draft";
          if (!product.listedRevisionId) await repo.setProduct(product.id, { status: "draft" });
        } else if (action === "delist") {
          if (product.status !== "listed") return fail({ _form: "只有已上架的产品可以下架" }, 409);
          await repo.deleteListing(product.id);
          await repo.setProduct(product.id, { status: "delisted" });
          to = "delisted";
        } else if (action === "relist") {
          if (product.status !== "delisted" || !product.listedRevisionId) return fail({ _form: "只有已下架的产品可以重新上架" }, 409);
          await repo.upsertListing(product.id, (await repo.revision(product.listedRevisionId))!, provider.value, now());
          await repo.setProduct(product.id, { status: "listed" });
          to = "listed";
        } else return fail({ _form: "操作不正确" }, 400);
        await deps.audit.record(tx, {
          actorType: "account",
          actorId: accountId,
          entityType: "product",
          entityId: product.id,
          action: `product_${action}`,
          fromStatus: product.status,
          toStatus: to,
          requestId,
        });
        return ok({ status: to });
      });
    },

    // ---- review ----

    async productQueue(staff: Staff, page: number) {
      if (!canReview(staff.role)) return fail({ _form: "您的角色无权审核服务产品" }, 403);
      const p = pageOf(page);
      const { rows, total } = await deps.productRepo(db).pendingQueue(PAGE_SIZE, (p - 1) * PAGE_SIZE);
      return ok({ rows, total, pageNo: p, pages: pagesOf(total, PAGE_SIZE) });
    },

    async productReview(staff: Staff, productId: string) {
      if (!canReview(staff.role)) return fail({ _form: "您的角色无权审核服务产品" }, 403);
      const product = await deps.productRepo(db).product(productId);
      if (!product) return fail({ _form: "服务产品不存在" }, 404);
      const [working, listed, provider, timeline] = await Promise.all([
        deps.productRepo(db).revision(product.workingRevisionId),
        deps.productRepo(db).revision(product.listedRevisionId),
        deps.catalog.provider(product.providerId),
        deps.audit.forEntity(db, "product", product.id),
      ]);
      return ok({ product, working: working!, listed, provider: provider!, timeline });
    },

    /** 通过 lists the revision (the previous listed one is superseded); 驳回 needs a reason. */
    async decideProduct(
      staff: Staff,
      productId: string,
      f: { decision: string; reason: string },
      requestId?: string,
    ): Promise<Result<{ status: string }>> {
      if (!canReview(staff.role)) return fail({ _form: "只有审核员或超级管理员可以审核服务产品" }, 403);
      const read = readDecision(f);
      if (!read.ok) return read;
      const decision = read.value.approve ? "approved" : "rejected";
      const reason = read.value.reason;
      const found = await deps.productRepo(db).product(productId);
      if (!found) return fail({ _form: "服务产品不存在" }, 404);
      const provider = (await deps.catalog.provider(found.providerId))!;
      return db.transaction(async (tx) => {
        const repo = deps.productRepo(tx);
        const product = (await repo.product(productId, true))!;
        const working = (await repo.revision(product.workingRevisionId))!;
        if (working.status !== "pending") return fail({ _form: "该产品不在待审核状态" }, 409);
        const at = now();
        if (decision === "approved") {
          if (product.listedRevisionId) await repo.setRevisionStatus(product.listedRevisionId, "superseded");
          await repo.setRevisionStatus(working.id, "approved", { adminId: staff.id, reason: reason || null, at });
          await repo.setProduct(product.id, { status: "listed", listed: working.id, listedAt: at });
          // Written also while the provider is suspended: listings of a suspended provider stay in
          // product_listings and are hidden by the listing queries until 恢复 (docs/decisions.md).
          await repo.upsertListing(product.id, { ...working, status: "approved" }, provider, at);
        } else {
          await repo.setRevisionStatus(working.id, "rejected", { adminId: staff.id, reason, at });
          if (!product.listedRevisionId) await repo.setProduct(product.id, { status: "rejected" });
        }
        await deps.audit.record(tx, {
          actorType: "admin",
          actorId: staff.id,
          entityType: "product",
          entityId: product.id,
          action: decision === "approved" ? "product_approved" : "product_rejected",
          fromStatus: "pending",
          toStatus: decision === "approved" ? "listed" : "rejected",
          reason: reason || null,
          requestId,
          data: { revisionId: working.id },
        });
        return ok({ status: decision });
      });
    },

    // ---- public ----

    /** 推荐到首页 / 取消推荐: reviewers pick listed products for the home page's 推荐服务. */
    async setFeatured(staff: Staff, productId: string, on: boolean, requestId?: string): Promise<Result<{ featured: boolean }>> {
      if (!canReview(staff.role)) return fail({ _form: "只有审核员或超级管理员可以推荐服务产品" }, 403);
      return db.transaction(async (tx): Promise<Result<{ featured: boolean }>> => {
        const repo = deps.productRepo(tx);
        const product = await repo.product(productId, true);
        if (!product) return fail({ _form: "服务产品不存在" }, 404);
        if (on && product.status !== "listed") return fail({ _form: "只有已上架的服务产品可以推荐到首页" }, 409);
        if (on === !!product.featuredAt) return ok({ featured: on });
        await repo.setFeatured(product.id, on ? now() : null);
        await deps.audit.record(tx, {
          actorType: "admin",
          actorId: staff.id,
          entityType: "product",
          entityId: product.id,
          action: on ? "product_featured" : "product_unfeatured",
          requestId,
        });
        return ok({ featured: on });
      });
    },

    /**
     * 恢复 of a provider, inside the catalog's transaction: its 已上架 products without a listing row
     * (approved by an earlier version while the provider was suspended) are listed again.
     */
    async restoreListings(tx: Db, provider: { id: string; name: string }, at: Date): Promise<void> {
      const products = deps.productRepo(tx);
      for (const product of await products.listedWithoutListing(provider.id)) {
        const revision = (await products.revision(product.listedRevisionId))!;
        await products.upsertListing(product.id, revision, provider, product.listedAt ?? at);
      }
    },

    /**
     * The listed product an order is placed on, read in the caller's transaction with a share lock on
     * its listing (a concurrent 下架 waits until the order commits); undefined once off the shelf or
     * when its provider is suspended.
     */
    async orderable(tx: Db, productId: string) {
      const listing = await deps.productRepo(tx).listing(productId, true);
      if (!listing) return undefined;
      const revision = (await deps.productRepo(tx).revision(listing.revisionId))!;
      return { listing, revision };
    },

    /**
     * Told by the orders module in the transaction of 提交评价: one more review of this product with
     * these scores (1-5 each), for the catalog's 评分 sort (docs/decisions.md).
     */
    async addRating(tx: Db, productId: string, scores: { quality: number; timeliness: number; attitude: number }): Promise<void> {
      await deps.productRepo(tx).addRating(productId, scores.quality + scores.timeliness + scores.attitude);
    },

    /** 上架服务产品 on the home page's platform figures. */
    async countListed(): Promise<number> {
      return deps.productRepo(db).countListed();
    },

    /** The newest listings of one voucher kind for the home page, without counting them all. */
    async latest(kind: VoucherKind, limit = 4) {
      return (await deps.productRepo(db).listings({ kind, sort: "newest" }, limit, 0, { count: false })).rows;
    },

    /** A provider's listed products (newest first, at most `limit`), read in one query without a count. */
    async listedProductsOf(providerId: string, limit = 200) {
      return (await deps.productRepo(db).listings({ providerId, sort: "newest" }, limit, 0, { count: false })).rows;
    },

    /** 推荐服务 on the home page. */
    async featured(limit = 4) {
      return deps.productRepo(db).featured(limit);
    },

    /**
     * The public list: filters as the HTTP edge parsed them (amounts already in fen, ids already
     * UUIDs); a category outside the managed list or an unknown value is ignored. `voucher` (去使用)
     * narrows it to what one voucher account of the signed-in enterprise (`viewerAccountId`) can pay
     * for: its programme's kind and categories. Any other voucher id, signed out, or an expired
     * voucher leaves the list unfiltered with a `notice` that says why (the same words for an id
     * that does not exist and another enterprise's).
     */
    async listings(q: {
      category?: string;
      kind?: string;
      region?: string;
      minFen?: number;
      maxFen?: number;
      q?: string;
      sort?: string;
      providerId?: string;
      page?: number;
      voucher?: string;
      viewerAccountId?: string;
    }) {
      const categories = await deps.catalog.categories();
      const scope = q.voucher ? await voucherScope(q.viewerAccountId, q.voucher) : undefined;
      const voucher = scope && "voucher" in scope ? scope.voucher : undefined;
      const notice = scope && "notice" in scope ? scope.notice : undefined;
      const category = categories.some((c) => c.code === q.category) && (!voucher || voucher.categories.includes(q.category!)) ? q.category : undefined;
      const f: ListingFilter = {
        category,
        categories: voucher?.categories,
        kind: voucher ? voucher.kind : q.kind === "general" || q.kind === "special" ? q.kind : undefined,
        region: q.region && REGION_CODES.includes(q.region) && q.region !== "450000" ? q.region : undefined,
        minFen: Number.isSafeInteger(q.minFen) ? q.minFen : undefined,
        maxFen: Number.isSafeInteger(q.maxFen) ? q.maxFen : undefined,
        terms: q.q ? queryTerms(q.q) : undefined,
        providerId: q.providerId && UUID.test(q.providerId) ? q.providerId : undefined,
        sort: q.sort === "price_asc" || q.sort === "price_desc" || q.sort === "rating" ? q.sort : "newest",
      };
      const page = pageOf(q.page);
      const { rows, total } = await deps.productRepo(db).listings(f, PAGE_SIZE, (page - 1) * PAGE_SIZE);
      return { rows, total, pageNo: page, pages: pagesOf(total, PAGE_SIZE), categories, filter: f, voucher, notice };
    },

    /**
     * Product detail: the listed revision, and for a signed-in certified enterprise each voucher
     * account that can pay for it with 补贴券抵扣金额 = min(price x rate, cap, available).
     */
    async productDetail(productId: string, accountId?: string) {
      const listing = await deps.productRepo(db).listing(productId);
      if (!listing) return undefined;
      const revision = (await deps.productRepo(db).revision(listing.revisionId))!;
      const provider = (await deps.catalog.provider(listing.providerId))!;
      const programmes = (await deps.vouchers.openProgrammes()).filter(
        (p) => listing.voucherKinds.includes(p.kind) && p.categories.includes(listing.category) && isValidOn(p, now()),
      );
      let vouchers: {
        programmeName: string;
        kind: string;
        deductionFen: number;
        payFen: number;
        availableFen: number;
        validFrom: string;
        validTo: string;
        rateBp: number;
        capFen: number;
      }[] = [];
      let enterpriseState: "anonymous" | "uncertified" | "certified" = "anonymous";
      if (accountId) {
        const e = await deps.enterprises.ofAccount(accountId);
        enterpriseState = e?.certificationStatus === "certified" ? "certified" : "uncertified";
        if (e && enterpriseState === "certified") {
          const accounts = await deps.vouchers.payableAccounts(e.id, listing.category);
          vouchers = accounts
            .filter((a) => listing.voucherKinds.includes(a.programme.kind))
            .map((a) => {
              // The order's own arithmetic (quantity 1, no contract yet), so this page and 订单详情 agree.
              const amounts = orderAmounts({
                unitPriceFen: listing.priceFen,
                quantity: 1,
                voucher: { rateBp: a.programme.subsidyRateBp, capFen: a.programme.perOrderCapFen, availableFen: a.availableFen },
              });
              if (!amounts.ok) throw new Error(`product ${listing.productId}: ${amounts.error}`);
              return {
                programmeName: a.programme.name,
                kind: a.programme.kind,
                deductionFen: amounts.value.deductionFen,
                payFen: amounts.value.selfPayFen,
                availableFen: a.availableFen,
                validFrom: a.programme.validFrom,
                validTo: a.programme.validTo,
                rateBp: a.programme.subsidyRateBp,
                capFen: a.programme.perOrderCapFen,
              };
            });
        }
      }
      return { listing, revision, provider, programmes, vouchers, enterpriseState };
    },
  };
}
export type ProductService = ReturnType<typeof productService>;
