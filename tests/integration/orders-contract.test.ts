import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalContract, type ContractContent } from "../../src/modules/orders/domain.ts";
import { contractHash } from "../../src/modules/orders/contract-service.ts";
import { type TestApp, makeTestApp } from "../support/app.ts";
import type { Browser } from "../support/client.ts";
import { signIn, signInAdmin } from "../support/flows.ts";
import { smsAbout } from "../support/orders.ts";

/**
 * 制定合同 -> 提交企业确认 -> 退回修改 -> the next version -> 同意, through HTTP on the demo data:
 * enterprises 1 and 2 hold an approved 通用券 (30%, at most ¥50,000 an order); provider 8 sells
 * 金属材料力学性能检测 (¥8,000), provider 7 does not; enterprise 3 is no provider.
 */
let t: TestApp;
let testingProduct: string;

const hidden = (html: string, name: string) => html.match(new RegExp(`name="${name}" value="([^"]*)"`))![1]!;
const row = async (id: string) =>
  (
    await t.deps.db.query<{ status: string; contract_fen: number; deduction_fen: number; self_pay_fen: number; deposit_fen: number; version: number }>(
      "select status, contract_fen::int, deduction_fen::int, self_pay_fen::int, deposit_fen::int, version from orders where id = $1",
      [id],
    )
  )[0]!;
const versions = async (id: string) =>
  t.deps.db.query<{ version: number; status: string; sha256: string | null; return_reason: string | null; content: ContractContent | string }>(
    "select version, status, sha256, return_reason, content from contract_versions where order_id = $1 order by version",
    [id],
  );
const held = async (id: string) =>
  (
    await t.deps.db.query<{ n: number }>(
      "select coalesce(sum(case kind when 'reserve' then amount_fen when 'release' then -amount_fen else 0 end), 0)::int as n from voucher_ledger where order_id = $1",
      [id],
    )
  )[0]!.n;
const counts = async () =>
  (
    await t.deps.db.query<{ versions: number; events: number; ledger: number; lines: number }>(
      `select (select count(*)::int from contract_versions) as versions, (select count(*)::int from order_events) as events,
              (select count(*)::int from voucher_ledger) as ledger, (select count(*)::int from order_money_lines) as lines`,
    )
  )[0]!;

/** Enterprise `phone` orders the testing product with its voucher and provider 8 accepts it. */
async function acceptedOrder(phone: string): Promise<{ ent: Browser; pro: Browser; id: string }> {
  const ent = await signIn(t, phone);
  await ent.get(`/me/orders/new?product=${testingProduct}`);
  const html = ent.lastHtml;
  const voucher = html.match(/name="voucherAccountId" value="([^"]+)" checked/)![1]!;
  const res = await ent.post("/me/orders", {
    product: hidden(html, "product"),
    submissionKey: hidden(html, "submissionKey"),
    quantity: "1",
    useVoucher: "yes",
    voucherAccountId: voucher,
  });
  const id = res.headers.get("Location")!.split("/").pop()!;
  const pro = await signIn(t, "13800000008");
  await pro.get(`/provider/orders/${id}`);
  expect((await pro.post(`/provider/orders/${id}/accept`, { version: hidden(pro.lastHtml, "version") })).status).toBe(303);
  return { ent, pro, id };
}

/** The contract form as the provider fills it in: the prefilled values with these changes. */
async function contractFields(pro: Browser, id: string, changes: Record<string, string>): Promise<Record<string, string>> {
  await pro.get(`/provider/orders/${id}/contract/edit`);
  expect(pro.lastStatus).toBe(200);
  const html = pro.lastHtml;
  const textarea = (name: string) =>
    html
      .match(new RegExp(`name="${name}"[^>]*>([^<]*)</textarea>`))![1]!
      .replace(/&amp;/g, "&")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'");
  const input = (name: string) => html.match(new RegExp(`name="${name}" type="[a-z]+" value="([^"]*)"`))![1]!;
  return {
    serviceContent: textarea("serviceContent"),
    deliverables: textarea("deliverables"),
    acceptance: textarea("acceptance"),
    contractAmount: input("contractAmount"),
    depositAmount: input("depositAmount"),
    serviceFrom: input("serviceFrom"),
    serviceTo: input("serviceTo"),
    paymentTerms: textarea("paymentTerms"),
    liability: textarea("liability"),
    disputeResolution: textarea("disputeResolution"),
    otherTerms: textarea("otherTerms"),
    ...changes,
  };
}

