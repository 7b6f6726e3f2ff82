import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE_PDF, type Browser } from "../support/client.ts";
import { signIn, signInAdmin } from "../support/flows.ts";
import { smsAbout, statusOf } from "../support/orders.ts";
import { mockPayOf, payOnCashier as pay, signedOrder } from "../support/payments.ts";
import { type SigningWorld, signingWorld } from "../support/signing.ts";

/**
 * 协商终止 and refunds (docs/payments.md "Termination and refunds"): one party proposes with a reason
 * and the part of what was paid that goes back, the other agrees (-> 已终止: the voucher released or
 * the consumed amount returned, refunds through the channel, 退款中 until its signed notification,
 * then 退款到账) or rejects; the proposer withdraws; an operator terminates a dispute with a refund
 * split; a payment confirmed after the order ended is refunded in full.
 */
let w: SigningWorld;
beforeAll(async () => {
  w = await signingWorld();
}, 120_000);
afterAll(async () => w?.t.close());

const _mt = (html: string) => html.match(/name="_mt" value="([^"]+)"/)![1]!;
const version = (html: string) => html.match(/name="version" value="(\d+)"/)![1]!;
const lines = async (orderId: string) =>
  (
    await w.t.deps.db.query<{ kind: string; amount_fen: string }>("select kind, amount_fen::text from order_money_lines where order_id = $1 order by id", [
      orderId,
    ])
  ).map((l) => [l.kind, Number(l.amount_fen)] as const);
const refunds = (orderId: string) =>
  w.t.deps.db.query<{ refund_no: string; amount_fen: string; status: string; cause: string }>(
    "select refund_no, amount_fen::text, status, cause from refunds where order_id = $1 order by created_at, refund_no",
    [orderId],
  );
const terminations = (orderId: string) =>
  w.t.deps.db.query<{ status: string; proposed_by: string; refund_fen: string }>(
    "select status, proposed_by, refund_fen::text from order_terminations where order_id = $1 order by created_at",
    [orderId],
  );

const payOnCashier = (b: Browser, orderId: string, kind: "deposit" | "balance") => pay(w, b, orderId, kind);
/** The bank completes what it holds (refunds) and its notifications are delivered. */
const bankSettles = async () => {
  await mockPayOf(w).settleDue();
  await mockPayOf(w).deliverDue();
};

/** An order whose 定金 (¥800) is paid: 待开始服务. */
async function paidDeposit() {
  const id = await signedOrder(w);
  const ent = await signIn(w.t, "13800000001");
  await payOnCashier(ent, id, "deposit");
  await mockPayOf(w).deliverDue();
  expect(await statusOf(w.t, id)).toBe("awaiting_start");
  return { id, ent, pro: await signIn(w.t, "13800000008") };
}

