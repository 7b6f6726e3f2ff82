import type { Clock } from "../../ports/clock.ts";
import { type Db, UniqueViolation } from "../../ports/db.ts";
import { pageOf } from "../../lib/paging.ts";
import { type FieldErrors, type Result, fail, ok } from "../../lib/result.ts";
import type { Audit } from "../audit/service.ts";
import type { FileService, Upload } from "../files/service.ts";
import {
  type Article,
  type ArticleKind,
  type ArticleState,
  type ArticleStatus,
  type Attachment,
  ARTICLE_KIND_TEXT,
  ARTICLE_STATUS_TEXT,
  MAX_ATTACHMENTS,
  articleState,
  canManageContent,
  isPublic,
  parseArticle,
} from "./domain.ts";
import { renderMarkdown } from "./markdown.ts";
import type { ArticleRepositoryFactory, ArticleRow, HomeItem } from "./ports.ts";

export type ContentDeps = { db: Db; clock: Clock; articleRepo: ArticleRepositoryFactory; files: FileService; audit: Audit };
export type Staff = { id: string; role: string };

const PUBLIC_PAGE_SIZE = 10;
const ADMIN_PAGE_SIZE = 20;
const FORBIDDEN = "只有运营人员或超级管理员可以管理政策资讯";

/** News and policies: operators write and publish, everyone reads what is published and due. */
export function contentService(deps: ContentDeps) {
  const { db } = deps;
  const now = () => deps.clock.now();
  const repo = deps.articleRepo;

  async function attachmentsOf(ids: string[]): Promise<Attachment[]> {
    const metas = await Promise.all(ids.map((id) => deps.files.meta(id)));
    return metas.filter((m) => !!m).map((m) => ({ fileId: m.id, name: m.originalName, contentType: m.contentType, sizeBytes: m.sizeBytes }));
  }

  /** Runs a state change on one locked article, with its audit event. */
  async function change(
    staff: Staff,
    id: string,
    requestId: string | undefined,
    fn: (tx: Db, a: ArticleRow) => Promise<Result<{ action: string; to?: ArticleStatus; data?: Record<string, unknown> } | null>>,
  ): Promise<Result<{ state: ArticleState }>> {
    if (!canManageContent(staff.role)) return fail({ _form: FORBIDDEN }, 403);
    return db.transaction(async (tx) => {
      const a = await repo(tx).byId(id, true);
      if (!a) return fail({ _form: "文章不存在" }, 404);
      const res = await fn(tx, a);
      if (!res.ok) return res;
      if (res.value) {
        await deps.audit.record(tx, {
          actorType: "admin",
          actorId: staff.id,
          entityType: "article",
          entityId: a.id,
          action: res.value.action,
          fromStatus: a.status,
          toStatus: res.value.to ?? a.status,
          requestId,
          data: { title: a.title, ...res.value.data },
        });
      }
      const after = (await repo(tx).byId(id))!;
      return ok({ state: articleState(after, now()) });
    });
  }

  return {
    // ---- 管理端 (operator, super_admin) ----

    async adminList(staff: Staff, f: { status?: string }, page: unknown) {
      if (!canManageContent(staff.role)) return fail({ _form: FORBIDDEN }, 403);
      const status = f.status && Object.hasOwn(ARTICLE_STATUS_TEXT, f.status) ? (f.status as ArticleStatus) : undefined;
      const pg = pageOf(page);
      const { rows, total } = await repo(db).list({ status }, ADMIN_PAGE_SIZE, (pg - 1) * ADMIN_PAGE_SIZE);
      const at = now();
      return ok({
        rows: rows.map((a) => ({ ...a, state: articleState(a, at) })),
        total,
        page: pg,
        pages: Math.max(1, Math.ceil(total / ADMIN_PAGE_SIZE)),
        status,
      });
    },

    /** One article for its edit page and preview: the source, the rendered body, attachments and history. */
    async adminArticle(staff: Staff, id: string) {
      if (!canManageContent(staff.role)) return fail({ _form: FORBIDDEN }, 403);
      const a = await repo(db).byId(id);
      if (!a) return fail({ _form: "文章不存在" }, 404);
      const [attachments, timeline] = await Promise.all([attachmentsOf(a.attachmentIds), deps.audit.forEntity(db, "article", a.id)]);
      return ok({ article: a, state: articleState(a, now()), bodyHtml: renderMarkdown(a.body), attachments, timeline });
    },

    /**
     * 保存: creates (id null) or edits an article in place (same id, same state). New uploads are
     * added after the existing attachments; `remove` lists attachment file ids to take off.
     */
    async save(
      staff: Staff,
      id: string | null,
      form: Record<string, string>,
      uploads: Upload[],
      remove: string[],
      requestId?: string,
    ): Promise<Result<{ id: string }>> {
      if (!canManageContent(staff.role)) return fail({ _form: FORBIDDEN }, 403);
      const { value, errors } = parseArticle(form);
      const files = uploads.filter((u) => u.bytes.length > 0);
      const fileErrors: FieldErrors = {};
      for (const u of files) {
        const msg = deps.files.check(u);
        if (msg && !fileErrors.attachments) fileErrors.attachments = `${u.name}：${msg}`;
      }
      if (!value || Object.keys(fileErrors).length) return fail({ ...errors, ...fileErrors });
      try {
        return await db.transaction(async (tx) => {
          const before = id ? await repo(tx).byId(id, true) : undefined;
          if (id && !before) return fail({ _form: "文章不存在" }, 404);
          const kept = (before?.attachmentIds ?? []).filter((f) => !remove.includes(f));
          if (kept.length + files.length > MAX_ATTACHMENTS) return fail({ attachments: `每篇文章最多${MAX_ATTACHMENTS}个附件` });
          if (value.slug) {
            const other = await repo(tx).bySlug(value.slug);
            if (other && other.id !== id) return fail({ slug: "该固定链接已被其他文章使用" });
          }
          // A published or offline article always keeps a 发布时间: clearing the field keeps the old one.
          const input = before && before.status !== "draft" ? { ...value, publishedAt: value.publishedAt ?? before.publishedAt } : value;
          let articleId: string;
          if (before) {
            await repo(tx).update(before.id, input, staff.id);
            articleId = before.id;
          } else {
            articleId = (await repo(tx).insert(input, staff.id)).id;
          }
          const removed = (before?.attachmentIds ?? []).filter((f) => remove.includes(f));
          await repo(tx).detach(articleId, removed);
          const added: string[] = [];
          for (const u of files) {
            const stored = await deps.files.store(tx, { ...u, ownerEnterpriseId: null, purpose: "article", accountId: null });
            if (!stored.ok) return fail({ attachments: stored.message });
            added.push(stored.file.id);
          }
          await repo(tx).attach(articleId, added);
          await deps.audit.record(tx, {
            actorType: "admin",
            actorId: staff.id,
            entityType: "article",
            entityId: articleId,
            action: before ? "article_updated" : "article_created",
            fromStatus: before?.status ?? null,
            toStatus: before?.status ?? "draft",
            requestId,
            data: { title: input.title, kind: input.kind, pinned: input.pinned, slug: input.slug, attachmentsAdded: added, attachmentsRemoved: removed },
          });
          return ok({ id: articleId });
        });
      } catch (err) {
        if (err instanceof UniqueViolation) return fail({ slug: "该固定链接已被其他文章使用" });
        throw err;
      }
    },

    /** 发布 (from 草稿) or 重新发布 (from 已下线). A future 发布时间 schedules it. */
    async publish(staff: Staff, id: string, requestId?: string) {
      return change(staff, id, requestId, async (tx, a) => {
        if (a.status === "published") return fail({ _form: "该文章已发布" }, 409);
        if (!a.body.trim() && a.attachmentIds.length === 0) return fail({ _form: "正文和附件不能都为空，请先编辑内容再发布" }, 409);
        const publishedAt = a.publishedAt ?? now();
        await repo(tx).setStatus(a.id, { status: "published", publishedAt, adminId: staff.id });
        return ok({
          action: a.status === "offline" ? "article_republished" : "article_published",
          to: "published" as const,
          data: { publishedAt: publishedAt.toISOString(), scheduled: publishedAt.getTime() > now().getTime() },
        });
      });
    },

    /** 下线: a published (or scheduled) article leaves the public pages. */
    async takeOffline(staff: Staff, id: string, requestId?: string) {
      return change(staff, id, requestId, async (tx, a) => {
        if (a.status !== "published") return fail({ _form: "只有已发布的文章可以下线" }, 409);
        await repo(tx).setStatus(a.id, { status: "offline", publishedAt: a.publishedAt, adminId: staff.id });
        return ok({ action: "article_offline", to: "offline" as const });
      });
    },

    /** 置顶 / 取消置顶 (any state). Setting what is already set changes and records nothing. */
    async setPinned(staff: Staff, id: string, pinned: boolean, requestId?: string) {
      return change(staff, id, requestId, async (tx, a) => {
        if (a.pinned === pinned) return ok(null);
        await repo(tx).setPinned(a.id, pinned, staff.id);
        return ok({ action: pinned ? "article_pinned" : "article_unpinned" });
      });
    },

    /** An attachment of any article, for staff preview. */
    async adminAttachment(staff: Staff, fileId: string) {
      if (!canManageContent(staff.role)) return fail({ _form: FORBIDDEN }, 403);
      if (!(await repo(db).isAttachment(fileId))) return fail({ _form: "附件不存在" }, 404);
      const found = await deps.files.readChecked(fileId);
      return found ? ok(found) : fail({ _form: "附件不存在" }, 404);
    },

    // ---- 公众端 ----

    /** 政策资讯 list: published and due, pinned first, then newest; optionally one kind. */
    async publicList(f: { kind?: string; page?: unknown }) {
      const kind = f.kind && Object.hasOwn(ARTICLE_KIND_TEXT, f.kind) ? (f.kind as ArticleKind) : undefined;
      const pg = pageOf(f.page);
      const { rows, total } = await repo(db).listPublic({ kind, now: now() }, PUBLIC_PAGE_SIZE, (pg - 1) * PUBLIC_PAGE_SIZE);
      return { rows, total, page: pg, pages: Math.max(1, Math.ceil(total / PUBLIC_PAGE_SIZE)), kind };
    },

    /** The public detail, or undefined (draft, offline, scheduled, unknown: the same 404). */
    async publicArticle(id: string) {
      const a = await repo(db).byId(id);
      if (!a || !isPublic(a, now())) return undefined;
      return { article: a, bodyHtml: renderMarkdown(a.body), attachments: await attachmentsOf(a.attachmentIds) };
    },

    /** A public attachment: only a file attached to a published, due article. */
    async publicAttachment(fileId: string) {
      if (!(await repo(db).isPublicAttachment(fileId, now()))) return undefined;
      return deps.files.readChecked(fileId);
    },

    /** The public article with this stable slug (e.g. "voucher-measures"), or undefined. */
    async bySlug(slug: string): Promise<Article | undefined> {
      if (!/^[a-z0-9-]{1,60}$/.test(slug)) return undefined;
      const a = await repo(db).bySlug(slug);
      return a && isPublic(a, now()) ? a : undefined;
    },

    /** For the home page: published articles, pinned first, then newest. */
    async latestForHome(limit = 5): Promise<HomeItem[]> {
      const n = Math.min(50, Math.max(1, Math.floor(limit) || 5));
      const { rows } = await repo(db).listPublic({ now: now() }, n, 0);
      return rows.map((a) => ({ id: a.id, title: a.title, kind: a.kind, publishedAt: a.publishedAt!, pinned: a.pinned }));
    },
  };
}
export type ContentService = ReturnType<typeof contentService>;
