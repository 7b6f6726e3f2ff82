/**
 * Pure rules of 企业需求: the form, the response form, the state machine, 已截止, masking, search terms.
 */
import { PHONE_RE, maskPhone, normalisePhone } from "../identity/domain.ts";
import { yuan } from "../vouchers/domain.ts";
import { addDays } from "../../lib/shanghai.ts";
import { MONEY_MAX_FEN, readYuan } from "../../lib/money.ts";
import { CITIES, cityName, districtName } from "../enterprises/domain.ts";

/** The one place each stored status gets its Chinese label. */
export const DEMAND_STATUS_TEXT = {
  pending: "待处理",
  published: "已发布",
  rejected: "已驳回",
  withdrawn: "已撤回",
  closed: "已关闭",
} as const;
export type DemandStatus = keyof typeof DEMAND_STATUS_TEXT;

/** What a page shows: the stored status, or 已截止 for a published demand past its deadline (never stored). */
export const DISPLAY_STATUS_TEXT = { ...DEMAND_STATUS_TEXT, expired: "已截止" } as const;
export type DisplayStatus = keyof typeof DISPLAY_STATUS_TEXT;

export type DemandAction = "publish" | "reject" | "withdraw" | "close" | "resubmit";
const TRANSITIONS: Record<DemandAction, { from: readonly DemandStatus[]; to: DemandStatus }> = {
  publish: { from: ["pending"], to: "published" },
  reject: { from: ["pending"], to: "rejected" },
  withdraw: { from: ["pending"], to: "withdrawn" },
  close: { from: ["published"], to: "closed" },
  resubmit: { from: ["rejected", "withdrawn"], to: "pending" },
};

/** The status an action leads to from `status`, or null when the state machine forbids it. */
export function transition(status: DemandStatus, action: DemandAction): DemandStatus | null {
  const t = TRANSITIONS[action];
  return t.from.includes(status) ? t.to : null;
}

export const TITLE_MIN = 4;
export const TITLE_MAX = 60;
export const DESCRIPTION_MIN = 20;
export const DESCRIPTION_MAX = 2000;
export const PROPOSAL_MIN = 10;
export const PROPOSAL_MAX = 1000;
/** ¥1,000,000,000.00: far above any service need, well inside a safe integer of fen. */
export { MONEY_MAX_FEN };
export const DEADLINE_MAX_DAYS = 365;

export type DemandInput = {
  title: string;
  category: string;
  description: string;
  budgetMinFen: number | null;
  budgetMaxFen: number | null;
  budgetNegotiable: boolean;
  cityCode: string;
  districtCode: string | null;
  deadline: string;
  contactName: string;
  contactPhone: string;
};

export type DemandForm = {
  title?: string;
  category?: string;
  description?: string;
  budgetMin?: string;
  budgetMax?: string;
  /** The budget already read into fen by the HTTP edge (undefined: not given); used instead of budgetMin / budgetMax. */
  budgetMinFen?: number;
  budgetMaxFen?: number;
  budgetNegotiable?: string;
  cityCode?: string;
  districtCode?: string;
  deadline?: string;
  contactName?: string;
  contactPhone?: string;
};

const clean = (v: string | undefined) =>
  (v ?? "")
    .normalize("NFC")
    .replace(/\r\n?/g, "\n")
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "")
    .trim();
const len = (s: string) => [...s].length;

export { addDays, shanghaiDate as shanghaiToday } from "../../lib/shanghai.ts";

function isRealDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const t = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
}

/**
 * An amount typed in 元 as integer fen: digits with at most two decimals (thousands separators and
 * a leading ¥ allowed). Errors name the field.
 */
export function parseYuan(raw: string | undefined, label: string): { fen?: number; error?: string } {
  const r = readYuan(raw ?? "");
  if ("fen" in r) return { fen: r.fen };
  if (r.problem === "empty") return {};
  if (r.problem === "negative") return { error: `${label}不能为负数` };
  if (r.problem === "too_large") return { error: `${label}不能超过10亿元` };
  return { error: `${label}应为金额（元），最多两位小数` };
}

