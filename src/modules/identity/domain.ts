/**
 * Pure rules of the identity module: phone numbers, names, passwords, one-time codes.
 * No I/O here; the service applies these rules.
 */

export const PHONE_RE = /^1[3-9]\d{9}$/;

export function normalisePhone(raw: string): string {
  return raw.replace(/[\s-]/g, "");
}

export function checkPhone(phone: string): string | null {
  if (!phone) return "请输入手机号";
  if (!PHONE_RE.test(phone)) return "请输入正确的11位手机号";
  return null;
}

/** Masks the middle four digits: 138****0001. */
export function maskPhone(phone: string): string {
  return phone.length === 11 ? `${phone.slice(0, 3)}****${phone.slice(7)}` : "***";
}

export const ENTERPRISE_NAME_MAX = 100;

export function normaliseName(raw: string): string {
  return raw.normalize("NFC").replace(/\s+/g, " ").trim();
}

export function checkEnterpriseName(name: string): string | null {
  if (!name) return "请输入企业名称";
  if ([...name].length < 2) return "企业名称至少2个字";
  if ([...name].length > ENTERPRISE_NAME_MAX) return `企业名称不能超过${ENTERPRISE_NAME_MAX}个字`;
  // Control characters and angle brackets have no place in a registered name.
  if (/[\u0000-\u001f\u007f<>]/.test(name)) return "企业名称含有不允许的字符";
  return null;
}

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 64;

/** A short list of the passwords most often tried first; ASVS asks to refuse well-known ones. */
const COMMON_PASSWORDS = new Set([
  "12345678",
  "123456789",
  "1234567890",
  "87654321",
  "11111111",
  "00000000",
  "88888888",
  "66666666",
  "password",
  "password1",
  "password123",
  "passw0rd",
  "qwertyui",
  "qwerty123",
  "abc12345",
  "abcd1234",
  "a1234567",
  "aa123456",
  "1qaz2wsx",
  "iloveyou",
  "admin123",
  "admin888",
  "woaini1314",
  "asdfghjk",
  "zxcvbnm1",
  "12341234",
  "11223344",
  "qq123456",
  "123qweasd",
  "1q2w3e4r",
]);

/** Length-based policy (ASVS 5 V6): 8-64 characters, any characters, not a well-known or personal one. */
export function checkNewPassword(password: string, context: { phone?: string } = {}): string | null {
  if (!password) return "请输入密码";
  const len = [...password].length;
  if (len < PASSWORD_MIN) return `密码至少${PASSWORD_MIN}位`;
  if (len > PASSWORD_MAX) return `密码不能超过${PASSWORD_MAX}位`;
  if (COMMON_PASSWORDS.has(password.toLowerCase())) return "密码过于常见，请换一个";
  if (context.phone && password.includes(context.phone)) return "密码不能包含手机号";
  if (/^(.)\1+$/.test(password)) return "密码不能由同一个字符组成";
  return null;
}

/** One-time SMS codes. */
export const SMS_CODE = {
  length: 6,
  ttlSeconds: 5 * 60,
  maxTries: 5,
  resendSeconds: 60,
} as const;

export type SmsPurpose = "register" | "login" | "password";

export const SMS_PURPOSE_TEXT: Record<SmsPurpose, string> = {
  register: "注册",
  login: "登录",
  password: "设置密码",
};

export function smsText(purpose: SmsPurpose, code: string): string {
  return `【广西服务券平台】您的${SMS_PURPOSE_TEXT[purpose]}验证码为${code}，${SMS_CODE.ttlSeconds / 60}分钟内有效。如非本人操作，请忽略本短信。`;
}

export function checkSmsCodeFormat(code: string): string | null {
  if (!code) return "请输入手机验证码";
  if (!/^\d{6}$/.test(code)) return "手机验证码为6位数字";
  return null;
}

/** Graphic captcha. */
export const CAPTCHA = {
  length: 4,
  ttlSeconds: 2 * 60,
  // No 0/O, 1/I/L, 5/S, 8/B, 2/Z: characters people confuse.
  alphabet: "34679ACDEFGHJKMNPQRTUVWXY",
} as const;

export function checkCaptchaFormat(answer: string): string | null {
  if (!answer) return "请输入图形验证码";
  if (answer.length > 10) return "图形验证码不正确";
  return null;
}

/**
 * Login back-off: after FREE_FAILURES wrong passwords for one phone, each further failure
 * doubles the wait, starting at 30 s and capped at 15 minutes. A wait never locks SMS login,
 * so an attacker cannot keep the real user out.
 */
export const LOGIN_BACKOFF = { freeFailures: 5, baseSeconds: 30, maxSeconds: 15 * 60, windowSeconds: 60 * 60 } as const;

export function backoffSeconds(failures: number): number {
  if (failures < LOGIN_BACKOFF.freeFailures) return 0;
  const steps = failures - LOGIN_BACKOFF.freeFailures;
  return Math.min(LOGIN_BACKOFF.baseSeconds * 2 ** steps, LOGIN_BACKOFF.maxSeconds);
}

/**
 * Per-address slow-down (password spraying from one address). Many people may share one address
 * behind a proxy, so this never locks anyone out: once an address has had `freeFailures` failed
 * password logins in the window, it gets one password attempt per `spacingSeconds`.
 */
export const IP_SLOWDOWN = { freeFailures: 50, windowSeconds: 15 * 60, spacingSeconds: 2 } as const;

export function waitText(seconds: number): string {
  if (seconds < 60) return `${seconds}秒`;
  return `${Math.ceil(seconds / 60)}分钟`;
}

export const ADMIN_ROLES = ["super_admin", "reviewer", "finance", "operator"] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];
export const ADMIN_ROLE_TEXT: Record<AdminRole, string> = {
  super_admin: "超级管理员",
  reviewer: "审核员",
  finance: "财务",
  operator: "运营",
};

export function checkUsername(username: string): string | null {
  if (!username) return "请输入用户名";
  if (!/^[a-zA-Z][a-zA-Z0-9_.-]{2,31}$/.test(username)) return "用户名为3-32位字母、数字或 _ . -，以字母开头";
  return null;
}

export const STAFF_STATUS_TEXT: Record<"active" | "disabled", string> = { active: "启用", disabled: "停用" };

/** TOTP second factor for staff (RFC 6238: SHA-1, 6 digits, 30 s), codes accepted within ±1 step. */
export const TOTP = {
  issuer: "广西服务券平台",
  periodSeconds: 30,
  window: 1,
  /** Wrong codes tolerated per staff member per window before a wait. */
  maxTries: 5,
  triesWindowSeconds: 15 * 60,
  /** How long a secret shown for enrolment stays valid unconfirmed. */
  enrolSeconds: 10 * 60,
} as const;

/** Recovery codes: 10 per enrolment, single use, stored as SHA-256 (they are random, not chosen). */
export const RECOVERY_CODES = { count: 10, length: 10, alphabet: "23456789abcdefghjkmnpqrstuvwxyz" } as const;

export function formatRecoveryCode(raw: string): string {
  return `${raw.slice(0, 5)}-${raw.slice(5)}`;
}

/** A typed recovery code in canonical form (lower case, no spaces or dashes), or null when it cannot be one. */
export function normaliseRecoveryCode(typed: string): string | null {
  const s = typed.toLowerCase().replace(/[\s-]/g, "");
  if (s.length !== RECOVERY_CODES.length) return null;
  for (const ch of s) if (!RECOVERY_CODES.alphabet.includes(ch)) return null;
  return s;
}
