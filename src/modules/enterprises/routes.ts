import { Hono, type MiddlewareHandler } from "hono";
import { MONITORING_ACTION_TEXT } from "../monitoring/domain.ts";
import { z } from "zod";
import { requireAccount, requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, formFields, formUploads, render, sendFile } from "../../web/http.ts";
import { getSession } from "../../web/session.ts";
import {
  dateFilter,
  enumFilter,
  enumOf,
  form,
  oneOf,
  oneOfFilter,
  optionalEnum,
  optionalText,
  pageNo,
  params,
  query,
  searchText,
  text,
  uuid,
} from "../../web/validate.ts";
import { PHONE_RE } from "../identity/domain.ts";
import { maskAccountNumber, maskIdNumber } from "./codes.ts";
import {
  APPLICATION_STATUS_TEXT,
  CERTIFICATION_STATUS_TEXT,
  CITIES,
  type CertificationStatus,
  ENTERPRISE_TYPES,
  IDENTITY_ROLES,
  INDUSTRIES,
  SIZE_CLASSES,
  type SizeClass,
  checkPersonName,
  cityName,
  districtName,
  fenToWanText,
  parseWanToFen,
  proposeSize,
  sizeRuleText,
} from "./domain.ts";
import type { Certification, QueueFilter } from "./ports.ts";
import { canReviewCertifications } from "./service.ts";
import { shanghaiMidnight } from "../../lib/shanghai.ts";

/** 个人中心 menu entries whose features land with later issues. */
export const ME_COMING_SOON: Record<string, string> = {};
/** Pages only a certified enterprise may use; others see the gate with 去企业信息认证. */
const NEEDS_CERTIFICATION = new Set<string>([]);

/** Labels and lists every enterprise template may need. */
const labels = {
  identityRoles: IDENTITY_ROLES,
  enterpriseTypes: ENTERPRISE_TYPES,
  industries: INDUSTRIES,
  sizes: SIZE_CLASSES,
  cities: CITIES,
  cityName,
  districtName,
  certStatus: CERTIFICATION_STATUS_TEXT,
  appStatus: APPLICATION_STATUS_TEXT,
  maskId: maskIdNumber,
  maskAccount: maskAccountNumber,
  wan: fenToWanText,
  sizeRule: sizeRuleText(),
};

export const AUDIT_ACTION_TEXT: Record<string, string> = {
  registered: "注册账号",
  certification_submitted: "提交企业信息认证",
  certification_approved: "企业信息认证通过",
  certification_rejected: "企业信息认证驳回",
  bank_account_added: "填写支付认证",
  bank_account_changed: "修改支付认证",
  password_set: "设置密码",
  password_changed: "修改密码",
  created: "创建",
  // 暂停交易 / 恢复交易 by an operator (the monitoring module) are events of the enterprise too.
  ...MONITORING_ACTION_TEXT,
};

/** The form values a step shows: typed values kept in the session, else the saved application. */
function certValues(c: Certification | undefined): Record<string, string> {
  if (!c) return {};
  const s = (v: unknown) => (v === null || v === undefined ? "" : String(v));
  return {
    identityRole: s(c.identityRole),
    enterpriseType: s(c.enterpriseType),
    name: s(c.name),
    creditCode: s(c.creditCode),
    creditCodeConfirm: c.creditCodeConfirmed ? "yes" : "",
    staffCount: s(c.staffCount),
    revenueWan: c.revenueFen === null ? "" : fenToWanText(c.revenueFen),
    sizeDeclared: s(c.sizeDeclared),
    industry: s(c.industry),
    cityCode: s(c.cityCode),
    districtCode: s(c.districtCode),
    address: s(c.address),
    legalName: s(c.legalName),
    legalIdNumber: s(c.legalIdNumber),
    legalPhone: s(c.legalPhone),
    agree: c.agreedAt ? "yes" : "",
    agentName: s(c.agentName),
    agentIdNumber: s(c.agentIdNumber),
    agentPhone: s(c.agentPhone),
  };
}

function takeTyped(c: Ctx, form: string): Record<string, string> | undefined {
  const session = getSession(c);
  const draft = session.data?.draft;
  if (!draft || draft.form !== form) return undefined;
  session.remove("draft");
  return draft.values;
}

function keepTyped(c: Ctx, form: string, f: Record<string, string>) {
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (k !== "_csrf" && k !== "action") values[k] = v.slice(0, 300);
  getSession(c).update({ draft: { form, values } });
}

