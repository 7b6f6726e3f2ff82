import { describe, expect, it } from "vitest";
import { MONEY_MAX_FEN } from "../../src/lib/money.ts";
import {
  ACTIONS,
  ACTORS,
  type Actor,
  type ContractContent,
  FINAL_STATUSES,
  INITIAL_STATUS,
  ORDER_ACTIONS,
  ORDER_STATUSES,
  ORDER_STATUS_TEXT,
  ORDER_TABS,
  type OrderAction,
  type OrderStatus,
  QUANTITY_MAX,
  TRANSITIONS,
  actionsFor,
  canonicalContract,
  checkContract,
  checkQuantity,
  checkReason,
  contractEditable,
  diffContract,
  initialContract,
  visibleToEnterprise,
  formatOrderNumber,
  nextVersion,
  orderAmounts,
  parseOrderNumber,
  parseSubmissionKey,
  quantityAllowed,
  releasesReservation,
  snapshotOf,
  submissionKey,
  tabOf,
  transition,
  versionAfter,
} from "../../src/modules/orders/domain.ts";
import { deduction } from "../../src/modules/vouchers/domain.ts";

/**
 * The documented table (docs/orders.md), written out here independently of the code's TRANSITIONS:
 * "from action actor -> to". Every cell not listed must be refused.
 */
const AFTER_ACCEPTANCE = [
  "contract_drafting",
  "contract_review",
  "contract_signing",
  "awaiting_deposit",
  "awaiting_start",
  "in_service",
  "awaiting_balance",
  "disputed",
  "awaiting_review",
] as const;
const EXPECTED: [OrderStatus, OrderAction, Actor, OrderStatus][] = [
  ["pending_acceptance", "cancel", "enterprise", "cancelled"],
  ["pending_acceptance", "accept", "provider", "contract_drafting"],
  ["pending_acceptance", "decline", "provider", "declined"],
  ["pending_acceptance", "expire", "system", "closed"],
  ["pending_acceptance", "close", "operator", "closed"],
  ["contract_drafting", "submit_contract", "provider", "contract_review"],
  ["contract_review", "return_contract", "enterprise", "contract_drafting"],
  ["contract_review", "agree_contract", "enterprise", "contract_signing"],
  ["contract_signing", "signed", "system", "awaiting_deposit"],
  ["contract_signing", "sign_refused", "system", "contract_drafting"],
  ["awaiting_deposit", "deposit_paid", "system", "awaiting_start"],
  ["awaiting_start", "start_service", "provider", "in_service"],
  ["in_service", "complete_service", "provider", "awaiting_balance"],
  ["awaiting_balance", "balance_paid", "system", "awaiting_review"],
  ["awaiting_balance", "dispute", "enterprise", "disputed"],
  ["disputed", "resume", "operator", "awaiting_balance"],
  ["awaiting_review", "review", "enterprise", "completed"],
  ...AFTER_ACCEPTANCE.map((s): [OrderStatus, OrderAction, Actor, OrderStatus] => [s, "close", "operator", "terminated"]),
  ...AFTER_ACCEPTANCE.flatMap((s): [OrderStatus, OrderAction, Actor, OrderStatus][] => [
    [s, "terminate", "enterprise", "terminated"],
    [s, "terminate", "provider", "terminated"],
  ]),
];
const expected = new Map(EXPECTED.map(([f, a, who, to]) => [`${f} ${a} ${who}`, to]));

describe("order statuses, labels and tabs", () => {
  it("every status has one Chinese label; the manual's texts are used", () => {
    expect(ORDER_STATUSES).toHaveLength(15);
    expect(new Set(Object.values(ORDER_STATUS_TEXT)).size).toBe(15);
    expect(ORDER_STATUS_TEXT.pending_acceptance).toBe("待接单");
    expect(ORDER_STATUS_TEXT.cancelled).toBe("订单取消");
    expect(ORDER_STATUS_TEXT.contract_signing).toBe("待签合同");
    expect(INITIAL_STATUS).toBe("pending_acceptance");
  });

  it("the tabs of 我购买的服务, in the issue's order, each status in exactly one tab besides 全部", () => {
    expect(Object.values(ORDER_TABS).map((t) => t.label)).toEqual(["全部", "待接单", "待签合同", "待支付", "服务中", "待评价", "已完成", "已取消"]);
    expect([...ORDER_TABS.all.statuses].sort()).toEqual([...ORDER_STATUSES].sort());
    const rest = Object.entries(ORDER_TABS).filter(([k]) => k !== "all");
    for (const s of ORDER_STATUSES) {
      expect(
        rest.filter(([, t]) => (t.statuses as readonly string[]).includes(s)).map(([k]) => k),
        s,
      ).toEqual([tabOf(s)]);
    }
    expect(tabOf("contract_review")).toBe("contract");
    expect(tabOf("awaiting_balance")).toBe("payment");
    expect(tabOf("declined")).toBe("cancelled");
    expect(tabOf("disputed")).toBe("service");
  });
});