export const isLandline = (p: string) => /^0\d{2,3}\d{7,8}$/.test(p);

/** 发布需求: checks every field; `today` is the Asia/Shanghai date from the Clock port. */
export function validateDemand(
  f: DemandForm,
  ctx: { categories: { code: string; name: string }[]; today: string },
): { value?: DemandInput; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const title = clean(f.title).replace(/\s+/g, " ");
  if (!title) errors.title = "请输入需求标题";
  else if (len(title) < TITLE_MIN) errors.title = `需求标题至少${TITLE_MIN}个字`;
  else if (len(title) > TITLE_MAX) errors.title = `需求标题不能超过${TITLE_MAX}个字`;

  const category = f.category ?? "";
  if (!ctx.categories.some((c) => c.code === category)) errors.category = "请选择需求类别";

  const description = clean(f.description);
  if (!description) errors.description = "请输入需求描述";
  else if (len(description) < DESCRIPTION_MIN) errors.description = `需求描述至少${DESCRIPTION_MIN}个字`;
  else if (len(description) > DESCRIPTION_MAX) errors.description = `需求描述不能超过${DESCRIPTION_MAX}个字`;

  const negotiable = f.budgetNegotiable === "yes";
  const read = (fen: number | undefined, raw: string | undefined, label: string) => (fen !== undefined ? { fen } : parseYuan(raw, label));
  const min = read(f.budgetMinFen, f.budgetMin, "最低预算");
  const max = read(f.budgetMaxFen, f.budgetMax, "最高预算");
  let budgetMinFen: number | null = null;
  let budgetMaxFen: number | null = null;
  if (negotiable) {
    if (min.fen !== undefined || max.fen !== undefined || min.error || max.error) errors.budgetMin = "选择“面议”时请不要填写预算金额";
  } else if (min.error || max.error) {
    if (min.error) errors.budgetMin = min.error;
    if (max.error) errors.budgetMax = max.error;
  } else if (min.fen === undefined || max.fen === undefined) {
    if (min.fen === undefined) errors.budgetMin = "请输入最低预算，或勾选“面议”";
    if (max.fen === undefined) errors.budgetMax = "请输入最高预算，或勾选“面议”";
  } else if (min.fen > max.fen) {
    errors.budgetMin = "最低预算不能高于最高预算";
  } else if (max.fen === 0) {
    errors.budgetMax = "最高预算应大于0";
  } else {
    budgetMinFen = min.fen;
    budgetMaxFen = max.fen;
  }

  const city = CITIES.find((c) => c.code === f.cityCode);
  if (!city) errors.cityCode = "请选择所在城市";
  const districtRaw = f.districtCode ?? "";
  const district = districtRaw ? city?.districts.find((d) => d.code === districtRaw) : undefined;
  if (city && districtRaw && !district) errors.districtCode = "请选择所在城市下的区县";

  const deadline = (f.deadline ?? "").trim();
  if (!deadline) errors.deadline = "请选择截止日期";
  else if (!isRealDate(deadline)) errors.deadline = "截止日期格式应为年-月-日，如2026-12-31";
  else if (deadline <= ctx.today) errors.deadline = "截止日期应晚于今天";
  else if (deadline > addDays(ctx.today, DEADLINE_MAX_DAYS)) errors.deadline = `截止日期不能晚于${DEADLINE_MAX_DAYS}天后`;

  const contactName = clean(f.contactName).replace(/\s+/g, " ");
  if (!contactName) errors.contactName = "请输入联系人";
  else if (len(contactName) > 30) errors.contactName = "联系人不能超过30个字";
  else if (/[<>]/.test(contactName)) errors.contactName = "联系人含有不允许的字符";

  const contactPhone = normalisePhone(f.contactPhone ?? "");
  if (!contactPhone) errors.contactPhone = "请输入联系电话";
  else if (!PHONE_RE.test(contactPhone) && !isLandline(contactPhone)) errors.contactPhone = "联系电话应为11位手机号或带区号的固定电话";

  if (Object.keys(errors).length) return { errors };
  return {
    errors,
    value: {
      title,
      category,
      description,
      budgetMinFen,
      budgetMaxFen,
      budgetNegotiable: negotiable,
      cityCode: city!.code,
      districtCode: district?.code ?? null,
      deadline,
      contactName,
      contactPhone,
    },
  };
}

