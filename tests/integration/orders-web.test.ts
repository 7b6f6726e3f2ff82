import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rowCounts } from "../support/orders.ts";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { Browser } from "../support/client.ts";
import { signIn } from "../support/flows.ts";

/**
 * 订单详情, 提交订单, 我购买的服务, an order's page and 取消订单 through HTTP on the demo data:
 * enterprises 1 and 2 hold an approved 通用券, 5 is not certified, 7-9 are providers with listed products.
 */
let t: TestApp;
let testingProduct: string; // 金属材料力学性能检测, ¥8,000 per 批
let delistProduct: string; // 智能制造能力成熟度诊断服务 (provider 7)

const productBy = async (title: string) =>
  (await t.deps.db.query<{ product_id: string }>("select product_id from product_listings where title = $1", [title]))[0]!.product_id;
const counts = () => rowCounts(t, { orders: "orders", events: "order_events", ledger: "voucher_ledger" });
/** The hidden fields and the chosen radio of 订单详情 as the browser would post them. */
function formOf(html: string): Record<string, string> {
  const hidden = (name: string) => html.match(new RegExp(`name="${name}" value="([^"]*)"`))?.[1] ?? "";
  const voucher = html.match(/name="voucherAccountId" value="([^"]+)" checked/)?.[1];
  const out: Record<string, string> = { product: hidden("product"), submissionKey: hidden("submissionKey"), quantity: "1" };
  if (voucher) {
    out.useVoucher = "yes";
    out.voucherAccountId = voucher;
  }
  return out;
}
/** The amount shown after a term of a definition list. */
const amount = (html: string, term: string) => html.match(new RegExp(`<dt>${term}</dt><dd>([^<]+)</dd>`))?.[1];
const orderIdOf = (location: string | null) => location?.match(/^\/me\/orders\/([0-9a-f-]{36})$/)?.[1];

beforeAll(async () => {
  t = await makeTestApp({ demo: true });
  testingProduct = await productBy("金属材料力学性能检测");
  delistProduct = await productBy("智能制造能力成熟度诊断服务");
});
afterAll(async () => t?.close());

