import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { TEST_CAPTCHA } from "../support/app.ts";
import { YEAR, browserSuite, errorSummary, heading, see, signInWithPassword } from "./support.ts";

/**
 * The two dialogs, 我要留言 (header) and 服务券配额申请 (个人中心), used with the keyboard only. With
 * JavaScript htmx loads them over the page and static/dialog.js shows them modally: focus moves into
 * the dialog, Tab stays inside it, Esc (or 取消) closes it and focus returns to the link that opened
 * it. Without JavaScript each is a page of its own, reached and filled in with the keyboard.
 */

const e2e = browserSuite({ demo: true });

/** Every test here runs on a phone-sized screen. */
const open = (js: boolean) => e2e.open(js, { width: 360, height: 800 });

const SPECIAL = `${YEAR}年度设备更新专项券`;

/** What has focus: a field's name, else its text; whether it is inside an open dialog; whether that dialog is modal. */
type Focus = { name: string; inDialog: boolean; modal: boolean };
const focus = (page: Page): Promise<Focus> =>
  page.evaluate(() => {
    const a = document.activeElement as HTMLInputElement | null;
    const box = a?.closest("dialog[open]");
    const name = !a || a === document.body ? "(body)" : a.tagName === "DIALOG" ? "(dialog)" : a.name || (a.innerText ?? "").trim();
    return { name, inDialog: !!box, modal: !!box?.matches(":modal") };
  });

/** Presses Tab until the focused element is called `name`; fails after `max` presses. */
async function tabTo(page: Page, name: string, max = 30): Promise<void> {
  for (let n = 0; n < max; n++) {
    await page.keyboard.press("Tab");
    if ((await focus(page)).name === name) return;
  }
  throw new Error(`Tab never reached "${name}"`);
}

/** Presses Tab `n` times and returns what got focus each time. */
async function pressTab(page: Page, n: number): Promise<Focus[]> {
  const seen: Focus[] = [];
  for (let i = 0; i < n; i++) {
    await page.keyboard.press("Tab");
    seen.push(await focus(page));
  }
  return seen;
}

/** Focus is on this element (waits for it). */
async function focusedOn(page: Page, locator: Locator): Promise<void> {
  await see(locator.and(page.locator(":focus")));
}

/** What the anonymous 我要留言 dialog holds, in Tab order. */
const MESSAGE_ORDER = ["category", "content", "contactPhone", "attachment", "captcha", "换一张", "登录", "提交留言"];

describe("keyboard, JavaScript on: the dialogs open modally over the page", () => {
  it("我要留言: Enter opens it with focus inside, Tab stays inside, Esc and 取消 close it and focus returns to 我要留言, also after a 422", async () => {
    const { page } = await open(true);
    await page.goto("/demands");
    await page.waitForFunction(() => "htmx" in window);
    const link = page.getByRole("navigation", { name: "账号" }).getByRole("link", { name: "我要留言" });
    const dialog = page.getByRole("dialog", { name: "留言信箱" });

    // From the top of the page with Tab only, then Enter.
    await tabTo(page, "我要留言");
    await page.keyboard.press("Enter");
    await see(dialog);
    await expect.poll(() => focus(page)).toEqual({ name: "(dialog)", inDialog: true, modal: true });
    expect(new URL(page.url()).pathname).toBe("/demands");

    // Tab walks the form in reading order and never leaves the dialog (the page behind is inert;
    // after the last link the browser's own controls come, shown here as the body, then the dialog again).
    const walk = await pressTab(page, 2 * (MESSAGE_ORDER.length + 3));
    expect(walk.slice(0, MESSAGE_ORDER.length + 3).map((f) => f.name)).toEqual([...MESSAGE_ORDER, "取消", "查询回复", "(body)"]);
    expect(walk.filter((f) => !f.inDialog).map((f) => f.name)).toEqual(["(body)", "(body)"]);
    expect(walk.at(-1)).toEqual({ name: "(body)", inDialog: false, modal: false });

    // Esc closes it and focus is back on 我要留言.
    await page.keyboard.press("Escape");
    await expect.poll(() => dialog.count()).toBe(0);
    await focusedOn(page, link);

    // Again, sent with an error from the keyboard: the answer replaces the dialog, still modal, focus still inside.
    await page.keyboard.press("Enter");
    await see(dialog);
    await tabTo(page, "content");
    await page.keyboard.type("太短");
    await tabTo(page, "提交留言");
    await page.keyboard.press("Enter");
    await see(errorSummary(page).getByRole("link", { name: "留言内容至少5个字" }));
    await expect.poll(async () => (await focus(page)).modal).toBe(true);
    expect(await dialog.getByLabel("留言内容").inputValue()).toBe("太短");
    await page.keyboard.press("Escape");
    await expect.poll(() => dialog.count()).toBe(0);
    await focusedOn(page, link);

    // 取消 closes it too.
    await page.keyboard.press("Enter");
    await see(dialog);
    await tabTo(page, "取消");
    await page.keyboard.press("Enter");
    await expect.poll(() => dialog.count()).toBe(0);
    await focusedOn(page, link);
    // The page under it is usable again: 筛选 opens from the keyboard and the filter keeps its label.
    await page.locator("summary", { hasText: "筛选" }).focus();
    await page.keyboard.press("Enter");
    await see(page.getByLabel("需求类别"));
  });

  it("我要留言 sent from the keyboard: the confirmation's 关闭 returns focus to 我要留言", async () => {
    const { page } = await open(true);
    await page.goto("/news");
    await page.waitForFunction(() => "htmx" in window);
    const link = page.getByRole("navigation", { name: "账号" }).getByRole("link", { name: "我要留言" });
    await tabTo(page, "我要留言");
    await page.keyboard.press("Enter");
    await see(page.getByRole("dialog", { name: "留言信箱" }));
    await tabTo(page, "category");
    await page.keyboard.press("Space");
    await page.keyboard.press("Tab");
    await page.keyboard.type("政策资讯页面能否增加按发布年份筛选？");
    await page.keyboard.press("Tab");
    await page.keyboard.type("13912340000");
    await tabTo(page, "captcha");
    await page.keyboard.type(TEST_CAPTCHA);
    await tabTo(page, "提交留言");
    await page.keyboard.press("Enter");
    const done = page.getByRole("dialog", { name: "留言已提交" });
    await see(done.getByRole("status"));
    await expect.poll(() => focus(page)).toEqual({ name: "(dialog)", inDialog: true, modal: true });
    await tabTo(page, "关闭");
    await page.keyboard.press("Enter");
    await expect.poll(() => done.count()).toBe(0);
    await focusedOn(page, link);
  });

  it("服务券配额申请: Enter opens the 专项券 dialog modally, Tab stays inside, Esc and 取消 close it and focus returns to the card's link", async () => {
    const { page } = await open(true);
    await signInWithPassword(page, "13800000001");
    await page.goto("/me/quota");
    await page.waitForFunction(() => "htmx" in window);
    const link = page.getByRole("region", { name: new RegExp(`^${SPECIAL} `) }).getByRole("link", { name: "服务券配额申请", exact: true });
    const dialog = page.getByRole("dialog", { name: SPECIAL, exact: true });

    await link.focus();
    await page.keyboard.press("Enter");
    await see(dialog);
    await expect.poll(() => focus(page)).toEqual({ name: "(dialog)", inDialog: true, modal: true });
    const walk = await pressTab(page, 10);
    expect(walk.slice(0, 5).map((f) => f.name)).toEqual(["amount", "documents", "确定申领", "取消", "(body)"]);
    expect(walk.filter((f) => !f.inDialog).map((f) => f.name)).toEqual(["(body)", "(body)"]);

    await page.keyboard.press("Escape");
    await expect.poll(() => dialog.count()).toBe(0);
    await focusedOn(page, link);

    // 取消 (a link back to this page) closes it without reloading.
    await page.evaluate(() => Object.assign(window, { __stillHere: true }));
    await page.keyboard.press("Enter");
    await see(dialog);
    await tabTo(page, "取消");
    await page.keyboard.press("Enter");
    await expect.poll(() => dialog.count()).toBe(0);
    await focusedOn(page, link);
    expect(await page.evaluate(() => (window as unknown as { __stillHere?: boolean }).__stillHere)).toBe(true);
  });
});

