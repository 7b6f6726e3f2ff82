import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { TEST_CAPTCHA } from "../support/app.ts";
import { browserSuite, errorSummary, flashMessage, heading, rowWith, see, signInAdmin, signInWithPassword } from "./support.ts";

/**
 * 我要留言 in a real browser, once with JavaScript (htmx) and once without: a demo enterprise clicks
 * 我要留言 at the top right (with JavaScript a dialog opens over the page and the message is sent
 * inside it; without, the form is a page of its own), the operator finds the message in 留言管理
 * and replies, and the author reads the reply in 个人中心 / 我的留言. An anonymous visitor fixes
 * an error and solves the captcha inside the dialog.
 */

const e2e = browserSuite({ demo: true });

/**
 * Clicks 我要留言 in the header on the current page. With JavaScript the dialog is loaded into the
 * page (no navigation, focus moves into it); without, the browser opens /messages/new.
 */
async function openMessageDialog(page: Page, js: boolean): Promise<Locator> {
  const from = new URL(page.url()).pathname;
  if (js) {
    await page.waitForFunction(() => "htmx" in window);
    await page.evaluate(() => Object.assign(window, { __stillHere: true }));
  }
  await page.getByRole("navigation", { name: "账号" }).getByRole("link", { name: "我要留言" }).click();
  const dialog = page.getByRole("dialog", { name: "留言信箱" });
  await see(dialog);
  if (js) {
    expect(await page.evaluate(() => (window as unknown as { __stillHere?: boolean }).__stillHere)).toBe(true);
    expect(new URL(page.url()).pathname).toBe(from);
    await page.waitForFunction(() => document.activeElement?.id === "message-dialog");
  } else {
    expect(new URL(page.url()).pathname).toBe("/messages/new");
  }
  return dialog;
}

/** The 留言编号 on the confirmation (in the dialog with JavaScript, on /messages/sent without). */
async function sentReference(page: Page, js: boolean): Promise<string> {
  const done = page.getByRole("dialog", { name: "留言已提交" });
  await see(done);
  const text = await done.getByRole("status").innerText();
  const ref = text.match(/LY\d{8}/)?.[0];
  expect(ref, text).toBeTruthy();
  if (js) {
    await done.getByRole("button", { name: "关闭" }).click();
    await expect.poll(() => done.isVisible()).toBe(false);
  } else {
    expect(new URL(page.url()).pathname).toBe("/messages/sent");
  }
  return ref!;
}

describe.each([
  { mode: "JavaScript on", js: true, phone: "13800000003", company: "桂林示例电子科技有限公司" },
  { mode: "JavaScript off", js: false, phone: "13800000004", company: "梧州示例陶瓷制品有限公司" },
])("我要留言 ($mode)", ({ js, phone, company }) => {
  it("leave a message -> the operator replies -> the author reads the reply in 我的留言", async () => {
    const ent = await e2e.open(js);
    await signInWithPassword(ent.page, phone);
    await ent.page.goto("/services/general");
    const dialog = await openMessageDialog(ent.page, js);
    expect(await dialog.getByLabel("联系电话").inputValue()).toBe(phone);
    expect(await dialog.getByLabel(/^图形验证码/).count()).toBe(0);
    const content = `产品列表能否按服务机构所在城市筛选？（${js ? "有" : "无"}JavaScript）`;
    await dialog.getByRole("radio", { name: "建议" }).check();
    await dialog.getByLabel("留言内容").fill(content);
    await dialog.getByRole("button", { name: "提交留言" }).click();
    const ref = await sentReference(ent.page, js);

    const op = await e2e.open(js);
    await signInAdmin(op.page, "operator");
    await op.page.getByRole("link", { name: "留言管理" }).click();
    await see(heading(op.page, "留言管理"));
    expect(await op.page.getByLabel("状态").locator("option:checked").innerText()).toBe("待回复");
    await op.page.getByLabel("留言类别").selectOption({ label: "建议" });
    await op.page.getByRole("button", { name: "筛选" }).click();
    const row = rowWith(op.page, ref);
    await see(row.getByRole("cell", { name: company, exact: true }));
    await row.getByRole("link", { name: `回复留言 ${ref}` }).click();
    await see(heading(op.page, `留言 ${ref}`));
    await see(op.page.getByText(content, { exact: true }));
    await see(op.page.getByRole("heading", { level: 2, name: "状态：待回复" }));
    const reply = "感谢建议，筛选功能将在下个版本提供。";
    await op.page.getByLabel("回复内容").fill(reply);
    await op.page.getByRole("button", { name: "回复", exact: true }).click();
    await see(flashMessage(op.page, "回复已发送"));
    await see(op.page.getByRole("heading", { level: 2, name: "状态：已回复" }));

    await ent.page.goto("/me");
    await ent.page.getByRole("navigation", { name: "个人中心菜单" }).getByRole("link", { name: "我的留言" }).click();
    await see(heading(ent.page, "我的留言"));
    const mine = ent.page.getByRole("row").filter({ has: ent.page.getByRole("link", { name: `查看留言 ${ref}` }) });
    await see(mine.getByText("已回复", { exact: true }));
    await mine.getByRole("link", { name: `查看留言 ${ref}` }).click();
    await see(heading(ent.page, `留言 ${ref}`));
    await see(ent.page.getByText(content, { exact: true }));
    await see(ent.page.getByText(reply, { exact: true }));
  });

  it("an anonymous visitor fixes an error and solves the captcha in the form", async () => {
    const tab = await e2e.open(js);
    await tab.page.goto("/");
    let dialog = await openMessageDialog(tab.page, js);
    await dialog.getByRole("radio", { name: "问题" }).check();
    await dialog.getByLabel("留言内容").fill("太短");
    await dialog.getByLabel("联系电话").fill("13912345678");
    await dialog
      .getByLabel(/^图形验证码/)
      .and(tab.page.getByRole("textbox"))
      .fill(TEST_CAPTCHA);
    await dialog.getByRole("button", { name: "提交留言" }).click();
    await see(errorSummary(tab.page).getByRole("link", { name: "留言内容至少5个字" }));
    dialog = tab.page.getByRole("dialog", { name: "留言信箱" });
    if (js) expect(new URL(tab.page.url()).pathname).toBe("/");
    expect(await dialog.getByLabel("联系电话").inputValue()).toBe("13912345678");
    expect(await dialog.getByRole("radio", { name: "问题" }).isChecked()).toBe(true);
    await dialog.getByLabel("留言内容").fill("请问未注册企业可以申请服务券吗？");
    await dialog
      .getByLabel(/^图形验证码/)
      .and(tab.page.getByRole("textbox"))
      .fill(TEST_CAPTCHA);
    await dialog.getByRole("button", { name: "提交留言" }).click();
    const ref = await sentReference(tab.page, js);
    const [row] = await e2e.server.t.deps.db.query<{ account_id: string | null; status: string }>(
      "select account_id, status from messages where reference = $1",
      [ref],
    );
    expect(row).toEqual({ account_id: null, status: "pending" });
  });
});
