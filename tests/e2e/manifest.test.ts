import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_ARGS, type Server, signInWithPassword, see, startServer } from "./support.ts";

/**
 * 添加到主屏幕: Chromium itself reads the web app manifest the pages link and finds the platform
 * installable (its own checks: name, icons it can fetch and decode, start URL, display). A browser
 * profile on disk, since Chromium never offers installation in an incognito context (which every
 * other browser test uses).
 */

let server: Server;
let profile: string;
let context: BrowserContext;
beforeAll(async () => {
  server = await startServer({ demo: true });
  profile = await mkdtemp(join(tmpdir(), "gxv-profile-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
    baseURL: server.baseUrl,
    viewport: { width: 360, height: 800 },
    locale: "zh-CN",
  });
});
afterAll(async () => {
  await context?.close();
  await server?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

type AppManifest = {
  url: string;
  errors: { message: string }[];
  manifest?: { name: string; startUrl: string; display: string; themeColor: string; icons: { url: string; type: string }[] };
};

describe("web app manifest in Chromium", () => {
  it.each(["/", "/services", "/me"])("%s links a manifest Chromium parses without errors, and the platform is installable from it", async (path) => {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    try {
      if (path === "/me") await signInWithPassword(page, "13800000001");
      else await page.goto(path);
      await see(page.getByRole("heading", { level: 1 }));
      const cdp = await context.newCDPSession(page);
      const got = (await cdp.send("Page.getAppManifest" as never)) as AppManifest;
      expect(got.url).toBe(`${server.baseUrl}/manifest.webmanifest`);
      expect(got.errors).toEqual([]);
      expect(got.manifest).toMatchObject({
        name: "广西制造业企业培优育强服务券管理平台",
        startUrl: `${server.baseUrl}/me`,
        display: "kStandalone",
        themeColor: "rgba(11,92,173,1)",
      });
      expect(got.manifest!.icons.map((i) => i.type)).toEqual(["image/svg+xml", "image/svg+xml"]);
      // Chromium fetches and decodes the icons for this check; a missing or undecodable icon is an error here.
      const { installabilityErrors } = (await cdp.send("Page.getInstallabilityErrors" as never)) as { installabilityErrors: { errorId: string }[] };
      expect(installabilityErrors).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
