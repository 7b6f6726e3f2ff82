import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp, testClock } from "../support/app.ts";
import { Browser } from "../support/client.ts";
import { signIn, signInAdmin } from "../support/flows.ts";
import { addDays, shanghaiToday } from "../../src/modules/demands/domain.ts";
import { seedDemo } from "../../src/demo.ts";

/**
 * 企业需求 end to end through the real pages: 发布需求, review, 撤回 / 关闭 / 修改, the public list,
 * 响应需求, who may see and do what, escaping, and bad input.
 */

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp({ demo: true });
});
afterAll(async () => t?.close());

const today = () => shanghaiToday(t.deps.clock.now());
const GOOD = () => ({
  title: "数控车间设备联网与数据采集",
  category: "digital",
  description: "车间有数控机床20台，希望实现设备联网、状态与产量数据自动采集，并在看板上展示稼动率。",
  budgetMin: "100000",
  budgetMax: "200000",
  cityCode: "450300",
  districtCode: "450305",
  deadline: addDays(today(), 30),
  contactName: "李娜",
  contactPhone: "13800000003",
});

async function accountId(phone: string) {
  return (await t.deps.db.query<{ id: string }>("select id from accounts where phone = $1", [phone]))[0]!.id;
}
async function staff(username: string) {
  const [a] = await t.deps.db.query<{ id: string; role: string }>("select id, role from admin_users where username = $1", [username]);
  return a!;
}
const row = async (id: string) => (await t.deps.db.query<{ status: string; title: string }>("select status, title from demands where id = $1", [id]))[0]!;
const countOf = async (phone: string) =>
  (
    await t.deps.db.query<{ n: number }>(
      "select count(*)::int as n from demands d join enterprises e on e.id = d.enterprise_id join accounts a on a.id = e.account_id where a.phone = $1",
      [phone],
    )
  )[0]!.n;

/** 发布需求 through the form; returns the new id. */
async function publishForm(b: Browser, fields: Record<string, string> = GOOD()) {
  await b.get("/me/demands/new");
  const res = await b.post("/me/demands/new", fields);
  expect(res.status, b.lastHtml.match(/<div class="error-summary"[\s\S]*?<\/div>/)?.[0]).toBe(303);
  const id = res.headers.get("Location")!.split("/").pop()!;
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  return id;
}

/** A demand submitted and published through the services (fast set-up for list tests). */
async function publishedDemand(phone: string, over: Record<string, string> = {}) {
  const res = await t.deps.demands.submit(await accountId(phone), { ...GOOD(), ...over });
  if (!res.ok) throw new Error(JSON.stringify(res.errors));
  const decided = await t.deps.demands.decide(await staff("reviewer"), res.value.id, { decision: "approve", reason: "" });
  expect(decided.ok).toBe(true);
  return res.value.id;
}

async function decide(id: string, decision: string, reason = "", who = "reviewer") {
  const r = await signInAdmin(t, who);
  await r.get(`/admin/demands/${id}`);
  return { r, res: await r.post(`/admin/demands/${id}/decision`, { decision, reason }) };
}

const auditActions = async (id: string) =>
  (await t.deps.db.query<{ action: string }>("select action from audit_events where entity_type = 'demand' and entity_id = $1 order by id", [id])).map(
    (x) => x.action,
  );

describe("demo data", () => {
  it("has one 待处理, two 已发布, one 已驳回 demand and one response, and seeding again adds nothing", async () => {
    const counts = async () =>
      t.deps.db.query<{ status: string; n: number; responses: number }>(
        "select status, count(*)::int as n, sum((select count(*) from demand_responses r where r.demand_id = d.id))::int as responses from demands d group by status order by status",
      );
    const before = await counts();
    expect(before).toEqual([
      { status: "pending", n: 1, responses: 0 },
      { status: "published", n: 2, responses: 1 },
      { status: "rejected", n: 1, responses: 0 },
    ]);
    await seedDemo(t.deps);
    expect(await counts()).toEqual(before);
  });
});

