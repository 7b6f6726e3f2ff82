import { PHONE_RE } from "../identity/domain.ts";
import { FEN_PER_WAN, fenToWanText, parseWanToFen } from "../../lib/money.ts";
import { checkCreditCode, checkIdNumber, normaliseCreditCode, normaliseIdNumber } from "./codes.ts";
import sizeRule from "../../reference/sme-classification.json" with { type: "json" };
import regions from "../../reference/guangxi-regions.json" with { type: "json" };

export const CERTIFICATION_STATUSES = ["uncertified", "pending", "certified", "rejected"] as const;
export type CertificationStatus = (typeof CERTIFICATION_STATUSES)[number];

/** The one place each status gets its Chinese label. */
export const CERTIFICATION_STATUS_TEXT: Record<CertificationStatus, string> = {
  uncertified: "未认证",
  pending: "待审核",
  certified: "已认证",
  rejected: "已驳回",
};

export type ApplicationStatus = "draft" | "pending" | "certified" | "rejected";
export const APPLICATION_STATUS_TEXT: Record<ApplicationStatus, string> = {
  draft: "填写中",
  pending: "待审核",
  certified: "已认证",
  rejected: "已驳回",
};

export type Enterprise = {
  id: string;
  accountId: string;
  name: string;
  certificationStatus: CertificationStatus;
  isProvider: boolean;
  createdAt: Date;
  /** Certified facts, set when a certification is approved. */
  creditCode: string | null;
  sizeClass: SizeClass | null;
  cityCode: string | null;
};

/** 身份角色: what the enterprise is on the platform. */
export const IDENTITY_ROLES = { manufacturer: "制造业企业", provider: "服务机构" } as const;
export type IdentityRole = keyof typeof IDENTITY_ROLES;

/** 企业类型: legal form, as on the business licence. */
export const ENTERPRISE_TYPES = {
  llc: "有限责任公司",
  joint_stock: "股份有限公司",
  state_owned: "国有企业",
  collective: "集体所有制企业",
  sole_proprietorship: "个人独资企业",
  partnership: "合伙企业",
  foreign_invested: "外商投资企业",
  hk_mo_tw_invested: "港澳台投资企业",
  other: "其他",
} as const;
export type EnterpriseType = keyof typeof ENTERPRISE_TYPES;

/** 国民经济行业分类 manufacturing divisions most common in Guangxi (C13-C43), plus services. */
export const INDUSTRIES = [
  "农副食品加工业",
  "食品制造业",
  "酒、饮料和精制茶制造业",
  "纺织业",
  "木材加工和木、竹、藤、棕、草制品业",
  "家具制造业",
  "造纸和纸制品业",
  "化学原料和化学制品制造业",
  "医药制造业",
  "橡胶和塑料制品业",
  "非金属矿物制品业",
  "黑色金属冶炼和压延加工业",
  "有色金属冶炼和压延加工业",
  "金属制品业",
  "通用设备制造业",
  "专用设备制造业",
  "汽车制造业",
  "铁路、船舶、航空航天和其他运输设备制造业",
  "电气机械和器材制造业",
  "计算机、通信和其他电子设备制造业",
  "仪器仪表制造业",
  "其他制造业",
  "科学研究和技术服务业",
  "信息传输、软件和信息技术服务业",
  "租赁和商务服务业",
  "其他",
] as const;

export type City = { code: string; name: string; districts: { code: string; name: string }[] };
export const CITIES: City[] = regions.cities;
export const cityName = (code: string | null | undefined) => CITIES.find((c) => c.code === code)?.name ?? "";
export const districtName = (code: string | null | undefined) => CITIES.flatMap((c) => c.districts).find((d) => d.code === code)?.name ?? "";

// ---- 企业划型 ----

export const SIZE_CLASSES = { large: "大型", medium: "中型", small: "小型", micro: "微型" } as const;
export type SizeClass = keyof typeof SIZE_CLASSES;
type SizeThreshold = { code: string; name: string; minStaff: number; minRevenueWan: number };
export const SIZE_THRESHOLDS = sizeRule.classes as SizeThreshold[];

export { FEN_PER_WAN };

/**
 * Proposes 企业划型 from staff and annual revenue: the largest class whose both thresholds
 * are met (meeting only one threshold falls to the class below). Thresholds are data.
 */
export function proposeSize(staff: number, revenueFen: number, thresholds: SizeThreshold[] = SIZE_THRESHOLDS): SizeClass {
  for (const t of thresholds) {
    if (staff >= t.minStaff && revenueFen >= t.minRevenueWan * FEN_PER_WAN) return t.code as SizeClass;
  }
  return "micro";
}

export function sizeRuleText(thresholds: SizeThreshold[] = SIZE_THRESHOLDS): string {
  return thresholds
    .filter((t) => t.minStaff > 0)
    .map((t) => `${t.name}：从业人员≥${t.minStaff}人且营业收入≥${t.minRevenueWan.toLocaleString("zh-CN")}万元`)
    .concat("其余为微型；只满足其中一项的，划入下一档（工信部联企业〔2011〕300号，工业）")
    .join("；");
}

