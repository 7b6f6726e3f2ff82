import type { Order } from "../../src/modules/orders/ports.ts";
import type { TestApp } from "./app.ts";

/** The account id of a demo phone. */
export const accountOf = async (t: TestApp, phone: string) =>
  (await t.deps.db.query<{ id: string }>("select id from accounts where phone = $1", [phone]))[0]!.id;

/** The product id of a listed demo product. */
export const productBy = async (t: TestApp, title: string) =>
  (await t.deps.db.query<{ product_id: string }>("select product_id from product_listings where title = $1", [title]))[0]!.product_id;

/** What the enterprise of this account has left on the first voucher account that pays for this category. */
export async function voucherLeft(t: TestApp, accountId: string, category = "testing") {
  const enterprise = (await t.deps.enterprises.ofAccount(accountId))!;
  const [a] = await t.deps.vouchers.payableAccounts(enterprise.id, category);
  return a!.availableFen;
}

/** 订单详情 then 提交订单 through the service, with the first payable voucher unless told otherwise; throws on a refusal. */
export async function placeOrder(t: TestApp, accountId: string, productId: string, opts: { useVoucher?: boolean } = {}): Promise<Order> {
  const page = await t.deps.orders.orderPage(accountId, productId);
  if (!page.ok) throw new Error(JSON.stringify(page.errors));
  const useVoucher = opts.useVoucher ?? true;
  const res = await t.deps.orders.submit(accountId, {
    productId,
    useVoucher,
    voucherAccountId: useVoucher ? page.value.accounts[0]!.accountId : undefined,
    submissionKey: page.value.submissionKey,
  });
  if (!res.ok) throw new Error(JSON.stringify(res.errors));
  return res.value.order;
}

/** The outbox messages that name this order number, oldest first. */
export async function smsAbout(t: TestApp, orderNumber: string) {
  return (await t.sms.latest(200)).filter((m) => m.text.includes(orderNumber)).reverse();
}