describe("申请服务 -> 订单详情 -> 提交订单 -> 我购买的服务 -> 取消订单", () => {
  it("walks the whole flow; the amounts on 订单详情 equal the product page's, and a replayed form gives one order", async () => {
    const b = await signIn(t, "13800000001");
    await b.get(`/products/${testingProduct}`);
    const productHtml = b.lastHtml;
    const res = await b.post(`/products/${testingProduct}/apply`, {});
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe(`/me/orders/new?product=${testingProduct}`);
    await b.get(res.headers.get("Location")!);
    expect(b.lastStatus).toBe(200);
    const page = b.lastHtml;
    for (const text of [
      "<h1>订单详情</h1>",
      "金属材料力学性能检测",
      "交付清单",
      "验收标准",
      "使用补贴券",
      "提交订单",
      "订单金额",
      "补贴券抵扣",
      "企业自付",
      "可用额度",
    ]) {
      expect(page).toContain(text);
    }
    expect(page).toContain('<html lang="zh-CN">');
    expect(page).toMatch(/<label for="f-quantity">数量（批）<\/label>/);
    // The same arithmetic as the product page: its deduction and self-pay are the ones shown here.
    expect(amount(page, "补贴券抵扣")).toBe(amount(productHtml, "补贴券抵扣金额"));
    expect(amount(page, "企业自付")).toBe(amount(productHtml, "企业自付"));
    expect(amount(page, "补贴券抵扣")).toBe("¥2,400.00");

    const before = await counts();
    const fields = formOf(page);
    const submitted = await b.post("/me/orders", fields);
    expect(submitted.status).toBe(303);
    const id = orderIdOf(submitted.headers.get("Location"));
    expect(id).toBeTruthy();
    await b.get(`/me/orders/${id}`);
    expect(b.lastHtml).toContain("提交订单成功");
    expect(b.lastHtml).toContain("订单状态：待接单");
    expect(b.lastHtml).toMatch(/<h1>订单 DD\d{14}<\/h1>/);
    expect(b.lastHtml).toContain("提交订单</span> → 待接单");
    expect(amount(b.lastHtml, "补贴券抵扣")).toBe("¥2,400.00");
    const number = b.lastHtml.match(/<h1>订单 (DD\d{14})<\/h1>/)![1]!;

    // The same form again (a double click, a replay): the same order, nothing more written.
    const after = await counts();
    expect(after.orders).toBe(before.orders + 1);
    const replay = await b.post("/me/orders", fields, { csrf: b.csrf(page) });
    expect(replay.status).toBe(303);
    expect(orderIdOf(replay.headers.get("Location"))).toBe(id);
    expect(await counts()).toEqual(after);

    // 我购买的服务: under 全部 and 待接单, with counts; not under 已取消.
    await b.get("/me/orders?tab=pending");
    expect(b.lastHtml).toContain(number);
    expect(b.lastHtml).toMatch(/aria-current="page">待接单（\d+）/);
    await b.get("/me/orders");
    expect(b.lastHtml).toContain(number);
    await b.get("/me/orders?tab=cancelled");
    expect(b.lastHtml).not.toContain(number);

    // 取消订单: a confirmation page with the version, then 303 to the order with a flash.
    await b.get(`/me/orders/${id}/cancel`);
    expect(b.lastStatus).toBe(200);
    expect(b.lastHtml).toContain("确定取消订单");
    expect(b.lastHtml).toContain('<label for="f-reason">取消原因（选填）</label>');
    const version = b.lastHtml.match(/name="version" value="(\d+)"/)![1]!;
    const confirm = b.lastHtml;
    const cancelled = await b.post(`/me/orders/${id}/cancel`, { reason: "计划调整", version });
    expect(cancelled.status).toBe(303);
    expect(cancelled.headers.get("Location")).toBe(`/me/orders/${id}`);
    await b.get(`/me/orders/${id}`);
    expect(b.lastHtml).toContain("订单已取消，补贴券抵扣额度已退回");
    expect(b.lastHtml).toContain("订单状态：订单取消");
    expect(b.lastHtml).toContain("原因：计划调整");
    await b.get("/me/orders?tab=cancelled");
    expect(b.lastHtml).toContain(number);

    // A second cancel (the old confirmation page): 409 with a clear message, nothing written.
    const frozen = await counts();
    const again = await b.post(`/me/orders/${id}/cancel`, { reason: "", version }, { csrf: b.csrf(confirm) });
    expect(again.status).toBe(409);
    expect(b.lastHtml).toContain("请修改以下问题");
    expect(b.lastHtml).toMatch(/不能|已发生变化/);
    expect(await counts()).toEqual(frozen);
    await b.get(`/me/orders/${id}/cancel`);
    expect(b.lastStatus).toBe(409);
    expect(b.lastHtml).not.toContain("确定取消订单");
  });

  it("a stale version on 取消订单 is a 409 and the order stays 待接单", async () => {
    const b = await signIn(t, "13800000002");
    await b.get(`/me/orders/new?product=${testingProduct}`);
    const res = await b.post("/me/orders", formOf(b.lastHtml));
    const id = orderIdOf(res.headers.get("Location"))!;
    await b.get(`/me/orders/${id}/cancel`);
    const stale = await b.post(`/me/orders/${id}/cancel`, { reason: "", version: "99" });
    expect(stale.status).toBe(409);
    expect(b.lastHtml).toContain("订单已发生变化，请刷新页面查看最新状态");
    const bad = await b.post(`/me/orders/${id}/cancel`, { reason: "", version: "abc" });
    expect(bad.status).toBe(409);
    await b.get(`/me/orders/${id}`);
    expect(b.lastHtml).toContain("订单状态：待接单");
    // Cleaned up so the other tests see demo enterprise 2's voucher as it was.
    await b.get(`/me/orders/${id}/cancel`);
    await b.post(`/me/orders/${id}/cancel`, { reason: "", version: b.lastHtml.match(/name="version" value="(\d+)"/)![1]! });
  });

  it("the amounts follow the quantity and the voucher choice without JavaScript (重新计算金额)", async () => {
    const b = await signIn(t, "13800000001");
    await b.get(`/me/orders/new?product=${testingProduct}&quantity=2`);
    expect(amount(b.lastHtml, "订单金额")).toBe("¥16,000.00");
    const fields = formOf(b.lastHtml);
    await b.post("/me/orders/new", { ...fields, quantity: "3", useVoucher: "" });
    expect(b.lastStatus).toBe(200);
    expect(amount(b.lastHtml, "订单金额")).toBe("¥24,000.00");
    expect(amount(b.lastHtml, "补贴券抵扣")).toBe("¥0.00");
    expect(amount(b.lastHtml, "企业自付")).toBe("¥24,000.00");
    expect(b.lastHtml).not.toMatch(/name="useVoucher" value="yes" checked/);
  });
});