beforeAll(async () => {
  t = await makeTestApp({ demo: true });
  testingProduct = (await t.deps.db.query<{ product_id: string }>("select product_id from product_listings where title = '金属材料力学性能检测'"))[0]!
    .product_id;
});
afterAll(async () => t?.close());

describe("制定合同 -> 提交企业确认 -> 退回修改 -> 同意", () => {
  it("walks every version: prefilled from both certifications, the reservation follows 合同金额, the changes shown, the agreed version frozen with its SHA-256", async () => {
    const { ent, pro, id } = await acceptedOrder("13800000001");
    const [names] = await t.deps.db.query<{ a: string; a_code: string; b: string }>(
      `select ea.name as a, ea.credit_code as a_code, eb.name as b from orders o join enterprises ea on ea.id = o.enterprise_id
         join providers p on p.id = o.provider_id join enterprises eb on eb.id = p.enterprise_id where o.id = $1`,
      [id],
    );

    // The order page leads to 制定合同; the contract starts prefilled, nothing written yet.
    await pro.get(`/provider/orders/${id}`);
    expect(pro.lastHtml).toContain(`href="/provider/orders/${id}/contract"`);
    await pro.get(`/provider/orders/${id}/contract`);
    expect(pro.lastStatus).toBe(200);
    expect(pro.lastHtml).toContain("尚未制定合同");
    expect(pro.lastHtml).toContain(names!.a);
    expect(pro.lastHtml).toContain(names!.a_code);
    expect(pro.lastHtml).toContain(names!.b);
    expect(pro.lastHtml).not.toContain("提交企业确认</button>");
    const fields = await contractFields(pro, id, {});
    expect(fields.contractAmount).toBe("8000");
    expect(fields.serviceContent!.length).toBeGreaterThan(0);
    expect(fields.liability).toContain("违约责任");
    expect(await versions(id)).toEqual([]);

    // Bad input: a clear message beside the field, 422, nothing written.
    const before = await counts();
    const noDates = await pro.post(`/provider/orders/${id}/contract`, fields);
    expect(noDates.status).toBe(422);
    expect(pro.lastHtml).toContain("请填写服务期限开始日期");
    const dated = { ...fields, serviceFrom: "2026-12-10", serviceTo: "2027-01-31" };
    for (const [change, message] of [
      [{ depositAmount: "5600.01" }, "定金不能超过企业自付金额¥5,600.00"],
      [{ serviceTo: "2026-12-01" }, "服务期限结束日期不能早于开始日期"],
      [{ contractAmount: "-5" }, "合同金额不能为负数"],
      [{ contractAmount: "abc" }, "合同金额应为金额（元），最多两位小数"],
      [{ contractAmount: "0" }, "合同金额应在¥0.01至"],
      [{ liability: "" }, "请填写违约责任"],
      [{ serviceFrom: "2026-02-30" }, "请填写服务期限开始日期"],
    ] as const) {
      const res = await pro.post(`/provider/orders/${id}/contract`, { ...dated, ...change });
      expect(res.status, JSON.stringify(change)).toBe(422);
      expect(pro.lastHtml, JSON.stringify(change)).toContain(message);
    }
    expect(await counts()).toEqual(before);

    // Version 1: 合同金额 up to ¥10,000 with ¥500 定金 -> a draft the enterprise does not see yet.
    const v1 = await pro.post(`/provider/orders/${id}/contract`, { ...dated, contractAmount: "10000", depositAmount: "500" });
    expect(v1.status).toBe(303);
    expect(v1.headers.get("Location")).toBe(`/provider/orders/${id}/contract`);
    await pro.get(`/provider/orders/${id}/contract`);
    expect(pro.lastHtml).toContain("第1版已保存");
    expect(pro.lastHtml).toContain("当前为第1版合同（草稿）");
    expect(pro.lastHtml).toContain("本合同金额为人民币<strong>¥10,000.00</strong>，其中服务券抵扣¥3,000.00，甲方自付¥7,000.00。定金为¥500.00");
    await ent.get(`/me/orders/${id}/contract`);
    expect(ent.lastStatus).toBe(200);
    expect(ent.lastHtml).toContain("服务商尚未提交合同");
    expect(ent.lastHtml).not.toContain("¥10,000.00");

    // 提交企业确认: the deduction follows 合同金额 (30% of ¥10,000) and the reservation grows by ¥600.
    const page = pro.lastHtml;
    expect((await pro.post(`/provider/orders/${id}/contract/submit`, { version: hidden(page, "version"), contractVersion: "2" })).status).toBe(409);
    expect(pro.lastHtml).toContain("合同已更新，请查看最新版本后再操作");
    expect(await row(id)).toMatchObject({ status: "contract_drafting", deduction_fen: 240_000 });
    const submitted = await pro.post(`/provider/orders/${id}/contract/submit`, { version: hidden(page, "version"), contractVersion: "1" });
    expect(submitted.status).toBe(303);
    expect(await row(id)).toMatchObject({
      status: "contract_review",
      contract_fen: 1_000_000,
      deduction_fen: 300_000,
      self_pay_fen: 700_000,
      deposit_fen: 50_000,
    });
    expect(await held(id)).toBe(300_000);
    const lines = await t.deps.db.query<{ kind: string; amount_fen: number }>(
      "select kind, amount_fen::int from order_money_lines where order_id = $1 order by id",
      [id],
    );
    expect(lines).toEqual([
      { kind: "voucher_reserved", amount_fen: 240_000 },
      { kind: "voucher_reserved", amount_fen: 60_000 },
    ]);
    // A replayed 提交企业确认 is a 409 and moves nothing.
    expect((await pro.post(`/provider/orders/${id}/contract/submit`, { version: hidden(page, "version"), contractVersion: "1" })).status).toBe(409);
    expect(await held(id)).toBe(300_000);
    // Editing a submitted version is refused.
    await pro.get(`/provider/orders/${id}/contract/edit`);
    expect(pro.lastStatus).toBe(409);

    // The enterprise reads the contract: both parties, the terms, 同意 and 退回修改.
    await ent.get(`/me/orders/${id}`);
    expect(ent.lastHtml).toContain("订单状态：待确认合同");
    expect(ent.lastHtml).toContain("查看并确认合同");
    expect(ent.lastHtml).toContain("<dt>合同金额</dt><dd>¥10,000.00</dd>");
    await ent.get(`/me/orders/${id}/contract`);
    const review = ent.lastHtml;
    for (const text of ["服务合同", names!.a, names!.b, "第一条 服务内容", "第七条 违约责任", "¥10,000.00", "同意</button>", "退回修改</a>"]) {
      expect(review).toContain(text);
    }

    // 退回修改 needs a reason; with one the order goes back to the provider.
    await ent.get(`/me/orders/${id}/contract/return`);
    expect(ent.lastStatus).toBe(200);
    const returnPage = ent.lastHtml;
    const noReason = await ent.post(`/me/orders/${id}/contract/return`, {
      version: hidden(returnPage, "version"),
      contractVersion: hidden(returnPage, "contractVersion"),
      reason: "",
    });
    expect(noReason.status).toBe(422);
    expect(ent.lastHtml).toContain("退回修改");
    expect(await row(id)).toMatchObject({ status: "contract_review" });
    const returned = await ent.post(`/me/orders/${id}/contract/return`, {
      version: hidden(returnPage, "version"),
      contractVersion: hidden(returnPage, "contractVersion"),
      reason: "合同金额请按报价6000元",
    });
    expect(returned.status).toBe(303);
    expect(await row(id)).toMatchObject({ status: "contract_drafting" });
    expect((await versions(id)).map((v) => [v.version, v.status, v.return_reason])).toEqual([[1, "returned", "合同金额请按报价6000元"]]);

    // The provider sees the reason and writes version 2 from a copy of version 1: ¥6,000, no 定金.
    await pro.get(`/provider/orders/${id}`);
    expect(pro.lastHtml).toContain("合同金额请按报价6000元");
    const next = await contractFields(pro, id, { contractAmount: "6000", depositAmount: "0" });
    expect(pro.lastHtml).toContain("将保存为第2版");
    expect(next.serviceFrom).toBe("2026-12-10");
    expect((await pro.post(`/provider/orders/${id}/contract`, next)).status).toBe(303);
    await pro.get(`/provider/orders/${id}/contract`);
    expect((await pro.post(`/provider/orders/${id}/contract/submit`, { version: hidden(pro.lastHtml, "version"), contractVersion: "2" })).status).toBe(
      303,
    );
    // The reservation shrinks to 30% of ¥6,000 and gives ¥1,200 back.
    expect(await row(id)).toMatchObject({
      status: "contract_review",
      contract_fen: 600_000,
      deduction_fen: 180_000,
      self_pay_fen: 420_000,
      deposit_fen: 0,
    });
    expect(await held(id)).toBe(180_000);

    // The enterprise sees what changed, field by field.
    await ent.get(`/me/orders/${id}/contract`);
    const diff = ent.lastHtml;
    expect(diff).toContain("与第1版相比的修改");
    expect(diff).toMatch(/<th scope="row">合同金额<\/th><td class="prewrap"><del>¥10,000.00<\/del><\/td><td class="prewrap"><ins>¥6,000.00<\/ins><\/td>/);
    expect(diff).toMatch(/<th scope="row">定金<\/th><td class="prewrap"><del>¥500.00<\/del><\/td><td class="prewrap"><ins>¥0.00<\/ins><\/td>/);
    expect(diff).not.toContain('<th scope="row">服务内容</th>');

    // 同意 freezes version 2 with the SHA-256 of its canonical content.
    const agreed = await ent.post(`/me/orders/${id}/contract/agree`, {
      version: hidden(diff, "version"),
      contractVersion: hidden(diff, "contractVersion"),
    });
    expect(agreed.status).toBe(303);
    expect(await row(id)).toMatchObject({ status: "contract_signing" });
    const all = await versions(id);
    expect(all.map((v) => [v.version, v.status])).toEqual([
      [1, "returned"],
      [2, "agreed"],
    ]);
    const content = (typeof all[1]!.content === "string" ? JSON.parse(all[1]!.content) : all[1]!.content) as ContractContent;
    expect(all[1]!.sha256).toBe(contractHash(content));
    expect(all[1]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(canonicalContract(content)).toContain('"contractFen":"600000"');
    await ent.get(`/me/orders/${id}/contract`);
    expect(ent.lastHtml).toContain(all[1]!.sha256!);
    expect(ent.lastHtml).not.toContain("同意</button>");
    await ent.get(`/me/orders?tab=contract`);
    expect(ent.lastStatus).toBe(200);

    // After 同意 nothing can change the contract: not the provider, not a second 同意, not SQL.
    const frozen = await counts();
    await pro.get(`/provider/orders/${id}/contract/edit`);
    expect(pro.lastStatus).toBe(409);
    expect(pro.lastHtml).toContain("合同已同意，不能修改");
    expect((await pro.post(`/provider/orders/${id}/contract`, next)).status).toBe(409);
    expect((await ent.post(`/me/orders/${id}/contract/agree`, { version: hidden(diff, "version"), contractVersion: "2" })).status).toBe(409);
    expect(
      (await ent.post(`/me/orders/${id}/contract/return`, { version: hidden(diff, "version"), contractVersion: "2", reason: "再改一次" })).status,
    ).toBe(409);
    expect(await counts()).toEqual(frozen);
    await expect(t.deps.db.query("update contract_versions set content = '{}'::jsonb where order_id = $1 and version = 2", [id])).rejects.toThrow(
      /agreed contract version cannot change/,
    );
    expect(await row(id)).toMatchObject({ status: "contract_signing", contract_fen: 600_000 });

    // Each step told the other party, by order number only: 提交订单 and 接单 before, then
    // 提交企业确认 (enterprise), 退回修改 (provider), 提交企业确认 (enterprise), 同意 (provider).
    const number = (await t.deps.db.query<{ number: string }>("select number from orders where id = $1", [id]))[0]!.number;
    const sent = (await smsAbout(t, number)).map((m) => m.phone);
    expect(sent).toEqual(["13800000008", "13800000001", "13800000001", "13800000008", "13800000001", "13800000008"]);
  });
});

describe("authorisation", () => {
  it("another enterprise and another provider get 404, a non-provider 403, staff cannot act as a party; nothing changes", async () => {
    const { pro, id } = await acceptedOrder("13800000002");
    const fields = await contractFields(pro, id, { serviceFrom: "2026-12-10", serviceTo: "2027-01-31" });
    expect((await pro.post(`/provider/orders/${id}/contract`, fields)).status).toBe(303);
    await pro.get(`/provider/orders/${id}/contract`);
    expect((await pro.post(`/provider/orders/${id}/contract/submit`, { version: hidden(pro.lastHtml, "version"), contractVersion: "1" })).status).toBe(
      303,
    );
    const before = await counts();
    const state = await row(id);

    const otherEnterprise = await signIn(t, "13800000001");
    await otherEnterprise.get("/me");
    for (const path of [`/me/orders/${id}/contract`, `/me/orders/${id}/contract/return`]) {
      expect((await otherEnterprise.get(path)).status, path).toBe(404);
    }
    await otherEnterprise.get("/me/orders");
    expect((await otherEnterprise.post(`/me/orders/${id}/contract/agree`, { version: String(state.version), contractVersion: "1" })).status).toBe(404);
    expect(
      (await otherEnterprise.post(`/me/orders/${id}/contract/return`, { version: String(state.version), contractVersion: "1", reason: "越权退回" }))
        .status,
    ).toBe(404);

    const otherProvider = await signIn(t, "13800000007");
    for (const path of [`/provider/orders/${id}/contract`, `/provider/orders/${id}/contract/edit`]) {
      expect((await otherProvider.get(path)).status, path).toBe(404);
    }
    await otherProvider.get("/provider/orders");
    expect((await otherProvider.post(`/provider/orders/${id}/contract`, fields)).status).toBe(404);
    expect((await otherProvider.post(`/provider/orders/${id}/contract/submit`, { version: String(state.version), contractVersion: "1" })).status).toBe(
      404,
    );

    const notProvider = await signIn(t, "13800000003");
    expect((await notProvider.get(`/provider/orders/${id}/contract`)).status).toBe(403);

    // The provider is not a party to 同意, and staff have no enterprise session at all.
    await pro.get(`/provider/orders/${id}`);
    expect((await pro.post(`/me/orders/${id}/contract/agree`, { version: String(state.version), contractVersion: "1" })).status).toBe(404);
    const admin = await signInAdmin(t, "admin");
    await admin.get("/admin");
    const staff = await admin.post(`/me/orders/${id}/contract/agree`, { version: String(state.version), contractVersion: "1" });
    expect([303, 403]).toContain(staff.status);

    // Forged ids and versions.
    await otherEnterprise.get("/me/orders");
    expect((await otherEnterprise.get("/me/orders/not-an-id/contract")).status).toBe(404);
    expect((await otherEnterprise.get(`/me/orders/${crypto.randomUUID()}/contract`)).status).toBe(404);
    const ent = await signIn(t, "13800000002");
    await ent.get(`/me/orders/${id}/contract`);
    expect((await ent.post(`/me/orders/${id}/contract/agree`, { version: String(state.version), contractVersion: "x" })).status).toBe(409);
    expect((await ent.post(`/me/orders/${id}/contract/agree`, { version: String(state.version - 1), contractVersion: "1" })).status).toBe(409);

    expect(await counts()).toEqual(before);
    expect(await row(id)).toEqual(state);
  });
});
