import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { asMockEsign } from "../../src/adapters/mock-esign/mock-esign.ts";
import { asMockPay } from "../../src/adapters/mock-pay/mock-pay.ts";
import { accountOf, productBy } from "../support/orders.ts";
import { completedOrder } from "../support/payments.ts";
import type { SigningWorld } from "../support/signing.ts";
import {
  browserSuite,
  description,
  errorSummary,
  flashMessage,
  heading,
  pdfFile,
  refreshUntil,
  rowWith,
  see,
  shot,
  signInAdmin,
  fact,
  signInWithPassword,
} from "./support.ts";

/**
 * 兑付 in a real browser, JavaScript on and off (docs/settlement.md, issue 14): the provider's 申请兑付
 * of a completed order (a wrong 发票金额 refused first, nothing created) with 发票 and 验收报告, finance's
 * checklist and 审核通过 -> 公示中, the public 兑付公示 reached from the footer, the publicity's end,
 * 拨付 -> 拨付中, the mock bank's payout notice -> 已拨付, and 补贴券已兑付 in the order's 款项记录 with the
 * voucher account's settled amount grown by the voucher part, and 数据看板's 已兑付 figure grown by
 * the same amount.
 * The completed orders are made through the use cases (the order path is order-life's).
 */
const e2e = browserSuite({ demo: true, mockCallbacks: true });
const PROVIDER = "13800000008";
let w: SigningWorld;

beforeAll(async () => {
  const { t } = e2e.server;
  const [ent, pro] = await Promise.all([accountOf(t, "13800000001"), accountOf(t, PROVIDER)]);
  w = { t, mock: asMockEsign(t.deps.esign)!, ent, pro, product: await productBy(t, "金属材料力学性能检测") };
}, 60_000);

const state = (page: Page, text: string) => page.getByRole("heading", { level: 2, name: `状态：${text}`, exact: true });
/** ¥1,234.50 -> 123450 fen. */
const fen = (text: string) => Math.round(Number(text.replace(/[¥,\s]/g, "")) * 100);
const money = (fen: number) => `¥${(fen / 100).toLocaleString("en-US", { minimumFractionDigits: 2 })}`;
/** The manual's masking of an enterprise on public pages: the first two and the last four characters. */
const masked = (name: string) => `${name.slice(0, 2)}**${name.slice(-4)}`;

/** Nothing on the page is wider than a 360 px phone; a screenshot for a person to look at. */
async function fitsPhone(page: Page, name: string) {
  await shot(page, `${name}-1280`);
  await page.setViewportSize({ width: 360, height: 740 });
  await shot(page, `${name}-360`);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await page.setViewportSize({ width: 1280, height: 800 });
}

