import categories from "../../reference/service-categories.json" with { type: "json" };
import type { SizeClass } from "../enterprises/domain.ts";
import { shanghaiDate } from "../../lib/shanghai.ts";
import { fenToYuanInput, parseYuanToFen, yuan } from "../../lib/money.ts";

/** The project's one money parser and formatter live in lib/money.ts; re-exported for this module's callers. */
export { fenToYuanInput, parseYuanToFen, yuan };

export const PROGRAMME_KINDS = { general: "通用券", special: "专项券" } as const;
export type ProgrammeKind = keyof typeof PROGRAMME_KINDS;

export const PROGRAMME_STATUS_TEXT = { draft: "草稿", open: "开放申请", closed: "已关闭" } as const;
export type ProgrammeStatus = keyof typeof PROGRAMME_STATUS_TEXT;

export const APPLICATION_STATUS_TEXT = { pending: "待审核", approved: "已通过", rejected: "已驳回" } as const;
export type QuotaApplicationStatus = keyof typeof APPLICATION_STATUS_TEXT;

export const CATEGORIES: { code: string; name: string }[] = categories.categories;
export const categoryName = (code: string) => CATEGORIES.find((c) => c.code === code)?.name ?? code;

export type Programme = {
  id: string;
  year: number;
  kind: ProgrammeKind;
  name: string;
  description: string;
  subsidyRateBp: number;
  perOrderCapFen: number;
  quotaBySize: Record<SizeClass, number>;
  specialMinFen: number;
  specialMaxFen: number;
  requiresDocuments: boolean;
  applyFrom: string;
  applyTo: string;
  validFrom: string;
  validTo: string;
  categories: string[];
  status: ProgrammeStatus;
  isExample: boolean;
};

export { shanghaiDate };

export function withinApplicationWindow(p: Pick<Programme, "applyFrom" | "applyTo">, now: Date): boolean {
  const today = shanghaiDate(now);
  return p.applyFrom <= today && today <= p.applyTo;
}

/** 用券有效期 is inclusive of both dates. */
export function isValidOn(p: Pick<Programme, "validFrom" | "validTo">, now: Date): boolean {
  const today = shanghaiDate(now);
  return p.validFrom <= today && today <= p.validTo;
}

export function hasExpired(p: Pick<Programme, "validTo">, now: Date): boolean {
  return shanghaiDate(now) > p.validTo;
}

/** The yearly 通用券 quota of an enterprise by its 企业划型. */
export function generalQuota(p: Pick<Programme, "quotaBySize">, size: SizeClass | null): number {
  return size ? p.quotaBySize[size] : 0;
}


/** The amount an enterprise may request for a 专项券, checked against the programme's limits. */
export function checkSpecialAmount(p: Pick<Programme, "specialMinFen" | "specialMaxFen">, raw: string): { fen?: number; error?: string } {
  if (!raw.trim()) return { error: "请输入申领额度" };
  const fen = parseYuanToFen(raw);
  if (fen === null) return { error: "申领额度应为金额，最多两位小数" };
  if (fen < p.specialMinFen || fen > p.specialMaxFen) {
    return { error: `申领额度应在${yuan(p.specialMinFen)}至${yuan(p.specialMaxFen)}之间` };
  }
  return { fen };
}


/**
 * 补贴券抵扣金额 = min(price x rate, per-order cap, available), rounded down to the fen.
 * Never negative.
 */
export function deduction(priceFen: number, rateBp: number, capFen: number, availableFen: number): number {
  const byRate = Math.floor((priceFen * rateBp) / 10_000);
  return Math.max(0, Math.min(byRate, capFen, availableFen));
}

// ---- ledger ----

export type LedgerKind = "grant" | "reserve" | "release" | "consume" | "refund" | "expire";
export const LEDGER_KIND_TEXT: Record<LedgerKind, string> = {
  grant: "发放额度",
  reserve: "下单占用",
  release: "取消释放",
  consume: "完成核销",
  refund: "退款返还",
  expire: "到期失效",
};

export type Totals = { granted: number; reserved: number; consumed: number; expired: number };
export const available = (t: Totals) => t.granted - t.reserved - t.consumed - t.expired;

/** Totals after one ledger entry; the arithmetic the database keeps in its running totals. */
export function applyEntry(t: Totals, kind: LedgerKind, amount: number): Totals {
  switch (kind) {
    case "grant":
      return { ...t, granted: t.granted + amount };
    case "reserve":
      return { ...t, reserved: t.reserved + amount };
    case "release":
      return { ...t, reserved: t.reserved - amount };
    case "consume":
      return { ...t, reserved: t.reserved - amount, consumed: t.consumed + amount };
    case "refund":
      return { ...t, consumed: t.consumed - amount };
    case "expire":
      return { ...t, expired: t.expired + amount };
  }
}

/** Card state on 服务券配额申请, as the manual names the buttons. */
export type CardState = "apply" | "pending" | "use" | "rejected" | "expired" | "closed";
export const CARD_BUTTON_TEXT: Record<CardState, string> = {
  apply: "服务券配额申请",
  pending: "待审核",
  use: "去使用",
  rejected: "已驳回",
  expired: "已过期",
  closed: "未开放申请",
};

export function cardState(
  p: Pick<Programme, "applyFrom" | "applyTo" | "validTo" | "status">,
  application: { status: QuotaApplicationStatus } | undefined,
  now: Date,
): CardState {
  if (application?.status === "approved") return hasExpired(p, now) ? "expired" : "use";
  if (application?.status === "pending") return "pending";
  if (hasExpired(p, now)) return "expired";
  if (application?.status === "rejected") return "rejected";
  return p.status === "open" && withinApplicationWindow(p, now) ? "apply" : "closed";
}
