import type { Db } from "../../ports/db.ts";
import { pgArray } from "../../lib/rows.ts";
import type { DashboardRepository, DimRow, FoldResult, NamedQuery, ProviderRow, UsageRow } from "./ports.ts";

/**
 * The dashboard's SQL (migration 0031). Reads add the folded rollups and the deltas not yet folded
 * (both small), so a figure is what the ledger says at the moment of the request. It reads no other
 * module's table: names come through the published views `provider_directory` and
 * `enterprise_directory`, by primary key, for the rows shown.
 */

/** Each delta counted once in each dimension (the same expansion as the fold and dashboard_rebuild()). */
const EXPAND = `cross join lateral (values ('programme', ''), ('month', to_char(d.month, 'YYYY-MM')), ('city', d.city_code), ('size', d.size_class),
  ('category', d.category), ('provider', coalesce(d.provider_id::text, ''))) as x(dim, key)`;

const SUMS = `sum(granted_fen)::bigint as granted_fen, sum(reserved_fen)::bigint as reserved_fen, sum(consumed_fen)::bigint as consumed_fen,
  sum(settled_fen)::bigint as settled_fen, sum(expired_fen)::bigint as expired_fen`;

const FIGURES = `
  select dim, key, ${SUMS} from (
    select r.dim, case when r.dim = 'programme' then r.programme_id::text else r.key end as key,
           r.granted_fen, r.reserved_fen, r.consumed_fen, r.settled_fen, r.expired_fen
      from dashboard_rollup r
     where r.programme_id = any($1::uuid[]) and r.dim = any('{programme,month,city,size,category}'::text[])
    union all
    select x.dim, case when x.dim = 'programme' then d.programme_id::text else x.key end,
           d.granted_fen, d.reserved_fen, d.consumed_fen, d.settled_fen, d.expired_fen
      from dashboard_ledger_deltas d ${EXPAND}
     where d.programme_id = any($1::uuid[]) and x.dim <> 'provider'
  ) u group by dim, key`;

const ORDER_COUNTS = `
  select status, sum(n)::bigint as n from (
    select status, n from dashboard_order_counts where programme_key = any($1::text[])
    union all
    select status, n from dashboard_order_deltas where programme_key = any($1::text[])
  ) u group by status`;

const TOP_PROVIDERS = `
  with p as (
    select key, sum(settled_fen)::bigint as settled_fen, sum(consumed_fen)::bigint as consumed_fen from (
      select key, settled_fen, consumed_fen from dashboard_rollup where dim = 'provider' and key <> '' and programme_id = any($1::uuid[])
      union all
      select d.provider_id::text, d.settled_fen, d.consumed_fen from dashboard_ledger_deltas d where d.provider_id is not null and d.programme_id = any($1::uuid[])
    ) u group by key
  ), top as (
    select key, settled_fen, consumed_fen from p where settled_fen > 0 order by settled_fen desc, consumed_fen desc, key limit $2
  )
  select t.key as provider_id, v.name, t.settled_fen, t.consumed_fen
    from top t left join provider_directory v on v.id = t.key::uuid
   order by t.settled_fen desc, t.consumed_fen desc, t.key`;

/**
 * The accounts touched since the last fold, with their usage recomputed from the folded row plus
 * their deltas: the usage reads replace those accounts' folded rows with these, so the rates are
 * live too while reading only the folded index and a few deltas.
 */
const TOUCHED = `
  p as (
    select account_id, programme_id, enterprise_id, sum(granted_fen)::bigint as g, sum(consumed_fen)::bigint as c
      from dashboard_ledger_deltas where programme_id = any($1::uuid[]) group by 1, 2, 3
  ),
  touched as (
    select p.account_id, p.programme_id, p.enterprise_id, u.usage_bp as old_bp,
           coalesce(u.granted_fen, 0) + p.g as granted_fen, coalesce(u.consumed_fen, 0) + p.c as consumed_fen
      from p left join dashboard_account_usage u on u.account_id = p.account_id
  ),
  live as (
    select account_id, programme_id, enterprise_id, old_bp, granted_fen, consumed_fen,
           case when granted_fen > 0 then (consumed_fen * 10000 / granted_fen)::integer else 0 end as usage_bp
      from touched
  )`;
const BUCKET = (col: string) => `case when ${col} = 0 then -1 else least(${col} / 1000, 9) end`;

const USAGE_BUCKETS = `
  with ${TOUCHED}
  select bucket, sum(n)::int as n from (
    select bucket, n from dashboard_usage_buckets where programme_id = any($1::uuid[])
    union all
    select ${BUCKET("old_bp")}, -count(*) from live where old_bp is not null group by 1
    union all
    select ${BUCKET("usage_bp")}, count(*) from live group by 1
  ) b group by bucket having sum(n) <> 0`;

