import { Hono } from "hono";
import { z } from "zod";
import { requireAccount } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, formUploads, render, sendFile } from "../../web/http.ts";
import { checkbox, enumFilter, form, optionalText, pageNo, params, query, searchText, text, uuid, uuidFilter } from "../../web/validate.ts";
import { categoryName, PROGRAMME_KINDS } from "../vouchers/domain.ts";
import {
  ACTOR_TEXT,
  FINAL_STATUSES,
  ORDER_ACTIONS,
  ORDER_STATUS_TEXT,
  ORDER_TABS,
  QUANTITY_MAX,
  type OrderAction,
  type OrderStatus,
  type OrderTab,
  tabOf,
} from "./domain.ts";
import { REPLY_MAX, REVIEW_SCORE_TEXT } from "./review-service.ts";
import { dueOf } from "./payment-service.ts";

export type Status = 200 | 403 | 404 | 409 | 422;

// ---- the edge schemas ----

export const idParam = z.object({ id: uuid("订单不存在") });

/** 订单详情 as a link: the product and, optionally, the quantity typed (the domain checks it against the unit). */
const newQuery = z.object({ product: uuidFilter, quantity: searchText(10) });

/** An optional voucher account id: empty is none; anything else must look like an id. */
const voucherChoice = z.preprocess((v) => {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === "string" && x.trim() !== "" ? x.trim() : undefined;
}, z.uuid({ error: "请选择要使用的服务券" }).optional());

/** 订单详情's form, both for recomputing the amounts and for 提交订单. */
const orderForm = z.object({
  product: uuid("该服务产品不存在或已下架"),
  quantity: text({ max: 10, label: "数量", maxMessage: "数量应为正整数" }),
  useVoucher: checkbox,
  voucherAccountId: voucherChoice,
  submissionKey: text({ max: 100, label: "订单表单", maxMessage: "订单表单已失效，请返回服务产品页面重新申请" }),
});

const listQuery = z.object({ tab: enumFilter(ORDER_TABS), page: pageNo });

/** A version number a page carried in a hidden field; anything else is refused with `message` (the route answers 409). */
export const versionNumber = (message: string) =>
  z.preprocess(
    (v) => (Array.isArray(v) ? v[0] : v),
    z
      .string({ error: message })
      .regex(/^\d{1,9}$/, { error: message })
      .transform(Number),
  );

/** The order's version as the page that posts an action carried it (a stale or forged one is a 409). */
export const versionField = versionNumber("订单已发生变化，请刷新页面查看最新状态");

/** 取消订单: an optional reason (the domain's length rules) and the version of the page the confirmation was opened on. */
const cancelForm = z.object({ reason: optionalText(200, "取消订单原因"), version: versionField });

/** 接单: only the version of the order's page. */
const acceptForm = z.object({ version: versionField });

/** 拒单: the reason (required by the domain: 2..200 characters) and the version. */
const completeForm = z.object({ summary: text({ max: 2200, label: "服务成果说明", maxMessage: "服务成果说明不能超过2000个字" }), version: versionField });
const reviewForm = z.object({
  quality: z.string().max(5).catch(""),
  timeliness: z.string().max(5).catch(""),
  attitude: z.string().max(5).catch(""),
  comment: z.string().max(2000).catch(""),
  version: versionField,
});
/** 回复评价: the text (the service also requires 2 characters at least). */
const replyForm = z.object({ reply: optionalText(REPLY_MAX, "回复内容") });
const deliveryParam = z.object({ id: uuid("订单不存在"), fileId: uuid("文件不存在") });
const declineForm = z.object({ reason: optionalText(200, "拒单原因"), version: versionField });
const disputeForm = z.object({ reason: optionalText(200, "异议原因"), version: versionField });

import { SETTLEMENT_STATUS_TEXT } from "../settlement/domain.ts";
import { MONEY_LINE_TEXT, TERMINATION_PARTY_TEXT, TERMINATION_STATUS_TEXT, moneyStatus } from "./termination-domain.ts";

