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

/** The amount an enterprise may request for a 专项券 as typed (yuan), checked against the programme's limits. */
export function checkSpecialAmount(p: Pick<Programme, "specialMinFen" | "specialMaxFen">, raw: string): { fen?: number; error?: string } {
  if (!raw.trim()) return { error: "请输入申领额度" };
  const fen = parseYuanToFen(raw);
  if (fen === null) return { error: SPECIAL_AMOUNT_FORMAT };
  return checkSpecialFen(p, fen);
}

export const SPECIAL_AMOUNT_FORMAT = "申领额度应为金额，最多两位小数";
/** 核定额度 (a reviewer lowering an approval) that is not a positive amount. */
export const APPROVED_AMOUNT_FORMAT = "核定额度应为大于0的金额";

/** The requested amount of a 专项券 in fen (already read at the edge), against the programme's limits. */
export function checkSpecialFen(p: Pick<Programme, "specialMinFen" | "specialMaxFen">, fen: number | undefined): { fen?: number; error?: string } {
  if (fen === undefined) return { error: "请输入申领额度" };
  if (fen < p.specialMinFen || fen > p.specialMaxFen) {
    return { error: `申领额度应在${yuan(p.specialMinFen)}至${yuan(p.specialMaxFen)}之间` };
  }
  return { fen };
}

/** Whether `v` is one of the map's own keys (never `v in map`, which accepts `constructor` or `__proto__`). */
const isKey = <K extends string>(map: Readonly<Record<K, unknown>>, v: unknown): v is K => typeof v === "string" && Object.hasOwn(map, v);

/**
 * The programme form as read at the HTTP edge: each field on its own is valid (amounts in fen, the
 * rate in basis points, real dates). Amounts that only one kind needs may be absent.
 */
export type ProgrammeForm = {
  year: number;
  kind: ProgrammeKind;
  name: string;
  description: string;
  subsidyRateBp: number;
  perOrderCapFen: number;
  quotaLargeFen?: number;
  quotaMediumFen?: number;
  quotaSmallFen?: number;
  quotaMicroFen?: number;
  specialMinFen?: number;
  specialMaxFen?: number;
  requiresDocuments: boolean;
  applyFrom: string;
  applyTo: string;
  validFrom: string;
  validTo: string;
  categories: string[];
  status: ProgrammeStatus;
  isExample: boolean;
};

/**
 * The programme's dates in order (YYYY-MM-DD compare as text). A pair is compared only when both
 * dates are given, so the form can show this beside other fields' messages.
 */
export function programmeDateOrder(d: { applyFrom?: string; applyTo?: string; validFrom?: string; validTo?: string }): Record<string, string> {
  const errors: Record<string, string> = {};
  if (d.applyFrom && d.applyTo && d.applyTo < d.applyFrom) errors.applyTo = "申请截止日期不能早于开始日期";
  if (d.validFrom && d.validTo && d.validTo < d.validFrom) errors.validTo = "有效期结束日期不能早于开始日期";
  return errors;
}

/** The rules across the programme form's fields: amounts each kind requires, ranges and date order. */
export function checkProgramme(f: ProgrammeForm): { value?: Omit<Programme, "id">; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  // Defensive: the edge schema already refuses anything else.
  if (!isKey(PROGRAMME_KINDS, f.kind)) errors.kind = "请选择券种类型";
  if (!isKey(PROGRAMME_STATUS_TEXT, f.status)) errors.status = "请选择状态";
  const known = new Set(CATEGORIES.map((c) => c.code));
  if (!f.categories.length) errors.categories = "请至少选择一个可抵扣的服务类别";
  else if (f.categories.some((c) => !known.has(c))) errors.categories = "服务类别不正确";
  const general = f.kind === "general";
  const special = f.kind === "special";
  const need = (field: string, label: string, fen: number | undefined, required: boolean): number => {
    if (fen === undefined && required) errors[field] = `请输入${label}`;
    return fen ?? 0;
  };
  const quotaBySize = {
    large: need("quotaLarge", "大型企业额度", f.quotaLargeFen, general),
    medium: need("quotaMedium", "中型企业额度", f.quotaMediumFen, general),
    small: need("quotaSmall", "小型企业额度", f.quotaSmallFen, general),
    micro: need("quotaMicro", "微型企业额度", f.quotaMicroFen, general),
  } satisfies Record<SizeClass, number>;
  const specialMinFen = need("specialMin", "最低申领额度", f.specialMinFen, special);
  const specialMaxFen = need("specialMax", "最高申领额度", f.specialMaxFen, special);
  if (special && specialMaxFen < specialMinFen && !errors.specialMax) errors.specialMax = "最高申领额度不能低于最低申领额度";
  if (special && specialMaxFen === 0 && !errors.specialMax) errors.specialMax = "最高申领额度应大于0";
  Object.assign(errors, programmeDateOrder(f));
  if (Object.keys(errors).length) return { errors };
  return {
    errors,
    value: {
      year: f.year,
      kind: f.kind,
      name: f.name,
      description: f.description,
      subsidyRateBp: f.subsidyRateBp,
      perOrderCapFen: f.perOrderCapFen,
      quotaBySize: general ? quotaBySize : { large: 0, medium: 0, small: 0, micro: 0 },
      specialMinFen: special ? specialMinFen : 0,
      specialMaxFen: special ? specialMaxFen : 0,
      requiresDocuments: special ? f.requiresDocuments : false,
      applyFrom: f.applyFrom,
      applyTo: f.applyTo,
      validFrom: f.validFrom,
      validTo: f.validTo,
      categories: [...new Set(f.categories)],
      status: f.status,
      isExample: f.isExample,
    },
  };
}

/**
 * What an account can still pay: granted - reserved - consumed - expired - recalled (all from its
 * ledger totals; `recalledFen` is 额度收回, absent on totals read before migration 0033 meant 0).
 */
export const availableFen = (a: { grantedFen: number; reservedFen: number; consumedFen: number; expiredFen: number; recalledFen?: number }) =>
  a.grantedFen - a.reservedFen - a.consumedFen - a.expiredFen - (a.recalledFen ?? 0);

/**
 * 补贴券抵扣金额 = min(price x rate, per-order cap, available), rounded down to the fen. The one
 * implementation: orders/domain.ts `orderAmounts` builds every order amount (and the product page) on it.
 * Never negative.
 */
export function deduction(priceFen: number, rateBp: number, capFen: number, availableFen: number): number {
  const byRate = Math.floor((priceFen * rateBp) / 10_000);
  return Math.max(0, Math.min(byRate, capFen, availableFen));
}

// ---- ledger ----

export type LedgerKind = "grant" | "reserve" | "release" | "consume" | "refund" | "expire" | "settle" | "recall";
export const LEDGER_KIND_TEXT: Record<LedgerKind, string> = {
  grant: "发放额度",
  reserve: "下单占用",
  release: "取消释放",
  consume: "完成核销",
  refund: "退款返还",
  expire: "到期失效",
  settle: "兑付结算",
  recall: "额度收回",
};

/**
 * Running totals; `settled` is the part of `consumed` already paid out to providers (兑付);
 * `recalled` is what 额度收回 took back to the programme (docs/monitoring.md).
 */
export type Totals = { granted: number; reserved: number; consumed: number; expired: number; settled?: number; recalled?: number };
export const available = (t: Totals) => t.granted - t.reserved - t.consumed - t.expired - (t.recalled ?? 0);

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
    case "settle":
      return { ...t, settled: (t.settled ?? 0) + amount };
    case "recall":
      return { ...t, recalled: (t.recalled ?? 0) + amount };
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
