-- Orders (订单), their events, contracts and contract versions, and money lines (docs/orders.md).

-- The sequence part of the readable order number (DD + date + sequence): atomic across instances, never reused.
create sequence order_number_seq;

create table orders (
  id uuid primary key default gen_random_uuid(),
  number text not null check (number ~ '^DD[0-9]{8}[0-9]{6,15}$'),
  enterprise_id uuid not null references enterprises(id),
  provider_id uuid not null references providers(id),
  product_id uuid not null references products(id),
  status text not null check (status in (
    'pending_acceptance', 'cancelled', 'declined', 'closed', 'contract_drafting', 'contract_review', 'contract_signing',
    'awaiting_deposit', 'awaiting_start', 'in_service', 'awaiting_balance', 'disputed', 'awaiting_review', 'completed', 'terminated'
  )),
  quantity integer not null check (quantity between 1 and 999),
  -- Money of the current terms, integer fen.
  unit_price_fen bigint not null check (unit_price_fen > 0),
  order_fen bigint not null check (order_fen > 0),
  contract_fen bigint not null check (contract_fen > 0),
  deduction_fen bigint not null check (deduction_fen >= 0),
  self_pay_fen bigint not null check (self_pay_fen >= 0),
  deposit_fen bigint not null default 0 check (deposit_fen >= 0),
  voucher_account_id uuid references voucher_accounts(id),
  snapshot jsonb not null,
  submission_key text not null check (length(submission_key) between 1 and 100),
  version integer not null default 1 check (version >= 1),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint orders_number_key unique (number),
  constraint orders_submission_key unique (enterprise_id, submission_key),
  constraint orders_order_amount_check check (order_fen = unit_price_fen * quantity),
  constraint orders_deduction_check check (deduction_fen <= contract_fen),
  constraint orders_self_pay_check check (self_pay_fen = contract_fen - deduction_fen),
  constraint orders_deposit_check check (deposit_fen <= self_pay_fen),
  -- A deduction needs the voucher account it is reserved on.
  constraint orders_voucher_check check (deduction_fen = 0 or voucher_account_id is not null)
);
-- 我购买的服务 / 订单管理 tabs and their counts; the closing job and the admin list.
create index orders_enterprise_idx on orders (enterprise_id, status, created_at desc);
create index orders_provider_idx on orders (provider_id, status, created_at desc);
create index orders_status_idx on orders (status, created_at);
create index orders_enterprise_product_idx on orders (enterprise_id, product_id);

-- The timeline of an order: every transition, append-only.
create table order_events (
  id bigint generated always as identity primary key,
  order_id uuid not null references orders(id),
  at timestamptz not null default now(),
  actor_type text not null check (actor_type in ('enterprise', 'provider', 'operator', 'system')),
  actor_id uuid,
  action text not null,
  from_status text,
  to_status text not null,
  reason text,
  request_id text
);
create index order_events_order_idx on order_events (order_id, id);

create function order_events_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'order_events is append-only';
end;
$$;
create trigger order_events_no_update before update or delete on order_events
  for each statement execute function order_events_append_only();

-- One contract per order; every version is kept.
create table contracts (
  order_id uuid primary key references orders(id),
  current_version integer not null default 1 check (current_version >= 1),
  agreed_version integer check (agreed_version >= 1 and agreed_version <= current_version),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table contract_versions (
  order_id uuid not null references contracts(order_id),
  version integer not null check (version >= 1),
  content jsonb not null,
  status text not null default 'draft' check (status in ('draft', 'submitted', 'returned', 'agreed')),
  return_reason text,
  submitted_at timestamptz,
  decided_at timestamptz,
  sha256 text check (sha256 ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (order_id, version),
  constraint contract_versions_agreed_check check ((status = 'agreed') = (sha256 is not null))
);

-- An agreed version never changes and no version is ever deleted; a new version is a new row.
create function contract_versions_frozen() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'contract_versions rows are never deleted';
  end if;
  if old.status = 'agreed' then
    raise exception 'an agreed contract version cannot change';
  end if;
  return new;
end;
$$;
create trigger contract_versions_no_change before update or delete on contract_versions
  for each row execute function contract_versions_frozen();

-- Money movements of an order (voucher reservation, payments, refunds), append-only; 支付状态 and
-- 补贴券状态 are derived from them.
create table order_money_lines (
  id bigint generated always as identity primary key,
  order_id uuid not null references orders(id),
  kind text not null check (kind in (
    'voucher_reserved', 'voucher_released', 'voucher_consumed', 'voucher_settled', 'deposit_paid', 'balance_paid', 'refund'
  )),
  amount_fen bigint not null check (amount_fen > 0),
  ref text,
  at timestamptz not null default now()
);
create index order_money_lines_order_idx on order_money_lines (order_id, id);

create function order_money_lines_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'order_money_lines is append-only';
end;
$$;
create trigger order_money_lines_no_update before update or delete on order_money_lines
  for each statement execute function order_money_lines_append_only();
