import { describe, expect, it } from "vitest";
import {
  FEN_PER_WAN,
  fenToWanText,
  parseWanToFen,
  proposeSize,
  sizeRuleText,
  validateBankAccount,
  validateStep1,
  validateStep2,
  validateStep3,
} from "../../src/modules/enterprises/domain.ts";

const wan = (n: number) => n * FEN_PER_WAN;
const today = new Date("2026-11-27T00:00:00Z");

describe("企业划型 (industry)", () => {
  it.each([
    [1000, wan(40000), "large"],
    [999, wan(40000), "medium"], // staff just below 大型: falls a class
    [1000, wan(40000) - 1, "medium"], // revenue one fen below 大型
    [300, wan(2000), "medium"],
    [299, wan(2000), "small"],
    [300, wan(2000) - 1, "small"],
    [20, wan(300), "small"],
    [19, wan(300), "micro"],
    [20, wan(300) - 1, "micro"],
    [5000, wan(100), "micro"], // only one threshold met: staff of 大型, revenue of 微型
    [10, wan(100000), "micro"],
    [0, 0, "micro"],
  ] as const)("%i people, %i fen -> %s", (staff, revenue, cls) => {
    expect(proposeSize(staff, revenue)).toBe(cls);
  });
  it("reads thresholds from data, so a revised standard needs no code change", () => {
    const revised = [
      { code: "large", name: "大型", minStaff: 2000, minRevenueWan: 80000 },
      { code: "medium", name: "中型", minStaff: 300, minRevenueWan: 2000 },
      { code: "small", name: "小型", minStaff: 20, minRevenueWan: 300 },
      { code: "micro", name: "微型", minStaff: 0, minRevenueWan: 0 },
    ];
    expect(proposeSize(1000, wan(40000), revised)).toBe("medium");
  });
  it("states the rule for the user", () => {
    expect(sizeRuleText()).toContain("大型：从业人员≥1000人且营业收入≥40,000万元");
    expect(sizeRuleText()).toContain("只满足其中一项的，划入下一档");
  });
});

describe("万元 <-> fen, exactly", () => {
  it.each([
    ["300", wan(300)],
    ["0.01", 10_000],
    ["1.2345", 12_345 * 100],
    ["40,000", wan(40000)],
    ["0", 0],
  ])("%s 万元", (raw, fen) => {
    expect(parseWanToFen(raw)).toBe(fen);
  });
  it.each(["", "-1", "1.23456", "abc", "1e5", "1234567890"])("refuses %j", (raw) => {
    expect(parseWanToFen(raw)).toBeNull();
  });
  it("prints back without float noise", () => {
    expect(fenToWanText(parseWanToFen("0.1")!)).toBe("0.1");
    expect(fenToWanText(parseWanToFen("2000.0500")!)).toBe("2000.05");
    expect(fenToWanText(wan(300))).toBe("300");
  });
});

const goodStep2 = {
  name: "广西示例机械制造有限公司",
  creditCode: "91350100M000100Y43",
  staffCount: "350",
  revenueWan: "2500",
  sizeDeclared: "",
  industry: "通用设备制造业",
  cityCode: "450100",
  districtCode: "450103",
  address: "青秀区民族大道100号",
  legalName: "张三",
  legalIdNumber: "11010519491231002X",
  legalPhone: "13800000001",
  agree: "yes",
};

describe("wizard step 1", () => {
  it("needs a role and a type from the lists", () => {
    expect(validateStep1({ identityRole: "manufacturer", enterpriseType: "llc" }).value).toEqual({ identityRole: "manufacturer", enterpriseType: "llc" });
    expect(validateStep1({ identityRole: "king", enterpriseType: "" }).errors).toEqual({
      identityRole: "请选择身份角色",
      enterpriseType: "请选择企业类型",
    });
  });
});

