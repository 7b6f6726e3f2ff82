import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { type Browser, type BrowserContext, type Locator, type Page, chromium } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { creditCodeCheckChar } from "../../src/modules/enterprises/codes.ts";
import { type TestApp, TEST_CAPTCHA, makeTestApp } from "../support/app.ts";
import { SELFIE } from "../support/esign.ts";

/** Browser tests: the real app served on a local port, driven by Debian's Chromium through playwright-core. */

export type Server = { t: TestApp; baseUrl: string; close: () => Promise<void> };

/** The real server on 127.0.0.1 and a free port, on a fresh database (PostgreSQL/Redis in CI, else PGlite/memory). */
export async function startServer(opts: Parameters<typeof makeTestApp>[0] = {}): Promise<Server> {
  const t = await makeTestApp(opts);
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve, reject) => {
    const s = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => resolve({ server: s, port: info.port }));
    s.once("error", reject);
  });
  return {
    t,
    baseUrl: `http://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => {
        // Keep-alive connections of the browser would hold close() open.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      });
      await t.close();
    },
  };
}

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** Debian's Chromium; never a downloaded one. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

export type Tab = { context: BrowserContext; page: Page; problems: string[] };

/**
 * A fresh browser context (own cookies) with one page. Console errors, uncaught page errors and
 * failed same-origin requests are collected in `problems`; tests assert it stays empty.
 */
export async function openTab(
  browser: Browser,
  baseUrl: string,
  opts: { javaScriptEnabled?: boolean; width?: number; height?: number } = {},
): Promise<Tab> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    javaScriptEnabled: opts.javaScriptEnabled ?? true,
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
    locale: "zh-CN",
  });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  const problems: string[] = [];
  const watch = (page: Page) => {
    page.on("console", (msg) => {
      // A 4xx page shown on purpose logs "Failed to load resource"; that is the page under test, not a fault.
      if (msg.type() === "error" && !/Failed to load resource: the server responded with a status of 4(09|22|29)/.test(msg.text())) {
        problems.push(`console: ${msg.text()}`);
      }
    });
    page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
    page.on("requestfailed", (req) => {
      if (!req.url().startsWith(baseUrl)) return;
      const error = req.failure()?.errorText ?? "";
      // ERR_ABORTED is the browser cancelling a request because a newer navigation replaced the page
      // (a slow machine shows it more often); it never comes from the server. Server errors still fail
      // the test through the console's "Failed to load resource: ... status of 5xx" line.
      if (error === "net::ERR_ABORTED") return;
      problems.push(`requestfailed: ${req.url()} ${error}`);
    });
  };
  context.on("page", watch);
  const page = await context.newPage();
  return { context, page, problems };
}

/** What a browser test file works with: the server and the browser of the file, and fresh tabs. */
export type BrowserSuite = {
  readonly server: Server;
  readonly browser: Browser;
  /** A fresh tab (own cookies), closed after the test; anything it complains about fails the test. */
  open(js: boolean, opts?: { width?: number; height?: number }): Promise<Tab>;
};

/**
 * Registers the hooks of a browser test file: one server (makeTestApp options, e.g. `{ demo: true }`)
 * and one Chromium for the file; after each test the tabs it opened are closed and their problems
 * (CSP violations, script errors, failed requests) must be empty. Call it at the top of the file.
 */
export function browserSuite(opts: Parameters<typeof makeTestApp>[0] = {}): BrowserSuite {
  let server: Server | undefined;
  let browser: Browser | undefined;
  let tabs: Tab[] = [];
  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(opts), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(async () => {
    const problems = tabs.flatMap((t) => t.problems);
    await Promise.all(tabs.map((t) => t.context.close()));
    tabs = [];
    expect(problems).toEqual([]);
  });
  const started = <T>(x: T | undefined): T => {
    if (x === undefined) throw new Error("browserSuite: used before beforeAll ran (or it failed)");
    return x;
  };
  return {
    get server() {
      return started(server);
    },
    get browser() {
      return started(browser);
    },
    async open(js, { width, height } = {}) {
      const tab = await openTab(started(browser), started(server).baseUrl, { javaScriptEnabled: js, width, height });
      tabs.push(tab);
      return tab;
    },
  };
}

/**
 * Reads the latest 6-digit code sent to a phone from the /dev/sms page, opened in another tab of
 * the same browser like a developer would.
 */
export async function readSmsCode(context: BrowserContext, phone: string): Promise<string> {
  const page = await context.newPage();
  try {
    await page.goto("/dev/sms");
    await see(page.getByRole("heading", { name: "短信发件箱（开发）" }));
    // Newest first: the first row whose 手机号 cell is this phone.
    const row = rowWith(page, phone).first();
    const text = await row.getByRole("cell").nth(1).innerText();
    const code = text.match(/验证码为(\d{6})/)?.[1];
    if (!code) throw new Error(`no SMS code for ${phone} on /dev/sms: ${text}`);
    return code;
  } finally {
    await page.close();
  }
}

/** A phone number unlikely to clash between runs sharing a Redis server: 139 + 8 random digits. */
export function randomPhone(prefix = "1390"): string {
  let rest = "";
  while (prefix.length + rest.length < 11) rest += Math.floor(Math.random() * 10);
  return prefix + rest;
}

/** Waits (up to the context timeout) until the one element the locator names is visible, and asserts it. */
export async function see(locator: Locator): Promise<void> {
  await locator.waitFor({ state: "visible" });
  expect(await locator.isVisible()).toBe(true);
}

/** Asserts that nothing the locator names is visible (waits for it to go away if needed). */
export async function notSee(locator: Locator): Promise<void> {
  await locator.first().waitFor({ state: "hidden" });
  expect(await locator.isVisible()).toBe(false);
}

/**
 * Stands in for waiting out the 60-second 获取验证码 cooldown of one phone (the user came back a
 * minute later), so one journey can receive a registration code and then a login code.
 * Fails loudly if the cooldown key is not where the identity service keeps it.
 */
export async function skipResendWait(server: Server, phone: string): Promise<void> {
  const existed = await server.t.deps.cache.del(`sms:cool:${phone}`);
  if (!existed) throw new Error(`no resend cooldown found for ${phone}: has the key changed?`);
}

/** Registers a new enterprise through the pages (注册 -> 获取验证码 -> /dev/sms -> 立即注册); the tab ends signed in on /me. */
export async function signUp(tab: Tab, phone: string, company: string): Promise<void> {
  const { page, context } = tab;
  await page.goto("/register");
  await page.getByLabel("企业名称").fill(company);
  await page.getByLabel("手机号").fill(phone);
  await captchaInput(page).fill(TEST_CAPTCHA);
  await page.getByRole("button", { name: "获取验证码" }).click();
  await see(page.getByText(/^验证码已发送至.*60秒后可重新获取。$/));
  await page.getByLabel("手机验证码").fill(await readSmsCode(context, phone));
  await page.getByRole("button", { name: "立即注册" }).click();
  await see(page.getByRole("heading", { level: 1, name: "个人中心" }));
}

/** Signs a demo enterprise (or provider) in with its password and the test captcha answer; ends on 个人中心. */
export async function signInWithPassword(page: Page, phone: string, password = "Demo#2026"): Promise<void> {
  await page.goto("/login?tab=password");
  await page.getByLabel("手机号").fill(phone);
  await page.getByLabel("密码", { exact: true }).fill(password);
  await captchaInput(page).fill(TEST_CAPTCHA);
  await page.getByRole("button", { name: "登录", exact: true }).click();
  await see(heading(page, "个人中心"));
}

// ---- Locators and readings shared by the test files ----

/** The page's level-1 heading with exactly this text. */
export const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name, exact: true });

/** The graphic captcha input, found by its label (which may add a note once solved). */
export const captchaInput = (page: Page) => page.getByLabel(/^图形验证码/).and(page.getByRole("textbox"));

/** The 请修改以下问题 summary at the top of a form. */
export const errorSummary = (page: Page) => page.getByRole("alert").filter({ has: page.getByRole("heading", { name: "请修改以下问题" }) });

/** The flash message at the top of the page. */
export const flashMessage = (page: Page, text: string) => page.getByRole("status").filter({ hasText: text });

/** A table row holding a cell with exactly this text. */
export const rowWith = (page: Page, text: string) => page.getByRole("row").filter({ has: page.getByRole("cell", { name: text, exact: true }) });

/** The value beside a term in a description list (waits for the term). */
export async function fact(scope: Locator, term: string): Promise<string> {
  const dt = scope.getByRole("term").filter({ hasText: new RegExp(`^${term}$`) });
  await see(dt);
  return (await dt.locator("xpath=following-sibling::dd[1]").innerText()).trim();
}

/** The texts an input is described by (its hint and the error beside it). */
export async function description(page: Page, field: Locator): Promise<string> {
  const ids = ((await field.getAttribute("aria-describedby")) ?? "").split(/\s+/).filter(Boolean);
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).innerText()));
  return texts.join(" ");
}

/** The demo programmes are named after the current year in Asia/Shanghai. */
export const YEAR = new Date(Date.now() + 8 * 3600_000).getUTCFullYear();

/** A small PDF for a file input; the name is also written into the bytes, so files differ. */
export const pdfFile = (name: string) => ({
  name,
  mimeType: "application/pdf",
  buffer: Buffer.from(`%PDF-1.4\n% ${name}\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n`),
});

// ---- 企业信息认证 (shared by certification, layout, catalog and vouchers tests) ----

/**
 * A 统一社会信用代码 that passes GB 32100 and no other test uses: 91450100MA5 + 6 random digits +
 * its check character (one code per enterprise may be certified, and Redis/PostgreSQL runs share nothing else).
 */
export function randomCreditCode(): string {
  let first17 = "91450100MA5";
  while (first17.length < 17) first17 += Math.floor(Math.random() * 10);
  return first17 + creditCodeCheckChar(first17);
}

/** A small PDF for the 营业执照 file input. */
export const LICENCE_PDF = {
  name: "营业执照.pdf",
  mimeType: "application/pdf",
  buffer: Buffer.from("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"),
};

/** What a user types on step 2 (labels as on the page). */
export type Step2Input = {
  name: string;
  creditCode: string;
  staffCount: string;
  revenueWan: string;
  industry: string;
  city: string;
  district: string;
  address: string;
  legalName: string;
  legalIdNumber: string;
  legalPhone: string;
};

export function step2Input(name: string, overrides: Partial<Step2Input> = {}): Step2Input {
  return {
    name,
    creditCode: randomCreditCode(),
    staffCount: "350",
    revenueWan: "2500",
    industry: "通用设备制造业",
    city: "南宁市",
    district: "青秀区",
    address: "青秀区民族大道100号",
    legalName: "张三",
    legalIdNumber: "11010519491231002X", // valid GB 11643 check digit
    legalPhone: "13800000001",
    ...overrides,
  };
}

/** Step 2 fields by their visible labels (姓名, 身份证号 and 手机号 are the 法定代表人's, the only ones on that page). */
export const step2Field = {
  name: (page: Page) => page.getByLabel("企业名称", { exact: true }),
  creditCode: (page: Page) => page.getByLabel("统一社会信用代码", { exact: true }),
  staffCount: (page: Page) => page.getByLabel("从业人员数（人）", { exact: true }),
  revenueWan: (page: Page) => page.getByLabel("上年度营业收入（万元）", { exact: true }),
  industry: (page: Page) => page.getByLabel("所属行业", { exact: true }),
  city: (page: Page) => page.getByLabel("所在城市", { exact: true }),
  district: (page: Page) => page.getByLabel("所在区县", { exact: true }),
  address: (page: Page) => page.getByLabel("详细地址", { exact: true }),
  legalName: (page: Page) => page.getByLabel("姓名", { exact: true }),
  legalIdNumber: (page: Page) => page.getByLabel("身份证号", { exact: true }),
  legalPhone: (page: Page) => page.getByLabel("手机号", { exact: true }),
} satisfies Record<keyof Step2Input, (page: Page) => Locator>;

/** Step 1: 身份角色 制造业企业, 企业类型 有限责任公司 (no submit). */
export async function fillStep1(page: Page): Promise<void> {
  await see(page.getByRole("group", { name: "身份角色" }));
  await page.getByRole("radio", { name: "制造业企业" }).check();
  await page.getByLabel("企业类型").selectOption({ label: "有限责任公司" });
}

/** Step 2 text fields and selects (企业划型 stays on 按系统建议; no upload, no agreement, no submit). */
export async function fillStep2(page: Page, d: Step2Input): Promise<void> {
  const f = step2Field;
  await f.name(page).fill(d.name);
  await f.creditCode(page).fill(d.creditCode);
  await f.staffCount(page).fill(d.staffCount);
  await f.revenueWan(page).fill(d.revenueWan);
  await f.industry(page).selectOption({ label: d.industry });
  await f.city(page).selectOption({ label: d.city });
  await f.district(page).selectOption({ label: d.district });
  await f.address(page).fill(d.address);
  await f.legalName(page).fill(d.legalName);
  await f.legalIdNumber(page).fill(d.legalIdNumber);
  await f.legalPhone(page).fill(d.legalPhone);
}

/** The step the wizard's step indicator marks as current. */
export const currentStep = (page: Page) => page.getByRole("list", { name: "认证步骤" }).locator('[aria-current="step"]');

/** From 个人中心 through the three steps with valid data (no 经办人) to 待审核. */
export async function submitCertification(page: Page, d: Step2Input): Promise<void> {
  await page.goto("/me");
  await page.getByRole("link", { name: "去企业信息认证" }).click();
  await fillStep1(page);
  await page.getByRole("button", { name: "下一步" }).click();
  await see(page.getByRole("heading", { level: 2, name: "企业基本信息" }));
  await fillStep2(page, d);
  await page.getByLabel("上传营业执照").setInputFiles(LICENCE_PDF);
  await page.getByRole("checkbox", { name: "已阅读并同意《用户服务协议》" }).check();
  await page.getByRole("button", { name: "下一步" }).click();
  await see(page.getByRole("heading", { level: 2, name: "指定经办人" }));
  await page.getByRole("button", { name: "下一步" }).click();
  await see(page.getByRole("heading", { level: 2, name: "认证状态：待审核" }));
}

/** Signs a staff member in at /admin/login; the page ends on 管理端首页. */
export async function signInAdmin(page: Page, username: string, password = "Demo#2026"): Promise<void> {
  await page.goto("/admin/login");
  await page.getByLabel("用户名").fill(username);
  await page.getByLabel("密码", { exact: true }).fill(password);
  await page.getByRole("button", { name: "登录", exact: true }).click();
  await see(heading(page, "管理端首页"));
}

/** 管理端首页 -> 企业认证审核 -> search by 统一社会信用代码 -> 审核: the detail page of that enterprise's application. */
export async function openApplication(page: Page, creditCode: string, company: string): Promise<void> {
  await page.goto("/admin");
  await page.getByRole("link", { name: "企业认证审核" }).click();
  await see(heading(page, "企业认证审核"));
  await page.getByLabel("企业名称或信用代码").fill(creditCode);
  await page.getByRole("button", { name: "筛选" }).click();
  await see(page.getByRole("navigation", { name: "分页" }).getByText("共 1 条，第 1 / 1 页", { exact: true }));
  const row = rowWith(page, company);
  await see(row);
  expect(await row.getByRole("cell").nth(1).innerText()).toBe(creditCode);
  await row.getByRole("link", { name: "审核" }).click();
  await see(heading(page, `企业认证详情：${company}`));
}

/**
 * A new enterprise, registered and certified through the pages (the demo reviewer approves it in a
 * second tab). Returns the enterprise's tab (on 企业信息认证, 已认证) and the reviewer's, still signed in.
 */
export async function certifiedEnterprise(
  e2e: BrowserSuite,
  js: boolean,
  company: string,
  overrides: Partial<Step2Input> = {},
): Promise<{ ent: Tab; rev: Tab }> {
  const ent = await e2e.open(js);
  const data = step2Input(company, overrides);
  await signUp(ent, randomPhone(), company);
  await submitCertification(ent.page, data);
  const rev = await e2e.open(js);
  await signInAdmin(rev.page, "reviewer");
  await openApplication(rev.page, data.creditCode, company);
  await rev.page.getByRole("button", { name: "通过", exact: true }).click();
  await see(rev.page.getByRole("heading", { level: 2, name: "状态：已认证" }));
  return { ent, rev };
}

// ---- Pages that follow a process elsewhere (signing, payment notifications) ----

/**
 * Waits until the locator shows on a page that changes because of something elsewhere. With
 * JavaScript on and `follows` (the page polls by itself, like 签署合同), only waits; otherwise
 * does what a person does: `refresh` (a reload, or a 刷新状态 button) and looks again, each round
 * waiting up to a second for the text, never a fixed time.
 */
export async function refreshUntil(
  page: Page,
  locator: Locator,
  opts: { follows?: boolean; refresh?: () => Promise<unknown>; timeoutMs?: number } = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 45_000;
  if (opts.follows) {
    await locator.first().waitFor({ state: "visible", timeout: timeoutMs });
    return;
  }
  const refresh = opts.refresh ?? (() => page.reload());
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const shown = await locator
      .first()
      .waitFor({ state: "visible", timeout: 1_000 })
      .then(() => true)
      .catch(() => false);
    if (shown) return;
    await refresh();
  }
  await see(locator.first());
}

/** The QR code's link on 签署合同 once it is this party's turn (the page polls with JavaScript; without, reloads). */
export async function phoneLink(page: Page, js: boolean): Promise<string> {
  await refreshUntil(page, page.getByRole("img", { name: "签署二维码" }), { follows: js });
  const href = await page.locator(".qr-code a, a.break").first().getAttribute("href");
  expect(href).toMatch(/\/s\/[A-Za-z0-9_.-]+$/);
  return href!;
}

/** A selfie for the mock provider's face check. */
export const SELFIE_FILE = { name: "selfie.jpg", mimeType: "image/jpeg", buffer: Buffer.from(SELFIE) };

/**
 * The phone: the QR code's link opened on a 360 px context (no horizontal overflow), the face
 * step as the legal representative, 确认签署.
 */
export async function signOnPhone(phoneContext: BrowserContext, link: string, legal: { name: string; idNumber: string }, shotName?: string) {
  const page = await phoneContext.newPage();
  await page.goto(link);
  await see(page.getByRole("heading", { level: 1, name: "签署合同" }));
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await page.getByLabel("姓名").fill(legal.name);
  await page.getByLabel("身份证号").fill(legal.idNumber);
  await page.getByLabel("本人照片（人脸识别）").setInputFiles(SELFIE_FILE);
  await page.getByRole("button", { name: "认证成功" }).click();
  await see(page.getByText("人脸认证已通过"));
  if (shotName) await shot(page, shotName);
  await page.getByRole("button", { name: "确认签署" }).click();
  await see(page.getByRole("heading", { level: 1, name: "签署操作已提交" }));
  await page.close();
}

/** Where browser tests save the screenshots a person looks at (`E2E_SHOTS_DIR=/tmp/shots`); unset in CI, nothing is saved. */
export const SHOTS = process.env.E2E_SHOTS_DIR;

/** A full-page screenshot named `name`, when E2E_SHOTS_DIR asks for them. */
export async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}
