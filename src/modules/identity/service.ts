import { createHash } from "node:crypto";
import * as OTPAuth from "otpauth";
import { renderSVG } from "uqr";
import type { Cache } from "../../ports/cache.ts";
import type { Clock } from "../../ports/clock.ts";
import { type Db, UniqueViolation } from "../../ports/db.ts";
import type { PasswordHasher } from "../../ports/passwords.ts";
import type { SmsSender } from "../../ports/sms.ts";
import { randomDigits, randomInt, randomToken, safeEqual } from "../../lib/random.ts";
import { type Failure, type FieldErrors, type Result, fail, ok } from "../../lib/result.ts";
import type { Audit } from "../audit/service.ts";
import type { EnterpriseService } from "../enterprises/service.ts";
import { captchaAnswer, renderCaptchaSvg } from "./captcha-svg.ts";
import {
  ADMIN_ROLES,
  type AdminRole,
  ADMIN_ROLE_TEXT,
  CAPTCHA,
  IP_SLOWDOWN,
  LOGIN_BACKOFF,
  RECOVERY_CODES,
  STAFF_STATUS_TEXT,
  TOTP,
  SMS_CODE,
  type SmsPurpose,
  backoffSeconds,
  checkCaptchaFormat,
  checkEnterpriseName,
  checkNewPassword,
  checkPhone,
  checkSmsCodeFormat,
  checkUsername,
  formatRecoveryCode,
  maskPhone,
  normaliseRecoveryCode,
  normaliseName,
  normalisePhone,
  smsText,
  waitText,
} from "./domain.ts";
import type { Account, AccountRepositoryFactory, AdminRepositoryFactory, AdminUser } from "./ports.ts";

export type IdentityDeps = {
  db: Db;
  cache: Cache;
  sms: SmsSender;
  clock: Clock;
  passwords: PasswordHasher;
  accountRepo: AccountRepositoryFactory;
  adminRepo: AdminRepositoryFactory;
  enterprises: EnterpriseService;
  audit: Audit;
  captchaTestAnswer?: string;
  smsCaps: { dailyCapPerPhone: number; dailyCapPerIp: number };
  /** Staff roles that must have a second factor before they can do anything (production: super_admin, finance). */
  secondFactorRequiredFor?: readonly AdminRole[];
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
};

/** A captcha the caller may accept without a new answer: solved earlier in this session for this phone and purpose. */
export type CaptchaInput = { id: string; answer: string; preverified?: boolean };

/** The cache keys of one password back-off: the site's and the staff's are separate namespaces. */
type BackoffKeys = { fail: string; wait: string; ipFail: string; ipSlow: string };
const siteBackoff = (phone: string, ip: string): BackoffKeys => ({
  fail: `login:fail:${phone}`,
  wait: `login:wait:${phone}`,
  ipFail: `login:failip:${ip}`,
  ipSlow: `login:slowip:${ip}`,
});
const staffBackoff = (username: string, ip: string): BackoffKeys => ({
  fail: `staff:fail:${username}`,
  wait: `staff:wait:${username}`,
  ipFail: `staff:failip:${ip}`,
  ipSlow: `staff:slowip:${ip}`,
});

/** The outcome of a guarded password check: refused unseen (back-off), wrong, or right. */
type Attempt = { outcome: "refused"; wait: number; scope: "account" | "address" } | { outcome: "wrong"; failures: number } | { outcome: "right" };

/** Thrown inside a transaction to roll it back when a use case refuses the change. */
class Conflict extends Error {}

/** Who is acting in 工作人员管理: the signed-in staff member. */
export type StaffActor = { adminId: string; role: string };

/** A staff account as pages see it: never the password hash or the TOTP secret. */
export type StaffView = {
  id: string;
  username: string;
  displayName: string;
  role: AdminRole;
  roleText: string;
  status: AdminUser["status"];
  statusText: string;
  twoFactor: boolean;
  createdAt: Date;
  lastLoginAt: Date | null;
};

const staffView = (a: AdminUser): StaffView => ({
  id: a.id,
  username: a.username,
  displayName: a.displayName,
  role: a.role,
  roleText: ADMIN_ROLE_TEXT[a.role],
  status: a.status,
  statusText: STAFF_STATUS_TEXT[a.status],
  twoFactor: a.totpSecret !== null,
  createdAt: a.createdAt,
  lastLoginAt: a.lastLoginAt,
});

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** A recovery code: 10 characters of the unambiguous alphabet (about 50 bits), shown as xxxxx-xxxxx. */
function newRecoveryCode(): string {
  let s = "";
  for (let i = 0; i < RECOVERY_CODES.length; i++) s += RECOVERY_CODES.alphabet[randomInt(RECOVERY_CODES.alphabet.length)];
  return formatRecoveryCode(s);
}

