import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { asMockEsign } from "../../src/adapters/mock-esign/mock-esign.ts";
import { asMockPay } from "../../src/adapters/mock-pay/mock-pay.ts";
import { startJobs } from "../../src/start.ts";
import { accountOf, productBy, statusOf } from "../support/orders.ts";
import { type SigningWorld, legalOf, makeSeal, sign, signingOrder } from "../support/signing.ts";
import {
  browserSuite,
  description,
  errorSummary,
  fact,
  flashMessage,
  heading,
  pdfFile,
  phoneLink,
  refreshUntil,
  see,
  shot,
  signInWithPassword,
  signOnPhone,
} from "./support.ts";

/**
 * The manual's whole path of one order in a real browser, JavaScript on and off, on the embedded
 * default (PGlite, the job engine as `npm start` runs it, the mock e-signature provider and the
 * mock cashier, demo data): 申请服务 -> 提交订单 -> 接单 -> 制定合同 -> 提交企业确认 -> 同意 -> 签署合同
 * by both parties on a phone -> 支付定金 on the cashier's page (支付处理中 until the bank's notice)
 * -> 开始服务 -> 完成服务 with a file -> 服务成果 -> 支付尾款 -> 评价 -> 已完成, the rating on the
 * product's page, the order page at 360 px.
 *
 * Both seals are made through the use cases (the signing test makes them through the pages).
 * JavaScript on: demo enterprise 1 orders 金属材料力学性能检测; off: enterprise 2 orders ISO 9001
 * 质量管理体系建设辅导; provider 8 sells both (a product each, so each run's rating is the only one).
 *
 * Then 协商终止 with a refund, JavaScript on and off, on a second order of the same pair: taken to
 * 待支付定金 through the use cases (the path above already drives those pages), 支付定金 on the
 * cashier's page, 协商终止 proposed by the enterprise (an amount above what was paid refused first),
 * 同意终止 by the provider (without JavaScript after one 拒绝终止), 退款中 on both pages, the bank
 * settles the refund, 退款到账 with 部分退款 (on) or 已退款 (off).
 */
const e2e = browserSuite({ demo: true, mockCallbacks: true, jobs: "engine" });
const PROVIDER = "13800000008";
let w: SigningWorld;

beforeAll(async () => {
  const { t } = e2e.server;
  await startJobs(t.deps);
  w = { t, mock: asMockEsign(t.deps.esign)! } as SigningWorld;
  for (const phone of ["13800000001", "13800000002", PROVIDER]) await makeSeal(w, await accountOf(t, phone));
}, 60_000);

const status = (page: Page, text: string) => page.getByRole("heading", { level: 2, name: `订单状态：${text}`, exact: true });

/** The mock cashier's own page: the amount, then 支付成功; the browser comes back to the order page. */
async function payOnCashier(page: Page, amount: string) {
  await see(heading(page, "对公账户支付"));
  await see(page.getByText(amount, { exact: true }));
  await page.getByRole("button", { name: "支付成功" }).click();
  await see(flashMessage(page, "已返回平台，支付结果以银行通知为准，请稍候刷新查看"));
}

/** 支付定金 from the order page through the cashier (its notification delivered by the job engine): 待开始服务. */
async function payDeposit(page: Page, deposit: string) {
  await see(status(page, "待支付定金"));
  await page.getByRole("button", { name: `支付定金（${deposit}）` }).click();
  await payOnCashier(page, deposit);
  await refreshUntil(page, status(page, "待开始服务"));
}

/**
 * An order of this enterprise for this product of provider 8, signed by both parties through the use
 * cases (the job engine starts the sign flow after 同意, so each party's link is waited for): 待支付定金.
 */
async function signedThroughUseCases(phone: string, product: string, contractFen: number): Promise<string> {
  const { t } = w;
  const [ent, pro] = [await accountOf(t, phone), await accountOf(t, PROVIDER)];
  const id = await signingOrder(w, { ent, pro, product: await productBy(t, product), contract: { contractFen, depositFen: 100_000 } });
  for (const [who, side] of [
    [ent, "enterprise"],
    [pro, "provider"],
  ] as const) {
    await expect.poll(async () => (await t.deps.signing.phoneLink(who, id, side)).ok, { timeout: 20_000 }).toBe(true);
    await sign(w, who, id, side);
  }
  await expect.poll(() => statusOf(t, id), { timeout: 20_000 }).toBe("awaiting_deposit");
  return id;
}

/** The 款项记录 region's row whose 类型 cell starts with this text. */
const moneyRow = (page: Page, kind: string) =>
  page
    .getByRole("region", { name: "款项记录" })
    .getByRole("row")
    .filter({ has: page.getByRole("cell", { name: new RegExp(`^${kind}`) }) });

