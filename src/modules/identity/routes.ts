import { Hono } from "hono";
import { type AppEnv, type Ctx, clientIp, flash, formFields, isHtmx, render, safeNext } from "../../web/http.ts";
import { getSession } from "../../web/session.ts";
import { SMS_CODE, type SmsPurpose, maskPhone, normalisePhone } from "./domain.ts";
import type { CaptchaInput } from "./service.ts";

const CAPTCHA_PASS_MS = SMS_CODE.ttlSeconds * 1000;

/** The captcha this form may skip: solved in this session when the SMS code was sent to the same phone. */
function captchaInput(c: Ctx, f: Record<string, string>, purpose: SmsPurpose): CaptchaInput {
  const pass = getSession(c).data?.captchaPass;
  const phone = normalisePhone(f.phone ?? "");
  const preverified =
    !!pass && pass.purpose === purpose && pass.phone === phone && pass.until > c.var.deps.clock.now().getTime();
  return { id: f.captchaId ?? "", answer: f.captcha ?? "", preverified };
}

function captchaPassed(c: Ctx, purpose: SmsPurpose, phone: string): boolean {
  const pass = getSession(c).data?.captchaPass;
  return !!pass && pass.purpose === purpose && pass.phone === phone && pass.until > c.var.deps.clock.now().getTime();
}

/** Typed values kept across the no-JavaScript 获取验证码 round trip. */
function takeDraft(c: Ctx, form: string): Record<string, string> {
  const session = getSession(c);
  const draft = session.data?.draft;
  if (!draft || draft.form !== form) return {};
  session.remove("draft");
  return draft.values;
}

