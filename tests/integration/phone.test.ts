import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { CITIES } from "../../src/modules/enterprises/domain.ts";
import { Browser } from "../support/client.ts";
import { signIn, signInAdmin } from "../support/flows.ts";

/**
 * The phone side: the web app manifest that lets the platform be added to a phone's home screen (and
 * open on 个人中心), its icons, the layouts that link it; and the list filters that fold behind 筛选.
 */

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp({ demo: true });
});
afterAll(async () => t?.close());

type Manifest = {
  id: string;
  name: string;
  short_name: string;
  lang: string;
  start_url: string;
  scope: string;
  display: string;
  theme_color: string;
  background_color: string;
  icons: { src: string; sizes: string; type: string; purpose: string }[];
};

const CSS = readFileSync(fileURLToPath(new URL("../../static/app.css", import.meta.url)), "utf8");
/** The header's navigation bar colour, as the stylesheet defines it. */
const PRIMARY = CSS.match(/--primary:(#[0-9a-f]{6})/)?.[1];

async function manifest(): Promise<{ res: Response; body: Manifest }> {
  const res = await t.app.request("/manifest.webmanifest");
  const text = await res.text();
  return { res, body: JSON.parse(text) as Manifest };
}

const linkOf = (html: string, rel: string) => html.match(new RegExp(`<link rel="${rel}" href="([^"]+)"`))?.[1];
const themeOf = (html: string) => html.match(/<meta name="theme-color" content="([^"]+)">/)?.[1];

describe("web app manifest", () => {
  it("is served as application/manifest+json with the platform's names, zh-CN, standalone, opening on /me", async () => {
    const { res, body } = await manifest();
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/manifest\+json\b/);
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=3600");
    expect(body).toMatchObject({
      id: "/",
      name: "广西制造业企业培优育强服务券管理平台",
      short_name: "服务券平台",
      lang: "zh-CN",
      start_url: "/me",
      scope: "/",
      display: "standalone",
    });
    // A launcher shows at most about 12 characters under an icon.
    expect(body.short_name.length).toBeLessThanOrEqual(12);
    expect(PRIMARY).toBe("#0b5cad");
    expect(body.theme_color).toBe(PRIMARY);
    expect(body.background_color).toMatch(/^#[0-9a-f]{6}$/);
  });

  it("names SVG icons (sizes any) for any and maskable use, each served as image/svg+xml", async () => {
    const { body } = await manifest();
    expect(body.icons.map((i) => i.purpose).sort()).toEqual(["any", "maskable"]);
    for (const icon of body.icons) {
      expect(icon.sizes).toBe("any");
      expect(icon.type).toBe("image/svg+xml");
      expect(icon.src).toMatch(/^\/static\/[a-z-]+\.[0-9a-f]{12}\.svg$/);
      const res = await t.app.request(icon.src);
      expect(res.status, icon.src).toBe(200);
      expect(res.headers.get("Content-Type"), icon.src).toBe("image/svg+xml");
      const svg = await res.text();
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 32 32">/);
    }
    // The maskable icon fills its square (no rounded corners to crop into): the launcher draws the shape.
    const maskable = await (await t.app.request(body.icons.find((i) => i.purpose === "maskable")!.src)).text();
    expect(maskable).toMatch(/^<svg[^>]*><rect width="32" height="32" fill="#0b5cad"\/>/);
  });

  it("the start page is 个人中心: it asks a signed-out visitor to log in, and opens for a signed-in one", async () => {
    const { body } = await manifest();
    const anon = new Browser(t);
    const res = await anon.get(body.start_url);
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toMatch(/^\/login/);
    const ent = await signIn(t, "13800000001");
    expect((await ent.get(body.start_url)).status).toBe(200);
    expect(ent.lastHtml).toContain("<h1>个人中心</h1>");
  });

  it("is linked, with the theme colour, from the pages of the base layout; the 管理端 has the colour but no manifest", async () => {
    const { body } = await manifest();
    const anon = new Browser(t);
    const ent = await signIn(t, "13800000001");
    for (const [b, path, status] of [
      [anon, "/", 200],
      [anon, "/login", 200],
      [anon, "/services/general", 200],
      [anon, "/demands", 200],
      [anon, "/no-such-page", 404],
      [ent, "/me", 200],
      [ent, "/me/vouchers", 200],
      [ent, "/me/orders", 200],
    ] as const) {
      expect((await b.get(path)).status, path).toBe(status);
      expect(linkOf(b.lastHtml, "manifest"), path).toBe("/manifest.webmanifest");
      expect(themeOf(b.lastHtml), path).toBe(body.theme_color);
    }
    const admin = await signInAdmin(t, "operator");
    expect((await admin.get("/admin")).status).toBe(200);
    expect(themeOf(admin.lastHtml)).toBe(body.theme_color);
    expect(linkOf(admin.lastHtml, "manifest")).toBeUndefined();
  });

  it("is allowed by the Content-Security-Policy (manifest-src 'self')", async () => {
    const res = await t.app.request("/");
    expect(res.headers.get("Content-Security-Policy")).toContain("manifest-src 'self'");
  });
});

describe("筛选 on the list pages", () => {
  /** The filter block's opening tag, or undefined when the page has none. */
  const fold = (html: string) => html.match(/<details class="filters-fold card"( open)?>\s*<summary>筛选<\/summary>/);

  it.each([
    ["/services", "/services?category=testing"],
    ["/services/general", "/services/general?sort=price_asc"],
    ["/services/special", "/services/special?q=%E6%A3%80%E6%B5%8B"],
    ["/demands", `/demands?city=${CITIES[1]!.code}`],
  ])("%s folds its filters behind 筛选; with a filter in use (%s) it starts open", async (plain, filtered) => {
    const b = new Browser(t);
    expect((await b.get(plain)).status).toBe(200);
    const closed = fold(b.lastHtml);
    expect(closed, plain).not.toBeNull();
    expect(closed![1]).toBeUndefined();
    expect((await b.get(filtered)).status).toBe(200);
    expect(fold(b.lastHtml)?.[1], filtered).toBe(" open");
    // The page number alone is not a filter.
    expect((await b.get(`${plain}?page=1`)).status).toBe(200);
    expect(fold(b.lastHtml)?.[1]).toBeUndefined();
  });

  it("a voucher's list (去使用) starts folded: the voucher filter is said above the results, not in the form", async () => {
    const ent = await signIn(t, "13800000001");
    expect((await ent.get("/me/vouchers")).status).toBe(200);
    const use = ent.lastHtml.match(/href="(\/services\/general\?voucher=[0-9a-f-]{36})">去使用</)?.[1];
    expect(use).toBeTruthy();
    const res = await ent.visit(use!);
    expect(res.status).toBe(200);
    expect(ent.lastHtml).toContain("按服务券筛选：");
    expect(fold(ent.lastHtml)?.[1]).toBeUndefined();
  });
});
