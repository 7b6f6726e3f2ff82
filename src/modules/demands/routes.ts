import { Hono } from "hono";
import { z } from "zod";
import { fenToYuanInput } from "../../lib/money.ts";
import { requireAccount, requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, isHtmx, render } from "../../web/http.ts";
import { publicPage } from "../../web/page-cache.ts";
import {
  checkbox,
  enumFilter,
  enumFilterOr,
  enumOf,
  form,
  isoDate,
  optionalText,
  pageNo,
  params,
  query,
  searchText,
  text,
  uuid,
  yuanFen,
} from "../../web/validate.ts";
import { CITIES } from "../enterprises/domain.ts";
import {
  DEMAND_STATUS_TEXT,
  DESCRIPTION_MAX,
  DESCRIPTION_MIN,
  DISPLAY_STATUS_TEXT,
  type DemandForm,
  PROPOSAL_MAX,
  PROPOSAL_MIN,
  TITLE_MAX,
  TITLE_MIN,
  budgetText,
  displayStatus,
  regionText,
} from "./domain.ts";
import type { Demand } from "./ports.ts";

type Status = 200 | 403 | 404 | 409 | 422;
const ID = "{[0-9a-fA-F-]{36}}";

const CITY_TEXT: Record<string, string> = Object.fromEntries(CITIES.map((c) => [c.code, c.name]));
const DEADLINE_FORMAT = "截止日期格式应为年-月-日，如2026-12-31";
const PRODUCT_MESSAGE = "请选择本机构已上架的服务产品";

