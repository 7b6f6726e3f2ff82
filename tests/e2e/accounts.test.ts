import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { TEST_CAPTCHA } from "../support/app.ts";
import { browserSuite, captchaInput, flashMessage, heading, notSee, randomPhone, readSmsCode, see, skipResendWait } from "./support.ts";

/**
 * The account journey in a real browser, once with JavaScript (htmx enhancements) and once
 * without (plain forms, POST -> redirect -> GET). Locators go by role and visible label, so
 * every control used here is proven to have an accessible, visible name.
 */

const e2e = browserSuite();

const masked = (phone: string) => `${phone.slice(0, 3)}****${phone.slice(7)}`;
const accountNav = (page: Page) => page.getByRole("navigation", { name: "账号" });

async function signOut(page: Page) {
  await accountNav(page).getByRole("button", { name: "退出登录" }).click();
  await see(flashMessage(page, "您已退出登录"));
  await see(accountNav(page).getByRole("link", { name: "登录", exact: true }));
  await notSee(accountNav(page).getByRole("link", { name: "个人中心" }));
}

/** 获取验证码 and wait for the confirmation beside the field. */
async function requestCode(page: Page, phone: string) {
  await page.getByRole("button", { name: "获取验证码" }).click();
  await see(page.getByText(`验证码已发送至${masked(phone)}，5分钟内有效。60秒后可重新获取。`, { exact: true }));
  await see(page.getByRole("button", { name: "获取验证码" }));
}

describe.each([
  { mode: "JavaScript on", js: true },
  { mode: "JavaScript off", js: false },
])("accounts with $mode", ({ js }) => {
  it("registers, signs out, signs in with an SMS code, sets a password and signs in with it", async () => {
    const { page, context } = await e2e.open(js);
    const phone = randomPhone();
    const company = js ? "南宁智造机械有限公司" : "柳州精工装备有限公司";
    const password = `Gx-${Math.random().toString(36).slice(2, 10)}`;

    // 首页 -> 注册 (top right)
    await page.goto("/");
    await see(heading(page, "广西制造业企业培优育强服务券管理平台"));
    await accountNav(page).getByRole("link", { name: "注册", exact: true }).click();
    await see(heading(page, "注册"));

    await page.getByLabel("企业名称").fill(company);
    await page.getByLabel("手机号").fill(phone);
    await captchaInput(page).fill(TEST_CAPTCHA);
    await see(page.getByRole("img", { name: /^图形验证码/ }));
    await requestCode(page, phone);
    // Typed values survive 获取验证码 (an htmx swap of the verification area, or the no-JS round trip).
    expect(await page.getByLabel("企业名称").inputValue()).toBe(company);
    expect(await page.getByLabel("手机号").inputValue()).toBe(phone);

    const code = await readSmsCode(context, phone);
    await page.getByLabel("手机验证码").fill(code);
    await page.getByRole("button", { name: "立即注册" }).click();

    // 个人中心 / 基本信息, not yet certified.
    await see(heading(page, "个人中心"));
    await see(flashMessage(page, "注册成功"));
    await see(page.getByRole("navigation", { name: "基本信息" }).getByRole("link", { name: "基本信息" }));
    expect(await page.getByRole("navigation", { name: "基本信息" }).getByRole("link", { name: "基本信息" }).getAttribute("aria-current")).toBe("page");
    await see(page.getByRole("definition").filter({ hasText: company }));
    await see(page.getByRole("definition").filter({ hasText: masked(phone) }));
    await see(page.getByText("未认证", { exact: true }));
    await see(page.getByRole("link", { name: "去企业信息认证" }));

    // 退出登录 -> 登录 with 验证码登录 (a minute later: a phone gets one code per 60 s)
    await signOut(page);
    await skipResendWait(e2e.server, phone);
    await accountNav(page).getByRole("link", { name: "登录", exact: true }).click();
    await see(heading(page, "登录"));
    await page.getByRole("link", { name: "验证码登录" }).first().click();
    expect(await page.getByRole("navigation", { name: "登录方式" }).getByRole("link", { name: "验证码登录" }).getAttribute("aria-current")).toBe("page");
    await page.getByLabel("手机号").fill(phone);
    await captchaInput(page).fill(TEST_CAPTCHA);
    await requestCode(page, phone);
    expect(await page.getByLabel("手机号").inputValue()).toBe(phone);
    const loginCode = await readSmsCode(context, phone);
    expect(loginCode).toMatch(/^\d{6}$/);
    await page.getByLabel("手机验证码").fill(loginCode);
    await page.getByRole("button", { name: "登录", exact: true }).click();
    await see(heading(page, "个人中心"));
    await see(page.getByRole("definition").filter({ hasText: company }));
    await see(page.getByText("未设置", { exact: false }));

    // 设置密码
    await page.getByRole("navigation", { name: "个人中心菜单" }).getByRole("link", { name: "设置密码" }).click();
    await see(heading(page, "设置密码"));
    await page.getByLabel("新密码", { exact: true }).fill(password);
    await page.getByLabel("确认新密码").fill(password);
    await page.getByRole("button", { name: "设置密码" }).click();
    await see(heading(page, "个人中心"));
    await see(flashMessage(page, "密码已设置，下次可使用账号密码登录"));
    await see(page.getByRole("navigation", { name: "个人中心菜单" }).getByRole("link", { name: "修改密码" }));

    // 退出登录 -> 账号密码登录
    await signOut(page);
    await accountNav(page).getByRole("link", { name: "登录", exact: true }).click();
    await page.getByRole("link", { name: "账号密码登录" }).click();
    await see(heading(page, "登录"));
    await page.getByLabel("手机号").fill(phone);
    await page.getByLabel("密码", { exact: true }).fill(password);
    await captchaInput(page).fill(TEST_CAPTCHA);
    await page.getByRole("button", { name: "登录", exact: true }).click();
    await see(heading(page, "个人中心"));
    await see(page.getByRole("definition").filter({ hasText: company }));
    await see(accountNav(page).getByRole("link", { name: "个人中心" }));
  });

  it("shows the error summary and the message beside the field for a wrong captcha", async () => {
    const { page } = await e2e.open(js);
    const phone = randomPhone();
    await page.goto("/register");
    await page.getByLabel("企业名称").fill("钦州港口物流有限公司");
    await page.getByLabel("手机号").fill(phone);
    await captchaInput(page).fill("0000"); // never a valid answer: 0 is not in the alphabet
    await page.getByRole("button", { name: "获取验证码" }).click();

    const summary = page.getByRole("alert").filter({ has: page.getByRole("heading", { name: "请修改以下问题" }) });
    await see(summary);
    await see(summary.getByRole("link", { name: "图形验证码不正确" }));
    // Beside the field, and the field is marked invalid and described by the message.
    const field = captchaInput(page);
    await see(field);
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    const describedBy = (await field.getAttribute("aria-describedby")) ?? "";
    expect(await page.locator(`[id="${describedBy}"]`).innerText()).toContain("图形验证码不正确");
    // Nothing was sent, and what was typed is still there.
    await notSee(page.getByText(/验证码已发送至/));
    expect(await page.getByLabel("企业名称").inputValue()).toBe("钦州港口物流有限公司");
    expect(await page.getByLabel("手机号").inputValue()).toBe(phone);

    // The summary links to the field.
    await summary.getByRole("link", { name: "图形验证码不正确" }).click();
    expect(await page.evaluate(() => location.hash)).toBe("#f-captcha");

    // Correcting it works from the same page: a fresh captcha was issued.
    await captchaInput(page).fill(TEST_CAPTCHA);
    await requestCode(page, phone);
    await notSee(page.getByRole("heading", { name: "请修改以下问题" }));
  });

  it("rejects a registration with missing fields, naming each one", async () => {
    const { page } = await e2e.open(js);
    await page.goto("/register");
    await page.getByRole("button", { name: "立即注册" }).click();
    const summary = page.getByRole("alert").filter({ has: page.getByRole("heading", { name: "请修改以下问题" }) });
    await see(summary);
    for (const message of ["请输入企业名称", "请输入手机号", "请输入图形验证码", "请输入手机验证码"]) {
      await see(summary.getByRole("link", { name: message }));
      await see(page.locator(".error-message").filter({ hasText: message }));
    }
    expect(await page.title()).toContain("注册");
  });
});

