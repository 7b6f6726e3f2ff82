import { Hono } from "hono";
import { z } from "zod";
import { requireAccount, requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, formList, formUploads, render } from "../../web/http.ts";
import { publicPage } from "../../web/page-cache.ts";
import { enumFilter, enumFilterOr, enumList, enumOf, form, optionalText, pageNo, params, query, text, textList, uuid } from "../../web/validate.ts";
import { CITIES } from "../enterprises/domain.ts";
import { PROVIDER_APPLICATION_STATUS_TEXT, PROVIDER_STATUS_TEXT, categoryNamer, regionName } from "./domain.ts";

type Status = 200 | 403 | 404 | 409 | 422;

const labels = {
  appStatus: PROVIDER_APPLICATION_STATUS_TEXT,
  providerStatus: PROVIDER_STATUS_TEXT,
  regions: [["450000", "广西全区"], ...CITIES.map((c) => [c.code, c.name])] as [string, string][],
  regionName,
};

export const PROVIDER_ACTION_TEXT: Record<string, string> = {
  provider_applied: "提交服务商申请",
  provider_approved: "审核通过（入库）",
  provider_rejected: "审核驳回",
};

const REGION_TEXT: Record<string, string> = Object.fromEntries(labels.regions);

/** 申请成为服务商: single-field rules here; the domain keeps the managed categories, the phone format and the character rules. */
const applicationSchema = z.object({
  categories: textList(40, "服务类别不正确"),
  regions: enumList(REGION_TEXT, "服务区域不正确"),
  introduction: text({ max: 2000, label: "机构简介", min: 20 }),
  qualifications: optionalText(2000, "资质说明"),
  contactName: text({ max: 30, label: "联系人", required: "请输入联系人" }),
  contactPhone: text({ max: 20, label: "联系电话", required: "请输入联系电话", maxMessage: "联系电话应为11位手机号或带区号的固定电话" }),
});
const decisionSchema = z.object({
  decision: enumOf({ approve: "通过", reject: "驳回" }, "请选择通过或驳回"),
  reason: optionalText(500, "原因"),
});
const statusSchema = z.object({
  action: enumOf({ suspend: "暂停", restore: "恢复" }, "请选择操作"),
  reason: optionalText(500, "原因"),
});
const SETTINGS_ACTIONS = {
  add_category: "添加类别",
  disable_category: "停用类别",
  enable_category: "启用类别",
  add_word: "添加词语",
  remove_word: "移除词语",
} as const;
const settingsSchema = z.object({
  action: enumOf(SETTINGS_ACTIONS, "操作不正确"),
  code: text({ max: 40, label: "类别代码", maxMessage: "类别代码为2-40位小写字母、数字或连字符，以字母开头" }),
  name: text({ max: 20, label: "类别名称", maxMessage: "类别名称为1-20个字" }),
  word: text({ max: 20, label: "负面清单词语", maxMessage: "负面清单词语为1-20个字" }),
});
const idParam = z.object({ id: uuid() });
const pageQuery = z.object({ page: pageNo });
const applicationQueueQuery = z.object({ page: pageNo, status: enumFilterOr(PROVIDER_APPLICATION_STATUS_TEXT, "pending") });
const providersQuery = z.object({ page: pageNo, status: enumFilter(PROVIDER_STATUS_TEXT) });