describe("发布需求 and review", () => {
  it("the public page and 我的需求管理 both lead to 发布需求; anonymous visitors are sent to log in", async () => {
    const anon = new Browser(t);
    await anon.get("/demands");
    expect(anon.lastStatus).toBe(200);
    expect(anon.lastHtml).toContain('<a class="button primary" href="/me/demands/new">发布需求</a>');
    const res = await anon.get("/me/demands/new");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/login?next=%2Fme%2Fdemands%2Fnew");

    const b = await signIn(t, "13800000003");
    await b.get("/me/demands");
    expect(b.lastHtml).toContain("<h1>我的需求管理</h1>");
    expect(b.lastHtml).toContain('href="/me/demands/new">发布需求</a>');
    expect(b.lastHtml).toMatch(/href="\/me\/demands" aria-current="page">我的需求管理<\/a>/);
    await b.get("/me/demands/new");
    expect(b.lastHtml).toContain("<h1>发布需求</h1>");
    for (const label of ["需求标题", "需求类别", "需求描述", "最低预算（元）", "最高预算（元）", "面议", "所在城市", "截止日期", "联系人", "联系电话"])
      expect(b.lastHtml).toContain(label);
    // The managed service categories of the catalog.
    expect(b.lastHtml).toContain('<option value="testing">检验检测</option>');
  });

  it("submit -> 待处理 -> reviewer 驳回 with a reason -> the enterprise sees it, edits and resubmits -> reviewer 发布 -> public", async () => {
    const b = await signIn(t, "13800000003");
    const id = await publishForm(b);
    await b.visit(`/me/demands/${id}`);
    expect(b.lastHtml).toContain("需求已提交，状态为待处理。");
    expect(b.lastHtml).toContain('状态：<span class="status status-pending">待处理</span>');
    expect((await row(id)).status).toBe("pending");
    // Not public yet.
    expect((await new Browser(t).get(`/demands/${id}`)).status).toBe(404);

    // Reviewer queue (待处理 by default) and detail.
    const r = await signInAdmin(t, "reviewer");
    await r.get("/admin");
    expect(r.lastHtml).toContain('<a href="/admin/demands">企业需求审核</a>');
    await r.get("/admin/demands");
    expect(r.lastHtml).toContain(`<a href="/admin/demands/${id}">数控车间设备联网与数据采集</a>`);
    await r.get(`/admin/demands/${id}`);
    expect(r.lastHtml).toContain("李娜，13800000003");
    // 驳回 needs a reason.
    expect((await r.post(`/admin/demands/${id}/decision`, { decision: "reject", reason: "" })).status).toBe(422);
    expect(r.lastHtml).toContain("驳回时请填写驳回原因（至少2个字）");
    expect((await row(id)).status).toBe("pending");
    await r.get(`/admin/demands/${id}`);
    expect((await r.post(`/admin/demands/${id}/decision`, { decision: "reject", reason: "请写明需要联网的设备品牌和通讯协议" })).status).toBe(303);
    expect((await row(id)).status).toBe("rejected");
    // Decided once only.
    await r.get(`/admin/demands?status=rejected`);
    expect(r.lastHtml).toContain(id);
    expect((await r.post(`/admin/demands/${id}/decision`, { decision: "approve", reason: "" })).status).toBe(409);

    await b.get(`/me/demands/${id}`);
    expect(b.lastHtml).toContain("已驳回");
    expect(b.lastHtml).toContain("请写明需要联网的设备品牌和通讯协议");
    expect(b.lastHtml).toContain(`href="/me/demands/${id}/edit">修改并重新提交</a>`);
    await b.get(`/me/demands/${id}/edit`);
    expect(b.lastHtml).toContain("<h1>修改需求</h1>");
    expect(b.lastHtml).toContain("请写明需要联网的设备品牌和通讯协议");
    expect(b.lastHtml).toContain('value="数控车间设备联网与数据采集"');
    const res = await b.post(`/me/demands/${id}/edit`, {
      ...GOOD(),
      title: "数控车间设备联网（FANUC、西门子）",
      budgetMin: "",
      budgetMax: "",
      budgetNegotiable: "yes",
    });
    expect(res.status).toBe(303);
    expect(await row(id)).toEqual({ status: "pending", title: "数控车间设备联网（FANUC、西门子）" });

    const { res: published } = await decide(id, "approve");
    expect(published.status).toBe(303);
    expect((await row(id)).status).toBe("published");
    const pub = new Browser(t);
    await pub.get("/demands");
    expect(pub.lastHtml).toContain(`<a href="/demands/${id}">数控车间设备联网（FANUC、西门子）</a>`);
    await pub.get(`/demands/${id}`);
    expect(pub.lastStatus).toBe(200);
    expect(pub.lastHtml).toContain("<dt>预算</dt><dd>面议</dd>");
    expect(pub.lastHtml).toContain("<dt>所在地区</dt><dd>桂林市七星区</dd>");
    expect(await auditActions(id)).toEqual(["demand_submitted", "demand_rejected", "demand_resubmitted", "demand_published"]);
  });

  it("撤回 a pending demand, edit and resubmit it; 关闭 a published one; illegal moves change nothing", async () => {
    const b = await signIn(t, "13800000004");
    const id = await publishForm(b, { ...GOOD(), title: "陶瓷窑炉燃烧优化技术服务", contactPhone: "13800000004" });
    await b.get(`/me/demands/${id}`);
    // 关闭 is only for published demands.
    await b.post(`/me/demands/${id}/close`, {});
    expect((await row(id)).status).toBe("pending");
    await b.get(`/me/demands/${id}`);
    expect(b.lastHtml).toContain("只有已发布的需求可以关闭");
    // Editing while 待处理 is refused.
    expect((await b.get(`/me/demands/${id}/edit`)).status).toBe(303);
    await b.get(`/me/demands/${id}`);
    expect((await b.post(`/me/demands/${id}/edit`, GOOD())).status).toBe(303);
    expect((await row(id)).title).toBe("陶瓷窑炉燃烧优化技术服务");

    await b.get(`/me/demands/${id}`);
    expect(b.lastHtml).toContain(">撤回</button>");
    expect((await b.post(`/me/demands/${id}/withdraw`, {})).status).toBe(303);
    expect((await row(id)).status).toBe("withdrawn");
    await b.get(`/me/demands/${id}`);
    expect(b.lastHtml).toContain("已撤回");
    await b.post(`/me/demands/${id}/withdraw`, {});
    expect((await row(id)).status).toBe("withdrawn");
    // A withdrawn demand cannot be decided.
    const { res: decided } = await decide(id, "approve");
    expect(decided.status).toBe(409);
    expect((await row(id)).status).toBe("withdrawn");

    await b.get(`/me/demands/${id}/edit`);
    expect((await b.post(`/me/demands/${id}/edit`, { ...GOOD(), title: "陶瓷窑炉燃烧优化与节能改造", category: "green" })).status).toBe(303);
    expect((await row(id)).status).toBe("pending");
    await decide(id, "approve");
    await b.get(`/me/demands/${id}`);
    expect(b.lastHtml).toContain(">关闭需求</button>");
    expect((await b.post(`/me/demands/${id}/close`, {})).status).toBe(303);
    expect((await row(id)).status).toBe("closed");
    await b.get(`/me/demands/${id}`);
    expect(b.lastHtml).toContain('<span class="status status-uncertified">已关闭</span>');
    // Closed: off the public list and page.
    const pub = new Browser(t);
    expect((await pub.get(`/demands/${id}`)).status).toBe(404);
    await pub.get("/demands?status=all&category=green");
    expect(pub.lastHtml).not.toContain(id);
    expect(await auditActions(id)).toEqual(["demand_submitted", "demand_withdrawn", "demand_resubmitted", "demand_published", "demand_closed"]);
  });

  it("bad input gives 422 with the messages beside the fields and no row", async () => {
    const b = await signIn(t, "13800000003");
    const before = await countOf("13800000003");
    const cases: [Record<string, string>, string][] = [
      [{ title: "" }, "请输入需求标题"],
      [{ title: "需".repeat(61) }, "需求标题不能超过60个字"],
      [{ description: "描述".repeat(1001) }, "需求描述不能超过2000个字"],
      [{ deadline: addDays(today(), -1) }, "截止日期应晚于今天"],
      [{ budgetMin: "300000", budgetMax: "200000" }, "最低预算不能高于最高预算"],
      [{ budgetMin: "-5" }, "最低预算不能为负数"],
      [{ category: "tourism" }, "请选择需求类别"],
      [{ districtCode: "450204" }, "请选择所在城市下的区县"],
      [{ contactPhone: "123" }, "联系电话应为11位手机号或带区号的固定电话"],
    ];
    for (const [over, message] of cases) {
      await b.get("/me/demands/new");
      const res = await b.post("/me/demands/new", { ...GOOD(), ...over });
      expect(res.status, message).toBe(422);
      expect(b.lastHtml).toContain(message);
      expect(b.lastHtml).toContain("请修改以下问题");
      expect(b.lastHtml).toContain('aria-invalid="true"');
    }
    expect(await countOf("13800000003")).toBe(before);
    // The typed values come back.
    await b.get("/me/demands/new");
    await b.post("/me/demands/new", { ...GOOD(), budgetMin: "-5" });
    expect(b.lastHtml).toContain('value="数控车间设备联网与数据采集"');
  });
});

