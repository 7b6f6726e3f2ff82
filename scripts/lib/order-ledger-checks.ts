/**
 * Consistency checks of orders against the voucher ledger, and of paid orders' money lines against
 * their payments, read with SQL straight from the tables (not through the services whose work they
 * check). Used by scripts/bench-orders.ts after its load, by tests/integration/orders-race.test.ts
 * after its races, and by scripts/bench-faults.ts and scripts/bench-rush.ts (with the confirmed-orders
 * and quota application checks below). Each check answers the rows that break it (empty: it holds). See docs/vouchers.md
 * (the ledger), docs/orders.md (the guarantees) and docs/payments.md (money lines and payments).
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

/** Statuses after 尾款 (or with nothing left to pay): everything the enterprise owes is paid. */
const PAID_UP = "('awaiting_review', 'completed')";

/** Per order: the money lines summed by kind. */
const LINES = `
  select order_id,
         coalesce(sum(amount_fen) filter (where kind = 'deposit_paid'), 0)::bigint as deposit,
         coalesce(sum(amount_fen) filter (where kind = 'balance_paid'), 0)::bigint as balance,
         coalesce(sum(amount_fen) filter (where kind = 'voucher_consumed'), 0)::bigint as consumed,
         coalesce(sum(amount_fen) filter (where kind = 'refund'), 0)::bigint as refunded,
         count(*) filter (where kind = 'deposit_paid')::int as deposit_lines,
         count(*) filter (where kind = 'balance_paid')::int as balance_lines,
         count(*) filter (where kind = 'voucher_consumed')::int as consumed_lines
    from order_money_lines group by order_id`;

/**
 * Checks of the money of orders that went through payment (定金, 尾款, the voucher's consumption)
 * and of the payments behind it, straight from the tables. Used by scripts/bench-orders.ts after the
 * whole-life run; any test that pays orders may run them too.
 */
export const ORDER_PAYMENT_CHECKS: { name: string; sql: string }[] = [
  {
    name: "every paid-up order's money lines add up: 定金 + 尾款 - 退款 + 补贴券（已核销） = 合同金额, each part as the contract says",
    sql: `select o.id, o.status, o.contract_fen, o.deposit_fen, o.self_pay_fen, o.deduction_fen, l.deposit, l.balance, l.consumed, l.refunded
            from orders o left join (${LINES}) l on l.order_id = o.id
           where o.status in ${PAID_UP}
             and (coalesce(l.deposit, 0) + coalesce(l.balance, 0) - coalesce(l.refunded, 0) + coalesce(l.consumed, 0) <> o.contract_fen
                  or coalesce(l.deposit, 0) <> o.deposit_fen
                  or coalesce(l.balance, 0) <> o.self_pay_fen - o.deposit_fen
                  or coalesce(l.consumed, 0) <> o.deduction_fen)`,
  },
  {
    name: "no order paid twice: at most one deposit_paid, one balance_paid and one voucher_consumed money line per order",
    sql: `select order_id, deposit_lines, balance_lines, consumed_lines from (${LINES}) l
           where deposit_lines > 1 or balance_lines > 1 or consumed_lines > 1`,
  },
  {
    name: "no payment paid twice: at most one succeeded payment per (order, kind)",
    sql: `select order_id, kind, count(*)::int as succeeded from payments where status = 'succeeded'
           group by order_id, kind having count(*) > 1`,
  },
  {
    name: "every succeeded payment has exactly one money line (deposit_paid / balance_paid) with its number and amount, and every such line a succeeded payment",
    sql: `select p.payment_no, p.order_id, p.kind, p.amount_fen, m.id as line, m.kind as line_kind, m.amount_fen as line_fen
            from payments p
            full join order_money_lines m
              on m.ref = p.payment_no and m.kind in ('deposit_paid', 'balance_paid')
           where (m.id is null and p.status = 'succeeded')
              or (m.id is not null and m.kind in ('deposit_paid', 'balance_paid')
                  and (p.payment_no is null or p.status <> 'succeeded' or p.order_id <> m.order_id or p.amount_fen <> m.amount_fen
                       or m.kind <> (case p.kind when 'deposit' then 'deposit_paid' else 'balance_paid' end)))`,
  },
  {
    name: "each order's voucher_consumed money lines equal the ledger's consumption (consume - refund) for it",
    sql: `select o.id, l.consumed, h.consumed as ledger_consumed
            from orders o
            left join (${LINES}) l on l.order_id = o.id
            left join (${HOLDS}) h on h.order_id = o.id and h.account_id = o.voucher_account_id
           where coalesce(l.consumed, 0) <> coalesce(h.consumed, 0)`,
  },
  {
    name: "a paid-up order holds no reservation any more (its deduction consumed, nothing left reserved)",
    sql: `select o.id, o.status, h.held from orders o join (${HOLDS}) h on h.order_id = o.id
           where o.status in ${PAID_UP} and h.held <> 0`,
  },
  {
    name: "every completed order has exactly one review and a 提交评价 event",
    sql: `select o.id, (select count(*)::int from order_reviews r where r.order_id = o.id) as reviews,
                 (select count(*)::int from order_events e where e.order_id = o.id and e.to_status = 'completed') as completions
            from orders o where o.status = 'completed'
             and ((select count(*) from order_reviews r where r.order_id = o.id) <> 1
                  or (select count(*) from order_events e where e.order_id = o.id and e.to_status = 'completed') <> 1)`,
  },
];

