import { Hono } from "hono";
import { z } from "zod";
import { requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, render } from "../../web/http.ts";
import { dateFilter, enumFilter, form, oneOfFilter, optionalText, pageNo, params, query, searchText, uuidFilter } from "../../web/validate.ts";
import { CITIES, cityName } from "../enterprises/domain.ts";
import { type AdminOrderQuery, ORDER_CLOSERS, ORDER_READERS } from "./admin-service.ts";
import { listExport } from "../../web/exports.ts";
import { HIDE_REASON_MAX, REVIEW_HIDERS } from "./review-service.ts";
import { CONTRACT_VERSION_TEXT, ORDER_STATUS_TEXT, REASON_MAX } from "./domain.ts";
import { type Status, frozenOf, idParam, labels as orderLabels, timeline, versionField } from "./routes.ts";

/** 订单管理's filters; each one is ignored when it is not well formed (lenient, like every list). */
const listQuery = z.object({
  number: searchText(30),
  status: enumFilter(ORDER_STATUS_TEXT),
  programme: uuidFilter,
  provider: searchText(50),
  enterprise: searchText(50),
  city: oneOfFilter(CITIES.map((c) => c.code)),
  from: dateFilter,
  to: dateFilter,
  page: pageNo,
});

/** The use cases' query of the parsed one (the list and its export read the same filters). */
const adminQueryOf = (q: z.output<typeof listQuery>): AdminOrderQuery => ({
  number: q.number,
  status: q.status,
  programmeId: q.programme,
  provider: q.provider,
  enterprise: q.enterprise,
  cityCode: q.city,
  from: q.from,
  to: q.to,
});

/** 关闭订单: the reason (required by the domain: 2..200 characters) and the version of the order's page. */
const closeForm = z.object({ reason: optionalText(REASON_MAX, "关闭订单原因"), refund: optionalText(20, "退还企业金额"), version: versionField });
/** 隐藏评价: the reason (the service also requires 2 characters at least). */
const hideForm = z.object({ hideReason: optionalText(HIDE_REASON_MAX, "隐藏原因") });
const resumeForm = z.object({ reason: optionalText(REASON_MAX, "处理意见"), version: versionField });

const labels = {
  ...orderLabels,
  cityName,
  cities: CITIES.map((c) => [c.code, c.name] as [string, string]),
  versionStatus: CONTRACT_VERSION_TEXT,
  providerStatus: { active: "正常", suspended: "已暂停" } as Record<string, string>,
};

