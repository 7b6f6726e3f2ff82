import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { browserSuite, flashMessage, heading, rowWith, see, shot, signInWithPassword } from "./support.ts";

/**
 * 申请服务 -> 订单详情 -> 提交订单 -> 我购买的服务 (待接单) -> 取消订单 -> 已取消, once with JavaScript
 * (the amounts follow the quantity in place, 取消订单 opens as a dialog over the order) and once
 * without (重新计算金额 posts the form, 取消订单 is a page of its own). Demo enterprises 1 and 2 hold
 * an approved 通用券; 金属材料力学性能检测 costs ¥8,000 per 批.
 */

const e2e = browserSuite({ demo: true });
const PRODUCT = "金属材料力学性能检测";

/** The value shown beside a term of the amounts on 订单详情. */
const amountOf = (page: Page, term: string) => page.locator("#order-amounts dt", { hasText: term }).locator("xpath=following-sibling::dd[1]");
const menuLink = (page: Page, name: string) => page.getByRole("navigation", { name: "个人中心菜单" }).getByRole("link", { name });
const tabLink = (page: Page, name: string) =>
  page.getByRole("navigation", { name: "订单状态" }).getByRole("link", { name: new RegExp(`^${name}（\\d+）$`) });

describe.each([
  [true, "13800000001"],
  [false, "13800000002"],
])("订单 with JavaScript %s", (js, phone) => {
  it("product -> 申请服务 -> 订单详情 -> 提交订单 -> 待接单 -> 取消订单 -> 已取消", async () => {
    const [row] = await e2e.server.t.deps.db.query<{ product_id: string }>("select product_id from product_listings where title = $1", [PRODUCT]);
    const { page } = await e2e.open(js);
    await signInWithPassword(page, phone);
    await page.goto(`/products/${row!.product_id}`);
    await see(heading(page, PRODUCT));
    await page.getByRole("button", { name: "申请服务" }).click();
    await see(heading(page, "订单详情"));
    expect(page.url()).toContain(`/me/orders/new?product=${row!.product_id}`);
    await see(page.getByRole("heading", { level: 2, name: PRODUCT }));
    expect(await page.getByLabel("使用补贴券").isChecked()).toBe(true);
    await expect.poll(() => amountOf(page, "订单金额").innerText()).toBe("¥8,000.00");
    await expect.poll(() => amountOf(page, "补贴券抵扣").innerText()).toBe("¥2,400.00");

    // Two 批: with JavaScript the amounts change in place; without, 重新计算金额 shows the page again.
    await page.getByLabel("数量（批）").fill("2");
    if (js) {
      await page.waitForFunction(() => "htmx" in window);
      await page.getByLabel("数量（批）").dispatchEvent("change");
    } else {
      await page.getByRole("button", { name: "重新计算金额" }).click();
      await see(heading(page, "订单详情"));
    }
    await expect.poll(() => amountOf(page, "订单金额").innerText()).toBe("¥16,000.00");
    expect(await page.getByLabel("数量（批）").inputValue()).toBe("2");

    await page.getByRole("button", { name: "提交订单" }).click();
    await see(flashMessage(page, "提交订单成功"));
    const title = await page.getByRole("heading", { level: 1 }).innerText();
    const number = title.match(/DD\d{14}/)![0];
    await see(page.getByRole("heading", { level: 2, name: "订单状态：待接单" }));

    await menuLink(page, "我购买的服务").click();
    await see(heading(page, "我购买的服务"));
    await tabLink(page, "待接单").click();
    await see(rowWith(page, number));
    await rowWith(page, number)
      .getByRole("link", { name: `查看订单 ${number}` })
      .click();
    await see(heading(page, `订单 ${number}`));

    await page.getByRole("link", { name: "取消订单" }).click();
    if (js) {
      const dialog = page.getByRole("dialog", { name: `取消订单 ${number}` });
      await see(dialog);
      expect(await dialog.evaluate((d) => d.matches(":modal"))).toBe(true);
      expect(page.url()).toMatch(/\/me\/orders\/[0-9a-f-]{36}$/);
    } else {
      await see(heading(page, "取消订单"));
    }
    await page.getByLabel("取消原因（选填）").fill("采购计划调整");
    await page.getByRole("button", { name: "确定取消订单" }).click();
    await see(flashMessage(page, "订单已取消"));
    await see(page.getByRole("heading", { level: 2, name: "订单状态：订单取消" }));
    await see(page.getByText("原因：采购计划调整"));

    await menuLink(page, "我购买的服务").click();
    await tabLink(page, "已取消").click();
    await see(rowWith(page, number));
    await tabLink(page, "待接单").click();
    await see(heading(page, "我购买的服务"));
    expect(await rowWith(page, number).count()).toBe(0);
  }, 60_000);
});

