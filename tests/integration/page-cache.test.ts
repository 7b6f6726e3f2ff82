import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp, testClock } from "../support/app.ts";
import { Browser } from "../support/client.ts";
import { signIn, signInAdmin } from "../support/flows.ts";
import { DATA_KINDS } from "../../src/modules/versions/service.ts";

/**
 * The anonymous page cache (docs/page-cache.md): public pages rendered once per version of their
 * data and served to every visitor without a session, with ETag / 304; never a signed-in view.
 */
const clock = testClock(new Date("2026-11-27T02:00:00Z"));
let t: TestApp;
let productId: string;
let providerId: string;
beforeAll(async () => {
  t = await makeTestApp({ demo: true, clock });
  const [p] = await t.deps.db.query<{ product_id: string; provider_id: string }>(
    "select product_id, provider_id from product_listings where title = '金属材料力学性能检测'",
  );
  productId = p!.product_id;
  providerId = p!.provider_id;
});
afterAll(async () => t?.close());

const PUBLIC_PAGES = () => [
  "/",
  "/services",
  "/services/general",
  "/services/special?q=检测",
  `/products/${productId}`,
  `/providers/${providerId}`,
  "/demands",
  "/news",
  "/settlements/publicity",
];
const versions = async () =>
  Object.fromEntries(
    (await t.deps.db.query<{ kind: string; version: string }>("select kind, version from data_versions")).map((r) => [r.kind, Number(r.version)]),
  );
/** A statement that changes nothing but is a write of the table (statement triggers fire on it). */
const noop = async (table: string) => {
  const [col] = await t.deps.db.query<{ column_name: string }>(
    "select column_name from information_schema.columns where table_schema = current_schema() and table_name = $1 and is_identity = 'NO' and is_generated = 'NEVER' order by ordinal_position limit 1",
    [table],
  );
  return `update ${table} set ${col!.column_name} = ${col!.column_name} where false`;
};
const tokenIn = (html: string) => html.match(/name="_csrf" value="([^"]+)"/)?.[1];