/**
 * The mock providers' outboxes against the platform's inbox (a run on the mock e-signature provider
 * and the mock cashier, whose adapters keep their outboxes in the same database): every event
 * delivered exactly once at the first attempt, by whichever instance's worker sent it, and every
 * request the platform received verified, with each event handled once.
 */
export const MOCK_DELIVERY_CHECKS: { name: string; sql: string }[] = [
  {
    name: "every callback of the mock e-signature provider delivered exactly once, at the first attempt",
    sql: `select id, type, attempts, deliveries, delivered_at, given_up_at from mock_esign_events
           where delivered_at is null or given_up_at is not null or deliveries <> 1 or attempts <> 1`,
  },
  {
    name: "every notification of the mock cashier delivered exactly once, at the first attempt",
    sql: `select id, type, attempts, deliveries, delivered_at, given_up_at from mock_pay_events
           where delivered_at is null or given_up_at is not null or deliveries <> 1 or attempts <> 1`,
  },
  {
    name: "the platform's inbox holds one verified request per delivery and one handled event per event, for both providers",
    sql: `select x.provider, x.sent, x.delivered, i.requests, i.unverified, h.handled
            from (select 'mock' as provider, count(*)::int as sent, coalesce(sum(deliveries), 0)::int as delivered from mock_esign_events
                  union all
                  select 'pay:mock', count(*)::int, coalesce(sum(deliveries), 0)::int from mock_pay_events) x
            left join (select provider, count(*)::int as requests, count(*) filter (where verified is not true)::int as unverified
                         from callback_inbox group by provider) i on i.provider = x.provider
            left join (select provider, count(*)::int as handled from callback_events group by provider) h on h.provider = x.provider
           where coalesce(i.requests, 0) <> x.delivered or coalesce(i.unverified, 0) <> 0 or coalesce(h.handled, 0) <> x.sent`,
  },
];

/** Runs the payment checks, the mock delivery checks when asked, and (given ids) that those orders are all 已完成. */
export async function checkOrderPayments(db: Db, opts: { mockDeliveries?: boolean; completed?: string[] } = {}): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of [...ORDER_PAYMENT_CHECKS, ...(opts.mockDeliveries ? MOCK_DELIVERY_CHECKS : [])]) {
    out.push({ name: c.name, failures: await db.query(c.sql) });
  }
  if (opts.completed) {
    out.push({
      name: `every one of the ${opts.completed.length} orders is 已完成`,
      failures: await db.query("select id, number, status from orders where id = any($1::uuid[]) and status <> 'completed'", [opts.completed]),
    });
    const [found] = await db.query<{ n: number }>("select count(*)::int as n from orders where id = any($1::uuid[])", [opts.completed]);
    if (found!.n !== opts.completed.length) out.at(-1)!.failures.push({ expected: opts.completed.length, found: found!.n });
  }
  return out;
}

