import { Hono } from "hono";
import { requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, formFields, formList, formUploads, render, safeNext, sendFile } from "../../web/http.ts";
import { ARTICLE_KIND_TEXT, ARTICLE_STATE_TEXT, ARTICLE_STATUS_TEXT, type Article, BODY_MAX, MAX_ATTACHMENTS, SLUG_MAX, TITLE_MAX, SUMMARY_MAX, shanghaiInputValue } from "./domain.ts";

type Status = 200 | 403 | 404 | 409 | 422;

const labels = {
  kinds: ARTICLE_KIND_TEXT,
  status: ARTICLE_STATUS_TEXT,
  state: ARTICLE_STATE_TEXT,
  limits: { title: TITLE_MAX, summary: SUMMARY_MAX, body: BODY_MAX, slug: SLUG_MAX, attachments: MAX_ATTACHMENTS },
  type: (t: string) => ({ "application/pdf": "PDF", "image/jpeg": "JPG", "image/png": "PNG" })[t] ?? "文件",
  size: (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`),
};

export const ARTICLE_ACTION_TEXT: Record<string, string> = {
  article_created: "创建草稿",
  article_updated: "编辑",
  article_published: "发布",
  article_republished: "重新发布",
  article_offline: "下线",
  article_pinned: "置顶",
  article_unpinned: "取消置顶",
};

const formValues = (a: Article): Record<string, string> => ({
  title: a.title,
  kind: a.kind,
  summary: a.summary,
  body: a.body,
  slug: a.slug ?? "",
  pinned: a.pinned ? "yes" : "",
  publishedAt: shanghaiInputValue(a.publishedAt),
});

const refused = (c: Ctx, res: { status: number; errors: Record<string, string> }) =>
  render(c, res.status === 404 ? "errors/404" : "errors/403", { title: res.status === 404 ? "文章不存在" : "无权访问", message: res.errors._form }, res.status === 404 ? 404 : 403);

export function contentRoutes() {
  const r = new Hono<AppEnv>();

  // ---- 公众端: 政策资讯 ----
  r.get("/news", async (c) => {
    const data = await c.var.deps.content.publicList({ kind: c.req.query("kind"), page: c.req.query("page") });
    return render(c, "public/news", {
      title: data.kind ? ARTICLE_KIND_TEXT[data.kind] : "政策资讯",
      rows: data.rows,
      total: data.total,
      pageNo: data.page,
      pages: data.pages,
      kind: data.kind ?? "",
      query: data.kind ? `kind=${data.kind}` : "",
      labels,
    });
  });
  r.get("/news/p/:slug", async (c) => {
    const a = await c.var.deps.content.bySlug(c.req.param("slug"));
    if (!a) return render(c, "errors/404", { title: "文章不存在或尚未发布" }, 404);
    return c.redirect(`/news/${a.id}`, 302);
  });
  r.get("/news/files/:id", async (c) => {
    const found = await c.var.deps.content.publicAttachment(c.req.param("id"));
    if (!found) return render(c, "errors/404", { title: "附件不存在" }, 404);
    return sendFile(c, found);
  });
  r.get("/news/:id{[0-9a-f-]{36}}", async (c) => {
    const found = await c.var.deps.content.publicArticle(c.req.param("id"));
    if (!found) return render(c, "errors/404", { title: "文章不存在或尚未发布" }, 404);
    return render(c, "public/article", { title: found.article.title, ...found, preview: false, fileBase: "/news/files/", labels });
  });

  // ---- 管理端: 政策资讯管理 ----
  r.get("/admin/articles", requireAdmin("operator", "super_admin"), async (c) => {
    const res = await c.var.deps.content.adminList(c.var.viewer.admin!, { status: c.req.query("status") }, c.req.query("page"));
    if (!res.ok) return refused(c, res);
    const { page: pageNo, status, ...rest } = res.value;
    return render(c, "admin/articles", { title: "政策资讯管理", ...rest, pageNo, status: status ?? "", query: status ? `status=${status}` : "", labels });
  });

  const formPage = async (c: Ctx, id: string | null, values: Record<string, string> | null, errors: Record<string, string> = {}, status: Status = 200) => {
    let current = null;
    if (id) {
      const res = await c.var.deps.content.adminArticle(c.var.viewer.admin!, id);
      if (!res.ok) return refused(c, res);
      current = res.value;
    }
    return render(
      c,
      "admin/article-form",
      {
        title: id ? "编辑文章" : "新建文章",
        id,
        current,
        values: values ?? (current ? formValues(current.article) : { kind: "notice" }),
        errors,
        labels,
        actionText: ARTICLE_ACTION_TEXT,
      },
      status,
    );
  };
  const save = async (c: Ctx, id: string | null) => {
    const f = await formFields(c);
    const uploads = await formUploads(c, "attachments");
    const remove = await formList(c, "removeAttachments");
    const res = await c.var.deps.content.save(c.var.viewer.admin!, id, f, uploads, remove, c.var.requestId);
    if (!res.ok) {
      if (res.status === 403 || res.status === 404) return refused(c, res);
      // The browser does not keep chosen files across the 422 page: say so beside the upload.
      const values = { ...f, attachmentsDropped: uploads.length && !res.errors.attachments ? "yes" : "" };
      return formPage(c, id, values, res.errors, res.status as Status);
    }
    flash(c, "已保存");
    return c.redirect(f.next === "preview" ? `/admin/articles/${res.value.id}/preview` : `/admin/articles/${res.value.id}`, 303);
  };
  r.get("/admin/articles/new", requireAdmin("operator", "super_admin"), (c) => formPage(c, null, null));
  r.post("/admin/articles/new", requireAdmin(), (c) => save(c, null));
  r.get("/admin/articles/:id{[0-9a-f-]{36}}", requireAdmin("operator", "super_admin"), (c) => formPage(c, c.req.param("id"), null));
  r.post("/admin/articles/:id{[0-9a-f-]{36}}", requireAdmin(), (c) => save(c, c.req.param("id")));

  r.get("/admin/articles/:id{[0-9a-f-]{36}}/preview", requireAdmin("operator", "super_admin"), async (c) => {
    const res = await c.var.deps.content.adminArticle(c.var.viewer.admin!, c.req.param("id"));
    if (!res.ok) return refused(c, res);
    return render(c, "public/article", { title: `预览：${res.value.article.title}`, ...res.value, preview: true, fileBase: "/admin/articles/files/", labels });
  });

  r.post("/admin/articles/:id{[0-9a-f-]{36}}/:action{publish|offline|pin|unpin}", requireAdmin(), async (c) => {
    const { content } = c.var.deps;
    const staff = c.var.viewer.admin!;
    const id = c.req.param("id");
    const action = c.req.param("action");
    const f = await formFields(c);
    const back = safeNext(f.back, `/admin/articles/${id}`);
    // 发布 -> publish, 下线 -> takeOffline, 置顶 / 取消置顶 -> setPinned
    const useCase = {
      publish: () => content.publish(staff, id, c.var.requestId),
      offline: () => content.takeOffline(staff, id, c.var.requestId),
      pin: () => content.setPinned(staff, id, true, c.var.requestId),
      unpin: () => content.setPinned(staff, id, false, c.var.requestId),
    }[action as "publish" | "offline" | "pin" | "unpin"];
    const res = await useCase();
    if (!res.ok) {
      if (res.status === 403 || res.status === 404) return refused(c, res);
      flash(c, res.errors._form ?? "操作失败", "error");
    } else if (action === "publish") {
      flash(c, res.value.state === "scheduled" ? "已设为定时发布，到发布时间后公开" : "已发布，公众可在政策资讯中看到");
    } else {
      flash(c, { offline: "已下线，公众将无法再看到该文章", pin: "已置顶", unpin: "已取消置顶" }[action as "offline" | "pin" | "unpin"]);
    }
    return c.redirect(back.startsWith("/admin/articles") ? back : `/admin/articles/${id}`, 303);
  });

  r.get("/admin/articles/files/:fileId", requireAdmin("operator", "super_admin"), async (c) => {
    const res = await c.var.deps.content.adminAttachment(c.var.viewer.admin!, c.req.param("fileId"));
    if (!res.ok) return refused(c, res);
    return sendFile(c, res.value);
  });

  return r;
}
