import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, TEST_CAPTCHA, makeTestApp } from "../support/app.ts";
import { Browser, SAMPLE_PDF, SAMPLE_PNG } from "../support/client.ts";
import { signIn, signInAdmin } from "../support/flows.ts";

/** 我要留言: anonymous and signed-in messages, the operators' queue, replies, 我的留言 and who may see what. */

let t: TestApp;
beforeAll(async () => {
  // Each anonymous visitor below comes from its own IP (X-Forwarded-For), as the rate limit is per IP.
  t = await makeTestApp({ demo: true, env: { TRUST_PROXY: "true" } });
});
afterAll(async () => t?.close());

let ipSeq = 0;
const visitor = () => new Browser(t, "http://localhost", `10.9.${Math.floor(++ipSeq / 250)}.${ipSeq % 250}`);
/** Never a right answer: the captcha alphabet has no S. */
const WRONG_CAPTCHA = "SSSS";

type Row = {
  id: string;
  reference: string;
  status: string;
  account_id: string | null;
  author_name: string | null;
  attachment_file_id: string | null;
  contact_phone: string;
  content: string;
};
const messages = () =>
  t.deps.db.query<Row>(
    "select id, reference, status, account_id, author_name, attachment_file_id, contact_phone, content from messages order by created_at",
  );
const byRef = async (reference: string) => (await t.deps.db.query<Row>("select * from messages where reference = $1", [reference]))[0]!;
const count = async (table = "messages") => (await t.deps.db.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n;
const replies = async (id: string) => t.deps.db.query<{ content: string }>("select content from message_replies where message_id = $1 order by id", [id]);
const events = async (id: string) =>
  (
    await t.deps.db.query<{ action: string; from_status: string | null; to_status: string | null }>(
      "select action, from_status, to_status from audit_events where entity_type = 'message' and entity_id = $1 order by id",
      [id],
    )
  ).map((e) => `${e.action}:${e.from_status ?? ""}->${e.to_status ?? ""}`);

/** Leaves a message through the page (urlencoded, or multipart with an attachment); returns the response. */
async function leave(b: Browser, fields: Record<string, string>, attachment?: { name: string; bytes: Uint8Array }) {
  await b.get("/messages/new");
  const captcha: Record<string, string> = b.lastHtml.includes('name="captchaId"') ? { captcha: TEST_CAPTCHA, captchaId: b.captchaId() } : {};
  const all = { category: "question", content: "请问服务券的有效期是多久？", contactPhone: "13912345678", ...captcha, ...fields };
  return attachment ? b.postMultipart("/messages", all, { attachment }) : b.post("/messages", all);
}
const referenceOf = (res: Response) => res.headers.get("Location")!.match(/^\/messages\/sent\?ref=(LY\d{8})$/)![1]!;

describe("我要留言: anonymous visitors", () => {
  it("needs the graphic captcha: a wrong one is a 422 and stores nothing; the right one gives a 留言编号", async () => {
    const b = visitor();
    await b.get("/messages/new");
    expect(b.lastStatus).toBe(200);
    expect(b.lastHtml).toContain('<dialog id="message-dialog"');
    expect(b.lastHtml).toContain("留言类别");
    expect(b.lastHtml).toContain('name="captchaId"');
    const before = await count();

    let res = await b.post("/messages", {
      category: "question",
      content: "匿名访客的问题留言",
      contactPhone: "13912340001",
      captcha: WRONG_CAPTCHA,
      captchaId: b.captchaId(),
    });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("图形验证码不正确");
    expect(b.lastHtml).toContain("匿名访客的问题留言"); // the typed text comes back
    res = await b.post("/messages", {
      category: "question",
      content: "匿名访客的问题留言",
      contactPhone: "13912340001",
      captcha: "",
      captchaId: b.captchaId(),
    });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("请输入图形验证码");
    expect(await count()).toBe(before);

    res = await b.post("/messages", {
      category: "question",
      content: "匿名访客的问题留言",
      contactPhone: "139 1234 0001",
      captcha: TEST_CAPTCHA,
      captchaId: b.captchaId(),
    });
    expect(res.status).toBe(303);
    const ref = referenceOf(res);
    await b.get(res.headers.get("Location")!);
    expect(b.lastHtml).toContain(ref);
    expect(b.lastHtml).toContain("查询回复");
    expect(b.lastHtml).not.toContain('href="/me/messages"');
    const row = await byRef(ref);
    expect(row).toMatchObject({ status: "pending", account_id: null, author_name: null, contact_phone: "13912340001", content: "匿名访客的问题留言" });
    expect(await events(row.id)).toEqual(["message_sent:->pending"]);
  });

  it("bad input gets a Chinese message beside each field and a 422; nothing is stored", async () => {
    const b = visitor();
    const before = await count();
    const cases: [Record<string, string>, string][] = [
      [{ content: "" }, "请输入留言内容"],
      [{ content: "太短" }, "留言内容至少5个字"],
      [{ content: "长".repeat(2001) }, "留言内容不能超过2000个字"],
      [{ category: "spam" }, "请选择留言类别"],
      [{ contactPhone: "12345" }, "联系电话应为11位手机号"],
      [{ contactPhone: "" }, "请输入联系电话"],
    ];
    for (const [fields, message] of cases) {
      const res = await leave(b, fields);
      expect(res.status, message).toBe(422);
      expect(b.lastHtml).toContain(message);
      expect(b.lastHtml).toContain("请修改以下问题");
    }
    expect(await count()).toBe(before);
  });

  it("at most 5 messages per hour from one IP: the 6th is a 429 and is not stored", async () => {
    const b = visitor();
    for (let i = 1; i <= 5; i++) expect((await leave(b, { content: `同一IP的第${i}条留言` })).status).toBe(303);
    const before = await count();
    const res = await leave(b, { content: "同一IP的第6条留言" });
    expect(res.status).toBe(429);
    expect(b.lastHtml).toContain("留言过于频繁");
    expect(await count()).toBe(before);
    // Another visitor is not affected.
    expect((await leave(visitor(), { content: "另一个IP的留言内容" })).status).toBe(303);
  });
});

describe("我要留言: dialog or page", () => {
  it("a 422 keeps the dialog's 取消 over another page, but not on the page /messages/new itself", async () => {
    const b = await signIn(t, "13800000001");
    const post = async (currentUrl: string) => {
      await b.get("/messages/new");
      const body = new URLSearchParams({ _csrf: b.csrf(), category: "question", content: "", contactPhone: "13912345678" });
      const res = await b.request("/messages", {
        method: "POST",
        body,
        headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "http://localhost", "HX-Request": "true", "HX-Current-URL": currentUrl },
      });
      return { status: res.status, html: await res.text() };
    };
    const over = await post("http://localhost/demands");
    expect(over.status).toBe(422);
    expect(over.html).toContain('method="dialog"');
    const page = await post("http://localhost/messages/new");
    expect(page.status).toBe(422);
    expect(page.html).not.toContain('method="dialog"');
    expect(page.html).toContain("留言内容");
  });

  it("the header link opens the dialog over other pages, and on /messages/new is just the current page", async () => {
    const b = visitor();
    await b.get("/demands");
    expect(b.lastHtml).toContain('<a href="/messages/new" hx-get="/messages/new"');
    await b.get("/messages/new");
    expect(b.lastHtml).toContain('<a href="/messages/new" aria-current="page">我要留言</a>');
    expect(b.lastHtml).not.toContain('hx-get="/messages/new"');
  });
});

