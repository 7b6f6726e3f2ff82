import { Hono } from "hono";
import { z } from "zod";
import { requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, clientIp, flash, isHtmx, render, safeNext } from "../../web/http.ts";
import { getSession } from "../../web/session.ts";
import { enumFilter, enumOf, form, params, query, uuid } from "../../web/validate.ts";
import {
  ADMIN_ROLE_TEXT,
  CAPTCHA,
  type SmsPurpose,
  SMS_CODE,
  STAFF_STATUS_TEXT,
  checkCaptchaFormat,
  checkEnterpriseName,
  checkPhone,
  checkSmsCodeFormat,
  maskPhone,
  normaliseName,
  normalisePhone,
} from "./domain.ts";
import type { CaptchaInput } from "./service.ts";

const CAPTCHA_PASS_MS = SMS_CODE.ttlSeconds * 1000;
/** How long a staff member may take between the password and the second-factor step. */
const STAFF_PENDING_MS = 5 * 60_000;

// ---- Edge schemas: shapes and field formats, with the domain's own messages ----

/** A form value as one string: a repeated field keeps its first value; NULs dropped. */
const raw = (v: unknown): unknown => {
  const x = Array.isArray(v) ? v[0] : v;
  if (x === undefined || x === null) return "";
  return typeof x === "string" ? x.replaceAll("\u0000", "") : x;
};

/**
 * A trimmed text field checked by a domain rule (so the message is the domain's). Values longer
 * than `max` get `tooLong`; `normalise` runs before the check.
 */
function checked(opts: { max: number; tooLong: string; check?: (v: string) => string | null; normalise?: (v: string) => string }) {
  return z.preprocess(
    (v) => {
      const x = raw(v);
      return typeof x === "string" ? x.trim() : x;
    },
    z
      .string({ error: opts.tooLong })
      .max(opts.max, { error: opts.tooLong })
      .transform((v) => (opts.normalise ? opts.normalise(v) : v))
      .superRefine((v, ctx) => {
        const e = opts.check?.(v);
        if (e) ctx.addIssue({ code: "custom", message: e });
      }),
  );
}

/** A password as typed (never trimmed), bounded; the use case checks its rules. */
const secret = (tooLong: string) => z.preprocess(raw, z.string({ error: tooLong }).max(256, { error: tooLong }));

const phone = checked({ max: 40, tooLong: "请输入正确的11位手机号", normalise: normalisePhone, check: checkPhone });
/** The captcha may be empty when this session solved it when the SMS code was sent; the use case decides. */
const captcha = checked({ max: CAPTCHA.length + 6, tooLong: "图形验证码不正确" });
const captchaRequired = checked({ max: CAPTCHA.length + 6, tooLong: "图形验证码不正确", check: checkCaptchaFormat });
const captchaId = checked({ max: 64, tooLong: "图形验证码已过期，请重新输入" });
const smsCode = checked({ max: 20, tooLong: "手机验证码为6位数字", check: checkSmsCodeFormat });
/** The optional 6-digit code of a form where another method may be chosen (the use case decides). */
const smsCodeOptional = checked({ max: 20, tooLong: "手机验证码为6位数字" });
const enterpriseName = checked({ max: 1000, tooLong: "企业名称不能超过100个字", normalise: normaliseName, check: checkEnterpriseName });
/** A user-supplied redirect target: kept as text here, made safe by safeNext before use. */
const next = checked({ max: 2000, tooLong: "" }).catch("");

