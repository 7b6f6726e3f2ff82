import { describe, expect, it } from "vitest";
import { adminFilter, numberDateRange, numberFilter } from "../../src/modules/orders/admin-service.ts";

describe("订单管理 (admin): the order-number search", () => {
  it("matches a whole number exactly and the start of one as a prefix; digits alone follow DD; other text matches nothing", () => {
    expect(numberFilter("DD20261127000042")).toEqual({ exact: "DD20261127000042" });
    expect(numberFilter(" dd2026 1127 ")).toEqual({ prefix: "DD20261127" });
    expect(numberFilter("20261127")).toEqual({ prefix: "DD20261127" });
    expect(numberFilter("DD")).toEqual({ prefix: "DD" });
    expect(numberFilter("DD-1%")).toEqual({ exact: "DD-1%" });
    expect(numberFilter("  ")).toBeUndefined();
  });

  it("a prefix with a year, month or date implies the Asia/Shanghai range of submission", () => {
    expect(numberDateRange("DD20261127")).toEqual({ from: new Date("2026-11-26T16:00:00Z"), to: new Date("2026-11-27T16:00:00Z") });
    expect(numberDateRange("DD20261127000")).toEqual(numberDateRange("DD20261127"));
    expect(numberDateRange("DD202612")).toEqual({ from: new Date("2026-11-30T16:00:00Z"), to: new Date("2026-12-31T16:00:00Z") });
    expect(numberDateRange("DD2026121")).toEqual(numberDateRange("DD202612"));
    expect(numberDateRange("DD2026")).toEqual({ from: new Date("2025-12-31T16:00:00Z"), to: new Date("2026-12-31T16:00:00Z") });
    for (const none of ["DD", "DD202", "DD202613", "DD20260230", "DD0999", "XX2026"]) expect(numberDateRange(none), none).toBeUndefined();
  });

  it("combines the dates typed with the range a number prefix implies, and drops what is not well formed", () => {
    expect(adminFilter({ number: "DD202611", from: "2026-11-20", to: "2026-12-05" })).toMatchObject({
      number: { prefix: "DD202611" },
      from: new Date("2026-11-19T16:00:00Z"),
      to: new Date("2026-11-30T16:00:00Z"),
    });
    expect(adminFilter({ from: "2026-02-30", to: "2026-11-27", programmeId: "x", provider: "", cityCode: "" })).toEqual({
      number: undefined,
      status: undefined,
      programmeId: undefined,
      providerName: undefined,
      enterpriseName: undefined,
      cityCode: undefined,
      from: undefined,
      to: new Date("2026-11-27T16:00:00Z"),
    });
  });
});
