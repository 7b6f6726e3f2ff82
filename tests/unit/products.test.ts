import { describe, expect, it } from "vitest";
import { type ProductInput, prereview, queryTerms, searchTerms, validateProduct } from "../../src/modules/products/domain.ts";

const ctx = {
  negativeWords: ["游学", "旅游", "温泉", "美食", "摄影", "插花", "代办", "包过", "政府关系", "政策申请代写", "党建服务"],
  categoryName: (c: string) => ({ digital: "数字化改造", testing: "检验检测", equipment: "设备更新" })[c] ?? c,
  payable: { general: ["digital", "testing"], special: ["equipment", "digital"] },
};
const good: ProductInput = {
  title: "中小企业数字化转型诊断服务",
  category: "digital",
  voucherKinds: ["general"],
  priceFen: 50_000_00,
  unit: "项",
  content: "对企业研发、生产、管理、营销各环节进行现场调研与数据采集，评估数字化水平，识别关键短板，形成转型路线图和实施建议。",
  deliverables: "诊断报告一份；数字化转型路线图一份",
  acceptance: "企业签字确认诊断报告；路线图通过企业评审会",
  duration: "30天",
  regions: ["450000"],
};

describe("automatic pre-review", () => {
  it("通过 for a complete, payable, plausible listing", () => {
    expect(prereview(good, ctx)).toEqual({ verdict: "pass", findings: [] });
  });
  it("不通过 for negative-list words, naming them", () => {
    const r = prereview({ ...good, title: "企业家研学旅游及温泉康养", content: `${good.content}含美食体验` }, ctx);
    expect(r.verdict).toBe("fail");
    expect(r.findings[0]).toEqual({ rule: "negative_list", level: "fail", message: "含有负面清单词语：旅游、温泉、美食（服务券不得用于此类服务）" });
  });
  it("不通过 without both 交付清单 and 验收标准", () => {
    expect(prereview({ ...good, deliverables: "", acceptance: "" }, ctx)).toMatchObject({
      verdict: "fail",
      findings: [{ rule: "sections", message: "缺少交付清单和验收标准，无法核验服务成果" }],
    });
  });
  it("部分通过 with only one of them", () => {
    expect(prereview({ ...good, acceptance: "" }, ctx)).toMatchObject({ verdict: "partial", findings: [{ message: "缺少验收标准" }] });
    expect(prereview({ ...good, deliverables: "无" }, ctx)).toMatchObject({ verdict: "partial", findings: [{ message: "缺少交付清单" }] });
  });
  it("不通过 when no chosen voucher kind can pay for the category; 部分通过 when one of two cannot", () => {
    expect(prereview({ ...good, category: "equipment", voucherKinds: ["general"] }, ctx)).toMatchObject({
      verdict: "fail",
      findings: [{ rule: "category" }],
    });
    expect(prereview({ ...good, category: "testing", voucherKinds: ["general", "special"] }, ctx)).toMatchObject({
      verdict: "partial",
      findings: [{ rule: "category", level: "warn", message: "“检验检测”不能使用专项券抵扣" }],
    });
  });
  it("无法判断 for an implausible price or a thin description", () => {
    expect(prereview({ ...good, priceFen: 500_00 }, ctx)).toMatchObject({ verdict: "unknown", findings: [{ rule: "price" }] });
    expect(prereview({ ...good, priceFen: 3_000_000_00 }, ctx).verdict).toBe("unknown");
    expect(prereview({ ...good, content: "数字化诊断服务，内容详见合同。内容详见合同。" }, ctx)).toMatchObject({
      verdict: "unknown",
      findings: [{ rule: "content" }],
    });
  });
  it("不通过 outranks 无法判断, which outranks 部分通过", () => {
    expect(prereview({ ...good, priceFen: 500_00, acceptance: "", title: "代办服务" }, ctx).verdict).toBe("fail");
    expect(prereview({ ...good, priceFen: 500_00, acceptance: "" }, ctx).verdict).toBe("unknown");
  });
});

describe("product form", () => {
  const c = { categories: [{ code: "digital", name: "数字化改造" }], regionCodes: ["450000", "450100"] };
  const f = {
    title: "数字化诊断服务",
    category: "digital",
    voucherKinds: ["general"],
    price: "50,000.00",
    unit: "项",
    content: good.content,
    deliverables: "报告",
    acceptance: "",
    duration: "",
    regions: ["450000"],
  };
  it("reads the price in yuan into fen", () => {
    expect(validateProduct(f, c).value?.priceFen).toBe(5_000_000);
  });
  it.each([
    [{ price: "-5" }, "price", "价格应为金额（元），最多两位小数"],
    [{ price: "99.99" }, "price", "价格应在¥100.00至¥10,000,000.00之间"],
    [{ price: "10000000.01" }, "price", "价格应在¥100.00至¥10,000,000.00之间"],
    [{ price: "1e6" }, "price", "价格应为金额（元），最多两位小数"],
    [{ category: "casino" }, "category", "请选择服务类别"],
    [{ voucherKinds: ["gold"] }, "voucherKinds", "服务券类型不正确"],
    [{ voucherKinds: [] }, "voucherKinds", "请选择可使用的服务券类型"],
    [{ regions: ["110000"] }, "regions", "服务区域不正确"],
    [{ content: "太短" }, "content", "服务内容至少20个字"],
    [{ title: "x".repeat(61) }, "title", "产品名称不能超过60个字"],
  ])("refuses %j", (patch, field, message) => {
    expect(validateProduct({ ...f, ...patch } as typeof f, c).errors[field]).toBe(message);
  });
});

describe("Chinese search terms", () => {
  it("indexes characters and bigrams, and ASCII words", () => {
    expect(searchTerms("检验检测 ISO9001")).toEqual(expect.arrayContaining(["检", "检验", "验检", "检测", "测", "iso9001"]));
  });
  it("a query needs its bigrams, or a lone character", () => {
    expect(queryTerms("检测服务")).toEqual(["检测", "测服", "服务"]);
    expect(queryTerms("检")).toEqual(["检"]);
    expect(queryTerms("MES 系统")).toEqual(["mes", "系统"]);
    const listing = new Set(searchTerms("设备上云与MES系统部署服务"));
    expect(queryTerms("mes系统").every((t) => listing.has(t))).toBe(true);
    expect(queryTerms("系统部署").every((t) => listing.has(t))).toBe(true);
    expect(queryTerms("部署系统").every((t) => listing.has(t))).toBe(false);
  });
});
