/**
 * 评价 (manual 8.5): in 待评价 the ordering enterprise rates 服务质量, 服务时效 and 服务态度 (1-5 each)
 * with a comment; 提交评价 -> 已完成, once, and the product's rating summary (the catalog's 评分 sort)
 * moves in the same transaction. The product's and the provider's public pages show the averages,
 * the count and the latest comments. The provider replies once (回复评价); an operator may hide an
 * abusive comment with a reason (隐藏评价, audited): its text and reply leave the public pages, its
 * scores still count (docs/decisions.md).
 */
import { type Result, fail, ok } from "../../lib/result.ts";
import { type OrderCore, inTransaction, refuse } from "./core-service.ts";
import type { Order, OrderReview, ProductRatings } from "./ports.ts";
import type { OrderDeps } from "./service.ts";

export const REVIEW_COMMENT_MAX = 500;
export const REVIEW_SCORES = ["quality", "timeliness", "attitude"] as const;
export const REVIEW_SCORE_TEXT = { quality: "服务质量", timeliness: "服务时效", attitude: "服务态度" } as const;
export type ReviewInput = { quality: string; timeliness: string; attitude: string; comment: string };
export const REPLY_MIN = 2;
export const REPLY_MAX = 500;
export const HIDE_REASON_MIN = 2;
export const HIDE_REASON_MAX = 200;
/** Staff who may 隐藏评价: the operators who handle orders and the super admin (finance only reads). */
export const REVIEW_HIDERS = ["operator", "super_admin"] as const;
/** How many comments the public pages list. */
const LATEST = 5;

/** A required text of `min`..`max` characters (trimmed, line breaks kept), or the message beside its field. */
export function checkText(raw: string | undefined, label: string, min: number, max: number): { text: string } | { error: string } {
  const text = (raw ?? "").normalize("NFC").replace(/\r\n/g, "\n").trim();
  const n = [...text].length;
  if (!n) return { error: `请填写${label}` };
  if (n < min) return { error: `${label}至少${min}个字` };
  if (n > max) return { error: `${label}不能超过${max}个字` };
  return { text };
}

/** The scores (whole numbers 1-5) and the comment, or the messages beside each field. */
export function checkReview(
  input: ReviewInput,
): { ok: true; value: { quality: number; timeliness: number; attitude: number; comment: string } } | { ok: false; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const scores: Record<string, number> = {};
  for (const k of REVIEW_SCORES) {
    const raw = (input[k] ?? "").trim();
    const n = /^[1-5]$/.test(raw) ? Number(raw) : Number.NaN;
    if (Number.isNaN(n)) errors[k] = `请为${REVIEW_SCORE_TEXT[k]}选择1至5分`;
    else scores[k] = n;
  }
  const comment = (input.comment ?? "").trim();
  if ([...comment].length > REVIEW_COMMENT_MAX) errors.comment = `评价内容不能超过${REVIEW_COMMENT_MAX}个字`;
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, value: { quality: scores.quality!, timeliness: scores.timeliness!, attitude: scores.attitude!, comment } };
}