describe("协商终止", () => {
  it("the enterprise proposes (bad input 422, nothing written), the provider rejects, a new proposal is agreed: 已终止, 退款中, then 退款到账", async () => {
    const { id, ent, pro } = await paidDeposit();
    const number = (await w.t.deps.orders.orderNumberOf(id))!;
    await ent.get(`/me/orders/${id}`);
    expect(ent.lastHtml).toContain(`href="/me/orders/${id}/terminate">协商终止</a>`);
    expect(ent.lastHtml).toContain("支付状态：<strong>定金已付</strong>");
    await ent.get(`/me/orders/${id}/terminate`);
    expect(ent.lastHtml).toMatch(/<label for="f-reason">终止原因<\/label>/);
    expect(ent.lastHtml).toMatch(/<label for="f-refund">退还企业金额（元）<\/label>/);
    expect(ent.lastHtml).toContain('value="800"');
    const v = version(ent.lastHtml);
    expect((await ent.post(`/me/orders/${id}/terminate`, { reason: "", refund: "800", version: v })).status).toBe(422);
    expect(ent.lastHtml).toContain("请填写终止原因");
    expect((await ent.post(`/me/orders/${id}/terminate`, { reason: "项目取消", refund: "800.01", version: v })).status).toBe(422);
    expect(ent.lastHtml).toContain("退还金额不能超过企业已支付的¥800.00");
    expect((await ent.post(`/me/orders/${id}/terminate`, { reason: "项目取消", refund: "-1", version: v })).status).toBe(422);
    expect((await ent.post(`/me/orders/${id}/terminate`, { reason: "项目取消", refund: "abc", version: v })).status).toBe(422);
    expect((await ent.post(`/me/orders/${id}/terminate`, { reason: "项目取消", refund: "800", version: String(Number(v) - 1) })).status).toBe(409);
    expect(await terminations(id)).toEqual([]);

    // Another enterprise cannot propose on it, nor see it.
    const other = await signIn(w.t, "13800000002");
    expect((await other.get(`/me/orders/${id}/terminate`)).status).toBe(404);
    expect((await other.post(`/me/orders/${id}/terminate`, { reason: "项目取消", refund: "800", version: v })).status).toBe(404);

    expect((await ent.post(`/me/orders/${id}/terminate`, { reason: "项目取消，双方协商一致", refund: "800", version: v })).status).toBe(303);
    expect((await smsAbout(w.t, number)).some((m) => m.text.includes("企业申请协商终止订单"))).toBe(true);
    // A second proposal while one is open: 409.
    expect((await ent.post(`/me/orders/${id}/terminate`, { reason: "再次申请", refund: "800", version: v })).status).toBe(409);
    // The proposer cannot agree to its own proposal.
    expect((await ent.post(`/me/orders/${id}/termination/agree`, {})).status).toBe(403);
    await ent.get(`/me/orders/${id}`);
    expect(ent.lastHtml).toContain("等待服务机构确认");
    expect(ent.lastHtml).toContain(">撤回申请</button>");

    await pro.get(`/provider/orders/${id}`);
    expect(pro.lastHtml).toContain("项目取消，双方协商一致");
    expect(pro.lastHtml).toContain(">同意终止</button>");
    expect(pro.lastHtml).toMatch(/<label for="f-response">拒绝原因（选填）<\/label>/);
    expect((await pro.post(`/provider/orders/${id}/termination/reject`, { response: "检测已开始备样，希望继续履约" })).status).toBe(303);
    expect(await statusOf(w.t, id)).toBe("awaiting_start");
    expect((await smsAbout(w.t, number)).some((m) => m.text.includes("协商终止申请已被服务机构拒绝"))).toBe(true);
    await ent.get(`/me/orders/${id}`);
    expect(ent.lastHtml).toContain("检测已开始备样，希望继续履约");

    // A new proposal with part of the deposit back (the provider keeps ¥300 for the work done), agreed.
    await ent.get(`/me/orders/${id}/terminate`);
    expect(
      (await ent.post(`/me/orders/${id}/terminate`, { reason: "项目取消，扣除备样费用", refund: "500", version: version(ent.lastHtml) })).status,
    ).toBe(303);
    expect((await pro.post(`/provider/orders/${id}/termination/agree`, {})).status).toBe(303);
    expect(await statusOf(w.t, id)).toBe("terminated");
    expect((await terminations(id)).map((t) => t.status)).toEqual(["rejected", "agreed"]);
    const [r] = await refunds(id);
    expect(r).toMatchObject({ amount_fen: "50000", status: "processing", cause: "termination" });
    await ent.get(`/me/orders/${id}`);
    expect(ent.lastHtml).toContain("订单状态：已终止");
    expect(ent.lastHtml).toContain("支付状态：<strong>退款中</strong>");
    expect(ent.lastHtml).toContain("补贴券额度退回");

    // The bank refunds; its notification (delivered twice) writes one money line.
    mockPayOf(w).setDelivery({ duplicates: true });
    try {
      await bankSettles();
    } finally {
      mockPayOf(w).setDelivery({ duplicates: false });
    }
    expect((await refunds(id))[0]!.status).toBe("succeeded");
    const money = await lines(id);
    expect(money.filter(([k]) => k === "refund")).toEqual([["refund", 50_000]]);
    expect(money.map(([k]) => k)).toEqual(["voucher_reserved", "deposit_paid", "voucher_released", "refund"]);
    await ent.get(`/me/orders/${id}`);
    expect(ent.lastHtml).toContain("支付状态：<strong>部分退款</strong>");
    expect(ent.lastHtml).toContain("退款到账");
    expect((await smsAbout(w.t, number)).some((m) => m.text.includes("退款已原路退回"))).toBe(true);
    // Nothing more to do on a terminated order.
    expect((await pro.post(`/provider/orders/${id}/termination/agree`, {})).status).toBe(409);
  });

  it("before anything is paid the provider proposes without a refund field and withdraws; only the proposer withdraws", async () => {
    const id = await signedOrder(w);
    const pro = await signIn(w.t, "13800000008");
    const ent = await signIn(w.t, "13800000001");
    await pro.get(`/provider/orders/${id}/terminate`);
    expect(pro.lastHtml).not.toContain("退还企业金额");
    expect(
      (await pro.post(`/provider/orders/${id}/terminate`, { reason: "检测设备故障，无法按期服务", refund: "10", version: version(pro.lastHtml) })).status,
    ).toBe(422);
    await pro.get(`/provider/orders/${id}/terminate`);
    expect((await pro.post(`/provider/orders/${id}/terminate`, { reason: "检测设备故障，无法按期服务", version: version(pro.lastHtml) })).status).toBe(
      303,
    );
    await ent.get(`/me/orders/${id}`);
    expect(ent.lastHtml).toContain(">同意终止</button>");
    expect((await ent.post(`/me/orders/${id}/termination/withdraw`, {})).status).toBe(409);
    await pro.get(`/provider/orders/${id}`);
    expect((await pro.post(`/provider/orders/${id}/termination/withdraw`, {})).status).toBe(303);
    expect((await terminations(id)).map((t) => t.status)).toEqual(["withdrawn"]);
    expect(await statusOf(w.t, id)).toBe("awaiting_deposit");
    // Another provider's account (an enterprise that is no provider of it) gets 403/404.
    const stranger = await signIn(w.t, "13800000002");
    expect([403, 404]).toContain((await stranger.get(`/provider/orders/${id}/terminate`)).status);
  });

  it("a payment confirmed after the order was terminated is recorded and refunded in full; the lines add up to nothing", async () => {
    const id = await signedOrder(w);
    const ent = await signIn(w.t, "13800000001");
    const pro = await signIn(w.t, "13800000008");
    mockPayOf(w).setDelivery({ late: true });
    try {
      await payOnCashier(ent, id, "deposit");
      expect(await statusOf(w.t, id)).toBe("awaiting_deposit");
      // Nothing confirmed yet: no refund asked for.
      await pro.get(`/provider/orders/${id}/terminate`);
      expect((await pro.post(`/provider/orders/${id}/terminate`, { reason: "企业要求终止", version: version(pro.lastHtml) })).status).toBe(303);
      await ent.get(`/me/orders/${id}`);
      expect(ent.lastHtml).toContain("支付处理中");
      expect((await ent.post(`/me/orders/${id}/termination/agree`, {})).status).toBe(303);
      expect(await statusOf(w.t, id)).toBe("terminated");
    } finally {
      mockPayOf(w).setDelivery({ late: false });
    }
    await mockPayOf(w).releaseHeld();
    await mockPayOf(w).deliverDue();
    const [r] = await refunds(id);
    expect(r).toMatchObject({ amount_fen: "80000", cause: "late_payment" });
    await bankSettles();
    expect((await refunds(id))[0]!.status).toBe("succeeded");
    const money = await lines(id);
    expect(money.map(([k]) => k)).toEqual(["voucher_reserved", "voucher_released", "deposit_paid", "refund"]);
    await ent.get(`/me/orders/${id}`);
    expect(ent.lastHtml).toContain("支付状态：<strong>已退款</strong>");
  });

  it("同意终止 racing the deposit's notification ends consistent either way (5 rounds)", async () => {
    const ent = await signIn(w.t, "13800000001");
    const pro = await signIn(w.t, "13800000008");
    for (let round = 0; round < 5; round++) {
      const id = await signedOrder(w);
      mockPayOf(w).setDelivery({ late: true });
      try {
        await payOnCashier(ent, id, "deposit");
        await pro.get(`/provider/orders/${id}/terminate`);
        expect((await pro.post(`/provider/orders/${id}/terminate`, { reason: "企业要求终止", version: version(pro.lastHtml) })).status).toBe(303);
        await ent.get(`/me/orders/${id}`);
      } finally {
        mockPayOf(w).setDelivery({ late: false });
      }
      const [agreed] = await Promise.all([ent.post(`/me/orders/${id}/termination/agree`, {}), mockPayOf(w).releaseHeld()]);
      await mockPayOf(w).deliverDue();
      await bankSettles();
      const status = await statusOf(w.t, id);
      const money = await lines(id);
      const sum = (k: string) => money.filter(([x]) => x === k).reduce((n, [, a]) => n + a, 0);
      if (agreed.status === 303) {
        // Terminated first: the late deposit is recorded and refunded in full.
        expect(status).toBe("terminated");
        expect(sum("deposit_paid")).toBe(80_000);
        expect(sum("refund")).toBe(80_000);
      } else {
        // The deposit came first: the proposal (made on nothing paid) lapsed and the order goes on.
        expect(agreed.status).toBe(409);
        expect(status).toBe("awaiting_start");
        expect((await terminations(id)).map((t) => t.status)).toEqual(["lapsed"]);
        expect(sum("refund")).toBe(0);
      }
      expect((await refunds(id)).filter((r) => r.status !== "succeeded")).toEqual([]);
    }
  });

  it("in 待评价 (voucher consumed) a termination returns the consumed amount and splits the refund over 尾款 then 定金", async () => {
    const { id, ent, pro } = await paidDeposit();
    await pro.get(`/provider/orders/${id}`);
    await pro.post(`/provider/orders/${id}/start`, { version: version(pro.lastHtml) });
    await pro.get(`/provider/orders/${id}/complete`);
    await pro.postMultipart(
      `/provider/orders/${id}/complete`,
      { version: version(pro.lastHtml), summary: "已完成" },
      { files: { name: "报告.pdf", bytes: SAMPLE_PDF, type: "application/pdf" } },
    );
    await payOnCashier(ent, id, "balance");
    await mockPayOf(w).deliverDue();
    expect(await statusOf(w.t, id)).toBe("awaiting_review");
    const [o] = await w.t.deps.db.query<{ self_pay_fen: string; deposit_fen: string; deduction_fen: string }>(
      "select self_pay_fen::text, deposit_fen::text, deduction_fen::text from orders where id = $1",
      [id],
    );
    const balance = Number(o!.self_pay_fen) - Number(o!.deposit_fen);
    const refund = balance + 10_000;
    await ent.get(`/me/orders/${id}/terminate`);
    expect(
      (await ent.post(`/me/orders/${id}/terminate`, { reason: "检测报告不被认可", refund: String(refund / 100), version: version(ent.lastHtml) })).status,
    ).toBe(303);
    expect((await pro.post(`/provider/orders/${id}/termination/agree`, {})).status).toBe(303);
    expect(await statusOf(w.t, id)).toBe("terminated");
    const rs = await refunds(id);
    expect(rs.map((r) => [r.refund_no.includes("B1R") ? "balance" : "deposit", Number(r.amount_fen)])).toEqual([
      ["balance", balance],
      ["deposit", 10_000],
    ]);
    await bankSettles();
    const money = await lines(id);
    expect(money.find(([k]) => k === "voucher_refunded")?.[1]).toBe(Number(o!.deduction_fen));
    const sum = (k: string) => money.filter(([x]) => x === k).reduce((n, [, a]) => n + a, 0);
    expect(sum("refund")).toBe(refund);
    expect(sum("deposit_paid") + sum("balance_paid")).toBe(Number(o!.self_pay_fen));
  });
});