describe("the transition table: every status x action x actor", () => {
  it("the code's table equals the documented one", () => {
    const fromCode = TRANSITIONS.flatMap((t) => t.actors.map((a) => `${t.from} ${t.action} ${a} -> ${t.to}`)).sort();
    expect(fromCode).toEqual(EXPECTED.map(([f, a, who, to]) => `${f} ${a} ${who} -> ${to}`).sort());
    const cells = TRANSITIONS.map((t) => `${t.from} ${t.action}`);
    expect(new Set(cells).size).toBe(cells.length);
  });

  const cells = ORDER_STATUSES.flatMap((s) => ACTIONS.flatMap((a) => ACTORS.map((who) => [s, a, who] as const)));
  it(`covers all ${ORDER_STATUSES.length * ACTIONS.length * ACTORS.length} combinations`, () => {
    expect(cells).toHaveLength(15 * 18 * 4);
    let allowed = 0;
    for (const [s, a, who] of cells) {
      const r = transition(s, a, who);
      const to = expected.get(`${s} ${a} ${who}`);
      if (to) {
        allowed++;
        expect(r, `${s} ${a} ${who}`).toEqual({ ok: true, to });
      } else {
        expect(r.ok, `${s} ${a} ${who} must be refused`).toBe(false);
        if (r.ok) continue;
        expect(r.message, `${s} ${a} ${who}`).toMatch(/[\u4e00-\u9fff]/);
        // Another party may do it in this status -> wrong actor; nobody may -> wrong state, unless this actor never may.
        const someoneHere = ACTORS.some((x) => expected.has(`${s} ${a} ${x}`));
        const thisActorEver = ORDER_STATUSES.some((x) => expected.has(`${x} ${a} ${who}`));
        expect(r.code, `${s} ${a} ${who}`).toBe(someoneHere || !thisActorEver ? "wrong_actor" : "wrong_state");
      }
    }
    expect(allowed).toBe(EXPECTED.length);
  });

  it("final statuses allow nothing", () => {
    for (const s of FINAL_STATUSES) for (const who of ACTORS) expect(actionsFor(s, who), s).toEqual([]);
    const nonFinal = ORDER_STATUSES.filter((s) => !FINAL_STATUSES.includes(s));
    for (const s of nonFinal)
      expect(
        ACTORS.some((who) => actionsFor(s, who).length > 0),
        s,
      ).toBe(true);
  });

  it("messages say what is wrong, in Chinese", () => {
    expect(transition("cancelled", "accept", "provider")).toEqual({
      ok: false,
      code: "wrong_state",
      message: "订单当前状态为“订单取消”，不能接单；请刷新页面查看最新状态",
    });
    expect(transition("pending_acceptance", "cancel", "provider")).toEqual({ ok: false, code: "wrong_actor", message: "“取消订单”只能由企业操作" });
    expect(transition("pending_acceptance", "accept", "operator")).toMatchObject({ code: "wrong_actor", message: "“接单”只能由服务机构操作" });
    expect(transition("completed", "terminate", "operator")).toMatchObject({ code: "wrong_actor", message: "“协商终止”只能由企业或服务机构操作" });
    expect(transition("contract_review", "submit_contract", "provider")).toMatchObject({ code: "wrong_state" });
  });

  it("refuses codes that are not statuses, actions or actors (including prototype keys)", () => {
    expect(transition("constructor" as OrderStatus, "accept", "provider")).toMatchObject({ ok: false, code: "unknown" });
    expect(transition("pending_acceptance", "__proto__" as OrderAction, "provider")).toMatchObject({ ok: false, code: "unknown" });
    expect(transition("pending_acceptance", "accept", "reviewer" as Actor)).toMatchObject({ ok: false, code: "unknown" });
  });

  it("the buttons for each party", () => {
    expect(actionsFor("pending_acceptance", "enterprise")).toEqual(["cancel"]);
    expect(actionsFor("pending_acceptance", "provider")).toEqual(["accept", "decline"]);
    expect(actionsFor("contract_review", "enterprise")).toEqual(["return_contract", "agree_contract", "terminate"]);
  });

  it("cancel, decline, close and terminate release the reservation; nothing else does", () => {
    const released = ORDER_STATUSES.filter(releasesReservation);
    expect(released.sort()).toEqual(["cancelled", "closed", "declined", "terminated"]);
  });
});

