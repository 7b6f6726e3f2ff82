import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "../support/client.ts";
import { signIn, signInAdmin } from "../support/flows.ts";
import { accountOf, placeOrder, productBy, rowCounts, statusOf, versionOn } from "../support/orders.ts";
import { type SigningWorld, makeSeal, signingOrder, signingWorld } from "../support/signing.ts";

/**
 * 暂停交易 of a party for fraud (docs/monitoring.md) through HTTP on the demo data: enterprise 1
 * (`w.ent`) buys from provider 8 (`w.pro`, 金属材料力学性能检测); enterprise 2 and provider 9
 * (企业数据治理与主数据梳理) are bystanders. Both seals exist, so a contract can be signed. Each test
 * suspends and resumes its own party, on orders of its own.
 */
let w: SigningWorld;
let operator: Browser;
let ent2: string;
let otherProduct: string;
const REASON = "核实存在虚构服务合同套取服务券的情形";

beforeAll(async () => {
  w = await signingWorld();
  await makeSeal(w, w.ent);
  await makeSeal(w, w.pro);
  operator = await signInAdmin(w.t, "operator");
  ent2 = await accountOf(w.t, "13800000002");
  otherProduct = await productBy(w.t, "企业数据治理与主数据梳理");
});
afterAll(async () => w?.t.close());

const writes = () =>
  rowCounts(w.t, { suspensions: "party_suspensions", audit: "audit_events", orders: "orders", events: "order_events", flows: "sign_flows" });
const enterpriseOf = async (accountId: string) => (await w.t.deps.enterprises.ofAccount(accountId))!.id;
const smsTo = async (phone: string, words: string) => (await w.t.sms.latest(500)).filter((m) => m.phone === phone && m.text.includes(words)).length;

/** 暂停交易 / 恢复交易 posted on the party's record page by `who`. */
async function post(who: Browser, path: string, action: "suspend" | "resume", reason: string) {
  await who.get(path);
  return who.post(`${path}/${action}`, { reason });
}

/** 提交订单 through 订单详情 as a person does it; the response of the POST. */
async function submitOverHttp(b: Browser, productId: string) {
  await b.get(`/me/orders/new?product=${productId}`);
  const hidden = (name: string) => b.lastHtml.match(new RegExp(`name="${name}" value="([^"]*)"`))![1]!;
  return b.post("/me/orders", { product: hidden("product"), submissionKey: hidden("submissionKey"), quantity: "1" });
}

