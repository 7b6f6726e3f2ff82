import { Hono } from "hono";
import { z } from "zod";
import { requireAccount, requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, formList, formUploads, isHtmx, render } from "../../web/http.ts";
import {
  checkbox,
  enumFilter,
  enumList,
  enumOf,
  form,
  isoDate,
  optionalText,
  pageNo,
  params,
  query,
  rawValues,
  searchText,
  text,
  uuid,
  uuidFilter,
  yuanFen,
} from "../../web/validate.ts";
import { CITIES, SIZE_CLASSES, cityName } from "../enterprises/domain.ts";
import {
  APPLICATION_STATUS_TEXT,
  CARD_BUTTON_TEXT,
  CATEGORIES,
  LEDGER_KIND_TEXT,
  PROGRAMME_KINDS,
  PROGRAMME_STATUS_TEXT,
  APPROVED_AMOUNT_FORMAT,
  type Programme,
  SPECIAL_AMOUNT_FORMAT,
  categoryName,
  fenToYuanInput,
  programmeDateOrder,
} from "./domain.ts";

type Status = 200 | 403 | 404 | 409 | 422;

// ---- the edge schemas: each field's own rules, with the domain's messages; cross-field rules stay in the domain ----

const idParam = z.object({ id: uuid() });

/** 专项券: the amount requested (its range is the programme's, checked by the domain); 通用券 posts none. */
const applyForm = z.object({ amount: yuanFen("申领额度", { invalid: SPECIAL_AMOUNT_FORMAT }) });

/** 通过 (optionally a lower amount) / 驳回; "a reason to reject or to lower" are rules across fields. */
const quotaDecisionForm = z.object({
  decision: enumOf({ approve: "通过", reject: "驳回" }, "请选择通过或驳回"),
  amount: yuanFen("核定额度", { invalid: APPROVED_AMOUNT_FORMAT, minFen: 1 }),
  reason: optionalText(500, "原因"),
});

const CATEGORY_NAMES: Record<string, string> = Object.fromEntries(CATEGORIES.map((x) => [x.code, x.name]));
/** An amount that only one kind of programme needs: empty is allowed here, the domain says which kind needs it. */
const money = (label: string) => yuanFen(label, { invalid: `${label}应为金额，最多两位小数` });
const day = (label: string) => isoDate(`请选择${label}`);
const programmeForm = z.object({
  year: text({ max: 10, label: "年度", required: "请输入年度（如2026）" })
    .refine((v) => /^\d{4}$/.test(v) && Number(v) >= 2020 && Number(v) <= 2100, { error: "请输入年度（如2026）" })
    .transform(Number),
  kind: enumOf(PROGRAMME_KINDS, "请选择券种类型"),
  name: text({ max: 50, label: "券种名称", required: "请输入券种名称" }),
  description: optionalText(2000, "说明"),
  subsidyRate: text({ max: 10, label: "补贴比例", required: "补贴比例应为0.01到100之间的百分数" }).transform((v, ctx) => {
    const m = v.match(/^(\d{1,3})(?:\.(\d{1,2}))?$/);
    const bp = m ? Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0")) : Number.NaN;
    if (bp >= 1 && bp <= 10000) return bp;
    ctx.addIssue({ code: "custom", message: "补贴比例应为0.01到100之间的百分数" });
    return z.NEVER;
  }),
  perOrderCap: yuanFen("单笔抵扣上限", { required: "请输入单笔抵扣上限", invalid: "单笔抵扣上限应为金额，最多两位小数" }).refine(
    (v) => v !== undefined && v > 0,
    {
      error: "单笔抵扣上限应大于0",
    },
  ),
  quotaLarge: money("大型企业额度"),
  quotaMedium: money("中型企业额度"),
  quotaSmall: money("小型企业额度"),
  quotaMicro: money("微型企业额度"),
  specialMin: money("最低申领额度"),
  specialMax: money("最高申领额度"),
  requiresDocuments: checkbox,
  applyFrom: day("申请开始日期"),
  applyTo: day("申请截止日期"),
  validFrom: day("用券有效期开始日期"),
  validTo: day("用券有效期结束日期"),
  categories: enumList(CATEGORY_NAMES, "服务类别不正确").refine((xs) => xs.length > 0, { error: "请至少选择一个可抵扣的服务类别" }),
  status: enumOf(PROGRAMME_STATUS_TEXT, "请选择状态"),
  isExample: checkbox,
});

const QUOTA_SOURCES = { self: "企业申请", allocation: "年度分配" } as const;
const quotaQuery = z.object({
  // No status at all is the default queue (待审核, in the handler: zod skips an absent key); an empty or unknown one is every status.
  status: enumFilter(APPLICATION_STATUS_TEXT),
  programme: uuidFilter,
  source: enumFilter(QUOTA_SOURCES),
  q: searchText(50),
  page: pageNo,
});

