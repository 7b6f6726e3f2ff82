import type { Db } from "../../ports/db.ts";
import { camelRow, pgArray } from "../../lib/rows.ts";
import type { Article } from "./domain.ts";
import type { ArticleRepository, ArticleRow } from "./ports.ts";

const COLUMNS = "a.id, a.kind, a.status, a.title, a.summary, a.body, a.slug, a.pinned, a.published_at, a.created_at, a.updated_at";
const LIST_COLUMNS = "a.id, a.kind, a.status, a.title, a.summary, ''::text as body, a.slug, a.pinned, a.published_at, a.created_at, a.updated_at";
const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
const toArticle = (r: Record<string, unknown>) => camelRow<Article>(r);

export function pgArticles(db: Db): ArticleRepository {
  return {
    async insert(a, adminId) {
      const [row] = await db.query(
        `insert into articles as a (kind, title, summary, body, slug, pinned, published_at, created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8) returning ${COLUMNS}`,
        [a.kind, a.title, a.summary, a.body, a.slug, a.pinned, a.publishedAt, adminId],
      );
      return toArticle(row!);
    },
    async update(id, a, adminId) {
      await db.query(
        `update articles set kind = $2, title = $3, summary = $4, body = $5, slug = $6, pinned = $7,
           published_at = $8,
           updated_by = $9, updated_at = now()
         where id = $1`,
        [id, a.kind, a.title, a.summary, a.body, a.slug, a.pinned, a.publishedAt, adminId],
      );
    },
    async byId(id, forUpdate = false) {
      if (!isUuid(id)) return undefined;
      const [row] = await db.query(
        `select ${COLUMNS}, coalesce((select array_agg(t.file_id::text order by t.position) from article_attachments t where t.article_id = a.id), '{}') as attachment_ids
           from articles a where a.id = $1${forUpdate ? " for update" : ""}`,
        [id],
      );
      if (!row) return undefined;
      const a = toArticle(row) as ArticleRow;
      a.attachmentIds = (row.attachment_ids as string[]) ?? [];
      return a;
    },
    async bySlug(slug) {
      const [row] = await db.query(`select ${COLUMNS} from articles a where a.slug = $1`, [slug]);
      return row && toArticle(row);
    },
    async setStatus(id, v) {
      await db.query(`update articles set status = $2, published_at = $3, updated_by = $4, updated_at = now() where id = $1`, [
        id,
        v.status,
        v.publishedAt,
        v.adminId,
      ]);
    },
    async setPinned(id, pinned, adminId) {
      await db.query(`update articles set pinned = $2, updated_by = $3, updated_at = now() where id = $1`, [id, pinned, adminId]);
    },
    async attach(id, fileIds) {
      if (!fileIds.length) return;
      await db.query(
        `insert into article_attachments (article_id, file_id, position)
         select $1::uuid, f.id::uuid, coalesce((select max(position) from article_attachments where article_id = $1::uuid), 0) + f.n
           from unnest($2::text[]) with ordinality as f(id, n)`,
        [id, pgArray(fileIds)],
      );
    },
    async detach(id, fileIds) {
      if (!fileIds.length) return;
      await db.query(`delete from article_attachments where article_id = $1 and file_id = any($2::uuid[])`, [id, pgArray(fileIds)]);
    },
    async list(f, limit, offset) {
      const where = f.status ? "where a.status = $1" : "";
      const params = f.status ? [f.status] : [];
      const rows = await db.query(
        `select ${LIST_COLUMNS} from articles a ${where} order by a.updated_at desc, a.id desc limit $${params.length + 1} offset $${params.length + 2}`,
        [...params, limit, offset],
      );
      const [count] = await db.query<{ n: number }>(`select count(*)::int as n from articles a ${where}`, params);
      return { rows: rows.map(toArticle), total: count!.n };
    },
    async listPublic(f, limit, offset) {
      const params: unknown[] = [f.now];
      let where = "a.status = 'published' and a.published_at <= $1";
      if (f.kind) {
        params.push(f.kind);
        where += " and a.kind = $2";
      }
      const rows = await db.query(
        `select ${LIST_COLUMNS} from articles a where ${where}
          order by a.pinned desc, a.published_at desc, a.id desc limit $${params.length + 1} offset $${params.length + 2}`,
        [...params, limit, offset],
      );
      const [count] = await db.query<{ n: number }>(`select count(*)::int as n from articles a where ${where}`, params);
      return { rows: rows.map(toArticle), total: count!.n };
    },
    async isPublicAttachment(fileId, now) {
      if (!isUuid(fileId)) return false;
      const rows = await db.query(
        `select 1 from article_attachments t join articles a on a.id = t.article_id
          where t.file_id = $1 and a.status = 'published' and a.published_at <= $2 limit 1`,
        [fileId, now],
      );
      return rows.length > 0;
    },
    async isAttachment(fileId) {
      if (!isUuid(fileId)) return false;
      return (await db.query(`select 1 from article_attachments where file_id = $1 limit 1`, [fileId])).length > 0;
    },
  };
}
