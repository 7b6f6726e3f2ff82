import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { Browser, SAMPLE_PDF, SAMPLE_PNG } from "../support/client.ts";
import { creditCodeCheckChar } from "../../src/modules/enterprises/codes.ts";
import { STEP2, certify, pendingApplicationId, registerNew, signInAdmin } from "../support/flows.ts";

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp({ demo: true });
});
afterAll(async () => t?.close());

const status = async (phone: string) =>
  (
    await t.deps.db.query<{ s: string }>(
      "select e.certification_status as s from enterprises e join accounts a on a.id = e.account_id where a.phone = $1",
      [phone],
    )
  )[0]!.s;

describe("企业信息认证 wizard", () => {
  it("step 1 -> step 2 -> step 3 -> 待审核, with an audit event and the timeline", async () => {
    const { b, phone } = await registerNew(t, "向导测试有限公司");
    await b.get("/me");
    expect(b.lastHtml).toContain('href="/me/certification/step1"');
    const res = await certify(b, { name: "向导测试有限公司", creditCode: "914403001922038216" });
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/me/certification");
    expect(await status(phone)).toBe("pending");
    await b.get("/me/certification");
    expect(b.lastHtml).toContain("待审核");
    expect(b.lastHtml).toContain("提交企业信息认证");
    expect(b.lastHtml).toContain("未指定（由法定代表人办理）");
    // Under review the wizard is closed.
    const again = await b.get("/me/certification/step1");
    expect(again.status).toBe(303);
    const post = await b.post("/me/certification/step1", { identityRole: "provider", enterpriseType: "llc" });
    expect(post.headers.get("Location")).toBe("/me/certification");
    await b.get("/me/certification");
    expect(b.lastHtml).toContain("审核完成前不能修改");
    const roles = await t.deps.db.query(
      "select c.identity_role from enterprise_certifications c join enterprises e on e.id = c.enterprise_id join accounts a on a.id = e.account_id where a.phone = $1",
      [phone],
    );
    expect(roles).toEqual([{ identity_role: "manufacturer" }]);
  });

  it("step 1 needs both choices; nothing is saved", async () => {
    const { b } = await registerNew(t);
    await b.get("/me/certification/step1");
    const res = await b.post("/me/certification/step1", { identityRole: "", enterpriseType: "hacker" });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("请选择身份角色");
    expect(b.lastHtml).toContain("请选择企业类型");
    expect(
      await t.deps.db.query(
        "select 1 from enterprise_certifications c join enterprises e on e.id = c.enterprise_id where e.name = '新注册测试有限公司' and c.identity_role = 'provider'",
      ),
    ).toEqual([]);
  });

  it("step 2 cannot be reached before step 1", async () => {
    const { b } = await registerNew(t);
    const res = await b.get("/me/certification/step2");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/me/certification/step1");
  });

  it("step 2 keeps what was typed on a validation failure, and the licence already uploaded", async () => {
    const { b } = await registerNew(t);
    await b.get("/me/certification/step1");
    await b.post("/me/certification/step1", { identityRole: "manufacturer", enterpriseType: "llc" });
    await b.get("/me/certification/step2");
    const res = await b.postMultipart(
      "/me/certification/step2",
      { ...STEP2, legalIdNumber: "110105194912310021", action: "next" },
      { licence: { name: "licence.png", bytes: SAMPLE_PNG } },
    );
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("法定代表人身份证号校验位不正确，请核对");
    expect(b.lastHtml).toContain('value="广西示例机械制造有限公司"');
    expect(b.lastHtml).toContain('value="110105194912310021"');
    expect(b.lastHtml).toContain("已上传：");
    // Corrected, without uploading again.
    const ok = await b.postMultipart("/me/certification/step2", { ...STEP2, action: "next" });
    expect(ok.status).toBe(303);
  });

  it("上一步 keeps what was typed (no JavaScript needed)", async () => {
    const { b } = await registerNew(t);
    await b.get("/me/certification/step1");
    await b.post("/me/certification/step1", { identityRole: "manufacturer", enterpriseType: "llc" });
    await b.get("/me/certification/step2");
    const back = await b.postMultipart("/me/certification/step2", { name: "半途公司", address: "某路1号", action: "back" });
    expect(back.headers.get("Location")).toBe("/me/certification/step1");
    await b.get("/me/certification/step1");
    expect(b.lastHtml).toMatch(/value="manufacturer" checked/);
    await b.post("/me/certification/step1", { identityRole: "manufacturer", enterpriseType: "llc" });
    await b.get("/me/certification/step2");
    // The draft shown after 上一步 comes from the typed values kept in the session.
    await b.postMultipart("/me/certification/step2", { name: "半途公司", address: "某路1号", action: "back" });
    await b.get("/me/certification/step2");
    expect(b.lastHtml).toContain('value="半途公司"');
    expect(b.lastHtml).toContain('value="某路1号"');
  });

  it("proposes 企业划型 and keeps the user's correction beside it", async () => {
    const { b, phone } = await registerNew(t);
    await certify(b, { creditCode: "9144030071526726XG", staffCount: "1200", revenueWan: "50000", sizeDeclared: "medium" });
    const id = await pendingApplicationId(t, phone);
    const row = (
      await t.deps.db.query<{ size_proposed: string; size_declared: string; revenue_fen: number }>(
        "select size_proposed, size_declared, revenue_fen from enterprise_certifications where id = $1",
        [id],
      )
    )[0];
    expect(row).toEqual({ size_proposed: "large", size_declared: "medium", revenue_fen: 50000 * 1_000_000 });
    const r = await signInAdmin(t, "reviewer");
    await r.get(`/admin/certifications/${id}`);
    expect(r.lastHtml).toMatch(/企业选择 <strong>中型<\/strong>，系统建议 <strong>大型<\/strong>/);
  });

  it("a credit code failing its check needs explicit confirmation, and is flagged to the reviewer", async () => {
    const { b, phone } = await registerNew(t);
    await b.get("/me/certification/step1");
    await b.post("/me/certification/step1", { identityRole: "manufacturer", enterpriseType: "llc" });
    await b.get("/me/certification/step2");
    const code = "91330100716105852E"; // right shape, wrong check character
    const res = await b.postMultipart(
      "/me/certification/step2",
      { ...STEP2, creditCode: code, action: "next" },
      { licence: { name: "a.pdf", bytes: SAMPLE_PDF } },
    );
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("校验位未通过");
    expect(b.lastHtml).toContain('name="creditCodeConfirm"');
    const ok = await b.postMultipart("/me/certification/step2", { ...STEP2, creditCode: code, creditCodeConfirm: "yes", action: "next" });
    expect(ok.status).toBe(303);
    await b.get("/me/certification/step3");
    await b.post("/me/certification/step3", { action: "submit" });
    const id = await pendingApplicationId(t, phone);
    const r = await signInAdmin(t, "reviewer");
    await r.get("/admin/certifications");
    expect(r.lastHtml).toContain("校验位未通过");
    await r.get(`/admin/certifications/${id}`);
    expect(r.lastHtml).toContain("统一社会信用代码校验位：未通过");
  });

  it("经办人 is all three fields or none", async () => {
    const { b } = await registerNew(t);
    await b.get("/me/certification/step1");
    await b.post("/me/certification/step1", { identityRole: "manufacturer", enterpriseType: "llc" });
    await b.get("/me/certification/step2");
    await b.postMultipart(
      "/me/certification/step2",
      { ...STEP2, creditCode: "91350100M000100Y43", action: "next" },
      { licence: { name: "a.pdf", bytes: SAMPLE_PDF } },
    );
    await b.get("/me/certification/step3");
    const res = await b.post("/me/certification/step3", { agentName: "李四", agentIdNumber: "", agentPhone: "139", action: "submit" });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("请输入经办人身份证号");
    expect(b.lastHtml).toContain("经办人手机号应为11位手机号");
    expect(b.lastHtml).toContain('value="李四"');
  });
});

