import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp } from "../support/app.ts";
import type { Browser } from "../support/client.ts";
import { signIn, signInAdmin } from "../support/flows.ts";

/**
 * Page weight: what a first visit downloads (HTML + stylesheet + scripts + icons/images the page
 * references), counted as gzip bytes on the wire, must stay under 50 KB per page. Demo data, so the
 * lists and detail pages have rows like in use.
 */

const BUDGET = 50 * 1024;
const ORIGIN = "http://localhost";
const HASHED_ASSET = /^\/static\/[a-z-]+\.[0-9a-f]{12}\.(css|js|svg)$/;

let t: TestApp;
beforeAll(async () => {
  // With the demo's year of history, so 数据看板 has every chart full.
  t = await makeTestApp({ demo: true, env: { DEMO_HISTORY: "true" } });
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

/** Every same-origin subresource a browser loads for this HTML: stylesheets, scripts, icons, images, the web app manifest. */
function subresources(html: string): string[] {
  const urls = new Set<string>();
  for (const tag of html.match(/<(link|script|img)\b[^>]*>/gi) ?? []) {
    const isLink = /^<link/i.test(tag);
    if (isLink && !/\brel="(stylesheet|icon|preload|modulepreload|manifest)"/i.test(tag)) continue;
    const url = tag.match(/\b(?:href|src)="([^"]+)"/i)?.[1];
    if (url?.startsWith("/") && !url.startsWith("//")) urls.add(url);
  }
  return [...urls];
}

/** The session cookie of a signed-in test client, for pages behind a login. */
const cookieOf = (b: Browser) => [...b.cookies].map(([k, v]) => `${k}=${v}`).join("; ");

async function weigh(path: string, session?: string) {
  const page = await fetchGzip(path, session);
  expect(page.res.status, path).toBe(200);
  const cookie = [session, ...page.res.headers.getSetCookie().map((c) => c.split(";")[0])].filter(Boolean).join("; ");
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
    // What the page is: the visible heading, one stylesheet, two small scripts (htmx and the dialog helper).
    expect(page.body).toMatch(path === "/" ? /<h1>广西制造业企业培优育强服务券管理平台<\/h1>/ : /<h1>注册<\/h1>/);
    expect(parts.filter((p) => p.type.startsWith("text/css"))).toHaveLength(1);
    expect(parts.filter((p) => p.type.startsWith("text/javascript")).map((p) => assetName(p.url))).toEqual(["htmx.js", "dialog.js"]);
    // The web app manifest a phone's browser reads for 添加到主屏幕 counts too.
    expect(parts.filter((p) => p.type.startsWith("application/manifest+json")).map((p) => p.url)).toEqual(["/manifest.webmanifest"]);
    console.info(`page weight ${path}: ${total} bytes (${parts.map((p) => `${p.url} ${p.wire}`).join(", ")})`);
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(BUDGET);
  });
});