describe("reasons", () => {
  it("required, optional and none", () => {
    expect(checkReason("decline", "")).toEqual({ error: "请填写拒单原因" });
    expect(checkReason("decline", "   ")).toEqual({ error: "请填写拒单原因" });
    expect(checkReason("return_contract", "金额")).toEqual({ reason: "金额" });
    expect(checkReason("close", "好")).toEqual({ error: "关闭订单原因至少2个字" });
    expect(checkReason("cancel", "")).toEqual({ reason: null });
    expect(checkReason("cancel", undefined)).toEqual({ reason: null });
    expect(checkReason("cancel", " 不需要了 \r\n")).toEqual({ reason: "不需要了" });
    expect(checkReason("accept", "whatever")).toEqual({ reason: null });
  });
  it("at most 200 characters, counted as characters", () => {
    expect(checkReason("decline", "字".repeat(200))).toEqual({ reason: "字".repeat(200) });
    expect(checkReason("decline", "字".repeat(201))).toEqual({ error: "拒单原因不能超过200个字" });
    expect(checkReason("cancel", "😀".repeat(200))).toEqual({ reason: "😀".repeat(200) });
  });
  it("every action that takes a reason says so", () => {
    const required = ACTIONS.filter((a) => ORDER_ACTIONS[a].reason === "required").sort();
    expect(required).toEqual(["close", "decline", "dispute", "resume", "return_contract", "sign_refused", "terminate"]);
  });
});

describe("quantity by unit", () => {
  it("a whole service (项, unknown units) is always 1", () => {
    expect(quantityAllowed("项")).toBe(false);
    expect(checkQuantity("项", "1")).toEqual({ quantity: 1 });
    expect(checkQuantity("项", "")).toEqual({ quantity: 1 });
    expect(checkQuantity("项", "2")).toEqual({ error: "该服务按“项”计价，数量只能为1" });
    expect(checkQuantity("年", 3)).toEqual({ error: "该服务按“年”计价，数量只能为1" });
  });
  it("countable units allow 1..999", () => {
    expect(quantityAllowed(" 人天 ")).toBe(true);
    expect(checkQuantity("次", "5")).toEqual({ quantity: 5 });
    expect(checkQuantity("次", String(QUANTITY_MAX))).toEqual({ quantity: 999 });
    expect(checkQuantity("次", "1000")).toEqual({ error: "数量不能超过999" });
  });
  it("refuses zero, negatives, fractions and absurd text", () => {
    for (const bad of ["0", "-1", "1.5", "1e3", "abc", "9999999", "０"]) expect(checkQuantity("次", bad), bad).toEqual({ error: "数量应为正整数" });
  });
});

