import type { Cache } from "../../ports/cache.ts";
import type { Clock } from "../../ports/clock.ts";
import { type Db, UniqueViolation } from "../../ports/db.ts";
import type { PasswordHasher } from "../../ports/passwords.ts";
import type { SmsSender } from "../../ports/sms.ts";
import { randomDigits, randomInt, randomToken, safeEqual } from "../../lib/random.ts";
import { type FieldErrors, type Result, fail, ok } from "../../lib/result.ts";
import type { Audit } from "../audit/service.ts";
import type { EnterpriseService } from "../enterprises/service.ts";
import { captchaAnswer, renderCaptchaSvg } from "./captcha-svg.ts";
import {
  ADMIN_ROLES,
  type AdminRole,
  CAPTCHA,
  LOGIN_BACKOFF,
  SMS_CODE,
  type SmsPurpose,
  backoffSeconds,
  checkCaptchaFormat,
  checkEnterpriseName,
  checkNewPassword,
  checkPhone,
  checkSmsCodeFormat,
  checkUsername,
  maskPhone,
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
  accounts: AccountRepositoryFactory;
  admins: AdminRepositoryFactory;
  enterprises: EnterpriseService;
  audit: Audit;
  captchaTestAnswer?: string;
  smsCaps: { dailyCapPerPhone: number; dailyCapPerIp: number };
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
};

/** A captcha the caller may accept without a new answer: solved earlier in this session for this phone and purpose. */
export type CaptchaInput = { id: string; answer: string; preverified?: boolean };

/** Per-IP password-login failures tolerated per hour before that IP must wait (stops password spraying). */
const IP_FAILURES_PER_HOUR = 50;

