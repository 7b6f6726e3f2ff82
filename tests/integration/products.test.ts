import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { Browser } from "../support/client.ts";
import { signIn, signInAdmin } from "../support/flows.ts";

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp({ demo: true });
});
afterAll(async () => t?.close());

const CONTENT = "对企业研发、生产、管理、营销各环节进行现场调研与数据采集，评估数字化水平，识别关键短板，形成转型路线图和实施建议。";

/** Posts the product form as a browser does (repeated checkbox names). */
async function saveProduct(b: Browser, path: string, fields: Record<string, string | string[]>) {
  await b.get(path);
  const body = new URLSearchParams();
  body.set("_csrf", b.csrf());
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  const res = await b.request(path, {
    method: "POST",
    body,
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "http://localhost" },
  });
  b.lastHtml = await res.clone().text();
  return res;
}

const GOOD = {
  title: "中小企业数字化转型诊断服务",
  category: "digital",
  voucherKinds: ["general"],
  price: "50000",
  unit: "项",
  content: CONTENT,
  deliverables: "诊断报告一份；数字化转型路线图一份",
  acceptance: "企业签字确认诊断报告；路线图通过企业评审会",
  duration: "30天",
  regions: ["450000"],
};

async function postAction(b: Browser, id: string, action: string) {
  await b.get(`/provider/products/${id}`);
  return b.post(`/provider/products/${id}/${action}`, {});
}

async function publish(provider: Browser, fields: Record<string, string | string[]> = GOOD) {
  const res = await saveProduct(provider, "/provider/products/new", fields);
  expect(res.status).toBe(303);
  const id = res.headers.get("Location")!.split("/").pop()!;
  await postAction(provider, id, "submit");
  return id;
}

async function approve(id: string) {
  const r = await signInAdmin(t, "reviewer");
  await r.get(`/admin/products/${id}`);
  const res = await r.post(`/admin/products/${id}/decision`, { decision: "approve", reason: "" });
  expect(res.status).toBe(303);
  return r;
}