describe("bad input and other enterprises", () => {
  it("refuses a malformed product id (404), a quantity out of range (422 with its message) and prototype keys, writing nothing", async () => {
    const b = await signIn(t, "13800000001");
    expect((await b.get("/me/orders/new?product=not-a-uuid")).status).toBe(404);
    expect((await b.get("/me/orders/new")).status).toBe(404);
    expect((await b.get("/me/orders/new?product=00000000-0000-4000-8000-000000000000")).status).toBe(404);
    const res = await b.get(`/me/orders/new?product=${testingProduct}&quantity=1000`);
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("数量不能超过999");
    expect(b.lastHtml).toContain("请修改以下问题");
    await b.get(`/me/orders/new?product=${testingProduct}`);
    const fields = formOf(b.lastHtml);
    const before = await counts();
    expect((await b.post("/me/orders", { ...fields, product: "x" })).status).toBe(404);
    expect((await b.post("/me/orders", { ...fields, quantity: "1000" })).status).toBe(422);
    expect(b.lastHtml).toContain("数量不能超过999");
    expect((await b.post("/me/orders", { ...fields, quantity: "-1" })).status).toBe(422);
    expect(b.lastHtml).toContain("数量应为正整数");
    expect((await b.post("/me/orders", { ...fields, quantity: "__proto__" })).status).toBe(422);
    expect((await b.post("/me/orders", { ...fields, voucherAccountId: "constructor" })).status).toBe(422);
    expect(b.lastHtml).toContain("请选择要使用的服务券");
    expect((await b.post("/me/orders", { ...fields, submissionKey: "__proto__" })).status).toBe(422);
    expect(b.lastHtml).toContain("订单表单已失效，请返回服务产品页面重新申请");
    expect(await counts()).toEqual(before);
    // An unknown or prototype tab is 全部.
    await b.get("/me/orders?tab=constructor");
    expect(b.lastStatus).toBe(200);
    expect(b.lastHtml).toMatch(/aria-current="page">全部（\d+）/);
    await b.get("/me/orders?tab=__proto__&page=-3");
    expect(b.lastStatus).toBe(200);
  });

  it("another enterprise gets 404 for A's order and its cancellation; an uncertified one gets the gate", async () => {
    const a = await signIn(t, "13800000001");
    await a.get(`/me/orders/new?product=${testingProduct}`);
    const orderNew = a.lastHtml;
    const id = orderIdOf((await a.post("/me/orders", formOf(orderNew))).headers.get("Location"))!;
    await a.get(`/me/orders/${id}/cancel`);
    const version = a.lastHtml.match(/name="version" value="(\d+)"/)![1]!;

    const other = await signIn(t, "13800000002");
    expect((await other.get(`/me/orders/${id}`)).status).toBe(404);
    expect((await other.get(`/me/orders/${id}/cancel`)).status).toBe(404);
    await other.get("/me/orders");
    expect((await other.post(`/me/orders/${id}/cancel`, { reason: "", version })).status).toBe(404);
    expect((await other.get("/me/orders/not-an-id")).status).toBe(404);

    const uncertified = await signIn(t, "13800000005");
    await uncertified.get(`/me/orders/new?product=${testingProduct}`);
    expect(uncertified.lastHtml).toContain("审核通过后即可使用“订单详情”");
    const before = await counts();
    expect((await uncertified.post("/me/orders", { ...formOf(orderNew), useVoucher: "" })).status).toBe(403);
    expect(await counts()).toEqual(before);
    await uncertified.get("/me/orders");
    expect(uncertified.lastHtml).toContain("审核通过后即可使用“我购买的服务”");
    expect((await uncertified.get(`/me/orders/${id}`)).status).toBe(404);

    await a.get(`/me/orders/${id}`);
    expect(a.lastHtml).toContain("订单状态：待接单");
  });

  it("signed out: 申请服务 and 订单详情 lead to the login page and back", async () => {
    const anon = new Browser(t);
    const back = `/login?next=${encodeURIComponent(`/me/orders/new?product=${testingProduct}`)}`;
    // Signed out, 申请服务 is a link (the page is the same for every anonymous visitor, no token in it).
    await anon.get(`/products/${testingProduct}`);
    expect(anon.lastHtml).toContain(`<a class="button primary" href="${back}">申请服务</a>`);
    expect(anon.lastHtml).not.toContain('name="_csrf"');
    // The form's address still answers a signed-out POST (a page kept from before) the same way.
    await anon.get("/login");
    const res = await anon.post(`/products/${testingProduct}/apply`, {});
    expect(res.headers.get("Location")).toBe(back);
    const direct = await anon.get(`/me/orders/new?product=${testingProduct}`);
    expect(direct.headers.get("Location")).toBe(`/login?next=${encodeURIComponent(`/me/orders/new?product=${testingProduct}`)}`);
  });

  it("a product taken off the shelf after 订单详情 opened: 409 with the message, nothing written", async () => {
    const b = await signIn(t, "13800000002");
    await b.get(`/me/orders/new?product=${delistProduct}`);
    expect(b.lastStatus).toBe(200);
    const fields = formOf(b.lastHtml);
    const provider = await signIn(t, "13800000007");
    await provider.get("/provider/products");
    const delisted = await provider.post(`/provider/products/${delistProduct}/delist`, {});
    expect(delisted.status).toBe(303);
    const before = await counts();
    const res = await b.post("/me/orders", fields);
    expect(res.status).toBe(409);
    expect(b.lastHtml).toContain("该服务产品已下架，不能下单");
    expect(b.lastHtml).toContain("<h1>订单详情</h1>");
    expect(await counts()).toEqual(before);
    await provider.get("/provider/products");
    await provider.post(`/provider/products/${delistProduct}/relist`, {});
  });
});