/** 万元 amounts are read and shown by the project's one money module. */
export { fenToWanText, parseWanToFen };

// ---- wizard validation ----

/**
 * Whether `v` is one of the map's own keys. Never `v in map`: that accepts prototype keys such as
 * `constructor`, `toString` and `__proto__`.
 */
export const isKey = <K extends string>(map: Readonly<Record<K, unknown>>, v: unknown): v is K => typeof v === "string" && Object.hasOwn(map, v);

export type Errors = Record<string, string>;

export type Step1 = { identityRole: IdentityRole; enterpriseType: EnterpriseType };
export function validateStep1(f: Record<string, string>): { value?: Step1; errors: Errors } {
  const errors: Errors = {};
  if (!isKey(IDENTITY_ROLES, f.identityRole)) errors.identityRole = "请选择身份角色";
  if (!isKey(ENTERPRISE_TYPES, f.enterpriseType)) errors.enterpriseType = "请选择企业类型";
  if (Object.keys(errors).length) return { errors };
  return { value: { identityRole: f.identityRole as IdentityRole, enterpriseType: f.enterpriseType as EnterpriseType }, errors };
}

export type Step2 = {
  name: string;
  creditCode: string;
  creditCodeValid: boolean;
  creditCodeConfirmed: boolean;
  staffCount: number;
  revenueFen: number;
  sizeProposed: SizeClass;
  sizeDeclared: SizeClass;
  industry: string;
  cityCode: string;
  districtCode: string;
  address: string;
  legalName: string;
  legalIdNumber: string;
  legalPhone: string;
};

const text = (v: string | undefined) => (v ?? "").normalize("NFC").replace(/\s+/g, " ").trim();
const chars = (s: string) => [...s].length;

export function checkPersonName(name: string, label: string): string | null {
  if (!name) return `请输入${label}`;
  if (chars(name) > 30) return `${label}不能超过30个字`;
  if (!/^[\p{Script=Han}A-Za-z·•.\s]+$/u.test(name)) return `${label}只能包含中文、英文字母和间隔号`;
  return null;
}

export function checkPersonPhone(phone: string, label: string): string | null {
  if (!phone) return `请输入${label}`;
  return PHONE_RE.test(phone) ? null : `${label}应为11位手机号`;
}

function checkId(id: string, label: string, today: Date): string | null {
  const r = checkIdNumber(id, today);
  if (r.ok) return null;
  return {
    empty: `请输入${label}`,
    format: `${label}应为18位，最后一位可以是数字或X`,
    region: `${label}的地区码不正确`,
    birth: `${label}中的出生日期不正确`,
    checksum: `${label}校验位不正确，请核对`,
  }[r.reason];
}

/**
 * Step 2 of the wizard. A credit code that fails only its check character is accepted when the
 * user confirms it (creditCodeConfirm=yes); the reviewer then sees the flag.
 */
export function validateStep2(f: Record<string, string>, hasLicence: boolean, today: Date): { value?: Step2; errors: Errors } {
  const errors: Errors = {};
  const name = text(f.name);
  if (!name) errors.name = "请输入企业名称";
  else if (chars(name) > 100) errors.name = "企业名称不能超过100个字";
  else if (/[<>\u0000-\u001f]/.test(name)) errors.name = "企业名称含有不允许的字符";

  const cc = checkCreditCode(f.creditCode ?? "");
  const confirmed = f.creditCodeConfirm === "yes";
  if (!cc.ok) {
    if (cc.reason === "empty") errors.creditCode = "请输入统一社会信用代码";
    else if (cc.reason === "length") errors.creditCode = "统一社会信用代码应为18位";
    else if (cc.reason === "charset") errors.creditCode = "统一社会信用代码只能包含数字和大写字母（不含I、O、Z、S、V）";
    else if (!confirmed) errors.creditCode = "统一社会信用代码校验位未通过。请核对；如确认与营业执照一致，请勾选下方“确认代码无误”后提交";
  }

  const staffRaw = (f.staffCount ?? "").trim();
  const staff = /^\d{1,7}$/.test(staffRaw) ? Number(staffRaw) : NaN;
  if (!staffRaw) errors.staffCount = "请输入从业人员数";
  else if (!Number.isInteger(staff)) errors.staffCount = "从业人员数应为0到9999999之间的整数";

  const revenueFen = parseWanToFen(f.revenueWan ?? "");
  if (!(f.revenueWan ?? "").trim()) errors.revenueWan = "请输入上年度营业收入";
  else if (revenueFen === null) errors.revenueWan = "营业收入应为数字（单位：万元，最多4位小数）";

  const proposed = Number.isInteger(staff) && revenueFen !== null ? proposeSize(staff, revenueFen) : null;
  const declared = (f.sizeDeclared || proposed || "") as string;
  if (!isKey(SIZE_CLASSES, declared)) errors.sizeDeclared = "请选择企业划型";

  const industry = text(f.industry);
  if (!(INDUSTRIES as readonly string[]).includes(industry)) errors.industry = "请选择所属行业";

  const city = CITIES.find((c) => c.code === f.cityCode);
  if (!city) errors.cityCode = "请选择所在城市";
  const district = city?.districts.find((d) => d.code === f.districtCode);
  if (city && !district) errors.districtCode = "请选择所在城市下的区县";

  const address = text(f.address);
  if (!address) errors.address = "请输入详细地址";
  else if (chars(address) > 200) errors.address = "详细地址不能超过200个字";
  else if (/[<>]/.test(address)) errors.address = "详细地址含有不允许的字符";

  const legalName = text(f.legalName);
  const e1 = checkPersonName(legalName, "法定代表人姓名");
  if (e1) errors.legalName = e1;
  const legalId = normaliseIdNumber(f.legalIdNumber ?? "");
  const e2 = checkId(legalId, "法定代表人身份证号", today);
  if (e2) errors.legalIdNumber = e2;
  const legalPhone = (f.legalPhone ?? "").replace(/[\s-]/g, "");
  const e3 = checkPersonPhone(legalPhone, "法定代表人手机号");
  if (e3) errors.legalPhone = e3;

  if (!hasLicence) errors.licence = LICENCE_MISSING;
  if (f.agree !== "yes") errors.agree = "请阅读并勾选“已阅读并同意”";

  if (Object.keys(errors).length) return { errors };
  return {
    errors,
    value: {
      name,
      creditCode: normaliseCreditCode(f.creditCode ?? ""),
      creditCodeValid: cc.ok,
      creditCodeConfirmed: !cc.ok && confirmed,
      staffCount: staff,
      revenueFen: revenueFen!,
      sizeProposed: proposed!,
      sizeDeclared: declared as SizeClass,
      industry,
      cityCode: city!.code,
      districtCode: district!.code,
      address,
      legalName,
      legalIdNumber: legalId,
      legalPhone,
    },
  };
}

