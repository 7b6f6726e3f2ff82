/**
 * Pure checks of Chinese identification codes:
 * - 统一社会信用代码 (GB 32100-2015): 18 characters, check character by weights 3^(i-1) mod 31.
 * - 居民身份证号码 (GB 11643-1999): 17 digits + MOD 11-2 check character, a real birth date.
 */

export const CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS = Array.from({ length: 17 }, (_, i) => 3 ** i % 31);

export type CreditCodeResult =
  | { ok: true; code: string }
  /** Shape is right but the check character disagrees: some genuine early codes do; needs confirmation. */
  | { ok: false; code: string; reason: "checksum" }
  | { ok: false; code: string; reason: "empty" | "length" | "charset" };

export function normaliseCreditCode(raw: string): string {
  return raw.replace(/\s+/g, "").toUpperCase();
}

export function creditCodeCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CREDIT_CODE_CHARSET.indexOf(first17[i]!) * CREDIT_WEIGHTS[i]!;
  return CREDIT_CODE_CHARSET[(31 - (sum % 31)) % 31]!;
}

export function checkCreditCode(raw: string): CreditCodeResult {
  const code = normaliseCreditCode(raw);
  if (!code) return { ok: false, code, reason: "empty" };
  if (code.length !== 18) return { ok: false, code, reason: "length" };
  for (const ch of code) if (!CREDIT_CODE_CHARSET.includes(ch)) return { ok: false, code, reason: "charset" };
  return creditCodeCheckChar(code.slice(0, 17)) === code[17] ? { ok: true, code } : { ok: false, code, reason: "checksum" };
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = "10X98765432";
/** First two digits of the region code: provinces, autonomous regions, municipalities, HK/MO/TW. */
const ID_PROVINCES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
]);

export type IdNumberResult = { ok: true; id: string; birthDate: string } | { ok: false; reason: "empty" | "format" | "region" | "birth" | "checksum" };

export function normaliseIdNumber(raw: string): string {
  return raw.replace(/\s+/g, "").toUpperCase();
}

export function idNumberCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i]!;
  return ID_CHECK[sum % 11]!;
}

export function checkIdNumber(raw: string, today: Date = new Date()): IdNumberResult {
  const id = normaliseIdNumber(raw);
  if (!id) return { ok: false, reason: "empty" };
  if (!/^\d{17}[\dX]$/.test(id)) return { ok: false, reason: "format" };
  if (!ID_PROVINCES.has(Number(id.slice(0, 2)))) return { ok: false, reason: "region" };
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  const birth = new Date(Date.UTC(y, m - 1, d));
  const real = birth.getUTCFullYear() === y && birth.getUTCMonth() === m - 1 && birth.getUTCDate() === d;
  if (!real || y < 1900 || birth.getTime() > today.getTime()) return { ok: false, reason: "birth" };
  if (idNumberCheckChar(id.slice(0, 17)) !== id[17]) return { ok: false, reason: "checksum" };
  return { ok: true, id, birthDate: `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}` };
}

/** 450************123 style: first 3 and last 3 kept. */
export function maskIdNumber(id: string): string {
  return id.length > 6 ? `${id.slice(0, 3)}${"*".repeat(id.length - 6)}${id.slice(-3)}` : "***";
}

/** Bank account: only the last 4 digits shown. */
export function maskAccountNumber(n: string): string {
  return n.length > 4 ? `**** **** ${n.slice(-4)}` : "****";
}