const keep = (f: Record<string, string>, ...names: string[]) =>
  Object.fromEntries(names.map((n) => [n, (f[n] ?? "").slice(0, 200)]));

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
  r.get("/captcha/new", async (c) => {
    const captchaId = await c.var.deps.identity.issueCaptcha();
    c.header("Cache-Control", "no-store");
    return render(c, "partials/captcha", { captchaId, error: "", verified: c.req.query("verified") === "1" });
  });

  // ---- 注册 ----
  const registerPage = async (c: Ctx, values: Record<string, string>, errors: Record<string, string> = {}, status: 200 | 409 | 422 | 429 = 200) => {
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
  r.get("/register", async (c) => registerPage(c, takeDraft(c, "register")));
  r.post("/register/send-code", async (c) => {
    const f = await formFields(c);
    const values = keep(f, "name", "phone");
    const res = await c.var.deps.identity.sendSmsCode({
      phone: f.phone ?? "",
      purpose: "register",
      captcha: captchaInput(c, f, "register"),
      ip: clientIp(c),
    });
    if (!res.ok) return registerPage(c, values, res.errors, res.status === 409 ? 409 : res.status === 429 ? 429 : 422);
    codeSent(c, "register", res.value.phone, values, "register");
    return c.redirect("/register", 303);
  });
  r.post("/register", async (c) => {
    const f = await formFields(c);
    const values = keep(f, "name", "phone");
    const res = await c.var.deps.identity.register({
      name: f.name ?? "",
      phone: f.phone ?? "",
      smsCode: f.smsCode ?? "",
      captcha: captchaInput(c, f, "register"),
      requestId: c.var.requestId,
    });
    if (!res.ok) return registerPage(c, values, res.errors, res.status === 409 ? 409 : 422);
    getSession(c).rotate({ accountId: res.value.accountId, flash: { kind: "success", text: "注册成功，欢迎使用！请先完成企业信息认证。" } });
    return c.redirect("/me", 303);
  });

  // ---- 登录 ----
  const loginPage = async (
    c: Ctx,
    tab: "password" | "sms",
    values: Record<string, string>,
    errors: Record<string, string> = {},
    status: 200 | 403 | 409 | 422 | 429 = 200,
  ) => {
    const next = safeNext(values.next ?? c.req.query("next"), "/me");
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
  r.get("/login", async (c) => {
    const tab = c.req.query("tab") === "sms" ? "sms" : "password";
    return loginPage(c, tab, { ...takeDraft(c, `login-${tab}`), next: c.req.query("next") ?? "" });
  });
  r.post("/login/password", async (c) => {
    const f = await formFields(c);
    const values = keep(f, "phone", "next");
    const res = await c.var.deps.identity.loginWithPassword({
      phone: f.phone ?? "",
      password: f.password ?? "",
      captcha: { id: f.captchaId ?? "", answer: f.captcha ?? "" },
      ip: clientIp(c),
    });
    if (!res.ok) return loginPage(c, "password", values, res.errors, res.status === 429 ? 429 : res.status === 403 ? 403 : 422);
    getSession(c).rotate({ accountId: res.value.accountId });
    return c.redirect(safeNext(f.next, "/me"), 303);
  });
  r.post("/login/send-code", async (c) => {
    const f = await formFields(c);
    const values = keep(f, "phone", "next");
    const res = await c.var.deps.identity.sendSmsCode({
      phone: f.phone ?? "",
      purpose: "login",
      captcha: captchaInput(c, f, "login"),
      ip: clientIp(c),
    });
    if (!res.ok) return loginPage(c, "sms", values, res.errors, res.status === 429 ? 429 : 422);
    codeSent(c, "login", res.value.phone, values, "login-sms");
    const next = values.next ? `&next=${encodeURIComponent(safeNext(values.next, "/me"))}` : "";
    return c.redirect(`/login?tab=sms${next}`, 303);
  });
  r.post("/login/sms", async (c) => {
    const f = await formFields(c);
    const values = keep(f, "phone", "next");
    const res = await c.var.deps.identity.loginWithSms({
      phone: f.phone ?? "",
      smsCode: f.smsCode ?? "",
      captcha: captchaInput(c, f, "login"),
    });
    if (!res.ok) return loginPage(c, "sms", values, res.errors, res.status === 403 ? 403 : 422);
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
  const passwordPage = async (c: Ctx, values: Record<string, string>, errors: Record<string, string> = {}, status: 200 | 403 | 422 | 429 = 200) => {
    const account = c.var.viewer.account;
    if (!account) return c.redirect("/login?next=%2Fme%2Fpassword", 303);
    const method = values.method === "sms" || c.req.query("method") === "sms" ? "sms" : "old";
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
  r.get("/me/password", async (c) => passwordPage(c, takeDraft(c, "password")));
  r.post("/me/password/send-code", async (c) => {
    const account = c.var.viewer.account;
    if (!account) return c.redirect("/login", 303);
    const f = await formFields(c);
    const res = await c.var.deps.identity.sendSmsCode({
      phone: account.phone,
      purpose: "password",
      captcha: { id: f.captchaId ?? "", answer: f.captcha ?? "", preverified: captchaPassed(c, "password", account.phone) },
      ip: clientIp(c),
      accountId: account.id,
    });
    const values = { method: "sms" };
    if (!res.ok) return passwordPage(c, values, res.errors, res.status === 429 ? 429 : res.status === 403 ? 403 : 422);
    codeSent(c, "password", account.phone, values, "password");
    return c.redirect("/me/password?method=sms", 303);
  });
  r.post("/me/password", async (c) => {
    const account = c.var.viewer.account;
    if (!account) return c.redirect("/login", 303);
    const f = await formFields(c);
    const method = f.method === "sms" ? "sms" : "old";
    const res = await c.var.deps.identity.setPassword(account.id, {
      method,
      oldPassword: f.oldPassword ?? "",
      smsCode: f.smsCode ?? "",
      newPassword: f.newPassword ?? "",
      confirm: f.confirm ?? "",
      requestId: c.var.requestId,
    });
    if (!res.ok) return passwordPage(c, { method }, res.errors, res.status === 429 ? 429 : res.status === 403 ? 403 : 422);
    flash(c, account.hasPassword ? "密码已修改" : "密码已设置，下次可使用账号密码登录");
    return c.redirect("/me", 303);
  });

  // ---- 管理端登录 ----
  const adminLoginPage = (c: Ctx, values: Record<string, string>, errors: Record<string, string> = {}, status: 200 | 422 | 429 = 200) =>
    render(c, "admin/login", { title: "管理端登录", values, errors, next: safeNext(values.next ?? c.req.query("next"), "/admin") }, status);
  r.get("/admin/login", async (c) => {
    if (c.var.viewer.admin) return c.redirect("/admin", 303);
    return adminLoginPage(c, {});
  });
  r.post("/admin/login", async (c) => {
    const f = await formFields(c);
    const values = keep(f, "username", "next");
    const res = await c.var.deps.identity.adminLogin({ username: f.username ?? "", password: f.password ?? "", ip: clientIp(c) });
    if (!res.ok) return adminLoginPage(c, values, res.errors, res.status === 429 ? 429 : 422);
    getSession(c).rotate({ adminId: res.value.adminId });
    return c.redirect(safeNext(f.next, "/admin"), 303);
  });
  r.post("/admin/logout", async (c) => {
    const session = getSession(c);
    session.destroy();
    return c.redirect("/admin/login", 303);
  });

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