describe.each([
  { js: true, phone: "13800000001", product: "金属材料力学性能检测", price: "8000", deposit: "¥1,000.00", balance: "¥4,600.00" },
  { js: false, phone: "13800000002", product: "ISO 9001 质量管理体系建设辅导", price: "45000", deposit: "¥1,000.00", balance: "¥30,500.00" },
])("订单全流程 with JavaScript $js", ({ js, phone, product, price, deposit, balance }) => {
  it("申请服务 -> 签署合同 -> 定金 -> 服务 -> 尾款 -> 评价 -> 已完成, the rating on the product page", async () => {
    const { t } = e2e.server;
    const tag = js ? "js" : "nojs";
    const comment = `检测报告规范，交付及时（${tag}）`;

    // The enterprise: the product's page -> 申请服务 -> 订单详情 -> 提交订单.
    const ent = (await e2e.open(js)).page;
    await signInWithPassword(ent, phone);
    await ent.goto(`/products/${await productBy(t, product)}`);
    await see(heading(ent, product));
    await ent.getByRole("button", { name: "申请服务" }).click();
    await see(heading(ent, "订单详情"));
    await ent.getByRole("button", { name: "提交订单" }).click();
    await see(flashMessage(ent, "提交订单成功"));
    const number = (await ent.getByRole("heading", { level: 1 }).innerText()).match(/DD\d{14}/)![0];
    await see(status(ent, "待接单"));

    // The provider: 服务机构中心 -> 订单管理 -> the order -> 接单 -> 制定合同 (¥1,000 定金) -> 提交企业确认.
    const pro = (await e2e.open(js)).page;
    await signInWithPassword(pro, PROVIDER);
    await pro.goto("/provider");
    await pro.getByRole("link", { name: "订单管理", exact: true }).click();
    await see(heading(pro, "订单管理"));
    await pro.getByRole("link", { name: `处理订单 ${number}` }).click();
    await see(heading(pro, `订单 ${number}`));
    await see(status(pro, "待接单"));
    await pro.getByRole("button", { name: "接单" }).click();
    await see(flashMessage(pro, "已接单，请制定合同"));
    await see(status(pro, "待制定合同"));
    await pro.getByRole("link", { name: "制定合同" }).click();
    await see(heading(pro, "合同"));
    await pro.getByRole("link", { name: "制定合同" }).click();
    await see(heading(pro, "制定合同"));
    await pro.getByLabel("服务期限开始").fill("2026-12-10");
    await pro.getByLabel("服务期限结束").fill("2027-01-31");
    await pro.getByLabel("合同金额").fill(price);
    await pro.getByLabel("定金").fill("1000");
    await pro.getByRole("button", { name: "保存并预览" }).click();
    await see(flashMessage(pro, "合同第1版已保存"));
    await pro.getByRole("button", { name: "提交企业确认" }).click();
    await see(flashMessage(pro, "合同已提交企业确认"));
    await see(status(pro, "待确认合同"));

    // The enterprise reads the contract and agrees.
    await ent.reload();
    await see(status(ent, "待确认合同"));
    await ent.getByRole("link", { name: "查看并确认合同" }).click();
    await see(heading(ent, "合同"));
    await ent.getByRole("button", { name: "同意" }).click();
    await see(flashMessage(ent, "已同意合同，请等待签署"));
    await see(status(ent, "待签合同"));

    // 签署合同: the enterprise first, then the provider, each on the phone through the QR code's link.
    const phones = await e2e.open(js, { width: 360, height: 740 });
    await ent.getByRole("link", { name: "签署合同" }).click();
    await see(heading(ent, "签署合同"));
    await signOnPhone(phones.context, await phoneLink(ent, js), await legalOf(t, await accountOf(t, phone)));
    await refreshUntil(ent, ent.getByText("您已完成签署，等待对方签署"), { follows: js });
    await pro.reload();
    await see(status(pro, "待签合同"));
    await pro.getByRole("link", { name: "签署合同" }).click();
    await see(heading(pro, "签署合同"));
    await signOnPhone(phones.context, await phoneLink(pro, js), await legalOf(t, await accountOf(t, PROVIDER)));
    await refreshUntil(pro, pro.getByText("合同已完成签署"), { follows: js });
    await refreshUntil(ent, ent.getByText("合同已完成签署"), { follows: js });

    // 支付定金 on the cashier's page; the bank's notice is held back, so the page says 支付处理中 until it arrives.
    await ent.getByRole("link", { name: `← 订单 ${number}` }).click();
    await see(status(ent, "待支付定金"));
    const cashier = asMockPay(t.deps.pay)!;
    cashier.setDelivery({ late: true });
    try {
      await ent.getByRole("button", { name: `支付定金（${deposit}）` }).click();
      await payOnCashier(ent, deposit);
      await see(ent.getByRole("status").filter({ hasText: `支付处理中：定金 ${deposit}，以银行到账通知为准` }));
      await see(status(ent, "待支付定金"));
    } finally {
      cashier.setDelivery({ late: false });
    }
    expect(await cashier.releaseHeld()).toBeGreaterThan(0);
    await refreshUntil(ent, status(ent, "待开始服务"));
    expect(await ent.getByText("支付处理中").count()).toBe(0);

    // The provider: 开始服务, then 完成服务 with 服务成果 (a summary and a PDF).
    await pro.getByRole("link", { name: `← 订单 ${number}` }).click();
    await see(status(pro, "待开始服务"));
    await pro.getByRole("button", { name: "开始服务" }).click();
    await see(flashMessage(pro, "已开始服务"));
    await see(status(pro, "服务中"));
    await pro.getByRole("link", { name: "完成服务" }).click();
    await see(heading(pro, "完成服务"));
    const summary = `已完成全部服务内容并交付报告（${tag}）`;
    const report = pdfFile(`服务成果报告-${tag}.pdf`);
    await pro.getByLabel("服务成果说明").fill(summary);
    await pro.getByLabel("服务成果文件").setInputFiles(report);
    await pro.getByRole("button", { name: "提交服务成果" }).click();
    await see(flashMessage(pro, "已完成服务，等待企业支付尾款"));
    await see(status(pro, "待支付尾款"));

    // The enterprise sees 服务成果, downloads the file, pays 尾款.
    await ent.reload();
    await see(status(ent, "待支付尾款"));
    const results = ent.getByRole("region", { name: "服务成果" });
    await see(results.getByText(summary));
    const [download] = await Promise.all([ent.waitForEvent("download"), results.getByRole("link", { name: report.name }).click()]);
    expect(download.suggestedFilename()).toBe(report.name);
    expect(Buffer.compare(await readFile((await download.path())!), report.buffer)).toBe(0);
    await ent.getByRole("button", { name: `支付尾款（${balance}）` }).click();
    await payOnCashier(ent, balance);
    await refreshUntil(ent, status(ent, "待评价"));

    // 评价 -> 提交评价 -> 已完成.
    await ent.getByRole("link", { name: "评价", exact: true }).click();
    await see(heading(ent, "评价"));
    await ent.getByRole("group", { name: "服务质量" }).getByRole("radio", { name: "5分 非常满意" }).check();
    await ent.getByRole("group", { name: "服务时效" }).getByRole("radio", { name: "4分 满意" }).check();
    await ent.getByRole("group", { name: "服务态度" }).getByRole("radio", { name: "5分 非常满意" }).check();
    await ent.getByLabel("评价内容（选填）").fill(comment);
    await ent.getByRole("button", { name: "提交评价" }).click();
    await see(flashMessage(ent, "评价已提交，订单已完成"));
    await see(status(ent, "已完成"));
    await see(ent.getByRole("region", { name: "我的评价" }).getByText("服务质量 5分 · 服务时效 4分 · 服务态度 5分"));
    const orderUrl = ent.url();
    await pro.reload();
    await see(status(pro, "已完成"));

    // The rating on the product's page.
    await ent.getByRole("region", { name: "服务产品（下单时）" }).getByRole("link", { name: product }).click();
    await see(heading(ent, product));
    const ratings = ent.getByRole("region", { name: "服务评价" });
    await see(ratings.getByText("4.7 分（1条评价） · 服务质量 5.0 · 服务时效 4.0 · 服务态度 5.0"));
    await see(ratings.getByText(comment));

    // The order page at 已完成 on a 360 px phone: nothing wider than the screen.
    await ent.setViewportSize({ width: 360, height: 740 });
    await ent.goto(orderUrl);
    await see(status(ent, "已完成"));
    expect(await ent.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await shot(ent, `order-life-${tag}-completed-360`);
  }, 180_000);

  it("协商终止 with a refund: too much refused, (拒绝终止 once,) 同意终止 -> 已终止 退款中 -> 退款到账", async () => {
    const { t } = e2e.server;
    const tag = js ? "js" : "nojs";
    // With JavaScript part of the deposit goes back (部分退款); without, all of it (已退款) after one refusal.
    const refund = js ? { yuan: "600", shown: "¥600.00", after: "部分退款" } : { yuan: "1000", shown: "¥1,000.00", after: "已退款" };
    const id = await signedThroughUseCases(phone, product, Number(price) * 100);
    const number = (await t.deps.orders.orderNumberOf(id))!;
    const proposals = async () => (await t.deps.db.query("select 1 from order_terminations where order_id = $1", [id])).length;

    const ent = (await e2e.open(js)).page;
    await signInWithPassword(ent, phone);
    await ent.goto(`/me/orders/${id}`);
    await payDeposit(ent, deposit);
    await see(ent.getByText("支付状态：定金已付"));

    // 协商终止 on a 360 px phone: the form fits; an amount above what was paid is refused in Chinese.
    await ent.setViewportSize({ width: 360, height: 740 });
    await ent.getByRole("link", { name: "协商终止", exact: true }).click();
    await see(heading(ent, `协商终止 ${number}`));
    expect(await ent.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await shot(ent, `order-life-${tag}-terminate-360`);
    const form = ent.getByRole("region", { name: product });
    expect(await fact(form, "企业已支付")).toBe(deposit);
    const reason = ent.getByLabel("终止原因");
    const amount = ent.getByLabel("退还企业金额（元）");
    await reason.fill(`项目取消，双方协商一致（${tag}）`);
    await amount.fill("1000.01");
    await ent.getByRole("button", { name: "申请协商终止" }).click();
    const tooMuch = `退还金额不能超过企业已支付的${deposit}`;
    await see(errorSummary(ent).getByText(tooMuch));
    expect(await description(ent, amount)).toContain(tooMuch);
    expect(await amount.inputValue()).toBe("1000.01");
    expect(await fact(form, "订单状态")).toBe("待开始服务");
    expect(await proposals()).toBe(0);
    expect(await statusOf(t, id)).toBe("awaiting_start");

    const propose = async (why: string) => {
      await reason.fill(why);
      await amount.fill(refund.yuan);
      await ent.getByRole("button", { name: "申请协商终止" }).click();
      await see(flashMessage(ent, "已提交协商终止申请，等待服务机构确认"));
      await see(status(ent, "待开始服务"));
      await see(ent.getByText(/申请协商终止，等待服务机构确认。$/));
    };
    const pro = (await e2e.open(js)).page;
    await signInWithPassword(pro, PROVIDER);
    const proposal = pro.getByRole("region", { name: "协商终止" });

    if (!js) {
      // A first proposal refused by the provider: the order goes on, the enterprise reads why.
      await propose(`项目暂缓（${tag}）`);
      await pro.goto(`/provider/orders/${id}`);
      await see(proposal.getByText(`项目暂缓（${tag}）`));
      await pro.getByLabel("拒绝原因（选填）").fill("检测已开始备样，希望继续履约");
      await pro.getByRole("button", { name: "拒绝终止" }).click();
      await see(flashMessage(pro, "已拒绝协商终止申请，订单继续履约"));
      await see(status(pro, "待开始服务"));
      await ent.reload();
      await see(ent.getByRole("region", { name: "协商终止" }).getByText(/已拒绝：检测已开始备样，希望继续履约$/));
      await ent.getByRole("link", { name: "协商终止", exact: true }).click();
      await see(heading(ent, `协商终止 ${number}`));
    }
    const why = `项目取消，扣除备样费用（${tag}）`;
    await propose(why);

    // The provider reads the reason and the amount and agrees; the refund stays 退款中 until the bank's notice.
    await pro.goto(`/provider/orders/${id}`);
    await see(proposal.getByText(/^企业于 .+ 申请协商终止，请确认是否同意。$/));
    expect(await fact(proposal, "终止原因")).toBe(why);
    expect(await fact(proposal, "退还企业金额")).toBe(`${refund.shown}（企业已支付 ${deposit}）`);
    const cashier = asMockPay(t.deps.pay)!;
    cashier.setDelivery({ late: true }); // the minute tick may settle the refund: its notice waits
    try {
      await pro.getByRole("button", { name: "同意终止" }).click();
      await see(flashMessage(pro, "订单已终止，退款将原路退回企业对公账户"));
      for (const page of [pro, ent]) {
        if (page === ent) await ent.reload();
        await see(status(page, "已终止"));
        await see(page.getByText("支付状态：退款中"));
        await see(moneyRow(page, "退款中（R").filter({ hasText: refund.shown }));
        await see(moneyRow(page, "补贴券额度退回"));
      }
      expect(await ent.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    } finally {
      cashier.setDelivery({ late: false });
    }

    // The bank settles the refund and its notice arrives: 退款到账.
    await cashier.settleDue();
    await cashier.releaseHeld();
    await cashier.deliverDue();
    await refreshUntil(ent, ent.getByText(`支付状态：${refund.after}`));
    await see(moneyRow(ent, "退款到账").filter({ hasText: refund.shown }));
    expect(await moneyRow(ent, "退款中").count()).toBe(0);
    await see(status(ent, "已终止"));
    await shot(ent, `order-life-${tag}-terminated-360`);
  }, 120_000);
});
