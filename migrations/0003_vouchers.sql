-- Voucher programmes (券种), quota applications (配额申请), voucher accounts and their ledger.

create table voucher_programmes (
  id uuid primary key default gen_random_uuid(),
  year integer not null check (year between 2020 and 2100),
  kind text not null check (kind in ('general', 'special')),
  name text not null,
  description text not null default '',
  subsidy_rate_bp integer not null check (subsidy_rate_bp between 1 and 10000),
  per_order_cap_fen bigint not null check (per_order_cap_fen > 0),
  quota_large_fen bigint not null default 0 check (quota_large_fen >= 0),
  quota_medium_fen bigint not null default 0 check (quota_medium_fen >= 0),
  quota_small_fen bigint not null default 0 check (quota_small_fen >= 0),
  quota_micro_fen bigint not null default 0 check (quota_micro_fen >= 0),
  special_min_fen bigint not null default 0 check (special_min_fen >= 0),
  special_max_fen bigint not null default 0 check (special_max_fen >= special_min_fen),
  requires_documents boolean not null default false,
  apply_from date not null,
  apply_to date not null check (apply_to >= apply_from),
  valid_from date not null,
  valid_to date not null check (valid_to >= valid_from),
  categories text[] not null default '{}',
  status text not null default 'draft' check (status in ('draft', 'open', 'closed')),
  is_example boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index voucher_programmes_status_idx on voucher_programmes (status, year desc);

create table quota_applications (
  id uuid primary key default gen_random_uuid(),
  programme_id uuid not null references voucher_programmes(id),
  enterprise_id uuid not null references enterprises(id),
  source text not null default 'self' check (source in ('self', 'allocation')),
  requested_fen bigint not null check (requested_fen > 0),
  approved_fen bigint check (approved_fen > 0 and approved_fen <= requested_fen),
  document_file_ids uuid[] not null default '{}',
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected')),
  submitted_at timestamptz not null default now(),
  decided_at timestamptz,
  decided_by uuid references admin_users(id),
  decision_reason text,
  allocation_run_id uuid
);
-- One live application per enterprise and programme.
create unique index quota_applications_live_key on quota_applications (programme_id, enterprise_id)
  where status in ('pending', 'approved');
create index quota_applications_queue_idx on quota_applications (status, submitted_at desc);
create index quota_applications_enterprise_idx on quota_applications (enterprise_id, submitted_at desc);

create table voucher_accounts (
  id uuid primary key default gen_random_uuid(),
  programme_id uuid not null references voucher_programmes(id),
  enterprise_id uuid not null references enterprises(id),
  application_id uuid not null references quota_applications(id),
  granted_fen bigint not null default 0 check (granted_fen >= 0),
  reserved_fen bigint not null default 0 check (reserved_fen >= 0),
  consumed_fen bigint not null default 0 check (consumed_fen >= 0),
  expired_fen bigint not null default 0 check (expired_fen >= 0),
  created_at timestamptz not null default now(),
  constraint voucher_accounts_one_per_programme unique (programme_id, enterprise_id),
  -- The last guard: available can never go below zero.
  constraint voucher_accounts_available_check check (granted_fen - reserved_fen - consumed_fen - expired_fen >= 0)
);
create index voucher_accounts_enterprise_idx on voucher_accounts (enterprise_id);

create table voucher_ledger (
  id bigint generated always as identity primary key,
  account_id uuid not null references voucher_accounts(id),
  kind text not null check (kind in ('grant', 'reserve', 'release', 'consume', 'refund', 'expire')),
  amount_fen bigint not null check (amount_fen > 0),
  order_id uuid,
  created_at timestamptz not null default now(),
  check ((kind in ('reserve', 'release', 'consume', 'refund')) = (order_id is not null))
);
-- Every order operation happens once per account and order.
create unique index voucher_ledger_order_key on voucher_ledger (account_id, kind, order_id) where order_id is not null;
create unique index voucher_ledger_grant_key on voucher_ledger (account_id) where kind = 'grant';
create index voucher_ledger_account_idx on voucher_ledger (account_id, id);

create function voucher_ledger_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'voucher_ledger is append-only';
end;
$$;
create trigger voucher_ledger_no_update before update or delete on voucher_ledger
  for each statement execute function voucher_ledger_append_only();

create table allocation_runs (
  id uuid primary key default gen_random_uuid(),
  programme_id uuid not null references voucher_programmes(id),
  started_by uuid references admin_users(id),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  eligible_count integer,
  created_count integer,
  skipped_count integer,
  status text not null default 'running' check (status in ('running', 'done', 'failed'))
);
create index allocation_runs_programme_idx on allocation_runs (programme_id, started_at desc);
create index enterprises_certified_size_idx on enterprises (certification_status, size_class);

-- The enterprises module's published read model for set-based work in other modules
-- (annual allocation): certified enterprises and their 企业划型. Other modules read this view,
-- never the enterprises table itself.
create view enterprise_directory as
  select id, name, certification_status, size_class, city_code from enterprises;
