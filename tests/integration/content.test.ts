import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/demo.ts";
import { type TestApp, makeTestApp, testClock } from "../support/app.ts";
import { Browser, SAMPLE_PDF, SAMPLE_PNG } from "../support/client.ts";
import { signIn, signInAdmin } from "../support/flows.ts";

/**
 * 政策资讯: operators write, preview, publish, schedule, pin and take articles offline in
 * /admin/articles; the public reads /news. Runs on PGlite, or PostgreSQL/Redis when configured.
 */

let t: TestApp;
const clock = testClock(new Date("2026-11-27T02:00:00Z"));

beforeAll(async () => {
  t = await makeTestApp({ demo: true, clock });
});
afterAll(async () => {
  await t?.close();
});

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const anon = () => new Browser(t, "http://localhost", "10.9.0.1");

/** The form as the page posts it (multipart, because of the attachments input). */
function form(fields: Record<string, string> = {}): Record<string, string> {
  return { title: "", kind: "notice", summary: "", body: "", publishedAt: "", slug: "", next: "edit", ...fields };
}

/** 新建文章 -> 保存草稿; returns the new article id. */
async function createDraft(b: Browser, fields: Record<string, string>, files: Record<string, { name: string; bytes: Uint8Array }> = {}): Promise<string> {
  await b.get("/admin/articles/new");
  expect(b.lastStatus).toBe(200);
  const res = await b.postMultipart("/admin/articles/new", form(fields), files);
  expect(res.status, b.lastHtml.match(/<div class="error-summary"[\s\S]*?<\/div>/)?.[0]).toBe(303);
  const id = res.headers.get("Location")!.match(UUID)?.[0];
  expect(id).toBeTruthy();
  return id!;
}

async function act(b: Browser, id: string, action: "publish" | "offline" | "pin" | "unpin"): Promise<Response> {
  await b.get(`/admin/articles/${id}`);
  return b.post(`/admin/articles/${id}/${action}`, {});
}

async function row(id: string) {
  const [r] = await t.deps.db.query<{ status: string; title: string; pinned: boolean; published_at: Date | null; body: string; updated_at: Date }>(
    "select status, title, pinned, published_at, body, updated_at from articles where id = $1",
    [id],
  );
  return r;
}
const countArticles = async () => (await t.deps.db.query<{ n: number }>("select count(*)::int as n from articles"))[0]!.n;
const auditActions = async (id: string) =>
  (await t.deps.db.query<{ action: string }>("select action from audit_events where entity_type = 'article' and entity_id = $1 order by id", [id])).map(
    (r) => r.action,
  );

/** The items of a /news page in order: id, pinned badge, publish time. */
function newsItems(html: string) {
  return [...html.matchAll(/<li class="news-item">([\s\S]*?)<\/li>/g)].map((m) => ({
    id: m[1]!.match(/href="\/news\/([0-9a-f-]{36})"/)![1]!,
    pinned: m[1]!.includes('<span class="badge">置顶</span>'),
    at: new Date(m[1]!.match(/datetime="([^"]+)"/)![1]!).getTime(),
    html: m[1]!,
  }));
}

/** Asia/Shanghai wall time for the datetime-local input. */
const shanghaiInput = (d: Date) => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 16);