describe("order amounts: one arithmetic for the product page and the order", () => {
  const general = { rateBp: 3000, capFen: 50_000_00, availableFen: 80_000_00 };
  const ok = (input: Parameters<typeof orderAmounts>[0]) => {
    const r = orderAmounts(input);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  };

  it("rate decides: 订单金额 ¥100,000 x 30% = ¥30,000; 企业自付 ¥70,000", () => {
    expect(ok({ unitPriceFen: 100_000_00, quantity: 1, voucher: general })).toEqual({
      orderFen: 100_000_00,
      contractFen: 100_000_00,
      deductionFen: 30_000_00,
      selfPayFen: 70_000_00,
      depositFen: 0,
      balanceFen: 70_000_00,
    });
  });
  it("the per-order cap decides", () => {
    expect(ok({ unitPriceFen: 1_000_000_00, quantity: 1, voucher: general }).deductionFen).toBe(50_000_00);
  });
  it("available below the deduction decides; zero or negative available deducts nothing", () => {
    expect(ok({ unitPriceFen: 100_000_00, quantity: 1, voucher: { ...general, availableFen: 12_345 } }).deductionFen).toBe(12_345);
    expect(ok({ unitPriceFen: 100_000_00, quantity: 1, voucher: { ...general, availableFen: 0 } }).selfPayFen).toBe(100_000_00);
    expect(ok({ unitPriceFen: 100_000_00, quantity: 1, voucher: { ...general, availableFen: -5 } }).deductionFen).toBe(0);
  });
  it("no voucher (使用补贴券 not ticked): the enterprise pays all", () => {
    expect(ok({ unitPriceFen: 500_00, quantity: 2 })).toMatchObject({ orderFen: 1000_00, deductionFen: 0, selfPayFen: 1000_00 });
    expect(ok({ unitPriceFen: 500_00, quantity: 2, voucher: null }).deductionFen).toBe(0);
  });
  it("rate 0 and rate 100%", () => {
    expect(ok({ unitPriceFen: 100_00, quantity: 1, voucher: { ...general, rateBp: 0 } }).deductionFen).toBe(0);
    const full = ok({ unitPriceFen: 100_00, quantity: 3, voucher: { rateBp: 10_000, capFen: MONEY_MAX_FEN, availableFen: MONEY_MAX_FEN } });
    expect(full).toMatchObject({ orderFen: 300_00, deductionFen: 300_00, selfPayFen: 0, depositFen: 0, balanceFen: 0 });
    expect(orderAmounts({ unitPriceFen: 100_00, quantity: 1, voucher: { ...general, rateBp: 10_001 } })).toMatchObject({ ok: false, field: "voucher" });
    expect(orderAmounts({ unitPriceFen: 100_00, quantity: 1, voucher: { ...general, rateBp: -1 } })).toMatchObject({ ok: false, field: "voucher" });
  });
  it("rounds down to the fen, never up", () => {
    expect(ok({ unitPriceFen: 333, quantity: 1, voucher: { rateBp: 3000, capFen: 10_000, availableFen: 10_000 } }).deductionFen).toBe(99);
    expect(ok({ unitPriceFen: 1, quantity: 1, voucher: { rateBp: 5000, capFen: 10, availableFen: 10 } })).toMatchObject({
      deductionFen: 0,
      selfPayFen: 1,
    });
    // quantity multiplies first, then the rate: 3 x 333 = 999 fen x 30% = 299.7 -> 299
    expect(ok({ unitPriceFen: 333, quantity: 3, voucher: { rateBp: 3000, capFen: 10_000, availableFen: 10_000 } }).deductionFen).toBe(299);
  });
  it("is the vouchers module's deduction, for every case above (one implementation)", () => {
    for (const [price, rate, cap, avail] of [
      [100_000_00, 3000, 50_000_00, 80_000_00],
      [333, 3000, 10_000, 10_000],
      [1, 5000, 10, 10],
      [7_777_77, 2500, 1_000_00, 99_999],
    ] as const) {
      expect(ok({ unitPriceFen: price, quantity: 1, voucher: { rateBp: rate, capFen: cap, availableFen: avail } }).deductionFen).toBe(
        deduction(price, rate, cap, avail),
      );
    }
  });
  it("quantity > 1 and the cap", () => {
    expect(ok({ unitPriceFen: 80_000_00, quantity: 5, voucher: general })).toMatchObject({
      orderFen: 400_000_00,
      deductionFen: 50_000_00,
      selfPayFen: 350_000_00,
    });
  });
  it("huge amounts within MONEY_MAX_FEN stay exact; beyond are refused", () => {
    const max = ok({ unitPriceFen: MONEY_MAX_FEN, quantity: 1, voucher: { rateBp: 9999, capFen: MONEY_MAX_FEN, availableFen: MONEY_MAX_FEN } });
    expect(max.deductionFen).toBe(99_990_000_000);
    expect(max.selfPayFen).toBe(10_000_000);
    expect(max.deductionFen + max.selfPayFen).toBe(MONEY_MAX_FEN);
    expect(ok({ unitPriceFen: 100_000_000, quantity: 999 }).orderFen).toBe(99_900_000_000);
    expect(orderAmounts({ unitPriceFen: 1_000_000_000, quantity: 999 })).toEqual({
      ok: false,
      field: "quantity",
      error: "订单金额不能超过¥1,000,000,000.00",
    });
    expect(orderAmounts({ unitPriceFen: MONEY_MAX_FEN + 1, quantity: 1 })).toMatchObject({ ok: false, field: "unitPrice" });
  });
  it("refuses what is not whole fen or a whole quantity", () => {
    expect(orderAmounts({ unitPriceFen: 1.5, quantity: 1 })).toMatchObject({ ok: false, field: "unitPrice" });
    expect(orderAmounts({ unitPriceFen: -100, quantity: 1 })).toMatchObject({ ok: false, field: "unitPrice" });
    expect(orderAmounts({ unitPriceFen: 100, quantity: 0 })).toMatchObject({ ok: false, field: "quantity" });
    expect(orderAmounts({ unitPriceFen: 100, quantity: 1.5 })).toMatchObject({ ok: false, field: "quantity" });
    expect(orderAmounts({ unitPriceFen: 100, quantity: Number.NaN })).toMatchObject({ ok: false, field: "quantity" });
  });
  it("a contract amount replaces the order amount and the deduction follows it", () => {
    const v = ok({ unitPriceFen: 100_000_00, quantity: 1, contractFen: 120_000_00, voucher: general });
    expect(v).toMatchObject({ orderFen: 100_000_00, contractFen: 120_000_00, deductionFen: 36_000_00, selfPayFen: 84_000_00 });
    expect(ok({ unitPriceFen: 100_000_00, quantity: 1, contractFen: 10_000_00, voucher: general }).deductionFen).toBe(3_000_00);
    expect(orderAmounts({ unitPriceFen: 100, quantity: 1, contractFen: 0 })).toMatchObject({ ok: false, field: "contractAmount" });
    expect(orderAmounts({ unitPriceFen: 100, quantity: 1, contractFen: MONEY_MAX_FEN + 1 })).toMatchObject({ ok: false, field: "contractAmount" });
  });
  it("定金 + 尾款 = 企业自付, with 0 <= 定金 <= 企业自付", () => {
    const base = { unitPriceFen: 100_000_00, quantity: 1, voucher: general };
    expect(ok({ ...base, depositFen: 20_000_00 })).toMatchObject({ depositFen: 20_000_00, balanceFen: 50_000_00 });
    expect(ok({ ...base, depositFen: 70_000_00 })).toMatchObject({ depositFen: 70_000_00, balanceFen: 0 });
    expect(ok({ ...base, depositFen: 0 })).toMatchObject({ depositFen: 0, balanceFen: 70_000_00 });
    expect(orderAmounts({ ...base, depositFen: 70_000_01 })).toEqual({ ok: false, field: "deposit", error: "定金不能超过企业自付金额¥70,000.00" });
    expect(orderAmounts({ ...base, depositFen: -1 })).toMatchObject({ ok: false, field: "deposit" });
    expect(orderAmounts({ ...base, depositFen: 0.5 })).toMatchObject({ ok: false, field: "deposit" });
    for (const d of [0, 1, 12_345, 70_000_00]) {
      const v = ok({ ...base, depositFen: d });
      expect(v.depositFen + v.balanceFen).toBe(v.selfPayFen);
      expect(v.selfPayFen + v.deductionFen).toBe(v.contractFen);
    }
  });
  it("never negative, for a grid of inputs", () => {
    for (const price of [1, 99, 100_00, 123_456_78, MONEY_MAX_FEN / 1000])
      for (const q of [1, 2, 7, 999])
        for (const rate of [0, 1, 3000, 9999, 10_000])
          for (const avail of [-1, 0, 1, 10_000_00, MONEY_MAX_FEN]) {
            const r = orderAmounts({ unitPriceFen: price, quantity: q, voucher: { rateBp: rate, capFen: 50_000_00, availableFen: avail } });
            if (!r.ok) {
              expect(price * q).toBeGreaterThan(MONEY_MAX_FEN);
              continue;
            }
            const v = r.value;
            expect(v.deductionFen).toBeGreaterThanOrEqual(0);
            expect(v.deductionFen).toBeLessThanOrEqual(Math.min(v.contractFen, 50_000_00, Math.max(avail, 0)));
            expect(v.selfPayFen).toBeGreaterThanOrEqual(0);
            expect(Number.isSafeInteger(v.selfPayFen)).toBe(true);
          }
  });
});

