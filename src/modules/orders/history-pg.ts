import type { Db } from "../../ports/db.ts";
import type { OrderHistoryRepository } from "./history-ports.ts";

/**
 * The demo's history: past orders (numbered from the sequence by their date), their events and
 * money lines, set-based: each statement takes its rows as one JSON array (jsonb_to_recordset).
 */
export function pgOrderHistory(db: Db): OrderHistoryRepository {
  return {
    async insert(rows) {
      if (!rows.length) return;
      const orders = rows.map((r) => ({
        id: r.id,
        e: r.enterpriseId,
        p: r.providerId,
        pr: r.productId,
        s: r.status,
        f: r.unitPriceFen,
        d: r.deductionFen,
        dep: r.depositFen,
        a: r.voucherAccountId,
        snap: r.snapshot,
        c: r.createdAt,
        u: r.updatedAt,
        n: r.events.length,
      }));
      await db.query(
        `insert into orders (id, number, enterprise_id, provider_id, product_id, status, quantity, unit_price_fen, order_fen, contract_fen, deduction_fen,
           self_pay_fen, deposit_fen, voucher_account_id, snapshot, submission_key, version, created_at, updated_at)
         select x.id, 'DD' || to_char(x.c at time zone 'Asia/Shanghai', 'YYYYMMDD') || lpad(nextval('order_number_seq')::text, 6, '0'),
                x.e, x.p, x.pr, x.s, 1, x.f, x.f, x.f, x.d, x.f - x.d, x.dep, x.a, x.snap, 'history:' || x.id, 1 + x.n, x.c, x.u
           from jsonb_to_recordset($1::text::jsonb) as x(id uuid, e uuid, p uuid, pr uuid, s text, f bigint, d bigint, dep bigint, a uuid, snap jsonb,
                                                   c timestamptz, u timestamptz, n int)
          order by x.c`,
        [JSON.stringify(orders)],
      );
      const events = rows.flatMap((r) => [
        { o: r.id, t: r.createdAt, a: "enterprise", ac: "submit", f: null, s: "pending_acceptance", r: null },
        ...r.events.map((e) => ({ o: r.id, t: e.at, a: e.actorType, ac: e.action, f: e.from, s: e.to, r: e.reason ?? null })),
      ]);
      await db.query(
        `insert into order_events (order_id, at, actor_type, action, from_status, to_status, reason)
         select o, t, a, ac, f, s, r from jsonb_to_recordset($1::text::jsonb) as x(o uuid, t timestamptz, a text, ac text, f text, s text, r text) order by t`,
        [JSON.stringify(events)],
      );
      const lines = rows.flatMap((r) => r.lines.map((l) => ({ o: r.id, k: l.kind, f: l.amountFen, t: l.at })));
      if (lines.length) {
        await db.query(
          `insert into order_money_lines (order_id, kind, amount_fen, ref, at)
           select o, k, f, 'demo-history', t from jsonb_to_recordset($1::text::jsonb) as x(o uuid, k text, f bigint, t timestamptz) order by t`,
          [JSON.stringify(lines)],
        );
      }
    },
  };
}
