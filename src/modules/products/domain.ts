/**
 * Pure rules of service products: the form, the automatic pre-review, search terms.
 */
import { readYuan } from "../../lib/money.ts";
import type { Category } from "../catalog/domain.ts";

export const PRODUCT_STATUS_TEXT = { draft: "草稿", pending: "待审核", listed: "已上架", rejected: "已驳回", delisted: "已下架" } as const;
export type ProductStatus = keyof typeof PRODUCT_STATUS_TEXT;
export const VOUCHER_KIND_SERVICE_TEXT = { general: "通用券服务", special: "专项券服务" } as const;
export type VoucherKind = keyof typeof VOUCHER_KIND_SERVICE_TEXT;

export const PREREVIEW_TEXT = { pass: "通过", fail: "不通过", partial: "部分通过", unknown: "无法判断" } as const;
export type Verdict = keyof typeof PREREVIEW_TEXT;
export type Finding = { rule: string; level: "fail" | "unknown" | "warn"; message: string };

export type ProductInput = {
  title: string;
  category: string;
  voucherKinds: VoucherKind[];
  priceFen: number;
  unit: string;
  content: string;
  deliverables: string;
  acceptance: string;
  duration: string;
  regions: string[];
};

export const PRICE_MIN_FEN = 100_00; // ¥100
export const PRICE_MAX_FEN = 10_000_000_00; // ¥10,000,000
export const PLAUSIBLE_MIN_FEN = 1_000_00; // below ¥1,000 a service rarely needs a voucher
export const PLAUSIBLE_MAX_FEN = 2_000_000_00; // above ¥2,000,000 a reviewer should look

/** The product price's message, or undefined when it is an amount in range (one wording for the edge and the domain). */
export function priceProblem(price: ReturnType<typeof readYuan>): string | undefined {
  if ("fen" in price)
    return Number.isSafeInteger(price.fen) && price.fen >= PRICE_MIN_FEN && price.fen <= PRICE_MAX_FEN ? undefined : "价格应在¥100.00至¥10,000,000.00之间";
  if (price.problem === "empty") return "请输入价格";
  return price.problem === "too_large" ? "价格应在¥100.00至¥10,000,000.00之间" : "价格应为金额（元），最多两位小数";
}

const clean = (v: string | undefined) => (v ?? "").normalize("NFC").replace(/\r\n/g, "\n").trim();
const len = (s: string) => [...s].length;

/** The product form. Prices are typed in yuan (`price`), or come already read into fen (`priceFen`) from the HTTP edge. */
export function validateProduct(
  f: {
    title?: string;
    category?: string;
    voucherKinds: string[];
    price?: string;
    priceFen?: number;
    unit?: string;
    content?: string;
    deliverables?: string;
    acceptance?: string;
    duration?: string;
    regions: string[];
  },
  ctx: { categories: Category[]; regionCodes: string[] },
): { value?: ProductInput; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const title = clean(f.title).replace(/\s+/g, " ");
  if (len(title) < 4) errors.title = "产品名称至少4个字";
  else if (len(title) > 60) errors.title = "产品名称不能超过60个字";
  else if (/[<>]/.test(title)) errors.title = "产品名称含有不允许的字符";
  const category = f.category ?? "";
  if (!ctx.categories.some((c) => c.code === category)) errors.category = "请选择服务类别";
  const kinds = [...new Set(f.voucherKinds)];
  if (!kinds.length) errors.voucherKinds = "请选择可使用的服务券类型";
  else if (kinds.some((k) => !Object.hasOwn(VOUCHER_KIND_SERVICE_TEXT, k))) errors.voucherKinds = "服务券类型不正确";
  const price = f.priceFen !== undefined ? { fen: f.priceFen } : readYuan(clean(f.price));
  const priceFen = "fen" in price ? price.fen : Number.NaN;
  const priceError = priceProblem(price);
  if (priceError) errors.price = priceError;
  const unit = clean(f.unit);
  if (!unit) errors.unit = "请输入计价单位，如“项”“次”“套”";
  else if (len(unit) > 10) errors.unit = "计价单位不能超过10个字";
  const content = clean(f.content);
  if (len(content) < 20) errors.content = "服务内容至少20个字";
  else if (len(content) > 5000) errors.content = "服务内容不能超过5000个字";
  const deliverables = clean(f.deliverables);
  if (len(deliverables) > 2000) errors.deliverables = "交付清单不能超过2000个字";
  const acceptance = clean(f.acceptance);
  if (len(acceptance) > 2000) errors.acceptance = "验收标准不能超过2000个字";
  const duration = clean(f.duration);
  if (len(duration) > 30) errors.duration = "服务周期不能超过30个字";
  const regions = [...new Set(f.regions)];
  if (!regions.length) errors.regions = "请选择服务区域";
  else if (regions.some((r) => !ctx.regionCodes.includes(r))) errors.regions = "服务区域不正确";
  if (Object.keys(errors).length) return { errors };
  return {
    errors,
    value: { title, category, voucherKinds: kinds as VoucherKind[], priceFen, unit, content, deliverables, acceptance, duration, regions },
  };
}