describe.each([
  [true, "13800000001"],
  [false, "13800000002"],
])("合同 with JavaScript %s", (js, phone) => {
  it("提交订单 -> 接单 -> 制定合同 -> 提交企业确认 -> 退回修改 -> the next version -> the changes -> 同意 -> 待签合同", async () => {
    const [row] = await e2e.server.t.deps.db.query<{ product_id: string }>("select product_id from product_listings where title = $1", [PRODUCT]);
    const ent = (await e2e.open(js)).page;
    await signInWithPassword(ent, phone);
    await ent.goto(`/products/${row!.product_id}`);
    await ent.getByRole("button", { name: "申请服务" }).click();
    await see(heading(ent, "订单详情"));
    await ent.getByRole("button", { name: "提交订单" }).click();
    await see(flashMessage(ent, "提交订单成功"));
    const number = (await ent.getByRole("heading", { level: 1 }).innerText()).match(/DD\d{14}/)![0];
    const orderUrl = ent.url();

    // The provider accepts and writes version 1: ¥10,000 with ¥500 定金.
    const pro = (await e2e.open(js)).page;
    await signInWithPassword(pro, "13800000008");
    await pro.goto("/provider/orders?tab=pending");
    await rowWith(pro, number).getByRole("link").first().click();
    await see(heading(pro, `订单 ${number}`));
    await pro.getByRole("button", { name: "接单" }).click();
    await see(flashMessage(pro, "已接单，请制定合同"));
    await pro.getByRole("link", { name: "制定合同" }).click();
    await see(heading(pro, "合同"));
    await see(pro.getByText("尚未制定合同"));
    await pro.getByRole("link", { name: "制定合同" }).click();
    await see(heading(pro, "制定合同"));
    await pro.getByLabel("服务期限开始").fill("2026-12-10");
    await pro.getByLabel("服务期限结束").fill("2027-01-31");
    await pro.getByLabel("合同金额").fill("10000");
    await pro.getByLabel("定金").fill("500");
    await shot(pro, `contract-form-${js}`);
    await pro.getByRole("button", { name: "保存并预览" }).click();
    await see(flashMessage(pro, "合同第1版已保存"));
    await see(pro.getByText("本合同金额为人民币¥10,000.00，其中服务券抵扣¥3,000.00"));
    await shot(pro, `contract-preview-${js}`);
    await pro.getByRole("button", { name: "提交企业确认" }).click();
    await see(flashMessage(pro, "合同已提交企业确认"));
    await see(pro.getByRole("heading", { level: 2, name: "订单状态：待确认合同" }));

    // The enterprise reads it and sends it back with a reason.
    await ent.goto(orderUrl);
    await see(ent.getByRole("heading", { level: 2, name: "订单状态：待确认合同" }));
    await ent.getByRole("link", { name: "查看并确认合同" }).click();
    await see(heading(ent, "合同"));
    await see(ent.getByRole("heading", { level: 2, name: "服务合同" }));
    await ent.getByRole("link", { name: "退回修改" }).click();
    await see(heading(ent, "退回修改"));
    await ent.getByLabel("退回原因").fill("合同金额请按报价6000元");
    await ent.getByRole("button", { name: "确定退回" }).click();
    await see(flashMessage(ent, "合同已退回服务商修改"));
    await see(ent.getByRole("heading", { level: 2, name: "订单状态：待制定合同" }));

    // The provider sees the reason and writes version 2.
    await pro.reload();
    await see(pro.getByText("合同金额请按报价6000元").first());
    await pro.getByRole("link", { name: "制定合同" }).click();
    await pro.getByRole("link", { name: "制定合同" }).click();
    await see(pro.getByText("将保存为第2版"));
    await pro.getByLabel("合同金额").fill("6000");
    await pro.getByLabel("定金").fill("0");
    await pro.getByRole("button", { name: "保存并预览" }).click();
    await see(flashMessage(pro, "合同第2版已保存"));
    await pro.getByRole("button", { name: "提交企业确认" }).click();
    await see(flashMessage(pro, "合同已提交企业确认"));

    // The enterprise sees what changed and agrees: 待签合同.
    await ent.reload();
    await ent.getByRole("link", { name: "查看并确认合同" }).click();
    await see(ent.getByRole("heading", { level: 2, name: "与第1版相比的修改" }));
    const change = ent.getByRole("row").filter({ has: ent.getByRole("rowheader", { name: "合同金额" }) });
    await see(change.getByRole("cell", { name: "¥10,000.00" }));
    await see(change.getByRole("cell", { name: "¥6,000.00" }));
    await shot(ent, `contract-review-${js}`);
    await ent.getByRole("button", { name: "同意" }).click();
    await see(flashMessage(ent, "已同意合同，请等待签署"));
    await see(ent.getByRole("heading", { level: 2, name: "订单状态：待签合同" }));
    await ent.getByRole("link", { name: "查看合同" }).click();
    await see(ent.getByText(/合同内容摘要（SHA-256）：[0-9a-f]{64}/));
    expect(await ent.getByRole("button", { name: "同意" }).count()).toBe(0);
  }, 90_000);
});
