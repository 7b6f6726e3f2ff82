import type { Order } from "../../src/modules/orders/ports.ts";
import type { Browser } from "./client.ts";
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

/** Rows in the tables an order writes, by name (a refused action must leave every count as it was). */
export const ORDER_WRITES = { orders: "orders", events: "order_events", ledger: "voucher_ledger", lines: "order_money_lines" } as const;

/** How many rows each of these tables holds, keyed as given. */
export async function rowCounts<K extends string>(t: TestApp, tables: Record<K, string>): Promise<Record<K, number>> {
  const parts = Object.entries<string>(tables).map(([key, table]) => `(select count(*)::int from ${table}) as ${key}`);
  const [r] = await t.deps.db.query<Record<K, number>>(`select ${parts.join(", ")}`);
  return r!;
}

/** An order's status. */
export const statusOf = async (t: TestApp, id: string) =>
  (await t.deps.db.query<{ status: string }>("select status from orders where id = $1", [id]))[0]!.status;

/** The order's version a page carries in its hidden field. */
export const versionOn = (html: string) => html.match(/name="version" value="(\d+)"/)![1]!;

/** The 可用额度 shown on 我的服务券 (the first voucher). */
export async function availableOn(b: Browser): Promise<string> {
  await b.get("/me/vouchers");
  return b.lastHtml.match(/<dt>可用额度<\/dt><dd>([^<]+)<\/dd>/)![1]!;
}