export function catalogRoutes() {
  const r = new Hono<AppEnv>();
  const applicationNotFound = (c: Ctx) => render(c, "errors/404", { title: "服务商申请不存在" }, 404);
  const providerNotFound = (c: Ctx) => render(c, "errors/404", { title: "服务商不存在" }, 404);

  // ---- 申请成为服务商 ----
  const applicationPage = async (c: Ctx, values: Record<string, unknown> = {}, errors: Record<string, string> = {}, status: Status = 200) => {
    const state = await c.var.deps.catalog.myProviderState(c.var.viewer.account!.id);
    if (!state.certified) {
      return render(c, "me/gate", {
        title: "申请成为服务商",
        menu: "provider-application",
        feature: "申请成为服务商",
        status: c.var.viewer.account!.certificationStatus,
      });
    }
    const last = state.application;
    const prefill = Object.keys(values).length ? values : last ? { ...last } : { contactPhone: c.var.viewer.account!.phone };
    return render(
      c,
      "me/provider-application",
      {
        title: "申请成为服务商",
        menu: "provider-application",
        ...state,
        form: prefill,
        errors,
        labels,
        categories: await c.var.deps.catalog.categories(),
      },
      status,
    );
  };
  r.get("/me/provider-application", requireAccount, (c) => applicationPage(c));
  r.post(
    "/me/provider-application",
    requireAccount,
    form(applicationSchema, async (c: Ctx, errors, values) =>
      applicationPage(c, { ...values, categories: await formList(c, "categories"), regions: await formList(c, "regions") }, errors, 422),
    ),
    async (c) => {
      const input = c.req.valid("form");
      const res = await c.var.deps.catalog.applyAsProvider(
        c.var.viewer.account!.id,
        input,
        { qualifications: await formUploads(c, "qualificationFiles"), contracts: await formUploads(c, "contractFiles") },
        c.var.requestId,
      );
      if (!res.ok) {
        if (res.status === 403 || res.status === 409) {
          flash(c, res.errors._form ?? "无法提交", "error");
          return c.redirect("/me/provider-application", 303);
        }
        return applicationPage(c, input, res.errors, res.status as Status);
      }
      flash(c, "服务商申请已提交，状态为待审核。");
      return c.redirect("/me/provider-application", 303);
    },
  );

  // ---- public provider page ----
  r.get("/providers/:id", publicPage(["catalog", "products", "reviews"]), params(idParam, providerNotFound), query(pageQuery), async (c) => {
    const provider = await c.var.deps.catalog.providerPublic(c.req.valid("param").id);
    if (!provider) return providerNotFound(c);
    const [products, ratings] = await Promise.all([
      c.var.deps.products.listings({ providerId: provider.id, page: c.req.valid("query").page }),
      c.var.deps.orders.providerRatings(provider.id),
    ]);
    return render(c, "public/provider", {
      title: provider.name,
      provider,
      products,
      ratings,
      labels,
      categoryName: categoryNamer(products.categories),
    });
  });

  // ---- 管理端: 服务商审核与管理 ----
  r.get("/admin/providers", requireAdmin("reviewer", "super_admin"), query(applicationQueueQuery), async (c) => {
    const { status, page } = c.req.valid("query");
    const res = await c.var.deps.catalog.applicationQueue(c.var.viewer.admin!, status || undefined, page);
    if (!res.ok) return render(c, "errors/403", { title: "无权访问", message: res.errors._form }, 403);
    return render(c, "admin/provider-applications", {
      title: "服务商审核",
      ...res.value,
      q: { status },
      query: `status=${encodeURIComponent(status)}`,
      labels,
    });
  });
  r.get("/admin/providers/list", requireAdmin("reviewer", "super_admin"), query(providersQuery), async (c) => {
    const { status, page } = c.req.valid("query");
    const res = await c.var.deps.catalog.providers(c.var.viewer.admin!, status, page);
    if (!res.ok) return render(c, "errors/403", { title: "无权访问", message: res.errors._form }, 403);
    // 暂停交易 (the monitoring module, for fraud) is apart from 暂停（出库）: marked beside it.
    const live = await c.var.deps.monitoring.liveAmong(res.value.rows.map((p) => ({ kind: "provider" as const, id: p.id })));
    return render(c, "admin/providers", {
      title: "服务商管理",
      ...res.value,
      tradingSuspended: new Set(live.map((s) => s.partyId)),
      q: { status: status ?? "" },
      query: status ? `status=${encodeURIComponent(status)}` : "",
      labels,
    });
  });
  const detail = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const res = await c.var.deps.catalog.applicationDetail(c.var.viewer.admin!, c.req.param("id") ?? "");
    if (!res.ok)
      return render(
        c,
        res.status === 404 ? "errors/404" : "errors/403",
        { title: res.status === 404 ? "服务商申请不存在" : "无权访问", message: res.errors._form },
        res.status as Status,
      );
    const categories = await c.var.deps.catalog.categories();
    return render(
      c,
      "admin/provider-application",
      { title: "服务商申请详情", ...res.value, errors, values, labels, actionText: PROVIDER_ACTION_TEXT, categoryName: categoryNamer(categories) },
      status,
    );
  };
  r.get("/admin/providers/applications/:id", requireAdmin("reviewer", "super_admin"), params(idParam, applicationNotFound), (c) => detail(c));
  r.post(
    "/admin/providers/applications/:id/decision",
    requireAdmin(),
    params(idParam, applicationNotFound),
    form(decisionSchema, (c: Ctx, errors, values) => detail(c, errors, values, 422)),
    async (c) => {
      const f = c.req.valid("form");
      const id = c.req.valid("param").id;
      const res = await c.var.deps.catalog.decideApplication(c.var.viewer.admin!, id, f, c.var.requestId);
      if (!res.ok) {
        if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
        return detail(c, res.errors, f, res.status as Status);
      }
      flash(c, res.value.status === "approved" ? "已通过，该企业已入库为服务商" : "已驳回该服务商申请");
      return c.redirect(`/admin/providers/applications/${id}`, 303);
    },
  );
  r.post(
    "/admin/providers/:id/status",
    requireAdmin(),
    params(idParam, providerNotFound),
    form(statusSchema, (c: Ctx, errors) => {
      flash(c, Object.values(errors)[0] ?? "操作失败", "error");
      return c.redirect("/admin/providers/list", 303);
    }),
    async (c) => {
      const res = await c.var.deps.catalog.setProviderStatus(c.var.viewer.admin!, c.req.valid("param").id, c.req.valid("form"), c.var.requestId);
      if (!res.ok) {
        if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
        flash(c, Object.values(res.errors)[0] ?? "操作失败", "error");
      } else {
        flash(c, res.value.status === "suspended" ? "已暂停该服务商（出库）" : "已恢复该服务商（入库）");
      }
      return c.redirect("/admin/providers/list", 303);
    },
  );

  // ---- 管理端: 服务类别与负面清单 ----
  const settingsPage = async (c: Ctx, errors: Record<string, string> = {}, status: Status = 200) => {
    const res = await c.var.deps.catalog.settings(c.var.viewer.admin!);
    if (!res.ok) return render(c, "errors/403", { title: "无权访问", message: res.errors._form }, 403);
    return render(c, "admin/catalog-settings", { title: "服务类别与负面清单", ...res.value, errors }, status);
  };
  r.get("/admin/catalog-settings", requireAdmin(), (c) => settingsPage(c));
  r.post(
    "/admin/catalog-settings",
    requireAdmin(),
    form(settingsSchema, (c: Ctx, errors) => settingsPage(c, errors, 422)),
    async (c) => {
      const res = await c.var.deps.catalog.changeSettings(c.var.viewer.admin!, c.req.valid("form"), c.var.requestId);
      if (!res.ok) {
        if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
        return settingsPage(c, res.errors, res.status as Status);
      }
      flash(c, res.value.message);
      return c.redirect("/admin/catalog-settings", 303);
    },
  );

  return r;
}
