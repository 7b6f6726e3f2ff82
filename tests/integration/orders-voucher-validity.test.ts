import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp, testClock } from "../support/app.ts";
import type { Browser } from "../support/client.ts";
import { signIn } from "../support/flows.ts";

/**
 * 订单详情 and 提交订单 with a voucher outside its 用券有效期, on the demo data and the test clock: the
 * demo programmes are valid from 1 January to 31 December of the year the data was loaded in (here
 * 2026). Before or after that the voucher is not offered, and a form posting it anyway (a page
 * opened the day before, a forged form) is refused with the service's message, writing nothing.
 */
const clock = testClock(new Date("2026-11-27T02:00:00Z"));
let t: TestApp;
let product: string; // 金属材料力学性能检测, ¥8,000 (provider 8), payable with the demo 通用券
let voucherAccountId: string; // enterprise 1's approved 通用券 account

/** Everything 提交订单 could write, and the voucher account's running totals. */
const state = async () => {
  const [r] = await t.deps.db.query(
    `select (select count(*)::int from orders) as orders, (select count(*)::int from order_events) as events,
            (select count(*)::int from voucher_ledger) as ledger, (select count(*)::int from order_money_lines) as lines,
            (select row_to_json(a)::text from (select granted_fen, reserved_fen, consumed_fen, expired_fen from voucher_accounts where id = $1) a) as totals`,
    [voucherAccountId],
  );
  return r!;
};
const hidden = (html: string, name: string) => html.match(new RegExp(`name="${name}" value="([^"]*)"`))?.[1];

/** Signs enterprise 1 in on the day `at` (sessions run on the same clock) and opens 订单详情. */
async function orderPageOn(at: string): Promise<Browser> {
  clock.set(new Date(at));
  const b = await signIn(t, "13800000001");
  await b.get(`/me/orders/new?product=${product}`);
  expect(b.lastStatus).toBe(200);
  return b;
}

/** The voucher is not offered on 订单详情, and posting it anyway is refused with `message`, writing nothing. */
async function refusedOn(at: string, message: string) {
  const b = await orderPageOn(at);
  const page = b.lastHtml;
  expect(page).not.toContain('name="voucherAccountId"');
  expect(page).not.toContain("使用补贴券");
  expect(page).toContain("贵企业暂无可抵扣此产品的服务券，可按原价下单");
  expect(page).toMatch(/<dt>补贴券抵扣<\/dt><dd>¥0\.00<\/dd>/);

  const before = await state();
  const res = await b.post("/me/orders", {
    product,
    submissionKey: hidden(page, "submissionKey")!,
    quantity: "1",
    useVoucher: "yes",
    voucherAccountId,
  });
  expect(res.status).toBe(422);
  expect(b.lastHtml).toContain(message);
  expect(b.lastHtml).toContain('class="error-summary"');
  expect(await state()).toEqual(before);

  // The service answers the same for the same input, and still writes nothing.
  const account = (await t.deps.db.query<{ id: string }>("select id from accounts where phone = '13800000001'"))[0]!.id;
  const direct = await t.deps.orders.submit(account, {
    productId: product,
    useVoucher: true,
    voucherAccountId,
    submissionKey: hidden(page, "submissionKey")!,
  });
  expect(direct).toEqual({ ok: false, status: 422, errors: { voucherAccountId: message } });
  expect(await state()).toEqual(before);
}

beforeAll(async () => {
  t = await makeTestApp({ demo: true, clock });
  product = (await t.deps.db.query<{ product_id: string }>("select product_id from product_listings where title = '金属材料力学性能检测'"))[0]!.product_id;
  voucherAccountId = (
    await t.deps.db.query<{ id: string }>(
      `select v.id from voucher_accounts v join enterprises e on e.id = v.enterprise_id join accounts a on a.id = e.account_id
        join voucher_programmes p on p.id = v.programme_id where a.phone = '13800000001' and p.kind = 'general'`,
    )
  )[0]!.id;
});
afterAll(async () => t?.close());

describe("提交订单 with a voucher outside its validity", () => {
  it("within the validity (31 December, Asia/Shanghai) the voucher is offered with its deduction", async () => {
    const b = await orderPageOn("2026-12-31T15:30:00Z"); // 23:30 on 31 December in Shanghai
    expect(b.lastHtml).toContain(`name="voucherAccountId" value="${voucherAccountId}" checked`);
    expect(b.lastHtml).toContain('用券有效期 <span class="nowrap">2026-01-01</span> 至 <span class="nowrap">2026-12-31</span>');
    expect(b.lastHtml).toMatch(/<dt>补贴券抵扣<\/dt><dd>¥2,400\.00<\/dd>/);
  });

  it("an EXPIRED voucher (1 January of the next year, Asia/Shanghai) is not offered and is refused: 服务券已过期，不能使用", async () => {
    await refusedOn("2026-12-31T16:30:00Z", "服务券已过期，不能使用"); // 00:30 on 1 January 2027 in Shanghai
    await refusedOn("2027-03-01T02:00:00Z", "服务券已过期，不能使用");
  });

  it("a voucher NOT YET VALID (31 December of the year before) is not offered and is refused: 服务券尚未到使用期，不能使用", async () => {
    await refusedOn("2025-12-31T15:30:00Z", "服务券尚未到使用期，不能使用"); // 23:30 on 31 December 2025 in Shanghai
  });
});
