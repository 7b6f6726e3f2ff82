/**
 * 评价 (manual 8.5): in 待评价 the ordering enterprise rates 服务质量, 服务时效 and 服务态度 (1-5 each)
 * with a comment; 提交评价 -> 已完成, once. The product's page shows the averages, the count and the
 * latest comments.
 */
import { type Result, fail, ok } from "../../lib/result.ts";
import { type OrderCore, inTransaction, refuse } from "./core-service.ts";
import type { Order, ProductRatings } from "./ports.ts";
import type { OrderDeps } from "./service.ts";

export const REVIEW_COMMENT_MAX = 500;
export const REVIEW_SCORES = ["quality", "timeliness", "attitude"] as const;
export const REVIEW_SCORE_TEXT = { quality: "服务质量", timeliness: "服务时效", attitude: "服务态度" } as const;
export type ReviewInput = { quality: string; timeliness: string; attitude: string; comment: string };

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
        return ok(moved);
      });
    },

    /** The review of an order, for pages that already authorised their reader. */
    async reviewOf(orderId: string) {
      return deps.orderRepo(db).review(orderId);
    },

    /** 服务评价 of a product (public): the count, the averages and the latest comments. */
    async productRatings(productId: string): Promise<ProductRatings> {
      return deps.orderRepo(db).productRatings(productId, 5);
    },
  };
}