describe("products: lifecycle, pre-review, review, listing", () => {
  it("create -> preview -> submit (pre-review 通过) -> reviewer lists it -> public list and detail with deduction", async () => {
    const provider = await signIn(t, "13800000007");
    const id = await publish(provider);
    await provider.get(`/provider/products/${id}`);
    expect(provider.lastHtml).toContain('自动预审：<strong class="verdict verdict-pass">通过</strong>');
    expect(provider.lastHtml).toContain("待审核");
    // Frozen while in review.
    const edit = await saveProduct(provider, `/provider/products/${id}`, { ...GOOD, price: "1" });
    expect(edit.status).not.toBe(303);
    expect((await new Browser(t).get(`/products/${id}`)).status).toBe(404);

    const r = await signInAdmin(t, "reviewer");
    await r.get("/admin/products");
    expect(r.lastHtml).toContain("中小企业数字化转型诊断服务");
    await approve(id);

    const pub = new Browser(t);
    await pub.get("/services/general?q=数字化转型");
    expect(pub.lastHtml).toContain("中小企业数字化转型诊断服务");
    await pub.get(`/products/${id}`);
    expect(pub.lastHtml).toContain("¥50,000.00");
    expect(pub.lastHtml).toContain("补贴比例 30%");
    expect(pub.lastHtml).toContain("登录</a>后可查看贵企业的补贴券抵扣金额");
    expect(pub.lastHtml).toContain("申请服务");

    // A certified enterprise with an approved 通用券 (demo 1: ¥60,000) sees its deduction: min(50,000 x 30%, 50,000, 60,000).
    const buyer = await signIn(t, "13800000001");
    await buyer.get(`/products/${id}`);
    expect(buyer.lastHtml).toContain("补贴券抵扣金额</dt><dd>¥15,000.00");
    expect(buyer.lastHtml).toContain("企业自付</dt><dd>¥35,000.00");
    expect(buyer.lastHtml).toContain("用券有效期");
  });

  it("pre-review flags negative-list words and missing sections; the reviewer sees the verdict and reasons", async () => {
    const provider = await signIn(t, "13800000008");
    const id = await publish(provider, { ...GOOD, title: "企业家研学旅游考察服务", deliverables: "", acceptance: "" });
    await provider.get(`/provider/products/${id}`);
    expect(provider.lastHtml).toContain("不通过");
    expect(provider.lastHtml).toContain("含有负面清单词语：旅游");
    const r = await signInAdmin(t, "reviewer");
    await r.get("/admin/products");
    expect(r.lastHtml).toContain("verdict-fail");
    await r.get(`/admin/products/${id}`);
    expect(r.lastHtml).toContain("缺少交付清单和验收标准");
    expect((await r.post(`/admin/products/${id}/decision`, { decision: "reject", reason: "" })).status).toBe(422);
    await r.post(`/admin/products/${id}/decision`, { decision: "reject", reason: "服务券不得用于旅游考察" });
    await provider.get(`/provider/products/${id}`);
    expect(provider.lastHtml).toContain("驳回原因：服务券不得用于旅游考察");
  });

  it("editing a listed product makes a new revision; the old one stays listed until approved", async () => {
    const provider = await signIn(t, "13800000009");
    const id = await publish(provider, { ...GOOD, title: "设备上云部署服务", category: "cloud" });
    await approve(id);
    await saveProduct(provider, `/provider/products/${id}`, { ...GOOD, title: "设备上云部署服务（升级版）", category: "cloud", price: "80000" });
    await postAction(provider, id, "submit");
    const pub = new Browser(t);
    await pub.get(`/products/${id}`);
    expect(pub.lastHtml).toContain("设备上云部署服务");
    expect(pub.lastHtml).not.toContain("升级版");
    await approve(id);
    await pub.get(`/products/${id}`);
    expect(pub.lastHtml).toContain("设备上云部署服务（升级版）");
    expect(pub.lastHtml).toContain("¥80,000.00");
    const revs = await t.deps.db.query<{ status: string }>("select status from product_revisions where product_id = $1 order by created_at", [id]);
    expect(revs.map((x) => x.status)).toEqual(["superseded", "approved"]);
  });

  it("下架 / 重新上架 and 撤回", async () => {
    const provider = await signIn(t, "13800000007");
    const id = await publish(provider, { ...GOOD, title: "智能产线改造方案设计", category: "smart-mfg" });
    await postAction(provider, id, "withdraw");
    await provider.get(`/provider/products/${id}`);
    expect(provider.lastHtml).toContain("提交审核");
    await postAction(provider, id, "submit");
    await approve(id);
    await postAction(provider, id, "delist");
    expect((await new Browser(t).get(`/products/${id}`)).status).toBe(404);
    await postAction(provider, id, "relist");
    expect((await new Browser(t).get(`/products/${id}`)).status).toBe(200);
  });
});

describe("public catalog", () => {
  it("filters by category, kind, region and price, searches Chinese text, sorts and pages", async () => {
    const pub = new Browser(t);
    await pub.get("/services?category=digital&kind=general&region=450100&min=10000&max=60000&sort=price_asc");
    expect(pub.lastStatus).toBe(200);
    expect(pub.lastHtml).toContain("中小企业数字化转型诊断服务");
    await pub.get("/services?min=60000");
    expect(pub.lastHtml).not.toContain("中小企业数字化转型诊断服务");
    await pub.get("/services?q=转型诊断");
    expect(pub.lastHtml).toContain("中小企业数字化转型诊断服务");
    await pub.get("/services?q=诊断转型");
    expect(pub.lastHtml).not.toContain("中小企业数字化转型诊断服务");
    await pub.get("/services/special");
    expect(pub.lastHtml).not.toContain("中小企业数字化转型诊断服务");
    // htmx asks for the results fragment only.
    const frag = await pub.request("/services?q=诊断", { headers: { "HX-Request": "true", "HX-Target": "results" } });
    const html = await frag.text();
    expect(html.startsWith('<div id="results"')).toBe(true);
    expect(frag.headers.get("Vary")).toContain("HX-Request");
    // Forged values are ignored, never a 500.
    expect((await pub.get("/services?category=<script>&kind=gold&region=x&min=-1&max=abc&sort=drop&page=99999")).status).toBe(200);
  });
});

