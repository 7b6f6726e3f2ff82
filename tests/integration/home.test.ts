import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp, testClock } from "../support/app.ts";
import { Browser } from "../support/client.ts";
import { signInAdmin } from "../support/flows.ts";
import { addDays, shanghaiToday } from "../../src/modules/demands/domain.ts";
import { FIGURES_TTL_SECONDS } from "../../src/modules/portal/service.ts";

/** The public home page: introduction, entries, platform figures (cached briefly), news, demands, products. */

const clock = testClock(new Date("2026-11-27T02:00:00Z"));
let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp({ demo: true, clock });
});
afterAll(async () => t?.close());

const one = async (sql: string) => (await t.deps.db.query<{ n: number }>(sql))[0]!.n;
const staff = async (username: string) =>
  (await t.deps.db.query<{ id: string; role: string }>("select id, role from admin_users where username = $1", [username]))[0]!;
const accountId = async (phone: string) => (await t.deps.db.query<{ id: string }>("select id from accounts where phone = $1", [phone]))[0]!.id;
/** The text of a figure: the <dd> after its <dt>. */
const figure = (html: string, label: string) => html.match(new RegExp(`<dt>${label}</dt><dd>([^<]*)`))?.[1];

describe("public home page", () => {
  it("shows the introduction, the entries and platform figures counted from the database", async () => {
    const b = new Browser(t);
    const res = await b.get("/");
    expect(res.status).toBe(200);
    const html = b.lastHtml;
    for (const text of ["服务券配额申请", "通用券服务", "专项券服务", "企业需求", "政策资讯", "推荐服务", "服务券介绍", "发布需求"])
      expect(html).toContain(text);

    const certified = await one("select count(*)::int as n from enterprises where certification_status = 'certified'");
    const providers = await one("select count(*)::int as n from providers where status = 'active'");
    const listed = await one("select count(*)::int as n from product_listings");
    const granted = await one("select coalesce(sum(granted_fen), 0)::bigint as n from voucher_accounts");
    expect(certified).toBeGreaterThan(0);
    expect(granted).toBeGreaterThan(0);
    expect(figure(html, "认证企业")).toBe(String(certified));
    expect(figure(html, "入库服务商")).toBe(String(providers));
    expect(figure(html, "上架服务产品")).toBe(String(listed));
    expect(figure(html, "已发放服务券")).toBe(`¥${Math.floor(Number(granted) / 100).toLocaleString("zh-CN")}`);
  });

  it("reuses the figures for a minute, then counts again", async () => {
    const b = new Browser(t);
    await b.get("/");
    const before = figure(b.lastHtml, "入库服务商");
    // A provider is suspended (出库): the listed count and the provider count drop, but only after the cache expires.
    const [provider] = await t.deps.db.query<{ id: string }>("select id from providers where status = 'active' order by approved_at limit 1");
    const res = await t.deps.catalog.setProviderStatus(await staff("reviewer"), provider!.id, { action: "suspend", reason: "资质过期，暂停服务" });
    expect(res.ok).toBe(true);
    await b.get("/");
    expect(figure(b.lastHtml, "入库服务商")).toBe(before);
    clock.advance((FIGURES_TTL_SECONDS + 1) * 1000);
    await b.get("/");
    expect(figure(b.lastHtml, "入库服务商")).toBe(String(Number(before) - 1));
    await t.deps.catalog.setProviderStatus(await staff("reviewer"), provider!.id, { action: "resume", reason: "" });
  });

  it("lists pinned news first, only published open demands, and links the programmes to the measures", async () => {
    const b = new Browser(t);
    await b.get("/");
    const news = b.lastHtml.slice(b.lastHtml.indexOf('id="news-title"'), b.lastHtml.indexOf('id="demands-title"'));
    expect(news).toMatch(/^[\s\S]*?<li><span class="badge">置顶<\/span>/);
    const policy = await t.deps.content.bySlug("voucher-measures");
    expect(policy).toBeDefined();
    expect(b.lastHtml).toContain('href="/news/p/voucher-measures"');
    const go = await b.get("/news/p/voucher-measures");
    expect(go.status).toBe(302);
    expect(go.headers.get("Location")).toBe(`/news/${policy!.id}`);

    const demands = b.lastHtml.slice(b.lastHtml.indexOf('id="demands-title"'));
    const published = await t.deps.db.query<{ title: string }>("select title from demands where status = 'published'");
    const pending = await t.deps.db.query<{ title: string }>("select title from demands where status <> 'published'");
    expect(published.length).toBeGreaterThan(0);
    expect(pending.length).toBeGreaterThan(0);
    for (const d of published) expect(demands).toContain(d.title);
    for (const d of pending) expect(demands).not.toContain(d.title);
  });

  it("escapes user-written titles from demands and articles", async () => {
    const evil = "<script>alert(1)</script>";
    const today = shanghaiToday(clock.now());
    const demand = await t.deps.demands.submit(await accountId("13800000002"), {
      title: `设备联网需求${evil}`,
      category: "digital",
      description: "车间有数控机床20台，希望实现设备联网和数据采集，并在看板上展示稼动率。",
      budgetMin: "100000",
      budgetMax: "200000",
      cityCode: "450100",
      districtCode: "",
      deadline: addDays(today, 30),
      contactName: "王工",
      contactPhone: "13800000002",
    });
    expect(demand.ok, JSON.stringify(demand)).toBe(true);
    if (!demand.ok) return;
    expect((await t.deps.demands.decide(await staff("reviewer"), demand.value.id, { decision: "approve", reason: "" })).ok).toBe(true);
    const article = await t.deps.content.save(
      await staff("operator"),
      null,
      { kind: "notice", title: `通知${evil}`, summary: "", body: "正文", slug: "", publishedAt: "" },
      [],
      [],
    );
    expect(article.ok, JSON.stringify(article)).toBe(true);
    if (!article.ok) return;
    expect((await t.deps.content.publish(await staff("operator"), article.value.id)).ok).toBe(true);

    const b = new Browser(t);
    await b.get("/");
    expect(b.lastHtml).toContain("设备联网需求&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(b.lastHtml).toContain("通知&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(b.lastHtml).not.toContain(evil);
  });
});

describe("admin home page: 待办", () => {
  /** The count shown after a queue's link, or "none" for 暂无待处理, or undefined when the queue is not listed. */
  const waiting = (html: string, label: string) => {
    const todo = html.slice(html.indexOf("<h2>待办</h2>"), html.indexOf("</ul>", html.indexOf("<h2>待办</h2>")));
    const m = todo.match(new RegExp(`>${label}</a>：(?:<strong class="todo-count">(\\d+)</strong>|(暂无待处理))`));
    return m ? (m[1] ?? "none") : undefined;
  };
  const pending = async (table: string, status = "pending") => String(await one(`select count(*)::int as n from ${table} where status = '${status}'`));

  it("shows each queue the role may work with the number waiting, counted from the database", async () => {
    const reviewer = await signInAdmin(t, "reviewer");
    await reviewer.get("/admin");
    const html = reviewer.lastHtml;
    const expectCount = (label: string, n: string) => expect(waiting(html, label), label).toBe(n === "0" ? "none" : n);
    expectCount("企业认证审核", await pending("enterprise_certifications"));
    expectCount("服务券配额审核", await pending("quota_applications"));
    expectCount("服务商审核与管理", await pending("provider_applications"));
    expectCount("服务产品审核", await pending("product_revisions"));
    expectCount("企业需求审核", await pending("demands"));
    expect(await pending("enterprise_certifications")).not.toBe("0");
    // Each place is linked once: queues under 待办, the rest under 其他功能.
    for (const href of ["/admin/certifications", "/admin/products", "/admin/programmes", "/admin/audit"]) {
      expect(html.split(`href="${href}"`).length - 1, href).toBe(1);
    }
    // Messages are the operators' queue, not the reviewer's.
    expect(waiting(html, "留言管理")).toBeUndefined();

    const operator = await signInAdmin(t, "operator");
    await operator.get("/admin");
    expect(waiting(operator.lastHtml, "留言管理")).toBe(await pending("messages"));
    expect(waiting(operator.lastHtml, "企业认证审核")).toBeUndefined();

    const finance = await signInAdmin(t, "finance");
    await finance.get("/admin");
    expect(finance.lastHtml).not.toContain("<h2>待办</h2>");
  });
});