describe("authorisation", () => {
  it("enterprise B cannot read, edit, withdraw or close A's demand", async () => {
    const a = await signIn(t, "13800000003");
    const pending = await publishForm(a, { ...GOOD(), title: "A企业的待处理需求" });
    const published = await publishedDemand("13800000003", { title: "A企业的已发布需求" });
    const rejected = await publishForm(a, { ...GOOD(), title: "A企业的被驳回需求" });
    await decide(rejected, "reject", "信息不完整");

    const b = await signIn(t, "13800000002");
    for (const id of [pending, published, rejected]) {
      expect((await b.get(`/me/demands/${id}`)).status).toBe(404);
      expect(b.lastHtml).not.toContain("A企业的");
      expect((await b.get(`/me/demands/${id}/edit`)).status).toBe(404);
    }
    await b.get("/me/demands");
    const csrf = b.csrf();
    expect((await b.post(`/me/demands/${pending}/withdraw`, {}, { csrf })).status).toBe(404);
    expect((await b.post(`/me/demands/${published}/close`, {}, { csrf })).status).toBe(404);
    expect((await b.post(`/me/demands/${rejected}/edit`, { ...GOOD(), title: "B企业改写的标题" }, { csrf })).status).toBe(404);
    expect(await row(pending)).toEqual({ status: "pending", title: "A企业的待处理需求" });
    expect((await row(published)).status).toBe("published");
    expect(await row(rejected)).toEqual({ status: "rejected", title: "A企业的被驳回需求" });
    // A's pending demand is not public, and not in B's list.
    expect((await b.get(`/demands/${pending}`)).status).toBe(404);
    await b.get("/me/demands");
    expect(b.lastHtml).not.toContain("A企业的");
    // The owner sees its own pending demand on the public URL too.
    expect((await a.get(`/demands/${pending}`)).status).toBe(200);
    expect(a.lastHtml).toContain("这是贵企业发布的需求（待处理）");
  });

  it("an uncertified enterprise gets the certification prompt and cannot publish", async () => {
    // 13800000005: certification 待审核; 13800000006: 已驳回.
    for (const [phone, prompt, feature] of [
      ["13800000005", "审核通过后即可使用", "查看认证进度"],
      ["13800000006", "仅对已完成企业信息认证的企业开放", "去企业信息认证"],
    ] as const) {
      const b = await signIn(t, phone);
      await b.get("/me/demands/new");
      expect(b.lastStatus).toBe(200);
      expect(b.lastHtml).toContain("<h1>发布需求</h1>");
      expect(b.lastHtml).toContain(prompt);
      expect(b.lastHtml).toContain(feature);
      expect(b.lastHtml).not.toContain('name="title"');
      await b.get("/me/demands");
      expect(b.lastHtml).toContain("<h1>我的需求管理</h1>");
      expect(b.lastHtml).toContain(prompt);
      const res = await b.post("/me/demands/new", GOOD());
      expect(res.status).toBe(403);
      expect(await countOf(phone)).toBe(0);
    }
  });

  it("finance and operator cannot open the queue or decide", async () => {
    const a = await signIn(t, "13800000003");
    const id = await publishForm(a, { ...GOOD(), title: "只有审核员能审核的需求" });
    for (const who of ["finance", "operator"]) {
      const s = await signInAdmin(t, who);
      expect((await s.get("/admin/demands")).status).toBe(403);
      expect((await s.get(`/admin/demands/${id}`)).status).toBe(403);
      await s.get("/admin");
      expect(s.lastHtml).not.toContain("/admin/demands");
      expect((await s.post(`/admin/demands/${id}/decision`, { decision: "approve", reason: "" })).status).toBe(403);
      expect((await row(id)).status).toBe("pending");
    }
    const admin = await signInAdmin(t, "admin");
    expect((await admin.get(`/admin/demands/${id}`)).status).toBe(200);
  });
});