describe("review (通过 / 驳回) and resubmission", () => {
  it("approve: the enterprise sees 已认证 and its certified facts are recorded", async () => {
    const { b, phone } = await registerNew(t, "通过测试有限公司");
    await certify(b, { name: "通过测试有限公司", creditCode: "91330100716105852F" });
    const id = await pendingApplicationId(t, phone);
    const r = await signInAdmin(t, "reviewer");
    await r.get("/admin/certifications");
    expect(r.lastHtml).toContain("通过测试有限公司");
    await r.get(`/admin/certifications/${id}`);
    const res = await r.post(`/admin/certifications/${id}/decision`, { decision: "approve", reason: "" });
    expect(res.status).toBe(303);
    expect(await status(phone)).toBe("certified");
    const e = (
      await t.deps.db.query("select credit_code, size_class, city_code from enterprises e join accounts a on a.id = e.account_id where a.phone = $1", [
        phone,
      ])
    )[0];
    expect(e).toEqual({ credit_code: "91330100716105852F", size_class: "medium", city_code: "450100" });
    await b.get("/me/certification");
    expect(b.lastHtml).toContain("已认证");
    expect(b.lastHtml).toContain("企业信息认证通过");
    // Decided once.
    await r.get(`/admin/certifications/${id}`);
    const twice = await r.post(`/admin/certifications/${id}/decision`, { decision: "reject", reason: "再来一次" });
    expect(twice.status).toBe(409);
    expect(await status(phone)).toBe("certified");
  });

  it("reject needs a reason; the enterprise sees it, corrects and resubmits as a new application", async () => {
    const { b, phone } = await registerNew(t, "驳回测试有限公司");
    await certify(b, { name: "驳回测试有限公司", creditCode: "91350100M000100Y43" });
    const id = await pendingApplicationId(t, phone);
    const r = await signInAdmin(t, "reviewer");
    await r.get(`/admin/certifications/${id}`);
    const noReason = await r.post(`/admin/certifications/${id}/decision`, { decision: "reject", reason: " " });
    expect(noReason.status).toBe(422);
    expect(r.lastHtml).toContain("驳回时请填写驳回原因");
    expect(await status(phone)).toBe("pending");
    await r.post(`/admin/certifications/${id}/decision`, { decision: "reject", reason: "营业执照不清晰，请重新上传" });
    expect(await status(phone)).toBe("rejected");
    await b.get("/me/certification");
    expect(b.lastHtml).toContain("已驳回");
    expect(b.lastHtml).toContain("营业执照不清晰，请重新上传");
    await b.get("/me");
    expect(b.lastHtml).toContain("去企业信息认证");
    // The wizard starts from what was submitted.
    await b.get("/me/certification/step1");
    await b.post("/me/certification/step1", { identityRole: "manufacturer", enterpriseType: "llc" });
    await b.get("/me/certification/step2");
    expect(b.lastHtml).toContain('value="驳回测试有限公司"');
    await b.postMultipart(
      "/me/certification/step2",
      { ...STEP2, name: "驳回测试有限公司", action: "next" },
      { licence: { name: "清晰版.jpg", bytes: new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]) } },
    );
    await b.get("/me/certification/step3");
    expect((await b.post("/me/certification/step3", { action: "submit" })).status).toBe(303);
    expect(await status(phone)).toBe("pending");
    const apps = await t.deps.db.query<{ status: string }>(
      "select c.status from enterprise_certifications c join enterprises e on e.id = c.enterprise_id join accounts a on a.id = e.account_id where a.phone = $1 order by c.created_at",
      [phone],
    );
    expect(apps.map((a) => a.status)).toEqual(["rejected", "pending"]);
  });

  it("one enterprise per credit code: a second account claiming a certified code is refused", async () => {
    const code = "91450100MA5K00001";
    const unique = code + creditCodeCheckChar(code);
    const a = await registerNew(t, "甲公司");
    await certify(a.b, { name: "甲公司", creditCode: unique });
    const r = await signInAdmin(t, "reviewer");
    const idA = await pendingApplicationId(t, a.phone);
    await r.get(`/admin/certifications/${idA}`);
    await r.post(`/admin/certifications/${idA}/decision`, { decision: "approve", reason: "" });

    const bCo = await registerNew(t, "乙公司");
    await bCo.b.get("/me/certification/step1");
    await bCo.b.post("/me/certification/step1", { identityRole: "manufacturer", enterpriseType: "llc" });
    await bCo.b.get("/me/certification/step2");
    const res = await bCo.b.postMultipart(
      "/me/certification/step2",
      { ...STEP2, name: "乙公司", creditCode: unique, action: "next" },
      { licence: { name: "b.pdf", bytes: SAMPLE_PDF } },
    );
    expect(res.status).toBe(409);
    expect(bCo.b.lastHtml).toContain("该统一社会信用代码已被其他企业认证");
    expect(await status(bCo.phone)).toBe("uncertified");
  });

  it("finance and operator may not decide; an enterprise cannot reach the queue", async () => {
    const { b, phone } = await registerNew(t, "权限测试有限公司");
    const code17 = "91450200MA5L00001";
    await certify(b, { name: "权限测试有限公司", creditCode: code17 + creditCodeCheckChar(code17) });
    const id = await pendingApplicationId(t, phone);
    for (const role of ["finance", "operator"]) {
      const s = await signInAdmin(t, role);
      expect((await s.get("/admin/certifications")).status).toBe(403);
      expect((await s.get(`/admin/certifications/${id}`)).status).toBe(403);
      await s.get("/admin");
      const res = await s.post(`/admin/certifications/${id}/decision`, { decision: "approve", reason: "" });
      expect(res.status).toBe(403);
      expect(await status(phone)).toBe("pending");
    }
    const res = await b.get("/admin/certifications");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toContain("/admin/login");
  });

  it("the queue filters by status, city and 划型, and pages", async () => {
    const r = await signInAdmin(t, "reviewer");
    await r.get("/admin/certifications?status=pending&city=450100&size=medium");
    expect(r.lastStatus).toBe(200);
    expect(r.lastHtml).toMatch(/共 \d+ 条/);
    await r.get("/admin/certifications?status=certified&city=450200");
    expect(r.lastHtml).not.toContain("通过测试有限公司");
    await r.get("/admin/certifications?status=nonsense&size=huge&from=2026-13-45&page=-3");
    expect(r.lastStatus).toBe(200);
  });
});

