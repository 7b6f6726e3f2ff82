import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/adapters/migrate.ts";
import { pgProducts } from "../../src/modules/products/pg.ts";
import type { Db } from "../../src/ports/db.ts";
import { seedScale } from "../../scripts/lib/seed-scale.ts";
import { Browser, SAMPLE_PDF } from "../support/client.ts";
import { freshDb } from "../support/db.ts";
import { pathOf } from "../support/esign.ts";
import { signIn, signInAdmin } from "../support/flows.ts";
import { accountOf, placeOrder, statusOf, versionOn } from "../support/orders.ts";
import { mockPayOf, signedOrder } from "../support/payments.ts";
import { type SigningWorld, signingWorld } from "../support/signing.ts";

/**
 * 评价 after 已完成 (issue 13, item 6): 服务评价 on the provider's public page, the provider's one
 * reply (回复评价), an operator's 隐藏评价 (audited; the scores still count), and the catalog's 评分
 * sort, with its query plan at scale.
 */
let w: SigningWorld;
beforeAll(async () => {
  w = await signingWorld();
}, 120_000);
afterAll(async () => w?.t.close());

const mt = (html: string) => html.match(/name="_mt" value="([^"]+)"/)![1]!;
const REPORT = { name: "检测报告.pdf", bytes: SAMPLE_PDF, type: "application/pdf" };
const reviewRow = async (orderId: string) =>
  (
    await w.t.deps.db.query<{ reply: string | null; hidden_at: Date | null; hidden_reason: string | null }>(
      "select reply, hidden_at, hidden_reason from order_reviews where order_id = $1",
      [orderId],
    )
  )[0]!;
const audits = async (orderId: string) =>
  (await w.t.deps.db.query<{ n: number }>("select count(*)::int as n from audit_events where entity_id = $1 and action = 'review_hidden'", [orderId]))[0]!
    .n;

/** The enterprise pays what is due through the cashier (支付成功) and the notification arrives. */
async function pay(b: Browser, orderId: string, kind: "deposit" | "balance") {
  await b.get(`/me/orders/${orderId}`);
  const res = await b.post(`/me/orders/${orderId}/pay`, { kind });
  expect(res.status).toBe(303);
  const cashier = pathOf(res.headers.get("Location")!);
  await b.get(cashier);
  expect((await b.post(cashier, { _mt: mt(b.lastHtml), outcome: "paid" }, { csrf: null })).status).toBe(303);
  await mockPayOf(w).deliverDue();
}

/** The text of the 服务评价 section of a page. */
const ratingsOf = (html: string) => html.match(/<section class="card" aria-labelledby="ratings-title">([\s\S]*?)<\/section>/)?.[1] ?? "";