describe("operator: 草稿 -> 预览 -> 已发布 -> 置顶 -> 已下线 -> 重新发布", () => {
  it("every step shows where it should, keeps the id, and writes an audit event", async () => {
    const op = await signInAdmin(t, "operator");
    await op.get("/admin");
    expect(op.lastHtml).toContain('<a href="/admin/articles">政策资讯管理</a>');

    const title = "关于产线数字化改造服务的补充说明";
    const id = await createDraft(op, {
      title,
      summary: "补充说明摘要",
      body: "## 适用范围\n\n**重点**说明：\n- 第一条\n- 第二条\n\n详见[管理办法](/news/p/voucher-measures)",
    });
    expect(await row(id)).toMatchObject({ status: "draft", title, pinned: false, published_at: null });

    // A draft is not public anywhere.
    const visitor = anon();
    expect((await visitor.get(`/news/${id}`)).status).toBe(404);
    await visitor.get("/news");
    expect(visitor.lastHtml).not.toContain(title);

    // Admin list and preview.
    await op.get("/admin/articles");
    expect(op.lastHtml).toContain(title);
    expect(op.lastHtml).toMatch(new RegExp(`${title}</a>[\\s\\S]*?<td>通知公告</td>\\s*<td>草稿</td>`));
    await op.get(`/admin/articles/${id}/preview`);
    expect(op.lastStatus).toBe(200);
    expect(op.lastHtml).toContain("预览：这是公众将看到的页面");
    expect(op.lastHtml).toContain("<h2>适用范围</h2>");
    expect(op.lastHtml).toContain("<strong>重点</strong>说明：");
    expect(op.lastHtml).toContain("<ul><li>第一条</li><li>第二条</li></ul>");
    expect(op.lastHtml).toContain('<a href="/news/p/voucher-measures" rel="noopener">管理办法</a>');
    expect(op.lastHtml).toMatch(/<button type="submit" class="primary">发布<\/button>/);

    // 发布 (from the preview page's button).
    let res = await op.post(`/admin/articles/${id}/publish`, {});
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe(`/admin/articles/${id}`);
    await op.get(`/admin/articles/${id}`);
    expect(op.lastHtml).toContain("已发布，公众可在政策资讯中看到");
    expect(op.lastHtml).toContain("状态：已发布");
    expect((await row(id))!.published_at!.getTime()).toBe(clock.now().getTime());
    res = await visitor.get(`/news/${id}`);
    expect(res.status).toBe(200);
    expect(visitor.lastHtml).toContain(`<h1>${title}</h1>`);
    expect(visitor.lastHtml).toContain("<h2>适用范围</h2>");
    expect(visitor.lastHtml).toContain("补充说明摘要");
    expect(visitor.lastHtml).toMatch(/发布时间 <time datetime="2026-11-27T02:00:00.000Z">2026-11-27 10:00<\/time>/);
    await visitor.get("/news");
    expect(newsItems(visitor.lastHtml).map((i) => i.id)).toContain(id);

    // 置顶: first on /news (the newest pinned article).
    res = await act(op, id, "pin");
    expect(res.status).toBe(303);
    expect((await row(id))!.pinned).toBe(true);
    await visitor.get("/news");
    expect(newsItems(visitor.lastHtml)[0]).toMatchObject({ id, pinned: true });
    expect((await t.deps.content.latestForHome(3))[0]).toMatchObject({ id, title, kind: "notice", pinned: true });

    // Pinning again changes nothing and records nothing.
    await act(op, id, "pin");

    // Edit keeps the id and changes the live page.
    await op.get(`/admin/articles/${id}`);
    res = await op.postMultipart(
      `/admin/articles/${id}`,
      form({ title: `${title}（修订）`, kind: "notice", body: "修订后的正文", pinned: "yes", publishedAt: shanghaiInput(clock.now()) }),
    );
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe(`/admin/articles/${id}`);
    await visitor.get(`/news/${id}`);
    expect(visitor.lastHtml).toContain(`<h1>${title}（修订）</h1>`);
    expect(visitor.lastHtml).toContain("<p>修订后的正文</p>");
    expect(await row(id)).toMatchObject({ status: "published", pinned: true });

    // 下线: gone from the public pages.
    res = await act(op, id, "offline");
    expect(res.status).toBe(303);
    expect((await row(id))!.status).toBe("offline");
    expect((await visitor.get(`/news/${id}`)).status).toBe(404);
    await visitor.get("/news");
    expect(newsItems(visitor.lastHtml).map((i) => i.id)).not.toContain(id);
    expect((await t.deps.content.latestForHome(10)).map((a) => a.id)).not.toContain(id);
    await op.get(`/admin/articles/${id}`);
    expect(op.lastHtml).toContain("状态：已下线");
    expect(op.lastHtml).toMatch(/<button type="submit" class="primary">重新发布<\/button>/);

    // 重新发布 keeps the 发布时间.
    res = await act(op, id, "publish");
    expect(res.status).toBe(303);
    expect((await visitor.get(`/news/${id}`)).status).toBe(200);
    expect((await row(id))!.published_at!.getTime()).toBe(clock.now().getTime());

    // Publishing twice is refused with a message, nothing changes.
    res = await act(op, id, "publish");
    expect(res.status).toBe(303);
    await op.get(`/admin/articles/${id}`);
    expect(op.lastHtml).toContain("该文章已发布");

    expect(await auditActions(id)).toEqual([
      "article_created",
      "article_published",
      "article_pinned",
      "article_updated",
      "article_offline",
      "article_republished",
    ]);
    expect(op.lastHtml).toContain("办理记录");
    expect(op.lastHtml).toMatch(/重新发布<\/span> → 已发布/);
  });

  it("保存并预览 goes to the preview; unpin from the list returns to the list", async () => {
    const op = await signInAdmin(t, "admin");
    await op.get("/admin/articles/new");
    const res = await op.postMultipart("/admin/articles/new", form({ title: "超级管理员的草稿", body: "正文", next: "preview", pinned: "yes" }));
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toMatch(/^\/admin\/articles\/[0-9a-f-]{36}\/preview$/);
    const id = res.headers.get("Location")!.match(UUID)![0];
    await op.get("/admin/articles?status=draft");
    expect(op.lastHtml).toContain("超级管理员的草稿");
    const unpin = await op.post(`/admin/articles/${id}/unpin`, { back: "/admin/articles?status=draft" });
    expect(unpin.headers.get("Location")).toBe("/admin/articles?status=draft");
    expect((await row(id))!.pinned).toBe(false);
    // A back link outside the articles pages is not followed.
    const pin = await op.post(`/admin/articles/${id}/pin`, { back: "https://evil.example/" });
    expect(pin.headers.get("Location")).toBe(`/admin/articles/${id}`);
  });
});