export type ResponseInput = { proposal: string; quotedFen: number | null; productId: string | null };

/** 响应需求: 方案简述 (10-1000 characters), optional 报价 in 元, optional product (checked by the service). */
export function validateResponse(f: { proposal?: string; quotedPrice?: string; quotedFen?: number; productId?: string }): {
  value?: ResponseInput;
  errors: Record<string, string>;
} {
  const errors: Record<string, string> = {};
  const proposal = clean(f.proposal);
  if (!proposal) errors.proposal = "请填写方案简述";
  else if (len(proposal) < PROPOSAL_MIN) errors.proposal = `方案简述至少${PROPOSAL_MIN}个字`;
  else if (len(proposal) > PROPOSAL_MAX) errors.proposal = `方案简述不能超过${PROPOSAL_MAX}个字`;
  const quoted = f.quotedFen !== undefined ? { fen: f.quotedFen, error: undefined } : parseYuan(f.quotedPrice, "报价");
  if (quoted.error) errors.quotedPrice = quoted.error;
  else if (quoted.fen === 0) errors.quotedPrice = "报价应大于0，不报价请留空";
  const productId = (f.productId ?? "").trim();
  if (productId && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(productId)) errors.productId = "请选择本机构已上架的服务产品";
  if (Object.keys(errors).length) return { errors };
  return { errors, value: { proposal, quotedFen: quoted.fen ?? null, productId: productId ? productId.toLowerCase() : null } };
}

/** 已截止: a published demand is open through its deadline day (Asia/Shanghai). */
export const isExpired = (d: { deadline: string }, today: string) => d.deadline < today;
export const isOpen = (d: { status: DemandStatus; deadline: string }, today: string) => d.status === "published" && !isExpired(d, today);

export function displayStatus(d: { status: DemandStatus; deadline: string }, today: string): DisplayStatus {
  return d.status === "published" && isExpired(d, today) ? "expired" : d.status;
}

/** 张* / 欧阳** : the first character of a contact name and a star for each other character. */
export function maskName(name: string): string {
  const chars = [...name];
  return chars.length <= 1 ? "*" : chars[0] + "*".repeat(Math.min(chars.length - 1, 3));
}

/** 138****0001 for a mobile; 0771****34 for a landline; *** otherwise. */
export function maskContactPhone(phone: string): string {
  if (PHONE_RE.test(phone)) return maskPhone(phone);
  if (isLandline(phone)) return `${phone.slice(0, phone.startsWith("01") || phone.startsWith("02") ? 3 : 4)}****${phone.slice(-2)}`;
  return "***";
}

/** 预算 as shown: 面议, one amount, or a range. */
export function budgetText(d: { budgetMinFen: number | null; budgetMaxFen: number | null; budgetNegotiable: boolean }): string {
  if (d.budgetNegotiable || d.budgetMinFen === null || d.budgetMaxFen === null) return "面议";
  return d.budgetMinFen === d.budgetMaxFen ? yuan(d.budgetMaxFen) : `${yuan(d.budgetMinFen)} - ${yuan(d.budgetMaxFen)}`;
}

export function regionText(d: { cityCode: string; districtCode: string | null }): string {
  return cityName(d.cityCode) + (d.districtCode ? districtName(d.districtCode) : "");
}

export { queryTerms, searchTerms } from "../../lib/search-terms.ts";
