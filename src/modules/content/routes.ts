import { Hono } from "hono";
import { z } from "zod";
import { requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, formUploads, render, safeNext, sendFile } from "../../web/http.ts";
import { publicPage } from "../../web/page-cache.ts";
import { checkbox, enumFilter, enumOf, form, optionalText, pageNo, params, query, searchText, text, textList, uuid } from "../../web/validate.ts";
import {
  ARTICLE_KIND_TEXT,
  ARTICLE_STATE_TEXT,
  ARTICLE_STATUS_TEXT,
  type Article,
  BODY_MAX,
  canManageContent,
  MAX_ATTACHMENTS,
  SLUG_MAX,
  TITLE_MAX,
  SUMMARY_MAX,
  shanghaiInputValue,
} from "./domain.ts";

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

const SLUG_MESSAGE = `固定链接只能由小写字母、数字和连字符组成（如 voucher-measures），不超过${SLUG_MAX}个字符`;
const bodyTooLong = (n: number) => `正文不能超过${BODY_MAX.toLocaleString("en-US")}个字符（当前${n.toLocaleString("en-US")}个）`;
/** Markdown keeps its leading indentation: only trailing blanks go; line breaks as \n, no NUL. */
const markdownBody = z.preprocess(
  (v) => {
    const x = Array.isArray(v) ? v[0] : v;
    return typeof x === "string" ? x.replaceAll("\u0000", "").replace(/\r\n?/g, "\n").replace(/\s+$/, "") : (x ?? "");
  },
  z.string({ error: "正文格式不正确" }).superRefine((v, ctx) => {
    const n = [...v].length;
    if (n > BODY_MAX) ctx.addIssue({ code: "custom", message: bodyTooLong(n) });
  }),
);
/** The article form: single-field rules here; the domain reads the 发布时间 and keeps the slug unique. */
const articleSchema = z.object({
  title: text({ max: TITLE_MAX, label: "标题", required: "请输入标题" }),
  kind: enumOf(ARTICLE_KIND_TEXT, "请选择类型（通知公告或政策文件）"),
  summary: optionalText(SUMMARY_MAX, "摘要"),
  body: markdownBody,
  slug: text({ max: SLUG_MAX, label: "固定链接", maxMessage: SLUG_MESSAGE }).refine((v) => !v || /^[a-z0-9]+(-[a-z0-9]+)*$/.test(v.toLowerCase()), {
    error: SLUG_MESSAGE,
  }),
  pinned: checkbox,
  publishedAt: text({ max: 40, label: "发布时间", maxMessage: "发布时间格式不正确，请按“2026-12-01 09:30”填写，或留空表示发布时的当前时间" }),
  next: enumFilter({ edit: "保存", preview: "保存并预览" }),
  removeAttachments: textList(40, "附件不正确"),
});
type ArticleFields = z.output<typeof articleSchema>;
const toArticleForm = (f: ArticleFields): Record<string, string> => ({
  title: f.title,
  kind: f.kind,
  summary: f.summary,
  body: f.body,
  slug: f.slug,
  pinned: f.pinned ? "yes" : "",
  publishedAt: f.publishedAt,
});
/** Where an action returns: a page of the article list (its query kept), nothing else. */
const backSchema = z.object({
  back: searchText(300).transform((s) => (/^\/admin\/articles(?:[/?][\x21-\x7e]*)?$/.test(s) && !s.includes("\\") ? s : "")),
});
const idParam = z.object({ id: uuid() });
const fileParam = z.object({ fileId: uuid() });
const publicQuery = z.object({ page: pageNo, kind: enumFilter(ARTICLE_KIND_TEXT) });
const adminQuery = z.object({ page: pageNo, status: enumFilter(ARTICLE_STATUS_TEXT) });

const refused = (c: Ctx, res: { status: number; errors: Record<string, string> }) =>
  render(
    c,
    res.status === 404 ? "errors/404" : "errors/403",
    { title: res.status === 404 ? "文章不存在" : "无权访问", message: res.errors._form },
    res.status === 404 ? 404 : 403,
  );

