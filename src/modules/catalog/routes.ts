import { Hono } from "hono";
import { requireAccount, requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, formFields, formList, formUploads, render } from "../../web/http.ts";
import { CITIES } from "../enterprises/domain.ts";
import { PROVIDER_APPLICATION_STATUS_TEXT, PROVIDER_STATUS_TEXT, type ProviderApplicationStatus, type ProviderStatus, categoryNamer, regionName } from "./domain.ts";

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

export function catalogRoutes() {
  const r = new Hono<AppEnv>();

  // ---- 申请成为服务商 ----
  const applicationPage = async (c: Ctx, values: Record<string, unknown> = {}, errors: Record<string, string> = {}, status: Status = 200) => {
    const state = await c.var.deps.catalog.myProviderState(c.var.viewer.account!.id);
    if (!state.certified) {
      return render(c, "me/gate", { title: "申请成为服务商", menu: "provider-application", feature: "申请成为服务商", status: c.var.viewer.account!.certificationStatus });
    }
    const last = state.application;
    const prefill = Object.keys(values).length ? values : last ? { ...last } : { contactPhone: c.var.viewer.account!.phone };
    return render(
      c,
      "me/provider-application",
      { title: "申请成为服务商", menu: "provider-application", ...state, form: prefill, errors, labels, categories: await c.var.deps.catalog.categories() },
      status,
    );
  };
  r.get("/me/provider-application", requireAccount, (c) => applicationPage(c));
  r.post("/me/provider-application", requireAccount, async (c) => {
    const f = await formFields(c);
    const input = { ...f, categories: await formList(c, "categories"), regions: await formList(c, "regions") };
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
  });

  // ---- public provider page ----
  r.get("/providers/:id", async (c) => {
    const provider = await c.var.deps.catalog.providerPublic(c.req.param("id"));
    if (!provider) return render(c, "errors/404", { title: "服务商不存在" }, 404);
    const products = await c.var.deps.products.listings({ provider: provider.id, page: c.req.query("page") });
    return render(c, "public/provider", {
      title: provider.name,
      provider,
      products,
      labels,
      categoryName: categoryNamer(products.categories),
    });
  });

  // ---- 管理端: 服务商审核与管理 ----
  r.get("/admin/providers", requireAdmin("reviewer", "super_admin"), async (c) => {
    const q = c.req.query();
    const status = q.status === undefined ? "pending" : q.status;
    const res = await c.var.deps.catalog.applicationQueue(
      c.var.viewer.admin!,
      status in PROVIDER_APPLICATION_STATUS_TEXT ? (status as ProviderApplicationStatus) : undefined,
      Number(q.page ?? 1),
    );
    if (!res.ok) return render(c, "errors/403", { title: "无权访问", message: res.errors._form }, 403);
    return render(c, "admin/provider-applications", { title: "服务商审核", ...res.value, q: { status }, query: `status=${encodeURIComponent(status)}`, labels });
  });
  r.get("/admin/providers/list", requireAdmin("reviewer", "super_admin"), async (c) => {
    const q = c.req.query();
    const res = await c.var.deps.catalog.providers(
      c.var.viewer.admin!,
      q.status && q.status in PROVIDER_STATUS_TEXT ? (q.status as ProviderStatus) : undefined,
      Number(q.page ?? 1),
    );
    if (!res.ok) return render(c, "errors/403", { title: "无权访问", message: res.errors._form }, 403);
    return render(c, "admin/providers", { title: "服务商管理", ...res.value, q, query: q.status ? `status=${encodeURIComponent(q.status)}` : "", labels });
  });
  const detail = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const res = await c.var.deps.catalog.applicationDetail(c.var.viewer.admin!, c.req.param("id") ?? "");
    if (!res.ok) return render(c, res.status === 404 ? "errors/404" : "errors/403", { title: res.status === 404 ? "服务商申请不存在" : "无权访问", message: res.errors._form }, res.status as Status);
    const categories = await c.var.deps.catalog.categories();
    return render(
      c,
      "admin/provider-application",
      { title: "服务商申请详情", ...res.value, errors, values, labels, actionText: PROVIDER_ACTION_TEXT, categoryName: categoryNamer(categories) },
      status,
    );
  };
  r.get("/admin/providers/applications/:id", requireAdmin("reviewer", "super_admin"), (c) => detail(c));
  r.post("/admin/providers/applications/:id/decision", requireAdmin(), async (c) => {
    const f = await formFields(c);
    const res = await c.var.deps.catalog.decideApplication(c.var.viewer.admin!, c.req.param("id"), { decision: f.decision ?? "", reason: f.reason ?? "" }, c.var.requestId);
    if (!res.ok) {
      if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
      return detail(c, res.errors, f, res.status as Status);
    }
    flash(c, res.value.status === "approved" ? "已通过，该企业已入库为服务商" : "已驳回该服务商申请");
    return c.redirect(`/admin/providers/applications/${c.req.param("id")}`, 303);
  });
  r.post("/admin/providers/:id/status", requireAdmin(), async (c) => {
    const f = await formFields(c);
    const res = await c.var.deps.catalog.setProviderStatus(c.var.viewer.admin!, c.req.param("id"), { action: f.action ?? "", reason: f.reason ?? "" }, c.var.requestId);
    if (!res.ok) {
      if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
      flash(c, Object.values(res.errors)[0] ?? "操作失败", "error");
    } else {
      flash(c, res.value.status === "suspended" ? "已暂停该服务商（出库）" : "已恢复该服务商（入库）");
    }
    return c.redirect("/admin/providers/list", 303);
  });

  // ---- 管理端: 服务类别与负面清单 ----
  const settingsPage = async (c: Ctx, errors: Record<string, string> = {}, status: Status = 200) => {
    const res = await c.var.deps.catalog.settings(c.var.viewer.admin!);
    if (!res.ok) return render(c, "errors/403", { title: "无权访问", message: res.errors._form }, 403);
    return render(c, "admin/catalog-settings", { title: "服务类别与负面清单", ...res.value, errors }, status);
  };
  r.get("/admin/catalog-settings", requireAdmin(), (c) => settingsPage(c));
  r.post("/admin/catalog-settings", requireAdmin(), async (c) => {
    const f = await formFields(c);
    const res = await c.var.deps.catalog.changeSettings(c.var.viewer.admin!, f, c.var.requestId);
    if (!res.ok) {
      if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
      return settingsPage(c, res.errors, res.status as Status);
    }
    flash(c, res.value.message);
    return c.redirect("/admin/catalog-settings", 303);
  });

  return r;
}
