-- 数据看板 (docs/dashboard.md): rollups of the voucher ledger and of the orders' statuses.
--
-- How they stay true: a trigger on each source table appends a delta row in the SAME transaction
-- as the ledger entry or the order's status change (insert-only, so concurrent orders never wait
-- for one another on a shared counter row); a job folds the deltas into the rollups every minute
-- (one statement deletes the deltas it adds, so each is counted exactly once). The dashboard reads
-- rollup + deltas not yet folded, so its figures equal the ledger at the moment of the request.
-- The triggers read only the row being written and the published views; they write only the
-- dashboard's own tables.

-- The orders module's published read model for the dashboard: each order's parties, voucher
-- account, status and the service category of its product snapshot.
create view order_directory as
  select id, number, status, enterprise_id, provider_id, voucher_account_id, snapshot->>'category' as category, created_at from orders;

-- One row per ledger entry not yet folded: the entry's dimensions as they were when it was written
-- (the enterprise's city and 企业划型, the order's category and provider, the Shanghai month) and its
-- signed effect on each total.
create table dashboard_ledger_deltas (
  id bigint generated always as identity primary key,
  account_id uuid not null,
  programme_id uuid not null,
  enterprise_id uuid not null,
  city_code text not null,
  size_class text not null,
  category text not null,
  provider_id uuid,
  month date not null,
  granted_fen bigint not null,
  reserved_fen bigint not null,
  consumed_fen bigint not null,
  settled_fen bigint not null,
  expired_fen bigint not null
);

-- The folded totals: for each programme, one row per key of each dimension. Every entry is counted
-- once in each dimension, so the rows of one dimension add up to the programme's totals.
create table dashboard_rollup (
  programme_id uuid not null,
  dim text not null check (dim in ('programme', 'month', 'city', 'size', 'category', 'provider')),
  key text not null,
  granted_fen bigint not null default 0,
  reserved_fen bigint not null default 0,
  consumed_fen bigint not null default 0,
  settled_fen bigint not null default 0,
  expired_fen bigint not null default 0,
  entries bigint not null default 0,
  primary key (programme_id, dim, key)
);
-- The top providers by settled amount without a programme filter.
create index dashboard_rollup_dim_idx on dashboard_rollup (dim, key);

-- Each voucher account's usage (consumed / granted, in basis points, rounded down), folded with the
-- rollups: the paged list lowest first and the distribution read its indexes.
create table dashboard_account_usage (
  account_id uuid primary key,
  programme_id uuid not null,
  enterprise_id uuid not null,
  granted_fen bigint not null default 0,
  consumed_fen bigint not null default 0,
  usage_bp integer generated always as (case when granted_fen > 0 then (consumed_fen * 10000 / granted_fen)::integer else 0 end) stored
);
create index dashboard_account_usage_programme_idx on dashboard_account_usage (programme_id, usage_bp, account_id);
create index dashboard_account_usage_rate_idx on dashboard_account_usage (usage_bp, account_id);
-- How many accounts of each programme are in each usage bucket (-1: 未使用; 0..9: tenths; 100 % in 9),
-- moved by the fold with the accounts, so the distribution never counts the accounts themselves.
create table dashboard_usage_buckets (
  programme_id uuid not null,
  bucket smallint not null check (bucket between -1 and 9),
  n bigint not null default 0,
  primary key (programme_id, bucket)
);

-- Orders by status: +1 / -1 per status change not yet folded, and the folded counts. The programme
-- is the order's voucher account's ('' for an order without a voucher).
create table dashboard_order_deltas (
  id bigint generated always as identity primary key,
  programme_key text not null,
  status text not null,
  n integer not null
);
create table dashboard_order_counts (
  programme_key text not null,
  status text not null,
  n bigint not null default 0,
  primary key (programme_key, status)
);

-- When the rollups were last brought up to date (a fold) and last rebuilt from the sources.
create table dashboard_state (
  id boolean primary key default true check (id),
  folded_at timestamptz,
  rebuilt_at timestamptz
);

create function dashboard_ledger_delta() returns trigger language plpgsql as $$
begin
  insert into dashboard_ledger_deltas (account_id, programme_id, enterprise_id, city_code, size_class, category, provider_id, month,
                                       granted_fen, reserved_fen, consumed_fen, settled_fen, expired_fen)
  select n.account_id, a.programme_id, a.enterprise_id, coalesce(e.city_code, ''), coalesce(e.size_class, ''), coalesce(o.category, ''), o.provider_id,
         date_trunc('month', n.created_at at time zone 'Asia/Shanghai')::date,
         case n.kind when 'grant' then n.amount_fen else 0 end,
         case n.kind when 'reserve' then n.amount_fen when 'release' then -n.amount_fen when 'consume' then -n.amount_fen else 0 end,
         case n.kind when 'consume' then n.amount_fen when 'refund' then -n.amount_fen else 0 end,
         case n.kind when 'settle' then n.amount_fen else 0 end,
         case n.kind when 'expire' then n.amount_fen else 0 end
    from added n
    join voucher_account_directory a on a.id = n.account_id
    left join enterprise_directory e on e.id = a.enterprise_id
    left join order_directory o on o.id = n.order_id;
  return null;
end;
$$;
-- Statement level with the inserted rows as a table: one insert per ledger statement, set-based for bulk loads too.
create trigger dashboard_ledger_delta after insert on voucher_ledger
  referencing new table as added for each statement execute function dashboard_ledger_delta();

create function dashboard_order_delta() returns trigger language plpgsql as $$
declare
  new_key text;
  old_key text;
begin
  select coalesce((select a.programme_id::text from voucher_account_directory a where a.id = new.voucher_account_id), '') into new_key;
  if tg_op = 'INSERT' then
    insert into dashboard_order_deltas (programme_key, status, n) values (new_key, new.status, 1);
  else
    select coalesce((select a.programme_id::text from voucher_account_directory a where a.id = old.voucher_account_id), '') into old_key;
    if new.status is distinct from old.status or new_key is distinct from old_key then
      insert into dashboard_order_deltas (programme_key, status, n) values (old_key, old.status, -1), (new_key, new.status, 1);
    end if;
  end if;
  return null;
end;
$$;
create trigger dashboard_order_delta after insert or update of status, voucher_account_id on orders
  for each row execute function dashboard_order_delta();

-- Recomputes every rollup from the sources (the ledger, the orders) and drops the deltas: the
-- migration's backfill, `npm run seed:scale` after its bulk load, and a repair. It blocks writes to
-- the ledger and the orders until it commits, so no entry is counted twice or missed. The
-- dimensions are the enterprises' and orders' current ones (a fold keeps those of the entry's time).
create function dashboard_rebuild() returns void language plpgsql as $$
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
                 sum(case l.kind when 'expire' then l.amount_fen else 0 end) as x,
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

insert into dashboard_state (id) values (true);
select dashboard_rebuild();
