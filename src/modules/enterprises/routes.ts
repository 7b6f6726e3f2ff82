import { Hono } from "hono";
import { requireAccount, requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, formFields, formUploads, render, sendFile } from "../../web/http.ts";
import { getSession } from "../../web/session.ts";
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
  cityName,
  districtName,
  fenToWanText,
  parseWanToFen,
  proposeSize,
  sizeRuleText,
} from "./domain.ts";
import type { Certification, QueueFilter } from "./ports.ts";

/** 个人中心 menu entries whose features land with later issues. */
export const ME_COMING_SOON: Record<string, string> = {
  orders: "我购买的服务",
};
/** Pages only a certified enterprise may use; others see the gate with 去企业信息认证. */
const NEEDS_CERTIFICATION = new Set(["orders"]);

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

  r.get("/me/certification/step1", (c) => stepPage(c, 1, takeTyped(c, "cert-step1")));
  r.post("/me/certification/step1", async (c) => {
    const f = await formFields(c);
    const res = await c.var.deps.enterprises.saveStep1(c.var.viewer.account!.id, f);
    if (!res.ok) return stepPage(c, 1, f, res.errors, res.status as Status);
    return c.redirect("/me/certification/step2", 303);
  });

  r.get("/me/certification/step2", (c) => stepPage(c, 2, takeTyped(c, "cert-step2")));
  r.post("/me/certification/step2", async (c) => {
    const f = await formFields(c);
    if (f.action === "back") {
      keepTyped(c, "cert-step2", f);
      return c.redirect("/me/certification/step1", 303);
    }
    const [licence = null] = await formUploads(c, "licence");
    const res = await c.var.deps.enterprises.saveStep2(c.var.viewer.account!.id, f, licence);
    if (!res.ok) return stepPage(c, 2, f, res.errors, res.status as Status);
    return c.redirect("/me/certification/step3", 303);
  });

  r.get("/me/certification/step3", (c) => stepPage(c, 3, takeTyped(c, "cert-step3")));
  r.post("/me/certification/step3", async (c) => {
    const f = await formFields(c);
    if (f.action === "back") {
      keepTyped(c, "cert-step3", f);
      return c.redirect("/me/certification/step2", 303);
    }
    const res = await c.var.deps.enterprises.submit(c.var.viewer.account!.id, f, c.var.requestId);
    if (!res.ok) return stepPage(c, 3, f, res.errors, res.status as Status);
    flash(c, "企业信息认证已提交，状态为待审核。平台审核后将在此显示结果。");
    return c.redirect("/me/certification", 303);
  });

  // htmx: the proposed 企业划型 while staff and revenue are typed.
  r.get("/me/certification/size", (c) => {
    const proposed = proposal({ staffCount: c.req.query("staffCount") ?? "", revenueWan: c.req.query("revenueWan") ?? "" });
    c.header("Vary", "HX-Request");
    return render(c, "partials/size-proposal", { proposed, labels });
  });

  // ---- 支付认证 ----
  const paymentPage = async (c: Ctx, typed?: Record<string, string>, errors: Record<string, string> = {}, status: Status = 200) => {
    const { current, history } = await c.var.deps.enterprises.bankAccount(c.var.viewer.account!.id);
    const values = typed ?? (current
      ? { accountName: current.accountName, bankName: current.bankName, bankCityCode: current.bankCityCode, branchName: current.branchName, accountNumber: current.accountNumber }
      : {});
    return render(c, "me/payment-account", { title: "支付认证", menu: "profile", values, errors, current, history, labels }, status);
  };
  r.get("/me/payment-account", (c) => paymentPage(c));
  r.post("/me/payment-account", async (c) => {
    const f = await formFields(c);
    const res = await c.var.deps.enterprises.saveBankAccount(c.var.viewer.account!.id, f, c.var.requestId);
    if (!res.ok) return paymentPage(c, f, res.errors, res.status as Status);
    flash(c, "支付认证信息已保存");
    return c.redirect("/me/payment-account", 303);
  });

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
  const download = async (c: Ctx, reader: { enterpriseId?: string; adminRole?: string }) => {
    const found = await c.var.deps.files.read(c.req.param("id") ?? "", reader);
    if (!found) return render(c, "errors/404", { title: "文件不存在" }, 404);
    return sendFile(c, found);
  };
  r.get("/files/:id", requireAccount, (c) => download(c, { enterpriseId: c.var.viewer.account!.enterpriseId }));
  r.get("/admin/files/:id", requireAdmin(), (c) => download(c, { adminRole: c.var.viewer.admin!.role }));

  // ---- 管理端: 企业认证审核 ----
  r.get("/admin/certifications", requireAdmin("reviewer", "super_admin"), async (c) => {
    const q = c.req.query();
    const filter: QueueFilter = {};
    if (q.status && q.status in APPLICATION_STATUS_TEXT && q.status !== "draft") filter.status = q.status as QueueFilter["status"];
    if (q.city && CITIES.some((x) => x.code === q.city)) filter.cityCode = q.city;
    if (q.size && q.size in SIZE_CLASSES) filter.size = q.size as SizeClass;
    const day = (s: string | undefined, plus = 0) => {
      if (!s || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return undefined;
      const d = new Date(`${s}T00:00:00+08:00`);
      return Number.isNaN(d.getTime()) ? undefined : new Date(d.getTime() + plus * 86400_000);
    };
    filter.submittedFrom = day(q.from);
    filter.submittedTo = day(q.to, 1);
    if (q.q) filter.keyword = q.q.slice(0, 50);
    if (q.status === undefined) filter.status = "pending";
    const res = await c.var.deps.enterprises.reviewQueue(c.var.viewer.admin!, filter, Number(q.page ?? 1));
    if (!res.ok) return render(c, "errors/403", { title: "无权访问", message: res.errors._form }, 403);
    const params = new URLSearchParams();
    for (const k of ["status", "city", "size", "from", "to", "q"]) if (q[k]) params.set(k, q[k]!);
    if (q.status === undefined) params.set("status", "pending");
    // `page` is the layout's page helper in every template, so the page number travels as pageNo.
    const { page: pageNo, ...rest } = res.value;
    return render(c, "admin/certifications", { title: "企业认证审核", ...rest, pageNo, q: { ...q, status: q.status ?? "pending" }, query: params.toString(), labels });
  });

  const detailPage = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const res = await c.var.deps.enterprises.reviewDetail(c.var.viewer.admin!, c.req.param("id") ?? "");
    if (!res.ok) {
      return render(c, res.status === 404 ? "errors/404" : "errors/403", { title: res.status === 404 ? "认证申请不存在" : "无权访问", message: res.errors._form }, res.status as Status);
    }
    return render(c, "admin/certification", { title: "企业认证详情", ...res.value, errors, values, labels, actionText: AUDIT_ACTION_TEXT }, status);
  };
  r.get("/admin/certifications/:id", requireAdmin("reviewer", "super_admin"), (c) => detailPage(c));
  r.post("/admin/certifications/:id/decision", requireAdmin(), async (c) => {
    const f = await formFields(c);
    const res = await c.var.deps.enterprises.decide(c.var.viewer.admin!, c.req.param("id"), { decision: f.decision ?? "", reason: f.reason ?? "" }, c.var.requestId);
    if (!res.ok) {
      if (res.status === 403) return render(c, "errors/403", { title: "无权操作", message: res.errors._form }, 403);
      return detailPage(c, res.errors, f, res.status as Status);
    }
    flash(c, res.value.status === "certified" ? "已通过该企业的认证" : "已驳回该企业的认证");
    return c.redirect(`/admin/certifications/${c.req.param("id")}`, 303);
  });

  return r;
}