export function contentRoutes() {
  const r = new Hono<AppEnv>();
  const articleNotFound = (c: Ctx) => render(c, "errors/404", { title: "文章不存在或尚未发布" }, 404);
  const fileNotFound = (c: Ctx) => render(c, "errors/404", { title: "附件不存在" }, 404);

  // ---- 公众端: 政策资讯 ----
  r.get("/news", publicPage(["content"]), query(publicQuery), async (c) => {
    const data = await c.var.deps.content.publicList(c.req.valid("query"));
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
  r.get("/news/p/:slug", params(z.object({ slug: z.string().regex(/^[A-Za-z0-9-]{1,60}$/) }), articleNotFound), async (c) => {
    const a = await c.var.deps.content.bySlug(c.req.valid("param").slug);
    if (!a) return articleNotFound(c);
    return c.redirect(`/news/${a.id}`, 302);
  });
  r.get("/news/files/:id", params(idParam, fileNotFound), async (c) => {
    const found = await c.var.deps.content.publicAttachment(c.req.valid("param").id);
    if (!found) return fileNotFound(c);
    return sendFile(c, found);
  });
  r.get("/news/:id{[0-9a-f-]{36}}", publicPage(["content"]), params(idParam, articleNotFound), async (c) => {
    const found = await c.var.deps.content.publicArticle(c.req.valid("param").id);
    if (!found) return articleNotFound(c);
    return render(c, "public/article", { title: found.article.title, ...found, preview: false, fileBase: "/news/files/", labels });
  });

  // ---- 管理端: 政策资讯管理 ----
  const notFound = (c: Ctx) => refused(c, { status: 404, errors: { _form: "文章不存在" } });
  const id = params(idParam, notFound);
  r.get("/admin/articles", requireAdmin("operator", "super_admin"), query(adminQuery), async (c) => {
    const q = c.req.valid("query");
    const res = await c.var.deps.content.adminList(c.var.viewer.admin!, { status: q.status }, q.page);
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
  /** The form again with the schema's messages; chosen files are not kept by the browser: say so. */
  const invalid = (articleId: (c: Ctx) => string | null) => async (c: Ctx, errors: Record<string, string>, values: Record<string, string>) => {
    if (!canManageContent(c.var.viewer.admin!.role)) return refused(c, { status: 403, errors: {} });
    const uploads = await formUploads(c, "attachments");
    return formPage(c, articleId(c), { ...values, attachmentsDropped: uploads.length ? "yes" : "" }, errors, 422);
  };
  const save = async (c: Ctx, id: string | null, f: ArticleFields) => {
    const uploads = await formUploads(c, "attachments");
    const fields = toArticleForm(f);
    const res = await c.var.deps.content.save(c.var.viewer.admin!, id, fields, uploads, f.removeAttachments, c.var.requestId);
    if (!res.ok) {
      if (res.status === 403 || res.status === 404) return refused(c, res);
      // The browser does not keep chosen files across the 422 page: say so beside the upload.
      const values = { ...fields, attachmentsDropped: uploads.length && !res.errors.attachments ? "yes" : "" };
      return formPage(c, id, values, res.errors, res.status as Status);
    }
    flash(c, "已保存");
    return c.redirect(f.next === "preview" ? `/admin/articles/${res.value.id}/preview` : `/admin/articles/${res.value.id}`, 303);
  };
  r.get("/admin/articles/new", requireAdmin("operator", "super_admin"), (c) => formPage(c, null, null));
  r.post(
    "/admin/articles/new",
    requireAdmin(),
    form(
      articleSchema,
      invalid(() => null),
    ),
    (c) => save(c, null, c.req.valid("form")),
  );
  r.get("/admin/articles/:id{[0-9a-f-]{36}}", requireAdmin("operator", "super_admin"), id, (c) => formPage(c, c.req.valid("param").id, null));
  r.post(
    "/admin/articles/:id{[0-9a-f-]{36}}",
    requireAdmin(),
    id,
    form(
      articleSchema,
      invalid((c) => c.req.param("id") ?? null),
    ),
    (c) => save(c, c.req.valid("param").id, c.req.valid("form")),
  );

  r.get("/admin/articles/:id{[0-9a-f-]{36}}/preview", requireAdmin("operator", "super_admin"), id, async (c) => {
    const res = await c.var.deps.content.adminArticle(c.var.viewer.admin!, c.req.valid("param").id);
    if (!res.ok) return refused(c, res);
    return render(c, "public/article", {
      title: `预览：${res.value.article.title}`,
      ...res.value,
      preview: true,
      fileBase: "/admin/articles/files/",
      labels,
    });
  });

  r.post(
    "/admin/articles/:id{[0-9a-f-]{36}}/:action{publish|offline|pin|unpin}",
    requireAdmin(),
    id,
    // A lenient form: an unusable `back` only means returning to the article.
    form(backSchema, (c: Ctx) => c.redirect(`/admin/articles/${c.req.param("id")}`, 303)),
    async (c) => {
      const { content } = c.var.deps;
      const staff = c.var.viewer.admin!;
      const articleId = c.req.valid("param").id;
      const action = c.req.param("action");
      const back = safeNext(c.req.valid("form").back || undefined, `/admin/articles/${articleId}`);
      // 发布 -> publish, 下线 -> takeOffline, 置顶 / 取消置顶 -> setPinned
      const useCase = {
        publish: () => content.publish(staff, articleId, c.var.requestId),
        offline: () => content.takeOffline(staff, articleId, c.var.requestId),
        pin: () => content.setPinned(staff, articleId, true, c.var.requestId),
        unpin: () => content.setPinned(staff, articleId, false, c.var.requestId),
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
      return c.redirect(back.startsWith("/admin/articles") ? back : `/admin/articles/${articleId}`, 303);
    },
  );

  r.get("/admin/articles/files/:fileId", requireAdmin("operator", "super_admin"), params(fileParam, fileNotFound), async (c) => {
    const res = await c.var.deps.content.adminAttachment(c.var.viewer.admin!, c.req.valid("param").fileId);
    if (!res.ok) return refused(c, res);
    return sendFile(c, res.value);
  });

  return r;
}