describe("我要留言: signed-in enterprises", () => {
  it("no captcha, the phone is prefilled, and the message is tied to the account and its enterprise", async () => {
    const b = await signIn(t, "13800000003");
    await b.get("/messages/new");
    expect(b.lastHtml).not.toContain('name="captchaId"');
    expect(b.lastHtml).toMatch(/id="f-contactPhone" name="contactPhone" type="tel" value="13800000003"/);
    const res = await b.post("/messages", { category: "suggestion", content: "建议增加服务机构评价排序功能", contactPhone: "13800000003" });
    expect(res.status).toBe(303);
    const ref = referenceOf(res);
    await b.get(res.headers.get("Location")!);
    expect(b.lastHtml).toContain(ref);
    expect(b.lastHtml).toContain('href="/me/messages"');
    const row = await byRef(ref);
    expect(row.account_id).not.toBeNull();
    expect(row.author_name).toBe("桂林示例电子科技有限公司");
    await b.get("/me/messages");
    expect(b.lastHtml).toContain(ref);
    expect(b.lastHtml).toContain("待回复");
    expect(b.lastHtml).toContain('<a href="/me/messages" aria-current="page">我的留言</a>');
  });

  it("an attachment (PDF/JPG/PNG) is stored; a renamed .exe is refused and nothing is stored", async () => {
    const b = await signIn(t, "13800000004");
    const [messagesBefore, filesBefore] = [await count(), await count("files")];
    const exe = new Uint8Array([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00]);
    let res = await leave(b, { content: "附件是安装程序改名的文件" }, { name: "说明.pdf", bytes: exe });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("只能上传PDF、JPG或PNG文件");
    res = await leave(b, { content: "附件扩展名与内容不符" }, { name: "截图.pdf", bytes: SAMPLE_PNG });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("文件扩展名与内容不符");
    expect([await count(), await count("files")]).toEqual([messagesBefore, filesBefore]);

    res = await leave(b, { content: "附上相关合同，请帮忙看看" }, { name: "合同.pdf", bytes: SAMPLE_PDF });
    expect(res.status).toBe(303);
    const row = await byRef(referenceOf(res));
    expect(row.attachment_file_id).not.toBeNull();
    const [file] = await t.deps.db.query<{ purpose: string; original_name: string }>("select purpose, original_name from files where id = $1", [
      row.attachment_file_id,
    ]);
    expect(file).toEqual({ purpose: "message", original_name: "合同.pdf" });
  });
});

