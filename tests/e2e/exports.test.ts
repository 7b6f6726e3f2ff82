import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parseCsv } from "../support/exports.ts";
import { browserSuite, heading, see } from "./support.ts";

/** 导出 CSV on 订单管理 in a real browser: the download arrives with its Chinese name and opens as CSV with Chinese text intact. */

const e2e = browserSuite({ demo: true });

describe.each([
  { mode: "JavaScript on", js: true },
  { mode: "JavaScript off", js: false },
])("导出 CSV with $mode", ({ js }) => {
  it("downloads the admin's 订单管理 as a CSV that opens with Chinese text intact", async () => {
    const { page } = await e2e.open(js);
    await page.goto("/admin/login");
    await page.getByLabel("用户名").fill("operator");
    await page.getByLabel("密码", { exact: true }).fill("Demo#2026");
    await page.getByRole("button", { name: "登录", exact: true }).click();
    await see(heading(page, "管理端首页"));
    await page.goto("/admin/orders");
    await see(heading(page, "订单管理"));

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "导出 CSV" }).click()]);
    expect(download.suggestedFilename()).toMatch(/^订单管理-\d{8}\.csv$/);
    const rows = parseCsv(new Uint8Array(await readFile((await download.path())!)));
    expect(rows[0]!.slice(0, 3)).toEqual(["订单编号", "服务产品", "下单企业"]);
    expect(rows.length).toBe(7); // the header and the six demo orders
    expect(rows.some((r) => r[4] === "广西示例检验检测技术有限公司")).toBe(true);
    // The page stays where it was.
    await see(heading(page, "订单管理"));
  });
});
