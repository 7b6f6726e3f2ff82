import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { type Browser, type BrowserContext, type Locator, type Page, chromium } from "playwright-core";
import { expect } from "vitest";
import { type TestApp, TEST_CAPTCHA, makeTestApp } from "../support/app.ts";

/** Browser tests: the real app served on a local port, driven by Debian's Chromium through playwright-core. */

export type Server = { t: TestApp; baseUrl: string; close: () => Promise<void> };

/** The real server on 127.0.0.1 and a free port, on a fresh database (PostgreSQL/Redis in CI, else PGlite/memory). */
export async function startServer(opts: Parameters<typeof makeTestApp>[0] = {}): Promise<Server> {
  const t = await makeTestApp(opts);
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve, reject) => {
    const s = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) =>
      resolve({ server: s, port: info.port }),
    );
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
      if (req.url().startsWith(baseUrl)) problems.push(`requestfailed: ${req.url()} ${req.failure()?.errorText ?? ""}`);
    });
  };
  context.on("page", watch);
  const page = await context.newPage();
  return { context, page, problems };
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
    const row = page.getByRole("row").filter({ has: page.getByRole("cell", { name: phone, exact: true }) }).first();
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
  await page.getByLabel(/^图形验证码/).and(page.getByRole("textbox")).fill(TEST_CAPTCHA);
  await page.getByRole("button", { name: "获取验证码" }).click();
  await see(page.getByText(/^验证码已发送至.*60秒后可重新获取。$/));
  await page.getByLabel("手机验证码").fill(await readSmsCode(context, phone));
  await page.getByRole("button", { name: "立即注册" }).click();
  await see(page.getByRole("heading", { level: 1, name: "个人中心" }));
}