const assetName = (url: string) => url.replace(/\.[0-9a-f]{12}\./, ".").replace(/^\/static\//, "");

/** The first demo row's id (demands, articles, messages) for the detail pages. */
async function idOf(sql: string): Promise<string> {
  const [row] = await t.deps.db.query<{ id: string }>(sql);
  expect(row, sql).toBeTruthy();
  return row!.id;
}

describe("page weight of the 企业需求, 我要留言 and 政策资讯 pages (public, 个人中心, 服务机构, 管理端)", () => {
  let sessions: Record<"enterprise" | "provider" | "reviewer" | "operator", string>;
  let ids: Record<"demand" | "pendingDemand" | "article" | "message" | "product" | "order" | "review" | "drafting" | "signing", string>;
  beforeAll(async () => {
    const [enterprise, provider, reviewer, operator] = await Promise.all([
      signIn(t, "13800000001"),
      signIn(t, "13800000007"),
      signInAdmin(t, "reviewer"),
      signInAdmin(t, "operator"),
    ]);
    sessions = { enterprise: cookieOf(enterprise), provider: cookieOf(provider), reviewer: cookieOf(reviewer), operator: cookieOf(operator) };
    ids = {
      demand: await idOf("select id from demands where status = 'published' order by published_at limit 1"),
      pendingDemand: await idOf("select id from demands where status = 'pending' limit 1"),
      article: await idOf("select id from articles where status = 'published' order by published_at desc limit 1"),
      message: await idOf(
        "select m.id from messages m join accounts a on a.id = m.account_id where a.phone = '13800000001' order by m.created_at limit 1",
      ),
      product: await idOf("select product_id as id from product_listings where title = '金属材料力学性能检测'"),
      order: "",
      review: "",
      drafting: "",
      signing: await idOf("select id from orders where status = 'contract_signing' and submission_key not like 'history:%' limit 1"),
    };
    // One order of demo enterprise 1 (待接单), made through the service as 提交订单 would.
    const account = await idOf("select id from accounts where phone = '13800000001'");
    const form = await t.deps.orders.orderPage(account, ids.product);
    if (!form.ok) throw new Error(JSON.stringify(form.errors));
    const made = await t.deps.orders.submit(account, {
      productId: ids.product,
      useVoucher: true,
      voucherAccountId: form.value.accounts[0]!.accountId,
      submissionKey: form.value.submissionKey,
    });
    if (!made.ok) throw new Error(JSON.stringify(made.errors));
    ids.order = made.value.order.id;
    // Two orders of enterprise 1 with provider 7 (the provider session): one accepted (制定合同's form),
    // one with a submitted contract (the enterprise's contract and 退回修改).
    const pro = await idOf("select id from accounts where phone = '13800000007'");
    const diagnosis = await idOf("select product_id as id from product_listings where title = '智能制造能力成熟度诊断服务'");
    const accepted = async () => {
      const page = await t.deps.orders.orderPage(account, diagnosis);
      if (!page.ok) throw new Error(JSON.stringify(page.errors));
      const placed = await t.deps.orders.submit(account, { productId: diagnosis, useVoucher: false, submissionKey: page.value.submissionKey });
      if (!placed.ok) throw new Error(JSON.stringify(placed.errors));
      if (!(await t.deps.orders.accept(pro, placed.value.order.id, undefined)).ok) throw new Error("接单 failed");
      return placed.value.order.id;
    };
    ids.drafting = await accepted();
    ids.review = await accepted();
    const draft = await t.deps.orders.providerContract(pro, ids.review);
    if (!draft.ok) throw new Error(JSON.stringify(draft.errors));
    const { partyA: _a, partyB: _b, ...terms } = draft.value.content;
    const saved = await t.deps.orders.saveContract(pro, ids.review, { ...terms, serviceFrom: "2026-12-10", serviceTo: "2027-03-31" });
    if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
    if (!(await t.deps.orders.submitContract(pro, ids.review, 1, undefined)).ok) throw new Error("提交企业确认 failed");
  });

  it.each([
    ["anonymous", "/demands", "企业需求"],
    ["anonymous", "/demands/:demand", null],
    ["anonymous", "/news", "政策资讯"],
    ["anonymous", "/news/:article", null],
    ["anonymous", "/messages/new", "我要留言"],
    ["anonymous", "/messages/lookup", "查询留言回复"],
    ["anonymous", "/verify", "合同验真"],
    ["enterprise", "/me/demands", "我的需求管理"],
    ["enterprise", "/me/demands/new", "发布需求"],
    ["enterprise", "/me/demands/:demand", null],
    ["enterprise", "/me/messages", "我的留言"],
    ["enterprise", "/me/messages/:message", null],
    ["enterprise", "/me/quota", "服务券配额申请"],
    ["enterprise", "/me/vouchers", "我的服务券"],
    ["enterprise", "/me/orders/new?product=:product", "订单详情"],
    ["enterprise", "/me/orders", "我购买的服务"],
    ["enterprise", "/me/orders/:order", null],
    ["enterprise", "/me/orders/:order/cancel", "取消订单"],
    ["enterprise", "/me/orders/:review/contract", "合同"],
    ["enterprise", "/me/orders/:review/contract/return", "退回修改"],
    ["enterprise", "/me/seal", "我的签章"],
    ["provider", "/provider/seal", "我的签章"],
    ["provider", "/provider/orders/:drafting/contract", "合同"],
    ["provider", "/provider/orders/:drafting/contract/edit", "制定合同"],
    ["provider", "/provider/orders/:signing/contract", "合同"],
    ["provider", "/demands/:demand", null],
    ["provider", "/provider/responses", "需求响应"],
    ["reviewer", "/admin/demands", "企业需求审核"],
    ["reviewer", "/admin/demands/:pendingDemand", null],
    ["operator", "/admin/messages", "留言管理"],
    ["operator", "/admin/messages/:message", null],
    ["operator", "/admin/articles", "政策资讯管理"],
    ["operator", "/admin/articles/new", "新建文章"],
    ["operator", "/admin/articles/:article", "编辑文章"],
    ["operator", "/admin/orders", "订单管理"],
    ["operator", "/admin/orders/:order", null],
    ["operator", "/admin/orders/:order/close", "关闭订单"],
    ["operator", "/admin/dashboard", "数据看板"],
    ["operator", "/admin/dashboard/usage", "服务券使用率"],
  ] as const)("%s %s stays under 50 KB", async (who, pattern, heading) => {
    const path = pattern.replace(/:(\w+)/, (_, k: keyof typeof ids) => ids[k]);
    const { page, parts, total } = await weigh(path, who === "anonymous" ? undefined : sessions[who]);
    expect(page.body).toContain('<html lang="zh-CN">');
    expect(page.body).toMatch(heading ? new RegExp(`<h1>${heading}</h1>`) : /<h1>[^<]+<\/h1>/);
    expect(parts.filter((p) => p.type.startsWith("text/css"))).toHaveLength(1);
    const scripts = parts.filter((p) => p.type.startsWith("text/javascript")).map((p) => assetName(p.url));
    expect(scripts).toEqual(path.startsWith("/admin/") ? ["htmx.js"] : ["htmx.js", "dialog.js"]);
    console.info(`page weight ${pattern}: ${total} bytes (${parts.map((p) => `${p.url} ${p.wire}`).join(", ")})`);
    expect(total).toBeLessThan(BUDGET);
  });

  it("the dialog helper script stays tiny (under 1 KB gzip)", async () => {
    const home = await fetchGzip("/news");
    const url = subresources(home.body).find((u) => assetName(u) === "dialog.js")!;
    const r = await fetchGzip(url);
    expect(r.res.status).toBe(200);
    expect(r.wire).toBeGreaterThan(0);
    expect(r.wire).toBeLessThan(1024);
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
    expect(assets.map(assetName).sort()).toEqual(["app.css", "dialog.js", "htmx.js", "logo.svg"]);
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
