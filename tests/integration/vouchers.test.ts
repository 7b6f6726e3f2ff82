import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { SAMPLE_PDF, SAMPLE_PNG } from "../support/client.ts";
import { certify, pendingApplicationId, registerNew, signIn, signInAdmin } from "../support/flows.ts";
import { creditCodeCheckChar } from "../../src/modules/enterprises/codes.ts";

let t: TestApp;
let generalId: string;
let specialId: string;
beforeAll(async () => {
  t = await makeTestApp({ demo: true });
  const rows = await t.deps.db.query<{ id: string; kind: string }>("select id, kind from voucher_programmes");
  generalId = rows.find((r) => r.kind === "general")!.id;
  specialId = rows.find((r) => r.kind === "special")!.id;
});
afterAll(async () => t?.close());

let codeSeq = 0;
/** A newly registered and certified enterprise (small: 80 people, 900 万元). */
async function certifiedNew(name: string) {
  const { b, phone } = await registerNew(t, name);
  const code17 = `9145030${String(Date.now() % 1e6).padStart(6, "0")}${String(++codeSeq).padStart(4, "0")}`.slice(0, 17);
  await certify(b, { name, creditCode: code17 + creditCodeCheckChar(code17), staffCount: "80", revenueWan: "900" });
  const id = await pendingApplicationId(t, phone);
  const r = await signInAdmin(t, "reviewer");
  await r.get(`/admin/certifications/${id}`);
  await r.post(`/admin/certifications/${id}/decision`, { decision: "approve", reason: "" });
  return { b, phone };
}

const apps = async (phone: string) =>
  t.deps.db.query<{ status: string; requested_fen: number; approved_fen: number | null; source: string }>(
    `select q.status, q.requested_fen, q.approved_fen, q.source from quota_applications q join enterprises e on e.id = q.enterprise_id
       join accounts a on a.id = e.account_id where a.phone = $1 order by q.submitted_at`,
    [phone],
  );

