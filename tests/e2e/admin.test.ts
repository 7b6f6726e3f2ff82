import { describe, expect, it } from "vitest";
import { browserSuite, errorSummary, heading, notSee, see } from "./support.ts";

/** 管理端 sign-in with the demo super admin, in a real browser, with and without JavaScript. */

const e2e = browserSuite({ demo: true });

describe.each([
  { mode: "JavaScript on", js: true },
  { mode: "JavaScript off", js: false },
])("管理端 with $mode", ({ js }) => {
  it("signs in as the demo admin from the footer link, sees 管理端首页, and signs out", async () => {
    const { page } = await e2e.open(js);
    await page.goto("/");
    await page.getByRole("contentinfo").getByRole("link", { name: "管理端" }).click();
    await see(heading(page, "管理端登录"));

    await page.getByLabel("用户名").fill("admin");
    await page.getByLabel("密码", { exact: true }).fill("Demo#2026");
    await page.getByRole("button", { name: "登录", exact: true }).click();

    await see(heading(page, "管理端首页"));
    await see(page.getByText("您好，平台超级管理员（", { exact: false }));
    const account = page.getByRole("navigation", { name: "账号" });
    await see(account.getByText("平台超级管理员", { exact: true }));

    await account.getByRole("button", { name: "退出登录" }).click();
    await see(heading(page, "管理端登录"));
    await notSee(page.getByRole("heading", { name: "管理端首页" }));
    // Signed out on the server: the admin home asks to sign in again.
    await page.goto("/admin");
    await see(heading(page, "管理端登录"));
  });

  it("refuses a wrong password with the error summary and keeps the user name", async () => {
    const { page } = await e2e.open(js);
    await page.goto("/admin/login");
    await page.getByLabel("用户名").fill("admin");
    await page.getByLabel("密码", { exact: true }).fill("not-the-password");
    await page.getByRole("button", { name: "登录", exact: true }).click();

    const summary = errorSummary(page);
    await see(summary);
    expect(await summary.innerText()).toMatch(/用户名或密码不正确/);
    expect(await page.getByLabel("用户名").inputValue()).toBe("admin");
    await notSee(page.getByRole("heading", { name: "管理端首页" }));
  });
});