export const labels = {
  status: ORDER_STATUS_TEXT,
  tabs: ORDER_TABS,
  tabOf,
  kinds: PROGRAMME_KINDS,
  categoryName,
  actor: ACTOR_TEXT,
  action: { submit: "提交订单", ...Object.fromEntries(Object.entries(ORDER_ACTIONS).map(([k, v]) => [k, v.label])) } as Record<string, string>,
  rate: (bp: number) => `${bp / 100}%`,
  quantityMax: QUANTITY_MAX,
  moneyLine: MONEY_LINE_TEXT,
  moneyStatus,
  termStatus: TERMINATION_STATUS_TEXT,
  termParty: TERMINATION_PARTY_TEXT,
  settlementStatus: SETTLEMENT_STATUS_TEXT as Record<string, string>,
};

/** What 订单详情's form shows: the values chosen (or typed) and the defaults of a first visit. */
type Choice = { quantity: string; useVoucher: boolean; voucherAccountId: string };

/** The 订单冻结 notice of an open order while a party is suspended (暂停交易), or null. */
export const frozenOf = (c: Ctx, order: { status: OrderStatus; enterpriseId: string; providerId: string }) =>
  FINAL_STATUSES.includes(order.status) ? Promise.resolve(null) : c.var.deps.monitoring.frozenNotice(order);

/** Order events as the shared timeline partial reads them. */
export const timeline = (events: { at: Date; action: string; toStatus: string | null; actorType: string; reason: string | null }[]) =>
  events.map((e) => ({ occurred_at: e.at, action: e.action, to_status: e.toStatus, actor_type: e.actorType, reason: e.reason }));

/**
 * The confirmation page of an action with a reason (取消订单, 拒单): with its form while the order
 * allows `action`; opened on an order that no longer does, it says why, as a conflict (409).
 */
function confirmation(
  c: Ctx,
  view: string,
  data: { title: string; order: { status: OrderStatus }; actions: readonly string[] } & Record<string, unknown>,
  action: OrderAction,
  refusal: string,
  shown: { errors: Record<string, string>; values: Record<string, string>; status: Status },
) {
  const allowed = data.actions.includes(action);
  const errors = allowed || shown.errors._form ? shown.errors : { _form: `订单当前状态为“${ORDER_STATUS_TEXT[data.order.status]}”，${refusal}` };
  return render(c, view, { ...data, allowed, errors, values: shown.values, labels }, allowed || shown.status !== 200 ? shown.status : 409);
}