describe("评价: the provider's page, 回复评价 and 隐藏评价", () => {
  let id: string;
  let ent: Browser;
  let pro: Browser;
  let providerId: string;
  const COMMENT = "检测报告数据完整，出具及时，工作人员态度很好。";
  const REPLY = "感谢贵企业的认可，我们将继续做好检测服务。";

  beforeAll(async () => {
    // The whole path through the pages: signed, 定金 = 企业自付 (nothing left after it), 开始服务, 完成服务 -> 待评价.
    id = await signedOrder(w, { depositFen: 560_000 });
    ent = await signIn(w.t, "13800000001");
    await pay(ent, id, "deposit");
    pro = await signIn(w.t, "13800000008");
    await pro.get(`/provider/orders/${id}`);
    expect((await pro.post(`/provider/orders/${id}/start`, { version: versionOn(pro.lastHtml) })).status).toBe(303);
    await pro.get(`/provider/orders/${id}/complete`);
    const done = await pro.postMultipart(
      `/provider/orders/${id}/complete`,
      { version: versionOn(pro.lastHtml), summary: "已完成检测" },
      { files: REPORT },
    );
    expect(done.status).toBe(303);
    expect(await statusOf(w.t, id)).toBe("awaiting_review");
    providerId = (await w.t.deps.db.query<{ provider_id: string }>("select provider_id from orders where id = $1", [id]))[0]!.provider_id;
  }, 120_000);

  it("提交评价 -> 已完成 on both public pages; 回复评价 once; 隐藏评价 by an operator (JavaScript off: 303 then GET)", async () => {
    // ---- 提交评价, then 服务评价 on the product's and the provider's pages ----
    await ent.get(`/me/orders/${id}/review`);
    const reviewed = await ent.post(`/me/orders/${id}/review`, {
      quality: "5",
      timeliness: "4",
      attitude: "5",
      comment: COMMENT,
      version: versionOn(ent.lastHtml),
    });
    expect(reviewed.status).toBe(303);
    await ent.get(reviewed.headers.get("Location")!);
    expect(ent.lastHtml).toContain("评价已提交，订单已完成");
    expect(ent.lastHtml).toContain(COMMENT);
    expect(await statusOf(w.t, id)).toBe("completed");

    const visitor = new Browser(w.t);
    await visitor.get(`/products/${w.product}`);
    const product = ratingsOf(visitor.lastHtml);
    expect(product).toContain("<strong>4.7</strong> 分（1条评价）");
    expect(product).toContain("服务质量 5.0 · 服务时效 4.0 · 服务态度 5.0");
    expect(product).toContain(COMMENT);

    await visitor.get(`/providers/${providerId}`);
    expect(visitor.lastStatus).toBe(200);
    const provider = ratingsOf(visitor.lastHtml);
    expect(provider).toContain("服务评价");
    expect(provider).toContain("<strong>4.7</strong> 分（1条评价）");
    expect(provider).toContain("服务质量 5.0 · 服务时效 4.0 · 服务态度 5.0");
    expect(provider).toContain(COMMENT);
    // Each comment names the product it is about (the title as ordered), linked.
    expect(provider).toContain(`<a href="/products/${w.product}">金属材料力学性能检测</a>`);

    // Another provider's page has none of it.
    const other = (await w.t.deps.db.query<{ id: string }>("select id from providers where id <> $1 limit 1", [providerId]))[0]!.id;
    await visitor.get(`/providers/${other}`);
    expect(ratingsOf(visitor.lastHtml)).toContain("暂无评价");
    expect(visitor.lastHtml).not.toContain(COMMENT);

    // ---- 回复评价: bad input 422, another provider 404, the enterprise 403, then once (a second is 409) ----
    await pro.get(`/provider/orders/${id}`);
    expect(pro.lastHtml).toContain(COMMENT);
    expect(pro.lastHtml).toMatch(/<label for="f-reply">回复内容<\/label>/);
    expect(pro.lastHtml).toContain(">提交回复</button>");
    const path = `/provider/orders/${id}/review-reply`;

    for (const [reply, message] of [
      ["", "请填写回复内容"],
      ["   ", "请填写回复内容"],
      ["谢", "回复内容至少2个字"],
      ["谢".repeat(501), "回复内容不能超过500个字"],
    ] as const) {
      const bad = await pro.post(path, { reply });
      expect(bad.status, reply.slice(0, 10)).toBe(422);
      expect(pro.lastHtml).toContain(message);
    }
    expect((await reviewRow(id)).reply).toBeNull();

    const stranger = await signIn(w.t, "13800000007");
    await stranger.get("/provider/orders");
    expect((await stranger.post(path, { reply: REPLY })).status).toBe(404);
    await ent.get(`/me/orders/${id}`);
    expect((await ent.post(path, { reply: REPLY })).status).toBe(403);
    expect((await reviewRow(id)).reply).toBeNull();

    // Kept trimmed.
    await pro.get(`/provider/orders/${id}`);
    const replied = await pro.post(path, { reply: `  ${REPLY}  ` });
    expect(replied.status).toBe(303);
    await pro.get(replied.headers.get("Location")!);
    expect(pro.lastHtml).toContain("回复已提交");
    expect(pro.lastHtml).toContain(`服务机构回复：<span class="prewrap">${REPLY}</span>`);
    expect(pro.lastHtml).not.toContain(">提交回复</button>");
    expect((await reviewRow(id)).reply).toBe(REPLY);

    const again = await pro.post(path, { reply: "再次回复的内容" });
    expect(again.status).toBe(409);
    expect(pro.lastHtml).toContain("已回复过该评价，每条评价只能回复一次");
    expect((await reviewRow(id)).reply).toBe(REPLY);
    // Straight through the use case as well (a second tab): refused, unchanged.
    const twice = await w.t.deps.orders.replyToReview(w.pro, id, "第二个标签页的回复");
    expect(twice.ok).toBe(false);
    expect((await reviewRow(id)).reply).toBe(REPLY);

    // Shown under the comment everywhere the comment shows.
    for (const page of [`/products/${w.product}`, `/providers/${providerId}`, `/me/orders/${id}`]) {
      const b = page.startsWith("/me/") ? ent : visitor;
      await b.get(page);
      expect(b.lastHtml, page).toContain(COMMENT);
      expect(b.lastHtml, page).toContain(`服务机构回复：<span class="prewrap">${REPLY}</span>`);
    }

    // ---- 隐藏评价: finance sees no form and gets 403; a reason is required; hidden publicly, scores kept, audited; twice 409 ----
    const hidePath = `/admin/orders/${id}/review-hide`;
    const finance = await signInAdmin(w.t, "finance");
    await finance.get(`/admin/orders/${id}`);
    expect(finance.lastStatus).toBe(200);
    expect(finance.lastHtml).toContain(COMMENT);
    expect(finance.lastHtml).not.toContain(">隐藏评价</button>");
    expect((await finance.post(hidePath, { hideReason: "含有不当内容" })).status).toBe(403);
    // An enterprise (even the one that wrote it) or the provider: no admin session, refused, nothing changed.
    for (const b of [ent, pro]) {
      await b.get(`/me/orders/${id}`);
      const refused = await b.post(hidePath, { hideReason: "含有不当内容" });
      expect(refused.status === 403 || (refused.status === 303 && /^\/admin\/login/.test(refused.headers.get("Location") ?? ""))).toBe(true);
    }
    expect((await reviewRow(id)).hidden_at).toBeNull();

    const op = await signInAdmin(w.t, "operator");
    await op.get(`/admin/orders/${id}`);
    expect(op.lastHtml).toMatch(/<label for="f-hideReason">隐藏原因<\/label>/);
    expect(op.lastHtml).toContain(">隐藏评价</button>");
    for (const [hideReason, message] of [
      ["", "请填写隐藏原因"],
      ["脏", "隐藏原因至少2个字"],
      ["脏".repeat(201), "隐藏原因不能超过200个字"],
    ] as const) {
      expect((await op.post(hidePath, { hideReason })).status).toBe(422);
      expect(op.lastHtml).toContain(message);
    }
    expect((await reviewRow(id)).hidden_at).toBeNull();
    expect(await audits(id)).toBe(0);

    const hidden = await op.post(hidePath, { hideReason: "评价含有与服务无关的不当内容" });
    expect(hidden.status).toBe(303);
    await op.get(hidden.headers.get("Location")!);
    expect(op.lastHtml).toContain("评价已隐藏");
    expect(op.lastHtml).toContain("隐藏原因：评价含有与服务无关的不当内容");
    expect(op.lastHtml).not.toContain(">隐藏评价</button>");
    expect((await reviewRow(id)).hidden_reason).toBe("评价含有与服务无关的不当内容");
    expect(await audits(id)).toBe(1);

    // Publicly: the notice instead of the text and the reply; the scores still count.
    for (const page of [`/products/${w.product}`, `/providers/${providerId}`]) {
      await visitor.get(page);
      const section = ratingsOf(visitor.lastHtml);
      expect(section, page).toContain("该评价内容已被平台隐藏");
      expect(visitor.lastHtml, page).not.toContain(COMMENT);
      expect(visitor.lastHtml, page).not.toContain(REPLY);
      expect(section, page).toContain("<strong>4.7</strong> 分（1条评价）");
    }
    // The catalog's rating is unchanged.
    const [listing] = await w.t.deps.db.query<{ rating_tenths: number; rating_count: number }>(
      "select rating_tenths, rating_count from product_listings where product_id = $1",
      [w.product],
    );
    expect(listing).toEqual({ rating_tenths: 47, rating_count: 1 });
    // The parties still read their own review, with the platform's notice.
    await ent.get(`/me/orders/${id}`);
    expect(ent.lastHtml).toContain(COMMENT);
    expect(ent.lastHtml).toContain("该评价内容已被平台隐藏");

    expect((await op.post(hidePath, { hideReason: "再次隐藏" })).status).toBe(409);
    expect(op.lastHtml).toContain("该评价已被隐藏");
    expect(await audits(id)).toBe(1);
    // An order without a review: 404.
    const order = await placeOrder(w.t, w.ent, w.product, { useVoucher: false });
    await op.get(`/admin/orders/${order.id}`);
    expect((await op.post(`/admin/orders/${order.id}/review-hide`, { hideReason: "不当内容" })).status).toBe(404);
  });

  it("回复评价 before any review is 409, nothing written", async () => {
    // An order of the same provider still 待接单 has no review.
    const order = await placeOrder(w.t, w.ent, w.product, { useVoucher: false });
    await pro.get(`/provider/orders/${order.id}`);
    expect(pro.lastHtml).not.toContain(">提交回复</button>");
    expect((await pro.post(`/provider/orders/${order.id}/review-reply`, { reply: REPLY })).status).toBe(409);
    expect(pro.lastHtml).toContain("该订单尚未评价");
    expect((await w.t.deps.db.query("select 1 from order_reviews where order_id = $1", [order.id])).length).toBe(0);
  });
});

