import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp } from "../support/app.ts";
import type { Browser } from "../support/client.ts";
import { ORDER_WRITES, availableOn, rowCounts, statusOf, versionOn } from "../support/orders.ts";
import { signIn, signInAdmin } from "../support/flows.ts";

/**
 * The provider's 订单管理 through HTTP on the demo data: enterprises 1 and 2 hold an approved 通用券;
 * provider 8 sells 金属材料力学性能检测, provider 7 does not; enterprise 3 is no provider.
 */
let t: TestApp;
let testingProduct: string;

const counts = () => rowCounts(t, ORDER_WRITES);

/** Enterprise `phone` orders the testing product with its voucher; answers the order id and number. */
async function order(phone: string): Promise<{ b: Browser; id: string; number: string }> {
  const b = await signIn(t, phone);
  await b.get(`/me/orders/new?product=${testingProduct}`);
  const html = b.lastHtml;
  const hidden = (name: string) => html.match(new RegExp(`name="${name}" value="([^"]*)"`))![1]!;
  const voucher = html.match(/name="voucherAccountId" value="([^"]+)" checked/)![1]!;
  const res = await b.post("/me/orders", {
    product: hidden("product"),
    submissionKey: hidden("submissionKey"),
    quantity: "1",
    useVoucher: "yes",
    voucherAccountId: voucher,
  });
  expect(res.status).toBe(303);
  const id = res.headers.get("Location")!.match(/^\/me\/orders\/([0-9a-f-]{36})$/)![1]!;
  await b.get(`/me/orders/${id}`);
  const number = b.lastHtml.match(/<h1>订单 (DD\d{14})<\/h1>/)![1]!;
  return { b, id, number };
}

beforeAll(async () => {
  t = await makeTestApp({ demo: true });
  testingProduct = (await t.deps.db.query<{ product_id: string }>("select product_id from product_listings where title = '金属材料力学性能检测'"))[0]!
    .product_id;
});
afterAll(async () => t?.close());

describe("订单管理: 接单", () => {
  it("lists the order under 待接单, 接单 makes it 待制定合同 (待签合同 for the enterprise); a second 接单 is a 409 writing nothing", async () => {
    const { b: ent, id, number } = await order("13800000001");
    const pro = await signIn(t, "13800000008");
    await pro.get("/provider");
    expect(pro.lastHtml).toContain('href="/provider/orders"');
    await pro.get("/provider/orders?tab=pending");
    expect(pro.lastStatus).toBe(200);
    expect(pro.lastHtml).toContain(number);
    expect(pro.lastHtml).toMatch(/aria-current="page">待接单（\d+）/);
    expect(pro.lastHtml).toContain('<html lang="zh-CN">');

    await pro.get(`/provider/orders/${id}`);
    expect(pro.lastStatus).toBe(200);
    const page = pro.lastHtml;
    for (const text of ["订单状态：待接单", "金属材料力学性能检测", "交付清单", "验收标准", "订单记录", "接单", "拒单", "¥2,400.00"]) {
      expect(page).toContain(text);
    }
    const name = (
      await t.deps.db.query<{ name: string }>("select e.name from enterprises e join orders o on o.enterprise_id = e.id where o.id = $1", [id])
    )[0]!.name;
    expect(page).toContain(`<dt>下单企业</dt><dd>${name}</dd>`);
    const version = versionOn(page);

    const accepted = await pro.post(`/provider/orders/${id}/accept`, { version });
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get("Location")).toBe(`/provider/orders/${id}`);
    await pro.get(`/provider/orders/${id}`);
    expect(pro.lastHtml).toContain("已接单，请制定合同");
    expect(pro.lastHtml).toContain("订单状态：待制定合同");
    expect(pro.lastHtml).toContain("接单</span> → 待制定合同");
    expect(pro.lastHtml).not.toContain(`/provider/orders/${id}/accept`);
    const [event] = await t.deps.db.query<{ actor_type: string; from_status: string; request_id: string | null }>(
      "select actor_type, from_status, request_id from order_events where order_id = $1 and action = 'accept'",
      [id],
    );
    expect(event).toMatchObject({ actor_type: "provider", from_status: "pending_acceptance" });
    expect(event!.request_id).toBeTruthy();

    // The enterprise sees it under 待签合同 with the event in its timeline.
    await ent.get("/me/orders?tab=contract");
    expect(ent.lastHtml).toContain(number);
    await ent.get(`/me/orders/${id}`);
    expect(ent.lastHtml).toContain("订单状态：待制定合同");
    expect(ent.lastHtml).not.toContain("取消订单</a>");

    // The old page again (a second tab): 409 with the message, nothing written.
    const before = await counts();
    const again = await pro.post(`/provider/orders/${id}/accept`, { version }, { csrf: pro.csrf(page) });
    expect(again.status).toBe(409);
    expect(pro.lastHtml).toMatch(/不能接单|已发生变化/);
    const fresh = await pro.post(`/provider/orders/${id}/accept`, { version: String(Number(version) + 1) });
    expect(fresh.status).toBe(409);
    expect(pro.lastHtml).toContain("不能接单");
    expect(await counts()).toEqual(before);
    // 拒单 is no longer offered either.
    await pro.get(`/provider/orders/${id}/decline`);
    expect(pro.lastStatus).toBe(409);
    expect(pro.lastHtml).not.toContain("确定拒单");
  });

  it("a stale or malformed version is a 409 and the order stays 待接单", async () => {
    const { id } = await order("13800000002");
    const pro = await signIn(t, "13800000008");
    await pro.get(`/provider/orders/${id}`);
    expect((await pro.post(`/provider/orders/${id}/accept`, { version: "99" })).status).toBe(409);
    expect(pro.lastHtml).toContain("订单已发生变化，请刷新页面查看最新状态");
    expect((await pro.post(`/provider/orders/${id}/accept`, { version: "abc" })).status).toBe(409);
    expect((await pro.post(`/provider/orders/${id}/decline`, { reason: "排期已满", version: "99" })).status).toBe(409);
    expect(await statusOf(t, id)).toBe("pending_acceptance");
  });
});

