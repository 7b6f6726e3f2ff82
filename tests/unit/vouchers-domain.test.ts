import { describe, expect, it } from "vitest";
import {
  type LedgerKind,
  type Totals,
  applyEntry,
  available,
  cardState,
  checkSpecialAmount,
  deduction,
  generalQuota,
  hasExpired,
  isValidOn,
  parseYuanToFen,
  shanghaiDate,
  withinApplicationWindow,
} from "../../src/modules/vouchers/domain.ts";

const programme = {
  applyFrom: "2026-01-01",
  applyTo: "2026-11-30",
  validFrom: "2026-01-01",
  validTo: "2026-12-31",
  status: "open" as const,
  quotaBySize: { large: 50_000_00, medium: 30_000_00, small: 20_000_00, micro: 10_000_00 },
  specialMinFen: 10_000_00,
  specialMaxFen: 500_000_00,
};

describe("dates in Asia/Shanghai", () => {
  it("a UTC evening is already the next day in Guangxi", () => {
    expect(shanghaiDate(new Date("2026-12-31T15:59:59Z"))).toBe("2026-12-31");
    expect(shanghaiDate(new Date("2026-12-31T16:00:00Z"))).toBe("2027-01-01");
  });
  it("validity includes its last day, and ends after it", () => {
    expect(isValidOn(programme, new Date("2026-12-31T15:59:59Z"))).toBe(true);
    expect(hasExpired(programme, new Date("2026-12-31T15:59:59Z"))).toBe(false);
    expect(isValidOn(programme, new Date("2026-12-31T16:00:00Z"))).toBe(false);
    expect(hasExpired(programme, new Date("2026-12-31T16:00:00Z"))).toBe(true);
  });
  it("application window", () => {
    expect(withinApplicationWindow(programme, new Date("2026-11-27T02:00:00Z"))).toBe(true);
    expect(withinApplicationWindow(programme, new Date("2026-12-01T02:00:00Z"))).toBe(false);
    expect(withinApplicationWindow(programme, new Date("2025-12-31T15:00:00Z"))).toBe(false);
  });
});

describe("quota rules", () => {
  it("通用券 by 企业划型", () => {
    expect(generalQuota(programme, "large")).toBe(50_000_00);
    expect(generalQuota(programme, "micro")).toBe(10_000_00);
    expect(generalQuota(programme, null)).toBe(0);
  });
  it("专项券 amount within limits", () => {
    expect(checkSpecialAmount(programme, "10000")).toEqual({ fen: 10_000_00 });
    expect(checkSpecialAmount(programme, "500,000.00")).toEqual({ fen: 500_000_00 });
    expect(checkSpecialAmount(programme, "9999.99").error).toBe("申领额度应在¥10,000.00至¥500,000.00之间");
    expect(checkSpecialAmount(programme, "500000.01").error).toContain("之间");
    expect(checkSpecialAmount(programme, "").error).toBe("请输入申领额度");
    expect(checkSpecialAmount(programme, "十万").error).toBe("申领额度应为金额，最多两位小数");
    expect(checkSpecialAmount(programme, "-5").error).toBe("申领额度应为金额，最多两位小数");
    expect(checkSpecialAmount(programme, "1.234").error).toBe("申领额度应为金额，最多两位小数");
  });
  it("parses yuan exactly", () => {
    expect(parseYuanToFen("0.1")).toBe(10);
    expect(parseYuanToFen("¥1,234.56")).toBe(123456);
    expect(parseYuanToFen("1e3")).toBeNull();
    expect(parseYuanToFen("123456789012")).toBeNull();
  });
});

describe("补贴券抵扣金额 = min(price x rate, cap, available)", () => {
  it("rate decides when it is smallest", () => {
    expect(deduction(100_000_00, 3000, 50_000_00, 80_000_00)).toBe(30_000_00);
  });
  it("the per-order cap decides", () => {
    expect(deduction(1_000_000_00, 3000, 50_000_00, 80_000_00)).toBe(50_000_00);
  });
  it("what is left decides", () => {
    expect(deduction(100_000_00, 3000, 50_000_00, 12_345)).toBe(12_345);
  });
  it("zero available deducts nothing", () => {
    expect(deduction(100_000_00, 3000, 50_000_00, 0)).toBe(0);
    expect(deduction(100_000_00, 3000, 50_000_00, -5)).toBe(0);
  });
  it("rounds down to the fen", () => {
    expect(deduction(333, 3000, 10_000, 10_000)).toBe(99); // 99.9 fen
    expect(deduction(1, 5000, 10, 10)).toBe(0);
  });
});

describe("ledger arithmetic", () => {
  const zero: Totals = { granted: 0, reserved: 0, consumed: 0, expired: 0 };
  it("follows an order through reserve, consume and refund", () => {
    const steps: [LedgerKind, number][] = [
      ["grant", 100],
      ["reserve", 30],
      ["consume", 30],
      ["reserve", 20],
      ["release", 20],
      ["refund", 10],
      ["recall", 30],
      ["expire", 50],
    ];
    let t = zero;
    const avail: number[] = [];
    for (const [k, a] of steps) {
      t = applyEntry(t, k, a);
      avail.push(available(t));
    }
    expect(avail).toEqual([100, 70, 70, 50, 70, 80, 50, 0]);
    expect(t).toEqual({ granted: 100, reserved: 0, consumed: 20, expired: 50, recalled: 30 });
  });
});

describe("配额申请 card states", () => {
  const now = new Date("2026-11-27T02:00:00Z");
  const later = new Date("2027-01-02T02:00:00Z");
  it.each([
    [undefined, now, "apply"],
    [{ status: "pending" as const }, now, "pending"],
    [{ status: "approved" as const }, now, "use"],
    [{ status: "rejected" as const }, now, "rejected"],
    [{ status: "approved" as const }, later, "expired"],
    [undefined, later, "expired"],
  ])("%j at %s -> %s", (app, at, state) => {
    expect(cardState(programme, app, at)).toBe(state);
  });
  it("a closed programme or a closed window cannot be applied for", () => {
    expect(cardState({ ...programme, status: "closed" }, undefined, now)).toBe("closed");
    expect(cardState(programme, undefined, new Date("2026-12-05T02:00:00Z"))).toBe("closed");
  });
});