describe("authorisation: enterprise B cannot read A's records", () => {
  it("licence file, certification and bank account stay with their owner; staff reviewers can read the licence", async () => {
    const a = await registerNew(t, "甲方数据有限公司");
    await certify(a.b, { name: "甲方数据有限公司" });
    const fileId = (
      await t.deps.db.query<{ id: string }>(
        "select f.id from files f join enterprises e on e.id = f.owner_enterprise_id where e.name = '甲方数据有限公司'",
      )
    )[0]!.id;
    await a.b.get("/me/payment-account");
    await a.b.post("/me/payment-account", {
      accountName: "甲方数据有限公司",
      bankName: "中国工商银行",
      bankCityCode: "450100",
      branchName: "南宁分行",
      accountNumber: "6222020200112233445",
    });

    const own = await a.b.request(`/files/${fileId}`);
    expect(own.status).toBe(200);
    expect(own.headers.get("Content-Disposition")).toMatch(/^attachment;/);
    expect(new Uint8Array(await own.arrayBuffer())).toEqual(SAMPLE_PDF);

    const bCo = await registerNew(t, "乙方窥探有限公司");
    const peek = await bCo.b.request(`/files/${fileId}`);
    expect(peek.status).toBe(404);
    await bCo.b.get("/me/certification");
    expect(bCo.b.lastHtml).not.toContain("甲方数据有限公司");
    await bCo.b.get("/me/payment-account");
    expect(bCo.b.lastHtml).not.toContain("3445");
    expect((await new Browser(t).request(`/files/${fileId}`)).status).toBe(303);

    const reviewer = await signInAdmin(t, "reviewer");
    expect((await reviewer.request(`/admin/files/${fileId}`)).status).toBe(200);
    const finance = await signInAdmin(t, "finance");
    expect((await finance.request(`/admin/files/${fileId}`)).status).toBe(404);
  });
});