describe("订单管理: 拒单", () => {
  it("needs a reason (422, nothing written); with one the order is 已拒单, the enterprise sees the reason and its voucher back", async () => {
    const ent = await signIn(t, "13800000002");
    const availableBefore = await availableOn(ent);
    const { id, number } = await order("13800000002");
    expect(await availableOn(ent)).not.toBe(availableBefore);

    const pro = await signIn(t, "13800000008");
    await pro.get(`/provider/orders/${id}/decline`);
    expect(pro.lastStatus).toBe(200);
    expect(pro.lastHtml).toContain('<label for="f-reason">拒单原因</label>');
    expect(pro.lastHtml).toContain("确定拒单");
    const version = versionOn(pro.lastHtml);

    const before = await counts();
    const empty = await pro.post(`/provider/orders/${id}/decline`, { reason: "  ", version });
    expect(empty.status).toBe(422);
    expect(pro.lastHtml).toContain("请填写拒单原因");
    const short = await pro.post(`/provider/orders/${id}/decline`, { reason: "满", version });
    expect(short.status).toBe(422);
    expect(pro.lastHtml).toContain("拒单原因至少2个字");
    expect((await pro.post(`/provider/orders/${id}/decline`, { reason: "满".repeat(201), version })).status).toBe(422);
    expect(await counts()).toEqual(before);
    expect(await statusOf(t, id)).toBe("pending_acceptance");

    const declined = await pro.post(`/provider/orders/${id}/decline`, { reason: "本月检测排期已满", version });
    expect(declined.status).toBe(303);
    await pro.get(`/provider/orders/${id}`);
    expect(pro.lastHtml).toContain("已拒单，订单已关闭");
    expect(pro.lastHtml).toContain("订单状态：已拒单");
    expect(pro.lastHtml).toContain("原因：本月检测排期已满");
    await pro.get("/provider/orders?tab=cancelled");
    expect(pro.lastHtml).toContain(number);

    await ent.get(`/me/orders/${id}`);
    expect(ent.lastHtml).toContain("订单状态：已拒单");
    expect(ent.lastHtml).toContain("原因：本月检测排期已满");
    await ent.get("/me/orders?tab=cancelled");
    expect(ent.lastHtml).toContain(number);
    expect(await availableOn(ent)).toBe(availableBefore);
    const lines = await t.deps.db.query<{ kind: string }>("select kind from order_money_lines where order_id = $1 order by id", [id]);
    expect(lines.map((l) => l.kind)).toEqual(["voucher_reserved", "voucher_released"]);

    // A second 拒单: 409, nothing written.
    const after = await counts();
    expect((await pro.post(`/provider/orders/${id}/decline`, { reason: "再次拒单", version: String(Number(version) + 1) })).status).toBe(409);
    expect(await counts()).toEqual(after);
  });
});