/**
 * One page of usage rates, lowest first: the folded accounts in index order (one programme: its
 * (programme, usage) index, which a scalar condition reads in order; several: the (usage) index,
 * filtered), less those touched since the fold, plus those recomputed; then the page of the union.
 */
const usagePageSql = (one: boolean) => `
  with ${TOUCHED},
  candidates as (
    (select u.account_id, u.programme_id, u.enterprise_id, u.granted_fen, u.consumed_fen, u.usage_bp from dashboard_account_usage u
      where ${one ? "u.programme_id = ($1::uuid[])[1]" : "u.programme_id = any($1::uuid[])"} and not exists (select 1 from p where p.account_id = u.account_id)
      order by u.usage_bp, u.account_id limit ($2::int + $3::int))
    union all
    select account_id, programme_id, enterprise_id, granted_fen, consumed_fen, usage_bp from live
  ),
  page as (select * from candidates order by usage_bp, account_id limit $2 offset $3)
  select g.account_id, g.programme_id, g.enterprise_id, e.name as enterprise_name, e.city_code, g.granted_fen, g.consumed_fen, g.usage_bp
    from page g left join enterprise_directory e on e.id = g.enterprise_id
   order by g.usage_bp, g.account_id`;
const USAGE_PAGE_ONE = usagePageSql(true);
const USAGE_PAGE_MANY = usagePageSql(false);

const FRESHNESS = `
  select s.folded_at, s.rebuilt_at, (select count(*)::int from dashboard_ledger_deltas) as pending_entries,
         (select count(*)::int from dashboard_order_deltas) as pending_order_changes
    from dashboard_state s`;

/** Folds and rebuilds never overlap (every instance runs the job; one at a time does the work). */
const FOLD_LOCK = "select pg_advisory_xact_lock(hashtext('dashboard:fold'))";

const FOLD_LEDGER = `
  with batch as (select id from dashboard_ledger_deltas order by id limit $1),
  moved as (delete from dashboard_ledger_deltas d using batch b where d.id = b.id returning d.*),
  agg as (
    select d.programme_id, x.dim, x.key, ${SUMS}, count(*)::bigint as entries from moved d ${EXPAND} group by 1, 2, 3
  ),
  up as (
    insert into dashboard_rollup as r (programme_id, dim, key, granted_fen, reserved_fen, consumed_fen, settled_fen, expired_fen, entries)
    select programme_id, dim, key, granted_fen, reserved_fen, consumed_fen, settled_fen, expired_fen, entries from agg
    on conflict (programme_id, dim, key) do update set
      granted_fen = r.granted_fen + excluded.granted_fen, reserved_fen = r.reserved_fen + excluded.reserved_fen,
      consumed_fen = r.consumed_fen + excluded.consumed_fen, settled_fen = r.settled_fen + excluded.settled_fen,
      expired_fen = r.expired_fen + excluded.expired_fen, entries = r.entries + excluded.entries
    returning 1
  ),
  acc as (
    select account_id, programme_id, enterprise_id, sum(granted_fen)::bigint as g, sum(consumed_fen)::bigint as c from moved group by 1, 2, 3
  ),
  usage as (
    insert into dashboard_account_usage as a (account_id, programme_id, enterprise_id, granted_fen, consumed_fen)
    select account_id, programme_id, enterprise_id, g, c from acc
    on conflict (account_id) do update set granted_fen = a.granted_fen + excluded.granted_fen, consumed_fen = a.consumed_fen + excluded.consumed_fen
    returning 1
  ),
  -- Each moved account leaves its old bucket and enters its new one (every CTE reads the rows as
  -- they were before this statement).
  rates as (
    select acc.programme_id, u.usage_bp as old_bp, coalesce(u.granted_fen, 0) + acc.g as g, coalesce(u.consumed_fen, 0) + acc.c as c
      from acc left join dashboard_account_usage u on u.account_id = acc.account_id
  ),
  moves as (
    select programme_id, bucket, sum(n)::bigint as n from (
      select programme_id, ${BUCKET("old_bp")} as bucket, -1 as n from rates where old_bp is not null
      union all
      select programme_id, ${BUCKET("(case when g > 0 then (c * 10000 / g)::integer else 0 end)")}, 1 from rates
    ) m group by 1, 2
  ),
  buckets as (
    insert into dashboard_usage_buckets as q (programme_id, bucket, n) select programme_id, bucket, n from moves
    on conflict (programme_id, bucket) do update set n = q.n + excluded.n
    returning 1
  )
  select (select count(*) from moved)::int as moved, (select count(*) from up)::int as rollups, (select count(*) from usage)::int as accounts,
         (select count(*) from buckets)::int as buckets`;