/** The admin's 订单管理 (operator, finance, super admin) and the operator's 关闭订单. */
export function orderAdminRoutes() {
  const r = new Hono<AppEnv>();
  const noOrder = (c: Ctx) => render(c, "errors/404", { title: "订单不存在" }, 404);
  const forbidden = (c: Ctx, message?: string) => render(c, "errors/403", { title: "无权访问", message }, 403);

  r.get("/admin/orders", requireAdmin(...ORDER_READERS), query(listQuery), async (c) => {
    const q = c.req.valid("query");
    const res = await c.var.deps.orders.adminOrders(c.var.viewer.admin!, adminQueryOf(q), q.page);
    if (!res.ok) return forbidden(c, res.errors._form);
    const shown = {
      number: q.number,
      status: q.status ?? "",
      programme: q.programme ?? "",
      provider: q.provider,
      enterprise: q.enterprise,
      city: q.city ?? "",
      from: q.from ?? "",
      to: q.to ?? "",
    };
    const link = new URLSearchParams();
    for (const [k, v] of Object.entries(shown)) if (v) link.set(k, v);
    return render(c, "admin/orders", {
      title: "订单管理",
      ...res.value,
      q: shown,
      query: link.toString(),
      programmes: await c.var.deps.vouchers.programmes(),
      labels,
    });
  });

  // 导出 CSV / 导出 Excel of the filtered list (docs/exports.md); registered before /admin/orders/:id.
  listExport(r, { path: "/admin/orders/export", source: "orders", roles: ORDER_READERS, schema: listQuery, toQuery: adminQueryOf });

  /** One order's record, its events as the timeline partial reads them. */
  const detail = async (c: Ctx) => {
    const res = await c.var.deps.orders.adminOrder(c.var.viewer.admin!, c.req.param("id") ?? "");
    if (!res.ok) return res;
    // 评价 with 隐藏评价 for the roles that may hide it (the service checks the role again on posting).
    const [refunds, review] = await Promise.all([c.var.deps.payments.refundsOf(res.value.order.id), c.var.deps.orders.reviewOf(res.value.order.id)]);
    const canHideReview = !!review && !review.hiddenAt && (REVIEW_HIDERS as readonly string[]).includes(c.var.viewer.admin!.role);
    const frozen = await frozenOf(c, res.value.order);
    return { ...res, value: { ...res.value, events: timeline(res.value.events), refunds, review, canHideReview, frozen } };
  };

  r.get("/admin/orders/:id", requireAdmin(...ORDER_READERS), params(idParam, noOrder), async (c) => {
    const res = await detail(c);
    if (!res.ok) return res.status === 404 ? noOrder(c) : forbidden(c, res.errors._form);
    const d = res.value;
    return render(c, "admin/order", { title: `订单 ${d.order.number}`, ...d, labels });
  });

  /** 关闭订单's confirmation: the reason and the order's version; opened on an order that cannot be closed, 409 with its status. */
  const closePage = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const res = await detail(c);
    if (!res.ok) return res.status === 404 ? noOrder(c) : forbidden(c, res.errors._form);
    const d = res.value;
    if (!d.mayClose) return forbidden(c, "只有运营人员或超级管理员可以关闭订单");
    const allowed = d.canClose;
    const shownErrors = allowed || errors._form ? errors : { _form: `订单当前状态为“${ORDER_STATUS_TEXT[d.order.status]}”，不能关闭订单` };
    return render(
      c,
      "admin/order-close",
      { title: "关闭订单", ...d, allowed, errors: shownErrors, values, labels },
      allowed || status !== 200 ? status : 409,
    );
  };

  r.get("/admin/orders/:id/close", requireAdmin(...ORDER_CLOSERS), params(idParam, noOrder), (c) => closePage(c));
  // 继续履约 of an order in 争议处理中: the decision as a reason, on the order's page.
  r.post(
    "/admin/orders/:id/resume",
    requireAdmin(),
    params(idParam, noOrder),
    form(resumeForm, async (c: Ctx, errors) => {
      const res = await detail(c);
      if (!res.ok) return noOrder(c);
      return render(c, "admin/order", { title: `订单 ${res.value.order.number}`, ...res.value, errors, labels }, errors.version ? 409 : 422);
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const f = c.req.valid("form");
      const res = await c.var.deps.orders.adminResume(c.var.viewer.admin!, id, f.reason, f.version, c.var.requestId);
      if (!res.ok) {
        if (res.status === 404) return noOrder(c);
        if (res.status === 403) return forbidden(c, res.errors._form);
        const d = await detail(c);
        if (!d.ok) return noOrder(c);
        return render(c, "admin/order", { title: `订单 ${d.value.order.number}`, ...d.value, errors: res.errors, labels }, res.status === 409 ? 409 : 422);
      }
      flash(c, "已处理异议，订单继续履约（待支付尾款）");
      return c.redirect(`/admin/orders/${id}`, 303);
    },
  );
  // 隐藏评价: the reason, on the order's page; the comment leaves the public pages, the scores stay.
  const hidePage = async (c: Ctx, errors: Record<string, string>, values: Record<string, string>, status: Status) => {
    const res = await detail(c);
    if (!res.ok) return res.status === 404 ? noOrder(c) : forbidden(c, res.errors._form);
    return render(c, "admin/order", { title: `订单 ${res.value.order.number}`, ...res.value, errors, values, labels }, status);
  };
  r.post(
    "/admin/orders/:id/review-hide",
    requireAdmin(),
    params(idParam, noOrder),
    form(hideForm, (c: Ctx, errors, values) => hidePage(c, errors, { hideReason: String(values.hideReason ?? "") }, 422)),
    async (c) => {
      const { id } = c.req.valid("param");
      const f = c.req.valid("form");
      const res = await c.var.deps.orders.hideReview(c.var.viewer.admin!, id, f.hideReason, c.var.requestId);
      if (!res.ok) {
        if (res.status === 404) return noOrder(c);
        if (res.status === 403) return forbidden(c, res.errors._form);
        const { reason, ...rest } = res.errors;
        return hidePage(c, reason ? { ...rest, hideReason: reason } : rest, { hideReason: f.hideReason }, res.status === 409 ? 409 : 422);
      }
      flash(c, "评价已隐藏，评价内容不再公开显示");
      return c.redirect(`/admin/orders/${id}`, 303);
    },
  );
  r.post(
    "/admin/orders/:id/close",
    requireAdmin(),
    params(idParam, noOrder),
    form(closeForm, (c: Ctx, errors, values) => closePage(c, errors, values, errors.version ? 409 : 422)),
    async (c) => {
      const { id } = c.req.valid("param");
      const f = c.req.valid("form");
      const res = await c.var.deps.orders.adminClose(c.var.viewer.admin!, id, f.reason, f.version, c.var.requestId, f.refund);
      if (!res.ok) {
        if (res.status === 404) return noOrder(c);
        if (res.status === 403) return forbidden(c, res.errors._form);
        return closePage(c, res.errors, { reason: f.reason ?? "", refund: f.refund ?? "" }, res.status === 409 ? 409 : 422);
      }
      const o = res.value;
      const released = o.voucherAccountId && o.deductionFen > 0 ? "，补贴券抵扣额度已退回企业" : "";
      const refunded = f.refund && Number.parseFloat(f.refund) > 0 ? "，退款将原路退回企业对公账户" : "";
      flash(c, `订单已${o.status === "closed" ? "关闭" : "终止"}${released}${refunded}`);
      return c.redirect(`/admin/orders/${id}`, 303);
    },
  );

  return r;
}