describe("the catalog's 评分 sort", () => {
  type Row = { product_id: string; listed_at: Date; phone: string };
  let listed: Row[];

  /**
   * A review of `productId` by this enterprise through the real 提交评价 use case. The order is put
   * into 待评价 directly (fixture): its way there (contract, signing, payment) is covered above and
   * in orders-delivery; what matters here is the review's transaction and the sort.
   */
  async function rate(phone: string, productId: string, scores: [number, number, number]) {
    const account = await accountOf(w.t, phone);
    const order = await placeOrder(w.t, account, productId, { useVoucher: false });
    await w.t.deps.db.query("update orders set status = 'awaiting_review' where id = $1", [order.id]);
    const [quality, timeliness, attitude] = scores.map(String) as [string, string, string];
    const res = await w.t.deps.orders.submitReview(account, order.id, { quality, timeliness, attitude, comment: "" }, undefined);
    expect(res.ok).toBe(true);
  }
  const idsOn = (html: string) => [...html.matchAll(/<h2><a href="\/products\/([0-9a-f-]{36})">/g)].map((m) => m[1]!);
  const newestFirst = (a: Pick<Row, "product_id" | "listed_at">, b: Pick<Row, "product_id" | "listed_at">) =>
    b.listed_at.getTime() - a.listed_at.getTime() || (a.product_id < b.product_id ? -1 : 1);

  beforeAll(async () => {
    listed = await w.t.deps.db.query<Row>(
      `select l.product_id, l.listed_at, a.phone from product_listings l join providers p on p.id = l.provider_id
         join enterprises e on e.id = p.enterprise_id join accounts a on a.id = e.account_id
        where l.rating_count = 0 order by l.listed_at desc, l.product_id`,
    );
    expect(listed.length).toBeGreaterThanOrEqual(4);
  });

  it("highest average first, averaged over every review, ties newest first, unrated last; kept through 下架 and 重新上架", async () => {
    const [a, b, c, d] = listed as [Row, Row, Row, Row];
    await rate("13800000002", b.product_id, [5, 5, 5]); // 5.0
    await rate("13800000002", a.product_id, [5, 4, 4]);
    await rate("13800000004", a.product_id, [4, 4, 4]); // (13 + 12) / 6 = 4.17 -> 4.2
    await rate("13800000002", c.product_id, [4, 4, 5]); // 4.3
    await rate("13800000004", d.product_id, [5, 4, 4]); // 4.3, a tie with c: the newer listing first

    const visitor = new Browser(w.t);
    await visitor.get("/services?sort=rating");
    expect(visitor.lastStatus).toBe(200);
    expect(visitor.lastHtml).toMatch(/<option value="rating" selected>评分从高到低<\/option>/);
    const ids = idsOn(visitor.lastHtml);
    // The expected order, from the listings' summaries: the highest rating first, unrated last, then the newest.
    const all = await w.t.deps.db.query<{ product_id: string; rating_tenths: number | null; listed_at: Date }>(
      `select l.product_id, l.rating_tenths, l.listed_at from product_listings l join providers p on p.id = l.provider_id where p.status = 'active'`,
    );
    const expected = all
      .sort((x, y) => (y.rating_tenths ?? -1) - (x.rating_tenths ?? -1) || newestFirst(x, y))
      .map((r) => r.product_id)
      .slice(0, 20);
    expect(ids).toEqual(expected);
    expect(
      Object.fromEntries(all.filter((r) => [a, b, c, d].some((x) => x.product_id === r.product_id)).map((r) => [r.product_id, r.rating_tenths])),
    ).toEqual({
      [a.product_id]: 42,
      [b.product_id]: 50,
      [c.product_id]: 43,
      [d.product_id]: 43,
    });
    const at = (r: Row) => ids.indexOf(r.product_id);
    const tied = [c, d].sort(newestFirst);
    expect(at(b)).toBeLessThan(at(tied[0]!));
    expect(at(tied[0]!)).toBe(at(tied[1]!) - 1);
    expect(at(tied[1]!)).toBeLessThan(at(a));
    // Unrated listings come last (the demo has some on the first page).
    expect(all.find((r) => r.product_id === ids[ids.length - 1])!.rating_tenths).toBeNull();
    // The card shows the rating.
    expect(visitor.lastHtml).toContain("评分 <strong>5.0</strong>（1条评价）");
    expect(visitor.lastHtml).toContain("评分 <strong>4.2</strong>（2条评价）");
    expect(visitor.lastHtml).toContain("暂无评价");

    // 下架 deletes the listing row and 重新上架 writes it again: the rating comes back with it.
    const owner = await accountOf(w.t, b.phone);
    const top = ids[0]!;
    expect((await w.t.deps.products.providerAction(owner, b.product_id, "delist")).ok).toBe(true);
    await visitor.get("/services?sort=rating");
    expect(idsOn(visitor.lastHtml)).not.toContain(b.product_id);
    expect((await w.t.deps.products.providerAction(owner, b.product_id, "relist")).ok).toBe(true);
    await visitor.get("/services?sort=rating");
    expect(idsOn(visitor.lastHtml)[0]).toBe(top);
    expect(idsOn(visitor.lastHtml)).toContain(b.product_id);
    const [back] = await w.t.deps.db.query<{ rating_tenths: number; rating_count: number }>(
      "select rating_tenths, rating_count from product_listings where product_id = $1",
      [b.product_id],
    );
    expect(back).toEqual({ rating_tenths: 50, rating_count: 1 });
  });
});

