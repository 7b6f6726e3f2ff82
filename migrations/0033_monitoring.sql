-- Monitoring from the peers' rules (docs/monitoring.md): 额度收回 of unused quota, the low-usage
-- reminder's record, and the operators' suspension of a party for fraud (暂停交易).

-- 额度收回 (ledger kind `recall`): what is still available on an account nobody ordered with goes
-- back to the programme, once per account. Available = granted - reserved - consumed - expired - recalled.
alter table voucher_accounts add column recalled_fen bigint not null default 0 check (recalled_fen >= 0);
alter table voucher_accounts drop constraint voucher_accounts_available_check;
alter table voucher_accounts add constraint voucher_accounts_available_check
  check (granted_fen - reserved_fen - consumed_fen - expired_fen - recalled_fen >= 0);
alter table voucher_ledger drop constraint voucher_ledger_kind_check;
alter table voucher_ledger add constraint voucher_ledger_kind_check
  check (kind in ('grant', 'reserve', 'release', 'consume', 'refund', 'expire', 'settle', 'recall'));
-- `recall` is an account entry (no order): voucher_ledger_order_kinds of 0030 already requires
-- order_id to be null for every kind outside ('reserve', 'release', 'consume', 'refund', 'settle').
create unique index voucher_ledger_recall_key on voucher_ledger (account_id) where kind = 'recall';

-- The low-usage reminder (使用率提醒): one row per account and validity end it was sent for, claimed
-- before the SMS goes out, so any number of runs on any number of instances remind once per window.
create table usage_reminders (
  account_id uuid not null references voucher_accounts(id),
  valid_to date not null,
  enterprise_id uuid not null,
  usage_bp integer not null check (usage_bp between 0 and 10000),
  sent_at timestamptz not null,
  primary key (account_id, valid_to)
);

-- 暂停交易 of an enterprise or a provider for fraud, by an operator, with a reason; 恢复 ends it.
-- At most one live suspension per party; ended ones stay as the party's history.
create table party_suspensions (
  id uuid primary key default gen_random_uuid(),
  party_kind text not null check (party_kind in ('enterprise', 'provider')),
  party_id uuid not null,
  reason text not null check (length(reason) between 2 and 500),
  suspended_by uuid not null references admin_users(id),
  suspended_at timestamptz not null,
  resumed_by uuid references admin_users(id),
  resumed_at timestamptz,
  resume_reason text check (resume_reason is null or length(resume_reason) between 2 and 500),
  check ((resumed_at is null) = (resumed_by is null) and (resumed_at is null) = (resume_reason is null))
);
create unique index party_suspensions_live_key on party_suspensions (party_kind, party_id) where resumed_at is null;
create index party_suspensions_party_idx on party_suspensions (party_kind, party_id, suspended_at desc);
create index party_suspensions_recent_idx on party_suspensions (suspended_at desc);
