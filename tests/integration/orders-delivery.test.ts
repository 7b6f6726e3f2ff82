import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE_PDF, SAMPLE_PNG, type Browser } from "../support/client.ts";
import { signIn } from "../support/flows.ts";
import { smsAbout, statusOf } from "../support/orders.ts";
import { payOnCashier, signedOrder } from "../support/payments.ts";
import { type SigningWorld, signingWorld } from "../support/signing.ts";

/**
 * 开始服务, 完成服务 with 服务成果 and 支付尾款 (manual 8.4): the provider's buttons, the results as
 * both parties read them, and the balance payment that consumes the voucher reservation in the
 * same transaction (-> 待评价); a contract with nothing left after the deposit goes straight there.
 */
let w: SigningWorld;
beforeAll(async () => {
  w = await signingWorld();
}, 120_000);
afterAll(async () => w?.t.close());

const _mt = (html: string) => html.match(/name="_mt" value="([^"]+)"/)![1]!;
const lines = async (orderId: string) =>
  (await w.t.deps.db.query<{ kind: string }>("select kind from order_money_lines where order_id = $1 order by id", [orderId])).map((l) => l.kind);
const version = (html: string) => html.match(/name="version" value="(\d+)"/)![1]!;

/** The enterprise pays what is due through the cashier (支付成功) and the notification arrives. */
const pay = (b: Browser, orderId: string, kind: "deposit" | "balance") => payOnCashier(w, b, orderId, kind);

/** An order paid its deposit: 待开始服务. */
async function started(contract?: { depositFen?: number }) {
  const id = await signedOrder(w, contract);
  const ent = await signIn(w.t, "13800000001");
  if ((await statusOf(w.t, id)) === "awaiting_deposit") await pay(ent, id, "deposit");
  expect(await statusOf(w.t, id)).toBe("awaiting_start");
  return { id, ent, pro: await signIn(w.t, "13800000008") };
}

const REPORT = { name: "检测报告.pdf", bytes: SAMPLE_PDF, type: "application/pdf" };