describe("暂停交易 of an enterprise", () => {
  it("refuses bad input and other roles; then refuses its orders, freezes its open orders and signing; the operator may still close; 恢复 lifts it", async () => {
    const t = w.t;
    const enterpriseId = await enterpriseOf(w.ent);
    const page = `/admin/suspensions/enterprise/${enterpriseId}`;
    const pending = await placeOrder(t, w.ent, w.product, { useVoucher: false });
    const signing = await signingOrder(w, { useVoucher: false });
    const unstarted = await signingOrder(w, { useVoucher: false });
    const drafting = await placeOrder(t, w.ent, w.product, { useVoucher: false });
    expect((await t.deps.orders.accept(w.pro, drafting.id, undefined)).ok).toBe(true);
    const draft = await t.deps.orders.providerContract(w.pro, drafting.id);
    if (!draft.ok) throw new Error(JSON.stringify(draft.errors));
    const { partyA: _a, partyB: _b, ...terms } = draft.value.content;
    const started = await t.deps.signing.startFlow(signing);
    expect(started.ok).toBe(true);
    const link = await t.deps.signing.phoneLink(w.ent, signing, "enterprise");
    expect(link.ok).toBe(true);

    // Bad input and other roles change nothing.
    const before = await writes();
    let res = await post(operator, page, "suspend", "");
    expect(res.status).toBe(422);
    expect(operator.lastHtml).toContain("请填写暂停原因");
    res = await post(operator, page, "suspend", "骗");
    expect(res.status).toBe(422);
    expect(operator.lastHtml).toContain("暂停原因至少2个字");
    for (const role of ["reviewer", "finance"]) {
      const staff = await signInAdmin(t, role);
      expect((await post(staff, page, "suspend", REASON)).status).toBe(403);
      // Both may read the record; neither gets the form.
      await staff.get(page);
      expect(staff.lastStatus).toBe(200);
      expect(staff.lastHtml).not.toContain("暂停交易</button>");
    }
    const stranger = crypto.randomUUID();
    expect((await operator.post(`/admin/suspensions/enterprise/${stranger}/suspend`, { reason: REASON })).status).toBe(404);
    expect((await operator.get("/admin/suspensions/enterprise/not-a-uuid")).status).toBe(404);
    expect((await post(operator, page, "resume", "核实无误")).status).toBe(409);
    expect(await writes()).toEqual(before);
    // An enterprise session cannot post there (its token is not the admin portal's) nor open the page.
    const ent = await signIn(t, "13800000001");
    await ent.get("/me");
    expect((await ent.post(`${page}/suspend`, { reason: REASON })).status).toBe(403);
    expect((await ent.get(page)).status).toBe(303);
    expect(ent.lastLocation).toContain("/admin/login");
    expect(await writes()).toEqual(before);

    // 暂停交易 by the operator: audited on the enterprise's timeline, the enterprise told.
    res = await post(operator, page, "suspend", REASON);
    expect(res.status).toBe(303);
    expect(await smsTo("13800000001", "暂停交易")).toBe(1);
    await operator.get(page);
    expect(operator.lastHtml).toContain("交易状态：已暂停交易");
    expect(operator.lastHtml).toContain(REASON);
    expect(operator.lastHtml).toContain("恢复交易</button>");
    expect((await post(operator, page, "suspend", REASON)).status).toBe(409);
    expect(operator.lastHtml).toContain("该单位已被暂停交易");
    await operator.get("/admin/suspensions");
    expect(operator.lastHtml).toContain(page);
    const [cert] = await t.deps.db.query<{ id: string }>(
      "select id from enterprise_certifications where enterprise_id = $1 and status = 'certified' order by submitted_at desc limit 1",
      [enterpriseId],
    );
    const reviewer = await signInAdmin(t, "reviewer");
    await reviewer.get(`/admin/certifications/${cert!.id}`);
    expect(reviewer.lastHtml).toMatch(/<span>暂停交易<\/span>[\s\S]*原因：核实存在虚构服务合同套取服务券的情形/);
    expect(reviewer.lastHtml).toContain("交易状态：已暂停交易");

    // 提交订单: the page says why and offers no button; the POST is refused, nothing written.
    const frozen = "订单已冻结：下单企业已被平台暂停交易";
    const during = await writes();
    await ent.get(`/me/orders/new?product=${w.product}`);
    expect(ent.lastHtml).toContain("贵单位已被平台暂停交易，暂不能提交订单");
    expect(ent.lastHtml).not.toContain(">提交订单</button>");
    res = await submitOverHttp(ent, w.product);
    expect(res.status).toBe(409);
    expect(ent.lastHtml).toContain("贵单位已被平台暂停交易，暂不能提交订单");
    // Its open orders are frozen for both parties.
    await ent.get(`/me/orders/${pending.id}`);
    expect(ent.lastHtml).toContain(frozen);
    await ent.get(`/me/orders/${pending.id}/cancel`);
    res = await ent.post(`/me/orders/${pending.id}/cancel`, { reason: "", version: versionOn(ent.lastHtml) });
    expect(res.status).toBe(409);
    expect(ent.lastHtml).toContain(frozen);
    const pro = await signIn(t, "13800000008");
    await pro.get(`/provider/orders/${pending.id}`);
    expect(pro.lastHtml).toContain(frozen);
    res = await pro.post(`/provider/orders/${pending.id}/accept`, { version: versionOn(pro.lastHtml) });
    expect(res.status).toBe(409);
    expect(pro.lastHtml).toContain(frozen);
    // 暂停签订电子合同: the signing pages of both parties, the phone link minted before, the flow's start.
    const noSigning = "已暂停签订电子合同：下单企业已被平台暂停交易";
    expect((await ent.get(`/me/orders/${signing}/sign`)).status).toBe(403);
    expect(ent.lastHtml).toContain(noSigning);
    expect((await pro.get(`/provider/orders/${signing}/sign`)).status).toBe(403);
    expect(pro.lastHtml).toContain(noSigning);
    expect((await ent.post(`/me/orders/${unstarted}/sign/start`, {})).status).toBe(403);
    const phone = await signIn(t, "13800000001");
    expect((await phone.get(`/s/${link.ok ? link.value.token : ""}`)).status).toBe(403);
    expect(phone.lastHtml).toContain(noSigning);
    expect(await t.deps.signing.startFlow(unstarted)).toMatchObject({ ok: false, status: 403 });
    expect(await t.deps.signing.phoneLink(w.ent, signing, "enterprise")).toMatchObject({ ok: false, status: 403 });
    // 制定合同 and 协商终止 on an order after 接单 are frozen too.
    const saved = await t.deps.orders.saveContract(w.pro, drafting.id, { ...terms, serviceFrom: "2026-12-10", serviceTo: "2027-01-31" });
    expect(saved).toMatchObject({ ok: false, status: 409, errors: { _form: expect.stringContaining(frozen) } });
    const proposed = await t.deps.orders.proposeTermination("enterprise", w.ent, drafting.id, { reason: "不再需要该服务", refund: "0" }, undefined);
    expect(proposed).toMatchObject({ ok: false, status: 409, errors: { _form: expect.stringContaining(frozen) } });
    expect(await writes()).toEqual(during);
    expect(await statusOf(t, pending.id)).toBe("pending_acceptance");
    // Another enterprise orders from the same provider as before.
    expect((await placeOrder(t, ent2, w.product, { useVoucher: false })).status).toBe("pending_acceptance");

    // The platform's own steps go on: the operator closes the frozen order.
    await operator.get(`/admin/orders/${pending.id}`);
    expect(operator.lastHtml).toContain(frozen);
    await operator.get(`/admin/orders/${pending.id}/close`);
    res = await operator.post(`/admin/orders/${pending.id}/close`, { reason: "企业暂停交易，平台关闭订单", version: versionOn(operator.lastHtml) });
    expect(res.status).toBe(303);
    expect(await statusOf(t, pending.id)).toBe("closed");

    // 恢复交易 needs a reason too; then everything works again.
    expect((await post(operator, page, "resume", "")).status).toBe(422);
    expect(operator.lastHtml).toContain("请填写恢复原因");
    expect((await post(operator, page, "resume", "复核后确认合同真实")).status).toBe(303);
    expect(await smsTo("13800000001", "恢复交易")).toBe(1);
    expect((await ent.get(`/me/orders/${signing}/sign`)).status).toBe(200);
    expect(await t.deps.signing.startFlow(unstarted)).toMatchObject({ ok: true });
    const again = await placeOrder(t, w.ent, w.product, { useVoucher: false });
    expect((await t.deps.orders.accept(w.pro, again.id, undefined)).ok).toBe(true);
    await operator.get(page);
    expect(operator.lastHtml).toContain("交易状态：正常");
    expect(operator.lastHtml).toMatch(/暂停：核实存在虚构服务合同套取服务券的情形；.* 恢复：复核后确认合同真实/);
    expect(operator.lastHtml).toMatch(/<span>暂停交易<\/span>[\s\S]*<span>恢复交易<\/span>|<span>恢复交易<\/span>[\s\S]*<span>暂停交易<\/span>/);
    const audited = await t.deps.db.query<{ action: string; actor_type: string; reason: string }>(
      "select action, actor_type, reason from audit_events where entity_type = 'enterprise' and entity_id = $1 and action like 'trading_%' order by id",
      [enterpriseId],
    );
    expect(audited).toEqual([
      { action: "trading_suspended", actor_type: "admin", reason: REASON },
      { action: "trading_resumed", actor_type: "admin", reason: "复核后确认合同真实" },
    ]);
  });
});