export function reviewUseCases(deps: OrderDeps, core: OrderCore) {
  const { db } = deps;
  return {
    /** 提交评价 by the ordering enterprise in 待评价, on the page's version: the review and 已完成 in one transaction. */
    async submitReview(
      accountId: string,
      orderId: string,
      input: ReviewInput,
      expectedVersion: number | undefined,
      requestId?: string,
    ): Promise<Result<Order>> {
      const checked = checkReview(input);
      if (!checked.ok) return fail(checked.errors);
      const enterprise = await deps.enterprises.ofAccount(accountId);
      if (!enterprise) return fail({ _form: "订单不存在" }, 404);
      return inTransaction(db, async (tx) => {
        const repo = deps.orderRepo(tx);
        const order = await repo.byId(orderId, true);
        if (!order || order.enterpriseId !== enterprise.id) return refuse({ _form: "订单不存在" }, 404);
        if (await repo.review(order.id)) return refuse({ _form: "该订单已评价" }, 409);
        const moved = await core.apply(tx, order, { action: "review", actor: "enterprise", actorId: accountId, reason: null, requestId, expectedVersion });
        await repo.addReview({
          orderId: order.id,
          productId: order.productId,
          providerId: order.providerId,
          enterpriseId: order.enterpriseId,
          ...checked.value,
          createdAt: deps.clock.now(),
        });
        // The product's rating summary for the catalog's 评分 sort, in the same transaction (the products module owns it).
        await deps.products.addRating(tx, order.productId, checked.value);
        return ok(moved);
      });
    },

    /** The review of an order, for pages that already authorised their reader. */
    async reviewOf(orderId: string) {
      return deps.orderRepo(db).review(orderId);
    },

    /** 服务评价 of a product (public): the count, the averages and the latest comments (hidden ones without their text). */
    async productRatings(productId: string): Promise<ProductRatings> {
      return deps.orderRepo(db).ratings({ productId }, LATEST);
    },

    /** 服务评价 of a provider (public): over all its products, the latest comments with each product's title. */
    async providerRatings(providerId: string): Promise<ProductRatings> {
      return deps.orderRepo(db).ratings({ providerId }, LATEST);
    },

    /**
     * 回复评价 by the provider that sold the service, once per review (2..500 characters). An
     * enterprise that is no provider: 403; another provider's order: 404; no review yet, or a reply
     * already there: 409, nothing changed (the write is conditional, so two tabs cannot both reply).
     */
    async replyToReview(accountId: string, orderId: string, raw: string | undefined): Promise<Result<OrderReview>> {
      const checked = checkText(raw, "回复内容", REPLY_MIN, REPLY_MAX);
      if ("error" in checked) return fail({ reply: checked.error });
      const provider = await deps.catalog.providerOfAccount(accountId);
      if (!provider) return fail({ _form: "仅入库服务商可以回复评价" }, 403);
      const repo = deps.orderRepo(db);
      const order = await repo.byId(orderId);
      if (!order || order.providerId !== provider.id) return fail({ _form: "订单不存在" }, 404);
      const review = await repo.review(order.id);
      if (!review) return fail({ _form: "该订单尚未评价，不能回复" }, 409);
      const at = deps.clock.now();
      if (review.reply !== null || !(await repo.replyToReview(order.id, checked.text, accountId, at))) {
        return fail({ _form: "已回复过该评价，每条评价只能回复一次" }, 409);
      }
      return ok({ ...review, reply: checked.text, repliedAt: at });
    },

    /**
     * 隐藏评价 by an operator (or the super admin) with a reason (2..200 characters): the comment and
     * its reply leave the public pages, the scores still count; one audit event (`review_hidden`) in
     * the same transaction. Finance and other roles: 403; no review: 404; hidden already: 409.
     */
    async hideReview(staff: { id: string; role: string }, orderId: string, raw: string | undefined, requestId?: string): Promise<Result<OrderReview>> {
      if (!(REVIEW_HIDERS as readonly string[]).includes(staff.role)) return fail({ _form: "只有运营人员或超级管理员可以隐藏评价" }, 403);
      const checked = checkText(raw, "隐藏原因", HIDE_REASON_MIN, HIDE_REASON_MAX);
      if ("error" in checked) return fail({ reason: checked.error });
      return inTransaction(db, async (tx) => {
        const repo = deps.orderRepo(tx);
        const review = await repo.review(orderId);
        if (!review) return refuse({ _form: "该订单没有评价" }, 404);
        const at = deps.clock.now();
        if (!(await repo.hideReview(review.orderId, checked.text, staff.id, at))) return refuse({ _form: "该评价已被隐藏" }, 409);
        const order = await repo.byId(review.orderId);
        await deps.audit.record(tx, {
          actorType: "admin",
          actorId: staff.id,
          entityType: "order",
          entityId: review.orderId,
          action: "review_hidden",
          reason: checked.text,
          requestId,
          data: { number: order?.number },
        });
        return ok({ ...review, hiddenAt: at, hiddenReason: checked.text });
      });
    },
  };
}
