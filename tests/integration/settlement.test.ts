import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE_PDF, SAMPLE_PNG, type Browser } from "../support/client.ts";
import { signIn, signInAdmin } from "../support/flows.ts";
import { completedOrder as completed, mockPayOf, registerBankAccount } from "../support/payments.ts";
import { type SigningWorld, signingWorld } from "../support/signing.ts";

/**
 * 兑付 (docs/settlement.md): the provider's 申请兑付 of completed orders with the invoice and the
 * acceptance report, finance's review (抽查, 补充材料, 审核通过 under the yearly cap, 驳回), 兑付公示
 * with an objection through 我要留言, and 拨付 through the payment channel whose signed notice moves
 * the ledger from consumed to settled once.
 */
let w: SigningWorld;
// The yearly 通用券 cap of ¥3,000: one ¥2,400 deduction fits, two do not.
beforeAll(async () => {
  w = await signingWorld({ env: { SETTLEMENT_GENERAL_CAP_YUAN: "3000", SETTLEMENT_PUBLICITY_DAYS: "5" } });
}, 120_000);
afterAll(async () => w?.t.close());

const version = (html: string) => html.match(/name="version" value="(\d+)"/)![1]!;
const PDF = { name: "发票.pdf", bytes: SAMPLE_PDF, type: "application/pdf" };
const PNG = { name: "验收报告.png", bytes: SAMPLE_PNG, type: "image/png" };
const row = async (id: string) =>
  (await w.t.deps.db.query<{ status: string; number: string }>("select status, number from settlements where id = $1", [id]))[0]!;

const completedOrder = () => completed(w);
const yuanOf = (fen: number) => (fen / 100).toFixed(2);

/** 申请兑付 through the page; the new application's id. */
async function apply(pro: Browser, orders: string[], invoiceFen: number) {
  await pro.get("/provider/settlements/new");
  const res = await pro.postMultipart("/provider/settlements", { orders, invoiceAmount: yuanOf(invoiceFen) }, { invoice: PDF, acceptance: PNG });
  expect(res.status, pro.lastHtml.slice(0, 3000)).toBe(303);
  return res.headers.get("Location")!.split("/").pop()!;
}