describe("支付认证", () => {
  it("saves, shows masked outside the owner's form, keeps every change as history", async () => {
    const { b, phone } = await registerNew(t, "支付测试有限公司");
    await b.get("/me/payment-account");
    const bad = await b.post("/me/payment-account", { accountName: "", bankName: "工行", bankCityCode: "450100", branchName: "x", accountNumber: "12ab" });
    expect(bad.status).toBe(422);
    expect(b.lastHtml).toContain("请输入银行开户名");
    expect(b.lastHtml).toContain("银行账号只能包含数字");
    const ok = await b.post("/me/payment-account", {
      accountName: "支付测试有限公司",
      bankName: "中国工商银行",
      bankCityCode: "450100",
      branchName: "南宁民族支行",
      accountNumber: "6222 0202 0011 2233 445",
    });
    expect(ok.status).toBe(303);
    await b.get("/me/payment-account");
    expect(b.lastHtml).toContain("已保存");
    expect(b.lastHtml).toContain("**** **** 3445");
    expect(b.lastHtml).toContain('value="6222020200112233445"'); // the owner's own edit form
    await b.post("/me/payment-account", {
      accountName: "支付测试有限公司",
      bankName: "中国农业银行",
      bankCityCode: "450200",
      branchName: "柳州分行",
      accountNumber: "6228480000000009999",
    });
    await b.get("/me/payment-account");
    expect(b.lastHtml).toContain("修改记录");
    expect(b.lastHtml).toContain("**** **** 9999");
    // Every change is kept as its own row; the numbers are stored sealed (tests/integration/encryption.test.ts).
    const [owner] = await t.deps.db.query<{ id: string }>("select id from accounts where phone = $1", [phone]);
    const { history } = await t.deps.enterprises.bankAccount(owner!.id);
    expect(history.map((h) => h.accountNumber).reverse()).toEqual(["6222020200112233445", "6228480000000009999"]);
    const events = await t.deps.db.query<{ action: string; data: { to: string } }>(
      "select action, data from audit_events where entity_type = 'enterprise' and action like 'bank_account%' and entity_id = (select e.id from enterprises e join accounts a on a.id = e.account_id where a.phone = $1) order by id",
      [phone],
    );
    expect(events.map((e) => e.action)).toEqual(["bank_account_added", "bank_account_changed"]);
    expect(JSON.stringify(events)).not.toContain("6228480000000009999");
  });
});

