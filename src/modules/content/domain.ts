/** News and policies (政策资讯): kinds, states, limits and the article form rules. Pure. */
import type { FieldErrors } from "../../lib/result.ts";
import { SHANGHAI_OFFSET_MS } from "../../lib/shanghai.ts";

export const ARTICLE_KIND_TEXT = { notice: "通知公告", policy: "政策文件" } as const;
export type ArticleKind = keyof typeof ARTICLE_KIND_TEXT;

export const ARTICLE_STATUS_TEXT = { draft: "草稿", published: "已发布", offline: "已下线" } as const;
export type ArticleStatus = keyof typeof ARTICLE_STATUS_TEXT;

/** What staff see: a published article whose 发布时间 is still ahead is 定时发布. */
export const ARTICLE_STATE_TEXT = { ...ARTICLE_STATUS_TEXT, scheduled: "定时发布" } as const;
export type ArticleState = keyof typeof ARTICLE_STATE_TEXT;

export const TITLE_MAX = 120;
export const SUMMARY_MAX = 300;
export const BODY_MAX = 50_000;
export const SLUG_MAX = 60;
export const MAX_ATTACHMENTS = 10;

/** Roles that write news and policies. */
export const CONTENT_ROLES = ["operator", "super_admin"] as const;
export const canManageContent = (role: string) => (CONTENT_ROLES as readonly string[]).includes(role);

export type Article = ArticleInput & { id: string; status: ArticleStatus; createdAt: Date; updatedAt: Date };

export type Attachment = { fileId: string; name: string; contentType: string; sizeBytes: number };

export function articleState(a: Pick<Article, "status" | "publishedAt">, now: Date): ArticleState {
  if (a.status === "published" && a.publishedAt && a.publishedAt.getTime() > now.getTime()) return "scheduled";
  return a.status;
}

/** Visible to the public: published and due. */
export const isPublic = (a: Pick<Article, "status" | "publishedAt">, now: Date) => articleState(a, now) === "published";

/** "2026-12-01T09:30" (Asia/Shanghai, as a datetime-local input sends it; a space or seconds also accepted) -> Date, or null. */
export function parseShanghaiDateTime(raw: string): Date | null {
  const m = raw.trim().match(/^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  if (y < 2000 || y > 2100 || h > 23 || mi > 59 || s > 59) return null;
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(utc);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return new Date(utc - SHANGHAI_OFFSET_MS);
}

/** Date -> "2026-12-01T09:30" in Asia/Shanghai, for a datetime-local input. */
export function shanghaiInputValue(d: Date | null): string {
  return d ? new Date(d.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 16) : "";
}

export type ArticleInput = {
  kind: ArticleKind;
  title: string;
  summary: string;
  body: string;
  slug: string | null;
  pinned: boolean;
  /** null: 发布 takes the moment of publication. */
  publishedAt: Date | null;
};

const chars = (s: string) => [...s].length;

/** Reads the article form. Messages are keyed by field name. */
export function parseArticle(f: Record<string, string>): { value?: ArticleInput; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const title = (f.title ?? "").trim().replace(/\s+/g, " ");
  if (!title) errors.title = "请输入标题";
  else if (chars(title) > TITLE_MAX) errors.title = `标题不能超过${TITLE_MAX}个字`;
  const kind = f.kind as ArticleKind;
  if (!Object.hasOwn(ARTICLE_KIND_TEXT, kind ?? "")) errors.kind = "请选择类型（通知公告或政策文件）";
  const summary = (f.summary ?? "").trim();
  if (chars(summary) > SUMMARY_MAX) errors.summary = `摘要不能超过${SUMMARY_MAX}个字`;
  const body = (f.body ?? "").replace(/\r\n?/g, "\n").replace(/\s+$/, "");
  if (chars(body) > BODY_MAX) errors.body = `正文不能超过${BODY_MAX.toLocaleString("en-US")}个字符（当前${chars(body).toLocaleString("en-US")}个）`;
  const slugRaw = (f.slug ?? "").trim().toLowerCase();
  if (slugRaw && (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slugRaw) || slugRaw.length > SLUG_MAX)) {
    errors.slug = `固定链接只能由小写字母、数字和连字符组成（如 voucher-measures），不超过${SLUG_MAX}个字符`;
  }
  let publishedAt: Date | null = null;
  const when = (f.publishedAt ?? "").trim();
  if (when) {
    publishedAt = parseShanghaiDateTime(when);
    if (!publishedAt) errors.publishedAt = "发布时间格式不正确，请按“2026-12-01 09:30”填写，或留空表示发布时的当前时间";
  }
  if (Object.keys(errors).length) return { errors };
  return { errors, value: { kind, title, summary, body, slug: slugRaw || null, pinned: f.pinned === "yes", publishedAt } };
}