describe("暂停交易 of a provider", () => {
  it("refuses orders for its products and freezes its open orders; other providers are untouched; shown in 服务商管理; 恢复 lifts it", async () => {
    const t = w.t;
    const provider = (await t.deps.catalog.providerOfAccount(w.pro))!;
    const page = `/admin/suspensions/provider/${provider.id}`;
    const open = await placeOrder(t, ent2, w.product, { useVoucher: false });
    expect((await post(operator, page, "suspend", "")).status).toBe(422);
    expect((await post(operator, page, "suspend", "出具虚假检测报告骗取补贴")).status).toBe(303);

    const buyer = await signIn(t, "13800000002");
    const before = await writes();
    const res = await submitOverHttp(buyer, w.product);
    expect(res.status).toBe(409);
    expect(buyer.lastHtml).toContain("该服务机构已被平台暂停交易，暂不能对其服务产品下单");
    await buyer.get(`/me/orders/${open.id}/cancel`);
    expect((await buyer.post(`/me/orders/${open.id}/cancel`, { reason: "", version: versionOn(buyer.lastHtml) })).status).toBe(409);
    expect(buyer.lastHtml).toContain("订单已冻结：服务机构已被平台暂停交易");
    expect(await writes()).toEqual(before);
    expect((await placeOrder(t, ent2, otherProduct, { useVoucher: false })).status).toBe("pending_acceptance");

    const reviewer = await signInAdmin(t, "reviewer");
    await reviewer.get("/admin/providers/list");
    expect(reviewer.lastHtml).toContain("<strong>已暂停交易</strong>");
    expect(reviewer.lastHtml).toContain(`href="${page}"`);
    // Not the catalog's 暂停（出库）: the provider stays listed.
    expect((await t.deps.catalog.provider(provider.id))!.status).toBe("active");

    expect((await post(operator, page, "resume", "复核完毕")).status).toBe(303);
    await buyer.get(`/me/orders/${open.id}/cancel`);
    expect((await buyer.post(`/me/orders/${open.id}/cancel`, { reason: "", version: versionOn(buyer.lastHtml) })).status).toBe(303);
    await operator.get(page);
    expect(operator.lastHtml).toContain("出具虚假检测报告骗取补贴");
    expect(operator.lastHtml).toContain("<span>恢复交易</span>");
  });
});