describe("scheduled articles (test clock)", () => {
  it("a future 发布时间 keeps the article hidden until that time", async () => {
    const op = await signInAdmin(t, "operator");
    const due = new Date(clock.now().getTime() + 2 * 3600_000);
    const title = "定时发布的通知";
    const id = await createDraft(op, { title, body: "两小时后公开", publishedAt: shanghaiInput(due), slug: "scheduled-notice" });
    const res = await act(op, id, "publish");
    expect(res.status).toBe(303);
    await op.get(`/admin/articles/${id}`);
    expect(op.lastHtml).toContain("已设为定时发布，到发布时间后公开");
    expect(op.lastHtml).toContain("状态：定时发布");
    await op.get("/admin/articles");
    expect(op.lastHtml).toMatch(new RegExp(`${title}</a>[\\s\\S]*?<td>定时发布</td>`));

    const visitor = anon();
    expect((await visitor.get(`/news/${id}`)).status).toBe(404);
    expect((await visitor.get("/news/p/scheduled-notice")).status).toBe(404);
    await visitor.get("/news");
    expect(visitor.lastHtml).not.toContain(title);
    expect((await t.deps.content.latestForHome(50)).map((a) => a.id)).not.toContain(id);

    clock.advance(2 * 3600_000 - 60_000);
    expect((await visitor.get(`/news/${id}`)).status).toBe(404);
    clock.advance(60_000);
    expect((await visitor.get(`/news/${id}`)).status).toBe(200);
    const redirect = await visitor.get("/news/p/scheduled-notice");
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("Location")).toBe(`/news/${id}`);
    await visitor.get("/news");
    expect(newsItems(visitor.lastHtml).map((i) => i.id)).toContain(id);
  });
});

