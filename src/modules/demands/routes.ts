import { Hono } from "hono";
import { requireAccount, requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, formFields, isHtmx, render } from "../../web/http.ts";
import { CITIES } from "../enterprises/domain.ts";
import { fenToYuanInput } from "../vouchers/domain.ts";
import { DEMAND_STATUS_TEXT, DISPLAY_STATUS_TEXT, type DemandForm, type DemandStatus, budgetText, displayStatus, regionText } from "./domain.ts";
import type { Demand } from "./ports.ts";

type Status = 200 | 403 | 404 | 409 | 422;
const ID = "{[0-9a-fA-F-]{36}}";

const STATUS_CLASS: Record<string, string> = {
  pending: "status-pending",
  published: "status-certified",
  rejected: "status-rejected",
  withdrawn: "status-uncertified",
  closed: "status-uncertified",
  expired: "status-uncertified",
};

const labels = {
  status: DISPLAY_STATUS_TEXT,
  statusClass: STATUS_CLASS,
  cities: CITIES,
  displayStatus,
  budgetText,
  regionText,
};

export const DEMAND_ACTION_TEXT: Record<string, string> = {
  demand_submitted: "提交需求",
  demand_resubmitted: "修改后重新提交",
  demand_published: "审核通过（发布）",
  demand_rejected: "审核驳回",
  demand_withdrawn: "撤回",
  demand_closed: "关闭需求",
  demand_response_created: "服务商响应需求",
  demand_response_updated: "服务商修改响应",
};

const formFromDemand = (d: Demand): DemandForm => ({
  title: d.title,
  category: d.category,
  description: d.description,
  budgetMin: d.budgetMinFen === null ? "" : fenToYuanInput(d.budgetMinFen),
  budgetMax: d.budgetMaxFen === null ? "" : fenToYuanInput(d.budgetMaxFen),
  budgetNegotiable: d.budgetNegotiable ? "yes" : "",
  cityCode: d.cityCode,
  districtCode: d.districtCode ?? "",
  deadline: d.deadline,
  contactName: d.contactName,
  contactPhone: d.contactPhone,
});

