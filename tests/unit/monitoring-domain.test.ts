import { describe, expect, it } from "vitest";
import {
  belowThreshold,
  checkReason,
  recallText,
  refusalFor,
  reminderWindow,
  suspensionText,
  usageBp,
  usageReminderText,
} from "../../src/modules/monitoring/domain.ts";

describe("使用率 and the reminder's window", () => {
  it("usage is consumed / granted in basis points, rounded down; below the threshold is strict", () => {
    expect(usageBp(0, 6_000_000)).toBe(0);
    expect(usageBp(4_199_999, 6_000_000)).toBe(6999);
    expect(usageBp(4_200_000, 6_000_000)).toBe(7000);
    expect(usageBp(1, 0)).toBe(0);
    expect(belowThreshold(4_199_999, 6_000_000, 70)).toBe(true);
    expect(belowThreshold(4_200_000, 6_000_000, 70)).toBe(false);
    expect(belowThreshold(0, 1, 1)).toBe(true);
  });
  it("runs from today to N days ahead in Asia/Shanghai dates", () => {
    // 2026-12-01 17:00 UTC is already 2026-12-02 in Shanghai.
    expect(reminderWindow(new Date("2026-12-01T17:00:00Z"), 30)).toEqual({ from: "2026-12-02", to: "2027-01-01" });
    expect(reminderWindow(new Date("2026-12-01T15:59:59Z"), 30)).toEqual({ from: "2026-12-01", to: "2026-12-31" });
  });
});

describe("暂停交易", () => {
  it("needs a reason of 2 to 500 characters, both to suspend and to resume", () => {
    expect(checkReason("suspend", undefined)).toEqual({ error: "请填写暂停原因" });
    expect(checkReason("suspend", "  ")).toEqual({ error: "请填写暂停原因" });
    expect(checkReason("suspend", "骗")).toEqual({ error: "暂停原因至少2个字" });
    expect(checkReason("resume", "x".repeat(501))).toEqual({ error: "恢复原因不能超过500个字" });
    expect(checkReason("resume", " 复核无误\r\n ")).toEqual({ reason: "复核无误" });
  });
  it("names who is suspended in each refusal, the enterprise first", () => {
    expect(refusalFor([], "order")).toBeNull();
    expect(refusalFor(["provider"], "submit")).toBe("该服务机构已被平台暂停交易，暂不能对其服务产品下单");
    expect(refusalFor(["provider", "enterprise"], "order")).toContain("下单企业已被平台暂停交易");
    expect(refusalFor(["provider"], "signing")).toMatch(/^已暂停签订电子合同：服务机构已被平台暂停交易/);
  });
  it("each SMS fits one message (70 characters) and names no amount or reason", () => {
    for (const text of [usageReminderText("2026-12-31", 70), recallText(365), suspensionText(true), suspensionText(false)]) {
      expect([...text].length).toBeLessThanOrEqual(70);
      expect(text).toMatch(/^【服务券平台】/);
      expect(text).not.toMatch(/¥|元/);
    }
  });
});