describe.each([{ js: true }, { js: false }])("兑付 with JavaScript $js", ({ js }) => {
  it("申请兑付 (a wrong 发票金额 refused) -> 审核通过 -> 兑付公示 -> 拨付 -> 已拨付, the voucher part settled", async () => {
    const { t } = e2e.server;
    const tag = js ? "js" : "nojs";
    const order = await completedOrder(w);
    const nameOf = async (account: string) => (await t.deps.enterprises.ofAccount(account))!.name;
    const [entName, proName] = [await nameOf(w.ent), await nameOf(w.pro)];
    const settledFen = async () =>
      Number((await t.deps.db.query<{ n: string }>("select settled_fen::text as n from voucher_accounts where id = $1", [order.accountId]))[0]!.n);
    const settledBefore = await settledFen();
    const applications = async () => (await t.deps.db.query("select 1 from settlement_orders where order_id = $1", [order.id])).length;

    // The provider: 服务机构中心 -> 兑付管理 -> 申请兑付; the page fits a phone.
    const pro = (await e2e.open(js)).page;
    await signInWithPassword(pro, PROVIDER);
    await pro.goto("/provider");
    await pro.getByRole("link", { name: "兑付管理", exact: true }).click();
    await see(heading(pro, "兑付管理"));
    await pro.getByRole("link", { name: "申请兑付", exact: true }).click();
    await see(heading(pro, "申请兑付"));
    await fitsPhone(pro, `settlement-${tag}-apply`);

    // A wrong 发票金额: the message beside the field, the choice kept, nothing created.
    const tick = pro.getByRole("checkbox", { name: order.number, exact: true });
    const amount = pro.getByLabel("发票金额（元）", { exact: true });
    const upload = async () => {
      await pro.getByLabel("发票", { exact: true }).setInputFiles(pdfFile(`发票-${tag}.pdf`));
      await pro.getByLabel("验收报告", { exact: true }).setInputFiles(pdfFile(`验收报告-${tag}.pdf`));
    };
    await tick.check();
    await amount.fill(((order.contractFen - 100) / 100).toFixed(2));
    await upload();
    await pro.getByRole("button", { name: "提交申请" }).click();
    const mismatch = `发票金额应与所选订单的合同金额合计${money(order.contractFen)}一致（含企业自付和补贴券抵扣部分）`;
    await see(errorSummary(pro).getByText(mismatch));
    expect(await description(pro, amount)).toContain(mismatch);
    expect(await tick.isChecked()).toBe(true);
    expect(await applications()).toBe(0);

    // The right amount, the files again: 待审核.
    await amount.fill((order.contractFen / 100).toFixed(2));
    await upload();
    await pro.getByRole("button", { name: "提交申请" }).click();
    await see(flashMessage(pro, "等待财务审核"));
    await see(state(pro, "待审核"));
    const number = (await pro.getByRole("heading", { level: 1 }).innerText()).match(/DF\d+/)![0];
    expect(await applications()).toBe(1);
    const applicationUrl = pro.url();

    // Finance: 数据看板's 已兑付 before; 兑付审核 -> the application: the checklist all ✓ -> 审核通过 -> 公示中.
    const fin = (await e2e.open(js)).page;
    await signInAdmin(fin, "finance");
    const dashboardSettled = async () => {
      await fin.goto("/admin");
      await fin.getByRole("link", { name: "数据看板", exact: true }).click();
      await see(heading(fin, "数据看板"));
      return fen(await fact(fin.getByRole("region", { name: "服务券总量" }), "已兑付"));
    };
    const dashboardBefore = await dashboardSettled();
    await fin.goto("/admin");
    await fin.getByRole("link", { name: "兑付审核", exact: true }).click();
    await see(heading(fin, "兑付审核"));
    await fin.getByRole("link", { name: `审核兑付申请 ${number}` }).click();
    await see(heading(fin, `兑付申请 ${number}`));
    await see(state(fin, "待审核"));
    for (const item of ["发票金额与合同金额一致", "企业自付部分已从对公账户支付", "已签署合同的文件摘要齐全"]) {
      await see(fin.getByRole("listitem").filter({ hasText: `✓ 符合：${item}` }));
    }
    expect(await fin.getByText("✗ 不符合").count()).toBe(0);
    await fitsPhone(fin, `settlement-${tag}-review`);
    await fin.getByRole("button", { name: "审核通过" }).click();
    await see(flashMessage(fin, "已审核通过，进入公示"));
    await see(state(fin, "公示中"));

    // A visitor: the footer's 兑付公示 shows the number, the provider, the masked enterprise, the amount.
    const visitor = (await e2e.open(js)).page;
    await visitor.goto("/");
    await visitor.getByRole("contentinfo").getByRole("link", { name: "兑付公示" }).click();
    await see(heading(visitor, "兑付公示"));
    const row = rowWith(visitor, number);
    for (const cell of [proName, masked(entName), money(order.deductionFen), "公示中"]) {
      await see(row.getByRole("cell", { name: cell, exact: true }));
    }
    expect(await visitor.getByText(entName).count()).toBe(0);

    // The publicity ends (its hourly job, run now): 待拨付.
    await t.deps.db.query("update settlements set publicity_until = now() - interval '1 minute' where number = $1", [number]);
    expect(await t.deps.settlement.endPublicity()).toBeGreaterThanOrEqual(1);
    await fin.reload();
    await see(state(fin, "待拨付"));

    // Finance: 兑付拨付 -> tick it -> 拨付 -> 拨付中.
    await fin.getByRole("link", { name: "← 兑付审核" }).click();
    await fin.getByRole("link", { name: "兑付拨付", exact: true }).click();
    await see(heading(fin, "兑付拨付"));
    await fitsPhone(fin, `settlement-${tag}-payouts`);
    await fin.getByRole("checkbox", { name: number, exact: true }).check();
    await fin.getByRole("button", { name: "拨付", exact: true }).click();
    await see(flashMessage(fin, "1 笔拨付中"));
    await fin.getByRole("link", { name: "← 兑付审核" }).click();
    await fin.getByRole("link", { name: `审核兑付申请 ${number}` }).click();
    await see(state(fin, "拨付中"));

    // The mock bank pays and notifies: 已拨付 on the provider's page; the order's 款项记录 shows it.
    const bank = asMockPay(t.deps.pay)!;
    await bank.settleDue();
    await bank.deliverDue();
    await pro.goto(applicationUrl);
    await refreshUntil(pro, state(pro, "已拨付"));
    await pro.goto(`/provider/orders/${order.id}`);
    const settledLine = pro
      .getByRole("region", { name: "款项记录" })
      .getByRole("row")
      .filter({ has: pro.getByRole("cell", { name: "补贴券已兑付", exact: true }) });
    await see(settledLine.getByRole("cell", { name: money(order.deductionFen), exact: true }));
    expect(await settledFen()).toBe(settledBefore + order.deductionFen);
    // 数据看板: 已兑付 grew by the voucher part (the entries not folded yet are counted live).
    expect(await dashboardSettled()).toBe(dashboardBefore + order.deductionFen);
  }, 120_000);
});