describe("anonymous page cache", () => {
  it("serves every public page with an ETag and public, no-cache; the second view is the same bytes", async () => {
    for (const path of PUBLIC_PAGES()) {
      const b = new Browser(t);
      const first = await b.get(path);
      expect(first.status, path).toBe(200);
      const etag = first.headers.get("ETag");
      expect(etag, path).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
      expect(first.headers.get("Cache-Control"), path).toBe("public, no-cache");
      expect(first.headers.get("Vary"), path).toContain("Cookie");
      expect(first.headers.get("Set-Cookie"), path).toBeNull();
      const html = b.lastHtml;
      expect(html, path).not.toContain('name="_csrf"');
      const again = await new Browser(t).get(path);
      expect(again.headers.get("ETag"), path).toBe(etag);
      expect(await again.text(), path).toBe(html);
      // The early answer of a held render carries every header the full path gave (the request id aside).
      const headers = (r: Response) => [...r.headers].filter(([k]) => k !== "x-request-id");
      expect(headers(again), path).toEqual(headers(first));
      expect(first.headers.get("Content-Security-Policy"), path).toContain("default-src 'self'");
    }
  });

  it("answers If-None-Match with 304 and no body, and a changed page with 200 and a new ETag", async () => {
    const b = new Browser(t);
    const first = await b.get("/news");
    const etag = first.headers.get("ETag")!;
    const notModified = await b.request("/news", { headers: { "If-None-Match": etag } });
    expect(notModified.status).toBe(304);
    expect(await notModified.text()).toBe("");
    expect(notModified.headers.get("Content-Length") ?? "0").toBe("0");
    expect(notModified.headers.get("ETag")).toBe(etag);
    expect(notModified.headers.get("Cache-Control")).toBe("public, no-cache");
    // A weak form of the same tag, and a list of tags, match too.
    expect((await b.request("/news", { headers: { "If-None-Match": `"x", W/${etag}` } })).status).toBe(304);
    expect((await b.request("/news", { headers: { "If-None-Match": '"something-else"' } })).status).toBe(200);
    // The data changes: the old tag no longer matches.
    await t.deps.db.query("update articles set title = title || '（更新）' where status = 'published'");
    const changed = await b.request("/news", { headers: { "If-None-Match": etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("ETag")).not.toBe(etag);
    expect(await changed.text()).toContain("（更新）");
  });

  it("sends the stored gzip to a client that accepts it, the same page once unpacked", async () => {
    const plain = await new Browser(t).get("/demands");
    const html = await plain.text();
    const zipped = await new Browser(t).request("/demands", { headers: { "Accept-Encoding": "gzip, br" } });
    expect(zipped.headers.get("Content-Encoding")).toBe("gzip");
    expect(zipped.headers.get("ETag")).toBe(plain.headers.get("ETag"));
    const { gunzipSync } = await import("node:zlib");
    expect(gunzipSync(Buffer.from(await zipped.arrayBuffer())).toString("utf8")).toBe(html);
  });

  it("never serves a signed-in view from the cache, nor keeps one for anonymous visitors", async () => {
    const product = `/products/${productId}`;
    // Warm the cache as an anonymous visitor.
    const anon = new Browser(t);
    await anon.get(product);
    const anonymousHtml = anon.lastHtml;
    expect(anonymousHtml).toContain("登录</a>后可查看贵企业的补贴券抵扣金额");

    const withVoucher = await signIn(t, "13800000001");
    const withoutVoucher = await signIn(t, "13800000003");
    const provider = await signIn(t, "13800000007");
    const seen: string[] = [];
    for (const b of [withVoucher, withoutVoucher, provider]) {
      for (const path of [product, "/", "/demands"]) {
        const res = await b.get(path);
        expect(res.status, path).toBe(200);
        expect(res.headers.get("ETag"), path).toBeNull();
        expect(res.headers.get("Cache-Control"), path).toBe("private, no-store");
        // The session's own token, in its logout form: never another visitor's.
        expect(b.lastHtml, path).toContain("退出登录");
        const token = tokenIn(b.lastHtml);
        expect(token, path).toBeTruthy();
        expect(b.lastHtml).toContain('href="/me">个人中心');
        if (path === product) seen.push(b.lastHtml);
      }
    }
    const tokens = seen.map((h) => tokenIn(h));
    expect(new Set(tokens).size).toBe(3);
    // Each enterprise sees its own voucher box.
    expect(seen[0]).toContain("补贴券抵扣金额");
    expect(seen[1]).toContain("贵企业暂无可抵扣此产品的服务券");
    expect(seen[1]).not.toContain("补贴券抵扣金额");
    // Anonymous visitors afterwards still get the anonymous page: no name, no token, no voucher box of anyone's.
    for (const path of [product, "/", "/demands"]) {
      const b = new Browser(t);
      await b.get(path);
      expect(b.lastHtml, path).not.toContain("个人中心");
      expect(b.lastHtml, path).not.toContain('name="_csrf"');
      for (const token of tokens) expect(b.lastHtml).not.toContain(token!);
    }
    const again = new Browser(t);
    await again.get(product);
    expect(again.lastHtml).toBe(anonymousHtml);
  });

  it("a visitor with a session who is not signed in (a flash after 退出登录) is not served from the cache", async () => {
    const b = await signIn(t, "13800000002");
    await b.get("/me");
    expect((await b.post("/logout", {})).status).toBe(303);
    const res = await b.get("/");
    expect(b.lastHtml).toContain("您已退出登录");
    expect(b.lastHtml).not.toContain("退出登录</button>");
    expect(res.headers.get("Cache-Control")).toBe("private, no-store");
    expect(res.headers.get("ETag")).toBeNull();
    // Nobody else gets that flash.
    const other = new Browser(t);
    await other.get("/");
    expect(other.lastHtml).not.toContain("您已退出登录");
  });

  it("staff signed in to the admin realm still see the public pages as anonymous visitors (no site session)", async () => {
    const admin = await signInAdmin(t, "reviewer");
    const res = await admin.get("/news");
    expect(res.headers.get("Cache-Control")).toBe("public, no-cache");
    expect(admin.lastHtml).not.toContain("退出登录");
  });

  it("keeps the htmx fragment and the full page apart", async () => {
    const full = await new Browser(t).get("/services/general");
    const fragment = await new Browser(t).request("/services/general", { headers: { "HX-Request": "true", "HX-Target": "results" } });
    const fullHtml = await full.text();
    const fragmentHtml = await fragment.text();
    expect(fullHtml).toContain("<html");
    // Whatever the route answers htmx, the cache gives each its own.
    const fullAgain = await new Browser(t).get("/services/general");
    expect(await fullAgain.text()).toBe(fullHtml);
    const fragmentAgain = await new Browser(t).request("/services/general", { headers: { "HX-Request": "true", "HX-Target": "results" } });
    expect(await fragmentAgain.text()).toBe(fragmentHtml);
  });

  it("renders again each minute (time-dependent texts), keeping the ETag when nothing changed", async () => {
    const first = await new Browser(t).get("/news");
    clock.advance(61_000);
    const later = await new Browser(t).get("/news");
    expect(later.headers.get("ETag")).toBe(first.headers.get("ETag"));
  });
});

describe("data versions", () => {
  /** Every table whose trigger bumps a kind (migration 0039). */
  const TABLES: Record<string, string> = {
    service_categories: "catalog",
    providers: "catalog",
    party_suspensions: "catalog",
    products: "products",
    product_revisions: "products",
    product_listings: "products",
    order_reviews: "reviews",
    voucher_programmes: "programmes",
    demands: "demands",
    demand_responses: "demands",
    articles: "content",
    article_attachments: "content",
    settlements: "settlement",
    settlement_orders: "settlement",
  };

  it("every kind has tables, and every write statement on them bumps the kind in its own transaction", async () => {
    expect(new Set(Object.values(TABLES))).toEqual(new Set(DATA_KINDS));
    for (const [table, kind] of Object.entries(TABLES)) {
      for (const statement of [await noop(table), `delete from ${table} where false`]) {
        const before = (await versions())[kind]!;
        await t.deps.db.query(statement);
        expect((await versions())[kind], `${statement} bumps ${kind}`).toBe(before + 1);
      }
      // A rolled-back change leaves the version as it was.
      const before = (await versions())[kind]!;
      await expect(
        t.deps.db.transaction(async (tx) => {
          await tx.query(`delete from ${table} where false`);
          throw new Error("rolled back");
        }),
      ).rejects.toThrow("rolled back");
      expect((await versions())[kind]).toBe(before);
    }
  });

  it("writes of orders, vouchers and payments bump no version (they must not queue on one row)", async () => {
    const before = await versions();
    for (const table of ["orders", "voucher_accounts", "quota_applications", "payments", "refunds", "enterprises", "accounts"]) {
      await t.deps.db.query(await noop(table));
    }
    expect(await versions()).toEqual(before);
  });

  // One real write per kind through its use case (or the same SQL a use case runs), seen on the page at once.
  it("catalog: a category taken out shows on the catalog page at once", async () => {
    const b = new Browser(t);
    await b.get("/services");
    const [cat] = await t.deps.db.query<{ code: string; name: string }>("select code, name from service_categories where active order by sort limit 1");
    expect(b.lastHtml).toContain(`value="${cat!.code}"`);
    const admin = (await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'admin'"))[0]!;
    const res = await t.deps.catalog.changeSettings({ id: admin.id, role: "super_admin" }, { action: "disable_category", code: cat!.code });
    expect(res.ok, JSON.stringify(res)).toBe(true);
    await b.get("/services");
    expect(b.lastHtml).not.toContain(`value="${cat!.code}"`);
    await t.deps.catalog.changeSettings({ id: admin.id, role: "super_admin" }, { action: "enable_category", code: cat!.code });
    await b.get("/services");
    expect(b.lastHtml).toContain(`value="${cat!.code}"`);
  });

  it("products: a product taken off the shelf leaves its page and the lists at once", async () => {
    const b = new Browser(t);
    const [p] = await t.deps.db.query<{ product_id: string; title: string }>(
      "select product_id, title from product_listings where title <> '金属材料力学性能检测' order by title limit 1",
    );
    expect((await b.get(`/products/${p!.product_id}`)).status).toBe(200);
    await b.get("/services");
    expect(b.lastHtml).toContain(p!.title);
    const provider = await signIn(t, "13800000007");
    await provider.get("/provider/products");
    const owner = (
      await t.deps.db.query<{ phone: string }>(
        "select a.phone from product_listings l join providers v on v.id = l.provider_id join enterprises e on e.id = v.enterprise_id join accounts a on a.id = e.account_id where l.product_id = $1",
        [p!.product_id],
      )
    )[0]!.phone;
    const seller = owner === "13800000007" ? provider : await signIn(t, owner);
    await seller.get("/provider/products");
    expect((await seller.post(`/provider/products/${p!.product_id}/delist`, {})).status).toBe(303);
    expect((await b.get(`/products/${p!.product_id}`)).status).toBe(404);
    await b.get("/services");
    expect(b.lastHtml).not.toContain(p!.title);
    await seller.get("/provider/products");
    await seller.post(`/provider/products/${p!.product_id}/relist`, {});
  });

  it("programmes: a 券种 renamed shows on the home page at once", async () => {
    const b = new Browser(t);
    await b.get("/");
    const [prog] = await t.deps.db.query<{ id: string; name: string }>(
      "select id, name from voucher_programmes where status = 'open' order by name limit 1",
    );
    expect(b.lastHtml).toContain(prog!.name);
    await t.deps.db.query("update voucher_programmes set name = $2 where id = $1", [prog!.id, `${prog!.name}（新）`]);
    await b.get("/");
    expect(b.lastHtml).toContain(`${prog!.name}（新）`);
    await t.deps.db.query("update voucher_programmes set name = $2 where id = $1", [prog!.id, prog!.name]);
  });

  it("content: an article taken offline leaves 政策资讯 at once", async () => {
    const b = new Browser(t);
    await b.get("/news");
    const [a] = await t.deps.db.query<{ id: string; title: string }>(
      "select id, title from articles where status = 'published' order by published_at desc limit 1",
    );
    expect(b.lastHtml).toContain(a!.title);
    const admin = await signInAdmin(t, "admin");
    await admin.get(`/admin/articles/${a!.id}`);
    expect((await admin.post(`/admin/articles/${a!.id}/offline`, {})).status).toBe(303);
    await b.get("/news");
    expect(b.lastHtml).not.toContain(a!.title);
    expect((await b.get(`/news/${a!.id}`)).status).toBe(404);
  });

  it("demands, reviews and settlement: a change of their tables shows on their pages at once", async () => {
    const b = new Browser(t);
    await b.get("/demands");
    const [d] = await t.deps.db.query<{ id: string; title: string }>("select id, title from demands where status = 'published' order by title limit 1");
    expect(b.lastHtml).toContain(d!.title);
    await t.deps.db.query("update demands set title = $2 where id = $1", [d!.id, `${d!.title}（已调整）`]);
    await b.get("/demands");
    expect(b.lastHtml).toContain(`${d!.title}（已调整）`);
    await b.get(`/demands/${d!.id}`);
    expect(b.lastHtml).toContain(`${d!.title}（已调整）`);

    const etag = (await b.get(`/products/${productId}`)).headers.get("ETag");
    await t.deps.db.query(await noop("order_reviews"));
    // A new version renders again; the same bytes keep the same ETag (nothing visible changed).
    const again = await b.get(`/products/${productId}`);
    expect(again.headers.get("ETag")).toBe(etag);

    const before = (await versions()).settlement!;
    await b.get("/settlements/publicity");
    await t.deps.db.query(await noop("settlements"));
    expect((await versions()).settlement).toBe(before + 1);
    expect((await b.get("/settlements/publicity")).status).toBe(200);
  });
});