describe("service delivery and 尾款", () => {
  it("提出异议 in 待支付尾款 (reason required) -> 争议处理中; an operator's 继续履约 (reason required) -> 待支付尾款", async () => {
    const { id, ent, pro } = await started();
    await pro.get(`/provider/orders/${id}`);
    await pro.post(`/provider/orders/${id}/start`, { version: version(pro.lastHtml) });
    await pro.get(`/provider/orders/${id}/complete`);
    expect(
      (await pro.postMultipart(`/provider/orders/${id}/complete`, { version: version(pro.lastHtml), summary: "已完成" }, { files: REPORT })).status,
    ).toBe(303);
    await ent.get(`/me/orders/${id}`);
    expect(ent.lastHtml).toContain(`href="/me/orders/${id}/dispute">提出异议</a>`);
    await ent.get(`/me/orders/${id}/dispute`);
    expect(ent.lastHtml).toMatch(/<label for="f-reason">异议原因<\/label>/);
    const ev = version(ent.lastHtml);
    expect((await ent.post(`/me/orders/${id}/dispute`, { reason: "", version: ev })).status).toBe(422);
    expect((await ent.post(`/me/orders/${id}/dispute`, { reason: "报告缺少拉伸试验数据", version: String(Number(ev) - 1) })).status).toBe(409);
    expect(await statusOf(w.t, id)).toBe("awaiting_balance");
    expect((await ent.post(`/me/orders/${id}/dispute`, { reason: "报告缺少拉伸试验数据", version: ev })).status).toBe(303);
    expect(await statusOf(w.t, id)).toBe("disputed");
    const number = (await w.t.deps.orders.orderNumberOf(id))!;
    expect((await smsAbout(w.t, number)).some((m) => m.text.includes("提出异议"))).toBe(true);

    const { signInAdmin } = await import("../support/flows.ts");
    const finance = await signInAdmin(w.t, "finance");
    await finance.get(`/admin/orders/${id}`);
    expect(finance.lastHtml).not.toContain(">继续履约</button>");
    const op = await signInAdmin(w.t, "operator");
    await op.get(`/admin/orders/${id}`);
    expect(op.lastHtml).toContain(">继续履约</button>");
    const av = version(op.lastHtml);
    expect((await op.post(`/admin/orders/${id}/resume`, { reason: "", version: av })).status).toBe(422);
    expect((await finance.post(`/admin/orders/${id}/resume`, { reason: "已核实", version: av })).status).toBe(403);
    expect((await op.post(`/admin/orders/${id}/resume`, { reason: "已与双方核实，服务机构补充数据后继续履约", version: av })).status).toBe(303);
    expect(await statusOf(w.t, id)).toBe("awaiting_balance");
    const [audit] = await w.t.deps.db.query<{ n: number }>(
      "select count(*)::int as n from audit_events where entity_id = $1 and action = 'order_resumed'",
      [id],
    );
    expect(audit!.n).toBe(1);
  });

  it("开始服务 -> 完成服务 with 服务成果 -> 支付尾款 -> 待评价 with the voucher consumed", async () => {
    const { id, ent, pro } = await started();
    const number = (await w.t.deps.orders.orderNumberOf(id))!;
    // Only the provider starts: the enterprise's account is no provider.
    await ent.get(`/me/orders/${id}`);
    expect((await ent.post(`/provider/orders/${id}/start`, { version: "1" })).status).toBe(403);
    await pro.get(`/provider/orders/${id}`);
    expect(pro.lastHtml).toContain(">开始服务</button>");
    expect((await pro.post(`/provider/orders/${id}/start`, { version: version(pro.lastHtml) })).status).toBe(303);
    expect(await statusOf(w.t, id)).toBe("in_service");
    expect((await smsAbout(w.t, number)).some((m) => m.text.includes("已开始为订单"))).toBe(true);

    // 完成服务: the form, then refusals that write nothing, then the results.
    await pro.get(`/provider/orders/${id}/complete`);
    expect(pro.lastHtml).toMatch(/<label for="f-summary">服务成果说明<\/label>/);
    expect(pro.lastHtml).toMatch(/<label for="f-files">服务成果文件<\/label>/);
    const v = version(pro.lastHtml);
    const files = async () => (await w.t.deps.db.query<{ n: number }>("select count(*)::int as n from files"))[0]!.n;
    const before = await files();
    const empty = await pro.postMultipart(`/provider/orders/${id}/complete`, { version: v, summary: "" }, { files: REPORT });
    expect(empty.status).toBe(422);
    expect(pro.lastHtml).toContain("请填写服务成果说明");
    const noFile = await pro.postMultipart(`/provider/orders/${id}/complete`, { version: v, summary: "已完成检测" }, {});
    expect(noFile.status).toBe(422);
    expect(pro.lastHtml).toContain("请上传至少一个服务成果文件");
    const notPdf = await pro.postMultipart(
      `/provider/orders/${id}/complete`,
      { version: v, summary: "已完成检测" },
      { files: { name: "a.pdf", bytes: new TextEncoder().encode("hello") } },
    );
    expect(notPdf.status).toBe(422);
    const six = await pro.postMultipart(
      `/provider/orders/${id}/complete`,
      { version: v, summary: "已完成检测" },
      { files: Array.from({ length: 6 }, () => REPORT) },
    );
    expect(six.status).toBe(422);
    expect(pro.lastHtml).toContain("服务成果文件最多5个");
    expect(await files()).toBe(before);
    expect(await statusOf(w.t, id)).toBe("in_service");

    const done = await pro.postMultipart(
      `/provider/orders/${id}/complete`,
      { version: v, summary: "已完成金属材料力学性能检测，出具检测报告1份。" },
      { files: [REPORT, { name: "验收单.png", bytes: SAMPLE_PNG, type: "image/png" }] },
    );
    expect(done.status).toBe(303);
    expect(await statusOf(w.t, id)).toBe("awaiting_balance");
    expect((await smsAbout(w.t, number)).some((m) => m.text.includes("查看服务成果并支付尾款"))).toBe(true);
    // A second 完成服务 is refused.
    await pro.get(`/provider/orders/${id}/complete`);
    expect(pro.lastStatus).toBe(409);

    // Both parties read the results; a stranger gets nothing.
    await ent.get(`/me/orders/${id}`);
    expect(ent.lastHtml).toContain("服务成果");
    expect(ent.lastHtml).toContain("已完成金属材料力学性能检测");
    const link = ent.lastHtml.match(/href="(\/me\/orders\/[^"]+\/deliveries\/[^"]+)">检测报告.pdf<\/a>/)![1]!;
    const file = await ent.request(link);
    expect(file.status).toBe(200);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(SAMPLE_PDF);
    expect((await pro.request(link.replace("/me/", "/provider/"))).status).toBe(200);
    const stranger = await signIn(w.t, "13800000002");
    expect((await stranger.request(link)).status).toBe(404);

    // 支付尾款 = 企业自付 - 定金; the confirmed payment consumes the voucher reservation in the same transaction.
    expect(ent.lastHtml).toContain("支付尾款（");
    await pay(ent, id, "balance");
    expect(await statusOf(w.t, id)).toBe("awaiting_review");
    expect(await lines(id)).toEqual(["voucher_reserved", "deposit_paid", "voucher_consumed", "balance_paid"]);
    const [ledger] = await w.t.deps.db.query<{ n: number }>("select count(*)::int as n from voucher_ledger where order_id = $1 and kind = 'consume'", [
      id,
    ]);
    expect(ledger!.n).toBe(1);
  });

  it("nothing left after the deposit: 完成服务 goes on to 待评价 with the consumption, no payment", async () => {
    // 企业自付 is ¥5,600 (¥8,000 less the ¥2,400 voucher): all of it as 定金.
    const { id, pro } = await started({ depositFen: 560_000 });
    await pro.get(`/provider/orders/${id}`);
    await pro.post(`/provider/orders/${id}/start`, { version: version(pro.lastHtml) });
    await pro.get(`/provider/orders/${id}/complete`);
    expect(pro.lastHtml).toContain("本订单无尾款");
    const done = await pro.postMultipart(`/provider/orders/${id}/complete`, { version: version(pro.lastHtml), summary: "已完成" }, { files: REPORT });
    expect(done.status).toBe(303);
    expect(await statusOf(w.t, id)).toBe("awaiting_review");
    expect(await lines(id)).toEqual(["voucher_reserved", "deposit_paid", "voucher_consumed"]);
  });
});