const FOLD_ORDERS = `
  with batch as (select id from dashboard_order_deltas order by id limit $1),
  moved as (delete from dashboard_order_deltas d using batch b where d.id = b.id returning d.*),
  agg as (select programme_key, status, sum(n)::bigint as n from moved group by 1, 2),
  up as (
    insert into dashboard_order_counts as c (programme_key, status, n) select programme_key, status, n from agg
    on conflict (programme_key, status) do update set n = c.n + excluded.n
    returning 1
  )
  select (select count(*) from moved)::int as moved`;

const n = (v: unknown) => Number(v ?? 0);
const totalsOf = (r: Record<string, unknown>) => ({
  grantedFen: n(r.granted_fen),
  reservedFen: n(r.reserved_fen),
  consumedFen: n(r.consumed_fen),
  settledFen: n(r.settled_fen),
  expiredFen: n(r.expired_fen),
});
const asDate = (v: unknown) => (v ? new Date(v as string) : null);

export function pgDashboard(db: Db): DashboardRepository {
  const ids = (xs: string[]) => pgArray(xs);
  return {
    async figures(programmeIds) {
      const rows = await db.query(FIGURES, [ids(programmeIds)]);
      return rows.map((r) => ({ dim: r.dim as DimRow["dim"], key: String(r.key), ...totalsOf(r) }));
    },
    async orderCounts(programmeKeys) {
      const rows = await db.query<{ status: string; n: unknown }>(ORDER_COUNTS, [pgArray(programmeKeys)]);
      return rows.map((r) => ({ status: r.status, n: n(r.n) }));
    },
    async topProviders(programmeIds, limit): Promise<ProviderRow[]> {
      const rows = await db.query(TOP_PROVIDERS, [ids(programmeIds), limit]);
      return rows.map((r) => ({
        providerId: String(r.provider_id),
        name: (r.name as string | null) ?? null,
        settledFen: n(r.settled_fen),
        consumedFen: n(r.consumed_fen),
      }));
    },
    async usageBuckets(programmeIds) {
      const rows = await db.query<{ bucket: number; n: number }>(USAGE_BUCKETS, [ids(programmeIds)]);
      return rows.map((r) => ({ bucket: n(r.bucket), n: n(r.n) }));
    },
    async usagePage(programmeIds, limit, offset): Promise<UsageRow[]> {
      const rows = await db.query(programmeIds.length === 1 ? USAGE_PAGE_ONE : USAGE_PAGE_MANY, [ids(programmeIds), limit, offset]);
      return rows.map((r) => ({
        accountId: String(r.account_id),
        programmeId: String(r.programme_id),
        enterpriseId: String(r.enterprise_id),
        enterpriseName: (r.enterprise_name as string | null) ?? null,
        cityCode: (r.city_code as string | null) ?? null,
        grantedFen: n(r.granted_fen),
        consumedFen: n(r.consumed_fen),
        usageBp: n(r.usage_bp),
      }));
    },
    async freshness() {
      const [r] = await db.query(FRESHNESS);
      return {
        foldedAt: asDate(r?.folded_at),
        rebuiltAt: asDate(r?.rebuilt_at),
        pendingEntries: n(r?.pending_entries),
        pendingOrderChanges: n(r?.pending_order_changes),
      };
    },
    async foldBatch(batch): Promise<FoldResult> {
      return db.transaction(async (tx) => {
        await tx.query(FOLD_LOCK);
        const [l] = await tx.query<{ moved: number }>(FOLD_LEDGER, [batch]);
        const [o] = await tx.query<{ moved: number }>(FOLD_ORDERS, [batch]);
        await tx.query("update dashboard_state set folded_at = now()");
        return { entries: n(l?.moved), orderChanges: n(o?.moved) };
      });
    },
    async rebuild() {
      await db.transaction(async (tx) => {
        await tx.query("select dashboard_rebuild()");
      });
    },
    pageQueries(programmeIds, programmeKeys): NamedQuery[] {
      const p = ids(programmeIds);
      return [
        { name: "figures (by programme, month, city, 划型, category)", sql: FIGURES, params: [p] },
        { name: "orders by status", sql: ORDER_COUNTS, params: [pgArray(programmeKeys)] },
        { name: "top providers by settled amount", sql: TOP_PROVIDERS, params: [p, 10] },
        { name: "usage distribution", sql: USAGE_BUCKETS, params: [p] },
        { name: "usage, lowest first (first page)", sql: programmeIds.length === 1 ? USAGE_PAGE_ONE : USAGE_PAGE_MANY, params: [p, 10, 0] },
        { name: "freshness", sql: FRESHNESS, params: [] },
      ];
    },
    async explain(q, analyze = false) {
      const [r] = await db.query<{ "QUERY PLAN": unknown }>(`explain (${analyze ? "analyze, buffers, " : ""}format json) ${q.sql}`, q.params);
      const plan = r?.["QUERY PLAN"];
      return typeof plan === "string" ? JSON.parse(plan) : plan;
    },
  };
}