describe("accounts with JavaScript on: htmx partial updates", () => {
  it("获取验证码 swaps only the verification area, keeping the page and the typed 企业名称", async () => {
    const { page } = await e2e.open(true);
    const phone = randomPhone();
    await page.goto("/register");
    await page.waitForFunction(() => "htmx" in window);
    // A marker on the window survives only if the page is not reloaded.
    await page.evaluate(() => Object.assign(window, { __stillHere: true }));
    await page.getByLabel("企业名称").fill("桂林电子材料有限公司");
    await page.getByLabel("手机号").fill(phone);
    await captchaInput(page).fill(TEST_CAPTCHA);

    const swap = page.waitForResponse((r) => r.url().endsWith("/register/send-code") || r.url().endsWith("/register"));
    await page.getByRole("button", { name: "获取验证码" }).click();
    const res = await swap;
    expect(res.request().headers()["hx-request"]).toBe("true");
    await see(page.getByText(`验证码已发送至${masked(phone)}，5分钟内有效。60秒后可重新获取。`, { exact: true }));
    expect(await page.evaluate(() => (window as unknown as { __stillHere?: boolean }).__stillHere)).toBe(true);
    expect(await page.getByLabel("企业名称").inputValue()).toBe("桂林电子材料有限公司");
    await see(page.getByRole("button", { name: "立即注册" }));
  });

  it("换一张 replaces the captcha image in place", async () => {
    const { page } = await e2e.open(true);
    await page.goto("/login");
    await page.waitForFunction(() => "htmx" in window);
    await page.evaluate(() => Object.assign(window, { __stillHere: true }));
    const img = page.getByRole("img", { name: /^图形验证码/ });
    const before = await img.getAttribute("src");
    await page.getByLabel("手机号").fill("13900000000");
    await page.getByRole("link", { name: "换一张" }).click();
    // The new image is in place and has loaded (a broken image has no natural width).
    await page.waitForFunction((src) => {
      const el = document.querySelector<HTMLImageElement>("#captcha-field img");
      return !!el && el.getAttribute("src") !== src && el.complete && el.naturalWidth > 0;
    }, before);
    expect(await img.getAttribute("src")).not.toBe(before);
    expect(await img.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBe(120);
    expect(await page.getByLabel("手机号").inputValue()).toBe("13900000000");
    expect(await page.evaluate(() => (window as unknown as { __stillHere?: boolean }).__stillHere)).toBe(true);
  });
});