describe("authorisation", () => {
  it("provider A cannot edit B's products; a non-provider cannot reach /provider; a suspended provider's products leave the lists", async () => {
    const a = await signIn(t, "13800000007");
    const id = await publish(a, { ...GOOD, title: "甲服务商的专属产品", category: "digital" });
    await approve(id);
    const b = await signIn(t, "13800000008");
    expect((await b.get(`/provider/products/${id}`)).status).toBe(404);
    await b.get("/provider/products");
    const res = await b.post(`/provider/products/${id}/delist`, {});
    expect(res.status).toBe(404);
    expect((await new Browser(t).get(`/products/${id}`)).status).toBe(200);

    const nonProvider = await signIn(t, "13800000002");
    expect((await nonProvider.get("/provider/products")).status).toBe(403);

    const r = await signInAdmin(t, "reviewer");
    const providerId = (
      await t.deps.db.query<{ id: string }>(
        "select p.id from providers p join enterprises e on e.id = p.enterprise_id join accounts x on x.id = e.account_id where x.phone = '13800000007'",
      )
    )[0]!.id;
    await r.get("/admin/providers/list");
    await r.post(`/admin/providers/${providerId}/status`, { action: "suspend", reason: "核查中" });
    const pub = new Browser(t);
    expect((await pub.get(`/products/${id}`)).status).toBe(404);
    await pub.get("/services?q=专属产品");
    expect(pub.lastHtml).not.toContain("甲服务商的专属产品");
    await r.get("/admin/providers/list");
    await r.post(`/admin/providers/${providerId}/status`, { action: "restore", reason: "" });
    expect((await pub.get(`/products/${id}`)).status).toBe(200);
  });
});

describe("a product approved while its provider is suspended (暂停)", () => {
  const providerIdOf = async (phone: string) =>
    (
      await t.deps.db.query<{ id: string }>(
        "select p.id from providers p join enterprises e on e.id = p.enterprise_id join accounts x on x.id = e.account_id where x.phone = $1",
        [phone],
      )
    )[0]!.id;
  const setStatus = async (r: Awaited<ReturnType<typeof signInAdmin>>, providerId: string, action: string) => {
    await r.get("/admin/providers/list");
    expect((await r.post(`/admin/providers/${providerId}/status`, { action, reason: action === "suspend" ? "核查中" : "" })).status).toBe(303);
  };

  it("stays hidden while suspended and appears in the public list and detail after 恢复", async () => {
    const provider = await signIn(t, "13800000009");
    const id = await publish(provider, { ...GOOD, title: "暂停期间审核通过的产品" });
    const providerId = await providerIdOf("13800000009");
    const r = await signInAdmin(t, "reviewer");
    await setStatus(r, providerId, "suspend");
    await approve(id);
    const pub = new Browser(t);
    expect((await pub.get(`/products/${id}`)).status).toBe(404);
    await pub.get(`/services?q=${encodeURIComponent("暂停期间审核通过")}`);
    expect(pub.lastHtml).not.toContain("暂停期间审核通过的产品");

    await setStatus(r, providerId, "restore");
    expect((await pub.get(`/products/${id}`)).status).toBe(200);
    expect(pub.lastHtml).toContain("暂停期间审核通过的产品");
    await pub.get(`/services?q=${encodeURIComponent("暂停期间审核通过")}`);
    expect(pub.lastHtml).toContain(`href="/products/${id}"`);
  });

  it("恢复 also lists a 已上架 product that has no listing row (written by an earlier version)", async () => {
    const provider = await signIn(t, "13800000009");
    const id = await publish(provider, { ...GOOD, title: "缺少上架记录的产品" });
    await approve(id);
    const providerId = await providerIdOf("13800000009");
    const r = await signInAdmin(t, "reviewer");
    await setStatus(r, providerId, "suspend");
    await t.deps.db.query("delete from product_listings where product_id = $1", [id]);
    await setStatus(r, providerId, "restore");
    const pub = new Browser(t);
    expect((await pub.get(`/products/${id}`)).status).toBe(200);
    await pub.get(`/services?q=${encodeURIComponent("缺少上架记录")}`);
    expect(pub.lastHtml).toContain(`href="/products/${id}"`);
  });
});