export type PrereviewContext = {
  negativeWords: string[];
  categoryName: (code: string) => string;
  /** Categories the open programmes of each voucher kind may pay for. */
  payable: Record<VoucherKind, string[]>;
};

/**
 * Automatic pre-review (自动预审) of a submitted product. Findings:
 * - fail: a negative-list word; no 交付清单 and no 验收标准; no chosen voucher kind can pay for the category;
 * - unknown: an implausible price; a description too short to judge;
 * - warn: one of 交付清单 / 验收标准 missing; one of two chosen voucher kinds cannot pay for the category.
 * Verdict: 不通过 if any fail, else 无法判断 if any unknown, else 部分通过 if any warn, else 通过.
 */
export function prereview(p: ProductInput, ctx: PrereviewContext): { verdict: Verdict; findings: Finding[] } {
  const findings: Finding[] = [];
  const text = [p.title, p.content, p.deliverables, p.acceptance].join("\n");
  const hits = ctx.negativeWords.filter((w) => w && text.includes(w));
  if (hits.length) findings.push({ rule: "negative_list", level: "fail", message: `含有负面清单词语：${hits.join("、")}（服务券不得用于此类服务）` });

  const hasDeliverables = [...p.deliverables].length >= 4;
  const hasAcceptance = [...p.acceptance].length >= 4;
  if (!hasDeliverables && !hasAcceptance) findings.push({ rule: "sections", level: "fail", message: "缺少交付清单和验收标准，无法核验服务成果" });
  else if (!hasDeliverables) findings.push({ rule: "sections", level: "warn", message: "缺少交付清单" });
  else if (!hasAcceptance) findings.push({ rule: "sections", level: "warn", message: "缺少验收标准" });

  const notPayable = p.voucherKinds.filter((k) => !ctx.payable[k].includes(p.category));
  const kindText = (k: VoucherKind) => (k === "general" ? "通用券" : "专项券");
  if (notPayable.length && notPayable.length === p.voucherKinds.length) {
    findings.push({
      rule: "category",
      level: "fail",
      message: `“${ctx.categoryName(p.category)}”不在所选${notPayable.map(kindText).join("、")}的可抵扣类别内`,
    });
  } else if (notPayable.length) {
    findings.push({ rule: "category", level: "warn", message: `“${ctx.categoryName(p.category)}”不能使用${notPayable.map(kindText).join("、")}抵扣` });
  }

  if (p.priceFen < PLAUSIBLE_MIN_FEN || p.priceFen > PLAUSIBLE_MAX_FEN) {
    findings.push({ rule: "price", level: "unknown", message: "价格明显偏离同类服务的常见范围，需人工判断" });
  }
  if ([...p.content].length < 50) findings.push({ rule: "content", level: "unknown", message: "服务内容描述过于简略，无法判断服务实质" });

  const verdict: Verdict = findings.some((f) => f.level === "fail")
    ? "fail"
    : findings.some((f) => f.level === "unknown")
      ? "unknown"
      : findings.some((f) => f.level === "warn")
        ? "partial"
        : "pass";
  return { verdict, findings };
}

export { queryTerms, searchTerms } from "../../lib/search-terms.ts";