describe("the 评分 sort at scale", () => {
  let db: Db;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ db, cleanup } = await freshDb());
    await migrate(db);
    await seedScale(db, { providers: 40, products: 4000 });
    // A rating on every third listing (fixture: the summary the review's transaction maintains).
    await db.query(
      `with s as (select product_id, (row_number() over (order by product_id))::int as i from product_listings)
       update products p set rating_count = 1 + s.i % 4, rating_points = (1 + s.i % 4) * (3 + s.i % 13) from s where p.id = s.product_id and s.i % 3 = 0`,
    );
    await db.query(
      `update product_listings l set rating_count = p.rating_count, rating_tenths = round(p.rating_points * 10.0 / (3 * p.rating_count))::smallint
         from products p where p.id = l.product_id and p.rating_count > 0`,
    );
    await db.query("analyze");
  }, 180_000);
  afterAll(async () => cleanup?.());

  it("the first page is an index scan of product_listings_rating_idx: no sort, no sequential scan, no reviews read", async () => {
    const sent: { sql: string; params: readonly unknown[] }[] = [];
    const recording: Db = {
      kind: db.kind,
      query: (sql, params) => {
        sent.push({ sql, params: params ?? [] });
        return db.query(sql, params);
      },
      exec: (sql) => db.exec(sql),
      transaction: (fn) => db.transaction(fn),
      afterCommit: (fn) => db.afterCommit(fn),
      afterRollback: (fn) => db.afterRollback(fn),
      close: () => db.close(),
    };
    const page = await pgProducts(recording).listings({ sort: "rating" }, 20, 0);
    expect(page.total).toBe(4000);
    const tenths = page.rows.map((r) => r.ratingTenths ?? 0);
    expect(tenths).toEqual([...tenths].sort((x, y) => y - x));
    const rows = sent.find((s) => /order by l\.rating_tenths/.test(s.sql))!;
    const [plan] = await db.query<{ "QUERY PLAN": unknown }>(`explain (format json) ${rows.sql}`, rows.params);
    const raw = plan!["QUERY PLAN"];
    const nodes: Record<string, unknown>[] = [];
    const walk = (n: Record<string, unknown>) => {
      nodes.push(n);
      for (const child of (n.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
    };
    walk(((typeof raw === "string" ? JSON.parse(raw) : raw) as { Plan: Record<string, unknown> }[])[0]!.Plan);
    const shown = JSON.stringify(nodes.map((n) => [n["Node Type"], n["Relation Name"], n["Index Name"]]));
    expect(
      nodes.some((n) => n["Index Name"] === "product_listings_rating_idx"),
      shown,
    ).toBe(true);
    expect(
      nodes.some((n) => n["Node Type"] === "Sort" || n["Node Type"] === "Incremental Sort"),
      shown,
    ).toBe(false);
    expect(
      nodes.some((n) => n["Node Type"] === "Seq Scan" && n["Relation Name"] === "product_listings"),
      shown,
    ).toBe(false);
    expect(
      nodes.some((n) => n["Relation Name"] === "order_reviews"),
      shown,
    ).toBe(false);
  });
});
