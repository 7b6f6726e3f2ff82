import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  LICENCE_PDF,
  type Server,
  type Tab,
  errorSummary,
  fillStep1,
  fillStep2,
  launchBrowser,
  openApplication,
  openTab,
  randomPhone,
  see,
  signInAdmin,
  signUp,
  startServer,
  step2Field,
  step2Input,
} from "./support.ts";

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
  // Demo data: the 管理端 pages need the demo reviewer, and the queue then has rows like in use.
  [server, browser] = await Promise.all([startServer({ demo: true }), launchBrowser()]);
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
      // A radio or checkbox inside its label is tapped anywhere on the label.
      const r = (el.matches("input[type=radio], input[type=checkbox]") && el.closest("label") || el).getBoundingClientRect();
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

  it("企业信息认证: steps 1-3 (and step 2 with errors), 待审核, 管理端 queue and detail, 已认证, 支付认证", async () => {
    // An enterprise of its own, so the pages above keep seeing an uncertified one.
    const ent = await openTab(browser, server.baseUrl, { width, height: 800 });
    const rev = await openTab(browser, server.baseUrl, { width, height: 800 });
    try {
      const company = "广西南宁某某智能装备制造股份有限公司";
      const data = step2Input(company);
      const { page } = ent;
      await signUp(ent, randomPhone(), company);
      await page.getByRole("link", { name: "去企业信息认证" }).click();
      await check(page, "企业信息认证", "cert-step1");
      await fillStep1(page);
      await page.getByRole("button", { name: "下一步" }).click();

      await see(page.getByRole("heading", { level: 2, name: "企业基本信息" }));
      await check(page, "企业信息认证", "cert-step2");
      await fillStep2(page, { ...data, legalIdNumber: "110105194912310021", legalPhone: "1380000" });
      await page.getByRole("button", { name: "下一步" }).click();
      await see(errorSummary(page));
      await check(page, "企业信息认证", "cert-step2-422");

      await step2Field.legalIdNumber(page).fill(data.legalIdNumber);
      await step2Field.legalPhone(page).fill(data.legalPhone);
      await page.getByLabel("上传营业执照").setInputFiles(LICENCE_PDF);
      await page.getByRole("checkbox", { name: "已阅读并同意《用户服务协议》" }).check();
      await page.getByRole("button", { name: "下一步" }).click();
      await see(page.getByRole("heading", { level: 2, name: "指定经办人" }));
      await check(page, "企业信息认证", "cert-step3");
      await page.getByRole("button", { name: "下一步" }).click();
      await see(page.getByRole("heading", { level: 2, name: "认证状态：待审核" }));
      await check(page, "企业信息认证", "cert-pending");

      await signInAdmin(rev.page, "reviewer");
      await rev.page.goto("/admin/certifications");
      await check(rev.page, "企业认证审核", "admin-certifications");
      await openApplication(rev.page, data.creditCode, company);
      await check(rev.page, `企业认证详情：${company}`, "admin-certification");
      await rev.page.getByRole("button", { name: "通过", exact: true }).click();
      await see(rev.page.getByRole("heading", { level: 2, name: "状态：已认证" }));

      await page.reload();
      await see(page.getByRole("heading", { level: 2, name: "认证状态：已认证" }));
      await check(page, "企业信息认证", "cert-certified");

      await page.goto("/me/payment-account");
      await check(page, "支付认证", "payment-account");
      await page.getByLabel("银行开户名").fill(company);
      await page.getByLabel("开户银行").fill("中国工商银行");
      await page.getByLabel("开户所在地").selectOption({ label: "广西 南宁市" });
      await page.getByLabel("开户支行名称").fill("南宁民族大道支行");
      await page.getByLabel("银行账号").fill("6222020200112231234");
      await page.getByRole("button", { name: "保存" }).click();
      await see(page.getByText(/^当前账户：中国工商银行 \*{4} \*{4} 1234/));
      await check(page, "支付认证", "payment-account-saved");
    } finally {
      const problems = [...ent.problems, ...rev.problems];
      await ent.context.close();
      await rev.context.close();
      expect(problems).toEqual([]);
    }
  });
});
