import { describe, expect, it } from "vitest";
import { browserSuite, heading, see, signInAdmin } from "./support.ts";

/**
 * 数据看板 in a browser, JavaScript on and off, on a desktop and at 360 px: reached from 管理端首页,
 * charts are images with their names and their tables, the page fits the phone's width, the 券种
 * filter is a plain GET form, and a figure leads to the list behind it showing that many orders.
 * Demo data with its year of history.
 */
const e2e = browserSuite({ demo: true, env: { DEMO_HISTORY: "true" } });

describe("数据看板", () => {
  for (const js of [true, false]) {
    it(`finance opens it from the admin home, filters by 券种 and follows a figure to 订单管理 (JavaScript ${js ? "on" : "off"})`, async () => {
      for (const width of [1280, 360]) {
        const { page } = await e2e.open(js, { width, height: 800 });
        await signInAdmin(page, "finance");
        await page.getByRole("link", { name: "数据看板", exact: true }).click();
        await see(heading(page, "数据看板"));
        await see(page.getByText(/汇总数据更新于/));
        // Eight charts, each an image named by its title, each with a table of its numbers.
        const images = page.getByRole("img");
        await expect.poll(() => page.locator("svg.chart-svg[role=img]").count()).toBe(8);
        await see(images.filter({ has: page.locator("title", { hasText: "按券种：发放、核销与兑付" }) }).first());
        expect(await page.locator("table.dash-table").count()).toBeGreaterThanOrEqual(9);
        // Nothing scrolls sideways but the tables inside their own wrappers.
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);

        // 券种 filter: a GET form, with or without JavaScript.
        const programme = page.getByLabel("券种", { exact: true });
        const name = (await programme.locator("option").nth(1).textContent())!.trim();
        await programme.selectOption({ label: name });
        await page.getByRole("button", { name: "查看" }).click();
        await see(page.getByText(`当前范围：${name}`));

        // A status figure leads to 订单管理 filtered by it, with as many orders as the figure says.
        const row = page.locator("table.dash-table tr", { has: page.getByRole("link", { name: "已完成", exact: true }) });
        const n = (await row.locator("td.num").textContent())!.trim();
        expect(Number(n)).toBeGreaterThan(0);
        await row.getByRole("link", { name: "已完成", exact: true }).click();
        await see(heading(page, "订单管理"));
        await see(page.getByText(`共 ${n} 条`));
        expect(page.url()).toContain("status=completed");
      }
    });
  }
});
