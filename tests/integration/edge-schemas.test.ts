import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { Browser } from "../support/client.ts";
import { signIn, signInAdmin } from "../support/flows.ts";
import { addDays, shanghaiDate } from "../../src/lib/shanghai.ts";

/**
 * The HTTP edge's schemas for catalog, products, demands, messages and content: prototype keys in
 * enum fields are refused with the field's message and store nothing; in query filters they are
 * ignored; page numbers beyond any range are clamped; malformed ids are 404.
 */
let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp({ demo: true });
});
afterAll(async () => t?.close());

const PROTOTYPE_KEYS = ["constructor", "__proto__", "toString"];
const count = async (table: string) => (await t.deps.db.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n;

/** Posts a form as a browser does, repeated names for checkbox groups. */
async function post(b: Browser, page: string, action: string, fields: Record<string, string | string[]>) {
  await b.get(page);
  const body = new URLSearchParams({ _csrf: b.csrf() });
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  const res = await b.request(action, {
    method: "POST",
    body,
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "http://localhost" },
  });
  b.lastHtml = await res.clone().text();
  return res;
}

const PRODUCT = {
  title: "中小企业数字化转型诊断服务",
  category: "digital",
  voucherKinds: ["general"],
  price: "50000",
  unit: "项",
  content: "对企业研发、生产、管理、营销各环节进行现场调研与数据采集，评估数字化水平，识别关键短板，形成转型路线图和实施建议。",
  deliverables: "诊断报告一份",
  acceptance: "企业签字确认诊断报告",
  duration: "30天",
  regions: ["450000"],
};

describe("prototype keys in enum fields: 422 with the field's message, nothing stored", () => {
  it.each(PROTOTYPE_KEYS)("product form: voucherKinds=%s and regions=%s", async (key) => {
    const provider = await signIn(t, "13800000008");
    const before = await count("products");
    for (const [field, message] of [
      ["voucherKinds", "服务券类型不正确"],
      ["regions", "服务区域不正确"],
    ] as const) {
      const res = await post(provider, "/provider/products/new", "/provider/products/new", { ...PRODUCT, [field]: [key] });
      expect(res.status, field).toBe(422);
      expect(provider.lastHtml).toContain(message);
    }
    expect(await count("products")).toBe(before);
  });

  it.each(PROTOTYPE_KEYS)("demand form: cityCode=%s", async (key) => {
    const b = await signIn(t, "13800000003");
    const before = await count("demands");
    const res = await post(b, "/me/demands/new", "/me/demands/new", {
      title: "数控车间设备联网与数据采集",
      category: "digital",
      description: "车间有数控机床20台，希望实现设备联网、状态与产量数据自动采集。",
      budgetMin: "100000",
      budgetMax: "200000",
      cityCode: key,
      districtCode: "",
      deadline: addDays(shanghaiDate(new Date()), 30),
      contactName: "李娜",
      contactPhone: "13800000003",
    });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("请选择所在城市");
    expect(await count("demands")).toBe(before);
  });

  it.each(PROTOTYPE_KEYS)("message form: category=%s", async (key) => {
    const b = await signIn(t, "13800000002");
    const before = await count("messages");
    const res = await post(b, "/messages/new", "/messages", { category: key, content: "请问服务券的有效期是多久？", contactPhone: "13800000002" });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("请选择留言类别");
    expect(await count("messages")).toBe(before);
  });

  it.each(PROTOTYPE_KEYS)("article form: kind=%s; provider application: regions=%s", async (key) => {
    const op = await signInAdmin(t, "operator");
    const before = await count("articles");
    const res = await post(op, "/admin/articles/new", "/admin/articles/new", {
      title: "关于服务券的通知",
      kind: key,
      summary: "",
      body: "正文",
      slug: "",
      publishedAt: "",
    });
    expect(res.status).toBe(422);
    expect(op.lastHtml).toContain("请选择类型");
    expect(await count("articles")).toBe(before);

    const b = await signIn(t, "13800000004");
    const apps = await count("provider_applications");
    const applied = await post(b, "/me/provider-application", "/me/provider-application", {
      categories: ["testing"],
      regions: [key],
      introduction: "我们是一家专业的检验检测机构，拥有CMA资质和二十年经验，服务区内制造企业。",
      qualifications: "",
      contactName: "王五",
      contactPhone: "13812345678",
    });
    expect(applied.status).toBe(422);
    expect(b.lastHtml).toContain("服务区域不正确");
    expect(await count("provider_applications")).toBe(apps);
  });

  it("review decisions and queue actions refuse them too", async () => {
    const r = await signInAdmin(t, "reviewer");
    const [demand] = await t.deps.db.query<{ id: string }>("select id from demands where status = 'pending' limit 1");
    const res = await post(r, `/admin/demands/${demand!.id}`, `/admin/demands/${demand!.id}/decision`, { decision: "constructor", reason: "" });
    expect(res.status).toBe(422);
    expect(r.lastHtml).toContain("请选择通过或驳回");
    expect((await t.deps.db.query<{ status: string }>("select status from demands where id = $1", [demand!.id]))[0]!.status).toBe("pending");
  });
});