describe("wizard step 2", () => {
  it("accepts complete details and proposes the size class", () => {
    const r = validateStep2(goodStep2, true, today);
    expect(r.errors).toEqual({});
    expect(r.value).toMatchObject({
      sizeProposed: "medium",
      sizeDeclared: "medium",
      revenueFen: wan(2500),
      creditCodeValid: true,
      creditCodeConfirmed: false,
    });
  });
  it("keeps the user's correction of the size class beside the proposal", () => {
    expect(validateStep2({ ...goodStep2, sizeDeclared: "small" }, true, today).value).toMatchObject({ sizeProposed: "medium", sizeDeclared: "small" });
  });
  it("asks to confirm a credit code that fails only its check character, then flags it", () => {
    const bad = { ...goodStep2, creditCode: "91350100M000100Y44" };
    expect(validateStep2(bad, true, today).errors.creditCode).toContain("校验位未通过");
    expect(validateStep2({ ...bad, creditCodeConfirm: "yes" }, true, today).value).toMatchObject({ creditCodeValid: false, creditCodeConfirmed: true });
  });
  it("a malformed credit code cannot be confirmed away", () => {
    expect(validateStep2({ ...goodStep2, creditCode: "12345", creditCodeConfirm: "yes" }, true, today).errors.creditCode).toBe("统一社会信用代码应为18位");
  });
  it("gives each invalid field its own message", () => {
    const r = validateStep2(
      {
        name: "",
        creditCode: "",
        staffCount: "-3",
        revenueWan: "lots",
        industry: "赌场",
        cityCode: "110000",
        districtCode: "",
        address: "",
        legalName: "",
        legalIdNumber: "123",
        legalPhone: "123",
        agree: "",
      },
      false,
      today,
    );
    expect(r.errors).toEqual({
      name: "请输入企业名称",
      creditCode: "请输入统一社会信用代码",
      staffCount: "从业人员数应为0到9999999之间的整数",
      revenueWan: "营业收入应为数字（单位：万元，最多4位小数）",
      sizeDeclared: "请选择企业划型",
      industry: "请选择所属行业",
      cityCode: "请选择所在城市",
      address: "请输入详细地址",
      legalName: "请输入法定代表人姓名",
      legalIdNumber: "法定代表人身份证号应为18位，最后一位可以是数字或X",
      legalPhone: "法定代表人手机号应为11位手机号",
      licence: "请上传营业执照（PDF、JPG或PNG，不超过10MB）",
      agree: "请阅读并勾选“已阅读并同意”",
    });
  });
  it("a district must belong to the chosen city", () => {
    expect(validateStep2({ ...goodStep2, districtCode: "450202" }, true, today).errors).toEqual({ districtCode: "请选择所在城市下的区县" });
  });
});

describe("wizard step 3 (经办人, optional)", () => {
  it("empty means the legal representative acts", () => {
    expect(validateStep3({}, today).value).toEqual({ agentName: null, agentIdNumber: null, agentPhone: null });
  });
  it("all three fields or none", () => {
    expect(validateStep3({ agentName: "李四" }, today).errors).toEqual({ agentIdNumber: "请输入经办人身份证号", agentPhone: "请输入经办人手机号" });
    expect(validateStep3({ agentName: "李四", agentIdNumber: "11010519491231002X", agentPhone: "13900000000" }, today).value).toEqual({
      agentName: "李四",
      agentIdNumber: "11010519491231002X",
      agentPhone: "13900000000",
    });
  });
});

describe("支付认证", () => {
  const good = {
    accountName: "广西示例机械制造有限公司",
    bankName: "中国工商银行",
    bankCityCode: "450100",
    branchName: "南宁民族支行",
    accountNumber: "6222 0202 0011 2233 445",
  };
  it("accepts digits only, spaces removed", () => {
    expect(validateBankAccount(good).value).toMatchObject({ accountNumber: "6222020200112233445" });
  });
  it.each([
    [{ accountNumber: "6222abc0200112233" }, "银行账号只能包含数字"],
    [{ accountNumber: "1234567" }, "银行账号应为8到32位数字"],
    [{ accountNumber: "1".repeat(33) }, "银行账号应为8到32位数字"],
    [{ bankCityCode: "999999" }, "请选择开户所在地"],
    [{ accountName: "" }, "请输入银行开户名"],
  ])("refuses %j", (patch, msg) => {
    expect(Object.values(validateBankAccount({ ...good, ...patch }).errors)).toEqual([msg]);
  });
});