const registerSendCodeForm = z.object({ name: enterpriseName, phone, captcha: captchaRequired, captchaId });
const registerForm = z.object({ name: enterpriseName, phone, smsCode, captcha, captchaId });
const loginPasswordForm = z.object({
  phone,
  password: secret("手机号或密码不正确").refine((v) => v !== "", { error: "请输入密码" }),
  captcha: captchaRequired,
  captchaId,
  next,
});
const loginSendCodeForm = z.object({ phone, captcha: captchaRequired, captchaId, next });
const loginSmsForm = z.object({ phone, smsCode, captcha, captchaId, next });
const passwordSendCodeForm = z.object({ captcha, captchaId });
const PASSWORD_METHODS = { old: "原密码", sms: "短信验证码" } as const;
const passwordForm = z.object({
  method: enumOf(PASSWORD_METHODS, "请选择验证方式").catch("old"),
  oldPassword: secret("原密码不正确"),
  smsCode: smsCodeOptional,
  newPassword: secret("密码不能超过64位"),
  confirm: secret("两次输入的密码不一致"),
});
const adminLoginForm = z.object({
  username: checked({ max: 64, tooLong: "用户名或密码不正确", check: (v) => (v ? null : "请输入用户名") }),
  password: secret("用户名或密码不正确").refine((v) => v !== "", { error: "请输入密码" }),
  next,
});
const codeForm = z.object({ code: checked({ max: 40, tooLong: "验证码不正确", check: (v) => (v ? null : "请输入验证码或恢复码") }) });
const enrolForm = z.object({
  code: checked({ max: 20, tooLong: "验证码为6位数字", check: (v) => (v ? (/^\d{6}$/.test(v) ? null : "验证码为6位数字") : "请输入验证器中的6位验证码") }),
});
const staffCreateForm = z.object({
  username: checked({ max: 64, tooLong: "用户名为3-32位字母、数字或 _ . -，以字母开头" }),
  displayName: checked({ max: 200, tooLong: "姓名不能超过50个字" }),
  role: enumOf(ADMIN_ROLE_TEXT, "请选择角色"),
  password: secret("密码不能超过64位"),
});
const staffRoleForm = z.object({ role: enumOf(ADMIN_ROLE_TEXT, "请选择角色") });
const staffStatusForm = z.object({ status: enumOf(STAFF_STATUS_TEXT, "请选择状态") });
const staffPasswordForm = z.object({ password: secret("密码不能超过64位"), confirm: secret("两次输入的密码不一致") });
const emptyForm = z.object({});

const loginQuery = z.object({ tab: enumFilter({ password: 1, sms: 1 }), next: z.preprocess(raw, z.string()).catch("") });
const nextQuery = z.object({ next: z.preprocess(raw, z.string()).catch("") });
const methodQuery = z.object({ method: enumFilter(PASSWORD_METHODS) });
const verifiedQuery = z.object({ verified: z.preprocess(raw, z.string()).catch("") });
const staffId = z.object({ id: uuid("工作人员不存在") });

/** The captcha this form may skip: solved in this session when the SMS code was sent to the same phone. */
function captchaInput(c: Ctx, f: { phone?: string; captcha: string; captchaId: string }, purpose: SmsPurpose): CaptchaInput {
  return { id: f.captchaId, answer: f.captcha, preverified: captchaPassed(c, purpose, f.phone ?? "") };
}

function captchaPassed(c: Ctx, purpose: SmsPurpose, phone: string): boolean {
  const pass = getSession(c).data?.captchaPass;
  return !!pass && pass.purpose === purpose && pass.phone === phone && pass.until > c.var.deps.clock.now().getTime();
}

/**
 * The schema lets an empty captcha through (this session may have solved it when the code was
 * sent); when another field failed, name the captcha too unless it was solved, as the use case would.
 */
function withCaptchaError(c: Ctx, purpose: SmsPurpose, errors: Record<string, string>, values: Record<string, string>) {
  if (errors.captcha || (values.captcha ?? "").trim() || captchaPassed(c, purpose, normalisePhone(values.phone ?? ""))) return errors;
  // Keep the page's field order: the captcha comes before the SMS code.
  const { smsCode, ...rest } = errors;
  return { ...rest, captcha: "请输入图形验证码", ...(smsCode ? { smsCode } : {}) };
}

/** Typed values kept across the no-JavaScript 获取验证码 round trip. */
function takeDraft(c: Ctx, form: string): Record<string, string> {
  const session = getSession(c);
  const draft = session.data?.draft;
  if (!draft || draft.form !== form) return {};
  session.remove("draft");
  return draft.values;
}

const keep = (f: Record<string, unknown>, ...names: string[]) => Object.fromEntries(names.map((n) => [n, String(f[n] ?? "").slice(0, 200)]));

