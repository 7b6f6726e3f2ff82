import { describe, expect, it } from "vitest";
import {
  type DemandForm,
  type DemandStatus,
  DEMAND_STATUS_TEXT,
  DISPLAY_STATUS_TEXT,
  addDays,
  budgetText,
  displayStatus,
  isOpen,
  maskContactPhone,
  maskName,
  parseYuan,
  queryTerms,
  regionText,
  searchTerms,
  shanghaiToday,
  transition,
  validateDemand,
  validateResponse,
} from "../../src/modules/demands/domain.ts";

const TODAY = "2026-11-27";
const ctx = {
  categories: [
    { code: "digital", name: "数字化改造" },
    { code: "testing", name: "检验检测" },
  ],
  today: TODAY,
};
const GOOD: DemandForm = {
  title: "注塑车间MES系统建设",
  category: "digital",
  description: "注塑车间32台注塑机，希望建设MES系统，实现工单、报工、设备采集和质量追溯。",
  budgetMin: "300000",
  budgetMax: "500,000.50",
  budgetNegotiable: "",
  cityCode: "450100",
  districtCode: "450103",
  deadline: "2026-12-31",
  contactName: " 张伟 ",
  contactPhone: "138 0000 0001",
};
const errorsOf = (f: Partial<DemandForm>) => validateDemand({ ...GOOD, ...f }, ctx).errors;

describe("validateDemand", () => {
  it("accepts a complete form and normalises it (fen, trimmed name, phone without spaces)", () => {
    const { value, errors } = validateDemand(GOOD, ctx);
    expect(errors).toEqual({});
    expect(value).toEqual({
      title: "注塑车间MES系统建设",
      category: "digital",
      description: GOOD.description,
      budgetMinFen: 30_000_000,
      budgetMaxFen: 50_000_050,
      budgetNegotiable: false,
      cityCode: "450100",
      districtCode: "450103",
      deadline: "2026-12-31",
      contactName: "张伟",
      contactPhone: "13800000001",
    });
  });

  it("refuses empty required fields, each with its own message", () => {
    const { value, errors } = validateDemand({}, ctx);
    expect(value).toBeUndefined();
    expect(errors).toEqual({
      title: "请输入需求标题",
      category: "请选择需求类别",
      description: "请输入需求描述",
      budgetMin: "请输入最低预算，或勾选“面议”",
      budgetMax: "请输入最高预算，或勾选“面议”",
      cityCode: "请选择所在城市",
      deadline: "请选择截止日期",
      contactName: "请输入联系人",
      contactPhone: "请输入联系电话",
    });
  });

  it("refuses short and oversize text", () => {
    expect(errorsOf({ title: "MES" }).title).toBe("需求标题至少4个字");
    expect(errorsOf({ title: "需".repeat(61) }).title).toBe("需求标题不能超过60个字");
    expect(errorsOf({ title: "需".repeat(60) }).title).toBeUndefined();
    expect(errorsOf({ description: "太短的描述" }).description).toBe("需求描述至少20个字");
    expect(errorsOf({ description: "述".repeat(2001) }).description).toBe("需求描述不能超过2000个字");
    expect(errorsOf({ description: "述".repeat(2000) }).description).toBeUndefined();
    expect(errorsOf({ contactName: "张".repeat(31) }).contactName).toBe("联系人不能超过30个字");
    expect(errorsOf({ contactName: "<b>张</b>" }).contactName).toBe("联系人含有不允许的字符");
  });

  it("keeps markup in title and description as text (templates escape it)", () => {
    const { value } = validateDemand({ ...GOOD, title: "<script>alert(1)</script>", description: "<script>alert(1)</script> 需要数字化改造服务" }, ctx);
    expect(value?.title).toBe("<script>alert(1)</script>");
  });

  it("refuses an unknown category, city, or a district of another city", () => {
    expect(errorsOf({ category: "tourism" }).category).toBe("请选择需求类别");
    expect(errorsOf({ cityCode: "110100" }).cityCode).toBe("请选择所在城市");
    expect(errorsOf({ districtCode: "450204" }).districtCode).toBe("请选择所在城市下的区县");
    expect(validateDemand({ ...GOOD, districtCode: "" }, ctx).value?.districtCode).toBeNull();
  });

  it("needs a deadline after today (Asia/Shanghai) and within a year", () => {
    expect(errorsOf({ deadline: "2026-11-26" }).deadline).toBe("截止日期应晚于今天");
    expect(errorsOf({ deadline: TODAY }).deadline).toBe("截止日期应晚于今天");
    expect(errorsOf({ deadline: "2026-11-28" }).deadline).toBeUndefined();
    expect(errorsOf({ deadline: addDays(TODAY, 365) }).deadline).toBeUndefined();
    expect(errorsOf({ deadline: addDays(TODAY, 366) }).deadline).toBe("截止日期不能晚于365天后");
    expect(errorsOf({ deadline: "2026-02-30" }).deadline).toBe("截止日期格式应为年-月-日，如2026-12-31");
    expect(errorsOf({ deadline: "31/12/2026" }).deadline).toBe("截止日期格式应为年-月-日，如2026-12-31");
  });

  it("checks the budget: negative, malformed, min above max, zero, 面议", () => {
    expect(errorsOf({ budgetMin: "-100" }).budgetMin).toBe("最低预算不能为负数");
    expect(errorsOf({ budgetMax: "-1" }).budgetMax).toBe("最高预算不能为负数");
    expect(errorsOf({ budgetMin: "1.234" }).budgetMin).toBe("最低预算应为金额（元），最多两位小数");
    expect(errorsOf({ budgetMax: "十万" }).budgetMax).toBe("最高预算应为金额（元），最多两位小数");
    expect(errorsOf({ budgetMin: "600000", budgetMax: "500000" }).budgetMin).toBe("最低预算不能高于最高预算");
    expect(errorsOf({ budgetMin: "0", budgetMax: "0" }).budgetMax).toBe("最高预算应大于0");
    expect(errorsOf({ budgetMax: "2000000000" }).budgetMax).toBe("最高预算不能超过10亿元");
    expect(errorsOf({ budgetMin: "", budgetMax: "" })).toMatchObject({ budgetMin: "请输入最低预算，或勾选“面议”" });
    expect(errorsOf({ budgetNegotiable: "yes" }).budgetMin).toBe("选择“面议”时请不要填写预算金额");
    const negotiable = validateDemand({ ...GOOD, budgetMin: "", budgetMax: "", budgetNegotiable: "yes" }, ctx).value!;
    expect([negotiable.budgetNegotiable, negotiable.budgetMinFen, negotiable.budgetMaxFen]).toEqual([true, null, null]);
    expect(validateDemand({ ...GOOD, budgetMin: "0", budgetMax: "¥1,000" }, ctx).value).toMatchObject({ budgetMinFen: 0, budgetMaxFen: 100_000 });
  });

  it("accepts a mobile or a landline with area code", () => {
    expect(errorsOf({ contactPhone: "0771-5551234" }).contactPhone).toBeUndefined();
    expect(errorsOf({ contactPhone: "12345" }).contactPhone).toBe("联系电话应为11位手机号或带区号的固定电话");
  });
});

