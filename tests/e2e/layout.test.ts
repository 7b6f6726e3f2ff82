import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Server, type Tab, launchBrowser, openTab, randomPhone, see, signUp, startServer } from "./support.ts";

/**
 * Layout at a desktop width and at a small phone (360 px): every page fits the screen without
 * sideways scrolling, controls are big enough to tap, the captcha and SMS-code rows stay on one
 * line, and content does not stick to the navigation bar. Set E2E_SHOTS_DIR to also save a
 * full-page PNG of each (outside the repository, e.g. /tmp/shots).
 */

const SHOTS = process.env.E2E_SHOTS_DIR;

let server: Server;
let browser: Browser;
beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

type Metrics = {
  viewport: number;
  scrollWidth: number;
  gapBelowHeader: number;
  small: string[];
  rows: { name: string; spread: number }[];
};

/** Measures what the user sees: overflow, target sizes (WCAG 2.5.8: 24 px; 44 px for form controls on a phone), row alignment. */
function measure(page: Page, phone: boolean): Promise<Metrics> {
  return page.evaluate((phone) => {
    const visible = (el: Element) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
    };
    const label = (el: Element) => `${el.tagName.toLowerCase()} "${(el.textContent || el.getAttribute("name") || "").trim().slice(0, 20)}"`;
    const small: string[] = [];
    const targets = "button, input:not([type=hidden]), select, textarea, .top-links a, .main-nav a, .tabs a, .side-menu a, .captcha-row a";
    for (const el of document.querySelectorAll(targets)) {
      if (!visible(el)) continue;
      const r = el.getBoundingClientRect();
      const min = phone && (el.matches("button:not(.link-button), input, select, textarea, .side-menu a, .captcha-row a")) ? 44 : 24;
      if (r.height < min - 0.5 || r.width < 24) small.push(`${label(el)} ${Math.round(r.width)}x${Math.round(r.height)} (< ${min})`);
    }
    const rows = [...document.querySelectorAll(".captcha-row, .code-row")].filter(visible).map((row) => {
      const centres = [...row.children].filter(visible).map((c) => {
          const r = c.getBoundingClientRect();
          return r.top + r.height / 2;
        });
      return { name: row.className, spread: Math.max(...centres) - Math.min(...centres) };
    });
    const header = document.querySelector(".site-header")!.getBoundingClientRect();
    const first = document.querySelector("main")!.firstElementChild!;
    return {
      viewport: window.innerWidth,
      scrollWidth: document.documentElement.scrollWidth,
      gapBelowHeader: first.getBoundingClientRect().top - header.bottom,
      small,
      rows,
    };
  }, phone);
}

describe.each([1280, 360])("layout at %i px wide", (width) => {
  let anon: Tab;
  let member: Tab;
  beforeAll(async () => {
    anon = await openTab(browser, server.baseUrl, { width, height: 800 });
    member = await openTab(browser, server.baseUrl, { width, height: 800 });
    await signUp(member, randomPhone(), "广西南宁某某智能装备制造股份有限公司");
    member.problems.length = 0;
  });
  afterAll(async () => {
    await anon?.context.close();
    await member?.context.close();
  });
  afterEach(() => {
    const problems = [...anon.problems, ...member.problems];
    anon.problems.length = 0;
    member.problems.length = 0;
    expect(problems).toEqual([]);
  });

  async function check(page: Page, heading: string, shot: string) {
    await see(page.getByRole("heading", { level: 1, name: heading, exact: true }));
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/${shot}-${width}.png`, fullPage: true });
    const m = await measure(page, width < 600);
    expect(m.viewport).toBe(width);
    expect(m.scrollWidth, "no sideways scrolling").toBeLessThanOrEqual(width);
    expect(m.small, "tap targets too small").toEqual([]);
    for (const row of m.rows) expect(row.spread, `${row.name} on one line`).toBeLessThan(8);
    expect(m.gapBelowHeader, "content does not touch the navigation bar").toBeGreaterThanOrEqual(8);
    return m;
  }

  it.each([
    ["/", "广西制造业企业培优育强服务券管理平台", "home"],
    ["/register", "注册", "register"],
    ["/login", "登录", "login"],
    ["/login?tab=sms", "登录", "login-sms"],
    ["/admin/login", "管理端登录", "admin-login"],
  ])("%s", async (path, heading, shot) => {
    await anon.page.goto(path);
    await check(anon.page, heading, shot);
  });

  it("/register after submitting it empty (422 with the error summary)", async () => {
    const { page } = anon;
    await page.goto("/register");
    await page.getByRole("button", { name: "立即注册" }).click();
    await see(page.getByRole("heading", { name: "请修改以下问题" }));
    const m = await check(page, "注册", "register-422");
    expect(m.rows.map((r) => r.name).sort()).toEqual(["captcha-row", "code-row"]);
  });

  it("/me (signed in)", async () => {
    await member.page.goto("/me");
    await check(member.page, "个人中心", "me");
    await see(member.page.getByRole("link", { name: "去企业信息认证" }));
  });

  it("/me/password (signed in)", async () => {
    await member.page.goto("/me/password");
    await check(member.page, "设置密码", "password");
    await see(member.page.getByLabel("确认新密码"));
  });
});