describe("兑付", () => {
  /** Each test starts from a provider year with nothing approved (the cap is small on purpose). */
  const freshYear = () => w.t.deps.db.query("update settlement_year_totals set approved_fen = 0");

  it("申请兑付 (bad input 422, nothing written) -> 抽查 -> 补充材料 -> 审核通过 -> 公示 -> 待拨付 -> 拨付 -> 已拨付, the ledger settled once", async () => {
    await freshYear();
    const order = await completedOrder();
    const pro = await signIn(w.t, "13800000008");
    await pro.get("/provider");
    expect(pro.lastHtml).toContain('href="/provider/settlements">兑付管理</a>');
    await pro.get("/provider/settlements/new");
    expect(pro.lastHtml).toContain(`value="${order.id}"`);
    expect(pro.lastHtml).toMatch(/<label for="f-invoiceAmount">发票金额（元）<\/label>/);
    expect(pro.lastHtml).toMatch(/<label for="f-invoice">发票<\/label>/);
    expect(pro.lastHtml).toMatch(/<label for="f-acceptance">验收报告<\/label>/);
    const count = async () => Number((await w.t.deps.db.query<{ n: number }>("select count(*)::int as n from settlements"))[0]!.n);
    const before = await count();
    const bad = async (fields: Record<string, string | string[]>, files: Record<string, typeof PDF>, text: string) => {
      await pro.get("/provider/settlements/new");
      expect((await pro.postMultipart("/provider/settlements", fields, files)).status).toBe(422);
      expect(pro.lastHtml).toContain(text);
    };
    await bad({ invoiceAmount: yuanOf(order.contractFen) }, { invoice: PDF, acceptance: PNG }, "请选择要兑付的订单");
    await bad(
      { orders: [order.id], invoiceAmount: yuanOf(order.contractFen - 1) },
      { invoice: PDF, acceptance: PNG },
      "发票金额应与所选订单的合同金额合计",
    );
    await bad({ orders: [order.id], invoiceAmount: yuanOf(order.contractFen) }, { invoice: PDF }, "请上传验收报告");
    await bad({ orders: [order.id], invoiceAmount: "abc" }, { invoice: PDF, acceptance: PNG }, "发票金额格式不正确");
    expect(await count()).toBe(before);
    // An enterprise that is no provider may not apply.
    const ent = await signIn(w.t, "13800000001");
    expect((await ent.get("/provider/settlements/new")).status).toBe(403);

    await pro.get(`/provider/orders/${order.id}`);
    expect(pro.lastHtml).toContain('未申请 · <a href="/provider/settlements/new">申请兑付</a>');
    const id = await apply(pro, [order.id], order.contractFen);
    expect((await row(id)).status).toBe("pending");
    // The order is held: it is no longer offered, and a second application is refused.
    await pro.get("/provider/settlements/new");
    expect(pro.lastHtml).not.toContain(`value="${order.id}"`);
    expect(
      (
        await pro.postMultipart(
          "/provider/settlements",
          { orders: [order.id], invoiceAmount: yuanOf(order.contractFen) },
          { invoice: PDF, acceptance: PNG },
        )
      ).status,
    ).toBe(409);
    // Another provider does not see it.
    const other = await signIn(w.t, "13800000007");
    expect((await other.get(`/provider/settlements/${id}`)).status).toBe(404);

    // Finance: the checklist; 抽查; the provider adds evidence; 审核通过.
    const finance = await signInAdmin(w.t, "finance");
    await finance.get(`/admin/settlements/${id}`);
    expect(finance.lastHtml).toContain("✓ 符合：发票金额与合同金额一致");
    expect(finance.lastHtml).toContain("✓ 符合：企业自付部分已从对公账户支付");
    expect(finance.lastHtml).toContain("✓ 符合：已签署合同的文件摘要齐全");
    expect((await finance.post(`/admin/settlements/${id}/spot-check`, { note: "", version: version(finance.lastHtml) })).status).toBe(422);
    await finance.get(`/admin/settlements/${id}`);
    expect((await finance.post(`/admin/settlements/${id}/spot-check`, { note: "请提供现场检测照片", version: version(finance.lastHtml) })).status).toBe(
      303,
    );
    await pro.get(`/provider/settlements/${id}`);
    expect(pro.lastHtml).toContain("请提供现场检测照片");
    expect((await pro.postMultipart(`/provider/settlements/${id}/supplement`, { version: version(pro.lastHtml) }, {})).status).toBe(422);
    await pro.get(`/provider/settlements/${id}`);
    expect((await pro.postMultipart(`/provider/settlements/${id}/supplement`, { version: version(pro.lastHtml) }, { evidence: PNG })).status).toBe(303);
    expect((await row(id)).status).toBe("pending");
    // Operators read but do not approve; reviewers do not read.
    const op = await signInAdmin(w.t, "operator");
    await op.get(`/admin/settlements/${id}`);
    expect(op.lastHtml).not.toContain(">审核通过</button>");
    expect((await op.post(`/admin/settlements/${id}/approve`, {})).status).toBe(403);
    const reviewer = await signInAdmin(w.t, "reviewer");
    expect([302, 303, 403]).toContain((await reviewer.get(`/admin/settlements/${id}`)).status);
    await finance.get(`/admin/settlements/${id}`);
    expect((await finance.post(`/admin/settlements/${id}/approve`, { version: version(finance.lastHtml) })).status).toBe(303);
    expect((await row(id)).status).toBe("publicising");

    // 兑付公示: public, the enterprise masked.
    const visitor = new (await import("../support/client.ts")).Browser(w.t);
    await visitor.get("/settlements/publicity");
    const number = (await row(id)).number;
    expect(visitor.lastHtml).toContain(number);
    expect(visitor.lastHtml).toContain("**");
    expect(visitor.lastHtml).toContain(`¥${(order.deductionFen / 100).toLocaleString("en-US", { minimumFractionDigits: 2 })}`);

    // The publicity ends (the job): 待拨付.
    await w.t.deps.db.query("update settlements set publicity_until = now() - interval '1 minute' where id = $1", [id]);
    expect(await w.t.deps.settlement.endPublicity()).toBe(1);
    expect((await row(id)).status).toBe("awaiting_payout");

    // 拨付: finance only; the bank pays, its notice (duplicated) settles once.
    await op.get("/admin/settlements/payouts");
    expect((await op.post("/admin/settlements/payouts", { settlements: id })).status).toBe(403);
    await finance.get("/admin/settlements/payouts");
    expect(finance.lastHtml).toContain(number);
    expect((await finance.post("/admin/settlements/payouts", { settlements: id })).status).toBe(303);
    expect((await row(id)).status).toBe("paying");
    mockPayOf(w).setDelivery({ duplicates: true });
    try {
      await mockPayOf(w).settleDue();
      await mockPayOf(w).deliverDue();
    } finally {
      mockPayOf(w).setDelivery({ duplicates: false });
    }
    expect((await row(id)).status).toBe("paid");
    // 100 replays of the payout's success (other notification ids, as a channel's retries and queries) change nothing.
    const payoutNo = (await w.t.deps.db.query<{ payout_no: string }>("select payout_no from settlements where id = $1", [id]))[0]!.payout_no;
    for (let i = 0; i < 100; i++) {
      await w.t.deps.payments.handle(
        { type: "payout.succeeded", eventId: `replay-${i}`, occurredAt: new Date(), payoutNo, amountFen: order.deductionFen },
        null,
      );
    }
    const [acc] = await w.t.deps.db.query<{ consumed: string; settled: string }>(
      "select consumed_fen::text as consumed, settled_fen::text as settled from voucher_accounts where id = $1",
      [order.accountId],
    );
    const settles = await w.t.deps.db.query<{ n: number }>("select count(*)::int as n from voucher_ledger where kind = 'settle' and order_id = $1", [
      order.id,
    ]);
    expect(settles[0]!.n).toBe(1);
    expect(Number(acc!.settled)).toBeGreaterThanOrEqual(order.deductionFen);
    const lines = await w.t.deps.db.query<{ n: number }>(
      "select count(*)::int as n from order_money_lines where kind = 'voucher_settled' and order_id = $1",
      [order.id],
    );
    expect(lines[0]!.n).toBe(1);
    await pro.get(`/provider/settlements/${id}`);
    expect(pro.lastHtml).toContain("状态：已拨付");
    // 导出 CSV of the queue: the application with its Chinese texts.
    const csv = await finance.get(`/admin/settlements/export?format=csv&number=${number}`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const bytes = new Uint8Array(await csv.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes);
    expect(text).toContain(number);
    expect(text).toContain("已拨付");
    expect((await op.get("/admin/settlements/export?format=csv")).status).toBe(200);
    // 拨付批次 on the payout page, and 导出 of its 拨付明细: the application paid, to the approved payee.
    const [batch] = await w.t.deps.db.query<{ number: string; total: string }>(
      "select b.number, b.total_fen::text as total from payout_batches b join settlements s on s.batch_id = b.id where s.id = $1",
      [id],
    );
    await finance.get("/admin/settlements/payouts");
    expect(finance.lastHtml).toContain('<h2 id="h-batches">拨付批次</h2>');
    expect(finance.lastHtml).toContain(batch!.number);
    const batchRow = finance.lastHtml.slice(finance.lastHtml.indexOf(`<td class="nowrap row-title">${batch!.number}</td>`)).split("</tr>")[0]!;
    expect(batchRow).toContain('<td class="num" data-label="已到账">1</td>');
    expect(batchRow).toContain('<td class="num" data-label="拨付中">0</td>');
    expect(finance.lastHtml).toContain(`href="/admin/settlements/payouts/export?format=csv&amp;batch=${batch!.number}"`);
    const detail = await op.get(`/admin/settlements/payouts/export?format=csv&batch=${batch!.number}`);
    expect(detail.status).toBe(200);
    const detailRows = new TextDecoder()
      .decode(new Uint8Array(await detail.arrayBuffer()))
      .trim()
      .split(/\r?\n/);
    expect(detailRows[0]).toContain("拨付批次,批次时间,申请编号,服务机构,兑付金额（元）");
    expect(detailRows).toHaveLength(2);
    expect(detailRows[1]).toContain(`${batch!.number},`);
    expect(detailRows[1]).toContain(`,${number},`);
    expect(detailRows[1]).toContain(`,${yuanOf(order.deductionFen)},`);
    expect(detailRows[1]).toContain(`,${payoutNo},已拨付,`);
    // A reviewer does not read 兑付; a provider is not staff.
    expect((await reviewer.get("/admin/settlements/payouts/export?format=csv")).status).toBe(403);
    expect((await pro.get("/admin/settlements/payouts/export?format=csv")).status).toBe(303);
    await pro.get(`/provider/orders/${order.id}`);
    expect(pro.lastHtml).toContain("兑付状态");
    expect(pro.lastHtml).toContain(`${number}</a> 已拨付`);
  });

  it("驳回 then 重新提交, or 撤回申请 (the orders free again); the yearly cap refuses a second approval over it, also when two finance officers approve at once", async () => {
    await freshYear();
    const [a, b] = [await completedOrder(), await completedOrder()];
    const pro = await signIn(w.t, "13800000008");
    // Both orders at once exceed the ¥3,000 cap already at the application.
    await pro.get("/provider/settlements/new");
    const over = await pro.postMultipart(
      "/provider/settlements",
      { orders: [a.id, b.id], invoiceAmount: yuanOf(a.contractFen + b.contractFen) },
      { invoice: PDF, acceptance: PNG },
    );
    expect(over.status).toBe(422);
    expect(pro.lastHtml).toContain("超出年度兑付上限");
    const one = await apply(pro, [a.id], a.contractFen);
    const finance = await signInAdmin(w.t, "finance");
    await finance.get(`/admin/settlements/${one}`);
    expect((await finance.post(`/admin/settlements/${one}/reject`, { reason: "", version: version(finance.lastHtml) })).status).toBe(422);
    await finance.get(`/admin/settlements/${one}`);
    expect((await finance.post(`/admin/settlements/${one}/reject`, { reason: "验收报告缺少签章", version: version(finance.lastHtml) })).status).toBe(303);
    expect((await row(one)).status).toBe("rejected");
    // 重新提交 with a wrong amount is refused; with the right one it is 待审核 again; 撤回申请 frees the order.
    await pro.get(`/provider/settlements/${one}`);
    expect(pro.lastHtml).toContain("验收报告缺少签章");
    expect(
      (
        await pro.postMultipart(
          `/provider/settlements/${one}/resubmit`,
          { invoiceAmount: "1", version: version(pro.lastHtml) },
          { invoice: PDF, acceptance: PNG },
        )
      ).status,
    ).toBe(422);
    await pro.get(`/provider/settlements/${one}`);
    expect(
      (
        await pro.postMultipart(
          `/provider/settlements/${one}/resubmit`,
          { invoiceAmount: yuanOf(a.contractFen), version: version(pro.lastHtml) },
          { invoice: PDF, acceptance: PNG },
        )
      ).status,
    ).toBe(303);
    expect((await row(one)).status).toBe("pending");
    await pro.get(`/provider/settlements/${one}`);
    expect((await pro.post(`/provider/settlements/${one}/withdraw`, { version: version(pro.lastHtml) })).status).toBe(303);
    expect((await row(one)).status).toBe("withdrawn");

    // One application per order; approving both at once: the cap lets exactly one through.
    const [sa, sb] = [await apply(pro, [a.id], a.contractFen), await apply(pro, [b.id], b.contractFen)];
    const staff = (await w.t.deps.db.query<{ id: string }>("select id from admin_users where username = 'finance'"))[0]!;
    const results = await Promise.all([sa, sb].map((id) => w.t.deps.settlement.approve({ id: staff.id, role: "finance" }, id)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.find((r) => !r.ok)?.errors?._form).toContain("超出年度兑付上限");
    // Other tests of this file may have approved before: the year's approved total never exceeds the cap.
    const [year] = await w.t.deps.db.query<{ n: string }>("select coalesce(max(approved_fen), 0)::text as n from settlement_year_totals");
    expect(Number(year!.n)).toBeLessThanOrEqual(300_000);
  });

  it("an objection through 我要留言 naming the number pauses 公示; an operator resumes it; a changed payee account goes back to 审核", async () => {
    await freshYear();
    const order = await completedOrder();
    const pro = await signIn(w.t, "13800000008");
    const id = await apply(pro, [order.id], order.contractFen);
    const staff = (await w.t.deps.db.query<{ id: string }>("select id from admin_users where username = 'finance'"))[0]!;
    expect((await w.t.deps.settlement.approve({ id: staff.id, role: "finance" }, id)).ok).toBe(true);
    const { number } = await row(id);
    const ent = await signIn(w.t, "13800000002");
    await ent.get("/messages/new");
    const sent = await ent.post("/messages", {
      category: "complaint",
      content: `对兑付公示 ${number} 有异议：服务未实际开展`,
      contactPhone: "13800000002",
    });
    expect([303, 200]).toContain(sent.status);
    expect((await row(id)).status).toBe("paused");
    const op = await signInAdmin(w.t, "operator");
    await op.get(`/admin/settlements/${id}`);
    expect(op.lastHtml).toContain("公示期间收到留言异议");
    expect((await op.post(`/admin/settlements/${id}/resume`, { note: "" })).status).toBe(422);
    expect((await op.post(`/admin/settlements/${id}/resume`, { note: "经核实服务已开展，异议不成立" })).status).toBe(303);
    expect((await row(id)).status).toBe("publicising");
    await w.t.deps.db.query("update settlements set publicity_until = now() - interval '1 minute' where id = $1", [id]);
    await w.t.deps.settlement.endPublicity();
    // A provider suspended for fraud (暂停交易) may not apply; resumed, it may again.
    const opStaff = (await w.t.deps.db.query<{ id: string }>("select id from admin_users where username = 'operator'"))[0]!;
    const providerId = (await w.t.deps.catalog.providerOfAccount(w.pro))!.id;
    const party = { kind: "provider" as const, id: providerId };
    expect((await w.t.deps.monitoring.suspend({ id: opStaff.id, role: "operator" }, party, "涉嫌虚构服务，暂停交易核查")).ok).toBe(true);
    try {
      await pro.get("/provider/settlements/new");
      const refused = await w.t.deps.settlement.apply(w.pro, { orderIds: [order.id], invoiceAmount: "1", invoice: PDF, acceptance: PNG });
      expect(refused.ok || refused.errors._form).toContain("暂停交易");
    } finally {
      expect((await w.t.deps.monitoring.resume({ id: opStaff.id, role: "operator" }, party, "核查完毕，恢复交易")).ok).toBe(true);
    }
    // The provider registers another account before the payout: the application goes back to 待审核.
    await registerBankAccount(w, w.pro, "6222020200000099999");
    const res = await w.t.deps.settlement.payBatch({ id: staff.id, role: "finance" }, [id]);
    expect(res.ok && res.value.rereview).toBe(1);
    expect((await row(id)).status).toBe("pending");
  });

  it("a payout the bank refuses goes back to 待拨付 with the reason shown; 拨付 again makes a new payout number and settles once", async () => {
    await freshYear();
    const order = await completedOrder();
    const pro = await signIn(w.t, "13800000008");
    const id = await apply(pro, [order.id], order.contractFen);
    const staff = (await w.t.deps.db.query<{ id: string }>("select id from admin_users where username = 'finance'"))[0]!;
    const finance = { id: staff.id, role: "finance" };
    expect((await w.t.deps.settlement.approve(finance, id)).ok).toBe(true);
    await w.t.deps.db.query("update settlements set publicity_until = now() - interval '1 minute' where id = $1", [id]);
    await w.t.deps.settlement.endPublicity();
    expect((await w.t.deps.settlement.payBatch(finance, [id])).ok).toBe(true);
    mockPayOf(w).setDelivery({ failPayouts: true });
    try {
      await mockPayOf(w).settleDue();
      await mockPayOf(w).deliverDue();
    } finally {
      mockPayOf(w).setDelivery({ failPayouts: false });
    }
    const failed = (
      await w.t.deps.db.query<{ status: string; payout_no: string; payout_failure: string }>(
        "select status, payout_no, payout_failure from settlements where id = $1",
        [id],
      )
    )[0]!;
    expect(failed.status).toBe("awaiting_payout");
    expect(failed.payout_failure).toContain("收款账户状态异常");
    const settled = async () =>
      (await w.t.deps.db.query<{ n: number }>("select count(*)::int as n from voucher_ledger where kind = 'settle' and order_id = $1", [order.id]))[0]!.n;
    expect(await settled()).toBe(0);
    await pro.get(`/provider/settlements/${id}`);
    expect(pro.lastHtml).toContain("上次拨付");
    expect(pro.lastHtml).toContain("收款账户状态异常");
    // 拨付 again: a new payout number, paid this time.
    expect((await w.t.deps.settlement.payBatch(finance, [id])).ok).toBe(true);
    const again = (await w.t.deps.db.query<{ payout_no: string }>("select payout_no from settlements where id = $1", [id]))[0]!;
    expect(again.payout_no).not.toBe(failed.payout_no);
    expect(again.payout_no.endsWith("P2")).toBe(true);
    await mockPayOf(w).settleDue();
    await mockPayOf(w).deliverDue();
    expect((await row(id)).status).toBe("paid");
    expect(await settled()).toBe(1);
  });
});