describe("public list", () => {
  it("pinned first then newest, filtered by kind, paged", async () => {
    const op = await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'operator'");
    const staff = { id: op[0]!.id, role: "operator" };
    // Twelve back-dated policy documents, one of them pinned.
    const now = clock.now().getTime();
    for (let i = 1; i <= 12; i++) {
      const saved = await t.deps.content.save(
        staff,
        null,
        form({
          title: `分页测试政策文件${i}`,
          kind: "policy",
          body: "正文",
          publishedAt: shanghaiInput(new Date(now - i * 86400_000)),
          pinned: i === 9 ? "yes" : "",
        }),
        [],
        [],
      );
      expect(saved.ok).toBe(true);
      if (saved.ok) expect((await t.deps.content.publish(staff, saved.value.id)).ok).toBe(true);
    }
    const visitor = anon();

    // 全部: pinned before unpinned, newest first within each group.
    await visitor.get("/news");
    expect(visitor.lastHtml).toMatch(/<a href="\/news" aria-current="page"[^>]*>全部<\/a>/);
    const all = newsItems(visitor.lastHtml);
    expect(all).toHaveLength(10);
    const firstUnpinned = all.findIndex((i) => !i.pinned);
    expect(all.slice(firstUnpinned).every((i) => !i.pinned)).toBe(true);
    for (const group of [all.slice(0, firstUnpinned), all.slice(firstUnpinned)]) {
      expect(group.map((i) => i.at)).toEqual([...group.map((i) => i.at)].sort((a, b) => b - a));
    }

    // 政策文件 only, in two pages.
    await visitor.get("/news?kind=policy");
    expect(visitor.lastHtml).toMatch(/<a href="\/news\?kind=policy" aria-current="page"[^>]*>政策文件<\/a>/);
    const total = Number(visitor.lastHtml.match(/共 (\d+) 条/)![1]);
    expect(total).toBeGreaterThanOrEqual(13); // the demo measures and these twelve
    const page1 = newsItems(visitor.lastHtml);
    expect(page1).toHaveLength(10);
    expect(page1[0]!.html).toContain("分页测试政策文件9"); // the pinned one
    expect(page1.every((i) => i.html.includes("政策文件 · 发布时间"))).toBe(true);
    expect(visitor.lastHtml).toContain('href="/news?kind=policy&page=2"');
    await visitor.get("/news?kind=policy&page=2");
    const page2 = newsItems(visitor.lastHtml);
    expect(page2.length).toBe(total - 10);
    expect(page2.some((i) => page1.some((j) => j.id === i.id))).toBe(false);
    expect(page2.every((i) => i.html.includes("政策文件 · 发布时间"))).toBe(true);

    // 通知公告 only.
    await visitor.get("/news?kind=notice");
    const notices = newsItems(visitor.lastHtml);
    expect(notices.length).toBeGreaterThan(0);
    expect(notices.every((i) => i.html.includes("通知公告 · 发布时间"))).toBe(true);

    // Nonsense parameters are ignored, never a 500.
    expect((await visitor.get("/news?kind=evil&page=-3")).status).toBe(200);
    expect(newsItems(visitor.lastHtml)).toHaveLength(10);
    expect((await visitor.get("/news?page=99999")).status).toBe(200);
    expect(newsItems(visitor.lastHtml)).toHaveLength(0);
    expect((await visitor.get("/news/not-an-id")).status).toBe(404);
    expect((await visitor.get("/news/00000000-0000-0000-0000-000000000000")).status).toBe(404);
  });
});