export function demandRoutes() {
  const r = new Hono<AppEnv>();

  const notFound = (c: Ctx, message?: string) => render(c, "errors/404", { title: "需求不存在", message }, 404);
  const forbidden = (c: Ctx, message?: string) => render(c, "errors/403", { title: "无权访问", message }, 403);

  // ---- 公众端: 企业需求 ----
  r.get("/demands", async (c) => {
    const q = c.req.query();
    const data = await c.var.deps.demands.publicList(q);
    const params = new URLSearchParams();
    for (const k of ["category", "city", "q", "status"]) if (q[k]) params.set(k, q[k]!);
    c.header("Vary", "HX-Request");
    const view = isHtmx(c) && c.req.header("HX-Target") === "results" ? "public/demand-results" : "public/demands";
    return render(c, view, { title: "企业需求", q, query: params.toString(), ...data, labels });
  });

  const detailPage = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> | null = null, status: Status = 200) => {
    const d = await c.var.deps.demands.publicDetail(c.req.param("id") ?? "", c.var.viewer.account?.id);
    if (!d) return notFound(c);
    const existing = d.respond?.existing;
    const form = values ?? (existing ? { proposal: existing.proposal, quotedPrice: existing.quotedFen ? fenToYuanInput(existing.quotedFen) : "", productId: existing.productId ?? "" } : {});
    return render(c, "public/demand", { title: d.demand.title, ...d, form, errors, labels }, status);
  };
  r.get(`/demands/:id${ID}`, (c) => detailPage(c));
  r.post(`/demands/:id${ID}/respond`, requireAccount, async (c) => {
    const f = await formFields(c);
    const input = { proposal: f.proposal ?? "", quotedPrice: f.quotedPrice ?? "", productId: f.productId ?? "" };
    const res = await c.var.deps.demands.respond(c.var.viewer.account!.id, c.req.param("id"), input, c.var.requestId);
    if (!res.ok) {
      if (res.status === 404) return notFound(c);
      if (res.status === 403) return forbidden(c, res.errors._form);
      if (res.status === 409) {
        flash(c, res.errors._form ?? "无法响应", "error");
        return c.redirect(`/demands/${c.req.param("id")}`, 303);
      }
      return detailPage(c, res.errors, input, 422);
    }
    flash(c, res.value.created ? "已提交响应。需求企业可在“我的需求管理”中查看。" : "已更新响应");
    return c.redirect(`/demands/${c.req.param("id")}`, 303);
  });

  // ---- 个人中心: 我的需求管理 ----
  r.use("/me/demands", requireAccount);
  r.use("/me/demands/*", requireAccount);
  const gate = (c: Ctx, feature: string, status: Status = 200) =>
    render(c, "me/gate", { title: feature, menu: "demands", feature, status: c.var.viewer.account!.certificationStatus }, status);

  r.get("/me/demands", async (c) => {
    const res = await c.var.deps.demands.mine(c.var.viewer.account!.id, c.req.query("page"));
    if (!res.ok) return notFound(c);
    if (!res.value.certified && res.value.total === 0) return gate(c, "我的需求管理");
    return render(c, "me/demands", { title: "我的需求管理", menu: "demands", ...res.value, labels });
  });

  const formPage = async (c: Ctx, demandId: string | null, form: DemandForm, errors: Record<string, string> = {}, status: Status = 200) => {
    let demand: Demand | null = null;
    if (demandId) {
      const res = await c.var.deps.demands.myDemand(c.var.viewer.account!.id, demandId);
      if (!res.ok) return notFound(c);
      demand = res.value.demand;
    }
    const categories = await c.var.deps.demands.categories();
    return render(
      c,
      "me/demand-form",
      { title: demandId ? "修改需求" : "发布需求", menu: "demands", demandId, demand, form, errors, categories, labels },
      status,
    );
  };
  r.get("/me/demands/new", async (c) => {
    if (!(await c.var.deps.demands.canPublish(c.var.viewer.account!.id))) return gate(c, "发布需求");
    return formPage(c, null, { contactPhone: c.var.viewer.account!.phone });
  });
  r.post("/me/demands/new", async (c) => {
    const f: DemandForm = await formFields(c);
    const res = await c.var.deps.demands.submit(c.var.viewer.account!.id, f, c.var.requestId);
    if (!res.ok) return res.status === 403 ? gate(c, "发布需求", 403) : formPage(c, null, f, res.errors, res.status as Status);
    flash(c, "需求已提交，状态为待处理。平台审核通过后将在“企业需求”中公开。");
    return c.redirect(`/me/demands/${res.value.id}`, 303);
  });

  r.get(`/me/demands/:id${ID}`, async (c) => {
    const res = await c.var.deps.demands.myDemand(c.var.viewer.account!.id, c.req.param("id"));
    if (!res.ok) return notFound(c);
    return render(c, "me/demand", { title: res.value.demand.title, menu: "demands", ...res.value, labels, actionText: DEMAND_ACTION_TEXT, statusText: DEMAND_STATUS_TEXT });
  });
  r.get(`/me/demands/:id${ID}/edit`, async (c) => {
    const res = await c.var.deps.demands.myDemand(c.var.viewer.account!.id, c.req.param("id"));
    if (!res.ok) return notFound(c);
    const d = res.value.demand;
    if (d.status !== "rejected" && d.status !== "withdrawn") {
      flash(c, `该需求${DEMAND_STATUS_TEXT[d.status]}，不能修改`, "error");
      return c.redirect(`/me/demands/${d.id}`, 303);
    }
    return formPage(c, d.id, formFromDemand(d));
  });
  r.post(`/me/demands/:id${ID}/edit`, async (c) => {
    const f: DemandForm = await formFields(c);
    const id = c.req.param("id");
    const res = await c.var.deps.demands.resubmit(c.var.viewer.account!.id, id, f, c.var.requestId);
    if (!res.ok) {
      if (res.status === 404) return notFound(c);
      if (res.status === 403) return gate(c, "发布需求", 403);
      if (res.status === 409) {
        flash(c, res.errors._form ?? "不能修改", "error");
        return c.redirect(`/me/demands/${id}`, 303);
      }
      return formPage(c, id, f, res.errors, res.status as Status);
    }
    flash(c, "已重新提交，状态为待处理。");
    return c.redirect(`/me/demands/${id}`, 303);
  });
  r.post(`/me/demands/:id${ID}/:action{withdraw|close}`, async (c) => {
    const id = c.req.param("id");
    const action = c.req.param("action") as "withdraw" | "close";
    const res = await c.var.deps.demands.ownerAction(c.var.viewer.account!.id, id, action, c.var.requestId);
    if (!res.ok) {
      if (res.status === 404) return notFound(c);
      flash(c, res.errors._form ?? "操作失败", "error");
    } else {
      flash(c, action === "withdraw" ? "已撤回。可修改后重新提交。" : "需求已关闭，不再公开展示。");
    }
    return c.redirect(`/me/demands/${id}`, 303);
  });

  // ---- 服务机构中心: 需求响应 ----
  r.get("/provider/responses", requireAccount, async (c) => {
    const res = await c.var.deps.demands.myResponses(c.var.viewer.account!.id, c.req.query("page"));
    if (!res.ok) return forbidden(c, res.errors._form);
    return render(c, "provider/responses", { title: "需求响应", ...res.value, labels });
  });

  // ---- 管理端: 企业需求审核 ----
  r.get("/admin/demands", requireAdmin("reviewer", "super_admin"), async (c) => {
    const q = c.req.query();
    const status = q.status === undefined ? "pending" : q.status;
    const res = await c.var.deps.demands.queue(c.var.viewer.admin!, status in DEMAND_STATUS_TEXT ? (status as DemandStatus) : undefined, q.page);
    if (!res.ok) return forbidden(c, res.errors._form);
    return render(c, "admin/demands", { title: "企业需求审核", ...res.value, q: { status }, query: `status=${encodeURIComponent(status)}`, labels, statusOptions: Object.entries(DEMAND_STATUS_TEXT) });
  });
  const reviewPage = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const res = await c.var.deps.demands.reviewDetail(c.var.viewer.admin!, c.req.param("id") ?? "");
    if (!res.ok) return res.status === 404 ? notFound(c) : forbidden(c, res.errors._form);
    return render(c, "admin/demand", { title: "企业需求审核", ...res.value, errors, values, labels, actionText: DEMAND_ACTION_TEXT, statusText: DEMAND_STATUS_TEXT }, status);
  };
  r.get(`/admin/demands/:id${ID}`, requireAdmin("reviewer", "super_admin"), (c) => reviewPage(c));
  r.post(`/admin/demands/:id${ID}/decision`, requireAdmin(), async (c) => {
    const f = await formFields(c);
    const res = await c.var.deps.demands.decide(c.var.viewer.admin!, c.req.param("id"), { decision: f.decision ?? "", reason: f.reason ?? "" }, c.var.requestId);
    if (!res.ok) {
      if (res.status === 403) return forbidden(c, res.errors._form);
      if (res.status === 404) return notFound(c);
      return reviewPage(c, res.errors, f, res.status as Status);
    }
    flash(c, res.value.status === "published" ? "已发布，需求已在“企业需求”中公开" : "已驳回");
    return c.redirect(`/admin/demands/${c.req.param("id")}`, 303);
  });

  return r;
}