/** 发布需求 / 修改需求: single-field rules here; the domain keeps the budget, district, deadline-range and category rules. */
const demandSchema = z.object({
  title: text({ max: TITLE_MAX, label: "需求标题", required: "请输入需求标题", min: TITLE_MIN }),
  category: text({ max: 40, label: "需求类别", required: "请选择需求类别" }),
  description: text({ max: DESCRIPTION_MAX, label: "需求描述", required: "请输入需求描述", min: DESCRIPTION_MIN }),
  budgetMin: yuanFen("最低预算"),
  budgetMax: yuanFen("最高预算"),
  budgetNegotiable: checkbox,
  cityCode: enumOf(CITY_TEXT, "请选择所在城市"),
  districtCode: optionalText(12, "所在区县"),
  deadline: text({ max: 10, label: "截止日期", required: "请选择截止日期", maxMessage: DEADLINE_FORMAT }).refine(
    (s) => isoDate(DEADLINE_FORMAT).safeParse(s).success,
    { error: DEADLINE_FORMAT },
  ),
  contactName: text({ max: 30, label: "联系人", required: "请输入联系人" }),
  contactPhone: text({ max: 20, label: "联系电话", required: "请输入联系电话", maxMessage: "联系电话应为11位手机号或带区号的固定电话" }),
});
const toDemandForm = (f: z.output<typeof demandSchema>): DemandForm => ({
  title: f.title,
  category: f.category,
  description: f.description,
  budgetMinFen: f.budgetMin,
  budgetMaxFen: f.budgetMax,
  budgetMin: f.budgetMin === undefined ? "" : fenToYuanInput(f.budgetMin),
  budgetMax: f.budgetMax === undefined ? "" : fenToYuanInput(f.budgetMax),
  budgetNegotiable: f.budgetNegotiable ? "yes" : "",
  cityCode: f.cityCode,
  districtCode: f.districtCode,
  deadline: f.deadline,
  contactName: f.contactName,
  contactPhone: f.contactPhone,
});
/** 响应需求. */
const responseSchema = z.object({
  proposal: text({ max: PROPOSAL_MAX, label: "方案简述", required: "请填写方案简述", min: PROPOSAL_MIN }),
  quotedPrice: yuanFen("报价"),
  productId: optionalText(40, "服务产品").pipe(z.union([z.literal(""), z.uuid({ error: PRODUCT_MESSAGE })], { error: PRODUCT_MESSAGE })),
});
const decisionSchema = z.object({
  decision: enumOf({ approve: "通过", reject: "驳回" }, "请选择通过或驳回"),
  reason: optionalText(500, "原因"),
});
const idParam = z.object({ id: uuid() });
const pageQuery = z.object({ page: pageNo });
const publicQuery = z.object({
  page: pageNo,
  category: searchText(40),
  city: enumFilter(CITY_TEXT),
  q: searchText(50),
  status: enumFilter({ all: "全部", open: "征集中" }),
});
const queueQuery = z.object({ page: pageNo, status: enumFilterOr(DEMAND_STATUS_TEXT, "pending") });

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
  const id = params(idParam, (c: Ctx) => notFound(c));

  // ---- 公众端: 企业需求 ----
  r.get("/demands", publicPage(["demands", "catalog"]), query(publicQuery), async (c) => {
    const parsed = c.req.valid("query");
    const data = await c.var.deps.demands.publicList(parsed);
    const q = { category: parsed.category, city: parsed.city ?? "", q: parsed.q, status: parsed.status ?? "" };
    const link = new URLSearchParams();
    for (const k of ["category", "city", "q", "status"] as const) if (q[k]) link.set(k, q[k]);
    c.header("Vary", "HX-Request");
    const view = isHtmx(c) && c.req.header("HX-Target") === "results" ? "public/demand-results" : "public/demands";
    // 筛选 starts open when a filter is in use (folded on a phone otherwise; docs/decisions.md).
    return render(c, view, { title: "企业需求", q, query: link.toString(), filtersOpen: link.size > 0, ...data, labels });
  });

  const detailPage = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> | null = null, status: Status = 200) => {
    const d = await c.var.deps.demands.publicDetail(c.req.param("id") ?? "", c.var.viewer.account?.id);
    if (!d) return notFound(c);
    const existing = d.respond?.existing;
    const form =
      values ??
      (existing
        ? { proposal: existing.proposal, quotedPrice: existing.quotedFen ? fenToYuanInput(existing.quotedFen) : "", productId: existing.productId ?? "" }
        : {});
    return render(c, "public/demand", { title: d.demand.title, ...d, form, errors, labels }, status);
  };
  r.get(`/demands/:id${ID}`, publicPage(["demands", "catalog"]), id, (c) => detailPage(c));
  r.post(
    `/demands/:id${ID}/respond`,
    requireAccount,
    id,
    form(responseSchema, (c: Ctx, errors, values) => detailPage(c, errors, values, 422)),
    async (c) => {
      const demandId = c.req.valid("param").id;
      const f = c.req.valid("form");
      const input = { proposal: f.proposal, quotedFen: f.quotedPrice, productId: f.productId };
      const res = await c.var.deps.demands.respond(c.var.viewer.account!.id, demandId, input, c.var.requestId);
      if (!res.ok) {
        if (res.status === 404) return notFound(c);
        if (res.status === 403) return forbidden(c, res.errors._form);
        if (res.status === 409) {
          flash(c, res.errors._form ?? "无法响应", "error");
          return c.redirect(`/demands/${demandId}`, 303);
        }
        const typed = { proposal: f.proposal, quotedPrice: f.quotedPrice === undefined ? "" : fenToYuanInput(f.quotedPrice), productId: f.productId };
        return detailPage(c, res.errors, typed, 422);
      }
      flash(c, res.value.created ? "已提交响应。需求企业可在“我的需求管理”中查看。" : "已更新响应");
      return c.redirect(`/demands/${demandId}`, 303);
    },
  );

  // ---- 个人中心: 我的需求管理 ----
  r.use("/me/demands", requireAccount);
  r.use("/me/demands/*", requireAccount);
  const gate = (c: Ctx, feature: string, status: Status = 200) =>
    render(c, "me/gate", { title: feature, menu: "demands", feature, status: c.var.viewer.account!.certificationStatus }, status);

  r.get("/me/demands", query(pageQuery), async (c) => {
    const res = await c.var.deps.demands.mine(c.var.viewer.account!.id, c.req.valid("query").page);
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
  r.post(
    "/me/demands/new",
    form(demandSchema, async (c: Ctx, errors, values) => {
      // The same gate as a valid form: only certified enterprises see the form at all.
      if (!(await c.var.deps.demands.canPublish(c.var.viewer.account!.id))) return gate(c, "发布需求", 403);
      return formPage(c, null, values, errors, 422);
    }),
    async (c) => {
      const f = toDemandForm(c.req.valid("form"));
      const res = await c.var.deps.demands.submit(c.var.viewer.account!.id, f, c.var.requestId);
      if (!res.ok) return res.status === 403 ? gate(c, "发布需求", 403) : formPage(c, null, f, res.errors, res.status as Status);
      flash(c, "需求已提交，状态为待处理。平台审核通过后将在“企业需求”中公开。");
      return c.redirect(`/me/demands/${res.value.id}`, 303);
    },
  );

  r.get(`/me/demands/:id${ID}`, id, async (c) => {
    const res = await c.var.deps.demands.myDemand(c.var.viewer.account!.id, c.req.valid("param").id);
    if (!res.ok) return notFound(c);
    return render(c, "me/demand", {
      title: res.value.demand.title,
      menu: "demands",
      ...res.value,
      labels,
      actionText: DEMAND_ACTION_TEXT,
      statusText: DEMAND_STATUS_TEXT,
    });
  });
  r.get(`/me/demands/:id${ID}/edit`, id, async (c) => {
    const res = await c.var.deps.demands.myDemand(c.var.viewer.account!.id, c.req.valid("param").id);
    if (!res.ok) return notFound(c);
    const d = res.value.demand;
    if (d.status !== "rejected" && d.status !== "withdrawn") {
      flash(c, `该需求${DEMAND_STATUS_TEXT[d.status]}，不能修改`, "error");
      return c.redirect(`/me/demands/${d.id}`, 303);
    }
    return formPage(c, d.id, formFromDemand(d));
  });
  r.post(
    `/me/demands/:id${ID}/edit`,
    id,
    form(demandSchema, async (c: Ctx, errors, values) => {
      if (!(await c.var.deps.demands.canPublish(c.var.viewer.account!.id))) return gate(c, "发布需求", 403);
      return formPage(c, c.req.param("id") ?? null, values, errors, 422);
    }),
    async (c) => {
      const f = toDemandForm(c.req.valid("form"));
      const demandId = c.req.valid("param").id;
      const res = await c.var.deps.demands.resubmit(c.var.viewer.account!.id, demandId, f, c.var.requestId);
      if (!res.ok) {
        if (res.status === 404) return notFound(c);
        if (res.status === 403) return gate(c, "发布需求", 403);
        if (res.status === 409) {
          flash(c, res.errors._form ?? "不能修改", "error");
          return c.redirect(`/me/demands/${demandId}`, 303);
        }
        return formPage(c, demandId, f, res.errors, res.status as Status);
      }
      flash(c, "已重新提交，状态为待处理。");
      return c.redirect(`/me/demands/${demandId}`, 303);
    },
  );
  r.post(`/me/demands/:id${ID}/:action{withdraw|close}`, id, async (c) => {
    const demandId = c.req.valid("param").id;
    const action = c.req.param("action") as "withdraw" | "close";
    const res = await c.var.deps.demands.ownerAction(c.var.viewer.account!.id, demandId, action, c.var.requestId);
    if (!res.ok) {
      if (res.status === 404) return notFound(c);
      flash(c, res.errors._form ?? "操作失败", "error");
    } else {
      flash(c, action === "withdraw" ? "已撤回。可修改后重新提交。" : "需求已关闭，不再公开展示。");
    }
    return c.redirect(`/me/demands/${demandId}`, 303);
  });

  // ---- 服务机构中心: 需求响应 ----
  r.get("/provider/responses", requireAccount, query(pageQuery), async (c) => {
    const res = await c.var.deps.demands.myResponses(c.var.viewer.account!.id, c.req.valid("query").page);
    if (!res.ok) return forbidden(c, res.errors._form);
    return render(c, "provider/responses", { title: "需求响应", ...res.value, labels });
  });

  // ---- 管理端: 企业需求审核 ----
  r.get("/admin/demands", requireAdmin("reviewer", "super_admin"), query(queueQuery), async (c) => {
    const { status, page } = c.req.valid("query");
    const res = await c.var.deps.demands.queue(c.var.viewer.admin!, status || undefined, page);
    if (!res.ok) return forbidden(c, res.errors._form);
    return render(c, "admin/demands", {
      title: "企业需求审核",
      ...res.value,
      q: { status },
      query: `status=${encodeURIComponent(status)}`,
      labels,
      statusOptions: Object.entries(DEMAND_STATUS_TEXT),
    });
  });
  const reviewPage = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const res = await c.var.deps.demands.reviewDetail(c.var.viewer.admin!, c.req.param("id") ?? "");
    if (!res.ok) return res.status === 404 ? notFound(c) : forbidden(c, res.errors._form);
    return render(
      c,
      "admin/demand",
      { title: "企业需求审核", ...res.value, errors, values, labels, actionText: DEMAND_ACTION_TEXT, statusText: DEMAND_STATUS_TEXT },
      status,
    );
  };
  r.get(`/admin/demands/:id${ID}`, requireAdmin("reviewer", "super_admin"), id, (c) => reviewPage(c));
  r.post(
    `/admin/demands/:id${ID}/decision`,
    requireAdmin(),
    id,
    form(decisionSchema, (c: Ctx, errors, values) => reviewPage(c, errors, values, 422)),
    async (c) => {
      const demandId = c.req.valid("param").id;
      const f = c.req.valid("form");
      const res = await c.var.deps.demands.decide(c.var.viewer.admin!, demandId, f, c.var.requestId);
      if (!res.ok) {
        if (res.status === 403) return forbidden(c, res.errors._form);
        if (res.status === 404) return notFound(c);
        return reviewPage(c, res.errors, f, res.status as Status);
      }
      flash(c, res.value.status === "published" ? "已发布，需求已在“企业需求”中公开" : "已驳回");
      return c.redirect(`/admin/demands/${demandId}`, 303);
    },
  );

  return r;
}
