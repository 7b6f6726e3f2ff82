import { describe, expect, it } from "vitest";
import { ACTIONS, isOrderAction } from "../../src/modules/orders/domain.ts";
import { type NoticeAction, ORDER_NOTICES, noticesFor } from "../../src/modules/orders/notice-domain.ts";

/** The notice table of orders (docs/orders.md "Notices"): who hears of which action, and what a text may say. */
const NUMBER = "DD20261127000042";
const EXPECTED: Record<keyof typeof ORDER_NOTICES, string[]> = {
  submit: ["provider"],
  accept: ["enterprise"],
  decline: ["enterprise"],
  submit_contract: ["enterprise"],
  return_contract: ["provider"],
  agree_contract: ["provider"],
  expire: ["enterprise", "provider"],
  close: ["enterprise", "provider"],
  // Issue 12: 签署完成 and 拒签 reach both parties (the reason stays on the order's page).
  signed: ["enterprise", "provider"],
  sign_refused: ["enterprise", "provider"],
  // 待签署 to the party whose turn it is (the enterprise signs first), 签署已过期 to both.
  sign_pending_enterprise: ["enterprise"],
  sign_pending_provider: ["provider"],
  sign_expired: ["enterprise", "provider"],
  // Issue 13: payment confirmed to both; 开始服务 and 完成服务 to the enterprise.
  deposit_paid: ["enterprise", "provider"],
  start_service: ["enterprise"],
  complete_service: ["enterprise"],
  balance_paid: ["enterprise", "provider"],
  dispute: ["provider"],
  resume: ["enterprise", "provider"],
  // 协商终止: the proposal to the other party, its refusal to the proposer, the end to both; the refund to the enterprise.
  terminate: ["enterprise", "provider"],
  terminate_proposed_enterprise: ["provider"],
  terminate_proposed_provider: ["enterprise"],
  terminate_rejected_enterprise: ["enterprise"],
  terminate_rejected_provider: ["provider"],
  refund_done: ["enterprise"],
  balance_reminder: ["enterprise"],
};

describe("ORDER_NOTICES", () => {
  it("lists exactly the actions of the issues, each to the other party (both for 超时关闭, 关闭订单, 签署完成 and 拒签)", () => {
    expect(Object.keys(ORDER_NOTICES).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const [action, to] of Object.entries(EXPECTED)) {
      expect(
        noticesFor(action as NoticeAction, NUMBER).map((n) => n.to),
        action,
      ).toEqual(to);
    }
  });

  it("every text is one signed SMS naming the order by its number and nothing else", () => {
    for (const action of Object.keys(EXPECTED) as NoticeAction[]) {
      for (const n of noticesFor(action, NUMBER)) {
        expect(n.text.startsWith("【服务券平台】"), action).toBe(true);
        expect(n.text.split(NUMBER)).toHaveLength(2); // the number, once
        expect(n.text.replace(NUMBER, ""), action).not.toMatch(/\d/); // no other figure: no phone, amount or date
        expect([...n.text].length, action).toBeLessThanOrEqual(70); // one SMS segment
      }
    }
  });

  it("the texts of one action differ per party and follow the order number given", () => {
    const [e, p] = noticesFor("expire", NUMBER);
    expect(e!.text).not.toBe(p!.text);
    expect(noticesFor("accept", "DD20250101000001")[0]!.text).toContain("DD20250101000001");
  });

  it("every listed key is an order action, 提交订单, a signing or a termination notice, and every other action sends nothing", () => {
    const signing = ["sign_pending_enterprise", "sign_pending_provider", "sign_expired"];
    signing.push(
      "terminate_proposed_enterprise",
      "terminate_proposed_provider",
      "terminate_rejected_enterprise",
      "terminate_rejected_provider",
      "refund_done",
      "balance_reminder",
    );
    for (const key of Object.keys(ORDER_NOTICES)) expect(key === "submit" || signing.includes(key) || isOrderAction(key), key).toBe(true);
    for (const action of ACTIONS.filter((a) => !(a in EXPECTED))) expect(noticesFor(action, NUMBER), action).toEqual([]);
    expect(noticesFor("constructor" as NoticeAction, NUMBER)).toEqual([]);
  });
});