describe("uploads", () => {
  async function atStep2() {
    const { b } = await registerNew(t);
    await b.get("/me/certification/step1");
    await b.post("/me/certification/step1", { identityRole: "manufacturer", enterpriseType: "llc" });
    await b.get("/me/certification/step2");
    return b;
  }
  it("a renamed .exe as .pdf is refused", async () => {
    const b = await atStep2();
    const before = (await t.deps.db.query("select count(*)::int as n from files"))[0];
    const res = await b.postMultipart(
      "/me/certification/step2",
      { ...STEP2, action: "next" },
      { licence: { name: "licence.pdf", bytes: new Uint8Array([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0]) } },
    );
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("只能上传PDF、JPG或PNG文件");
    expect((await t.deps.db.query("select count(*)::int as n from files"))[0]).toEqual(before);
  });
  it("a PNG named .pdf is refused as disguised", async () => {
    const b = await atStep2();
    const res = await b.postMultipart("/me/certification/step2", { ...STEP2, action: "next" }, { licence: { name: "licence.pdf", bytes: SAMPLE_PNG } });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("文件扩展名与内容不符");
  });
  it("over 10 MB is refused", async () => {
    const b = await atStep2();
    const big = new Uint8Array(10 * 1024 * 1024 + 10);
    big.set(SAMPLE_PDF);
    const res = await b.postMultipart("/me/certification/step2", { ...STEP2, action: "next" }, { licence: { name: "big.pdf", bytes: big } });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("文件不能超过10MB");
  });
  it("a body over the upload limit gets 413", async () => {
    const b = await atStep2();
    const huge = new Uint8Array(12 * 1024 * 1024);
    huge.set(SAMPLE_PDF);
    const res = await b.postMultipart("/me/certification/step2", { ...STEP2, action: "next" }, { licence: { name: "huge.pdf", bytes: huge } });
    expect(res.status).toBe(413);
  });
});