describe("keyboard, JavaScript off: each dialog is a page of its own", () => {
  it("我要留言: the header link opens /messages/new with focus on the form; Tab reaches every field in order; a 422 and a fix, all from the keyboard", async () => {
    const { page } = await open(false);
    await page.goto("/demands");
    await tabTo(page, "我要留言");
    await page.keyboard.press("Enter");
    await see(heading(page, "我要留言"));
    expect(new URL(page.url()).pathname).toBe("/messages/new");
    await expect.poll(() => focus(page)).toEqual({ name: "(dialog)", inDialog: true, modal: false });
    const walk = await pressTab(page, MESSAGE_ORDER.length + 3);
    expect(walk.map((f) => f.name)).toEqual([...MESSAGE_ORDER, "返回首页", "查询回复", "政策资讯"]);
    expect(walk.at(-1)!.inDialog).toBe(false);

    // Sent empty with Enter: the page answers 422 with the summary.
    await page.getByRole("button", { name: "提交留言" }).focus();
    await page.keyboard.press("Enter");
    await see(errorSummary(page));
    await tabTo(page, "category");
    await page.keyboard.press("Space");
    await page.keyboard.press("Tab");
    await page.keyboard.type("未注册的企业可以先查看服务产品吗？");
    await page.keyboard.press("Tab");
    await page.keyboard.type("13912340001");
    await tabTo(page, "captcha");
    await page.keyboard.type(TEST_CAPTCHA);
    await tabTo(page, "提交留言");
    await page.keyboard.press("Enter");
    await see(page.getByRole("dialog", { name: "留言已提交" }).getByRole("status"));
    expect(new URL(page.url()).pathname).toBe("/messages/sent");
  });

  it("服务券配额申请: Enter on the card's link opens the apply page with focus on the dialog; Esc leaves it as it is; 取消 goes back", async () => {
    const { page } = await open(false);
    await signInWithPassword(page, "13800000001");
    await page.goto("/me/quota");
    await page
      .getByRole("region", { name: new RegExp(`^${SPECIAL} `) })
      .getByRole("link", { name: "服务券配额申请", exact: true })
      .focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: SPECIAL, exact: true });
    await see(dialog);
    expect(new URL(page.url()).pathname).toMatch(/^\/me\/quota\/[\w-]+\/apply$/);
    await expect.poll(() => focus(page)).toEqual({ name: "(dialog)", inDialog: true, modal: false });
    expect((await pressTab(page, 4)).map((f) => f.name)).toEqual(["amount", "documents", "确定申领", "取消"]);
    await page.keyboard.press("Escape");
    await see(dialog);
    await page.keyboard.press("Enter");
    await see(heading(page, "服务券配额申请"));
    expect(new URL(page.url()).pathname).toBe("/me/quota");
  });
});
