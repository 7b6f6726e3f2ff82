import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../support/app.ts";
import { type Browser, SAMPLE_PDF } from "../support/client.ts";
import { signIn } from "../support/flows.ts";
import { placeOrder, productBy } from "../support/orders.ts";
import { completedOrder, registerBankAccount } from "../support/payments.ts";
import { type SigningWorld, signingWorld } from "../support/signing.ts";

/**
 * Statements per view of the signed-in 个人中心 pages (and the provider's order pages), counted by
 * the test app's counting Db, on the demo data: enterprise 13800000001 holds its 通用券 and a 专项券,
 * four orders with provider 13800000008 and one more taken to 已完成 (定金 and 尾款 paid, 服务成果
 * with a file, 评价). Each budget is the count measured after the work of docs/benchmarks.md, 'Statements per signed-in view';
 * a page that needs more fails here, and each page must still show its content.
 */
let w: SigningWorld;
let t: TestApp;
let enterprise: Browser;
let provider: Browser;
let openId: string;
let openNumber: string;
let doneId: string;
let doneNumber: string;
/** The ordering enterprise's name, which the provider's order page shows. */
let buyerName: string;

/** The statements of a steady view of one GET (a first view warms what a process keeps between requests), with its status and page. */
async function measure(b: Browser, path: string) {
  const counter = t.counter!;
  await b.get(path);
  counter.reset();
  const res = await b.get(path);
  const statements = [...counter.statements];
  if (process.env.PRINT_STATEMENTS) console.log(`${path}: ${statements.length}\n  ${statements.join("\n  ")}`);
  return { status: res.status, html: b.lastHtml, count: statements.length, statements };
}

beforeAll(async () => {
  w = await signingWorld({ countStatements: true });
  t = w.t;
  // A 专项券 beside the demo's 通用券, so 我的服务券 shows two voucher accounts.
  const [special] = await t.deps.db.query<{ id: string }>("select id from voucher_programmes where kind = 'special'");
  const [reviewer] = await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'reviewer'");
  const applied = await t.deps.vouchers.apply(w.ent, special!.id, { amountFen: 2_000_000, documents: [{ name: "设备采购合同.pdf", bytes: SAMPLE_PDF }] });
  if (!applied.ok) throw new Error(JSON.stringify(applied.errors));
  const decided = await t.deps.vouchers.decide({ id: reviewer!.id, role: "reviewer" }, applied.value.applicationId, { decision: "approve", reason: "" });
  expect(decided.ok).toBe(true);
  const quality = await productBy(t, "ISO 9001 质量管理体系建设辅导");
  const open = await placeOrder(t, w.ent, w.product);
  for (const p of [w.product, quality]) await placeOrder(t, w.ent, p);
  await placeOrder(t, w.ent, w.product, { useVoucher: false });
  // 接单: the open order waits for its contract (待制定合同), with two events.
  const accepted = await t.deps.orders.accept(w.pro, open.id, open.version);
  expect(accepted.ok).toBe(true);
  openId = open.id;
  openNumber = open.number;
  await registerBankAccount(w, w.ent, "6222020000000000001");
  await registerBankAccount(w, w.pro, "6222020000000000008");
  const done = await completedOrder(w);
  doneId = done.id;
  doneNumber = done.number;
  buyerName = (await t.deps.enterprises.ofAccount(w.ent))!.name;
  enterprise = await signIn(t, "13800000001");
  provider = await signIn(t, "13800000008");
});
afterAll(async () => t?.close());

/**
 * Each page's budget: statements per steady view now, and `before` this work (docs/benchmarks.md, 'Statements per signed-in view').
 * `marks` are texts the page must still show.
 */
const PAGES: { name: string; who: "enterprise" | "provider"; path: () => string; budget: number; before: number; marks: () => string[] }[] = [
  { name: "基本信息 /me", who: "enterprise", path: () => "/me", budget: 2, before: 2, marks: () => ["企业信息", "138****0001", "已认证"] },
  {
    name: "我的服务券 /me/vouchers",
    who: "enterprise",
    path: () => "/me/vouchers",
    budget: 5,
    before: 8,
    marks: () => ["可用额度", "年度通用券", "设备更新专项券"],
  },
  { name: "我购买的服务 /me/orders", who: "enterprise", path: () => "/me/orders", budget: 4, before: 6, marks: () => [doneNumber, openNumber] },
  {
    name: "an open order /me/orders/:id",
    who: "enterprise",
    path: () => `/me/orders/${openId}`,
    budget: 7,
    before: 14,
    marks: () => [openNumber, "订单状态：待制定合同"],
  },
  {
    name: "a completed order /me/orders/:id",
    who: "enterprise",
    path: () => `/me/orders/${doneId}`,
    budget: 7,
    before: 15,
    marks: () => [doneNumber, "订单状态：已完成", "报告.pdf", "检测完成"],
  },
  {
    name: "the provider's 订单管理 /provider/orders",
    who: "provider",
    path: () => "/provider/orders",
    budget: 5,
    before: 7,
    marks: () => [doneNumber, openNumber],
  },
  {
    name: "the provider's open order /provider/orders/:id",
    who: "provider",
    path: () => `/provider/orders/${openId}`,
    budget: 6,
    before: 13,
    marks: () => [openNumber, "制定合同", buyerName],
  },
  {
    name: "the provider's completed order /provider/orders/:id",
    who: "provider",
    path: () => `/provider/orders/${doneId}`,
    budget: 7,
    before: 15,
    marks: () => [doneNumber, "报告.pdf", buyerName],
  },
];

describe("statements per signed-in view", () => {
  it.each(PAGES.map((p) => [`${p.name}: at most ${p.budget} (${p.before} before)`, p] as const))("%s", async (_name, page) => {
    const m = await measure(page.who === "enterprise" ? enterprise : provider, page.path());
    expect(m.status).toBe(200);
    for (const mark of page.marks()) expect(m.html).toContain(mark);
    expect(m.count, m.statements.join("\n")).toBeLessThanOrEqual(page.budget);
  });
});