describe("留言管理: search", () => {
  it("finds a message by 留言编号, by the contact phone, or by words in its content; % and _ are plain characters", async () => {
    const b = await signIn(t, "13800000004");
    const ref = referenceOf(await leave(b, { content: "想咨询检验检测服务的开票流程，100%_需要专票", contactPhone: "13912340000" }));
    const op = await signInAdmin(t, "operator");
    const found = async (q: string) => {
      await op.get(`/admin/messages?status=&q=${encodeURIComponent(q)}`);
      expect(op.lastStatus).toBe(200);
      return op.lastHtml.includes(ref);
    };
    expect(await found(ref)).toBe(true);
    expect(await found(ref.toLowerCase())).toBe(true);
    expect(await found("LY00000000")).toBe(false);
    expect(await found("13912340000")).toBe(true);
    expect(await found("13912340001")).toBe(false);
    expect(await found("开票流程")).toBe(true);
    expect(await found("开票流程不存在")).toBe(false);
    expect(await found("100%_")).toBe(true);
    expect(await found("1_0%")).toBe(false);
    // Other messages are left out of a match.
    await op.get(`/admin/messages?status=&q=${encodeURIComponent(ref)}`);
    expect(op.lastHtml).toMatch(/共 1 条/);
    expect(op.lastHtml).toContain(`value="${ref}"`);
  });
});