function proposal(values: Record<string, string>): SizeClass | null {
  const staff = /^\d{1,7}$/.test((values.staffCount ?? "").trim()) ? Number(values.staffCount) : NaN;
  const revenue = parseWanToFen(values.revenueWan ?? "");
  return Number.isInteger(staff) && revenue !== null ? proposeSize(staff, revenue) : null;
}

type Status = 200 | 403 | 404 | 409 | 422;

// ---- the edge schemas: each field's own rules, with the domain's messages; cross-field rules stay in the domain ----

const CITY_CODES = CITIES.map((x) => x.code);
/** Text without markup characters (the domain's rule for names and addresses). */
const plain = (opts: Parameters<typeof text>[0], message: string) => text(opts).refine((v) => !/[<>]/.test(v), { error: message });
const personName = (label: string) =>
  text({ max: 200, label }).superRefine((v, ctx) => {
    const problem = checkPersonName(v.normalize("NFC").replace(/\s+/g, " ").trim(), label);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
/** A mobile number, typed with spaces or dashes if need be. */
const mobile = (label: string) =>
  z.preprocess(
    (v) => (typeof v === "string" ? v.replace(/[\s-]/g, "") : ""),
    z
      .string()
      .min(1, { error: `请输入${label}` })
      .regex(PHONE_RE, { error: `${label}应为11位手机号` }),
  );
/** 上一步 posts what was typed, unchecked: it is kept in the session for when the user comes back. */
const action = optionalText(20, "操作");

const step1Form = z.object({
  identityRole: enumOf(IDENTITY_ROLES, "请选择身份角色"),
  enterpriseType: enumOf(ENTERPRISE_TYPES, "请选择企业类型"),
});

const step2Form = z.object({
  action,
  name: text({ max: 100, label: "企业名称", required: "请输入企业名称" }).refine((v) => !/[<>\u0000-\u001f]/.test(v), {
    error: "企业名称含有不允许的字符",
  }),
  // The check character may be confirmed by the user (creditCodeConfirm): the domain reads both.
  creditCode: optionalText(40, "统一社会信用代码"),
  creditCodeConfirm: optionalText(10, "确认"),
  staffCount: text({ max: 20, label: "从业人员数", required: "请输入从业人员数" }).refine((v) => /^\d{1,7}$/.test(v), {
    error: "从业人员数应为0到9999999之间的整数",
  }),
  revenueWan: text({ max: 30, label: "上年度营业收入", required: "请输入上年度营业收入" }).refine((v) => parseWanToFen(v) !== null, {
    error: "营业收入应为数字（单位：万元，最多4位小数）",
  }),
  // Empty takes the system's proposal (a rule across fields, in the domain).
  sizeDeclared: optionalEnum(SIZE_CLASSES, "请选择企业划型"),
  industry: oneOf(INDUSTRIES, "请选择所属行业"),
  cityCode: oneOf(CITY_CODES, "请选择所在城市"),
  // Must lie in the chosen city: checked by the domain.
  districtCode: optionalText(20, "所在区县"),
  address: plain({ max: 200, label: "详细地址", required: "请输入详细地址" }, "详细地址含有不允许的字符"),
  legalName: personName("法定代表人姓名"),
  // ID numbers are checked by the domain against its clock (a birth date cannot be in the future).
  legalIdNumber: optionalText(40, "法定代表人身份证号"),
  legalPhone: mobile("法定代表人手机号"),
  agree: z.preprocess((v) => (Array.isArray(v) ? v[0] : v), z.literal("yes", { error: "请阅读并勾选“已阅读并同意”" })),
});

/**
 * 经办人 is optional, all three fields or none: the domain checks them together (so a missing ID
 * number and a short phone number are both named at once); here only each field's length.
 */
const step3Form = z.object({
  action,
  agentName: optionalText(30, "经办人姓名"),
  agentIdNumber: optionalText(40, "经办人身份证号"),
  agentPhone: optionalText(20, "经办人手机号"),
});

const bankForm = z.object({
  accountName: plain({ max: 100, label: "银行开户名", required: "请输入银行开户名" }, "银行开户名含有不允许的字符"),
  bankName: plain({ max: 50, label: "开户银行", required: "请输入开户银行" }, "开户银行含有不允许的字符"),
  bankCityCode: oneOf(CITY_CODES, "请选择开户所在地"),
  branchName: plain({ max: 100, label: "开户支行名称", required: "请输入开户支行名称" }, "开户支行名称含有不允许的字符"),
  accountNumber: z.preprocess(
    (v) => (typeof v === "string" ? v.replace(/[\s-]/g, "") : ""),
    z
      .string()
      .min(1, { error: "请输入银行账号" })
      .regex(/^\d*$/, { error: "银行账号只能包含数字" })
      .refine((v) => !/^\d+$/.test(v) || (v.length >= 8 && v.length <= 32), { error: "银行账号应为8到32位数字" }),
  ),
});

/** 通过 / 驳回; "a reason to reject" is the shared decision rule (lib/decision.ts). */
const decisionForm = z.object({
  decision: enumOf({ approve: "通过", reject: "驳回" }, "请选择通过或驳回"),
  reason: optionalText(500, "原因"),
});

const QUEUE_STATUS = { pending: "待审核", certified: "已认证", rejected: "已驳回" } as const;
const queueQuery = z.object({
  // No status at all is the default queue (待审核, in the handler: zod skips an absent key); an empty or unknown one is every status.
  status: enumFilter(QUEUE_STATUS),
  city: oneOfFilter(CITY_CODES),
  size: enumFilter(SIZE_CLASSES),
  from: dateFilter,
  to: dateFilter,
  q: searchText(50),
  page: pageNo,
});

const sizeQuery = z.object({ staffCount: searchText(20), revenueWan: searchText(30) });
const idParam = z.object({ id: uuid() });

export function enterpriseRoutes() {
  const r = new Hono<AppEnv>();
  r.use("/me", requireAccount);
  r.use("/me/*", requireAccount);

  // 个人中心 / 基本信息
  r.get("/me", async (c) => {
    const account = c.var.viewer.account!;
    const status = account.certificationStatus as CertificationStatus;
    return render(c, "me/profile", {
      title: "基本信息",
      menu: "profile",
      account,
      statusText: CERTIFICATION_STATUS_TEXT[status],
      certified: status === "certified",
    });
  });

  // ---- 企业信息认证 ----
  r.get("/me/certification", async (c) => {
    const account = c.var.viewer.account!;
    const o = await c.var.deps.enterprises.overview(account.id);
    return render(c, "me/certification", { title: "企业信息认证", menu: "profile", ...o, labels, actionText: AUDIT_ACTION_TEXT });
  });

  const stepPage = async (c: Ctx, step: 1 | 2 | 3, typed?: Record<string, string>, errors: Record<string, string> = {}, status: Status = 200) => {
    const account = c.var.viewer.account!;
    const { current, pending } = await c.var.deps.enterprises.wizardValues(account.id);
    if (pending) {
      flash(c, "企业信息认证正在审核中，审核完成前不能修改", "info");
      return c.redirect("/me/certification", 303);
    }
    const draft = current?.status === "draft" ? current : undefined;
    if (step > 1 && (!draft || draft.step < step)) return c.redirect(`/me/certification/step${draft ? draft.step : 1}`, 303);
    const values = typed ?? certValues(current);
    const licence = current?.licenceFileId ? await c.var.deps.files.meta(current.licenceFileId) : undefined;
    return render(
      c,
      `me/cert-step${step}`,
      {
        title: "企业信息认证",
        menu: "profile",
        step,
        values,
        errors,
        labels,
        licence,
        proposed: proposal(values),
        showConfirm: !!errors.creditCode?.includes("校验位") || values.creditCodeConfirm === "yes",
      },
      status,
    );
  };

  /** 上一步: what was typed is kept, unchecked, and the previous step opens. */
  const back =
    (step: 2 | 3): MiddlewareHandler<AppEnv> =>
    async (c, next) => {
      const f = await formFields(c);
      if (f.action !== "back") return next();
      keepTyped(c, `cert-step${step}`, f);
      return c.redirect(`/me/certification/step${step - 1}`, 303);
    };

  r.get("/me/certification/step1", (c) => stepPage(c, 1, takeTyped(c, "cert-step1")));
  r.post(
    "/me/certification/step1",
    form(step1Form, (c: Ctx, errors, values) => stepPage(c, 1, values, errors, 422)),
    async (c) => {
      const f = c.req.valid("form");
      const res = await c.var.deps.enterprises.saveStep1(c.var.viewer.account!.id, f);
      if (!res.ok) return stepPage(c, 1, f, res.errors, res.status as Status);
      return c.redirect("/me/certification/step2", 303);
    },
  );

  r.get("/me/certification/step2", (c) => stepPage(c, 2, takeTyped(c, "cert-step2")));
  r.post(
    "/me/certification/step2",
    back(2),
    form(step2Form, async (c: Ctx, errors, values) => {
      // A valid licence is kept on the draft even when fields are refused, so it is not uploaded again.
      const [licence = null] = await formUploads(c, "licence");
      const kept = await c.var.deps.enterprises.keepLicence(c.var.viewer.account!.id, licence);
      if (!kept.ok && kept.status !== 422) return stepPage(c, 2, values, kept.errors, kept.status as Status);
      return stepPage(c, 2, values, { ...errors, ...(kept.ok ? {} : kept.errors) }, 422);
    }),
    async (c) => {
      const { action: _, sizeDeclared, ...f } = c.req.valid("form");
      const [licence = null] = await formUploads(c, "licence");
      const res = await c.var.deps.enterprises.saveStep2(c.var.viewer.account!.id, { ...f, sizeDeclared: sizeDeclared ?? "" }, licence);
      if (!res.ok) return stepPage(c, 2, { ...f, sizeDeclared: sizeDeclared ?? "" }, res.errors, res.status as Status);
      return c.redirect("/me/certification/step3", 303);
    },
  );

  r.get("/me/certification/step3", (c) => stepPage(c, 3, takeTyped(c, "cert-step3")));
  r.post(
    "/me/certification/step3",
    back(3),
    form(step3Form, (c: Ctx, errors, values) => stepPage(c, 3, values, errors, 422)),
    async (c) => {
      const { action: _, ...f } = c.req.valid("form");
      const res = await c.var.deps.enterprises.submit(c.var.viewer.account!.id, f, c.var.requestId);
      if (!res.ok) return stepPage(c, 3, f, res.errors, res.status as Status);
      flash(c, "企业信息认证已提交，状态为待审核。平台审核后将在此显示结果。");
      return c.redirect("/me/certification", 303);
    },
  );

  // htmx: the proposed 企业划型 while staff and revenue are typed.
  r.get("/me/certification/size", query(sizeQuery), (c) => {
    const proposed = proposal(c.req.valid("query"));
    c.header("Vary", "HX-Request");
    return render(c, "partials/size-proposal", { proposed, labels });
  });

  // ---- 支付认证 ----
  const paymentPage = async (c: Ctx, typed?: Record<string, string>, errors: Record<string, string> = {}, status: Status = 200) => {
    const { current, history } = await c.var.deps.enterprises.bankAccount(c.var.viewer.account!.id);
    const values =
      typed ??
      (current
        ? {
            accountName: current.accountName,
            bankName: current.bankName,
            bankCityCode: current.bankCityCode,
            branchName: current.branchName,
            accountNumber: current.accountNumber,
          }
        : {});
    return render(c, "me/payment-account", { title: "支付认证", menu: "profile", values, errors, current, history, labels }, status);
  };
  r.get("/me/payment-account", (c) => paymentPage(c));
  r.post(
    "/me/payment-account",
    form(bankForm, (c: Ctx, errors, values) => paymentPage(c, values, errors, 422)),
    async (c) => {
      const f = c.req.valid("form");
      const res = await c.var.deps.enterprises.saveBankAccount(c.var.viewer.account!.id, f, c.var.requestId);
      if (!res.ok) return paymentPage(c, f, res.errors, res.status as Status);
      flash(c, "支付认证信息已保存");
      return c.redirect("/me/payment-account", 303);
    },
  );

  // ---- features that land later; some need certification first ----
  r.get("/me/:section{[a-z-]+}", async (c, next) => {
    const section = c.req.param("section");
    const name = ME_COMING_SOON[section];
    if (!name) return next();
    const account = c.var.viewer.account!;
    if (NEEDS_CERTIFICATION.has(section) && account.certificationStatus !== "certified") {
      return render(c, "me/gate", { title: name, menu: section, feature: name, status: account.certificationStatus, labels });
    }
    return render(c, "me/coming-soon", { title: name, menu: section, feature: name });
  });

  // ---- downloads: the owner enterprise here; staff under /admin/files ----
  const noFile = (c: Ctx) => render(c, "errors/404", { title: "文件不存在" }, 404);
  const download = async (c: Ctx, id: string, reader: { enterpriseId?: string; adminRole?: string; adminId?: string }) => {
    const found = await c.var.deps.files.read(id, reader, c.var.requestId);
    if (!found) return noFile(c);
    return sendFile(c, found);
  };
  r.get("/files/:id", requireAccount, params(idParam, noFile), (c) =>
    download(c, c.req.valid("param").id, { enterpriseId: c.var.viewer.account!.enterpriseId }),
  );
  r.get("/admin/files/:id", requireAdmin(), params(idParam, noFile), (c) =>
    download(c, c.req.valid("param").id, { adminRole: c.var.viewer.admin!.role, adminId: c.var.viewer.admin!.id }),
  );

  // ---- 管理端: 企业认证审核 ----
  r.get("/admin/certifications", requireAdmin("reviewer", "super_admin"), query(queueQuery), async (c) => {
    const q = c.req.valid("query");
    if (c.req.query("status") === undefined) q.status = "pending";
    const day = (s: string | undefined, plus = 0) => (s ? shanghaiMidnight(s, plus) : undefined);
    const filter: QueueFilter = {
      status: q.status,
      cityCode: q.city,
      size: q.size,
      submittedFrom: day(q.from),
      submittedTo: day(q.to, 1),
      keyword: q.q || undefined,
    };
    const res = await c.var.deps.enterprises.reviewQueue(c.var.viewer.admin!, filter, q.page);
    if (!res.ok) return render(c, "errors/403", { title: "无权访问", message: res.errors._form }, 403);
    const shown = { status: q.status ?? "", city: q.city ?? "", size: q.size ?? "", from: q.from ?? "", to: q.to ?? "", q: q.q };
    const link = new URLSearchParams();
    for (const [k, v] of Object.entries(shown)) if (v || k === "status") link.set(k, v);
    // `page` is the layout's page helper in every template, so the page number travels as pageNo.
    const { page: pageNo, ...rest } = res.value;
    return render(c, "admin/certifications", { title: "企业认证审核", ...rest, pageNo, q: shown, query: link.toString(), labels });
  });

  const noApplication = (c: Ctx) => render(c, "errors/404", { title: "认证申请不存在" }, 404);
  const detailPage = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const res = await c.var.deps.enterprises.reviewDetail(c.var.viewer.admin!, c.req.param("id") ?? "", c.var.requestId);
    if (!res.ok) {
      return render(
        c,
        res.status === 404 ? "errors/404" : "errors/403",
        { title: res.status === 404 ? "认证申请不存在" : "无权访问", message: res.errors._form },
        res.status as Status,
      );
    }
    // 交易状态 (暂停交易, the monitoring module) beside the timeline that records it.
    const [suspension] = await c.var.deps.monitoring.liveAmong([{ kind: "enterprise", id: res.value.enterprise.id }]);
    return render(
      c,
      "admin/certification",
      { title: "企业认证详情", ...res.value, suspension: suspension ?? null, errors, values, labels, actionText: AUDIT_ACTION_TEXT },
      status,
    );
  };
  r.get("/admin/certifications/:id", requireAdmin("reviewer", "super_admin"), params(idParam, noApplication), (c) => detailPage(c));
  r.post(
    "/admin/certifications/:id/decision",
    requireAdmin(),
    params(idParam, noApplication),
    form(decisionForm, async (c: Ctx, errors, values) => {
      // Only a reviewer sees the form again; anyone else is refused as before.
      if (!canReviewCertifications(c.var.viewer.admin!.role))
        return render(c, "errors/403", { title: "无权操作", message: "只有审核员或超级管理员可以审核企业认证" }, 403);
      return detailPage(c, errors, values, 422);
    }),
    async (c) => {
      const f = c.req.valid("form");
      const res = await c.var.deps.enterprises.decide(c.var.viewer.admin!, c.req.valid("param").id, f, c.var.requestId);
      if (!res.ok) {
        if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
        return detailPage(c, res.errors, f, res.status as Status);
      }
      flash(c, res.value.status === "certified" ? "已通过该企业的认证" : "已驳回该企业的认证");
      return c.redirect(`/admin/certifications/${c.req.valid("param").id}`, 303);
    },
  );

  return r;
}