describe("bad input", () => {
  it.each([
    [{ price: "-100" }, "价格应为金额（元），最多两位小数"],
    [{ price: "999999999" }, "价格应在¥100.00至¥10,000,000.00之间"],
    [{ category: "casino" }, "请选择服务类别"],
    [{ voucherKinds: ["platinum"] }, "服务券类型不正确"],
    [{ content: "" }, "服务内容至少20个字"],
    [{ title: "长".repeat(61) }, "产品名称不能超过60个字"],
  ])("%j: a message, a 422, nothing written", async (patch, message) => {
    const provider = await signIn(t, "13800000008");
    const before = (await t.deps.db.query<{ n: number }>("select count(*)::int as n from products"))[0]!.n;
    const res = await saveProduct(provider, "/provider/products/new", { ...GOOD, ...patch });
    expect(res.status).toBe(422);
    expect(provider.lastHtml).toContain(message);
    expect((await t.deps.db.query<{ n: number }>("select count(*)::int as n from products"))[0]!.n).toBe(before);
  });
});

describe("home page", () => {
  it("shows 通用券服务 and 专项券服务 sections with listed products", async () => {
    const pub = new Browser(t);
    await pub.get("/");
    expect(pub.lastHtml).toContain('aria-label="通用券服务"');
    expect(pub.lastHtml).toContain('aria-label="专项券服务"');
    expect(pub.lastHtml).toContain("数控设备更新选型与实施咨询"); // a demo 专项券 product
    expect(pub.lastHtml).toMatch(/href="\/products\/[0-9a-f-]{36}"/);
  });
});

describe("managed lists (super admin)", () => {
  it("adds a negative word that the pre-review then flags, and adds a category", async () => {
    const s = await signInAdmin(t, "admin");
    await s.get("/admin/catalog-settings");
    expect(s.lastHtml).toContain("包过");
    await s.post("/admin/catalog-settings", { action: "add_word", word: "保证通过" });
    await s.get("/admin/catalog-settings");
    expect(s.lastHtml).toContain("已添加负面清单词语“保证通过”");
    expect((await s.post("/admin/catalog-settings", { action: "add_word", word: "保证通过" })).status).toBe(409);
    expect((await s.post("/admin/catalog-settings", { action: "add_category", code: "Bad Code", name: "" })).status).toBe(422);
    expect(s.lastHtml).toContain("类别代码为2-40位小写字母");
    await s.post("/admin/catalog-settings", { action: "add_category", code: "energy-audit", name: "能源审计" });

    const provider = await signIn(t, "13800000009");
    const id = await publish(provider, { ...GOOD, title: "高新技术企业认定保证通过", category: "energy-audit" });
    await provider.get(`/provider/products/${id}`);
    expect(provider.lastHtml).toContain("含有负面清单词语：保证通过");
  });

  it("only the super admin maintains them", async () => {
    const r = await signInAdmin(t, "reviewer");
    expect((await r.get("/admin/catalog-settings")).status).toBe(403);
    await r.get("/admin");
    expect((await r.post("/admin/catalog-settings", { action: "add_word", word: "x" })).status).toBe(403);
  });
});

