import type { Db } from "../../ports/db.ts";
import { pgArray } from "../../lib/rows.ts";
import type { EnterpriseHistoryRepository } from "./history-ports.ts";

/**
 * The demo's history (src/demo.ts `historyDemo`): enterprises certified in the past, set-based, for
 * the dashboard's year of figures. Demo data only; there is no certification application behind them.
 */
export function pgEnterpriseHistory(db: Db): EnterpriseHistoryRepository {
  return {
    async certify(rows) {
      if (!rows.length) return;
      await db.query(
        `update enterprises e set certification_status = 'certified', credit_code = x.cc, size_class = x.s, city_code = x.c, certified_at = x.t,
                created_at = x.t - interval '30 days', updated_at = x.t
           from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) as x(id, cc, s, c, t)
          where e.id = x.id and e.certification_status = 'uncertified'`,
        [
          pgArray(rows.map((r) => r.enterpriseId)),
          pgArray(rows.map((r) => r.creditCode)),
          pgArray(rows.map((r) => r.sizeClass)),
          pgArray(rows.map((r) => r.cityCode)),
          pgArray(rows.map((r) => r.certifiedAt)),
        ],
      );
    },
  };
}
