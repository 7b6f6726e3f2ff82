import type { Db } from "../../ports/db.ts";
import { camelRow } from "../../lib/rows.ts";
import type { AdminOrderFilter, AdminOrderRow, OrderAdminRepository } from "./admin-ports.ts";

/** A name fragment as an ILIKE pattern that matches it literally anywhere. */
const contains = (s: string) => `%${s.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;

/**
 * Left joins on the parties' published views (one row each, by primary key): the page reads their
 * names and city, and a count without a name or city filter needs neither join (the planner drops them).
 */
const FROM = `from orders o
  left join enterprise_directory d on d.id = o.enterprise_id
  left join provider_directory v on v.id = o.provider_id`;

const ROW_COLUMNS = `o.id, o.number, o.enterprise_id, o.provider_id, o.product_id, o.status, o.quantity, o.contract_fen, o.deduction_fen,
  o.self_pay_fen, o.created_at, o.updated_at, o.snapshot->>'title' as title, coalesce(v.name, o.snapshot->'provider'->>'name') as provider_name,
  d.name as enterprise_name, d.city_code`;

/** The where clause and parameters of a filter. */
function whereOf(f: AdminOrderFilter): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replaceAll("?", `$${params.length}`));
  };
  if (f.number && "exact" in f.number) add("o.number = ?", f.number.exact);
  // A prefix comes with the created_at range of its date (the use case's numberDateRange), which the time index serves.
  if (f.number && "prefix" in f.number) add("o.number like ?", `${f.number.prefix.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
  if (f.status) add("o.status = ?", f.status);
  if (f.programmeId) {
    add("o.voucher_account_id in (select a.id from voucher_account_directory a where a.programme_id = ?)", f.programmeId);
  }
  if (f.providerName) add("v.name ilike ?", contains(f.providerName));
  if (f.enterpriseName) add("d.name ilike ?", contains(f.enterpriseName));
  if (f.cityCode) add("d.city_code = ?", f.cityCode);
  if (f.from) add("o.created_at >= ?", f.from);
  if (f.to) add("o.created_at < ?", f.to);
  return { sql: where.length ? `where ${where.join(" and ")}` : "", params };
}

export function pgOrderAdmin(db: Db): OrderAdminRepository {
  return {
    async search(f, limit, offset): Promise<{ rows: AdminOrderRow[]; total: number }> {
      const w = whereOf(f);
      const n = w.params.length;
      const [rows, [c]] = await Promise.all([
        db.query(`select ${ROW_COLUMNS} ${FROM} ${w.sql} order by o.created_at desc, o.id desc limit $${n + 1} offset $${n + 2}`, [
          ...w.params,
          limit,
          offset,
        ]),
        db.query<{ n: number }>(`select count(*)::int as n ${FROM} ${w.sql}`, w.params),
      ]);
      return { rows: rows.map((r) => camelRow<AdminOrderRow>(r)), total: c!.n };
    },
    async count(f) {
      const w = whereOf(f);
      const [c] = await db.query<{ n: number }>(`select count(*)::int as n ${FROM} ${w.sql}`, w.params);
      return c!.n;
    },
    async batch(f, after, limit) {
      const w = whereOf(f);
      const params = [...w.params];
      let sql = w.sql;
      if (after) {
        params.push(after.at, after.id);
        const keyset = `(o.created_at, o.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
        sql = sql ? `${sql} and ${keyset}` : `where ${keyset}`;
      }
      params.push(limit);
      const rows = await db.query(
        `select ${ROW_COLUMNS}, o.created_at::text as cursor_at ${FROM} ${sql} order by o.created_at desc, o.id desc limit $${params.length}`,
        params,
      );
      return rows.map((r) => camelRow<AdminOrderRow & { cursorAt: string }>(r));
    },
  };
}