describe("留言管理 (operators) and 我的留言", () => {
  it("queue, detail, reply (SMS to the author), several replies, the author reads them, close, no reply after close", async () => {
    const author = await signIn(t, "13800000002");
    const res = await leave(
      author,
      { category: "complaint", content: "服务机构迟迟不接单，请平台协调处理", contactPhone: "13800000002" },
      { name: "聊天记录.png", bytes: SAMPLE_PNG },
    );
    const ref = referenceOf(res);
    const { id } = await byRef(ref);

    const op = await signInAdmin(t, "operator");
    await op.get("/admin");
    expect(op.lastHtml).toContain('href="/admin/messages">留言管理<');
    await op.get("/admin/messages");
    expect(op.lastStatus).toBe(200);
    expect(op.lastHtml).toContain(ref); // default filter 待回复
    await op.get("/admin/messages?status=pending&category=suggestion");
    expect(op.lastHtml).not.toContain(ref);
    await op.get("/admin/messages?status=replied&category=complaint");
    expect(op.lastHtml).not.toContain(ref);
    await op.get("/admin/messages?status=pending&category=complaint");
    expect(op.lastHtml).toContain(ref);
    expect(op.lastHtml).toMatch(/共 \d+ 条，第 1 \/ 1 页/);
    // The demo's replied message is under 已回复.
    await op.get("/admin/messages?status=replied");
    expect(op.lastHtml).toContain("我公司已获批通用券");

    await op.get(`/admin/messages/${id}`);
    for (const s of ["服务机构迟迟不接单，请平台协调处理", "13800000002", "柳州示例汽车零部件有限公司", "投诉", "状态：待回复", "聊天记录.png"])
      expect(op.lastHtml).toContain(s);
    const file = await op.get(`/admin/messages/${id}/attachment`);
    expect(file.status).toBe(200);
    expect(file.headers.get("Content-Disposition")).toMatch(/^attachment;/);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(SAMPLE_PNG);

    // An empty or oversize reply is a 422 and changes nothing.
    await op.get(`/admin/messages/${id}`);
    expect((await op.post(`/admin/messages/${id}/reply`, { content: "  " })).status).toBe(422);
    expect(op.lastHtml).toContain("请输入回复内容");
    expect((await op.post(`/admin/messages/${id}/reply`, { content: "答".repeat(2001) })).status).toBe(422);
    expect(await replies(id)).toEqual([]);

    const smsBefore = (await t.sms.latest(200)).length;
    let r = await op.post(`/admin/messages/${id}/reply`, { content: "您好，已联系服务机构，今天内会接单。" });
    expect(r.status).toBe(303);
    const sms = (await t.sms.latest(200)).slice(0, (await t.sms.latest(200)).length - smsBefore);
    expect(sms.map((m) => [m.phone, m.text])).toEqual([
      ["13800000002", `【服务券平台】您的留言（编号${ref}）已有回复，请登录平台在“个人中心-我的留言”查看。`],
    ]);
    await op.get(`/admin/messages/${id}`);
    expect(op.lastHtml).toContain("状态：已回复");
    r = await op.post(`/admin/messages/${id}/reply`, { content: "补充：如仍未接单请再次留言。" });
    expect(r.status).toBe(303);
    expect((await replies(id)).map((x) => x.content)).toEqual(["您好，已联系服务机构，今天内会接单。", "补充：如仍未接单请再次留言。"]);

    await author.get("/me/messages");
    expect(author.lastHtml).toContain(ref);
    expect(author.lastHtml).toContain("已回复");
    await author.get(`/me/messages/${id}`);
    expect(author.lastHtml).toContain("您好，已联系服务机构，今天内会接单。");
    expect(author.lastHtml).toContain("补充：如仍未接单请再次留言。");
    expect(author.lastHtml).toContain("平台回复");
    const own = await author.get(`/me/messages/${id}/attachment`);
    expect(own.status).toBe(200);

    await op.get(`/admin/messages/${id}`);
    expect((await op.post(`/admin/messages/${id}/close`, {})).status).toBe(303);
    expect((await byRef(ref)).status).toBe("closed");
    // Replying to (or closing) a closed message: 409, nothing changes, no SMS.
    const smsCount = (await t.sms.latest(200)).length;
    await op.get(`/admin/messages/${id}`);
    expect(op.lastHtml).not.toContain(`action="/admin/messages/${id}/reply"`);
    r = await op.post(`/admin/messages/${id}/reply`, { content: "关闭后的回复" });
    expect(r.status).toBe(409);
    expect(op.lastHtml).toContain("该留言已关闭，不能回复");
    r = await op.post(`/admin/messages/${id}/close`, {});
    expect(r.status).toBe(409);
    expect(await replies(id)).toHaveLength(2);
    expect((await byRef(ref)).status).toBe("closed");
    expect((await t.sms.latest(200)).length).toBe(smsCount);
    expect(await events(id)).toEqual([
      "message_sent:->pending",
      "message_replied:pending->replied",
      "message_replied:replied->replied",
      "message_closed:replied->closed",
    ]);
    await author.get(`/me/messages/${id}`);
    expect(author.lastHtml).toContain("已关闭");
  });

  it("an anonymous author gets an SMS with the 留言编号 and reads the reply through 查询回复", async () => {
    const b = visitor();
    const ref = referenceOf(await leave(b, { content: "匿名留言等待回复内容", contactPhone: "13912340099" }));
    const { id } = await byRef(ref);
    const op = await signInAdmin(t, "admin"); // the super admin may reply too
    await op.get(`/admin/messages/${id}`);
    expect(op.lastHtml).toContain("匿名访客");
    expect((await op.post(`/admin/messages/${id}/reply`, { content: "请先注册并完成企业信息认证。" })).status).toBe(303);
    const [notice] = await t.sms.latest(1);
    expect(notice).toMatchObject({
      phone: "13912340099",
      text: `【服务券平台】您的留言（编号${ref}）已有回复，请在平台“我要留言-查询回复”凭留言编号和联系电话查看。`,
    });

    await b.get("/messages/lookup");
    let res = await b.post("/messages/lookup", { reference: ref, phone: "13912340000", captcha: TEST_CAPTCHA, captchaId: b.captchaId() });
    expect(res.status).toBe(404);
    expect(b.lastHtml).toContain("未找到该留言");
    expect(b.lastHtml).not.toContain("请先注册并完成企业信息认证。");
    res = await b.post("/messages/lookup", { reference: ref.toLowerCase(), phone: "13912340099", captcha: WRONG_CAPTCHA, captchaId: b.captchaId() });
    expect(res.status).toBe(422);
    expect(b.lastHtml).not.toContain("请先注册并完成企业信息认证。");
    res = await b.post("/messages/lookup", { reference: ref.toLowerCase(), phone: "13912340099", captcha: TEST_CAPTCHA, captchaId: b.captchaId() });
    expect(res.status).toBe(200);
    expect(b.lastHtml).toContain("请先注册并完成企业信息认证。");
    expect(b.lastHtml).toContain("已回复");
  });
});