export const LICENCE_MISSING = "请上传营业执照（PDF、JPG或PNG，不超过10MB）";

export type Step3 = { agentName: string | null; agentIdNumber: string | null; agentPhone: string | null };

/** Step 3: 经办人 is optional; all three fields or none. */
export function validateStep3(f: Record<string, string>, today: Date): { value?: Step3; errors: Errors } {
  const name = text(f.agentName);
  const id = normaliseIdNumber(f.agentIdNumber ?? "");
  const phone = (f.agentPhone ?? "").replace(/[\s-]/g, "");
  if (!name && !id && !phone) return { errors: {}, value: { agentName: null, agentIdNumber: null, agentPhone: null } };
  const errors: Errors = {};
  const e1 = checkPersonName(name, "经办人姓名");
  if (e1) errors.agentName = e1;
  const e2 = checkId(id, "经办人身份证号", today);
  if (e2) errors.agentIdNumber = e2;
  const e3 = checkPersonPhone(phone, "经办人手机号");
  if (e3) errors.agentPhone = e3;
  if (Object.keys(errors).length) return { errors };
  return { errors, value: { agentName: name, agentIdNumber: id, agentPhone: phone } };
}

// ---- 支付认证 ----

export type BankAccountInput = {
  accountName: string;
  bankName: string;
  bankCityCode: string;
  branchName: string;
  accountNumber: string;
};

export function validateBankAccount(f: Record<string, string>): { value?: BankAccountInput; errors: Errors } {
  const errors: Errors = {};
  const accountName = text(f.accountName);
  if (!accountName) errors.accountName = "请输入银行开户名";
  else if (chars(accountName) > 100) errors.accountName = "银行开户名不能超过100个字";
  else if (/[<>]/.test(accountName)) errors.accountName = "银行开户名含有不允许的字符";
  const bankName = text(f.bankName);
  if (!bankName) errors.bankName = "请输入开户银行";
  else if (chars(bankName) > 50) errors.bankName = "开户银行不能超过50个字";
  else if (/[<>]/.test(bankName)) errors.bankName = "开户银行含有不允许的字符";
  if (!CITIES.some((c) => c.code === f.bankCityCode)) errors.bankCityCode = "请选择开户所在地";
  const branchName = text(f.branchName);
  if (!branchName) errors.branchName = "请输入开户支行名称";
  else if (chars(branchName) > 100) errors.branchName = "开户支行名称不能超过100个字";
  else if (/[<>]/.test(branchName)) errors.branchName = "开户支行名称含有不允许的字符";
  const accountNumber = (f.accountNumber ?? "").replace(/[\s-]/g, "");
  if (!accountNumber) errors.accountNumber = "请输入银行账号";
  else if (!/^\d+$/.test(accountNumber)) errors.accountNumber = "银行账号只能包含数字";
  else if (accountNumber.length < 8 || accountNumber.length > 32) errors.accountNumber = "银行账号应为8到32位数字";
  if (Object.keys(errors).length) return { errors };
  return { errors, value: { accountName, bankName, bankCityCode: f.bankCityCode!, branchName, accountNumber } };
}
