import { camelRow } from "../../lib/rows.ts";
import type { Db } from "../../ports/db.ts";
import type { ExportJob, ExportJobRepository, NewExportJob } from "./ports.ts";

const COLUMNS = `id, source, format, query, requested_by, status, rows_total, rows_done, file_name, file_id, error, as_of, created_at,
  started_at, finished_at, expires_at`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const toJob = (r: Record<string, unknown>): ExportJob => {
  const j = camelRow<ExportJob>(r);
  return { ...j, query: typeof j.query === "string" ? JSON.parse(j.query) : j.query };
};

/** The export jobs table (migration 0032). */
export function pgExportJobs(db: Db): ExportJobRepository {
  const one = async (sql: string, params: unknown[]) => {
    const [r] = await db.query(sql, params);
    return r ? toJob(r) : undefined;
  };
  return {
    async insert(j: NewExportJob) {
      const row = await one(
        `insert into export_jobs (source, format, query, requested_by, rows_total, file_name, as_of, created_at, expires_at)
         values ($1, $2, $3::text::jsonb, $4, $5, $6, $7, $8, $9) returning ${COLUMNS}`,
        [j.source, j.format, JSON.stringify(j.query), j.requestedBy, j.rowsTotal, j.fileName, j.asOf, j.createdAt, j.expiresAt],
      );
      return row!;
    },
    byId: (id) => (UUID.test(id) ? one(`select ${COLUMNS} from export_jobs where id = $1`, [id]) : Promise.resolve(undefined)),
    async mine(staffId, limit) {
      const rows = await db.query(`select ${COLUMNS} from export_jobs where requested_by = $1 order by created_at desc, id desc limit $2`, [
        staffId,
        limit,
      ]);
      return rows.map(toJob);
    },
    async openCount(staffId) {
      const [r] = await db.query<{ n: number }>("select count(*)::int as n from export_jobs where requested_by = $1 and status in ('queued', 'running')", [
        staffId,
      ]);
      return r!.n;
    },
    claim: (id, at, staleBefore) =>
      !UUID.test(id)
        ? Promise.resolve(undefined)
        : one(
            `update export_jobs set status = 'running', rows_done = 0, started_at = $2, error = null
          where id = $1 and (status = 'queued' or (status = 'running' and started_at < $3)) returning ${COLUMNS}`,
            [id, at, staleBefore],
          ),
    async progress(id, rowsDone) {
      await db.query("update export_jobs set rows_done = $2 where id = $1 and status = 'running'", [id, rowsDone]);
    },
    async finish(id, f) {
      const rows = await db.query(
        `update export_jobs set status = 'done', file_id = $2, rows_done = $3, rows_total = greatest(rows_total, $3), finished_at = $4, expires_at = $5
          where id = $1 and status = 'running' returning id`,
        [id, f.fileId, f.rowsDone, f.at, f.expiresAt],
      );
      return rows.length === 1;
    },
    async fail(id, error, at) {
      await db.query("update export_jobs set status = 'failed', error = $2, finished_at = $3 where id = $1 and status in ('queued', 'running')", [
        id,
        error,
        at,
      ]);
    },
    async due(now, limit) {
      const rows = await db.query(
        `select ${COLUMNS} from export_jobs where status <> 'expired' and expires_at <= $1 order by expires_at limit $2 for update skip locked`,
        [now, limit],
      );
      return rows.map(toJob);
    },
    async expire(id, at) {
      await db.query("update export_jobs set status = 'expired', file_id = null, finished_at = coalesce(finished_at, $2) where id = $1", [id, at]);
    },
    async stuck(before, limit) {
      const rows = await db.query<{ id: string }>("select id from export_jobs where status = 'queued' and created_at < $1 order by created_at limit $2", [
        before,
        limit,
      ]);
      return rows.map((r) => r.id);
    },
  };
}