describe("who may see and do what", () => {
  it("another enterprise cannot read a message or its attachment (404), nor see it in its list", async () => {
    const author = await signIn(t, "13800000005");
    const ref = referenceOf(
      await leave(author, { content: "只有我和平台能看到的留言", contactPhone: "13800000005" }, { name: "附件.pdf", bytes: SAMPLE_PDF }),
    );
    const { id, attachment_file_id } = await byRef(ref);
    const other = await signIn(t, "13800000006");
    expect((await other.get(`/me/messages/${id}`)).status).toBe(404);
    expect(other.lastHtml).not.toContain("只有我和平台能看到的留言");
    expect((await other.get(`/me/messages/${id}/attachment`)).status).toBe(404);
    expect((await other.get(`/files/${attachment_file_id}`)).status).toBe(404);
    await other.get("/me/messages");
    expect(other.lastHtml).not.toContain(ref);
    // An anonymous visitor is sent to the login page.
    const anon = visitor();
    const res = await anon.get(`/me/messages/${id}`);
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toMatch(/^\/login\?next=/);
  });

  it("reviewer and finance staff cannot open the queue, read, reply or close (403); anonymous visitors are sent to the admin login", async () => {
    const { id } = (await messages())[0]!;
    for (const role of ["reviewer", "finance"]) {
      const s = await signInAdmin(t, role);
      expect((await s.get("/admin/messages")).status, role).toBe(403);
      expect((await s.get(`/admin/messages/${id}`)).status, role).toBe(403);
      expect((await s.get(`/admin/messages/${id}/attachment`)).status, role).toBe(403);
      await s.get("/admin");
      expect(s.lastHtml).not.toContain("/admin/messages");
      const before = await replies(id);
      expect((await s.post(`/admin/messages/${id}/reply`, { content: "无权回复" })).status, role).toBe(403);
      expect((await s.post(`/admin/messages/${id}/close`, {})).status, role).toBe(403);
      expect(await replies(id)).toEqual(before);
    }
    const anon = visitor();
    const res = await anon.get("/admin/messages");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toMatch(/^\/admin\/login/);
    // An enterprise session does not open it either.
    const ent = await signIn(t, "13800000007");
    expect((await ent.get("/admin/messages")).status).toBe(303);
  });

  it("message text is escaped on the admin and 我的留言 pages", async () => {
    const author = await signIn(t, "13800000008");
    const xss = "<script>alert(1)</script>";
    const ref = referenceOf(await leave(author, { content: xss, contactPhone: "13800000008" }));
    const { id } = await byRef(ref);
    const escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";
    const op = await signInAdmin(t, "operator");
    for (const path of ["/admin/messages?status=pending", `/admin/messages/${id}`]) {
      await op.get(path);
      expect(op.lastHtml, path).toContain(escaped);
      expect(op.lastHtml, path).not.toContain(xss);
    }
    await op.get(`/admin/messages/${id}`);
    await op.post(`/admin/messages/${id}/reply`, { content: `<img src=x onerror=alert(2)>` });
    for (const path of ["/me/messages", `/me/messages/${id}`]) {
      await author.get(path);
      expect(author.lastHtml, path).toContain(escaped);
      expect(author.lastHtml, path).not.toContain(xss);
      expect(author.lastHtml, path).not.toContain("<img src=x");
    }
  });
});

describe("demo data", () => {
  it("two messages of 13800000001 (one replied by the operator) and one anonymous, loaded once", async () => {
    const demo = (await messages()).filter((m) => m.content.includes("（演示数据）"));
    expect(demo.map((m) => [m.status, m.account_id === null])).toEqual([
      ["replied", false],
      ["pending", false],
      ["pending", true],
    ]);
    const { seedDemo } = await import("../../src/demo.ts");
    await seedDemo(t.deps);
    expect((await messages()).filter((m) => m.content.includes("（演示数据）"))).toHaveLength(3);
    const b = await signIn(t, "13800000001");
    await b.get("/me/messages");
    expect(b.lastHtml).toContain("已回复");
    expect(b.lastHtml).toContain("待回复");
  });
});