describe("covers (SVG or none)", () => {
  const COVER =
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 180"><rect width="320" height="180" fill="#0b5cad"/><text x="20" y="100" fill="#fff">检测</text></svg>';
  const svgFile = (text: string, name = "封面.svg") => ({ name, bytes: new TextEncoder().encode(text), type: "image/svg+xml" });

  /** Posts the product form as multipart, as the browser does once the form has a file input. */
  async function saveWithCover(
    b: Browser,
    path: string,
    fields: Record<string, string | string[]>,
    cover?: { name: string; bytes: Uint8Array; type: string },
  ) {
    await b.get(path);
    const body = new FormData();
    body.set("_csrf", b.csrf());
    for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    if (cover) body.set("cover", new File([cover.bytes as Uint8Array<ArrayBuffer>], cover.name, { type: cover.type }));
    const res = await b.request(path, { method: "POST", body, headers: { Origin: "http://localhost" } });
    b.lastHtml = await res.clone().text();
    return res;
  }
  const productCount = async () => (await t.deps.db.query<{ n: number }>("select count(*)::int as n from products"))[0]!.n;
  const workingRevision = async (productId: string) =>
    (await t.deps.db.query<{ id: string }>("select working_revision_id as id from products where id = $1", [productId]))[0]!.id;

  it("a cover is private until listed, then public with a sandboxing CSP; lists and detail show it", async () => {
    const provider = await signIn(t, "13800000008");
    const res = await saveWithCover(provider, "/provider/products/new", { ...GOOD, title: "带封面的质量检测服务" }, svgFile(COVER));
    expect(res.status, provider.lastHtml.match(/error-summary[\s\S]{0,400}/)?.[0]).toBe(303);
    const id = res.headers.get("Location")!.split("/").pop()!;
    const rev = await workingRevision(id);

    const own = await provider.get(`/covers/${rev}.svg`);
    expect(own.status).toBe(200);
    expect(own.headers.get("Content-Type")).toBe("image/svg+xml");
    expect(own.headers.get("Content-Security-Policy")).toContain("sandbox");
    expect(own.headers.get("Cache-Control")).toContain("no-store");
    expect(await own.text()).toContain('<text x="20" y="100" fill="#fff">检测</text>');
    expect((await provider.get(`/provider/products/${id}`)).status).toBe(200);
    expect(provider.lastHtml).toContain(`src="/covers/${rev}.svg"`);

    const visitor = new Browser(t);
    expect((await visitor.get(`/covers/${rev}.svg`)).status).toBe(404);
    const other = await signIn(t, "13800000007");
    expect((await other.get(`/covers/${rev}.svg`)).status).toBe(404);

    await postAction(provider, id, "submit");
    const reviewer = await signInAdmin(t, "reviewer");
    await reviewer.get(`/admin/products/${id}`);
    expect(reviewer.lastHtml).toContain(`src="/admin/covers/${rev}.svg"`);
    expect((await reviewer.get(`/admin/covers/${rev}.svg`)).status).toBe(200);
    const finance = await signInAdmin(t, "finance");
    expect((await finance.get(`/admin/covers/${rev}.svg`)).status).toBe(403);
    await approve(id);

    const pub = await visitor.get(`/covers/${rev}.svg`);
    expect(pub.status).toBe(200);
    expect(pub.headers.get("Cache-Control")).toContain("public");
    await visitor.get(`/services?q=${encodeURIComponent("带封面的质量检测")}`);
    expect(visitor.lastHtml).toContain(`src="/covers/${rev}.svg"`);
    await visitor.get(`/products/${id}`);
    expect(visitor.lastHtml).toContain(`<img class="cover" src="/covers/${rev}.svg"`);

    // A new revision keeps the cover; 不使用封面 removes it from the new revision only.
    const edit = await saveWithCover(provider, `/provider/products/${id}`, { ...GOOD, title: "带封面的质量检测服务（新版）", coverRemove: "yes" });
    expect(edit.status).toBe(303);
    const next = await workingRevision(id);
    expect(next).not.toBe(rev);
    expect((await provider.get(`/covers/${next}.svg`)).status).toBe(404);
    expect((await visitor.get(`/covers/${rev}.svg`)).status).toBe(200);
    const kept = await saveWithCover(provider, `/provider/products/${id}`, { ...GOOD, title: "带封面的质量检测服务（新版）" }, svgFile(COVER));
    expect(kept.status).toBe(303);
    expect((await provider.get(`/covers/${next}.svg`)).status).toBe(200);
  });

  it("refuses a cover with script, a non-SVG file, and keeps a checked cover across a failed submission", async () => {
    const provider = await signIn(t, "13800000009");
    const before = await productCount();
    let res = await saveWithCover(
      provider,
      "/provider/products/new",
      GOOD,
      svgFile('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" onload="alert(1)"><script>alert(1)</script></svg>'),
    );
    expect(res.status).toBe(422);
    expect(provider.lastHtml).toContain("封面SVG不符合要求");
    res = await saveWithCover(provider, "/provider/products/new", GOOD, {
      name: "封面.png",
      bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47]),
      type: "image/png",
    });
    expect(res.status).toBe(422);
    expect(provider.lastHtml).toContain("封面请选择SVG格式的图片");
    expect(await productCount()).toBe(before);

    res = await saveWithCover(provider, "/provider/products/new", { ...GOOD, title: "" }, svgFile(COVER));
    expect(res.status).toBe(422);
    expect(provider.lastHtml).toContain('name="coverPending"');
    expect(provider.lastHtml).toContain("已选择新封面");
    const pending = provider.lastHtml
      .match(/name="coverPending" value="([^"]*)"/)![1]!
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, "&");
    expect(await productCount()).toBe(before);
    // A forged pending cover is checked again.
    res = await saveWithCover(provider, "/provider/products/new", { ...GOOD, coverPending: '<svg viewBox="0 0 1 1"><script>x</script></svg>' });
    expect(res.status).toBe(422);
    res = await saveWithCover(provider, "/provider/products/new", { ...GOOD, coverPending: pending });
    expect(res.status).toBe(303);
    const id = res.headers.get("Location")!.split("/").pop()!;
    expect((await provider.get(`/covers/${await workingRevision(id)}.svg`)).status).toBe(200);
  });

  it("refuses a cover with an invalid character reference with a message (422), not a 500, and saves nothing", async () => {
    const provider = await signIn(t, "13800000009");
    const before = await productCount();
    for (const ref of ["&#9999999;", "&#xD800;", "&#0;"]) {
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><text>封面${ref}</text></svg>`;
      const res = await saveWithCover(provider, "/provider/products/new", { ...GOOD, title: "字符引用封面测试" }, svgFile(svg));
      expect(res.status, ref).toBe(422);
      expect(provider.lastHtml).toContain("封面SVG不符合要求");
      expect(provider.lastHtml).toContain("无效的字符引用");
    }
    expect(await productCount()).toBe(before);
  });
});

describe("推荐服务 (featured on the home page)", () => {
  it("a reviewer features a listed product; it leads the home page until un-featured or delisted", async () => {
    const featuredSection = (html: string) => {
      const start = html.indexOf("推荐服务</h2>");
      return start < 0 ? "" : html.slice(start, html.indexOf("</section>", start));
    };
    const provider = await signIn(t, "13800000007");
    const id = await publish(provider, { ...GOOD, title: "首页推荐的数字化诊断服务" });
    const reviewer = await approve(id);
    const visitor = new Browser(t);
    await visitor.get("/");
    expect(featuredSection(visitor.lastHtml)).not.toContain("首页推荐的数字化诊断服务");

    await reviewer.get(`/admin/products/${id}`);
    expect(reviewer.lastHtml).toContain("推荐到首页");
    expect((await reviewer.post(`/admin/products/${id}/feature`, { action: "feature" })).status).toBe(303);
    await visitor.get("/");
    expect(featuredSection(visitor.lastHtml)).toContain("首页推荐的数字化诊断服务");

    // Delisting removes it from the home page; relisting brings it back.
    await postAction(provider, id, "delist");
    await visitor.get("/");
    expect(visitor.lastHtml).not.toContain("首页推荐的数字化诊断服务");
    await postAction(provider, id, "relist");
    await visitor.get("/");
    expect(featuredSection(visitor.lastHtml)).toContain("首页推荐的数字化诊断服务");

    await reviewer.get(`/admin/products/${id}`);
    expect((await reviewer.post(`/admin/products/${id}/feature`, { action: "unfeature" })).status).toBe(303);
    await visitor.get("/");
    expect(featuredSection(visitor.lastHtml)).not.toContain("首页推荐的数字化诊断服务");
    const actions = await t.deps.db.query<{ action: string }>(
      "select action from audit_events where entity_id = $1 and action like 'product_%featured' order by id",
      [id],
    );
    expect(actions.map((a) => a.action)).toEqual(["product_featured", "product_unfeatured"]);
  });

  it("only listed products can be featured, and only by reviewers", async () => {
    const provider = await signIn(t, "13800000009");
    const res = await saveProduct(provider, "/provider/products/new", { ...GOOD, title: "尚未上架的产品" });
    const id = res.headers.get("Location")!.split("/").pop()!;
    const reviewer = await signInAdmin(t, "reviewer");
    await reviewer.get(`/admin/products/${id}`);
    expect((await reviewer.post(`/admin/products/${id}/feature`, { action: "feature" })).status).toBe(303);
    await reviewer.get(`/admin/products/${id}`);
    expect(reviewer.lastHtml).toContain("只有已上架的服务产品可以推荐到首页");
    const operator = await signInAdmin(t, "operator");
    await operator.get("/admin");
    expect((await operator.post(`/admin/products/${id}/feature`, { action: "feature" })).status).toBe(403);
    const [row] = await t.deps.db.query<{ featured_at: Date | null }>("select featured_at from products where id = $1", [id]);
    expect(row!.featured_at).toBeNull();
  });
});