export class SmsUnavailable extends Error {}

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

      const account = await deps.accounts(deps.db).byPhone(phone);
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

      const silent = input.purpose === "login" && (!account || account.status !== "active");
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
      if (await deps.accounts(deps.db).byPhone(phone)) return fail({ phone: "该手机号已注册，请直接登录" }, 409);
      const codeError = await verifySmsCode("register", phone, smsCode);
      if (codeError) return fail({ smsCode: codeError });

      try {
        const accountId = await deps.db.transaction(async (tx) => {
          const account = await deps.accounts(tx).create({ phone });
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
    async loginWithPassword(input: {
      phone: string;
      password: string;
      captcha: CaptchaInput;
      ip: string;
    }): Promise<Result<{ accountId: string }>> {
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

      const wait = Math.max(await cache.ttl(`login:wait:${phone}`), await cache.ttl(`login:waitip:${input.ip}`));
      if (wait > 0) return fail({ _form: `登录失败次数过多，请${waitText(wait)}后再试，或使用验证码登录` }, 429);

      const account = await deps.accounts(deps.db).byPhone(phone);
      if (!(await passwordMatches(account, input.password))) {
        const failures = await cache.incr(`login:fail:${phone}`, LOGIN_BACKOFF.windowSeconds);
        const pause = backoffSeconds(failures);
        if (pause > 0) await cache.set(`login:wait:${phone}`, "1", pause);
        if ((await cache.incr(`login:failip:${input.ip}`, 3600)) > IP_FAILURES_PER_HOUR) {
          await cache.set(`login:waitip:${input.ip}`, "1", LOGIN_BACKOFF.maxSeconds);
        }
        deps.log?.info({ phone: maskPhone(phone), failures }, "password login failed");
        return fail({ password: "手机号或密码不正确" }, 422);
      }
      if (account!.status !== "active") return fail({ _form: "账号已停用，请联系平台" }, 403);
      await cache.del(`login:fail:${phone}`);
      await deps.accounts(deps.db).touchLogin(account!.id);
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
      const account = await deps.accounts(deps.db).byPhone(phone);
      if (!account) return fail({ smsCode: "手机验证码已失效，请重新获取" });
      if (account.status !== "active") return fail({ _form: "账号已停用，请联系平台" }, 403);
      // A successful SMS login also clears the password back-off for this phone.
      await cache.del(`login:fail:${phone}`);
      await cache.del(`login:wait:${phone}`);
      await deps.accounts(deps.db).touchLogin(account.id);
      return ok({ accountId: account.id });
    },

    async account(accountId: string) {
      const account = await deps.accounts(deps.db).byId(accountId);
      if (!account || account.status !== "active") return undefined;
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
      const account = await deps.accounts(deps.db).byId(accountId);
      if (!account || account.status !== "active") return fail({ _form: "账号不存在或已停用" }, 403);
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
        const wait = await cache.ttl(`login:wait:${account.phone}`);
        if (wait > 0) return fail({ oldPassword: `错误次数过多，请${waitText(wait)}后再试，或使用短信验证码修改` }, 429);
        if (!(await deps.passwords.verify(input.oldPassword, account.passwordHash!))) {
          const failures = await cache.incr(`login:fail:${account.phone}`, LOGIN_BACKOFF.windowSeconds);
          const pause = backoffSeconds(failures);
          if (pause > 0) await cache.set(`login:wait:${account.phone}`, "1", pause);
          return fail({ oldPassword: "原密码不正确" });
        }
      }
      if (changing && input.method === "sms") {
        const e = await verifySmsCode("password", account.phone, input.smsCode.trim());
        if (e) return fail({ smsCode: e });
      }
      const hash = await deps.passwords.hash(input.newPassword);
      await deps.db.transaction(async (tx) => {
        await deps.accounts(tx).setPasswordHash(account.id, hash);
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

    async adminLogin(input: { username: string; password: string; ip: string }): Promise<Result<{ adminId: string }>> {
      const username = input.username.trim();
      const errors: FieldErrors = {};
      if (!username) errors.username = "请输入用户名";
      else if (username.length > 64) errors.username = "用户名或密码不正确";
      if (!input.password) errors.password = "请输入密码";
      if (Object.keys(errors).length) return fail(errors);
      const key = username.toLowerCase();
      const wait = Math.max(await cache.ttl(`admin:wait:${key}`), await cache.ttl(`login:waitip:${input.ip}`));
      if (wait > 0) return fail({ _form: `登录失败次数过多，请${waitText(wait)}后再试` }, 429);
      const admin = await deps.admins(deps.db).byUsername(username);
      const matches = admin
        ? await deps.passwords.verify(input.password, admin.passwordHash)
        : await passwordMatches(undefined, input.password);
      if (!admin || !matches || admin.status !== "active") {
        const failures = await cache.incr(`admin:fail:${key}`, LOGIN_BACKOFF.windowSeconds);
        const pause = backoffSeconds(failures);
        if (pause > 0) await cache.set(`admin:wait:${key}`, "1", pause);
        if ((await cache.incr(`login:failip:${input.ip}`, 3600)) > IP_FAILURES_PER_HOUR) {
          await cache.set(`login:waitip:${input.ip}`, "1", LOGIN_BACKOFF.maxSeconds);
        }
        return fail({ password: "用户名或密码不正确" });
      }
      await cache.del(`admin:fail:${key}`);
      await deps.admins(deps.db).touchLogin(admin.id);
      return ok({ adminId: admin.id });
    },

    async admin(adminId: string): Promise<Omit<AdminUser, "passwordHash"> | undefined> {
      const a = await deps.admins(deps.db).byId(adminId);
      if (!a || a.status !== "active") return undefined;
      const { passwordHash: _, ...rest } = a;
      return rest;
    },

    /**
     * Demo data only: an account with a ready password hash and its enterprise, skipped when the
     * phone exists. Never called in production (the configuration refuses demo data there).
     */
    async seedAccount(input: { phone: string; name: string; passwordHash: string }): Promise<{ accountId: string; created: boolean }> {
      const existing = await deps.accounts(deps.db).byPhone(input.phone);
      if (existing) return { accountId: existing.id, created: false };
      const accountId = await deps.db.transaction(async (tx) => {
        const account = await deps.accounts(tx).create({ phone: input.phone });
        await deps.accounts(tx).setPasswordHash(account.id, input.passwordHash);
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

    /** Creates a staff account (CLI, demo data, or a super admin in the admin portal). */
    async createAdmin(input: {
      username: string;
      displayName: string;
      password: string;
      role: string;
      actor?: { adminId: string; role: AdminRole } | "cli";
    }): Promise<Result<{ adminId: string }>> {
      if (input.actor !== "cli" && input.actor?.role !== "super_admin") {
        return fail({ _form: "只有超级管理员可以创建管理员账号" }, 403);
      }
      const username = input.username.trim();
      const errors: FieldErrors = {};
      const e1 = checkUsername(username);
      if (e1) errors.username = e1;
      const displayName = normaliseName(input.displayName) || username;
      if ([...displayName].length > 50) errors.displayName = "姓名不能超过50个字";
      const e2 = checkNewPassword(input.password);
      if (e2) errors.password = e2;
      if (!(ADMIN_ROLES as readonly string[]).includes(input.role)) errors.role = "请选择角色";
      if (Object.keys(errors).length) return fail(errors);
      if (await deps.admins(deps.db).byUsername(username)) return fail({ username: "该用户名已存在" }, 409);
      const passwordHash = await deps.passwords.hash(input.password);
      try {
        const admin = await deps.db.transaction(async (tx) => {
          const a = await deps.admins(tx).create({ username, displayName, passwordHash, role: input.role as AdminRole });
          await deps.audit.record(tx, {
            actorType: input.actor === "cli" ? "system" : "admin",
            actorId: input.actor === "cli" ? null : input.actor!.adminId,
            entityType: "admin_user",
            entityId: a.id,
            action: "created",
            toStatus: "active",
            data: { username, role: a.role },
          });
          return a;
        });
        return ok({ adminId: admin.id });
      } catch (err) {
        if (err instanceof UniqueViolation) return fail({ username: "该用户名已存在" }, 409);
        throw err;
      }
    },
  };
}
export type IdentityService = ReturnType<typeof identityService>;