describe("服务券配额申请: 通用券", () => {
  it("apply -> 配额成功 -> 待审核 -> reviewer approves -> 去使用, and 我的服务券 shows the balance", async () => {
    const { b, phone } = await certifiedNew("通用券测试有限公司");
    await b.get("/me/quota");
    expect(b.lastHtml).toContain(">服务券配额申请</a>");
    expect(b.lastHtml).toContain("¥30,000.00（按小型企业）");
    await b.get(`/me/quota/${generalId}/apply`);
    expect(b.lastHtml).toContain('<dialog id="apply-dialog" open');
    expect(b.lastHtml).toContain("确定配额申请");
    const res = await b.post(`/me/quota/${generalId}/apply`, {});
    expect(res.headers.get("Location")).toBe("/me/quota");
    await b.get("/me/quota");
    expect(b.lastHtml).toContain("配额成功");
    expect(b.lastHtml).toContain('class="state state-pending">待审核<');
    expect(await apps(phone)).toEqual([{ status: "pending", requested_fen: 3_000_000, approved_fen: null, source: "self" }]);

    // Applying twice is refused and changes nothing.
    await b.get("/me/quota");
    expect((await b.post(`/me/quota/${generalId}/apply`, {})).status).toBe(409);
    expect(b.lastHtml).toContain("请勿重复申请");
    expect(b.lastHtml).toContain('class="state state-pending">待审核<');
    expect(await apps(phone)).toHaveLength(1);

    const r = await signInAdmin(t, "reviewer");
    await r.get("/admin/quota?status=pending&q=通用券测试");
    const id = r.lastHtml.match(/href="\/admin\/quota\/([0-9a-f-]{36})"/)![1]!;
    await r.get(`/admin/quota/${id}`);
    expect(r.lastHtml).toContain("通用券测试有限公司");
    expect(r.lastHtml).toContain("已认证");
    await r.post(`/admin/quota/${id}/decision`, { decision: "approve", amount: "", reason: "" });
    // Approving twice is refused.
    await r.get(`/admin/quota/${id}`);
    expect((await r.post(`/admin/quota/${id}/decision`, { decision: "approve", amount: "", reason: "" })).status).toBe(409);

    await b.get("/me/quota");
    expect(b.lastHtml).toContain(">去使用</a>");
    await b.get("/me/vouchers");
    expect(b.lastHtml).toContain("¥30,000.00");
    expect(b.lastHtml).toContain("发放额度");
  });

  it("an approval may lower the amount, with a reason", async () => {
    const { b, phone } = await certifiedNew("核减测试有限公司");
    await b.get(`/me/quota/${generalId}/apply`);
    await b.post(`/me/quota/${generalId}/apply`, {});
    const r = await signInAdmin(t, "reviewer");
    await r.get("/admin/quota?status=pending&q=核减测试");
    const id = r.lastHtml.match(/href="\/admin\/quota\/([0-9a-f-]{36})"/)![1]!;
    await r.get(`/admin/quota/${id}`);
    const noReason = await r.post(`/admin/quota/${id}/decision`, { decision: "approve", amount: "20000", reason: "" });
    expect(noReason.status).toBe(422);
    expect(r.lastHtml).toContain("核减额度时请填写原因");
    const tooMuch = await r.post(`/admin/quota/${id}/decision`, { decision: "approve", amount: "40000", reason: "多给" });
    expect(tooMuch.status).toBe(422);
    expect(r.lastHtml).toContain("核定额度不能超过申请额度");
    await r.post(`/admin/quota/${id}/decision`, { decision: "approve", amount: "20000", reason: "按上年度实际使用情况核定" });
    expect(await apps(phone)).toEqual([{ status: "approved", requested_fen: 3_000_000, approved_fen: 2_000_000, source: "self" }]);
  });

  it("rejected -> 已驳回 with the reason -> 重新申请", async () => {
    const { b, phone } = await certifiedNew("驳回配额测试有限公司");
    await b.get(`/me/quota/${generalId}/apply`);
    await b.post(`/me/quota/${generalId}/apply`, {});
    const r = await signInAdmin(t, "reviewer");
    await r.get("/admin/quota?status=pending&q=驳回配额测试");
    const id = r.lastHtml.match(/href="\/admin\/quota\/([0-9a-f-]{36})"/)![1]!;
    await r.get(`/admin/quota/${id}`);
    expect((await r.post(`/admin/quota/${id}/decision`, { decision: "reject", reason: "" })).status).toBe(422);
    await r.post(`/admin/quota/${id}/decision`, { decision: "reject", reason: "企业划型与实际不符" });
    await b.get("/me/quota");
    expect(b.lastHtml).toContain("已驳回：企业划型与实际不符");
    expect(b.lastHtml).toContain("重新申请");
    await b.get(`/me/quota/${generalId}/apply`);
    await b.post(`/me/quota/${generalId}/apply`, {});
    expect((await apps(phone)).map((a) => a.status)).toEqual(["rejected", "pending"]);
  });
});

describe("服务券配额申请: 专项券", () => {
  it("amount + contract documents -> 确定申领 -> 配额成功 -> reviewer sees the documents and approves", async () => {
    const { b, phone } = await certifiedNew("专项券测试有限公司");
    await b.get(`/me/quota/${specialId}/apply`);
    expect(b.lastHtml).toContain("确定申领");
    const res = await b.postMultipart(
      `/me/quota/${specialId}/apply`,
      { amount: "120000" },
      { documents: { name: "设备采购合同.pdf", bytes: SAMPLE_PDF } },
    );
    expect(res.headers.get("Location")).toBe("/me/quota");
    await b.get("/me/quota");
    expect(b.lastHtml).toContain("配额成功");
    expect(await apps(phone)).toEqual([{ status: "pending", requested_fen: 12_000_000, approved_fen: null, source: "self" }]);
    const r = await signInAdmin(t, "reviewer");
    await r.get("/admin/quota?status=pending&q=专项券测试");
    const id = r.lastHtml.match(/href="\/admin\/quota\/([0-9a-f-]{36})"/)![1]!;
    await r.get(`/admin/quota/${id}`);
    expect(r.lastHtml).toContain("设备采购合同.pdf");
    const fileId = r.lastHtml.match(/href="\/admin\/files\/([0-9a-f-]{36})"/)![1]!;
    expect((await r.request(`/admin/files/${fileId}`)).status).toBe(200);
    // Enterprise B cannot read A's contract documents.
    const other = await signIn(t, "13800000002");
    expect((await other.request(`/files/${fileId}`)).status).toBe(404);
    await r.post(`/admin/quota/${id}/decision`, { decision: "approve", amount: "", reason: "" });
    await b.get("/me/vouchers");
    expect(b.lastHtml).toContain("¥120,000.00");
  });

  it.each([
    [{ amount: "9999" }, true, "申领额度应在¥10,000.00至¥500,000.00之间"],
    [{ amount: "600000" }, true, "之间"],
    [{ amount: "十二万" }, true, "申领额度应为金额，最多两位小数"],
    [{ amount: "" }, true, "请输入申领额度"],
    [{ amount: "120000" }, false, "请上传相关的合同凭证"],
  ])("refuses %j (documents: %s) with a clear message, nothing written", async (fields, withDoc, message) => {
    const { b, phone } = await certifiedNew("专项券错误测试有限公司");
    await b.get(`/me/quota/${specialId}/apply`);
    const res = await b.postMultipart(`/me/quota/${specialId}/apply`, fields, withDoc ? { documents: { name: "合同.pdf", bytes: SAMPLE_PDF } } : {});
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain(message);
    expect(await apps(phone)).toEqual([]);
  });

  it("refuses a disguised document", async () => {
    const { b, phone } = await certifiedNew("伪装文件测试有限公司");
    await b.get(`/me/quota/${specialId}/apply`);
    const res = await b.postMultipart(`/me/quota/${specialId}/apply`, { amount: "20000" }, { documents: { name: "合同.pdf", bytes: SAMPLE_PNG } });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("文件扩展名与内容不符");
    expect(await apps(phone)).toEqual([]);
  });
});