const labels = {
  kinds: PROGRAMME_KINDS,
  programmeStatus: PROGRAMME_STATUS_TEXT,
  appStatus: APPLICATION_STATUS_TEXT,
  button: CARD_BUTTON_TEXT,
  ledgerKind: LEDGER_KIND_TEXT,
  categories: CATEGORIES,
  categoryName,
  sizes: SIZE_CLASSES,
  cities: CITIES,
  cityName,
  rate: (bp: number) => `${bp / 100}%`,
};

export const QUOTA_ACTION_TEXT: Record<string, string> = {
  quota_applied: "提交配额申请",
  quota_approved: "审核通过",
  quota_rejected: "审核驳回",
};

function programmeValues(p: Programme): Record<string, string> {
  return {
    year: String(p.year),
    kind: p.kind,
    name: p.name,
    description: p.description,
    subsidyRate: String(p.subsidyRateBp / 100),
    perOrderCap: fenToYuanInput(p.perOrderCapFen),
    quotaLarge: fenToYuanInput(p.quotaBySize.large),
    quotaMedium: fenToYuanInput(p.quotaBySize.medium),
    quotaSmall: fenToYuanInput(p.quotaBySize.small),
    quotaMicro: fenToYuanInput(p.quotaBySize.micro),
    specialMin: fenToYuanInput(p.specialMinFen),
    specialMax: fenToYuanInput(p.specialMaxFen),
    requiresDocuments: p.requiresDocuments ? "yes" : "",
    applyFrom: p.applyFrom,
    applyTo: p.applyTo,
    validFrom: p.validFrom,
    validTo: p.validTo,
    categories: p.categories.join(","),
    status: p.status,
    isExample: p.isExample ? "yes" : "",
  };
}

