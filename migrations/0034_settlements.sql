-- 兑付 (docs/settlement.md): providers' applications for the voucher part of completed orders,
-- finance's review, 公示, and payouts in batches through the payment port.
create sequence settlement_number_seq;

create table payout_batches (
  id uuid primary key default gen_random_uuid(),
  number text not null unique,
  created_by uuid not null references admin_users(id),
  created_at timestamptz not null,
  settlement_count integer not null check (settlement_count > 0),
  total_fen bigint not null check (total_fen > 0)
);

create table settlements (
  id uuid primary key default gen_random_uuid(),
  number text not null unique check (number ~ '^DF[0-9]{14,20}$'),
  provider_id uuid not null references providers(id),
  -- pending 待审核, spot_check 抽查中, publicising 公示中, paused 公示暂停, awaiting_payout 待拨付,
  -- paying 拨付中, paid 已拨付, rejected 已驳回, withdrawn 已撤回.
  status text not null default 'pending' check (status in (
    'pending', 'spot_check', 'publicising', 'paused', 'awaiting_payout', 'paying', 'paid', 'rejected', 'withdrawn'
  )),
  revision integer not null default 1 check (revision >= 1),
  amount_fen bigint not null check (amount_fen > 0),
  general_fen bigint not null check (general_fen >= 0 and general_fen <= amount_fen),
  contract_fen bigint not null check (contract_fen > 0),
  invoice_amount_fen bigint not null check (invoice_amount_fen > 0),
  invoice_file_id uuid not null references files(id),
  acceptance_file_id uuid not null references files(id),
  service_year integer not null check (service_year between 2000 and 2200),
  -- The payee as approved (the full number stays in 支付认证; its SHA-256 detects a change).
  payee_name text,
  payee_bank text,
  payee_last4 text check (payee_last4 ~ '^[0-9]{4}$'),
  payee_fingerprint text check (payee_fingerprint ~ '^[0-9a-f]{64}$'),
  publicity_until timestamptz,
  paused_remaining_ms bigint check (paused_remaining_ms >= 0),
  decided_by uuid references admin_users(id),
  decided_at timestamptz,
  reason text check (length(reason) <= 200),
  spot_check_note text check (length(spot_check_note) <= 500),
  payout_no text unique check (payout_no ~ '^[A-Za-z0-9_-]{6,32}$'),
  payout_attempts integer not null default 0,
  payout_failure text check (length(payout_failure) <= 200),
  batch_id uuid references payout_batches(id),
  paid_at timestamptz,
  submitted_at timestamptz not null,
  updated_at timestamptz not null,
  version integer not null default 1
);
create index settlements_provider_idx on settlements (provider_id, submitted_at desc);
create index settlements_status_idx on settlements (status, submitted_at desc);
create index settlements_publicity_idx on settlements (publicity_until) where status = 'publicising';

create table settlement_orders (
  settlement_id uuid not null references settlements(id),
  order_id uuid not null references orders(id),
  order_number text not null,
  enterprise_id uuid not null,
  voucher_account_id uuid not null,
  programme_id uuid not null,
  programme_name text not null,
  programme_kind text not null check (programme_kind in ('general', 'special')),
  voucher_fen bigint not null check (voucher_fen > 0),
  contract_fen bigint not null check (contract_fen > 0),
  -- Whether the application still holds the order (false once it was withdrawn): one live application per order.
  live boolean not null default true,
  primary key (settlement_id, order_id)
);
create unique index settlement_orders_one_live on settlement_orders (order_id) where live;

create table settlement_files (
  settlement_id uuid not null references settlements(id),
  file_id uuid not null references files(id),
  kind text not null check (kind in ('invoice', 'acceptance', 'evidence')),
  revision integer not null,
  created_at timestamptz not null,
  primary key (settlement_id, file_id)
);

create table settlement_events (
  id bigint generated always as identity primary key,
  settlement_id uuid not null references settlements(id),
  at timestamptz not null,
  actor_type text not null check (actor_type in ('provider', 'finance', 'operator', 'system')),
  actor_id text,
  action text not null,
  from_status text,
  to_status text not null,
  reason text check (length(reason) <= 500)
);
create index settlement_events_idx on settlement_events (settlement_id, id);

-- What of a provider's 通用券 is approved or paid per service year: the row every approval locks.
create table settlement_year_totals (
  provider_id uuid not null references providers(id),
  service_year integer not null,
  approved_fen bigint not null default 0 check (approved_fen >= 0),
  primary key (provider_id, service_year)
);