describe("gates and authorisation", () => {
  it("an uncertified enterprise cannot apply", async () => {
    const { b, phone } = await registerNew(t);
    await b.get("/me/quota");
    expect(b.lastHtml).toContain("仅对已完成企业信息认证的企业开放");
    await b.get("/me");
    const res = await b.post(`/me/quota/${generalId}/apply`, {});
    expect(res.status).toBe(303);
    expect(await apps(phone)).toEqual([]);
  });

  it("enterprises cannot review; finance and operator cannot decide", async () => {
    const b = await signIn(t, "13800000004");
    expect((await b.get("/admin/quota")).status).toBe(303);
    const [pending] = await t.deps.db.query<{ id: string }>("select id from quota_applications where status = 'pending' limit 1");
    for (const role of ["finance", "operator"]) {
      const s = await signInAdmin(t, role);
      expect((await s.get("/admin/quota")).status).toBe(403);
      await s.get("/admin");
      expect((await s.post(`/admin/quota/${pending!.id}/decision`, { decision: "approve", amount: "", reason: "" })).status).toBe(403);
    }
    expect((await t.deps.db.query("select status from quota_applications where id = $1", [pending!.id]))[0]).toEqual({ status: "pending" });
  });

  it("B does not see A's vouchers", async () => {
    const a = await signIn(t, "13800000001");
    await a.get("/me/vouchers");
    expect(a.lastHtml).toContain("¥60,000.00");
    const other = await certifiedNew("旁观者有限公司");
    await other.b.get("/me/vouchers");
    expect(other.b.lastHtml).toContain("您还没有可用的服务券");
    expect(other.b.lastHtml).not.toContain("¥60,000.00");
  });
});

describe("annual allocation", () => {
  it("creates one pending application per certified enterprise by 划型, and running again creates none", async () => {
    const s = await signInAdmin(t, "admin");
    await s.get(`/admin/programmes/${generalId}/allocation`);
    const before = (await t.deps.db.query<{ n: number }>("select count(*)::int as n from quota_applications where programme_id = $1", [generalId]))[0]!.n;
    const certified = (await t.deps.db.query<{ n: number }>("select count(*)::int as n from enterprises where certification_status = 'certified'"))[0]!.n;
    await s.post(`/admin/programmes/${generalId}/allocation`, {});
    await s.get(`/admin/programmes/${generalId}/allocation`);
    expect(s.lastHtml).toContain("分配完成");
    const after = (await t.deps.db.query<{ n: number }>("select count(*)::int as n from quota_applications where programme_id = $1", [generalId]))[0]!.n;
    const withApplication = (
      await t.deps.db.query<{ n: number }>("select count(distinct enterprise_id)::int as n from quota_applications where programme_id = $1", [generalId])
    )[0]!.n;
    expect(withApplication).toBe(certified);
    expect(after).toBeGreaterThanOrEqual(before);
    const sizes = await t.deps.db.query<{ size_class: string; requested_fen: number }>(
      "select distinct e.size_class, q.requested_fen from quota_applications q join enterprises e on e.id = q.enterprise_id where q.source = 'allocation' and q.programme_id = $1",
      [generalId],
    );
    const quota: Record<string, number> = { large: 10_000_000, medium: 6_000_000, small: 3_000_000, micro: 1_000_000 };
    for (const r of sizes) expect(r.requested_fen).toBe(quota[r.size_class]);
    await s.post(`/admin/programmes/${generalId}/allocation`, {});
    const again = (await t.deps.db.query<{ n: number }>("select count(*)::int as n from quota_applications where programme_id = $1", [generalId]))[0]!.n;
    expect(again).toBe(after);
    await s.get(`/admin/programmes/${generalId}/allocation`);
    expect(s.lastHtml).toContain("新建配额申请 0 条");
  });

  it("only a super admin may run it", async () => {
    const r = await signInAdmin(t, "reviewer");
    expect((await r.get(`/admin/programmes/${generalId}/allocation`)).status).toBe(403);
    await r.get("/admin");
    expect((await r.post(`/admin/programmes/${generalId}/allocation`, {})).status).toBe(403);
  });
});