type Status = 200 | 403 | 404 | 409 | 422 | 429;
const statusOf = (s: number): Status => (s === 403 || s === 404 || s === 409 || s === 429 ? s : 422);

export function identityRoutes() {
  const r = new Hono<AppEnv>();

  // Graphic captcha: image of a live challenge, and a fresh challenge for 换一张.
  r.get("/captcha/:file{[A-Za-z0-9_-]+\\.svg}", async (c) => {
    const id = c.req.param("file").replace(/\.svg$/, "");
    const svg = await c.var.deps.identity.captchaImage(id);
    c.header("Cache-Control", "no-store");
    if (!svg) return c.body(EXPIRED_SVG, 404, { "Content-Type": "image/svg+xml" });
    return c.body(svg, 200, { "Content-Type": "image/svg+xml" });
  });
  r.get("/captcha/new", query(verifiedQuery), async (c) => {
    const captchaId = await c.var.deps.identity.issueCaptcha();
    c.header("Cache-Control", "no-store");
    return render(c, "partials/captcha", { captchaId, error: "", verified: c.req.valid("query").verified === "1" });
  });

  // ---- 注册 ----
  const registerPage = async (c: Ctx, values: Record<string, string>, errors: Record<string, string> = {}, status: Status = 200) => {
    if (c.var.viewer.account && status === 200) return c.redirect("/me", 303);
    const phone = normalisePhone(values.phone ?? "");
    return render(
      c,
      "identity/register",
      {
        title: "注册",
        values,
        errors,
        captchaId: await c.var.deps.identity.issueCaptcha(),
        captchaVerified: captchaPassed(c, "register", phone),
      },
      status,
    );
  };
  const registerInvalid = (c: Ctx, errors: Record<string, string>, values: Record<string, string>) =>
    registerPage(c, keep(values, "name", "phone"), withCaptchaError(c, "register", errors, values), 422);
  r.get("/register", async (c) => registerPage(c, takeDraft(c, "register")));
  r.post("/register/send-code", form(registerSendCodeForm, registerInvalid), async (c) => {
    const f = c.req.valid("form");
    const values = keep(f, "name", "phone");
    const res = await c.var.deps.identity.sendSmsCode({
      phone: f.phone,
      purpose: "register",
      captcha: { id: f.captchaId, answer: f.captcha, preverified: false },
      ip: clientIp(c),
    });
    if (!res.ok) return registerPage(c, values, res.errors, statusOf(res.status));
    codeSent(c, "register", res.value.phone, values, "register");
    return c.redirect("/register", 303);
  });
  r.post("/register", form(registerForm, registerInvalid), async (c) => {
    const f = c.req.valid("form");
    const values = keep(f, "name", "phone");
    const res = await c.var.deps.identity.register({
      name: f.name,
      phone: f.phone,
      smsCode: f.smsCode,
      captcha: captchaInput(c, f, "register"),
      requestId: c.var.requestId,
    });
    if (!res.ok) return registerPage(c, values, res.errors, res.status === 409 ? 409 : 422);
    getSession(c).rotate({ accountId: res.value.accountId, flash: { kind: "success", text: "注册成功，欢迎使用！请先完成企业信息认证。" } });
    return c.redirect("/me", 303);
  });

  // ---- 登录 ----
  const loginPage = async (c: Ctx, tab: "password" | "sms", values: Record<string, string>, errors: Record<string, string> = {}, status: Status = 200) => {
    const next = safeNext(values.next, "/me");
    if (c.var.viewer.account && status === 200) return c.redirect(next, 303);
    return render(
      c,
      "identity/login",
      {
        title: "登录",
        tab,
        next,
        values,
        errors,
        captchaId: await c.var.deps.identity.issueCaptcha(),
        captchaVerified: tab === "sms" && captchaPassed(c, "login", normalisePhone(values.phone ?? "")),
      },
      status,
    );
  };
  const loginInvalid = (tab: "password" | "sms") => (c: Ctx, errors: Record<string, string>, values: Record<string, string>) =>
    loginPage(c, tab, keep(values, "phone", "next"), tab === "sms" ? withCaptchaError(c, "login", errors, values) : errors, 422);
  r.get("/login", query(loginQuery), async (c) => {
    const q = c.req.valid("query");
    const tab = q.tab === "sms" ? "sms" : "password";
    return loginPage(c, tab, { ...takeDraft(c, `login-${tab}`), next: q.next });
  });
  r.post("/login/password", form(loginPasswordForm, loginInvalid("password")), async (c) => {
    const f = c.req.valid("form");
    const values = keep(f, "phone", "next");
    const res = await c.var.deps.identity.loginWithPassword({
      phone: f.phone,
      password: f.password,
      captcha: { id: f.captchaId, answer: f.captcha },
      ip: clientIp(c),
    });
    if (!res.ok) return loginPage(c, "password", values, res.errors, statusOf(res.status));
    getSession(c).rotate({ accountId: res.value.accountId });
    return c.redirect(safeNext(f.next, "/me"), 303);
  });
  r.post("/login/send-code", form(loginSendCodeForm, loginInvalid("sms")), async (c) => {
    const f = c.req.valid("form");
    const values = keep(f, "phone", "next");
    const res = await c.var.deps.identity.sendSmsCode({
      phone: f.phone,
      purpose: "login",
      captcha: { id: f.captchaId, answer: f.captcha, preverified: false },
      ip: clientIp(c),
    });
    if (!res.ok) return loginPage(c, "sms", values, res.errors, statusOf(res.status));
    codeSent(c, "login", res.value.phone, values, "login-sms");
    const next = values.next ? `&next=${encodeURIComponent(safeNext(values.next, "/me"))}` : "";
    return c.redirect(`/login?tab=sms${next}`, 303);
  });
  r.post("/login/sms", form(loginSmsForm, loginInvalid("sms")), async (c) => {
    const f = c.req.valid("form");
    const values = keep(f, "phone", "next");
    const res = await c.var.deps.identity.loginWithSms({ phone: f.phone, smsCode: f.smsCode, captcha: captchaInput(c, f, "login") });
    if (!res.ok) return loginPage(c, "sms", values, res.errors, statusOf(res.status));
    getSession(c).rotate({ accountId: res.value.accountId });
    return c.redirect(safeNext(f.next, "/me"), 303);
  });

  r.post("/logout", async (c) => {
    const session = getSession(c);
    session.destroy();
    session.rotate({ flash: { kind: "info", text: "您已退出登录" } });
    return c.redirect("/", 303);
  });

  // ---- 设置密码 / 修改密码 ----
  const passwordPage = async (c: Ctx, values: Record<string, string>, errors: Record<string, string> = {}, status: Status = 200) => {
    const account = c.var.viewer.account;
    if (!account) return c.redirect("/login?next=%2Fme%2Fpassword", 303);
    const method = values.method === "sms" ? "sms" : "old";
    return render(
      c,
      "me/password",
      {
        title: account.hasPassword ? "修改密码" : "设置密码",
        menu: "password",
        method,
        values,
        errors,
        phoneMasked: maskPhone(account.phone),
        captchaId: method === "sms" ? await c.var.deps.identity.issueCaptcha() : "",
        captchaVerified: captchaPassed(c, "password", account.phone),
      },
      status,
    );
  };
  r.get("/me/password", query(methodQuery), async (c) => {
    const draft = takeDraft(c, "password");
    return passwordPage(c, { ...draft, method: c.req.valid("query").method ?? draft.method ?? "old" });
  });
  r.post(
    "/me/password/send-code",
    form(passwordSendCodeForm, (c: Ctx, errors) => passwordPage(c, { method: "sms" }, errors, 422)),
    async (c) => {
      const account = c.var.viewer.account;
      if (!account) return c.redirect("/login", 303);
      const f = c.req.valid("form");
      const res = await c.var.deps.identity.sendSmsCode({
        phone: account.phone,
        purpose: "password",
        captcha: { id: f.captchaId, answer: f.captcha, preverified: captchaPassed(c, "password", account.phone) },
        ip: clientIp(c),
        accountId: account.id,
      });
      const values = { method: "sms" };
      if (!res.ok) return passwordPage(c, values, res.errors, statusOf(res.status));
      codeSent(c, "password", account.phone, values, "password");
      return c.redirect("/me/password?method=sms", 303);
    },
  );
  r.post(
    "/me/password",
    form(passwordForm, (c: Ctx, errors, values) => passwordPage(c, { method: values.method === "sms" ? "sms" : "old" }, errors, 422)),
    async (c) => {
      const account = c.var.viewer.account;
      if (!account) return c.redirect("/login", 303);
      const f = c.req.valid("form");
      const res = await c.var.deps.identity.setPassword(account.id, { ...f, requestId: c.var.requestId });
      if (!res.ok) return passwordPage(c, { method: f.method }, res.errors, statusOf(res.status));
      flash(c, account.hasPassword ? "密码已修改" : "密码已设置，下次可使用账号密码登录");
      return c.redirect("/me", 303);
    },
  );

  // ---- 管理端登录: password, then the second factor (or enrolment) when it applies ----
  const adminLoginPage = (c: Ctx, values: Record<string, string>, errors: Record<string, string> = {}, status: Status = 200) =>
    render(c, "admin/login", { title: "管理端登录", values, errors, next: safeNext(values.next, "/admin") }, status);
  r.get("/admin/login", query(nextQuery), async (c) => {
    if (c.var.viewer.admin) return c.redirect("/admin", 303);
    return adminLoginPage(c, { next: c.req.valid("query").next });
  });
  r.post(
    "/admin/login",
    form(adminLoginForm, (c: Ctx, errors, values) => adminLoginPage(c, keep(values, "username", "next"), errors, 422)),
    async (c) => {
      const f = c.req.valid("form");
      const values = keep(f, "username", "next");
      const res = await c.var.deps.identity.adminLogin({ username: f.username, password: f.password, ip: clientIp(c) });
      if (!res.ok) return adminLoginPage(c, values, res.errors, res.status === 429 ? 429 : 422);
      const next = safeNext(f.next, "/admin");
      if (res.value.next === "signed_in") {
        getSession(c).rotate({ adminId: res.value.adminId });
        return c.redirect(next, 303);
      }
      const step = res.value.next;
      getSession(c).rotate({ staffPending: { adminId: res.value.adminId, step, until: c.var.deps.clock.now().getTime() + STAFF_PENDING_MS, next } });
      return c.redirect(step === "code" ? "/admin/login/code" : "/admin/two-factor", 303);
    },
  );

  /** The staff member between the password and the second step, or undefined (expired or none). */
  const pendingStaff = (c: Ctx, step: "code" | "enrol") => {
    const p = getSession(c).data?.staffPending;
    return p && p.step === step && p.until > c.var.deps.clock.now().getTime() ? p : undefined;
  };
  const codePage = (c: Ctx, errors: Record<string, string> = {}, status: Status = 200) =>
    render(c, "admin/login-code", { title: "两步验证", errors }, status);
  r.get("/admin/login/code", (c) => {
    if (!pendingStaff(c, "code")) return c.redirect("/admin/login", 303);
    return codePage(c);
  });
  r.post(
    "/admin/login/code",
    form(codeForm, (c: Ctx, errors) => (pendingStaff(c, "code") ? codePage(c, errors, 422) : c.redirect("/admin/login", 303))),
    async (c) => {
      const pending = pendingStaff(c, "code");
      if (!pending) return c.redirect("/admin/login", 303);
      const res = await c.var.deps.identity.adminSecondFactor({ adminId: pending.adminId, code: c.req.valid("form").code, requestId: c.var.requestId });
      if (!res.ok) {
        if (res.status === 403) {
          getSession(c).destroy();
          return c.redirect("/admin/login", 303);
        }
        return codePage(c, res.errors, statusOf(res.status));
      }
      const left = res.value.usedRecoveryCode ? await c.var.deps.identity.recoveryCodesLeft(res.value.adminId) : undefined;
      getSession(c).rotate({
        adminId: res.value.adminId,
        ...(left !== undefined
          ? { flash: { kind: "info" as const, text: `已使用一个恢复码，还剩${left}个。恢复码用完前请联系超级管理员重置两步验证。` } }
          : {}),
      });
      return c.redirect(pending.next, 303);
    },
  );

  // ---- 两步验证: enrolment for the signed-in staff member (or one who must enrol to sign in) ----
  /** Who is enrolling: the signed-in staff member, or the one held at the password step. */
  const enrolling = (c: Ctx) => {
    const admin = c.var.viewer.admin;
    if (admin) return { adminId: admin.id, pending: undefined };
    const pending = pendingStaff(c, "enrol");
    return pending ? { adminId: pending.adminId, pending } : undefined;
  };
  const twoFactorPage = async (c: Ctx, errors: Record<string, string> = {}, status: Status = 200) => {
    const who = enrolling(c);
    if (!who) return c.redirect("/admin/login?next=%2Fadmin%2Ftwo-factor", 303);
    const identity = c.var.deps.identity;
    const admin = c.var.viewer.admin;
    if (admin && !who.pending) {
      const me = await identity.admin(admin.id);
      if (me?.twoFactor) {
        return render(
          c,
          "admin/two-factor",
          { title: "两步验证", enrolled: true, recoveryCodesLeft: await identity.recoveryCodesLeft(admin.id), errors },
          status,
        );
      }
    }
    const setup = await identity.twoFactorSetup(who.adminId);
    if (!setup.ok) return render(c, "errors/error", { title: "两步验证", message: setup.errors._form ?? "无法设置两步验证" }, statusOf(setup.status));
    return render(c, "admin/two-factor", { title: "两步验证", enrolled: false, required: !!who.pending, setup: setup.value, errors }, status);
  };
  r.get("/admin/two-factor", (c) => twoFactorPage(c));
  r.post(
    "/admin/two-factor",
    form(enrolForm, (c: Ctx, errors) => twoFactorPage(c, errors, 422)),
    async (c) => {
      const who = enrolling(c);
      if (!who) return c.redirect("/admin/login?next=%2Fadmin%2Ftwo-factor", 303);
      const res = await c.var.deps.identity.confirmTwoFactor(who.adminId, { code: c.req.valid("form").code, requestId: c.var.requestId });
      if (!res.ok) return twoFactorPage(c, res.errors, statusOf(res.status));
      // The codes are shown once, on the next page; they wait in the cache for a few minutes.
      await c.var.deps.cache.set(`staff:recovery:show:${who.adminId}`, JSON.stringify(res.value.recoveryCodes), 10 * 60);
      const session = getSession(c);
      if (who.pending) session.rotate({ adminId: who.adminId });
      flash(c, "两步验证已启用");
      return c.redirect("/admin/two-factor/recovery-codes", 303);
    },
  );
  r.get("/admin/two-factor/recovery-codes", requireAdmin(), async (c) => {
    const admin = c.var.viewer.admin!;
    const raw = await c.var.deps.cache.take(`staff:recovery:show:${admin.id}`);
    c.header("Cache-Control", "no-store");
    return render(c, "admin/recovery-codes", { title: "恢复码", codes: raw ? (JSON.parse(raw) as string[]) : null });
  });

  r.post("/admin/logout", async (c) => {
    const session = getSession(c);
    session.destroy();
    return c.redirect("/admin/login", 303);
  });

  // ---- 工作人员管理 (super_admin) ----
  const staffListPage = async (c: Ctx, values: Record<string, string> = {}, errors: Record<string, string> = {}, status: Status = 200) => {
    const admin = c.var.viewer.admin!;
    const res = await c.var.deps.identity.staffList({ adminId: admin.id, role: admin.role });
    if (!res.ok) return render(c, "errors/403", { title: "无权访问", message: "您的角色无权进行此操作。" }, 403);
    return render(c, "admin/staff", { title: "工作人员管理", staff: res.value, roles: ADMIN_ROLE_TEXT, values, errors }, status);
  };
  const memberPage = async (c: Ctx, id: string, errors: Record<string, string> = {}, status: Status = 200) => {
    const admin = c.var.viewer.admin!;
    const res = await c.var.deps.identity.staffMember({ adminId: admin.id, role: admin.role }, id);
    if (!res.ok) {
      if (res.status === 404) return render(c, "errors/404", { title: "页面不存在" }, 404);
      return render(c, "errors/403", { title: "无权访问", message: "您的角色无权进行此操作。" }, 403);
    }
    return render(
      c,
      "admin/staff-member",
      { title: `工作人员：${res.value.displayName}`, member: res.value, self: res.value.id === admin.id, roles: ADMIN_ROLE_TEXT, errors },
      status,
    );
  };
  const notFound = (c: Ctx) => render(c, "errors/404", { title: "页面不存在" }, 404);
  const actor = (c: Ctx) => ({ adminId: c.var.viewer.admin!.id, role: c.var.viewer.admin!.role });
  const onlySuper = requireAdmin("super_admin");

  r.get("/admin/staff", onlySuper, (c) => staffListPage(c));
  r.post(
    "/admin/staff",
    onlySuper,
    form(staffCreateForm, (c: Ctx, errors, values) => staffListPage(c, keep(values, "username", "displayName", "role"), errors, 422)),
    async (c) => {
      const f = c.req.valid("form");
      const res = await c.var.deps.identity.createAdmin({ ...f, actor: actor(c), requestId: c.var.requestId });
      if (!res.ok) return staffListPage(c, keep(f, "username", "displayName", "role"), res.errors, statusOf(res.status));
      flash(c, `已创建工作人员账号 ${f.username}，请将初始密码告知本人`);
      return c.redirect(`/admin/staff/${res.value.adminId}`, 303);
    },
  );
  r.get("/admin/staff/:id", onlySuper, params(staffId, notFound), (c) => memberPage(c, c.req.valid("param").id));
  const memberAction = <S extends z.ZodType>(
    path: string,
    schema: S,
    run: (c: Ctx, id: string, f: z.output<S>) => Promise<{ ok: boolean; status?: number; errors?: Record<string, string> }>,
    done: string,
  ) =>
    r.post(
      `/admin/staff/:id/${path}`,
      onlySuper,
      params(staffId, notFound),
      form(schema, (c: Ctx, errors) => memberPage(c, c.req.param("id") ?? "", errors, 422)),
      async (c) => {
        const id = c.req.valid("param").id;
        const res = await run(c, id, c.req.valid("form") as z.output<S>);
        if (!res.ok) return memberPage(c, id, res.errors ?? {}, statusOf(res.status ?? 422));
        flash(c, done);
        return c.redirect(`/admin/staff/${id}`, 303);
      },
    );
  memberAction("role", staffRoleForm, (c, id, f) => c.var.deps.identity.setStaffRole(actor(c), id, f.role, c.var.requestId), "角色已修改");
  memberAction("status", staffStatusForm, (c, id, f) => c.var.deps.identity.setStaffStatus(actor(c), id, f.status, c.var.requestId), "账号状态已修改");
  memberAction(
    "password",
    staffPasswordForm,
    (c, id, f) => c.var.deps.identity.resetStaffPassword(actor(c), id, f, c.var.requestId),
    "密码已重置，请将新密码告知本人",
  );
  memberAction(
    "two-factor/reset",
    emptyForm,
    (c, id) => c.var.deps.identity.resetStaffTwoFactor(actor(c), id, c.var.requestId),
    "两步验证已重置，该工作人员下次登录时需重新设置",
  );

  return r;
}

function codeSent(c: Ctx, purpose: SmsPurpose, phone: string, values: Record<string, string>, form: string) {
  getSession(c).update({
    captchaPass: { phone, purpose, until: c.var.deps.clock.now().getTime() + CAPTCHA_PASS_MS },
    draft: { form, values },
    flash: { kind: "success", text: `验证码已发送至${maskPhone(phone)}，${SMS_CODE.ttlSeconds / 60}分钟内有效` },
  });
  if (isHtmx(c)) c.header("Vary", "HX-Request");
}

const EXPIRED_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40"><rect width="100%" height="100%" fill="#eee"/><text x="60" y="25" font-size="13" text-anchor="middle" fill="#555">已过期，请换一张</text></svg>';
