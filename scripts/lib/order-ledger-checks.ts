/**
 * Consistency checks of orders against the voucher ledger, read with SQL straight from the tables
 * (not through the services whose work they check). Used by scripts/bench-orders.ts after its load
 * and by tests/integration/orders-race.test.ts after its races. Each check answers the rows that
 * break it (empty: it holds). See docs/vouchers.md (the ledger) and docs/orders.md (the guarantees).
 */
import type { Db } from "../../src/ports/db.ts";

/** Statuses whose order no longer holds a reservation (`releasesReservation` in orders/domain.ts). */
const ENDED = "('cancelled', 'declined', 'closed', 'terminated')";

/** Per (account, order): what the ledger says the order holds (reserve - release - consume) and has consumed (consume - refund). */
const HOLDS = `
  select account_id, order_id,
         sum(case kind when 'reserve' then amount_fen when 'release' then -amount_fen when 'consume' then -amount_fen else 0 end)::bigint as held,
         sum(case kind when 'consume' then amount_fen when 'refund' then -amount_fen else 0 end)::bigint as consumed,
         count(*) filter (where kind = 'reserve' and ref = '')::int as first_reserves
    from voucher_ledger where order_id is not null group by account_id, order_id`;

export type CheckResult = { name: string; failures: Record<string, unknown>[] };

export const ORDER_LEDGER_CHECKS: { name: string; sql: string }[] = [
  {
    name: "no voucher account overspent (reserved + consumed + expired + recalled <= granted, none negative)",
    sql: `select id, granted_fen, reserved_fen, consumed_fen, expired_fen, recalled_fen from voucher_accounts
           where reserved_fen < 0 or consumed_fen < 0 or expired_fen < 0 or recalled_fen < 0
              or reserved_fen + consumed_fen + expired_fen + recalled_fen > granted_fen`,
  },
  {
    name: "every account's running totals equal the sums of its ledger entries",
    sql: `select a.id, a.granted_fen, a.reserved_fen, a.consumed_fen, a.expired_fen, a.recalled_fen, s.*
            from voucher_accounts a
            left join (select account_id,
                              coalesce(sum(amount_fen) filter (where kind = 'grant'), 0)::bigint as l_granted,
                              coalesce(sum(case kind when 'reserve' then amount_fen when 'release' then -amount_fen when 'consume' then -amount_fen end), 0)::bigint as l_reserved,
                              coalesce(sum(case kind when 'consume' then amount_fen when 'refund' then -amount_fen end), 0)::bigint as l_consumed,
                              coalesce(sum(amount_fen) filter (where kind = 'expire'), 0)::bigint as l_expired,
                              coalesce(sum(amount_fen) filter (where kind = 'recall'), 0)::bigint as l_recalled
                         from voucher_ledger group by account_id) s on s.account_id = a.id
           where a.granted_fen <> coalesce(s.l_granted, 0) or a.reserved_fen <> coalesce(s.l_reserved, 0)
              or a.consumed_fen <> coalesce(s.l_consumed, 0) or a.expired_fen <> coalesce(s.l_expired, 0)
              or a.recalled_fen <> coalesce(s.l_recalled, 0)`,
  },
  {
    name: "every order entry of the ledger belongs to exactly one order, on that order's voucher account",
    sql: `select h.account_id, h.order_id, o.id as found, o.voucher_account_id
            from (${HOLDS}) h left join orders o on o.id = h.order_id
           where o.id is null or o.voucher_account_id is distinct from h.account_id`,
  },
  {
    name: "every reservation held is held by one live order, for exactly its deduction",
    sql: `select h.account_id, h.order_id, h.held, o.status, o.deduction_fen
            from (${HOLDS}) h left join orders o on o.id = h.order_id
           where h.held < 0 or (h.held > 0 and (o.id is null or o.status in ${ENDED} or o.deduction_fen <> h.held + h.consumed))`,
  },
  {
    name: "every live order with a deduction has exactly one reservation (held or consumed) of that amount",
    sql: `select o.id, o.status, o.deduction_fen, h.held, h.consumed, h.first_reserves
            from orders o left join (${HOLDS}) h on h.order_id = o.id and h.account_id = o.voucher_account_id
           where o.deduction_fen > 0 and o.status not in ${ENDED}
             and (h.order_id is null or h.first_reserves <> 1 or h.held + h.consumed <> o.deduction_fen)`,
  },
  {
    name: "an ended order, and an order without a deduction, holds nothing",
    sql: `select o.id, o.status, o.deduction_fen, h.held
            from orders o join (${HOLDS}) h on h.order_id = o.id
           where h.held <> 0 and (o.status in ${ENDED} or o.deduction_fen = 0)`,
  },
  {
    name: "each order's money lines (voucher_reserved - voucher_released) equal what the ledger holds for it",
    sql: `select o.id, m.lines_held, h.held
            from orders o
            left join (select order_id,
                              sum(case kind when 'voucher_reserved' then amount_fen when 'voucher_released' then -amount_fen else 0 end)::bigint as lines_held,
                              count(*) filter (where kind in ('voucher_consumed', 'voucher_settled', 'refund'))::int as later
                         from order_money_lines group by order_id) m on m.order_id = o.id
            left join (${HOLDS}) h on h.order_id = o.id
           where coalesce(m.later, 0) = 0 and coalesce(m.lines_held, 0) <> coalesce(h.held, 0)`,
  },
  {
    name: "every order has exactly one 提交订单 event, first",
    sql: `select o.id, count(e.*) filter (where e.action = 'submit') as submits
            from orders o left join order_events e on e.order_id = o.id
           group by o.id
          having count(e.*) filter (where e.action = 'submit') <> 1
              or min(e.at) filter (where e.action = 'submit') > min(e.at)`,
  },
  {
    name: "every order's status is the to_status of its last event, and its version counts at least its transitions",
    sql: `select o.id, o.status, o.version, last.to_status, n.transitions
            from orders o
            join lateral (select to_status from order_events e where e.order_id = o.id order by e.at desc, e.id desc limit 1) last on true
            join lateral (select count(*)::int as transitions from order_events e where e.order_id = o.id and e.action <> 'submit') n on true
           where last.to_status <> o.status or o.version < 1 + n.transitions`,
  },
];

/** Runs every check; the results in the order above. */
export async function checkOrdersAgainstLedger(db: Db): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of ORDER_LEDGER_CHECKS) out.push({ name: c.name, failures: await db.query(c.sql) });
  return out;
}
