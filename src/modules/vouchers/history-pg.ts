import type { Db } from "../../ports/db.ts";
import { pgArray } from "../../lib/rows.ts";
import type { VoucherHistoryRepository } from "./history-ports.ts";

/** The demo's history: past voucher accounts and ledger entries, set-based (unnest arrays). */
export function pgVoucherHistory(db: Db): VoucherHistoryRepository {
  return {
    async openAccounts(rows) {
      if (!rows.length) return [];
      const [ent, prog, fen, at] = [
        pgArray(rows.map((r) => r.enterpriseId)),
        pgArray(rows.map((r) => r.programmeId)),
        pgArray(rows.map((r) => String(r.grantedFen))),
        pgArray(rows.map((r) => r.grantedAt)),
      ];
      const opened = await db.query<{ id: string; programme_id: string; enterprise_id: string }>(
        `with x as (select * from unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::timestamptz[]) as x(e, p, f, t)),
         apps as (
           insert into quota_applications (programme_id, enterprise_id, source, requested_fen, approved_fen, status, submitted_at, decided_at, decision_reason)
           select p, e, 'allocation', f, f, 'approved', t - interval '3 days', t, '演示数据' from x
           returning id, programme_id, enterprise_id
         )
         insert into voucher_accounts (programme_id, enterprise_id, application_id, granted_fen, created_at)
         select x.p, x.e, a.id, x.f, x.t from x join apps a on a.programme_id = x.p and a.enterprise_id = x.e
         returning id, programme_id, enterprise_id`,
        [ent, prog, fen, at],
      );
      const byPair = new Map(opened.map((r) => [`${r.programme_id}/${r.enterprise_id}`, r.id]));
      const ids = rows.map((r) => byPair.get(`${r.programmeId}/${r.enterpriseId}`)!);
      await db.query(
        "insert into voucher_ledger (account_id, kind, amount_fen, created_at) select a, 'grant', f, t from unnest($1::uuid[], $2::bigint[], $3::timestamptz[]) as x(a, f, t)",
        [pgArray(ids), fen, at],
      );
      return ids;
    },
    async append(rows) {
      if (!rows.length) return;
      const args = [
        pgArray(rows.map((r) => r.accountId)),
        pgArray(rows.map((r) => r.kind)),
        pgArray(rows.map((r) => String(r.amountFen))),
        pgArray(rows.map((r) => r.orderId ?? "")),
        pgArray(rows.map((r) => r.ref)),
        pgArray(rows.map((r) => r.at)),
      ];
      // One statement, in time order, so the dashboard's trigger sees them as one set.
      await db.query(
        `insert into voucher_ledger (account_id, kind, amount_fen, order_id, ref, created_at)
         select a, k, f, nullif(o, '')::uuid, r, t from unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::timestamptz[]) as x(a, k, f, o, r, t)
          order by t`,
        args,
      );
      await db.query(
        `update voucher_accounts v set
           reserved_fen = v.reserved_fen + s.r, consumed_fen = v.consumed_fen + s.c, settled_fen = v.settled_fen + s.s, expired_fen = v.expired_fen + s.x
           from (select a,
                        sum(case k when 'reserve' then f when 'release' then -f when 'consume' then -f else 0 end) as r,
                        sum(case k when 'consume' then f when 'refund' then -f else 0 end) as c,
                        sum(case k when 'settle' then f else 0 end) as s,
                        sum(case k when 'expire' then f else 0 end) as x
                   from unnest($1::uuid[], $2::text[], $3::bigint[]) as u(a, k, f) group by a) s
          where v.id = s.a`,
        args.slice(0, 3),
      );
    },
  };
}