describe("parseYuan", () => {
  it("reads yuan into integer fen without floating point", () => {
    expect(parseYuan("0.1", "报价")).toEqual({ fen: 10 });
    expect(parseYuan("1,234.56", "报价")).toEqual({ fen: 123_456 });
    expect(parseYuan("", "报价")).toEqual({});
    expect(parseYuan("－5", "报价")).toEqual({ error: "报价不能为负数" });
  });
});

describe("validateResponse", () => {
  it("needs a proposal of 10-1000 characters", () => {
    expect(validateResponse({ proposal: "" }).errors.proposal).toBe("请填写方案简述");
    expect(validateResponse({ proposal: "太短" }).errors.proposal).toBe("方案简述至少10个字");
    expect(validateResponse({ proposal: "案".repeat(1001) }).errors.proposal).toBe("方案简述不能超过1000个字");
    expect(validateResponse({ proposal: "案".repeat(1000) }).value).toEqual({ proposal: "案".repeat(1000), quotedFen: null, productId: null });
  });
  it("checks the optional price and product id format", () => {
    const proposal = "分两期实施MES系统，三个月上线。";
    expect(validateResponse({ proposal, quotedPrice: "-1" }).errors.quotedPrice).toBe("报价不能为负数");
    expect(validateResponse({ proposal, quotedPrice: "0" }).errors.quotedPrice).toBe("报价应大于0，不报价请留空");
    expect(validateResponse({ proposal, productId: "1 or 1=1" }).errors.productId).toBe("请选择本机构已上架的服务产品");
    expect(validateResponse({ proposal, quotedPrice: "420000", productId: "0A1B2C3D-0000-4000-8000-000000000001" }).value).toEqual({
      proposal,
      quotedFen: 42_000_000,
      productId: "0a1b2c3d-0000-4000-8000-000000000001",
    });
  });
});