describe("an operator's termination of a dispute", () => {
  it("with a refund split (above what was paid: 422), audited; finance may not", async () => {
    const { id, ent, pro } = await paidDeposit();
    await pro.get(`/provider/orders/${id}`);
    await pro.post(`/provider/orders/${id}/start`, { version: version(pro.lastHtml) });
    await pro.get(`/provider/orders/${id}/complete`);
    await pro.postMultipart(
      `/provider/orders/${id}/complete`,
      { version: version(pro.lastHtml), summary: "已完成" },
      { files: { name: "报告.pdf", bytes: SAMPLE_PDF, type: "application/pdf" } },
    );
    await ent.get(`/me/orders/${id}/dispute`);
    expect((await ent.post(`/me/orders/${id}/dispute`, { reason: "报告缺少数据", version: version(ent.lastHtml) })).status).toBe(303);
    const op = await signInAdmin(w.t, "operator");
    await op.get(`/admin/orders/${id}/close`);
    expect(op.lastHtml).toMatch(/<label for="f-refund">退还企业金额（元）<\/label>/);
    const v = version(op.lastHtml);
    expect((await op.post(`/admin/orders/${id}/close`, { reason: "经核实服务部分完成", refund: "900", version: v })).status).toBe(422);
    expect(op.lastHtml).toContain("退还金额不能超过企业已支付的¥800.00");
    const finance = await signInAdmin(w.t, "finance");
    expect((await finance.post(`/admin/orders/${id}/close`, { reason: "经核实服务部分完成", refund: "300", version: v })).status).toBe(403);
    expect(await statusOf(w.t, id)).toBe("disputed");
    expect((await op.post(`/admin/orders/${id}/close`, { reason: "经核实服务部分完成，退还300元", refund: "300", version: v })).status).toBe(303);
    expect(await statusOf(w.t, id)).toBe("terminated");
    expect(await terminations(id)).toEqual([{ status: "decided", proposed_by: "operator", refund_fen: "30000" }]);
    const [audit] = await w.t.deps.db.query<{ data: { refundFen: number } }>(
      "select data from audit_events where entity_id = $1 and action = 'order_closed'",
      [id],
    );
    expect(audit!.data.refundFen).toBe(30_000);
    await bankSettles();
    await op.get(`/admin/orders/${id}`);
    expect(op.lastHtml).toContain("支付状态：<strong>部分退款</strong>");
    expect((await refunds(id)).map((r) => [r.status, r.amount_fen])).toEqual([["succeeded", "30000"]]);
  });
});