describe("order numbers", () => {
  it("DD + the Asia/Shanghai date + at least 6 digits", () => {
    expect(formatOrderNumber(new Date("2025-03-14T02:00:00Z"), 42)).toBe("DD20250314000042");
    // 23:30 UTC is already the next day in Shanghai
    expect(formatOrderNumber(new Date("2025-03-14T16:30:00Z"), 1)).toBe("DD20250315000001");
    expect(formatOrderNumber(new Date("2025-12-31T15:59:59Z"), 1)).toBe("DD20251231000001");
    expect(formatOrderNumber(new Date("2025-03-14T02:00:00Z"), 12_345_678)).toBe("DD2025031412345678");
    expect(() => formatOrderNumber(new Date(), 0)).toThrow(RangeError);
    expect(() => formatOrderNumber(new Date(), 1.5)).toThrow(RangeError);
  });
  it("parses what it formats, and nothing else", () => {
    for (const seq of [1, 42, 999_999, 1_000_000, 12_345_678]) {
      const n = formatOrderNumber(new Date("2024-02-29T04:00:00Z"), seq);
      expect(parseOrderNumber(n)).toEqual({ date: "2024-02-29", sequence: seq });
    }
    expect(parseOrderNumber(" dd20250314000042 ")).toEqual({ date: "2025-03-14", sequence: 42 });
    for (const bad of [
      "",
      "DD",
      "DD20250314",
      "DD2025031400004",
      "XX20250314000042",
      "DD20250230000001",
      "DD20251301000001",
      "DD20250314000000",
      "DD202503140000042",
      "DD20250314abcdef",
    ]) {
      expect(parseOrderNumber(bad), bad).toBeUndefined();
    }
  });
});