describe("state machine", () => {
  const all = Object.keys(DEMAND_STATUS_TEXT) as DemandStatus[];
  const allowed: Record<string, [DemandStatus, DemandStatus][]> = {
    publish: [["pending", "published"]],
    reject: [["pending", "rejected"]],
    withdraw: [["pending", "withdrawn"]],
    close: [["published", "closed"]],
    resubmit: [
      ["rejected", "pending"],
      ["withdrawn", "pending"],
    ],
  };
  for (const [action, pairs] of Object.entries(allowed)) {
    it(`${action}: only ${pairs.map(([f]) => f).join(", ")}`, () => {
      for (const s of all) {
        const expected = pairs.find(([f]) => f === s)?.[1] ?? null;
        expect(transition(s, action as Parameters<typeof transition>[1]), `${action} from ${s}`).toBe(expected);
      }
    });
  }
  it("closed is final", () => {
    for (const a of ["publish", "reject", "withdraw", "close", "resubmit"] as const) expect(transition("closed", a)).toBeNull();
  });
  it("labels are exactly the manual's", () => {
    expect(DEMAND_STATUS_TEXT).toEqual({ pending: "待处理", published: "已发布", rejected: "已驳回", withdrawn: "已撤回", closed: "已关闭" });
    expect(DISPLAY_STATUS_TEXT.expired).toBe("已截止");
  });
});

describe("已截止 and display", () => {
  it("a published demand is open through its deadline day and 已截止 after it", () => {
    const d = { status: "published" as const, deadline: "2026-11-27" };
    expect(isOpen(d, "2026-11-27")).toBe(true);
    expect(displayStatus(d, "2026-11-27")).toBe("published");
    expect(isOpen(d, "2026-11-28")).toBe(false);
    expect(displayStatus(d, "2026-11-28")).toBe("expired");
    expect(displayStatus({ status: "pending", deadline: "2026-01-01" }, "2026-11-28")).toBe("pending");
    expect(isOpen({ status: "closed", deadline: "2027-01-01" }, "2026-11-28")).toBe(false);
  });
  it("today is the Asia/Shanghai date", () => {
    expect(shanghaiToday(new Date("2026-11-27T15:59:59Z"))).toBe("2026-11-27");
    expect(shanghaiToday(new Date("2026-11-27T16:00:00Z"))).toBe("2026-11-28");
  });
  it("masks contact names and phones", () => {
    expect(maskName("张伟")).toBe("张*");
    expect(maskName("欧阳娜娜")).toBe("欧***");
    expect(maskName("李")).toBe("*");
    expect(maskContactPhone("13800000001")).toBe("138****0001");
    expect(maskContactPhone("07715551234")).toBe("0771****34");
    expect(maskContactPhone("02012345678")).toBe("020****78");
    expect(maskContactPhone("x")).toBe("***");
  });
  it("shows budgets and regions", () => {
    expect(budgetText({ budgetMinFen: 30_000_000, budgetMaxFen: 50_000_000, budgetNegotiable: false })).toBe("¥300,000.00 - ¥500,000.00");
    expect(budgetText({ budgetMinFen: 100_000, budgetMaxFen: 100_000, budgetNegotiable: false })).toBe("¥1,000.00");
    expect(budgetText({ budgetMinFen: null, budgetMaxFen: null, budgetNegotiable: true })).toBe("面议");
    expect(regionText({ cityCode: "450100", districtCode: "450103" })).toBe("南宁市青秀区");
    expect(regionText({ cityCode: "450200", districtCode: null })).toBe("柳州市");
  });
  it("search terms: bigrams of the text; a keyword needs all of its bigrams", () => {
    const terms = searchTerms("注塑车间MES系统建设");
    for (const q of ["注塑", "MES系统", "车间", "mes"]) for (const t of queryTerms(q)) expect(terms, q).toContain(t);
    expect(queryTerms("系统注塑").every((t) => terms.includes(t))).toBe(false);
  });
});
