import * as OTPAuth from "otpauth";
import { describe, expect, it } from "vitest";
import { browserSuite, heading, notSee, see, signInAdmin } from "./support.ts";

/** 工作人员管理 and 两步验证 in a real browser, with and without JavaScript. */

const e2e = browserSuite({ demo: true });

const code = (secret: string, at = Date.now()) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate({ timestamp: at });

describe.each([
  { mode: "JavaScript on", js: true, width: 1280 },
  { mode: "JavaScript off", js: false, width: 360 },
])("工作人员管理 and 两步验证 with $mode", ({ js, width }) => {
  it("the super admin creates a staff member, who enrols a second factor and signs in with a code", async () => {
    const username = `staff${js ? "on" : "off"}${Math.floor(Math.random() * 1e6)}`;
    const boss = await e2e.open(js, { width });
    await signInAdmin(boss.page, "admin");
    await boss.page.getByRole("link", { name: "工作人员管理" }).click();
    await see(heading(boss.page, "工作人员管理"));
    await boss.page.getByLabel("用户名").fill(username);
    await boss.page.getByLabel("姓名").fill("测试人员");
    await boss.page.getByLabel("角色").selectOption({ label: "财务" });
    await boss.page.getByLabel("初始密码").fill("Staff#Pass2026");
    await boss.page.getByRole("button", { name: "创建" }).click();
    await see(heading(boss.page, `测试人员（${username}）`));
    await see(boss.page.getByText(`已创建工作人员账号 ${username}`));

    const { page } = await e2e.open(js, { width });
    await signInAdmin(page, username, "Staff#Pass2026");
    await page.getByRole("link", { name: "两步验证" }).click();
    await see(heading(page, "两步验证"));
    await see(page.getByRole("img", { name: "两步验证二维码" }));
    const secret = (await page.locator("code.secret").innerText()).replace(/\s/g, "");
    await page.getByLabel("验证器中的6位验证码").fill(code(secret));
    await page.getByRole("button", { name: "启用两步验证" }).click();
    await see(heading(page, "恢复码"));
    await see(page.getByText("两步验证已启用"));
    expect(
      await page
        .getByRole("listitem")
        .filter({ has: page.locator("code") })
        .count(),
    ).toBe(10);
    await page.getByRole("link", { name: "我已保存，进入管理端" }).click();
    await see(heading(page, "管理端首页"));
    await page.getByRole("navigation", { name: "账号" }).getByRole("button", { name: "退出登录" }).click();
    await see(heading(page, "管理端登录"));

    // Next sign-in: the password, then the code; a wrong code first.
    await page.getByLabel("用户名").fill(username);
    await page.getByLabel("密码", { exact: true }).fill("Staff#Pass2026");
    await page.getByRole("button", { name: "登录", exact: true }).click();
    await see(heading(page, "两步验证"));
    await notSee(page.getByRole("heading", { name: "管理端首页" }));
    const wrong = code(secret) === "000000" ? "111111" : "000000";
    await page.getByLabel("验证码或恢复码").fill(wrong);
    await page.getByRole("button", { name: "验证并登录" }).click();
    await see(page.getByRole("alert"));
    expect(await page.getByRole("alert").innerText()).toContain("验证码不正确或已使用");
    // The next 30-second step's code (the enrolment used the current one).
    await page.getByLabel("验证码或恢复码").fill(code(secret, Date.now() + 30_000));
    await page.getByRole("button", { name: "验证并登录" }).click();
    await see(heading(page, "管理端首页"));
    await see(page.getByText("您好，测试人员（财务）。"));
  });
});
