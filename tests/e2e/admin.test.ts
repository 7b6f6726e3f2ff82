import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Server, type Tab, launchBrowser, notSee, openTab, see, startServer } from "./support.ts";

/** 管理端 sign-in with the demo super admin, in a real browser, with and without JavaScript. */

let server: Server;
let browser: Browser;
let tab: Tab | undefined;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer({ demo: true }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});
afterEach(async () => {
  const problems = tab?.problems ?? [];
  await tab?.context.close();
  tab = undefined;
  expect(problems).toEqual([]);
});

const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name, exact: true });

describe.each([
  { mode: "JavaScript on", js: true },
  { mode: "JavaScript off", js: false },
])("管理端 with $mode", ({ js }) => {
  it("signs in as the demo admin from the footer link, sees 管理端首页, and signs out", async () => {
    tab = await openTab(browser, server.baseUrl, { javaScriptEnabled: js });
    const { page } = tab;
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
    tab = await openTab(browser, server.baseUrl, { javaScriptEnabled: js });
    const { page } = tab;
    await page.goto("/admin/login");
    await page.getByLabel("用户名").fill("admin");
    await page.getByLabel("密码", { exact: true }).fill("not-the-password");
    await page.getByRole("button", { name: "登录", exact: true }).click();

    const summary = page.getByRole("alert").filter({ has: page.getByRole("heading", { name: "请修改以下问题" }) });
    await see(summary);
    expect(await summary.innerText()).toMatch(/用户名或密码不正确/);
    expect(await page.getByLabel("用户名").inputValue()).toBe("admin");
    await notSee(page.getByRole("heading", { name: "管理端首页" }));
  });
});