describe("尾款 reminders", () => {
  it("remind the enterprise 3 days after 完成服务 and every 3 days after, never on the days between", async () => {
    const { id, pro } = await paidDeposit();
    await pro.get(`/provider/orders/${id}`);
    await pro.post(`/provider/orders/${id}/start`, { version: version(pro.lastHtml) });
    await pro.get(`/provider/orders/${id}/complete`);
    await pro.postMultipart(
      `/provider/orders/${id}/complete`,
      { version: version(pro.lastHtml), summary: "已完成" },
      { files: { name: "报告.pdf", bytes: SAMPLE_PDF, type: "application/pdf" } },
    );
    expect(await statusOf(w.t, id)).toBe("awaiting_balance");
    const number = (await w.t.deps.orders.orderNumberOf(id))!;
    const reminders = async () => (await smsAbout(w.t, number)).filter((m) => m.text.includes("尾款尚未支付")).length;
    // Entered 待支付尾款 so many days ago (the test moves the fact back; the job reads only it).
    const ago = (days: number, hours = 1) =>
      w.t.deps.db.query("update orders set updated_at = now() - make_interval(days => $2, hours => $3) where id = $1", [id, days, hours]);
    await w.t.deps.orders.remindBalance();
    expect(await reminders()).toBe(0);
    await ago(3);
    await w.t.deps.orders.remindBalance();
    expect(await reminders()).toBe(1);
    await ago(4);
    await w.t.deps.orders.remindBalance();
    expect(await reminders()).toBe(1);
    await ago(6);
    await w.t.deps.orders.remindBalance();
    expect(await reminders()).toBe(2);
  });
});