/**
 * What clients saw confirmed against the orders table: `confirmed` lists each confirmation (a 303
 * to the order's page) as the client keyed it, `${phone}/${submission key}`, with the order id it
 * was sent to (a double click answers the same order twice). Checks: every confirmed order exists
 * once with that key, these enterprises have no other order, and no submission key has two orders.
 */
export async function checkConfirmedOrders(db: Db, confirmed: { key: string; id: string }[], phones: string[]): Promise<CheckResult[]> {
  const orders = await db.query<{ id: string; key: string }>(
    `select o.id, a.phone || '/' || o.submission_key as key
       from orders o join enterprises e on e.id = o.enterprise_id join accounts a on a.id = e.account_id
      where a.phone = any($1::text[])`,
    [phones],
  );
  const byId = new Map(orders.map((o) => [o.id, o.key]));
  const confirmedIds = new Set(confirmed.map((c) => c.id));
  const perKey = new Map<string, string[]>();
  for (const o of orders) perKey.set(o.key, [...(perKey.get(o.key) ?? []), o.id]);
  return [
    {
      name: `every order a client saw confirmed exists, with the submission key it posted (${confirmed.length} confirmations of ${confirmedIds.size} orders)`,
      failures: confirmed.filter((c) => byId.get(c.id) !== c.key),
    },
    {
      name: `no other order of these enterprises (${orders.length} in the database)`,
      failures: orders.filter((o) => !confirmedIds.has(o.id)),
    },
    {
      name: "one order per submission key (no duplicate from a resubmission or a double click)",
      failures: [...perKey].filter(([, ids]) => ids.length > 1).map(([key, ids]) => ({ key, ids })),
    },
  ];
}

/**
 * Quota applications (服务券配额申请) and the voucher accounts their approvals opened, straight from
 * the tables: no enterprise applied twice, every approval granted once, and each programme's
 * totals hold (nothing reserved or used beyond what it granted). Used by scripts/bench-rush.ts.
 */
export const QUOTA_APPLICATION_CHECKS: { name: string; sql: string }[] = [
  {
    name: "no enterprise has two live (pending or approved) applications for one programme",
    sql: `select programme_id, enterprise_id, count(*)::int as n from quota_applications
           where status in ('pending', 'approved') group by programme_id, enterprise_id having count(*) > 1`,
  },
  {
    name: "every approved application opened exactly one voucher account, granted its approved amount",
    sql: `select q.id, q.approved_fen, count(a.id)::int as accounts, min(a.granted_fen) as granted_fen
            from quota_applications q left join voucher_accounts a on a.application_id = q.id
           where q.status = 'approved' group by q.id, q.approved_fen
          having count(a.id) <> 1 or min(a.granted_fen) <> q.approved_fen`,
  },
  {
    name: "every voucher account belongs to an approved application of its enterprise and programme",
    sql: `select a.id, q.status from voucher_accounts a left join quota_applications q on q.id = a.application_id
           where q.id is null or q.status <> 'approved' or q.enterprise_id <> a.enterprise_id or q.programme_id <> a.programme_id`,
  },
  {
    name: "per programme: granted = the approved amounts, and reserved + consumed + expired + recalled <= granted",
    sql: `select p.id, p.name, q.approved, a.granted, a.used
            from voucher_programmes p
            left join (select programme_id, sum(approved_fen)::bigint as approved from quota_applications where status = 'approved' group by programme_id) q
                   on q.programme_id = p.id
            left join (select programme_id, sum(granted_fen)::bigint as granted,
                              sum(reserved_fen + consumed_fen + expired_fen + recalled_fen)::bigint as used
                         from voucher_accounts group by programme_id) a on a.programme_id = p.id
           where coalesce(q.approved, 0) <> coalesce(a.granted, 0) or coalesce(a.used, 0) > coalesce(a.granted, 0)`,
  },
];

/** Runs the quota application checks; the results in the order above. */
export async function checkQuotaApplications(db: Db): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of QUOTA_APPLICATION_CHECKS) out.push({ name: c.name, failures: await db.query(c.sql) });
  return out;
}