export function identityService(deps: IdentityDeps) {
  const { cache } = deps;
  const today = () => deps.clock.now().toISOString().slice(0, 10);
  let dummyHash: Promise<string> | undefined;

  async function issueCaptcha(): Promise<string> {
    const id = randomToken(16);
    await cache.set(`captcha:${id}`, captchaAnswer(randomInt), CAPTCHA.ttlSeconds);
    return id;
  }

  /** One-time: the stored answer is removed whatever was typed. */
  async function checkCaptcha(c: CaptchaInput): Promise<string | null> {
    if (c.preverified) return null;
    const formatError = checkCaptchaFormat(c.answer.trim());
    if (formatError) return formatError;
    if (!/^[A-Za-z0-9_-]{10,64}$/.test(c.id)) return "图形验证码已过期，请重新输入";
    const stored = await cache.take(`captcha:${c.id}`);
    if (stored === null) return "图形验证码已过期，请重新输入";
    const typed = c.answer.trim().toUpperCase();
    if (deps.captchaTestAnswer && typed === deps.captchaTestAnswer.toUpperCase()) return null;
    return safeEqual(typed, stored) ? null : "图形验证码不正确";
  }

  const codeKey = (purpose: SmsPurpose, phone: string) => `sms:code:${purpose}:${phone}`;
  const triesKey = (purpose: SmsPurpose, phone: string) => `sms:tries:${purpose}:${phone}`;

  /** One-time SMS code check: at most SMS_CODE.maxTries attempts per code, consumed on success. */
  async function verifySmsCode(purpose: SmsPurpose, phone: string, code: string): Promise<string | null> {
    const formatError = checkSmsCodeFormat(code);
    if (formatError) return formatError;
    const stored = await cache.get(codeKey(purpose, phone));
    if (stored === null) return "手机验证码已失效，请重新获取";
    const attempt = await cache.incr(triesKey(purpose, phone), SMS_CODE.ttlSeconds);
    if (attempt > SMS_CODE.maxTries) {
      await cache.del(codeKey(purpose, phone));
      return "手机验证码错误次数过多，请重新获取";
    }
    if (!safeEqual(code, stored)) {
      if (attempt >= SMS_CODE.maxTries) {
        await cache.del(codeKey(purpose, phone));
        return "手机验证码错误次数过多，请重新获取";
      }
      return `手机验证码不正确，还可尝试${SMS_CODE.maxTries - attempt}次`;
    }
    // Only the request that deletes the code wins; a concurrent second use finds it gone.
    if (!(await cache.del(codeKey(purpose, phone)))) return "手机验证码已失效，请重新获取";
    await cache.del(triesKey(purpose, phone));
    return null;
  }

  /**
   * A password check under back-off, safe against parallel bursts. Every attempt is counted with
   * an atomic increment *before* the password is verified, and the decision comes from the count
   * it returns: the first LOGIN_BACKOFF.freeFailures attempts are free; any later one must claim
   * the wait key atomically (setIfAbsent), so at most one attempt per back-off period is verified
   * however many arrive at once. A wrong password then sets the wait for the next period; a right
   * one clears the counter and the wait. Per address, failures past IP_SLOWDOWN.freeFailures only
   * space attempts out (one per few seconds), so one shared proxy address cannot lock everyone out.
   */
  async function guardedAttempt(k: BackoffKeys, verify: () => Promise<boolean>): Promise<Attempt> {
    const waiting = await cache.ttl(k.wait);
    if (waiting > 0) return { outcome: "refused", wait: waiting, scope: "account" };
    const ipFailures = Number((await cache.get(k.ipFail)) ?? 0);
    if (ipFailures >= IP_SLOWDOWN.freeFailures && !(await cache.setIfAbsent(k.ipSlow, "1", IP_SLOWDOWN.spacingSeconds))) {
      return { outcome: "refused", wait: Math.max(1, await cache.ttl(k.ipSlow)), scope: "address" };
    }
    const n = await cache.incr(k.fail, LOGIN_BACKOFF.windowSeconds);
    if (n > LOGIN_BACKOFF.freeFailures && !(await cache.setIfAbsent(k.wait, "1", backoffSeconds(n - 1)))) {
      return { outcome: "refused", wait: Math.max(1, await cache.ttl(k.wait)), scope: "account" };
    }
    if (await verify()) {
      await cache.del(k.fail);
      await cache.del(k.wait);
      return { outcome: "right" };
    }
    const pause = backoffSeconds(n);
    if (pause > 0) await cache.set(k.wait, "1", pause);
    await cache.incr(k.ipFail, IP_SLOWDOWN.windowSeconds);
    return { outcome: "wrong", failures: n };
  }

  function secondFactorRequired(admin: { role: string }): boolean {
    return (deps.secondFactorRequiredFor ?? []).includes(admin.role as AdminRole);
  }

  function totpFor(admin: AdminUser, secret: string) {
    return new OTPAuth.TOTP({
      issuer: TOTP.issuer,
      label: admin.username,
      algorithm: "SHA1",
      digits: 6,
      period: TOTP.periodSeconds,
      secret: OTPAuth.Secret.fromBase32(secret),
    });
  }

  /** The 30-second step a code belongs to (within ±1 step of now), or null. */
  function totpStep(admin: AdminUser, secret: string, code: string): number | null {
    const timestamp = deps.clock.now().getTime();
    const delta = totpFor(admin, secret).validate({ token: code, timestamp, window: TOTP.window });
    if (delta === null) return null;
    return Math.floor(timestamp / 1000 / TOTP.periodSeconds) + delta;
  }

  /** A valid code whose step is later than the last accepted one (so no code works twice). */
  async function acceptTotp(admin: AdminUser, code: string): Promise<boolean> {
    const step = totpStep(admin, admin.totpSecret!, code);
    return step !== null && (await deps.adminRepo(deps.db).claimTotpStep(admin.id, step));
  }

  /**
   * One 工作人员管理 change: super admin only, the target row locked, the change and its audit
   * event in one transaction. `change` returns a failure to roll back, or null.
   */
  async function staffChange(
    actor: StaffActor,
    id: string,
    requestId: string | undefined,
    change: (
      repo: ReturnType<AdminRepositoryFactory>,
      target: AdminUser,
      record: (e: { action: string; fromStatus?: string; toStatus?: string; reason?: string; data?: Record<string, unknown> }) => Promise<void>,
    ) => Promise<Failure | null>,
  ): Promise<Result<null>> {
    if (actor.role !== "super_admin") return fail({ _form: "只有超级管理员可以管理工作人员" }, 403);
    if (!UUID_RE.test(id)) return fail({ _form: "工作人员不存在" }, 404);
    let failure: Failure | null = null;
    await deps.db
      .transaction(async (tx) => {
        const repo = deps.adminRepo(tx);
        const target = await repo.byIdForUpdate(id);
        if (!target) {
          failure = fail({ _form: "工作人员不存在" }, 404);
          throw new Conflict();
        }
        failure = await change(repo, target, (e) =>
          deps.audit.record(tx, { actorType: "admin", actorId: actor.adminId, entityType: "admin_user", entityId: target.id, requestId, ...e }),
        );
        if (failure) throw new Conflict();
      })
      .catch((err) => {
        if (!(err instanceof Conflict)) throw err;
      });
    return failure ?? ok(null);
  }

  async function passwordMatches(account: Account | undefined, password: string): Promise<boolean> {
    if (!account?.passwordHash) {
      // Spend the same time as a real check, so timing does not tell which phones have passwords.
      dummyHash ??= deps.passwords.hash(randomToken(12));
      await deps.passwords.verify(password, await dummyHash);
      return false;
    }
    return deps.passwords.verify(password, account.passwordHash);
  }

  return {
    issueCaptcha,

    /** Checks and uses up a graphic captcha for another module's form (我要留言): a Chinese message, or null. */
    checkCaptcha: (c: CaptchaInput) => checkCaptcha({ ...c, preverified: false }),

    /** The SVG for a live captcha, or null when it expired or was used. */
    async captchaImage(id: string): Promise<string | null> {
      if (!/^[A-Za-z0-9_-]{10,64}$/.test(id)) return null;
      const answer = await cache.get(`captcha:${id}`);
      return answer === null ? null : renderCaptchaSvg(answer, randomInt);
    },

    /**
     * 获取验证码: needs a solved captcha first; one send per phone per 60 s, daily caps per phone and IP.
     * For login codes an unknown phone gets the same answer but no message, so the form does not reveal accounts.
     */
    async sendSmsCode(input: {
      phone: string;
      purpose: SmsPurpose;
      captcha: CaptchaInput;
      ip: string;
      accountId?: string;
    }): Promise<Result<{ phone: string; cooldownSeconds: number }>> {
      const phone = normalisePhone(input.phone);
      const errors: FieldErrors = {};
      const phoneError = checkPhone(phone);
      if (phoneError) errors.phone = phoneError;
      // Every send needs a freshly solved captcha (a pass from an earlier send does not count).
      const captchaFormat = checkCaptchaFormat(input.captcha.answer.trim());
      if (captchaFormat) errors.captcha = captchaFormat;
      if (Object.keys(errors).length) return fail(errors);

      const captchaError = await checkCaptcha({ ...input.captcha, preverified: false });
      if (captchaError) return fail({ captcha: captchaError });

      const account = await deps.accountRepo(deps.db).byPhone(phone);
      if (input.purpose === "register" && account) return fail({ phone: "该手机号已注册，请直接登录" }, 409);
      if (input.purpose === "password") {
        if (!input.accountId || !account || account.id !== input.accountId) {
          return fail({ phone: "只能向本账号绑定的手机号发送验证码" }, 403);
        }
      }

      const cool = await cache.ttl(`sms:cool:${phone}`);
      if (cool > 0) return fail({ phone: `发送过于频繁，请${cool}秒后再试` }, 429);
      if ((await cache.incr(`sms:day:${today()}:${phone}`, 86400)) > deps.smsCaps.dailyCapPerPhone) {
        return fail({ phone: "该手机号今日获取验证码次数已达上限，请明天再试" }, 429);
      }
      if ((await cache.incr(`sms:dayip:${today()}:${input.ip}`, 86400)) > deps.smsCaps.dailyCapPerIp) {
        return fail({ phone: "当前网络今日获取验证码次数已达上限，请明天再试" }, 429);
      }
      if (!(await cache.setIfAbsent(`sms:cool:${phone}`, "1", SMS_CODE.resendSeconds))) {
        return fail({ phone: `发送过于频繁，请${SMS_CODE.resendSeconds}秒后再试` }, 429);
      }

      const silent = input.purpose === "login" && account?.status !== "active";
      if (!silent) {
        const code = randomDigits(SMS_CODE.length);
        await cache.set(codeKey(input.purpose, phone), code, SMS_CODE.ttlSeconds);
        await cache.del(triesKey(input.purpose, phone));
        try {
          await deps.sms.send(phone, smsText(input.purpose, code));
        } catch (err) {
          await cache.del(codeKey(input.purpose, phone));
          await cache.del(`sms:cool:${phone}`);
          deps.log?.warn({ err: String(err), phone: maskPhone(phone) }, "sms send failed");
          return fail({ phone: "短信发送失败，请稍后再试" }, 422);
        }
      }
      deps.log?.info({ phone: maskPhone(phone), purpose: input.purpose, sent: !silent }, "sms code requested");
      return ok({ phone, cooldownSeconds: SMS_CODE.resendSeconds });
    },

    /** 立即注册: creates the account and its uncertified enterprise in one transaction. */
    async register(input: {
      name: string;
      phone: string;
      smsCode: string;
      captcha: CaptchaInput;
      requestId?: string;
    }): Promise<Result<{ accountId: string }>> {
      const name = normaliseName(input.name);
      const phone = normalisePhone(input.phone);
      const smsCode = input.smsCode.trim();
      const errors: FieldErrors = {};
      const e1 = checkEnterpriseName(name);
      if (e1) errors.name = e1;
      const e2 = checkPhone(phone);
      if (e2) errors.phone = e2;
      const e3 = input.captcha.preverified ? null : checkCaptchaFormat(input.captcha.answer.trim());
      if (e3) errors.captcha = e3;
      const e4 = checkSmsCodeFormat(smsCode);
      if (e4) errors.smsCode = e4;
      if (Object.keys(errors).length) return fail(errors);

      const captchaError = await checkCaptcha(input.captcha);
      if (captchaError) return fail({ captcha: captchaError });
      if (await deps.accountRepo(deps.db).byPhone(phone)) return fail({ phone: "该手机号已注册，请直接登录" }, 409);
      const codeError = await verifySmsCode("register", phone, smsCode);
      if (codeError) return fail({ smsCode: codeError });

      try {
        const accountId = await deps.db.transaction(async (tx) => {
          const account = await deps.accountRepo(tx).create({ phone });
          const enterprise = await deps.enterprises.createForAccount(tx, { accountId: account.id, name });
          await deps.audit.record(tx, {
            actorType: "account",
            actorId: account.id,
            entityType: "enterprise",
            entityId: enterprise.id,
            action: "registered",
            toStatus: enterprise.certificationStatus,
            requestId: input.requestId,
          });
          return account.id;
        });
        return ok({ accountId });
      } catch (err) {
        if (err instanceof UniqueViolation) return fail({ phone: "该手机号已注册，请直接登录" }, 409);
        throw err;
      }
    },

    /** 账号密码登录 with back-off after repeated failures (per phone, and per IP). */
    async loginWithPassword(input: { phone: string; password: string; captcha: CaptchaInput; ip: string }): Promise<Result<{ accountId: string }>> {
      const phone = normalisePhone(input.phone);
      const errors: FieldErrors = {};
      const e1 = checkPhone(phone);
      if (e1) errors.phone = e1;
      if (!input.password) errors.password = "请输入密码";
      else if (input.password.length > 256) errors.password = "手机号或密码不正确";
      const e3 = checkCaptchaFormat(input.captcha.answer.trim());
      if (e3) errors.captcha = e3;
      if (Object.keys(errors).length) return fail(errors);

      const captchaError = await checkCaptcha(input.captcha);
      if (captchaError) return fail({ captcha: captchaError });

      const account = await deps.accountRepo(deps.db).byPhone(phone);
      const attempt = await guardedAttempt(siteBackoff(phone, input.ip), () => passwordMatches(account, input.password));
      if (attempt.outcome === "refused") {
        const text = attempt.scope === "address" ? "当前网络登录尝试过于频繁" : "登录失败次数过多";
        return fail({ _form: `${text}，请${waitText(attempt.wait)}后再试，或使用验证码登录` }, 429);
      }
      if (attempt.outcome === "wrong") {
        deps.log?.info({ phone: maskPhone(phone), failures: attempt.failures }, "password login failed");
        return fail({ password: "手机号或密码不正确" }, 422);
      }
      if (account!.status !== "active") return fail({ _form: "账号已停用，请联系平台" }, 403);
      await deps.accountRepo(deps.db).touchLogin(account!.id);
      return ok({ accountId: account!.id });
    },

    /** 验证码登录. */
    async loginWithSms(input: { phone: string; smsCode: string; captcha: CaptchaInput }): Promise<Result<{ accountId: string }>> {
      const phone = normalisePhone(input.phone);
      const smsCode = input.smsCode.trim();
      const errors: FieldErrors = {};
      const e1 = checkPhone(phone);
      if (e1) errors.phone = e1;
      const e2 = checkSmsCodeFormat(smsCode);
      if (e2) errors.smsCode = e2;
      const e3 = input.captcha.preverified ? null : checkCaptchaFormat(input.captcha.answer.trim());
      if (e3) errors.captcha = e3;
      if (Object.keys(errors).length) return fail(errors);

      const captchaError = await checkCaptcha(input.captcha);
      if (captchaError) return fail({ captcha: captchaError });
      const codeError = await verifySmsCode("login", phone, smsCode);
      if (codeError) return fail({ smsCode: codeError });
      const account = await deps.accountRepo(deps.db).byPhone(phone);
      if (!account) return fail({ smsCode: "手机验证码已失效，请重新获取" });
      if (account.status !== "active") return fail({ _form: "账号已停用，请联系平台" }, 403);
      // A successful SMS login also clears the password back-off for this phone.
      await cache.del(`login:fail:${phone}`);
      await cache.del(`login:wait:${phone}`);
      await deps.accountRepo(deps.db).touchLogin(account.id);
      return ok({ accountId: account.id });
    },

    async account(accountId: string) {
      const account = await deps.accountRepo(deps.db).byId(accountId);
      if (account?.status !== "active") return undefined;
      return {
        id: account.id,
        phone: account.phone,
        hasPassword: account.passwordHash !== null,
        createdAt: account.createdAt,
      };
    },

    /**
     * 设置密码 (no password yet: the signed-in session suffices) or 修改密码
     * (the old password, or an SMS code sent to the account's phone).
     */
    async setPassword(
      accountId: string,
      input: { method: "old" | "sms"; oldPassword: string; smsCode: string; newPassword: string; confirm: string; requestId?: string },
    ): Promise<Result<null>> {
      const account = await deps.accountRepo(deps.db).byId(accountId);
      if (account?.status !== "active") return fail({ _form: "账号不存在或已停用" }, 403);
      const errors: FieldErrors = {};
      const e1 = checkNewPassword(input.newPassword, { phone: account.phone });
      if (e1) errors.newPassword = e1;
      if (!input.confirm) errors.confirm = "请再次输入新密码";
      else if (input.confirm !== input.newPassword) errors.confirm = "两次输入的密码不一致";
      const changing = account.passwordHash !== null;
      if (changing && input.method === "old" && !input.oldPassword) errors.oldPassword = "请输入原密码";
      if (changing && input.method === "sms") {
        const e = checkSmsCodeFormat(input.smsCode.trim());
        if (e) errors.smsCode = e;
      }
      if (Object.keys(errors).length) return fail(errors);

      if (changing && input.method === "old") {
        const attempt = await guardedAttempt(siteBackoff(account.phone, `account:${account.id}`), () =>
          deps.passwords.verify(input.oldPassword, account.passwordHash!),
        );
        if (attempt.outcome === "refused") {
          return fail({ oldPassword: `错误次数过多，请${waitText(attempt.wait)}后再试，或使用短信验证码修改` }, 429);
        }
        if (attempt.outcome === "wrong") return fail({ oldPassword: "原密码不正确" });
      }
      if (changing && input.method === "sms") {
        const e = await verifySmsCode("password", account.phone, input.smsCode.trim());
        if (e) return fail({ smsCode: e });
      }
      const hash = await deps.passwords.hash(input.newPassword);
      await deps.db.transaction(async (tx) => {
        await deps.accountRepo(tx).setPasswordHash(account.id, hash);
        await deps.audit.record(tx, {
          actorType: "account",
          actorId: account.id,
          entityType: "account",
          entityId: account.id,
          action: changing ? "password_changed" : "password_set",
          requestId: input.requestId,
        });
      });
      return ok(null);
    },

    /**
     * 管理端登录, first step: the password, under its own back-off (separate from the site's keys).
     * The result says what comes next: signed in, the second-factor code, or enrolment (a role
     * that must have a second factor and has none). Only "signed_in" makes an admin session.
     */
    async adminLogin(input: {
      username: string;
      password: string;
      ip: string;
    }): Promise<Result<{ adminId: string; next: "signed_in" | "code" | "enrol" }>> {
      const username = input.username.trim();
      const errors: FieldErrors = {};
      if (!username) errors.username = "请输入用户名";
      else if (username.length > 64) errors.username = "用户名或密码不正确";
      if (!input.password) errors.password = "请输入密码";
      else if (input.password.length > 256) errors.password = "用户名或密码不正确";
      if (Object.keys(errors).length) return fail(errors);
      const admin = await deps.adminRepo(deps.db).byUsername(username);
      const attempt = await guardedAttempt(staffBackoff(username.toLowerCase(), input.ip), async () => {
        const matches = admin ? await deps.passwords.verify(input.password, admin.passwordHash) : await passwordMatches(undefined, input.password);
        return matches && admin!.status === "active";
      });
      if (attempt.outcome === "refused") {
        const text = attempt.scope === "address" ? "当前网络登录尝试过于频繁" : "登录失败次数过多";
        return fail({ _form: `${text}，请${waitText(attempt.wait)}后再试` }, 429);
      }
      if (attempt.outcome === "wrong") return fail({ password: "用户名或密码不正确" });
      const next = admin!.totpSecret ? "code" : secondFactorRequired(admin!) ? "enrol" : "signed_in";
      if (next === "signed_in") await deps.adminRepo(deps.db).touchLogin(admin!.id);
      return ok({ adminId: admin!.id, next });
    },

    /**
     * 管理端登录, second step: a 6-digit code of the authenticator app (±1 step of 30 s, each step
     * accepted once) or one unused recovery code. Tries are limited per staff member.
     */
    async adminSecondFactor(input: {
      adminId: string;
      code: string;
      requestId?: string;
    }): Promise<Result<{ adminId: string; usedRecoveryCode: boolean }>> {
      const code = input.code.trim();
      if (!code) return fail({ code: "请输入验证码或恢复码" });
      if (code.length > 40) return fail({ code: "验证码不正确" });
      const admin = await deps.adminRepo(deps.db).byId(input.adminId);
      if (admin?.status !== "active" || !admin.totpSecret) return fail({ _form: "登录已失效，请重新登录" }, 403);
      const triesKey = `staff:otp:tries:${admin.id}`;
      const tries = await cache.incr(triesKey, TOTP.triesWindowSeconds);
      if (tries > TOTP.maxTries) {
        return fail({ code: `验证码错误次数过多，请${waitText(Math.max(1, await cache.ttl(triesKey)))}后再试` }, 429);
      }
      let usedRecoveryCode = false;
      if (/^\d{6}$/.test(code)) {
        if (!(await acceptTotp(admin, code))) return fail({ code: "验证码不正确或已使用，请输入验证器中的最新验证码" });
      } else {
        const normalised = normaliseRecoveryCode(code);
        if (!normalised || !(await deps.adminRepo(deps.db).useRecoveryCode(admin.id, sha256(normalised)))) {
          return fail({ code: "恢复码不正确或已使用" });
        }
        usedRecoveryCode = true;
        await deps.db.transaction((tx) =>
          deps.audit.record(tx, {
            actorType: "admin",
            actorId: admin.id,
            entityType: "admin_user",
            entityId: admin.id,
            action: "recovery_code_used",
            requestId: input.requestId,
          }),
        );
      }
      await cache.del(triesKey);
      await deps.adminRepo(deps.db).touchLogin(admin.id);
      return ok({ adminId: admin.id, usedRecoveryCode });
    },

    /**
     * The signed-in staff member, or nothing: unknown, disabled (so disabling ends every session
     * at the next request), or a role that must have a second factor and has none.
     */
    /**
     * The signed-in staff member of a session, or undefined when that session is over: the account
     * is disabled, its password or second factor was reset after `signedInAt`, or (in production) its
     * role requires a second factor it has not enrolled.
     */
    async admin(adminId: string, signedInAt?: number): Promise<StaffView | undefined> {
      const a = await deps.adminRepo(deps.db).byId(adminId);
      if (a?.status !== "active") return undefined;
      if (signedInAt !== undefined && a.sessionsSince && a.sessionsSince.getTime() > signedInAt) return undefined;
      if (!a.totpSecret && secondFactorRequired(a)) return undefined;
      return staffView(a);
    },

    /** The name of a staff member for display (also of a disabled one), or undefined. */
    async staffName(adminId: string): Promise<string | undefined> {
      return (await deps.adminRepo(deps.db).byId(adminId))?.displayName;
    },

    /** Whether this staff member's role must have a second factor before doing anything. */
    secondFactorRequired: (admin: { role: string }) => secondFactorRequired(admin),

    // ---- 两步验证 (TOTP) ----

    /**
     * Enrolment, step 1: a new secret kept aside for 10 minutes (the same one on a reload), its
     * otpauth:// URI, the QR code of that URI as SVG, and the secret grouped for typing by hand.
     */
    async twoFactorSetup(adminId: string): Promise<Result<{ secret: string; secretGrouped: string; uri: string; qrSvg: string }>> {
      const admin = await deps.adminRepo(deps.db).byId(adminId);
      if (admin?.status !== "active") return fail({ _form: "账号不存在或已停用" }, 403);
      if (admin.totpSecret) return fail({ _form: "已启用两步验证" }, 409);
      const key = `staff:totp:pending:${admin.id}`;
      let secret = await cache.get(key);
      if (!secret) {
        secret = new OTPAuth.Secret({ size: 20 }).base32;
        await cache.set(key, secret, TOTP.enrolSeconds);
      }
      const uri = totpFor(admin, secret).toString();
      const qrSvg = renderSVG(uri, { ecc: "M", border: 2 }).replace("<svg ", '<svg width="200" height="200" role="img" aria-label="两步验证二维码" ');
      return ok({ secret, secretGrouped: secret.replace(/(.{4})/g, "$1 ").trim(), uri, qrSvg });
    },

    /** Enrolment, step 2: a code from the app proves it holds the secret; returns the recovery codes (shown once). */
    async confirmTwoFactor(adminId: string, input: { code: string; requestId?: string }): Promise<Result<{ recoveryCodes: string[] }>> {
      const code = input.code.trim();
      if (!code) return fail({ code: "请输入验证器中的6位验证码" });
      if (!/^\d{6}$/.test(code)) return fail({ code: "验证码为6位数字" });
      const admin = await deps.adminRepo(deps.db).byId(adminId);
      if (admin?.status !== "active") return fail({ _form: "账号不存在或已停用" }, 403);
      if (admin.totpSecret) return fail({ _form: "已启用两步验证" }, 409);
      const triesKey = `staff:otp:tries:${admin.id}`;
      if ((await cache.incr(triesKey, TOTP.triesWindowSeconds)) > TOTP.maxTries) {
        return fail({ code: `验证码错误次数过多，请${waitText(Math.max(1, await cache.ttl(triesKey)))}后再试` }, 429);
      }
      const secret = await cache.get(`staff:totp:pending:${admin.id}`);
      if (!secret) return fail({ _form: "设置已超时，请重新扫描二维码" }, 422);
      const step = totpStep(admin, secret, code);
      if (step === null) return fail({ code: "验证码不正确，请确认手机时间准确后输入最新验证码" });
      const recoveryCodes = Array.from({ length: RECOVERY_CODES.count }, () => newRecoveryCode());
      await deps.db
        .transaction(async (tx) => {
          const repo = deps.adminRepo(tx);
          const locked = await repo.byIdForUpdate(admin.id);
          if (!locked || locked.totpSecret) throw new Conflict();
          await repo.setTotp(admin.id, secret);
          await repo.claimTotpStep(admin.id, step);
          await repo.replaceRecoveryCodes(
            admin.id,
            recoveryCodes.map((c) => sha256(normaliseRecoveryCode(c)!)),
          );
          await deps.audit.record(tx, {
            actorType: "admin",
            actorId: admin.id,
            entityType: "admin_user",
            entityId: admin.id,
            action: "two_factor_enrolled",
            requestId: input.requestId,
          });
        })
        .catch((err) => {
          if (err instanceof Conflict) return;
          throw err;
        });
      const after = await deps.adminRepo(deps.db).byId(admin.id);
      if (after?.totpSecret !== secret) return fail({ _form: "已启用两步验证" }, 409);
      await cache.del(`staff:totp:pending:${admin.id}`);
      await cache.del(triesKey);
      return ok({ recoveryCodes });
    },

    async recoveryCodesLeft(adminId: string): Promise<number> {
      return deps.adminRepo(deps.db).recoveryCodesLeft(adminId);
    },

    // ---- 工作人员管理 (super_admin only) ----

    async staffList(actor: StaffActor): Promise<Result<StaffView[]>> {
      if (actor.role !== "super_admin") return fail({ _form: "只有超级管理员可以管理工作人员" }, 403);
      return ok((await deps.adminRepo(deps.db).list()).map(staffView));
    },

    async staffMember(actor: StaffActor, id: string): Promise<Result<StaffView & { recoveryCodesLeft: number }>> {
      if (actor.role !== "super_admin") return fail({ _form: "只有超级管理员可以管理工作人员" }, 403);
      const a = UUID_RE.test(id) ? await deps.adminRepo(deps.db).byId(id) : undefined;
      if (!a) return fail({ _form: "工作人员不存在" }, 404);
      return ok({ ...staffView(a), recoveryCodesLeft: await deps.adminRepo(deps.db).recoveryCodesLeft(a.id) });
    },

    /** 修改角色. The last active super admin keeps the role. */
    async setStaffRole(actor: StaffActor, id: string, role: AdminRole, requestId?: string): Promise<Result<null>> {
      return staffChange(actor, id, requestId, async (repo, a, record) => {
        if (a.role === role) return null;
        if (a.role === "super_admin" && a.status === "active") {
          const supers = await repo.lockActiveSuperAdmins();
          if (supers.length <= 1) return fail({ role: "至少需要保留一名启用的超级管理员" }, 409);
        }
        await repo.setRole(a.id, role);
        await record({ action: "role_changed", data: { from: a.role, to: role }, reason: `${ADMIN_ROLE_TEXT[a.role]} → ${ADMIN_ROLE_TEXT[role]}` });
        return null;
      });
    },

    /** 停用 / 启用. Disabling ends the person's sessions at their next request; nobody disables themself or the last super admin. */
    async setStaffStatus(actor: StaffActor, id: string, status: AdminUser["status"], requestId?: string): Promise<Result<null>> {
      return staffChange(actor, id, requestId, async (repo, a, record) => {
        if (a.status === status) return null;
        if (status === "disabled" && a.id === actor.adminId) return fail({ _form: "不能停用自己的账号" }, 409);
        if (status === "disabled" && a.role === "super_admin") {
          const supers = await repo.lockActiveSuperAdmins();
          if (supers.length <= 1) return fail({ _form: "至少需要保留一名启用的超级管理员" }, 409);
        }
        await repo.setStatus(a.id, status);
        await record({ action: status === "disabled" ? "disabled" : "enabled", fromStatus: a.status, toStatus: status });
        return null;
      });
    },

    /** 重置密码: the super admin sets a new initial password and tells the person out of band. */
    async resetStaffPassword(actor: StaffActor, id: string, input: { password: string; confirm: string }, requestId?: string): Promise<Result<null>> {
      if (actor.role !== "super_admin") return fail({ _form: "只有超级管理员可以管理工作人员" }, 403);
      const errors: FieldErrors = {};
      const e = checkNewPassword(input.password);
      if (e) errors.password = e;
      if (!input.confirm) errors.confirm = "请再次输入新密码";
      else if (input.confirm !== input.password) errors.confirm = "两次输入的密码不一致";
      if (Object.keys(errors).length) return fail(errors);
      const hash = await deps.passwords.hash(input.password);
      return staffChange(actor, id, requestId, async (repo, a, record) => {
        await repo.setPasswordHash(a.id, hash);
        // The old password may be known to someone else: every session signed in with it ends.
        await repo.endSessions(a.id, deps.clock.now());
        await record({ action: "password_reset" });
        return null;
      });
    },

    /** 重置两步验证: removes the person's second factor and recovery codes; they enrol again. */
    async resetStaffTwoFactor(actor: StaffActor, id: string, requestId?: string): Promise<Result<null>> {
      return staffChange(actor, id, requestId, async (repo, a, record) => {
        if (!a.totpSecret) return fail({ _form: "该工作人员尚未启用两步验证" }, 409);
        await repo.setTotp(a.id, null);
        await repo.endSessions(a.id, deps.clock.now());
        await record({ action: "two_factor_reset" });
        return null;
      });
    },

    /**
     * Demo data only: an account with a ready password hash and its enterprise, skipped when the
     * phone exists. Never called in production (the configuration refuses demo data there).
     */
    async seedAccount(input: { phone: string; name: string; passwordHash: SeedHash }): Promise<{ accountId: string; created: boolean }> {
      const existing = await deps.accountRepo(deps.db).byPhone(input.phone);
      if (existing) return { accountId: existing.id, created: false };
      const passwordHash = typeof input.passwordHash === "string" ? input.passwordHash : await input.passwordHash();
      const accountId = await deps.db.transaction(async (tx) => {
        const account = await deps.accountRepo(tx).create({ phone: input.phone });
        await deps.accountRepo(tx).setPasswordHash(account.id, passwordHash);
        const enterprise = await deps.enterprises.createForAccount(tx, { accountId: account.id, name: input.name });
        await deps.audit.record(tx, {
          actorType: "system",
          entityType: "enterprise",
          entityId: enterprise.id,
          action: "registered",
          toStatus: enterprise.certificationStatus,
          reason: "演示数据",
        });
        return account.id;
      });
      return { accountId, created: true };
    },

    /**
     * Demo data only: a staff account with a ready password hash (the demo's one hash, made only
     * when an account is missing), checked and audited as `createAdmin` from the CLI would.
     */
    async seedAdmin(input: { username: string; displayName: string; role: string; password: string; passwordHash: SeedHash }) {
      return addAdmin({ ...input, actor: "cli" }, input.passwordHash);
    },

    /** Creates a staff account (CLI, demo data, or a super admin in the admin portal). */
    async createAdmin(input: {
      username: string;
      displayName: string;
      password: string;
      role: string;
      actor?: StaffActor | "cli";
      requestId?: string;
    }): Promise<Result<{ adminId: string }>> {
      return addAdmin(input, () => deps.passwords.hash(input.password));
    },
  };

  /** createAdmin and seedAdmin: the checks, then the hash (only once they pass), the row and its audit event. */
  async function addAdmin(
    input: { username: string; displayName: string; password: string; role: string; actor?: StaffActor | "cli"; requestId?: string },
    hash: SeedHash,
  ): Promise<Result<{ adminId: string }>> {
    if (input.actor !== "cli" && input.actor?.role !== "super_admin") {
      return fail({ _form: "只有超级管理员可以创建管理员账号" }, 403);
    }
    const username = input.username.trim();
    const actor = input.actor;
    const errors: FieldErrors = {};
    const e1 = checkUsername(username);
    if (e1) errors.username = e1;
    const displayName = normaliseName(input.displayName) || username;
    if ([...displayName].length > 50) errors.displayName = "姓名不能超过50个字";
    const e2 = checkNewPassword(input.password);
    if (e2) errors.password = e2;
    if (!(ADMIN_ROLES as readonly string[]).includes(input.role)) errors.role = "请选择角色";
    if (Object.keys(errors).length) return fail(errors);
    if (await deps.adminRepo(deps.db).byUsername(username)) return fail({ username: "该用户名已存在" }, 409);
    const passwordHash = typeof hash === "string" ? hash : await hash();
    try {
      const admin = await deps.db.transaction(async (tx) => {
        const a = await deps.adminRepo(tx).create({ username, displayName, passwordHash, role: input.role as AdminRole });
        await deps.audit.record(tx, {
          actorType: actor === "cli" ? "system" : "admin",
          actorId: actor === "cli" ? null : actor!.adminId,
          entityType: "admin_user",
          entityId: a.id,
          action: "created",
          toStatus: "active",
          data: { username, role: a.role },
          requestId: input.requestId,
        });
        return a;
      });
      return ok({ adminId: admin.id });
    } catch (err) {
      if (err instanceof UniqueViolation) return fail({ username: "该用户名已存在" }, 409);
      throw err;
    }
  }
}
export type IdentityService = ReturnType<typeof identityService>;

/** A ready password hash for the demo's accounts, or how to make it (called only when one is created). */
export type SeedHash = string | (() => Promise<string>);