describe("gate", () => {
  it("an uncertified enterprise opening a voucher or ordering page gets an explanation and 去企业信息认证", async () => {
    const { b } = await registerNew(t);
    for (const path of ["/me/quota", "/me/vouchers", "/me/orders"]) {
      const res = await b.get(path);
      expect(res.status).toBe(200);
      expect(b.lastHtml).toContain("仅对已完成企业信息认证的企业开放");
      expect(b.lastHtml).toContain('href="/me/certification/step1"');
    }
  });
});

describe("audit log", () => {
  it("admins browse it with filters", async () => {
    const r = await signInAdmin(t, "admin");
    await r.get("/admin/audit?entityType=enterprise&action=certification_submitted");
    expect(r.lastStatus).toBe(200);
    expect(r.lastHtml).toContain("certification_submitted");
    expect(r.lastHtml).not.toContain(">bank_account_added<");
    const ops = await signInAdmin(t, "operator");
    expect((await ops.get("/admin/audit")).status).toBe(403);
  });

  it("the use case checks the role itself (not only the route's guard) and clamps the page", async () => {
    for (const role of ["operator", "finance"]) {
      const res = await t.deps.auditLog.browse({ role }, {}, 1, 50);
      expect(res.ok ? "ok" : res.status).toBe(403);
    }
    const res = await t.deps.auditLog.browse({ role: "reviewer" }, { entityType: "enterprise" }, 1e18, 50);
    expect(res.ok && res.value.page).toBe(1000);
  });
});

/** Keys every object inherits: a check written as `value in {...}` lets them through. */
const PROTOTYPE_KEYS = ["constructor", "__proto__", "toString"];

