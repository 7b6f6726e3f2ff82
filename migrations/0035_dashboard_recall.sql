-- 数据看板 and 额度收回 (0033): a `recall` entry takes quota back to the programme like an expiry
-- does, so the dashboard counts it in 已失效 (expired_fen): the ledger delta trigger and the rebuild
-- now read both kinds, and the rollups are rebuilt once so recalls made before this migration count.

create or replace function dashboard_ledger_delta() returns trigger language plpgsql as $$
begin
  insert into dashboard_ledger_deltas (account_id, programme_id, enterprise_id, city_code, size_class, category, provider_id, month,
                                       granted_fen, reserved_fen, consumed_fen, settled_fen, expired_fen)
  select n.account_id, a.programme_id, a.enterprise_id, coalesce(e.city_code, ''), coalesce(e.size_class, ''), coalesce(o.category, ''), o.provider_id,
         date_trunc('month', n.created_at at time zone 'Asia/Shanghai')::date,
         case n.kind when 'grant' then n.amount_fen else 0 end,
         case n.kind when 'reserve' then n.amount_fen when 'release' then -n.amount_fen when 'consume' then -n.amount_fen else 0 end,
         case n.kind when 'consume' then n.amount_fen when 'refund' then -n.amount_fen else 0 end,
         case n.kind when 'settle' then n.amount_fen else 0 end,
         case when n.kind in ('expire', 'recall') then n.amount_fen else 0 end
    from added n
    join voucher_account_directory a on a.id = n.account_id
    left join enterprise_directory e on e.id = a.enterprise_id
    left join order_directory o on o.id = n.order_id;
  return null;
end;
$$;
create or replace function dashboard_rebuild() returns void language plpgsql as $$
begin
  perform pg_advisory_xact_lock(hashtext('dashboard:fold'));
  lock table voucher_ledger, orders in share mode;
  delete from dashboard_ledger_deltas;
  delete from dashboard_rollup;
  delete from dashboard_account_usage;
  delete from dashboard_usage_buckets;
  delete from dashboard_order_deltas;
  delete from dashboard_order_counts;
  insert into dashboard_rollup (programme_id, dim, key, granted_fen, reserved_fen, consumed_fen, settled_fen, expired_fen, entries)
  select d.programme_id, x.dim, x.key, sum(d.g), sum(d.r), sum(d.c), sum(d.s), sum(d.x), sum(d.n)
    from (select a.programme_id, coalesce(e.city_code, '') as city_code, coalesce(e.size_class, '') as size_class, coalesce(o.category, '') as category,
                 coalesce(o.provider_id::text, '') as provider_key, to_char(date_trunc('month', l.created_at at time zone 'Asia/Shanghai'), 'YYYY-MM') as month_key,
                 sum(case l.kind when 'grant' then l.amount_fen else 0 end) as g,
                 sum(case l.kind when 'reserve' then l.amount_fen when 'release' then -l.amount_fen when 'consume' then -l.amount_fen else 0 end) as r,
                 sum(case l.kind when 'consume' then l.amount_fen when 'refund' then -l.amount_fen else 0 end) as c,
                 sum(case l.kind when 'settle' then l.amount_fen else 0 end) as s,
                 sum(case when l.kind in ('expire', 'recall') then l.amount_fen else 0 end) as x,
                 count(*) as n
            from voucher_ledger l
            join voucher_account_directory a on a.id = l.account_id
            left join enterprise_directory e on e.id = a.enterprise_id
            left join order_directory o on o.id = l.order_id
           group by 1, 2, 3, 4, 5, 6) d
   cross join lateral (values ('programme', ''), ('month', d.month_key), ('city', d.city_code), ('size', d.size_class), ('category', d.category),
                              ('provider', d.provider_key)) as x(dim, key)
   group by d.programme_id, x.dim, x.key;
  insert into dashboard_account_usage (account_id, programme_id, enterprise_id, granted_fen, consumed_fen)
  select a.id, a.programme_id, a.enterprise_id,
         coalesce(sum(case l.kind when 'grant' then l.amount_fen else 0 end), 0),
         coalesce(sum(case l.kind when 'consume' then l.amount_fen when 'refund' then -l.amount_fen else 0 end), 0)
    from voucher_account_directory a
    join voucher_ledger l on l.account_id = a.id
   group by a.id, a.programme_id, a.enterprise_id;
  insert into dashboard_usage_buckets (programme_id, bucket, n)
  select programme_id, case when usage_bp = 0 then -1 else least(usage_bp / 1000, 9) end, count(*)
    from dashboard_account_usage group by 1, 2;
  insert into dashboard_order_counts (programme_key, status, n)
  select coalesce(a.programme_id::text, ''), o.status, count(*)
    from order_directory o left join voucher_account_directory a on a.id = o.voucher_account_id
   group by 1, 2;
  update dashboard_state set rebuilt_at = now(), folded_at = now();
end;
$$;

select dashboard_rebuild();
