import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp } from "../support/app.ts";

/**
 * Page weight: what a first visit downloads (HTML + stylesheet + script + icons/images the page
 * references), counted as gzip bytes on the wire, must stay under 50 KB per page.
 */

const BUDGET = 50 * 1024;
const ORIGIN = "http://localhost";
const HASHED_ASSET = /^\/static\/[a-z-]+\.[0-9a-f]{12}\.(css|js|svg)$/;

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp();
});
afterAll(async () => t?.close());

type Fetched = { url: string; res: Response; wire: number; body: string };

/** A first visit: no cookies; the browser always offers gzip. */
async function fetchGzip(path: string, cookie?: string): Promise<Fetched> {
  const headers: Record<string, string> = { "Accept-Encoding": "gzip, deflate, br" };
  if (cookie) headers.Cookie = cookie;
  const res = await t.app.request(`${ORIGIN}${path}`, { headers });
  const raw = new Uint8Array(await res.arrayBuffer());
  const body = res.headers.get("Content-Encoding") === "gzip" ? gunzipSync(raw).toString("utf8") : Buffer.from(raw).toString("utf8");
  return { url: path, res, wire: raw.byteLength, body };
}

/** Every same-origin subresource a browser loads for this HTML: stylesheets, scripts, icons, images. */
function subresources(html: string): string[] {
  const urls = new Set<string>();
  for (const tag of html.match(/<(link|script|img)\b[^>]*>/gi) ?? []) {
    const isLink = /^<link/i.test(tag);
    if (isLink && !/\brel="(stylesheet|icon|preload|modulepreload)"/i.test(tag)) continue;
    const url = tag.match(/\b(?:href|src)="([^"]+)"/i)?.[1];
    if (url && url.startsWith("/") && !url.startsWith("//")) urls.add(url);
  }
  return [...urls];
}

async function weigh(path: string) {
  const page = await fetchGzip(path);
  expect(page.res.status).toBe(200);
  const cookie = page.res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const parts = [{ url: path, wire: page.wire, type: page.res.headers.get("Content-Type") ?? "" }];
  for (const url of subresources(page.body)) {
    const r = await fetchGzip(url, cookie);
    expect(r.res.status, url).toBe(200);
    parts.push({ url, wire: r.wire, type: r.res.headers.get("Content-Type") ?? "" });
  }
  return { page, parts, total: parts.reduce((n, p) => n + p.wire, 0) };
}

describe("page weight of a first visit (gzip bytes on the wire)", () => {
  it.each(["/", "/register"])("%s stays under 50 KB with its stylesheet, script and images", async (path) => {
    const { page, parts, total } = await weigh(path);
    // What the page is: the visible heading, one stylesheet, one script.
    expect(page.body).toMatch(path === "/" ? /<h1>广西制造业企业培优育强服务券管理平台<\/h1>/ : /<h1>注册<\/h1>/);
    expect(parts.filter((p) => p.type.startsWith("text/css"))).toHaveLength(1);
    expect(parts.filter((p) => p.type.startsWith("text/javascript"))).toHaveLength(1);
    console.info(`page weight ${path}: ${total} bytes (${parts.map((p) => `${p.url} ${p.wire}`).join(", ")})`);
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(BUDGET);
  });
});

describe("compression and caching", () => {
  it("serves HTML gzip-compressed when the client accepts it, and plain when it does not", async () => {
    const gz = await fetchGzip("/register");
    expect(gz.res.headers.get("Content-Encoding")).toBe("gzip");
    expect(gz.res.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(gz.body).toContain("立即注册");

    const plain = await t.app.request(`${ORIGIN}/register`, { headers: { "Accept-Encoding": "identity" } });
    expect(plain.headers.get("Content-Encoding")).toBeNull();
    const text = await plain.text();
    expect(text).toContain("立即注册");
    expect(gz.wire).toBeLessThan(Buffer.byteLength(text) / 2);
  });

  it("serves stylesheet, script and icon under content-hashed names, cached for a year, compressed", async () => {
    const home = await fetchGzip("/");
    const assets = subresources(home.body).filter((u) => u.startsWith("/static/"));
    expect(assets.map((u) => u.replace(/\.[0-9a-f]{12}\./, ".").replace(/^\/static\//, "")).sort()).toEqual(["app.css", "htmx.js", "logo.svg"]);
    for (const url of assets) {
      expect(url).toMatch(HASHED_ASSET);
      const r = await fetchGzip(url);
      expect(r.res.status, url).toBe(200);
      expect(r.res.headers.get("Cache-Control"), url).toBe("public, max-age=31536000, immutable");
      expect(r.res.headers.get("Content-Encoding"), url).toBe("gzip");
      expect(r.res.headers.get("Vary") ?? "", url).toMatch(/Accept-Encoding/i);
      expect(r.body.length, url).toBeGreaterThan(0);

      const plain = await t.app.request(`${ORIGIN}${url}`);
      expect(plain.headers.get("Content-Encoding"), url).toBeNull();
      expect(await plain.text(), url).toBe(r.body);
    }
  });

  it("names change with content: an unknown hash is not served", async () => {
    const home = await fetchGzip("/");
    const css = subresources(home.body).find((u) => u.includes("/static/app."))!;
    const wrong = css.replace(/\.[0-9a-f]{12}\./, ".000000000000.");
    const res = await t.app.request(`${ORIGIN}${wrong}`);
    expect(res.status).toBe(404);
    expect(res.headers.get("Cache-Control") ?? "").not.toContain("immutable");
  });
});