describe("programmes (券种) by the super admin", () => {
  it("creates a programme; bad input gets messages and writes nothing", async () => {
    const s = await signInAdmin(t, "admin");
    await s.get("/admin/programmes/new");
    const bad = await s.post("/admin/programmes/new", {
      year: "20x6",
      kind: "general",
      name: "",
      subsidyRate: "150",
      perOrderCap: "-1",
      applyFrom: "2026-02-30",
      applyTo: "2026-01-01",
      validFrom: "2026-01-01",
      validTo: "2025-12-31",
      status: "open",
    });
    expect(bad.status).toBe(422);
    for (const m of [
      "请输入年度",
      "请输入券种名称",
      "补贴比例应为0.01到100之间的百分数",
      "单笔抵扣上限应为金额",
      "请选择申请开始日期",
      "有效期结束日期不能早于开始日期",
      "请至少选择一个可抵扣的服务类别",
    ]) {
      expect(s.lastHtml).toContain(m);
    }
    const count = async () => (await t.deps.db.query<{ n: number }>("select count(*)::int as n from voucher_programmes"))[0]!.n;
    const before = await count();
    const body = new URLSearchParams({
      year: "2027",
      kind: "special",
      name: "2027年度数字化专项券",
      subsidyRate: "40",
      perOrderCap: "100000",
      specialMin: "5000",
      specialMax: "200000",
      requiresDocuments: "yes",
      applyFrom: "2027-01-01",
      applyTo: "2027-06-30",
      validFrom: "2027-01-01",
      validTo: "2027-12-31",
      status: "draft",
    });
    body.append("categories", "digital");
    body.append("categories", "iiot");
    body.set("_csrf", s.csrf());
    const ok = await s.request("/admin/programmes/new", {
      method: "POST",
      body,
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "http://localhost" },
    });
    expect(ok.status).toBe(303);
    expect(await count()).toBe(before + 1);
    const row = (
      await t.deps.db.query("select subsidy_rate_bp, special_max_fen, categories from voucher_programmes where name = '2027年度数字化专项券'")
    )[0];
    expect(row).toEqual({ subsidy_rate_bp: 4000, special_max_fen: 20_000_000, categories: ["digital", "iiot"] });
  });

  it("a reviewer cannot create programmes", async () => {
    const r = await signInAdmin(t, "reviewer");
    expect((await r.get("/admin/programmes/new")).status).toBe(403);
  });
});

describe("admin lists page", () => {
  it.each(["/admin/quota?status=", "/admin/certifications?status=", "/admin/audit"])("%s shows its page number", async (path) => {
    const s = await signInAdmin(t, "admin");
    await s.get(path);
    expect(s.lastStatus).toBe(200);
    expect(s.lastHtml).toMatch(/共 \d+ 条，第 1 \/ \d+ 页/);
  });
});

/** Keys every object inherits: a check written as `value in {...}` lets them through. */
const PROTOTYPE_KEYS = ["constructor", "__proto__", "toString"];