describe("query filters ignore prototype keys; every list clamps its page", () => {
  it("public and signed-in lists answer 200", async () => {
    const pub = new Browser(t);
    for (const path of ["/services", "/services/general", "/demands", "/news"]) {
      for (const q of [
        "page=1e400",
        "page=1e18",
        "page=99999999999",
        "kind=constructor&category=__proto__&region=toString&sort=constructor&status=__proto__&city=constructor",
      ]) {
        expect((await pub.get(`${path}?${q}`)).status, `${path}?${q}`).toBe(200);
      }
    }
    const me = await signIn(t, "13800000001");
    for (const path of ["/me/messages", "/me/demands"]) {
      for (const p of ["1e400", "1e18"]) expect((await me.get(`${path}?page=${p}`)).status, path).toBe(200);
    }
    const provider = await signIn(t, "13800000007");
    const [p] = await t.deps.db.query<{ id: string }>("select id from providers where status = 'active' limit 1");
    for (const path of ["/provider/responses", `/providers/${p!.id}`]) {
      for (const n of ["1e400", "1e18"]) expect((await provider.get(`${path}?page=${n}`)).status, path).toBe(200);
    }
  });

  it("admin queues answer 200 and show a page within 1..1000", async () => {
    const r = await signInAdmin(t, "admin");
    for (const path of ["/admin/providers", "/admin/providers/list", "/admin/products", "/admin/demands", "/admin/messages", "/admin/articles"]) {
      for (const q of ["page=1e400", "page=1e18", "page=5000&status=constructor", "status=__proto__&category=toString"]) {
        expect((await r.get(`${path}?${q}`)).status, `${path}?${q}`).toBe(200);
      }
    }
    // Use cases clamp again for callers other than the HTTP edge.
    expect(await t.deps.products.productQueue({ id: "x", role: "reviewer" }, 1e18)).toMatchObject({ value: { pageNo: 1000 } });
    expect(await t.deps.messages.queue({ id: "x", role: "operator" }, {}, Number.POSITIVE_INFINITY)).toMatchObject({ value: { page: 1 } });
  });

  it("malformed ids in paths are 404", async () => {
    const r = await signInAdmin(t, "admin");
    for (const path of [
      "/admin/products/abc",
      "/admin/providers/applications/1'or'1",
      "/admin/messages/abc",
      "/admin/demands/zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
    ]) {
      expect((await r.get(path)).status, path).toBe(404);
    }
    const pub = new Browser(t);
    for (const path of ["/products/abc", "/providers/abc", "/news/files/abc", "/demands/------------------------------------"]) {
      expect((await pub.get(path)).status, path).toBe(404);
    }
  });
});