describe("the idempotency key of 提交订单", () => {
  const id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  it("the same intent gives the same key; the next order another", () => {
    expect(submissionKey(id, 0)).toBe(submissionKey(id.toUpperCase(), 0));
    expect(submissionKey(id, 1)).not.toBe(submissionKey(id, 0));
    expect(parseSubmissionKey(submissionKey(id, 3))).toEqual({ productId: id, n: 3 });
  });
  it("refuses forged keys", () => {
    for (const bad of ["", id, `${id}#`, `${id}#-1`, `${id}#01`, `${id}#1#2`, `x${id}#1`, `${id}#1234567890`])
      expect(parseSubmissionKey(bad), bad).toBeUndefined();
  });
});

describe("the product snapshot", () => {
  const product = {
    productId: "p1",
    revisionId: "r1",
    title: "数字化转型诊断",
    category: "digital",
    providerId: "v1",
    providerName: "南宁某某科技有限公司",
    priceFen: 50_000_00,
    unit: "项",
    content: "诊断企业数字化水平",
    deliverables: "诊断报告一份",
    acceptance: "报告经企业确认",
    duration: "30天",
    extra: "not kept",
  };
  it("keeps title, provider, price, unit, content, 交付清单 and 验收标准, and nothing else", () => {
    const s = snapshotOf(product);
    expect(s).toEqual({
      productId: "p1",
      revisionId: "r1",
      title: "数字化转型诊断",
      category: "digital",
      provider: { id: "v1", name: "南宁某某科技有限公司" },
      unitPriceFen: 50_000_00,
      unit: "项",
      content: "诊断企业数字化水平",
      deliverables: "诊断报告一份",
      acceptance: "报告经企业确认",
      duration: "30天",
    });
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
  it("does not change when the product changes later", () => {
    const source = { ...product };
    const s = snapshotOf(source);
    source.title = "改名后的产品";
    source.priceFen = 1;
    expect(s.title).toBe("数字化转型诊断");
    expect(s.unitPriceFen).toBe(50_000_00);
  });
});

describe("contract versions", () => {
  const party = (name: string) => ({ name, creditCode: "91450100MA5KXXXX0X", legalName: "张三", address: "南宁市青秀区" });
  const content: ContractContent = {
    partyA: party("甲企业"),
    partyB: party("乙服务机构"),
    serviceContent: "数字化诊断",
    deliverables: "诊断报告",
    acceptance: "企业确认报告",
    contractFen: 100_000_00,
    depositFen: 20_000_00,
    serviceFrom: "2025-04-01",
    serviceTo: "2025-06-30",
    paymentTerms: "签订后支付定金，验收后支付尾款",
    liability: "按合同法承担",
    disputeResolution: "协商不成向南宁仲裁委员会申请仲裁",
    otherTerms: "",
  };
  const terms = { unitPriceFen: 100_000_00, quantity: 1, voucher: { rateBp: 3000, capFen: 50_000_00, availableFen: 80_000_00 } };

  it("a valid contract gives its amounts", () => {
    const r = checkContract(content, terms);
    expect(r.errors).toEqual({});
    expect(r.amounts).toMatchObject({
      contractFen: 100_000_00,
      deductionFen: 30_000_00,
      selfPayFen: 70_000_00,
      depositFen: 20_000_00,
      balanceFen: 50_000_00,
    });
  });
  it("refuses 定金 above 企业自付, dates out of order, missing texts and over-long ones", () => {
    expect(checkContract({ ...content, depositFen: 70_000_01 }, terms).errors).toEqual({ depositFen: "定金不能超过企业自付金额¥70,000.00" });
    expect(checkContract({ ...content, serviceTo: "2025-03-31" }, terms).errors).toEqual({ serviceTo: "服务期限结束日期不能早于开始日期" });
    expect(checkContract({ ...content, serviceFrom: "2025-02-30" }, terms).errors).toEqual({ serviceFrom: "请填写服务期限开始日期" });
    expect(checkContract({ ...content, liability: " " }, terms).errors).toEqual({ liability: "请填写违约责任" });
    expect(checkContract({ ...content, otherTerms: "字".repeat(2001) }, terms).errors).toEqual({ otherTerms: "其他约定不能超过2000个字" });
    expect(checkContract({ ...content, contractFen: 0 }, terms).errors.contractFen).toMatch(/合同金额/);
    expect(checkContract({ ...content, partyB: { ...party(""), creditCode: "" } }, terms).errors).toEqual({
      partyB: "乙方信息不完整，请先完成企业信息认证",
    });
    expect(checkContract({ ...content, depositFen: 1 }, terms).amounts).toBeDefined();
  });
  it("only 待制定合同 is editable, never a submitted version; an agreed one only through a new version", () => {
    expect(contractEditable("contract_drafting", { status: "draft" })).toEqual({ ok: true });
    expect(contractEditable("contract_drafting", undefined)).toEqual({ ok: true });
    expect(contractEditable("contract_drafting", { status: "returned" })).toEqual({ ok: true });
    expect(contractEditable("contract_signing", { status: "agreed" })).toEqual({ ok: false, message: "合同已同意，不能修改" });
    // back in 待制定合同 after 拒签: the agreed version stays as it is, the provider writes the next one
    expect(contractEditable("contract_drafting", { status: "agreed" })).toEqual({ ok: true });
    expect(contractEditable("awaiting_deposit", { status: "agreed" })).toEqual({ ok: false, message: "合同已同意，不能修改" });
    expect(contractEditable("contract_review", { status: "submitted" })).toEqual({ ok: false, message: "订单当前状态为“待确认合同”，不能修改合同" });
    expect(contractEditable("contract_drafting", { status: "submitted" })).toEqual({ ok: false, message: "该版本合同已提交，不能修改" });
    for (const s of ORDER_STATUSES.filter((x) => x !== "contract_drafting")) expect(contractEditable(s, { status: "draft" }).ok, s).toBe(false);
  });
  it("a new version after 退回修改 (or 拒签), as a copy; a draft is edited in place; a submitted one refuses", () => {
    expect(nextVersion(undefined, content)).toEqual({ create: true, version: 1, content });
    expect(nextVersion({ version: 1, status: "draft", content }, content)).toMatchObject({ create: false, version: 1 });
    const next = nextVersion({ version: 2, status: "returned", content }, content);
    expect(next).toMatchObject({ create: true, version: 3, content });
    next.content.partyA.name = "changed";
    expect(content.partyA.name).toBe("甲企业");
    expect(() => nextVersion({ version: 1, status: "submitted", content }, content)).toThrow();
    const afterRefusal = nextVersion({ version: 4, status: "agreed", content }, content);
    expect(afterRefusal).toMatchObject({ create: true, version: 5, content });
    expect(afterRefusal.content).not.toBe(content);
  });
  it("version statuses follow 提交企业确认, 退回修改 and 同意", () => {
    expect(versionAfter("draft", "submit_contract")).toBe("submitted");
    expect(versionAfter("submitted", "return_contract")).toBe("returned");
    expect(versionAfter("submitted", "agree_contract")).toBe("agreed");
    for (const v of ["submitted", "returned", "agreed"] as const) expect(versionAfter(v, "submit_contract"), v).toBeUndefined();
    for (const v of ["draft", "returned", "agreed"] as const) {
      expect(versionAfter(v, "agree_contract"), v).toBeUndefined();
      expect(versionAfter(v, "return_contract"), v).toBeUndefined();
    }
  });
  it("the canonical text is stable: key order, Unicode form and line ends do not change it; any field does", () => {
    const reordered = Object.fromEntries(Object.entries(content).reverse()) as ContractContent;
    expect(canonicalContract(reordered)).toBe(canonicalContract(content));
    expect(canonicalContract({ ...content, liability: "按合同法承担".normalize("NFD") })).toBe(canonicalContract(content));
    expect(canonicalContract({ ...content, otherTerms: "a\r\nb" })).toBe(canonicalContract({ ...content, otherTerms: "a\nb" }));
    expect(canonicalContract({ ...content, depositFen: 20_000_01 })).not.toBe(canonicalContract(content));
    expect(canonicalContract({ ...content, partyB: { ...content.partyB, address: "柳州" } })).not.toBe(canonicalContract(content));
  });
  it("the diff names each changed field with its label and shows money as ¥", () => {
    expect(diffContract(content, content)).toEqual([]);
    const next = { ...content, contractFen: 90_000_00, partyB: { ...content.partyB, address: "柳州市" }, otherTerms: "无" };
    expect(diffContract(content, next)).toEqual([
      { field: "partyB.address", label: "乙方地址", before: "南宁市青秀区", after: "柳州市" },
      { field: "contractFen", label: "合同金额", before: "¥100,000.00", after: "¥90,000.00" },
      { field: "otherTerms", label: "其他约定", before: "", after: "无" },
    ]);
  });
  it("lists the changes in the form's order whatever order the stored keys come back in (jsonb sorts them)", () => {
    const next = { ...content, depositFen: 0, contractFen: 90_000_00 };
    const shuffled = Object.fromEntries(Object.entries(next).sort(([a], [b]) => a.length - b.length || (a < b ? -1 : 1))) as ContractContent;
    expect(diffContract(content, shuffled).map((d) => d.label)).toEqual(["合同金额", "定金"]);
  });
  it("the first version starts from the order's snapshot and terms, both parties and the standard clauses", () => {
    const first = initialContract(
      { contractFen: 8_000_00, depositFen: 0, snapshot: { content: "检测", deliverables: "报告", acceptance: "一致" } },
      party("甲"),
      party("乙"),
    );
    expect(first).toMatchObject({
      serviceContent: "检测",
      deliverables: "报告",
      acceptance: "一致",
      contractFen: 8_000_00,
      depositFen: 0,
      serviceFrom: "",
    });
    expect(first.partyA.name).toBe("甲");
    // Without 服务期限 it cannot be submitted yet; with it, it can.
    expect(checkContract(first, { unitPriceFen: 8_000_00, quantity: 1 }).errors).toEqual({
      serviceFrom: "请填写服务期限开始日期",
      serviceTo: "请填写服务期限结束日期",
    });
    expect(checkContract({ ...first, serviceFrom: "2026-12-01", serviceTo: "2026-12-31" }, { unitPriceFen: 8_000_00, quantity: 1 }).errors).toEqual({});
    expect(visibleToEnterprise({ status: "draft" })).toBe(false);
    for (const status of ["submitted", "returned", "agreed"] as const) expect(visibleToEnterprise({ status })).toBe(true);
  });
});
