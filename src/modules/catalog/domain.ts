import { PHONE_RE } from "../identity/domain.ts";
import { CITIES } from "../enterprises/domain.ts";

export const PROVIDER_APPLICATION_STATUS_TEXT = { pending: "待审核", approved: "已入库", rejected: "已驳回" } as const;
export type ProviderApplicationStatus = keyof typeof PROVIDER_APPLICATION_STATUS_TEXT;
export const PROVIDER_STATUS_TEXT = { active: "已入库", suspended: "已出库（暂停）" } as const;
export type ProviderStatus = keyof typeof PROVIDER_STATUS_TEXT;

export type Category = { code: string; name: string };

/** A code -> 服务类别 name lookup over a loaded category list (the code itself when unknown). */
export const categoryNamer = (categories: Category[]) => (code: string) => categories.find((x) => x.code === code)?.name ?? code;

export type ProviderApplicationInput = {
  categories: string[];
  regions: string[];
  introduction: string;
  qualifications: string;
  contactName: string;
  contactPhone: string;
};

const text = (v: string | undefined) => (v ?? "").normalize("NFC").replace(/\r\n/g, "\n").trim();
const len = (s: string) => [...s].length;

/** 申请成为服务商: categories from the managed list, regions from Guangxi's cities ("450000" = all of Guangxi). */
export function validateProviderApplication(
  f: { categories: string[]; regions: string[]; introduction?: string; qualifications?: string; contactName?: string; contactPhone?: string },
  known: Category[],
): { value?: ProviderApplicationInput; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const codes = new Set(known.map((c) => c.code));
  const categories = [...new Set(f.categories)];
  if (!categories.length) errors.categories = "请至少选择一个服务类别";
  else if (categories.some((c) => !codes.has(c))) errors.categories = "服务类别不正确";
  const cityCodes = new Set(["450000", ...CITIES.map((c) => c.code)]);
  const regions = [...new Set(f.regions)];
  if (!regions.length) errors.regions = "请至少选择一个服务区域";
  else if (regions.some((r) => !cityCodes.has(r))) errors.regions = "服务区域不正确";
  const introduction = text(f.introduction);
  if (len(introduction) < 20) errors.introduction = "机构简介至少20个字";
  else if (len(introduction) > 2000) errors.introduction = "机构简介不能超过2000个字";
  const qualifications = text(f.qualifications);
  if (len(qualifications) > 2000) errors.qualifications = "资质说明不能超过2000个字";
  const contactName = text(f.contactName);
  if (!contactName) errors.contactName = "请输入联系人";
  else if (len(contactName) > 30) errors.contactName = "联系人不能超过30个字";
  else if (/[<>]/.test(contactName)) errors.contactName = "联系人含有不允许的字符";
  const contactPhone = (f.contactPhone ?? "").replace(/[\s-]/g, "");
  if (!contactPhone) errors.contactPhone = "请输入联系电话";
  else if (!PHONE_RE.test(contactPhone) && !/^0\d{2,3}\d{7,8}$/.test(contactPhone)) errors.contactPhone = "联系电话应为11位手机号或带区号的固定电话";
  if (Object.keys(errors).length) return { errors };
  return { errors, value: { categories, regions, introduction, qualifications, contactName, contactPhone } };
}

export const regionName = (code: string) => (code === "450000" ? "广西全区" : (CITIES.find((c) => c.code === code)?.name ?? code));
