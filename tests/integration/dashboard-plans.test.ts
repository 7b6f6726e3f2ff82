import { describe, expect, it } from "vitest";
import { migrate } from "../../src/adapters/migrate.ts";
import { pgDashboard } from "../../src/modules/dashboard/pg.ts";
import { contractDatabases } from "../support/db.ts";

/**
 * The plan budget of 数据看板 (not wall time: docs/benchmarks.md has the timings at 1,000,000
 * orders): every statement of a page view reads only the dashboard's rollups and deltas, plus the
 * providers and enterprises behind the published views by primary key for the rows it names; never
 * the ledger or the orders. With sequential scans disabled every large table is reached through an
 * index (so one exists for the planner to pick at scale), and the page of lowest usage rates comes
 * in index order, without sorting the accounts.
 */

type PlanNode = { "Node Type": string; "Relation Name"?: string; "Index Name"?: string; Plans?: PlanNode[] };
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

/** Tables a page view may read. */
const ALLOWED = new Set([
  "dashboard_rollup",
  "dashboard_ledger_deltas",
  "dashboard_account_usage",
  "dashboard_usage_buckets",
  "dashboard_order_counts",
  "dashboard_order_deltas",
  "dashboard_state",
  // provider_directory and enterprise_directory, by id, for the names shown.
  "providers",
  "enterprises",
]);
/** Tables that grow with the data: never read whole. The deltas and order counts stay small (folded every minute; one row per programme and status). */
const LARGE = new Set(["dashboard_rollup", "dashboard_account_usage", "providers", "enterprises"]);

describe.each(contractDatabases())("数据看板 query plans on %s", (_name, open) => {
  it("stay on the rollups and their indexes", async () => {
    const { db, cleanup } = await open();
    try {
      await migrate(db);
      const repo = pgDashboard(db);
      const ids = ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"];
      // Enough rows for the planner's statistics to look like use: 20,000 accounts over two programmes,
      // 2,000 providers' rollup rows; then ANALYZE, as autovacuum would.
      await db.query(
        `insert into dashboard_account_usage (account_id, programme_id, enterprise_id, granted_fen, consumed_fen)
         select gen_random_uuid(), case when i % 2 = 0 then $1::uuid else $2::uuid end, gen_random_uuid(), 1000000, (i * 7919) % 1000000
           from generate_series(1, 20000) i`,
        ids,
      );
      await db.query(
        `insert into dashboard_rollup (programme_id, dim, key, consumed_fen, settled_fen)
         select case when i % 2 = 0 then $1::uuid else $2::uuid end, 'provider', gen_random_uuid()::text, i * 100, i * 50 from generate_series(1, 2000) i`,
        ids,
      );
      await db.exec("analyze dashboard_account_usage; analyze dashboard_rollup");
      // All programmes (or a year's), and one programme.
      const queries = [
        ...repo.pageQueries(ids, [...ids, ""]).map((q) => ({ ...q, one: false })),
        ...repo.pageQueries(ids.slice(0, 1), ids.slice(0, 1)).map((q) => ({ ...q, one: true })),
      ];
      expect(queries).toHaveLength(12);
      for (const q of queries) {
        const plan = await db.transaction(async (tx) => {
          await tx.query("set local enable_seqscan = off");
          return pgDashboard(tx).explain(q);
        });
        const root = (plan as { Plan: PlanNode }[])[0]!.Plan;
        const all = nodes(root);
        const relations = all.flatMap((n) => (n["Relation Name"] ? [n["Relation Name"]] : []));
        expect(
          relations.filter((r) => !ALLOWED.has(r)),
          `${q.name} reads only the dashboard's tables`,
        ).toEqual([]);
        expect(
          all.filter((n) => n["Node Type"] === "Seq Scan" && LARGE.has(n["Relation Name"] ?? "")).map((n) => n["Relation Name"]),
          `${q.name} reaches the large tables through an index`,
        ).toEqual([]);
        // The accounts are reached through one of their indexes (a bitmap heap scan names it in its Bitmap Index Scan).
        const usage = all.filter((n) => n["Relation Name"] === "dashboard_account_usage" || n["Index Name"]?.startsWith("dashboard_account_usage"));
        for (const n of usage) expect(n["Node Type"], q.name).toMatch(/^(Index Scan|Index Only Scan|Bitmap Heap Scan|Bitmap Index Scan)$/);
        if (q.name.startsWith("usage, lowest first") && q.one) {
          expect(usage.length).toBeGreaterThan(0);
          for (const n of usage) expect(n["Index Name"] ?? "", `${q.name}: ${n["Node Type"]}`).toMatch(/^dashboard_account_usage_/);
          // The accounts come in the order of the (programme, usage) index under a Limit: no Sort above that scan
          // (the outer sort orders the page's few candidates, the accounts touched since the fold are found by primary key).
          const ordered = usage.filter((n) => n["Index Name"] === "dashboard_account_usage_programme_idx");
          expect(
            ordered.map((n) => n["Node Type"]),
            JSON.stringify(root),
          ).toEqual(["Index Scan"]);
          const sorted = all.filter((n) => n["Node Type"] === "Sort" && nodes(n).some((m) => ordered.includes(m)));
          for (const s of sorted) expect(nodes(s).some((m) => m["Node Type"] === "Limit" && nodes(m).some((x) => ordered.includes(x)))).toBe(true);
        }
      }
    } finally {
      await cleanup();
    }
  }, 60_000);
});
