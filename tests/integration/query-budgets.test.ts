import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { type Browser, SAMPLE_PDF } from "../support/client.ts";
import { signIn } from "../support/flows.ts";
import { accountOf, placeOrder, productBy } from "../support/orders.ts";

/**
 * Statements per view of the signed-in 个人中心 pages (and the provider's order page), counted by the
 * test app's counting Db, on the demo data with enterprise 13800000001 holding orders and its 通用券.
 * Each budget is the count measured after the work of docs/benchmarks/signedin.md; a page that needs
 * more fails here, and the page must still show its content.
 */
let t: TestApp;
let enterprise: Browser;
let provider: Browser;
let orderId: string;
let orderNumber: string;

/** The statements one GET sends, with its status and page. */
async function measure(b: Browser, path: string) {
  const counter = t.counter!;
  // A first view warms what a process keeps between requests (the views, the assets), so the count is a steady view's.
  await b.get(path);
  counter.reset();
  const res = await b.get(path);
  const statements = [...counter.statements];
  if (process.env.PRINT_STATEMENTS) console.log(`${path}: ${statements.length}\n  ${statements.join("\n  ")}`);
  return { status: res.status, html: b.lastHtml, count: statements.length, statements };
}

beforeAll(async () => {
  t = await makeTestApp({ demo: true, countStatements: true });
  const account = await accountOf(t, "13800000001");
  // A 专项券 beside the demo's 通用券, so 我的服务券 shows two voucher accounts.
  const [special] = await t.deps.db.query<{ id: string }>("select id from voucher_programmes where kind = 'special'");
  const [reviewer] = await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'reviewer'");
  const applied = await t.deps.vouchers.apply(account, special!.id, {
    amountFen: 2_000_000,
    documents: [{ name: "设备采购合同.pdf", bytes: SAMPLE_PDF }],
  });
  if (!applied.ok) throw new Error(JSON.stringify(applied.errors));
  const decided = await t.deps.vouchers.decide({ id: reviewer!.id, role: "reviewer" }, applied.value.applicationId, { decision: "approve", reason: "" });
  expect(decided.ok).toBe(true);
  const testing = await productBy(t, "金属材料力学性能检测");
  const quality = await productBy(t, "ISO 9001 质量管理体系建设辅导");
  const placed = [];
  for (const p of [testing, testing, quality]) placed.push(await placeOrder(t, account, p));
  placed.push(await placeOrder(t, account, testing, { useVoucher: false }));
  // One order taken further by its provider: 接单 gives it a second event.
  const providerAccount = await accountOf(t, "13800000008");
  const accepted = await t.deps.orders.accept(providerAccount, placed[0]!.id, placed[0]!.version);
  expect(accepted.ok).toBe(true);
  orderId = placed[0]!.id;
  orderNumber = placed[0]!.number;
  enterprise = await signIn(t, "13800000001");
  provider = await signIn(t, "13800000008");
});
afterAll(async () => t?.close());

describe("statements per signed-in view", () => {
  it("基本信息 /me", async () => {
    const m = await measure(enterprise, "/me");
    expect(m.status).toBe(200);
    expect(m.html).toContain("基本信息");
    expect(m.count).toBeLessThanOrEqual(2);
  });

  it("我的服务券 /me/vouchers", async () => {
    const m = await measure(enterprise, "/me/vouchers");
    expect(m.status).toBe(200);
    expect(m.html).toContain("可用额度");
    expect(m.html).toContain("通用券");
    expect(m.html).toContain("设备更新专项券");
    expect(m.count).toBeLessThanOrEqual(8);
  });

  it("我购买的服务 /me/orders", async () => {
    const m = await measure(enterprise, "/me/orders");
    expect(m.status).toBe(200);
    expect(m.html).toContain(orderNumber);
    expect(m.count).toBeLessThanOrEqual(6);
  });

  it("订单详情 /me/orders/:id", async () => {
    const m = await measure(enterprise, `/me/orders/${orderId}`);
    expect(m.status).toBe(200);
    expect(m.html).toContain(orderNumber);
    expect(m.count).toBeLessThanOrEqual(14);
  });

  it("the provider's order page /provider/orders/:id", async () => {
    const m = await measure(provider, `/provider/orders/${orderId}`);
    expect(m.status).toBe(200);
    expect(m.html).toContain(orderNumber);
    expect(m.count).toBeLessThanOrEqual(13);
  });

  it("the provider's 订单管理 /provider/orders", async () => {
    const m = await measure(provider, "/provider/orders");
    expect(m.status).toBe(200);
    expect(m.html).toContain(orderNumber);
    expect(m.count).toBeLessThanOrEqual(7);
  });
});