export function voucherRoutes() {
  const r = new Hono<AppEnv>();

  // ---- 服务券配额申请 ----
  r.get("/quota", (c) => c.redirect("/me/quota", 303));

  const gate = (c: Ctx, feature: string, menu: string) =>
    render(c, "me/gate", { title: feature, menu, feature, status: c.var.viewer.account!.certificationStatus });

  r.get("/me/quota", requireAccount, async (c) => {
    const data = await c.var.deps.vouchers.quotaCards(c.var.viewer.account!.id);
    if (!data.certified) return gate(c, "服务券配额申请", "quota");
    return render(c, "me/quota", { title: "服务券配额申请", menu: "quota", ...data, labels });
  });

  const noVoucher = (c: Ctx) => render(c, "errors/404", { title: "该服务券不存在" }, 404);
  const applyPage = async (c: Ctx, values: Record<string, string> = {}, errors: Record<string, string> = {}, status: Status = 200) => {
    const account = c.var.viewer.account!;
    const data = await c.var.deps.vouchers.quotaCards(account.id);
    if (!data.certified) return gate(c, "服务券配额申请", "quota");
    const card = data.cards.find((x) => x.programme.id === c.req.param("id"));
    if (!card) return noVoucher(c);
    if (card.state !== "apply" && card.state !== "rejected") {
      flash(c, `该服务券当前状态为“${CARD_BUTTON_TEXT[card.state]}”`, "info");
      // htmx would follow a 303 inside its request and swap nothing (the flash lost): send the whole page there.
      if (isHtmx(c)) {
        c.header("HX-Redirect", "/me/quota");
        return c.body(null, 204);
      }
      return c.redirect("/me/quota", 303);
    }
    return render(c, "me/quota-apply", { title: "服务券配额申请", menu: "quota", card, enterprise: data.enterprise, values, errors, labels }, status);
  };
  /** The browser does not keep a chosen file across the 422 page: say so beside the upload. */
  const dropped = (documents: unknown[], errors: Record<string, string>): Record<string, string> =>
    documents.length > 0 && !errors.documents ? { documentsDropped: "yes" } : {};
  r.get("/me/quota/:id/apply", requireAccount, params(idParam, noVoucher), (c) => applyPage(c));
  r.post(
    "/me/quota/:id/apply",
    requireAccount,
    params(idParam, noVoucher),
    form(applyForm, async (c: Ctx, errors, values) => {
      const documents = await formUploads(c, "documents");
      return applyPage(c, { amount: values.amount ?? "", ...dropped(documents, errors) }, errors, 422);
    }),
    async (c) => {
      const { amount } = c.req.valid("form");
      const documents = await formUploads(c, "documents");
      const res = await c.var.deps.vouchers.apply(c.var.viewer.account!.id, c.req.valid("param").id, { amountFen: amount, documents }, c.var.requestId);
      if (!res.ok) {
        if (res.status === 409 && res.errors._form) {
          // 已申请过 / 不在申请期内: refused with a 409 (a second application in a rush must not look like a success),
          // the message on 服务券配额申请 as it is now.
          flash(c, res.errors._form, "error");
          const data = await c.var.deps.vouchers.quotaCards(c.var.viewer.account!.id);
          return render(c, "me/quota", { title: "服务券配额申请", menu: "quota", ...data, labels }, 409);
        }
        if (res.status === 403 || res.status === 404) {
          flash(c, res.errors._form ?? "无法申请", "error");
          return c.redirect("/me/quota", 303);
        }
        const typed = amount === undefined ? "" : fenToYuanInput(amount);
        return applyPage(c, { amount: typed, ...dropped(documents, res.errors) }, res.errors, res.status as Status);
      }
      flash(c, "配额成功！申请已提交，平台人员审核后即可去使用。");
      return c.redirect("/me/quota", 303);
    },
  );

  // ---- 我的服务券 ----
  r.get("/me/vouchers", requireAccount, async (c) => {
    const account = c.var.viewer.account!;
    if (account.certificationStatus !== "certified") return gate(c, "我的服务券", "vouchers");
    const vouchers = await c.var.deps.vouchers.myVouchers(account.enterpriseId);
    return render(c, "me/vouchers", { title: "我的服务券", menu: "vouchers", vouchers, labels });
  });

  // ---- 管理端: 券种 ----
  r.get("/admin/programmes", requireAdmin("super_admin", "reviewer"), async (c) => {
    return render(c, "admin/programmes", {
      title: "券种管理",
      programmes: await c.var.deps.vouchers.programmes(),
      labels,
      canEdit: c.var.viewer.admin!.role === "super_admin",
    });
  });
  const programmePage = (c: Ctx, id: string | null, values: Record<string, string>, errors: Record<string, string> = {}, status: Status = 200) =>
    render(c, "admin/programme-form", { title: id ? "编辑券种" : "新建券种", id, values, errors, labels }, status);
  const noProgramme = (c: Ctx) => render(c, "errors/404", { title: "券种不存在" }, 404);
  r.get("/admin/programmes/new", requireAdmin("super_admin"), (c) =>
    programmePage(c, null, { year: String(new Date().getFullYear()), kind: "general", status: "draft" }),
  );
  r.get("/admin/programmes/:id{[0-9a-f-]{36}}", requireAdmin("super_admin"), params(idParam, noProgramme), async (c) => {
    const p = await c.var.deps.vouchers.programme(c.req.valid("param").id);
    if (!p) return noProgramme(c);
    return programmePage(c, p.id, programmeValues(p));
  });
  /** The programme form as typed, for showing it again: the chosen categories are a repeated field. */
  const typedProgramme = async (c: Ctx, values: Record<string, string>) => ({ ...values, categories: (await formList(c, "categories")).join(",") });
  const saveProgramme = form(programmeForm, async (c: Ctx, errors, values) => {
    if (c.var.viewer.admin!.role !== "super_admin") return render(c, "errors/403", { title: "无权操作", message: "只有超级管理员可以管理券种" }, 403);
    // The dates' order is a rule across fields: shown at once beside the other messages, for the dates that are valid.
    const valid = (k: "applyFrom" | "applyTo" | "validFrom" | "validTo") => (errors[k] ? undefined : values[k]?.trim());
    const order = programmeDateOrder({
      applyFrom: valid("applyFrom"),
      applyTo: valid("applyTo"),
      validFrom: valid("validFrom"),
      validTo: valid("validTo"),
    });
    return programmePage(c, c.req.param("id") ?? null, await typedProgramme(c, values), { ...order, ...errors }, 422);
  });
  const programmeSaved = async (c: Ctx, id: string | null, f: z.output<typeof programmeForm>) => {
    const res = await c.var.deps.vouchers.saveProgramme(
      c.var.viewer.admin!,
      id,
      {
        year: f.year,
        kind: f.kind,
        name: f.name,
        description: f.description,
        subsidyRateBp: f.subsidyRate,
        perOrderCapFen: f.perOrderCap!,
        quotaLargeFen: f.quotaLarge,
        quotaMediumFen: f.quotaMedium,
        quotaSmallFen: f.quotaSmall,
        quotaMicroFen: f.quotaMicro,
        specialMinFen: f.specialMin,
        specialMaxFen: f.specialMax,
        requiresDocuments: f.requiresDocuments,
        applyFrom: f.applyFrom,
        applyTo: f.applyTo,
        validFrom: f.validFrom,
        validTo: f.validTo,
        categories: f.categories,
        status: f.status,
        isExample: f.isExample,
      },
      c.var.requestId,
    );
    if (!res.ok) {
      if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
      if (res.status === 404) return noProgramme(c);
      return programmePage(c, id, await typedProgramme(c, rawValues(await c.req.parseBody())), res.errors, res.status as Status);
    }
    flash(c, "券种已保存");
    return c.redirect("/admin/programmes", 303);
  };
  r.post("/admin/programmes/new", requireAdmin(), saveProgramme, (c) => programmeSaved(c, null, c.req.valid("form")));
  r.post("/admin/programmes/:id{[0-9a-f-]{36}}", requireAdmin(), params(idParam, noProgramme), saveProgramme, (c) =>
    programmeSaved(c, c.req.valid("param").id, c.req.valid("form")),
  );

  // ---- 管理端: 年度额度分配 ----
  r.get("/admin/programmes/:id/allocation", requireAdmin("super_admin"), params(idParam, noProgramme), async (c) => {
    const p = await c.var.deps.vouchers.programme(c.req.valid("param").id);
    if (!p) return noProgramme(c);
    return render(c, "admin/allocation", { title: "年度额度分配", programme: p, runs: await c.var.deps.vouchers.allocationRuns(p.id), labels });
  });
  r.post("/admin/programmes/:id/allocation", requireAdmin(), params(idParam, noProgramme), async (c) => {
    const res = await c.var.deps.vouchers.allocate(c.var.viewer.admin!, c.req.valid("param").id, c.var.requestId);
    if (!res.ok) {
      if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
      flash(c, res.errors._form ?? "分配失败", "error");
    } else {
      flash(
        c,
        `分配完成：符合条件的已认证企业 ${res.value.eligible} 家，新建配额申请 ${res.value.created} 条，已有申请跳过 ${res.value.eligible - res.value.created} 家。新建的申请待审核。`,
      );
    }
    return c.redirect(`/admin/programmes/${c.req.valid("param").id}/allocation`, 303);
  });

  // ---- 管理端: 配额审核 ----
  r.get("/admin/quota", requireAdmin("reviewer", "super_admin"), query(quotaQuery), async (c) => {
    const q = c.req.valid("query");
    if (c.req.query("status") === undefined) q.status = "pending";
    const filter = { status: q.status, programmeId: q.programme, source: q.source, keyword: q.q || undefined };
    const res = await c.var.deps.vouchers.reviewQueue(c.var.viewer.admin!, filter, q.page);
    if (!res.ok) return render(c, "errors/403", { title: "无权访问", message: res.errors._form }, 403);
    const shown = { status: q.status ?? "", programme: q.programme ?? "", source: q.source ?? "", q: q.q };
    const link = new URLSearchParams();
    for (const [k, v] of Object.entries(shown)) if (v || k === "status") link.set(k, v);
    const { page: pageNo, ...rest } = res.value;
    return render(c, "admin/quota", {
      title: "服务券配额审核",
      ...rest,
      pageNo,
      q: shown,
      query: link.toString(),
      programmes: await c.var.deps.vouchers.programmes(),
      labels,
    });
  });
  const noApplication = (c: Ctx) => render(c, "errors/404", { title: "配额申请不存在" }, 404);
  const quotaDetail = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const res = await c.var.deps.vouchers.reviewDetail(c.var.viewer.admin!, c.req.param("id") ?? "");
    if (!res.ok)
      return render(
        c,
        res.status === 404 ? "errors/404" : "errors/403",
        { title: res.status === 404 ? "配额申请不存在" : "无权访问", message: res.errors._form },
        res.status as Status,
      );
    return render(c, "admin/quota-detail", { title: "配额申请详情", ...res.value, errors, values, labels, actionText: QUOTA_ACTION_TEXT }, status);
  };
  r.get("/admin/quota/:id", requireAdmin("reviewer", "super_admin"), params(idParam, noApplication), (c) => quotaDetail(c));
  r.post(
    "/admin/quota/:id/decision",
    requireAdmin(),
    params(idParam, noApplication),
    form(quotaDecisionForm, async (c: Ctx, errors, values) => {
      // Only a reviewer sees the form again; anyone else is refused as before.
      if (!["reviewer", "super_admin"].includes(c.var.viewer.admin!.role))
        return render(c, "errors/403", { title: "无权操作", message: "只有审核员或超级管理员可以审核服务券配额" }, 403);
      return quotaDetail(c, errors, values, 422);
    }),
    async (c) => {
      const { decision, amount, reason } = c.req.valid("form");
      const { id } = c.req.valid("param");
      const res = await c.var.deps.vouchers.decide(c.var.viewer.admin!, id, { decision, amountFen: amount, reason }, c.var.requestId);
      if (!res.ok) {
        if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
        return quotaDetail(c, res.errors, { decision, amount: amount === undefined ? "" : fenToYuanInput(amount), reason }, res.status as Status);
      }
      flash(c, res.value.status === "approved" ? "已通过该配额申请，服务券账户已开通" : "已驳回该配额申请");
      return c.redirect(`/admin/quota/${id}`, 303);
    },
  );

  return r;
}
