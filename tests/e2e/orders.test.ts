import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { browserSuite, flashMessage, heading, rowWith, see, signInWithPassword } from "./support.ts";

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