describe("authorisation", () => {
  it("another provider gets 404, an enterprise that is no provider 403, for the list, the page and both actions; nothing changes", async () => {
    const { id } = await order("13800000001");
    const owner = await signIn(t, "13800000008");
    await owner.get(`/provider/orders/${id}`);
    const version = versionOn(owner.lastHtml);
    const before = await counts();

    const other = await signIn(t, "13800000007");
    await other.get("/provider/orders");
    expect(other.lastStatus).toBe(200);
    expect(other.lastHtml).not.toContain(id);
    expect((await other.get(`/provider/orders/${id}`)).status).toBe(404);
    expect((await other.get(`/provider/orders/${id}/decline`)).status).toBe(404);
    expect((await other.post(`/provider/orders/${id}/accept`, { version })).status).toBe(404);
    expect((await other.post(`/provider/orders/${id}/decline`, { reason: "不是我的订单", version })).status).toBe(404);
    expect((await other.get("/provider/orders/not-an-id")).status).toBe(404);

    const plain = await signIn(t, "13800000003");
    expect((await plain.get("/provider/orders")).status).toBe(403);
    expect(plain.lastHtml).toContain("申请成为服务商");
    expect((await plain.get(`/provider/orders/${id}`)).status).toBe(403);
    await plain.get("/me");
    expect((await plain.post(`/provider/orders/${id}/accept`, { version })).status).toBe(403);
    expect((await plain.post(`/provider/orders/${id}/decline`, { reason: "不是我的订单", version })).status).toBe(403);
    // The ordering enterprise itself is no provider either.
    const buyer = await signIn(t, "13800000001");
    expect((await buyer.get(`/provider/orders/${id}`)).status).toBe(403);

    expect(await counts()).toEqual(before);
    expect(await statusOf(t, id)).toBe("pending_acceptance");
    // Unknown and prototype tabs are 全部.
    await owner.get("/provider/orders?tab=__proto__&page=-2");
    expect(owner.lastStatus).toBe(200);
    expect(owner.lastHtml).toMatch(/aria-current="page">全部（\d+）/);
  });
});

describe("a suspended (暂停) provider", () => {
  it("may not 接单 (403, nothing written, no 接单 button) but may still 拒单, which gives the enterprise its voucher back; after 恢复 it accepts again", async () => {
    const { b: ent, id: first } = await order("13800000001");
    const { id: second } = await order("13800000001");
    const availableOrdered = await availableOn(ent);
    const [provider] = await t.deps.db.query<{ id: string }>(
      "select p.id from providers p join enterprises e on e.id = p.enterprise_id join accounts a on a.id = e.account_id where a.phone = '13800000008'",
    );
    const reviewer = await signInAdmin(t, "reviewer");
    const setStatus = async (action: "suspend" | "restore") => {
      await reviewer.get("/admin/providers/list");
      const res = await reviewer.post(`/admin/providers/${provider!.id}/status`, { action, reason: action === "suspend" ? "资质核查中" : "" });
      expect(res.status).toBe(303);
    };
    await setStatus("suspend");
    try {
      const pro = await signIn(t, "13800000008");
      await pro.get("/provider/orders?tab=pending");
      expect(pro.lastStatus).toBe(200);
      await pro.get(`/provider/orders/${first}`);
      expect(pro.lastStatus).toBe(200);
      expect(pro.lastHtml).toContain("服务商已暂停，不能接新订单");
      expect(pro.lastHtml).not.toContain(`/provider/orders/${first}/accept`);
      expect(pro.lastHtml).toContain(`/provider/orders/${first}/decline`);
      // 拒单 is still offered (its confirmation carries the order's version).
      await pro.get(`/provider/orders/${first}/decline`);
      expect(pro.lastStatus).toBe(200);
      expect(pro.lastHtml).toContain("确定拒单");
      const version = versionOn(pro.lastHtml);

      // 接单 posted anyway (an old page, a crafted form): 403 with the reason on the order's page, nothing written.
      const before = await counts();
      const refused = await pro.post(`/provider/orders/${first}/accept`, { version });
      expect(refused.status).toBe(403);
      expect(pro.lastHtml).toContain("服务商已暂停，不能接单；如无法提供服务，请拒单，企业的补贴券额度将退回");
      expect(pro.lastHtml).toContain(`<h1>订单 `);
      expect(await counts()).toEqual(before);
      expect(await statusOf(t, first)).toBe("pending_acceptance");
      // The service says the same to any caller.
      const direct = await t.deps.orders.accept(
        (await t.deps.db.query<{ id: string }>("select id from accounts where phone = '13800000008'"))[0]!.id,
        first,
        Number(version),
      );
      expect(direct).toMatchObject({ ok: false, status: 403 });

      // 拒单 still works: the order ends and the reservation comes back.
      await pro.get(`/provider/orders/${first}/decline`);
      const declined = await pro.post(`/provider/orders/${first}/decline`, { reason: "服务商暂停期间无法提供服务", version });
      expect(declined.status).toBe(303);
      expect(await statusOf(t, first)).toBe("declined");
      expect(await availableOn(ent)).not.toBe(availableOrdered);
      const lines = await t.deps.db.query<{ kind: string }>("select kind from order_money_lines where order_id = $1 order by id", [first]);
      expect(lines.map((l) => l.kind)).toEqual(["voucher_reserved", "voucher_released"]);
    } finally {
      await setStatus("restore");
    }
    const pro = await signIn(t, "13800000008");
    await pro.get(`/provider/orders/${second}`);
    expect(pro.lastHtml).not.toContain("服务商已暂停");
    expect((await pro.post(`/provider/orders/${second}/accept`, { version: versionOn(pro.lastHtml) })).status).toBe(303);
    expect(await statusOf(t, second)).toBe("contract_drafting");
  });
});