describe("public list", () => {
  it("filters by category, city, keyword, pages, and swaps #results for htmx", async () => {
    // 12 demands in a category nobody else uses (知识产权服务): 9 in 南宁, 3 in 北海.
    for (let i = 1; i <= 12; i++) {
      await publishedDemand(i % 2 ? "13800000003" : "13800000004", {
        title: `专利布局分析第${i}期`,
        category: "ip",
        cityCode: i <= 9 ? "450100" : "450500",
        districtCode: "",
        description:
          i === 5 ? "围绕高分子复合材料开展专利检索与侵权风险分析，形成专利布局建议。" : "围绕企业主营产品开展专利检索、分析和布局规划，形成报告。",
      });
    }
    const pub = new Browser(t);
    const cards = () => (pub.lastHtml.match(/<article class="card demand-card">/g) ?? []).length;
    await pub.get("/demands?category=ip");
    expect(pub.lastHtml).toContain("共 12 条需求");
    expect(cards()).toBe(10);
    expect(pub.lastHtml).toContain("共 12 条，第 1 / 2 页");
    expect(pub.lastHtml).toContain('href="/demands?category=ip&page=2"');
    await pub.get("/demands?category=ip&page=2");
    expect(cards()).toBe(2);
    // Newest first: the first two are on page 2.
    expect(pub.lastHtml).toContain("专利布局分析第1期");
    expect(pub.lastHtml).toContain("专利布局分析第2期");
    await pub.get("/demands?category=ip&city=450500");
    expect(pub.lastHtml).toContain("共 3 条需求");
    expect(pub.lastHtml).toContain('<option value="450500" selected>北海市</option>');
    await pub.get(`/demands?category=ip&q=${encodeURIComponent("高分子复合")}`);
    expect(pub.lastHtml).toContain("共 1 条需求");
    expect(pub.lastHtml).toContain("专利布局分析第5期");
    await pub.get(`/demands?q=${encodeURIComponent("复合高分子")}`);
    expect(pub.lastHtml).toContain("共 0 条需求");
    expect(pub.lastHtml).toContain("没有符合条件的企业需求");
    // Bad filter values are ignored, not errors.
    expect((await pub.get("/demands?category=x&city=1&page=-3&status=zzz")).status).toBe(200);

    // htmx: the fragment only, with Vary.
    const res = await pub.request("/demands?category=ip&city=450500", { headers: { "HX-Request": "true", "HX-Target": "results" } });
    const html = await res.text();
    expect(res.headers.get("Vary")).toContain("HX-Request");
    expect(html.trim().startsWith('<div id="results"')).toBe(true);
    expect(html).not.toContain("<html");
    expect(html).toContain("共 3 条需求");

    // The home page surface.
    const latest = await t.deps.demands.latestPublished(3);
    expect(latest).toHaveLength(3);
    expect(latest[0]).toMatchObject({ title: "专利布局分析第12期", categoryName: "知识产权服务", city: "北海市", budget: "¥100,000.00 - ¥200,000.00" });
    expect(latest[0]!.deadline).toBe(addDays(today(), 30));
    const open = (
      await t.deps.db.query<{ n: number }>("select count(*)::int as n from demands where status = 'published' and deadline >= $1::date", [today()])
    )[0]!.n;
    expect(await t.deps.demands.countPublished()).toBe(open);
    expect(open).toBeGreaterThanOrEqual(14);
  });
});