describe("bad input at the edge: prototype keys, huge page numbers, malformed ids", () => {
  const certRows = (phone: string) =>
    t.deps.db.query<{
      identity_role: string | null;
      enterprise_type: string | null;
      size_declared: string | null;
      industry: string | null;
      city_code: string | null;
    }>(
      `select c.identity_role, c.enterprise_type, c.size_declared, c.industry, c.city_code from enterprise_certifications c
         join enterprises e on e.id = c.enterprise_id join accounts a on a.id = e.account_id where a.phone = $1`,
      [phone],
    );

  it.each(PROTOTYPE_KEYS)("step 1 refuses %s as 身份角色 and as 企业类型 (422, nothing stored)", async (key) => {
    const { b, phone } = await registerNew(t);
    await b.get("/me/certification/step1");
    const role = await b.post("/me/certification/step1", { identityRole: key, enterpriseType: "llc" });
    expect(role.status).toBe(422);
    expect(b.lastHtml).toContain("请选择身份角色");
    const type = await b.post("/me/certification/step1", { identityRole: "manufacturer", enterpriseType: key });
    expect(type.status).toBe(422);
    expect(b.lastHtml).toContain("请选择企业类型");
    expect(await certRows(phone)).toEqual([]);
  });

  it.each(PROTOTYPE_KEYS)("step 2 refuses %s as 企业划型, 所属行业 and 所在城市 (422, nothing stored)", async (key) => {
    const { b, phone } = await registerNew(t);
    await b.get("/me/certification/step1");
    await b.post("/me/certification/step1", { identityRole: "manufacturer", enterpriseType: "llc" });
    await b.get("/me/certification/step2");
    for (const [field, message] of [
      ["sizeDeclared", "请选择企业划型"],
      ["industry", "请选择所属行业"],
      ["cityCode", "请选择所在城市"],
    ] as const) {
      const res = await b.postMultipart(
        "/me/certification/step2",
        { ...STEP2, [field]: key, action: "next" },
        { licence: { name: "a.pdf", bytes: SAMPLE_PDF } },
      );
      expect(res.status, field).toBe(422);
      expect(b.lastHtml).toContain(message);
    }
    expect(await certRows(phone)).toEqual([
      { identity_role: "manufacturer", enterprise_type: "llc", size_declared: null, industry: null, city_code: null },
    ]);
    // The licence of a refused step is still kept, as on any other refusal.
    expect(b.lastHtml).toContain("已上传：");
  });

  it.each(PROTOTYPE_KEYS)("支付认证 refuses %s as 开户所在地 (422, nothing stored)", async (key) => {
    const { b, phone } = await registerNew(t);
    await b.get("/me/payment-account");
    const res = await b.post("/me/payment-account", {
      accountName: "原型测试有限公司",
      bankName: "中国工商银行",
      bankCityCode: key,
      branchName: "南宁分行",
      accountNumber: "6222020200112233445",
    });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("请选择开户所在地");
    expect(
      await t.deps.db.query(
        "select 1 from enterprise_bank_accounts x join enterprises e on e.id = x.enterprise_id join accounts a on a.id = e.account_id where a.phone = $1",
        [phone],
      ),
    ).toEqual([]);
  });

  it.each(PROTOTYPE_KEYS)("the review refuses %s as a decision (422, still pending)", async (key) => {
    const { b, phone } = await registerNew(t, "原型审核测试有限公司");
    const code17 = `9145010${String(Date.now() % 1e6).padStart(6, "0")}${PROTOTYPE_KEYS.indexOf(key)}999`.slice(0, 17);
    await certify(b, { name: "原型审核测试有限公司", creditCode: code17 + creditCodeCheckChar(code17) });
    const id = await pendingApplicationId(t, phone);
    const r = await signInAdmin(t, "reviewer");
    await r.get(`/admin/certifications/${id}`);
    const res = await r.post(`/admin/certifications/${id}/decision`, { decision: key, reason: "理由" });
    expect(res.status).toBe(422);
    expect(r.lastHtml).toContain("请选择通过或驳回");
    expect(await status(phone)).toBe("pending");
  });

  it("queue and audit filters ignore prototype keys and clamp huge page numbers (200, never 500)", async () => {
    const r = await signInAdmin(t, "admin");
    for (const key of PROTOTYPE_KEYS) {
      await r.get(`/admin/certifications?status=${key}&size=${key}&city=${key}&from=${key}`);
      expect(r.lastStatus, key).toBe(200);
      await r.get(`/admin/audit?actorType=${key}&entityType=${key}&entityId=${key}`);
      expect(r.lastStatus, key).toBe(200);
    }
    for (const page of ["1e400", "1e18", "99999999999999999999", "-1", "Infinity", "2.5"]) {
      for (const path of ["/admin/certifications?status=", "/admin/audit?"]) {
        await r.get(`${path}&page=${page}`);
        expect(r.lastStatus, `${path} page=${page}`).toBe(200);
        expect(r.lastHtml).toMatch(/共 \d+ 条，第 (1|1000) \/ \d+ 页/);
      }
    }
    await r.get("/admin/audit?page=99999999999999999999");
    expect(r.lastHtml).toMatch(/第 1000 \/ \d+ 页/);
  });

  it("malformed ids in paths answer 404", async () => {
    const r = await signInAdmin(t, "reviewer");
    for (const id of ["not-a-uuid", "1' or '1'='1", "------------------------------------"]) {
      const path = encodeURIComponent(id);
      expect((await r.get(`/admin/certifications/${path}`)).status, id).toBe(404);
      expect((await r.request(`/admin/files/${path}`)).status, id).toBe(404);
      await r.get("/admin/certifications");
      expect((await r.post(`/admin/certifications/${path}/decision`, { decision: "approve", reason: "" })).status, id).toBe(404);
    }
    const { b } = await registerNew(t);
    expect((await b.request("/files/not-a-uuid")).status).toBe(404);
  });
});