export function orderRoutes() {
  const r = new Hono<AppEnv>();

  const gate = (c: Ctx, feature: string, menu: string, status: Status = 200) =>
    render(c, "me/gate", { title: feature, menu, feature, status: c.var.viewer.account!.certificationStatus }, status);
  const noProduct = (c: Ctx) => render(c, "errors/404", { title: "该服务产品不存在或已下架" }, 404);
  const noOrder = (c: Ctx) => render(c, "errors/404", { title: "订单不存在" }, 404);

  /**
   * 订单详情 for a product with the amounts of the choice made: the chosen account's when 使用补贴券 is
   * ticked, otherwise without a voucher. A quantity the unit does not allow is shown as typed with its
   * message, and the amounts stay those of quantity 1.
   */
  const orderPage = async (c: Ctx, productId: string, choice: Partial<Choice>, errors: Record<string, string> = {}, status: Status = 200) => {
    const account = c.var.viewer.account!;
    if (account.certificationStatus !== "certified") return gate(c, "订单详情", "orders", status === 200 ? 200 : 403);
    const orders = c.var.deps.orders;
    let res = await orders.orderPage(account.id, productId, choice.quantity);
    let shownErrors = errors;
    if (!res.ok && res.status === 422) {
      shownErrors = { ...res.errors, ...errors };
      status = 422;
      res = await orders.orderPage(account.id, productId);
    }
    if (!res.ok) {
      if (res.status === 403) return gate(c, "订单详情", "orders", 403);
      // The product left the shelf (or never was): the refusal of 提交订单 is shown on a page without the form.
      if (Object.keys(errors).length) {
        return render(c, "me/order-new", { title: "订单详情", menu: "orders", data: null, errors, choice: {}, labels }, status === 200 ? 409 : status);
      }
      return noProduct(c);
    }
    const data = res.value;
    const chosen = data.accounts.find((a) => a.accountId === choice.voucherAccountId) ?? data.accounts[0];
    const useVoucher = data.accounts.length > 0 && (choice.useVoucher ?? true);
    const amounts = useVoucher && chosen ? chosen.amounts : data.amounts;
    const shown: Choice = {
      quantity: choice.quantity !== undefined && choice.quantity !== "" ? choice.quantity : String(data.quantity),
      useVoucher,
      voucherAccountId: chosen?.accountId ?? "",
    };
    return render(c, "me/order-new", { title: "订单详情", menu: "orders", data, amounts, choice: shown, errors: shownErrors, labels }, status);
  };

  // ---- 申请服务 -> 订单详情 -> 提交订单 ----
  /** A refused 订单详情 form: the page again with what was typed and the messages (an unusable product id is a 404). */
  const reshowOrderPage = (c: Ctx, errors: Record<string, string>, values: Record<string, string>) => {
    const productId = values.product ?? "";
    if (errors.product || !productId) return noProduct(c);
    const choice = { quantity: values.quantity, useVoucher: !!values.useVoucher, voucherAccountId: values.voucherAccountId };
    return orderPage(c, productId, choice, errors, 422);
  };
  r.get("/me/orders/new", requireAccount, query(newQuery), (c) => {
    const q = c.req.valid("query");
    if (!q.product) return noProduct(c);
    return orderPage(c, q.product, { quantity: q.quantity });
  });

  /** Without JavaScript, 重新计算金额 posts the form here; with htmx a change of the form does, and only the amounts are swapped. */
  r.post("/me/orders/new", requireAccount, form(orderForm, reshowOrderPage), (c) => {
    const f = c.req.valid("form");
    return orderPage(c, f.product, { quantity: f.quantity, useVoucher: f.useVoucher, voucherAccountId: f.voucherAccountId });
  });

  r.post("/me/orders", requireAccount, form(orderForm, reshowOrderPage), async (c) => {
    const account = c.var.viewer.account!;
    if (account.certificationStatus !== "certified") return gate(c, "订单详情", "orders", 403);
    const f = c.req.valid("form");
    const res = await c.var.deps.orders.submit(
      account.id,
      { productId: f.product, quantity: f.quantity, useVoucher: f.useVoucher, voucherAccountId: f.voucherAccountId, submissionKey: f.submissionKey },
      c.var.requestId,
    );
    if (!res.ok) {
      if (res.status === 403) return gate(c, "订单详情", "orders", 403);
      const status: Status = res.status === 409 ? 409 : res.status === 404 ? 404 : 422;
      return orderPage(c, f.product, { quantity: f.quantity, useVoucher: f.useVoucher, voucherAccountId: f.voucherAccountId }, res.errors, status);
    }
    flash(c, res.value.replayed ? "该订单已提交，请勿重复提交" : "提交订单成功");
    return c.redirect(`/me/orders/${res.value.order.id}`, 303);
  });

  // ---- 我购买的服务 ----
  r.get("/me/orders", requireAccount, query(listQuery), async (c) => {
    const account = c.var.viewer.account!;
    if (account.certificationStatus !== "certified") return gate(c, "我购买的服务", "orders");
    const q = c.req.valid("query");
    const res = await c.var.deps.orders.mine(account.enterpriseId, q.tab, q.page);
    if (!res.ok) return render(c, "errors/403", { title: "无权访问", message: res.errors._form }, 403);
    const tab: OrderTab = res.value.tab;
    return render(c, "me/orders", { title: "我购买的服务", menu: "orders", ...res.value, tab, query: `tab=${tab}`, labels });
  });

  /**
   * One order with what the page needs: the order's own rows (one read, with 服务成果 and 评价), the
   * voucher used (named from 我的服务券) and the other modules' rows of the order, read side by side
   * once the order is known to be this enterprise's.
   */
  const detail = async (c: Ctx, id: string) => {
    const { deps } = c.var;
    const res = await deps.orders.myOrder(c.var.viewer.account!.enterpriseId, id);
    if (!res.ok) return undefined;
    const { order } = res.value;
    // 支付状态 (the payments module's rows of this order, its reader checked above).
    const [voucher, payments, refunds, frozen] = await Promise.all([
      order.voucherAccountId ? deps.vouchers.programmeOfAccount(order.enterpriseId, order.voucherAccountId) : undefined,
      deps.payments.paymentsOf(order.id),
      deps.payments.refundsOf(order.id),
      frozenOf(c, order),
    ]);
    return { ...res.value, voucher, events: timeline(res.value.events), payments, due: dueOf(order), refunds, frozen };
  };

  r.get("/me/orders/:id", requireAccount, params(idParam, noOrder), async (c) => {
    const d = await detail(c, c.req.valid("param").id);
    if (!d) return noOrder(c);
    return render(c, "me/order", { title: `订单 ${d.order.number}`, menu: "orders", ...d, labels });
  });

  // ---- 取消订单 ----
  const cancelPage = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const d = await detail(c, c.req.param("id") ?? "");
    if (!d) return noOrder(c);
    return confirmation(c, "me/order-cancel", { title: "取消订单", menu: "orders", ...d }, "cancel", "不能取消", { errors, values, status });
  };
  r.get("/me/orders/:id/cancel", requireAccount, params(idParam, noOrder), (c) => cancelPage(c));
  r.post(
    "/me/orders/:id/cancel",
    requireAccount,
    params(idParam, noOrder),
    form(cancelForm, (c: Ctx, errors, values) => cancelPage(c, errors, values, errors.version ? 409 : 422)),
    async (c) => {
      const { id } = c.req.valid("param");
      const f = c.req.valid("form");
      const res = await c.var.deps.orders.cancel(c.var.viewer.account!.id, id, f.reason, c.var.requestId, f.version);
      if (!res.ok) {
        if (res.status === 404) return noOrder(c);
        return cancelPage(c, res.errors, { reason: f.reason }, res.status === 409 ? 409 : res.status === 403 ? 403 : 422);
      }
      flash(c, res.value.voucherAccountId && res.value.deductionFen > 0 ? "订单已取消，补贴券抵扣额度已退回" : "订单已取消");
      return c.redirect(`/me/orders/${id}`, 303);
    },
  );

  // ---- 提出异议 (待支付尾款) ----
  const disputePage = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const d = await detail(c, c.req.param("id") ?? "");
    if (!d) return noOrder(c);
    return confirmation(c, "me/order-dispute", { title: "提出异议", menu: "orders", ...d }, "dispute", "不能提出异议", { errors, values, status });
  };
  r.get("/me/orders/:id/dispute", requireAccount, params(idParam, noOrder), (c) => disputePage(c));
  r.post(
    "/me/orders/:id/dispute",
    requireAccount,
    params(idParam, noOrder),
    form(disputeForm, (c: Ctx, errors, values) => disputePage(c, errors, values, errors.version ? 409 : 422)),
    async (c) => {
      const { id } = c.req.valid("param");
      const f = c.req.valid("form");
      const res = await c.var.deps.orders.dispute(c.var.viewer.account!.id, id, f.reason, f.version, c.var.requestId);
      if (!res.ok) {
        if (res.status === 404) return noOrder(c);
        return disputePage(c, res.errors, { reason: f.reason ?? "" }, res.status === 409 ? 409 : 422);
      }
      flash(c, "已提出异议，平台将介入处理");
      return c.redirect(`/me/orders/${id}`, 303);
    },
  );

  // ---- 服务机构中心: 订单管理, 接单, 拒单 ----
  const notProvider = (c: Ctx, message?: string) =>
    render(
      c,
      "errors/403",
      {
        title: "订单管理",
        message: message ?? "服务机构中心仅对审核通过的服务商开放。请先在个人中心申请成为服务商。",
        link: { href: "/me/provider-application", text: "申请成为服务商" },
      },
      403,
    );

  r.get("/provider/orders", requireAccount, query(listQuery), async (c) => {
    const q = c.req.valid("query");
    const res = await c.var.deps.orders.providerOrders(c.var.viewer.account!.enterpriseId, q.tab, q.page);
    if (!res.ok) return notProvider(c, res.errors._form);
    const tab: OrderTab = res.value.tab;
    return render(c, "provider/orders", { title: "订单管理", ...res.value, tab, query: `tab=${tab}`, labels });
  });

  /** The provider's view of one order (undefined: none of its own), its events as the timeline partial reads them; the other modules' rows read side by side. */
  const providerDetail = async (c: Ctx, id: string) => {
    const { deps } = c.var;
    const res = await deps.orders.providerOrder(c.var.viewer.account!.enterpriseId, id);
    if (!res.ok) return res;
    const { order } = res.value;
    const [refunds, settlement, frozen] = await Promise.all([
      deps.payments.refundsOf(order.id),
      // 兑付状态 beside 已完成 (the settlement module's application holding the order, if any).
      order.status === "completed" ? deps.settlement.ofOrder(order.id) : undefined,
      frozenOf(c, order),
    ]);
    return { ...res, value: { ...res.value, events: timeline(res.value.events), refunds, settlement, frozen } };
  };

  /** The order's page, optionally with the refusal of an action (409 stale, 403) in its error summary. */
  const providerOrderPage = async (c: Ctx, id: string, errors: Record<string, string> = {}, status: Status = 200, values: Record<string, string> = {}) => {
    const res = await providerDetail(c, id);
    if (!res.ok) return res.status === 404 ? noOrder(c) : notProvider(c, res.errors._form);
    const d = res.value;
    return render(c, "provider/order", { title: `订单 ${d.order.number}`, ...d, errors, values, labels }, status);
  };

  r.get("/provider/orders/:id", requireAccount, params(idParam, noOrder), (c) => providerOrderPage(c, c.req.valid("param").id));

  // ---- 开始服务, 完成服务 with 服务成果 ----
  r.post(
    "/provider/orders/:id/start",
    requireAccount,
    params(idParam, noOrder),
    form(acceptForm, (c: Ctx, errors) => providerOrderPage(c, c.req.param("id") ?? "", errors, 409)),
    async (c) => {
      const { id } = c.req.valid("param");
      const res = await c.var.deps.orders.startService(c.var.viewer.account!.id, id, c.req.valid("form").version, c.var.requestId);
      if (!res.ok) {
        if (res.status === 404) return noOrder(c);
        return providerOrderPage(c, id, res.errors, res.status === 403 ? 403 : 409);
      }
      flash(c, "已开始服务");
      return c.redirect(`/provider/orders/${id}`, 303);
    },
  );
  const completePage = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const res = await providerDetail(c, c.req.param("id") ?? "");
    if (!res.ok) return res.status === 404 ? noOrder(c) : notProvider(c, res.errors._form);
    const d = res.value;
    if (d.order.status !== "in_service" && !Object.keys(errors).length) {
      return render(c, "provider/order", { title: `订单 ${d.order.number}`, ...d, errors: { _form: "订单不在服务中，不能完成服务" }, labels }, 409);
    }
    return render(c, "provider/order-complete", { title: "完成服务", ...d, errors, values, labels }, status);
  };
  r.get("/provider/orders/:id/complete", requireAccount, params(idParam, noOrder), (c) => completePage(c));
  r.post(
    "/provider/orders/:id/complete",
    requireAccount,
    params(idParam, noOrder),
    form(completeForm, (c: Ctx, errors, values) => completePage(c, errors, { summary: String(values.summary ?? "").slice(0, 2200) }, 422)),
    async (c) => {
      const { id } = c.req.valid("param");
      const f = c.req.valid("form");
      const files = await formUploads(c, "files");
      const res = await c.var.deps.orders.completeService(c.var.viewer.account!.id, id, { summary: f.summary, files }, f.version, c.var.requestId);
      if (!res.ok) {
        if (res.status === 404) return noOrder(c);
        return completePage(c, res.errors, { summary: f.summary }, res.status === 409 ? 409 : res.status === 403 ? 403 : 422);
      }
      flash(c, res.value.status === "awaiting_review" ? "已完成服务，订单无尾款，等待企业评价" : "已完成服务，等待企业支付尾款");
      return c.redirect(`/provider/orders/${id}`, 303);
    },
  );

  // ---- 评价 (the enterprise, in 待评价) ----
  const reviewPage = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const d = await detail(c, c.req.param("id") ?? "");
    if (!d) return noOrder(c);
    if (d.order.status !== "awaiting_review" && !Object.keys(errors).length) {
      return render(c, "me/order", { title: `订单 ${d.order.number}`, menu: "orders", ...d, errors: { _form: "订单当前不能评价" }, labels }, 409);
    }
    return render(c, "me/order-review", { title: "评价", menu: "orders", ...d, errors, values, scoreText: REVIEW_SCORE_TEXT, labels }, status);
  };
  r.get("/me/orders/:id/review", requireAccount, params(idParam, noOrder), (c) => reviewPage(c));
  r.post(
    "/me/orders/:id/review",
    requireAccount,
    params(idParam, noOrder),
    form(reviewForm, (c: Ctx, errors, values) => reviewPage(c, errors, values as Record<string, string>, 422)),
    async (c) => {
      const { id } = c.req.valid("param");
      const f = c.req.valid("form");
      const res = await c.var.deps.orders.submitReview(c.var.viewer.account!.id, id, f, f.version, c.var.requestId);
      if (!res.ok) {
        if (res.status === 404) return noOrder(c);
        return reviewPage(c, res.errors, f as unknown as Record<string, string>, res.status === 409 ? 409 : 422);
      }
      flash(c, "评价已提交，订单已完成");
      return c.redirect(`/me/orders/${id}`, 303);
    },
  );

  // ---- 回复评价 (the provider, once per review) ----
  r.post(
    "/provider/orders/:id/review-reply",
    requireAccount,
    params(idParam, noOrder),
    form(replyForm, (c: Ctx, errors, values) => providerOrderPage(c, c.req.param("id") ?? "", errors, 422, { reply: String(values.reply ?? "") })),
    async (c) => {
      const { id } = c.req.valid("param");
      const f = c.req.valid("form");
      const res = await c.var.deps.orders.replyToReview(c.var.viewer.account!.id, id, f.reply);
      if (!res.ok) {
        if (res.status === 404) return noOrder(c);
        return providerOrderPage(c, id, res.errors, res.status === 403 ? 403 : res.status === 409 ? 409 : 422, { reply: f.reply });
      }
      flash(c, "回复已提交，将显示在评价下方");
      return c.redirect(`/provider/orders/${id}`, 303);
    },
  );

  // 服务成果 files for both parties of the order.
  for (const base of ["/me/orders", "/provider/orders"]) {
    r.get(`${base}/:id/deliveries/:fileId`, requireAccount, params(deliveryParam, noOrder), async (c) => {
      const { id, fileId } = c.req.valid("param");
      const found = await c.var.deps.orders.deliveryFile(c.var.viewer.account!.id, id, fileId);
      if (!found) return render(c, "errors/404", { title: "文件不存在" }, 404);
      return sendFile(c, found);
    });
  }

  r.post(
    "/provider/orders/:id/accept",
    requireAccount,
    params(idParam, noOrder),
    form(acceptForm, (c: Ctx, errors) => providerOrderPage(c, c.req.param("id") ?? "", errors, 409)),
    async (c) => {
      const { id } = c.req.valid("param");
      const res = await c.var.deps.orders.accept(c.var.viewer.account!.id, id, c.req.valid("form").version, c.var.requestId);
      if (!res.ok) {
        if (res.status === 404) return noOrder(c);
        // A suspended provider sees why on the order's page; an enterprise that is no provider gets the 403 page from it.
        return providerOrderPage(c, id, res.errors, res.status === 403 ? 403 : 409);
      }
      flash(c, "已接单，请制定合同");
      return c.redirect(`/provider/orders/${id}`, 303);
    },
  );

  /** 拒单's confirmation: the reason (required) and the version; with htmx a modal dialog over the order. */
  const declinePage = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const res = await providerDetail(c, c.req.param("id") ?? "");
    if (!res.ok) return res.status === 404 ? noOrder(c) : notProvider(c, res.errors._form);
    const d = res.value;
    return confirmation(c, "provider/order-decline", { title: "拒单", ...d }, "decline", "不能拒单", { errors, values, status });
  };
  r.get("/provider/orders/:id/decline", requireAccount, params(idParam, noOrder), (c) => declinePage(c));
  r.post(
    "/provider/orders/:id/decline",
    requireAccount,
    params(idParam, noOrder),
    form(declineForm, (c: Ctx, errors, values) => declinePage(c, errors, values, errors.version ? 409 : 422)),
    async (c) => {
      const { id } = c.req.valid("param");
      const f = c.req.valid("form");
      const res = await c.var.deps.orders.decline(c.var.viewer.account!.id, id, f.reason, f.version, c.var.requestId);
      if (!res.ok) {
        if (res.status === 404) return noOrder(c);
        if (res.status === 403) return notProvider(c, res.errors._form);
        return declinePage(c, res.errors, { reason: f.reason ?? "" }, res.status === 409 ? 409 : 422);
      }
      flash(c, "已拒单，订单已关闭");
      return c.redirect(`/provider/orders/${id}`, 303);
    },
  );

  return r;
}
