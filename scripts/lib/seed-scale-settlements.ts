/**
 * 兑付 at scale, after scripts/lib/seed-scale-orders.ts, set-based in SQL over what it wrote:
 *
 * - every order with a `settle` ledger entry was applied for per provider, service year and month
 *   of that entry, approved, publicised and paid (已拨付) in one payout batch per month, at the
 *   entry's time;
 * - the completed orders whose voucher part is consumed and not settled wait: by a hash of the order
 *   id, 40 % in 待审核, 10 % 公示中, 10 % 待拨付, 10 % 已驳回 (grouped per provider, service year,
 *   status and month), and 30 % not applied for.
 *
 * The applications share two document rows (no bytes are stored: no page of the benchmark opens
 * them) and a disabled finance account that decided them. Nothing reads the ledger differently:
 * the entries are those the orders' seed wrote.
 */
import type { Db } from "../../src/ports/db.ts";

/** The next settlement sequence number in eight digits (the app writes six; the pattern allows 14-20 after DF). */
const SEQ = "lpad(nextval('settlement_number_seq')::text, 8, '0')";

export type SeedSettlementsResult = { settlements: number; orders: number; batches: number; ms: number };

export async function seedScaleSettlements(db: Db, tag: string): Promise<SeedSettlementsResult> {
  const t0 = performance.now();
  return db.transaction(async (tx) => {
    const [admin] = await tx.query<{ id: string }>(
      `insert into admin_users (username, display_name, password_hash, role, status) values ($1, '规模测试财务', 'disabled', 'finance', 'disabled') returning id`,
      [`scale_finance_${tag}`],
    );
    const files = await tx.query<{ id: string }>(
      `insert into files (purpose, original_name, content_type, size_bytes, sha256, storage_key)
       values ('settlement', '发票（规模测试）.pdf', 'application/pdf', 1, repeat('0', 64), $1), ('settlement', '验收报告（规模测试）.pdf', 'application/pdf', 1, repeat('0', 64), $2)
       returning id`,
      [`scale-invoice-${tag}`, `scale-acceptance-${tag}`],
    );
    const [invoice, acceptance] = files.map((f) => f.id);
    // One row per order to settle or to wait, with its group.
    await tx.exec(`
      create temp table scale_settle on commit drop as
      select o.id as order_id, o.number as order_number, o.enterprise_id, o.provider_id, o.voucher_account_id, a.programme_id, p.name as programme_name,
             p.kind as programme_kind, p.year as service_year, o.deduction_fen as voucher_fen, o.contract_fen,
             l.created_at as settled_at,
             case when l.id is not null then 'paid'
                  else (array['pending','pending','pending','pending','publicising','awaiting_payout','rejected','','',''])[1 + abs(hashtext(o.id::text)) % 10] end as status,
             date_trunc('month', coalesce(l.created_at, o.updated_at) at time zone 'Asia/Shanghai') as month
        from orders o
        join voucher_accounts a on a.id = o.voucher_account_id
        join voucher_programmes p on p.id = a.programme_id
        left join voucher_ledger l on l.account_id = o.voucher_account_id and l.kind = 'settle' and l.order_id = o.id
       where o.status = 'completed' and o.deduction_fen > 0 and o.submission_key like 'scale:%'
         and exists (select 1 from voucher_ledger c where c.account_id = o.voucher_account_id and c.kind = 'consume' and c.order_id = o.id);
      delete from scale_settle where status = '';
      -- At most 50 orders an application, as the app allows.
      alter table scale_settle add column chunk int;
      update scale_settle x set chunk = r.chunk
        from (select order_id, (row_number() over (partition by provider_id, service_year, status, month order by order_id) - 1) / 50 as chunk from scale_settle) r
       where r.order_id = x.order_id;
      create temp table scale_groups on commit drop as
      select gen_random_uuid() as id, provider_id, service_year, status, month, chunk, sum(voucher_fen) as amount_fen,
             sum(case when programme_kind = 'general' then voucher_fen else 0 end) as general_fen, sum(contract_fen) as contract_fen,
             max(settled_at) as paid_at, count(*) as n
        from scale_settle group by provider_id, service_year, status, month, chunk;
      alter table scale_groups add column submitted_at timestamptz, add column batch_id uuid;
      update scale_groups set submitted_at = case when status = 'paid' then paid_at - interval '20 days'
                                                  else least(month + interval '35 days', now() - interval '10 days') end;
    `);
    // One batch per month of the payouts.
    await tx.exec(
      `create temp table scale_batches on commit drop as
       select gen_random_uuid() as id, month, min(paid_at) - interval '1 day' as at, count(*) as n, sum(amount_fen) as total
         from scale_groups where status = 'paid' group by month;
       insert into payout_batches (id, number, created_by, created_at, settlement_count, total_fen, paid_count)
       select id, 'PC' || to_char(at at time zone 'Asia/Shanghai', 'YYYYMMDD') || ${SEQ}, $1, at, n, total, n from scale_batches order by at;
       update scale_groups g set batch_id = b.id from scale_batches b where g.status = 'paid' and g.month = b.month`.replace("$1", `'${admin!.id}'::uuid`),
    );
    const [batches] = await tx.query<{ n: number }>("select count(*)::int as n from scale_batches");
    await tx.query(
      `insert into settlements (id, number, provider_id, status, amount_fen, general_fen, contract_fen, invoice_amount_fen, invoice_file_id, acceptance_file_id,
         service_year, payee_name, payee_bank, payee_last4, payee_fingerprint, publicity_until, decided_by, decided_at, reason, payout_no, payout_attempts,
         batch_id, paid_at, submitted_at, updated_at, version, order_count)
       select g.id, 'DF' || to_char(g.submitted_at at time zone 'Asia/Shanghai', 'YYYYMMDD') || ${SEQ},
              g.provider_id, g.status, g.amount_fen, g.general_fen, g.contract_fen, g.contract_fen, $1, $2, g.service_year,
              case when g.status in ('paid', 'publicising', 'awaiting_payout') then '规模测试收款户' end,
              case when g.status in ('paid', 'publicising', 'awaiting_payout') then '规模测试银行' end,
              case when g.status in ('paid', 'publicising', 'awaiting_payout') then '0000' end,
              case when g.status in ('paid', 'publicising', 'awaiting_payout') then repeat('0', 64) end,
              case g.status when 'publicising' then now() + interval '3 days' when 'awaiting_payout' then g.submitted_at + interval '8 days'
                            when 'paid' then g.submitted_at + interval '8 days' end,
              case when g.status <> 'pending' then $3::uuid end,
              case when g.status <> 'pending' then (case when g.status = 'publicising' then now() - interval '2 days' else g.submitted_at + interval '3 days' end) end,
              case when g.status = 'rejected' then '发票金额与合同金额不一致（规模测试数据）' end,
              null, case when g.status = 'paid' then 1 else 0 end, g.batch_id, case when g.status = 'paid' then g.paid_at end,
              g.submitted_at, coalesce(g.paid_at, g.submitted_at + interval '3 days'), 2, g.n
         from scale_groups g order by g.submitted_at`,
      [invoice, acceptance, admin!.id],
    );
    await tx.exec(`
      update settlements s set payout_no = 'S' || substr(s.number, 3) || 'P1' from scale_groups g where g.id = s.id and g.status = 'paid';
      insert into settlement_orders (settlement_id, order_id, order_number, enterprise_id, voucher_account_id, programme_id, programme_name, programme_kind, voucher_fen, contract_fen)
      select g.id, x.order_id, x.order_number, x.enterprise_id, x.voucher_account_id, x.programme_id, x.programme_name, x.programme_kind, x.voucher_fen, x.contract_fen
        from scale_settle x join scale_groups g on g.provider_id = x.provider_id and g.service_year = x.service_year and g.status = x.status and g.month = x.month and g.chunk = x.chunk;
      insert into settlement_events (settlement_id, at, actor_type, action, from_status, to_status)
      select id, submitted_at, 'provider', 'apply', null, 'pending' from scale_groups;
      insert into settlement_events (settlement_id, at, actor_type, action, from_status, to_status)
      select id, coalesce(paid_at, submitted_at + interval '3 days'),
             case status when 'paid' then 'system' when 'awaiting_payout' then 'system' else 'finance' end,
             case status when 'paid' then 'payout_succeeded' when 'awaiting_payout' then 'publicity_end' when 'publicising' then 'approve' else 'reject' end,
             case status when 'paid' then 'paying' when 'awaiting_payout' then 'publicising' else 'pending' end, status
        from scale_groups where status <> 'pending';
      insert into settlement_year_totals (provider_id, service_year, approved_fen)
      select provider_id, service_year, sum(general_fen) from scale_groups where status in ('paid', 'publicising', 'awaiting_payout') group by 1, 2
      on conflict (provider_id, service_year) do update set approved_fen = settlement_year_totals.approved_fen + excluded.approved_fen;
    `);
    const [n] = await tx.query<{ settlements: number; orders: number }>(
      "select (select count(*)::int from scale_groups) as settlements, (select count(*)::int from scale_settle) as orders",
    );
    return { settlements: n!.settlements, orders: n!.orders, batches: batches!.n, ms: performance.now() - t0 };
  });
}