describe("attachments", () => {
  it("are public only while their article is published", async () => {
    const op = await signInAdmin(t, "operator");
    const id = await createDraft(
      op,
      { title: "带附件的政策文件", kind: "policy", body: "见附件" },
      { attachments: { name: "实施细则.pdf", bytes: SAMPLE_PDF } },
    );
    await op.get(`/admin/articles/${id}`);
    const fileId = op.lastHtml.match(/href="\/admin\/articles\/files\/([0-9a-f-]{36})"/)![1]!;
    expect(op.lastHtml).toContain("实施细则.pdf");

    // Staff can read it (preview); the public cannot while it is a draft.
    const staffRes = await op.get(`/admin/articles/files/${fileId}`);
    expect(staffRes.status).toBe(200);
    expect(new Uint8Array(await staffRes.arrayBuffer())).toEqual(SAMPLE_PDF);
    const visitor = anon();
    expect((await visitor.get(`/news/files/${fileId}`)).status).toBe(404);

    await act(op, id, "publish");
    await visitor.get(`/news/${id}`);
    expect(visitor.lastHtml).toContain(`<a href="/news/files/${fileId}" download>实施细则.pdf</a>`);
    const res = await visitor.get(`/news/files/${fileId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/pdf");
    expect(res.headers.get("Content-Disposition")).toContain("attachment;");
    expect(res.headers.get("Content-Disposition")).toContain(encodeURIComponent("实施细则.pdf"));
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(SAMPLE_PDF);

    await act(op, id, "offline");
    expect((await visitor.get(`/news/files/${fileId}`)).status).toBe(404);
    await act(op, id, "publish");
    expect((await visitor.get(`/news/files/${fileId}`)).status).toBe(200);

    // Add a second attachment and remove the first: the removed file is no longer public.
    await op.get(`/admin/articles/${id}`);
    const edit = await op.postMultipart(
      `/admin/articles/${id}`,
      {
        ...form({ title: "带附件的政策文件", kind: "policy", body: "见附件", publishedAt: shanghaiInput((await row(id))!.published_at!) }),
        removeAttachments: fileId,
      },
      { attachments: { name: "流程图.png", bytes: SAMPLE_PNG } },
    );
    expect(edit.status).toBe(303);
    expect((await visitor.get(`/news/files/${fileId}`)).status).toBe(404);
    await visitor.get(`/news/${id}`);
    const pngId = visitor.lastHtml.match(/href="\/news\/files\/([0-9a-f-]{36})" download>流程图\.png/)![1]!;
    expect((await visitor.get(`/news/files/${pngId}`)).status).toBe(200);
    expect(await auditActions(id)).toContain("article_updated");

    // Another module's file (a certification licence) is never served here.
    const [other] = await t.deps.db.query<{ id: string }>("select id from files where purpose <> 'article' limit 1");
    expect(other).toBeTruthy();
    expect((await visitor.get(`/news/files/${other!.id}`)).status).toBe(404);
    expect((await op.get(`/admin/articles/files/${other!.id}`)).status).toBe(404);

    // An upload that is not a PDF/JPG/PNG is refused with a message; nothing is saved.
    const before = await countArticles();
    await op.get("/admin/articles/new");
    const bad = await op.postMultipart("/admin/articles/new", form({ title: "坏附件", body: "x" }), {
      attachments: { name: "病毒.pdf", bytes: new TextEncoder().encode("MZ not a pdf") },
    });
    expect(bad.status).toBe(422);
    expect(op.lastHtml).toContain("只能上传PDF、JPG或PNG文件");
    expect(await countArticles()).toBe(before);
  });
});

describe("authorisation", () => {
  it("anonymous visitors are sent to the admin login", async () => {
    const visitor = anon();
    const res = await visitor.get("/admin/articles");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/admin/login?next=%2Fadmin%2Farticles");
    expect((await visitor.get("/admin/articles/new")).headers.get("Location")).toContain("/admin/login");
  });

  it("enterprise accounts, reviewers and finance staff cannot read or change articles", async () => {
    const op = await signInAdmin(t, "operator");
    const id = await createDraft(op, { title: "权限测试草稿", body: "正文" });
    const before = await row(id);
    const count = await countArticles();

    // An enterprise's site session does not reach the admin realm: login page for GET, 403 for POST.
    const ent = await signIn(t, "13800000001");
    await ent.get("/me");
    const entCsrf = ent.csrf();
    const entGet = await ent.get("/admin/articles");
    expect(entGet.status).toBe(303);
    expect(entGet.headers.get("Location")).toContain("/admin/login");
    expect((await ent.post(`/admin/articles/${id}/publish`, {}, { csrf: entCsrf })).status).toBe(403);
    expect((await ent.postMultipart("/admin/articles/new", form({ title: "企业发的文章", body: "x" }), {}, { csrf: entCsrf })).status).toBe(403);

    for (const role of ["reviewer", "finance"]) {
      const s = await signInAdmin(t, role);
      await s.get("/admin");
      expect(s.lastHtml).not.toContain("/admin/articles");
      for (const path of ["/admin/articles", "/admin/articles/new", `/admin/articles/${id}`, `/admin/articles/${id}/preview`]) {
        expect((await s.get(path)).status, `${role} GET ${path}`).toBe(403);
      }
      await s.get("/admin");
      for (const action of ["publish", "offline", "pin", "unpin"]) {
        expect((await s.post(`/admin/articles/${id}/${action}`, {})).status, `${role} ${action}`).toBe(403);
      }
      expect((await s.postMultipart(`/admin/articles/${id}`, form({ title: "被篡改", body: "x" }))).status).toBe(403);
      expect((await s.postMultipart("/admin/articles/new", form({ title: "审核员的文章", body: "x" }))).status).toBe(403);
    }
    // The service refuses too, whatever the route does.
    const reviewer = (await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'reviewer'"))[0]!;
    expect(await t.deps.content.publish({ id: reviewer.id, role: "reviewer" }, id)).toMatchObject({ ok: false, status: 403 });
    expect(await t.deps.content.adminList({ id: reviewer.id, role: "finance" }, {}, 1)).toMatchObject({ ok: false, status: 403 });

    expect(await row(id)).toEqual(before);
    expect(await countArticles()).toBe(count);
    expect(await auditActions(id)).toEqual(["article_created"]);
  });
});

describe("bad input", () => {
  it("empty title, oversize body, bad publish time, bad kind, taken slug: 422 and nothing changes", async () => {
    const op = await signInAdmin(t, "operator");
    const count = await countArticles();
    const cases: [Record<string, string>, string][] = [
      [{ title: "   ", body: "正文" }, "请输入标题"],
      [{ title: "长".repeat(121), body: "正文" }, "标题不能超过120个字"],
      [{ title: "超长正文", body: "字".repeat(50_001) }, "正文不能超过50,000个字符"],
      [{ title: "错误时间", body: "正文", publishedAt: "2026-13-45T25:00" }, "发布时间格式不正确"],
      [{ title: "错误时间", body: "正文", publishedAt: "明天上午" }, "发布时间格式不正确"],
      [{ title: "错误类型", body: "正文", kind: "ad" }, "请选择类型"],
      [{ title: "重复链接", body: "正文", slug: "voucher-measures" }, "该固定链接已被其他文章使用"],
      [{ title: "错误链接", body: "正文", slug: "Voucher Measures!" }, "固定链接只能由小写字母"],
    ];
    for (const [fields, message] of cases) {
      await op.get("/admin/articles/new");
      const res = await op.postMultipart("/admin/articles/new", form(fields));
      expect(res.status, message).toBe(422);
      expect(op.lastHtml).toContain("请修改以下问题");
      expect(op.lastHtml).toContain(message);
    }
    expect(await countArticles()).toBe(count);

    // Editing an existing article with bad input changes nothing either.
    const id = await createDraft(op, { title: "将被错误编辑的草稿", body: "原正文" });
    const before = await row(id);
    await op.get(`/admin/articles/${id}`);
    let res = await op.postMultipart(`/admin/articles/${id}`, form({ title: "", body: "新正文" }));
    expect(res.status).toBe(422);
    expect(op.lastHtml).toContain('id="f-title-error"');
    expect(op.lastHtml).toContain("新正文"); // what was typed is kept
    res = await op.postMultipart(`/admin/articles/${id}`, form({ title: "新标题", body: "字".repeat(50_001) }));
    expect(res.status).toBe(422);
    res = await op.postMultipart(`/admin/articles/${id}`, form({ title: "新标题", body: "新正文", publishedAt: "2026-02-30T10:00" }));
    expect(res.status).toBe(422);
    expect(await row(id)).toEqual(before);
    expect(await auditActions(id)).toEqual(["article_created"]);

    // An empty article cannot be published.
    const empty = await createDraft(op, { title: "空文章" });
    res = await act(op, empty, "publish");
    expect(res.status).toBe(303);
    await op.get(`/admin/articles/${empty}`);
    expect(op.lastHtml).toContain("正文和附件不能都为空");
    expect((await row(empty))!.status).toBe("draft");
    // Taking a draft offline is refused.
    await act(op, empty, "offline");
    expect((await row(empty))!.status).toBe("draft");
    // Unknown ids.
    expect((await op.get("/admin/articles/00000000-0000-0000-0000-000000000000")).status).toBe(404);
    await op.get("/admin");
    expect((await op.post("/admin/articles/00000000-0000-0000-0000-000000000000/publish", {})).status).toBe(404);
  });
});

describe("XSS", () => {
  it("a script title and HTML body are escaped in the list, the detail and the admin pages", async () => {
    const op = await signInAdmin(t, "operator");
    const title = "<script>alert(1)</script>";
    const id = await createDraft(op, {
      title,
      summary: '"><img src=x onerror=alert(2)>',
      body: "<img src=x onerror=alert(3)>\n\n[x](javascript:alert%284%29)",
    });
    await act(op, id, "publish");
    await act(op, id, "pin");
    const escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";
    const visitor = anon();
    const pages: [Browser, string][] = [
      [visitor, "/news"],
      [visitor, `/news/${id}`],
      [op, "/admin/articles"],
      [op, `/admin/articles/${id}`],
      [op, `/admin/articles/${id}/preview`],
    ];
    for (const [b, path] of pages) {
      expect((await b.get(path)).status, path).toBe(200);
      expect(b.lastHtml, path).not.toContain(title);
      expect(b.lastHtml, path).toContain(escaped);
      expect(b.lastHtml, path).not.toMatch(/<img src=x/);
      expect(b.lastHtml, path).not.toContain('href="javascript:');
    }
    await visitor.get(`/news/${id}`);
    expect(visitor.lastHtml).toContain("&lt;img src=x onerror=alert(3)&gt;");
    expect(visitor.lastHtml).toContain("[x](javascript:alert%284%29)");
  });
});

describe("demo data, slug and home page surface", () => {
  it("the voucher measures are reachable at /news/p/voucher-measures; seeding twice adds nothing", async () => {
    const visitor = anon();
    const res = await visitor.get("/news/p/voucher-measures");
    expect(res.status).toBe(302);
    const target = res.headers.get("Location")!;
    expect(target).toMatch(/^\/news\/[0-9a-f-]{36}$/);
    await visitor.get(target);
    expect(visitor.lastHtml).toContain("<h1>广西制造业企业培优育强服务券管理办法</h1>");
    expect(visitor.lastHtml).toContain("<strong>通用券</strong>");
    expect(visitor.lastHtml).toContain("<strong>专项券</strong>");
    expect(visitor.lastHtml).toContain("单笔订单最多抵扣50,000元");
    expect(visitor.lastHtml).toContain("单笔订单最多抵扣200,000元");
    expect((await visitor.get("/news/p/no-such-article")).status).toBe(404);
    expect((await visitor.get("/news/p/..%2F..%2Fetc")).status).toBe(404);

    const home = await t.deps.content.latestForHome(20);
    expect(home.length).toBeGreaterThanOrEqual(3);
    const firstUnpinned = home.findIndex((a) => !a.pinned);
    expect(home.slice(firstUnpinned).every((a) => !a.pinned)).toBe(true);
    expect(Object.keys(home[0]!).sort()).toEqual(["id", "kind", "pinned", "publishedAt", "title"]);
    expect(home.some((a) => /^关于开展\d{4}年度服务券申领工作的通知$/.test(a.title) && a.pinned)).toBe(true);
    expect(home.some((a) => a.title === "关于开展服务机构入库申报工作的通知")).toBe(true);

    const count = await countArticles();
    await seedDemo(t.deps);
    expect(await countArticles()).toBe(count);
  });
});