describe("contact and responses", () => {
  const mesId = async () => (await t.deps.db.query<{ id: string }>("select id from demands where title = '注塑车间MES系统建设'"))[0]!.id;

  it("the contact is masked for the public and non-provider enterprises, in full for providers and the owner", async () => {
    const id = await mesId();
    const anon = new Browser(t);
    await anon.get(`/demands/${id}`);
    expect(anon.lastHtml).toContain("<dt>联系人</dt><dd>张*</dd>");
    expect(anon.lastHtml).toContain("<dt>联系电话</dt><dd>138****0001</dd>");
    expect(anon.lastHtml).toContain("登录服务商账号后可查看联系方式");
    expect(anon.lastHtml).not.toContain("13800000001");
    expect(anon.lastHtml).not.toContain("张伟");

    const other = await signIn(t, "13800000003");
    await other.get(`/demands/${id}`);
    expect(other.lastHtml).toContain("138****0001");
    expect(other.lastHtml).toContain("登录服务商账号后可查看联系方式");
    expect(other.lastHtml).not.toContain("13800000001");
    expect(other.lastHtml).not.toContain('name="proposal"');

    for (const phone of ["13800000008", "13800000001"]) {
      const b = await signIn(t, phone);
      await b.get(`/demands/${id}`);
      expect(b.lastHtml).toContain("<dt>联系人</dt><dd>张伟</dd>");
      expect(b.lastHtml).toContain("<dt>联系电话</dt><dd>13800000001</dd>");
      expect(b.lastHtml).not.toContain("登录服务商账号后可查看联系方式");
    }
  });

  it("a provider responds (proposal, price, its own product), edits its one response; the enterprise and the provider center see it", async () => {
    const id = await publishedDemand("13800000002", { title: "汽车线束来料检验能力提升", category: "testing", cityCode: "450200", districtCode: "" });
    const p = await signIn(t, "13800000008");
    await p.get(`/demands/${id}`);
    expect(p.lastHtml).toContain('<h2 id="respond-title">响应需求</h2>');
    const own = p.lastHtml.match(/<option value="([0-9a-f-]{36})">金属材料力学性能检测/)?.[1];
    expect(own, "the provider's listed product is offered").toBeTruthy();
    // Another provider's product (provider 7) is not offered, and a forged id is refused.
    const foreign = (await t.deps.db.query<{ product_id: string }>("select product_id from product_listings where title = '产线数字化改造方案设计'"))[0]!
      .product_id;
    expect(p.lastHtml).not.toContain(foreign);
    const forged = await p.post(`/demands/${id}/respond`, { proposal: "我司具备CMA资质，可承担来料检验。", quotedPrice: "", productId: foreign });
    expect(forged.status).toBe(422);
    expect(p.lastHtml).toContain("请选择本机构已上架的服务产品");
    await p.get(`/demands/${id}`);
    expect((await p.post(`/demands/${id}/respond`, { proposal: "案".repeat(1001), quotedPrice: "", productId: "" })).status).toBe(422);
    expect(p.lastHtml).toContain("方案简述不能超过1000个字");
    await p.get(`/demands/${id}`);
    expect((await p.post(`/demands/${id}/respond`, { proposal: "短", quotedPrice: "-5", productId: "" })).status).toBe(422);
    expect(p.lastHtml).toContain("报价不能为负数");
    const responses = async () =>
      t.deps.db.query<{ proposal: string; quoted_fen: number | null; product_id: string | null }>(
        "select proposal, quoted_fen, product_id from demand_responses where demand_id = $1",
        [id],
      );
    expect(await responses()).toEqual([]);

    await p.get(`/demands/${id}`);
    expect(
      (
        await p.post(`/demands/${id}/respond`, {
          proposal: "我司具备CMA资质，可承担线束来料的尺寸、拉力和耐压检验，并协助建立来料检验规范。",
          quotedPrice: "60000",
          productId: own!,
        })
      ).status,
    ).toBe(303);
    await p.get(`/demands/${id}`);
    expect(p.lastHtml).toContain("已提交响应。");
    expect(p.lastHtml).toContain("更新响应</button>");
    expect(p.lastHtml).toContain('value="60000"');
    // A second response edits the first.
    expect(
      (
        await p.post(`/demands/${id}/respond`, {
          proposal: "修改后的方案：每批次抽检并出具CMA报告，一年服务期。",
          quotedPrice: "55000.5",
          productId: own!,
        })
      ).status,
    ).toBe(303);
    expect(await responses()).toEqual([{ proposal: "修改后的方案：每批次抽检并出具CMA报告，一年服务期。", quoted_fen: 5_500_050, product_id: own }]);

    const owner = await signIn(t, "13800000002");
    await owner.get("/me/demands");
    expect(owner.lastHtml).toContain("汽车线束来料检验能力提升");
    await owner.get(`/me/demands/${id}`);
    expect(owner.lastHtml).toContain("服务商响应（1）");
    expect(owner.lastHtml).toContain("广西示例检验检测技术有限公司</a>");
    expect(owner.lastHtml).toContain("修改后的方案：每批次抽检并出具CMA报告，一年服务期。");
    expect(owner.lastHtml).toContain("¥55,000.50");
    expect(owner.lastHtml).toContain(`<a href="/products/${own}">金属材料力学性能检测</a>`);
    expect(owner.lastHtml).toContain("服务商响应需求");

    await p.get("/provider");
    expect(p.lastHtml).toContain('href="/provider/responses">需求响应</a>');
    await p.get("/provider/responses");
    expect(p.lastStatus).toBe(200);
    expect(p.lastHtml).toContain(`<a href="/demands/${id}">汽车线束来料检验能力提升</a>`);
    expect(p.lastHtml).toContain("¥55,000.50");
    expect(await auditActions(id)).toEqual(["demand_submitted", "demand_published", "demand_response_created", "demand_response_updated"]);
  });

  it("only approved providers respond, never to their own demand or a closed one", async () => {
    const id = await publishedDemand("13800000003", { title: "只允许服务商响应的需求" });
    const count = async () => (await t.deps.db.query<{ n: number }>("select count(*)::int as n from demand_responses where demand_id = $1", [id]))[0]!.n;
    const ent = await signIn(t, "13800000004");
    await ent.get(`/demands/${id}`);
    expect((await ent.post(`/demands/${id}/respond`, { proposal: "我们不是服务商但也想响应一下。", quotedPrice: "", productId: "" })).status).toBe(403);
    expect((await ent.get("/provider/responses")).status).toBe(403);
    const anon = new Browser(t);
    await anon.get("/login");
    expect((await anon.post(`/demands/${id}/respond`, { proposal: "匿名用户不能响应需求。", quotedPrice: "", productId: "" })).status).toBe(303);
    expect(await count()).toBe(0);

    // Provider 9 publishes a demand itself (it is a certified enterprise) and cannot answer it.
    const ownId = await publishedDemand("13800000009", { title: "服务商自己发布的需求", contactPhone: "13800000009" });
    const p9 = await signIn(t, "13800000009");
    await p9.get(`/demands/${ownId}`);
    expect(p9.lastHtml).toContain("这是贵企业发布的需求，不能响应");
    expect((await p9.post(`/demands/${ownId}/respond`, { proposal: "自己响应自己的需求不被允许。", quotedPrice: "", productId: "" })).status).toBe(403);

    // Closed: 404 for a provider.
    const owner = await signIn(t, "13800000003");
    await owner.get(`/me/demands/${id}`);
    await owner.post(`/me/demands/${id}/close`, {});
    await p9.get("/demands");
    expect((await p9.post(`/demands/${id}/respond`, { proposal: "需求关闭后不能再响应。", quotedPrice: "", productId: "" })).status).toBe(404);
    expect(await count()).toBe(0);
  });
});