describe("bad input at the edge: prototype keys, huge page numbers, malformed ids", () => {
  const programmeCount = async () => (await t.deps.db.query<{ n: number }>("select count(*)::int as n from voucher_programmes"))[0]!.n;
  const goodProgramme = (s: { csrf(): string }, patch: Record<string, string>, categories = ["digital"]) => {
    const body = new URLSearchParams({
      year: "2027",
      kind: "general",
      name: "原型键测试券",
      subsidyRate: "30",
      perOrderCap: "1000",
      quotaLarge: "1",
      quotaMedium: "1",
      quotaSmall: "1",
      quotaMicro: "1",
      applyFrom: "2027-01-01",
      applyTo: "2027-06-30",
      validFrom: "2027-01-01",
      validTo: "2027-12-31",
      status: "draft",
      ...patch,
    });
    for (const c of categories) body.append("categories", c);
    body.set("_csrf", s.csrf());
    return body;
  };
  const postForm = (s: { request(p: string, i: RequestInit): Promise<Response> }, path: string, body: URLSearchParams) =>
    s.request(path, { method: "POST", body, headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "http://localhost" } });

  it.each(PROTOTYPE_KEYS)("券种 refuses %s as 券种类型, 状态 and 服务类别 (422, nothing stored)", async (key) => {
    const s = await signInAdmin(t, "admin");
    await s.get("/admin/programmes/new");
    const before = await programmeCount();
    for (const [patch, categories, message] of [
      [{ kind: key }, ["digital"], "请选择券种类型"],
      [{ status: key }, ["digital"], "请选择状态"],
      [{}, ["digital", key], "服务类别不正确"],
    ] as const) {
      const res = await postForm(s, "/admin/programmes/new", goodProgramme(s, patch, [...categories]));
      expect(res.status, message).toBe(422);
      expect(await res.text()).toContain(message);
    }
    expect(await programmeCount()).toBe(before);
  });

  it.each(PROTOTYPE_KEYS)("the quota review refuses %s as a decision (422, still pending)", async (key) => {
    const [pending] = await t.deps.db.query<{ id: string }>("select id from quota_applications where status = 'pending' limit 1");
    const r = await signInAdmin(t, "reviewer");
    await r.get(`/admin/quota/${pending!.id}`);
    const res = await r.post(`/admin/quota/${pending!.id}/decision`, { decision: key, amount: "", reason: "" });
    expect(res.status).toBe(422);
    expect(r.lastHtml).toContain("请选择通过或驳回");
    const bad = await r.post(`/admin/quota/${pending!.id}/decision`, { decision: "approve", amount: "1e5", reason: "" });
    expect(bad.status).toBe(422);
    expect(r.lastHtml).toContain("核定额度应为大于0的金额");
    expect((await t.deps.db.query("select status from quota_applications where id = $1", [pending!.id]))[0]).toEqual({ status: "pending" });
  });

  it("the quota queue ignores prototype keys and clamps huge page numbers (200, never 500)", async () => {
    const r = await signInAdmin(t, "reviewer");
    for (const key of PROTOTYPE_KEYS) {
      await r.get(`/admin/quota?status=${key}&source=${key}&programme=${key}`);
      expect(r.lastStatus, key).toBe(200);
    }
    for (const page of ["1e400", "1e18", "99999999999999999999", "-1", "Infinity"]) {
      await r.get(`/admin/quota?status=&page=${page}`);
      expect(r.lastStatus, page).toBe(200);
      expect(r.lastHtml).toMatch(/共 \d+ 条，第 (1|1000) \/ \d+ 页/);
    }
  });

  it("malformed ids in paths answer 404", async () => {
    const s = await signInAdmin(t, "admin");
    for (const id of ["not-a-uuid", "------------------------------------", "1' or '1'='1"]) {
      const path = encodeURIComponent(id);
      expect((await s.get(`/admin/quota/${path}`)).status, id).toBe(404);
      expect((await s.get(`/admin/programmes/${path}`)).status, id).toBe(404);
      expect((await s.get(`/admin/programmes/${path}/allocation`)).status, id).toBe(404);
      await s.get("/admin");
      expect((await s.post(`/admin/programmes/${path}/allocation`, {})).status, id).toBe(404);
      expect((await s.post(`/admin/quota/${path}/decision`, { decision: "approve", amount: "", reason: "" })).status, id).toBe(404);
    }
    const { b } = await certifiedNew("坏编号测试有限公司");
    expect((await b.get("/me/quota/not-a-uuid/apply")).status).toBe(404);
    await b.get("/me/quota");
    expect((await b.post("/me/quota/not-a-uuid/apply", {})).status).toBe(404);
  });
});
