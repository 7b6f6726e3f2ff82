/**
 * Money is integer fen (分) everywhere. This is the one parser of amounts typed by a person in
 * yuan (元) and the one formatter, shared by every module and by the HTTP edge's schemas.
 */

/** The largest amount any form accepts: 10 亿元 (fits integer fen far below 2^53). */
export const MONEY_MAX_FEN = 100_000_000_000;

export type YuanReading = { fen: number } | { problem: "empty" | "negative" | "format" | "too_large" };

/**
 * Reads a yuan amount ("12,345.6", "¥800") into integer fen, exactly (no floating point): digits with
 * at most two decimals; thousands separators, spaces and a leading ¥/￥ allowed; at most MONEY_MAX_FEN.
 * Says what is wrong otherwise, so each form can word its message.
 */
export function readYuan(raw: string): YuanReading {
  const s = raw
    .trim()
    .replace(/[,，\s]/g, "")
    .replace(/^[¥￥]/, "");
  if (!s) return { problem: "empty" };
  if (/^[-－−]/.test(s)) return { problem: "negative" };
  const m = s.match(/^(\d{1,11})(?:\.(\d{1,2}))?$/);
  if (!m) return { problem: "format" };
  const fen = Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
  return fen > MONEY_MAX_FEN ? { problem: "too_large" } : { fen };
}

/** The amount in fen, or null when the text is not an amount (see readYuan). */
export function parseYuanToFen(raw: string): number | null {
  const r = readYuan(raw);
  return "fen" in r ? r.fen : null;
}

/** Fen as the value of a yuan input field: "800" or "800.50". */
export function fenToYuanInput(fen: number): string {
  return fen % 100 === 0 ? String(fen / 100) : (fen / 100).toFixed(2);
}

/** Fen as shown on every page: ¥12,345.00. */
export function yuan(fen: number): string {
  const negative = fen < 0;
  const abs = Math.abs(Math.trunc(fen));
  const whole = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const cents = String(abs % 100).padStart(2, "0");
  return `¥${negative ? "-" : ""}${whole}.${cents}`;
}

/** Fen in one 万元. */
export const FEN_PER_WAN = 1_000_000;

/** Reads 万元 with up to 4 decimals (营业收入) into integer fen, exactly (no floating point). */
export function parseWanToFen(raw: string): number | null {
  const s = raw.trim().replace(/,/g, "");
  const m = s.match(/^(\d{1,9})(?:\.(\d{1,4}))?$/);
  if (!m) return null;
  const frac = (m[2] ?? "").padEnd(4, "0");
  return Number(m[1]) * FEN_PER_WAN + Number(frac) * 100;
}

/** Fen as 万元 text: "900" or "900.5". */
export function fenToWanText(fen: number): string {
  const wan = Math.floor(fen / FEN_PER_WAN);
  const rest = String((fen % FEN_PER_WAN) / 100)
    .padStart(4, "0")
    .replace(/0+$/, "");
  return rest ? `${wan}.${rest}` : String(wan);
}