describe("escaping", () => {
  it("a demand titled and described <script>alert(1)</script> is escaped on the public list, detail, admin and me pages", async () => {
    const xss = "<script>alert(1)</script>";
    const escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";
    const b = await signIn(t, "13800000004");
    const id = await publishForm(b, { ...GOOD(), title: xss, description: `${xss} 需要一套数字化改造方案`, contactPhone: "13800000004" });
    const r = await signInAdmin(t, "reviewer");
    const pages: [Browser, string][] = [
      [b, "/me/demands"],
      [b, `/me/demands/${id}`],
      [r, "/admin/demands"],
      [r, `/admin/demands/${id}`],
    ];
    for (const [who, path] of pages) {
      await who.get(path);
      expect(who.lastHtml, path).toContain(escaped);
      expect(who.lastHtml, path).not.toContain(xss);
    }
    expect((await r.post(`/admin/demands/${id}/decision`, { decision: "approve", reason: "" })).status).toBe(303);
    const pub = new Browser(t);
    for (const path of ["/demands", `/demands/${id}`, `/demands?q=script`]) {
      await pub.get(path);
      expect(pub.lastHtml, path).toContain(escaped);
      expect(pub.lastHtml, path).not.toContain(xss);
    }
  });
});

describe("已截止 (deadline passed, by the Clock port)", () => {
  it("leaves the default list, shows 已截止 under 全部, refuses responses and publishing", async () => {
    const clock = testClock(new Date());
    const t2 = await makeTestApp({ demo: true, clock });
    try {
      const acc = (await t2.deps.db.query<{ id: string }>("select id from accounts where phone = '13800000003'"))[0]!.id;
      const [rev] = await t2.deps.db.query<{ id: string; role: string }>("select id, role from admin_users where username = 'reviewer'");
      const day = shanghaiToday(clock.now());
      const submit = async (title: string) => {
        const res = await t2.deps.demands.submit(acc, { ...GOOD(), title, deadline: addDays(day, 1) });
        if (!res.ok) throw new Error(JSON.stringify(res.errors));
        return res.value.id;
      };
      const id = await submit("两天后截止的检测需求");
      const late = await submit("来不及审核的需求");
      expect((await t2.deps.demands.decide(rev!, id, { decision: "approve", reason: "" })).ok).toBe(true);
      clock.advance(3 * 86400_000);

      const pub = new Browser(t2);
      await pub.get("/demands");
      expect(pub.lastHtml).not.toContain("两天后截止的检测需求");
      await pub.get("/demands?status=all");
      expect(pub.lastHtml).toContain("两天后截止的检测需求");
      expect(pub.lastHtml).toContain('<span class="status status-uncertified">已截止</span>');
      await pub.get(`/demands/${id}`);
      expect(pub.lastHtml).toContain("已截止");
      expect(pub.lastHtml).not.toContain("入库服务商登录后可响应此需求");

      const p = new Browser(t2);
      await p.get("/login");
      await p.post("/login/password", { phone: "13800000008", password: "Demo#2026", captcha: "TEST", captchaId: p.captchaId() });
      await p.get(`/demands/${id}`);
      expect(p.lastHtml).toContain("该需求已截止，不能再响应");
      expect(p.lastHtml).not.toContain('name="proposal"');
      expect((await p.post(`/demands/${id}/respond`, { proposal: "截止以后提交的响应方案。", quotedPrice: "", productId: "" })).status).toBe(303);
      await p.get(`/demands/${id}`);
      expect(p.lastHtml).toContain("该需求已截止或已关闭，不能再响应");
      expect((await t2.deps.db.query("select 1 from demand_responses where demand_id = $1", [id])).length).toBe(0);

      // The reviewer cannot publish a demand whose deadline passed while it waited.
      const res = await t2.deps.demands.decide(rev!, late, { decision: "approve", reason: "" });
      expect(res).toMatchObject({ ok: false, status: 409 });
      expect((await t2.deps.db.query<{ status: string }>("select status from demands where id = $1", [late]))[0]!.status).toBe("pending");
      expect(await t2.deps.demands.latestPublished(50).then((l) => l.some((d) => d.id === id))).toBe(false);
    } finally {
      await t2.close();
    }
  });
});
