-- The mock payment gateway's own state (src/adapters/mock-pay/), as a bank gateway keeps it on its
-- side: payments (cashier sessions), refunds, payouts and the notification outbox. Only the adapter
-- names these tables (tests/unit/architecture.test.ts).

create table mock_pay_payments (
  payment_no text primary key,
  transaction_id text not null unique,
  order_number text not null,
  kind text not null check (kind in ('deposit', 'balance')),
  amount_fen bigint not null check (amount_fen > 0),
  subject text not null,
  payer_name text not null,
  payer_bank text not null,
  payer_masked text not null,
  payee_name text not null,
  payee_bank text not null,
  payee_masked text not null,
  -- pending: the cashier is open or the bank confirms later (稍后到账); then succeeded / failed / closed.
  status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed', 'closed')),
  -- The payer chose 稍后到账 on the cashier: the bank confirms on the next tick (or the console).
  confirm_later boolean not null default false,
  reason text,
  return_url text not null,
  token_hash text not null unique,
  fingerprint text not null,
  expires_at timestamptz not null,
  paid_at timestamptz,
  created_at timestamptz not null,
  ended_at timestamptz
);
create index mock_pay_payments_pending_idx on mock_pay_payments (expires_at) where status = 'pending';

create table mock_pay_refunds (
  refund_no text primary key,
  payment_no text not null references mock_pay_payments(payment_no),
  amount_fen bigint not null check (amount_fen > 0),
  reason text not null,
  status text not null default 'processing' check (status in ('processing', 'succeeded', 'failed')),
  created_at timestamptz not null,
  ended_at timestamptz
);
create index mock_pay_refunds_payment_idx on mock_pay_refunds (payment_no);
create index mock_pay_refunds_processing_idx on mock_pay_refunds (created_at) where status = 'processing';

create table mock_pay_payouts (
  payout_no text primary key,
  payee_name text not null,
  payee_bank text not null,
  payee_masked text not null,
  amount_fen bigint not null check (amount_fen > 0),
  memo text not null,
  fingerprint text not null,
  status text not null default 'processing' check (status in ('processing', 'succeeded', 'failed')),
  created_at timestamptz not null,
  ended_at timestamptz
);
create index mock_pay_payouts_processing_idx on mock_pay_payouts (created_at) where status = 'processing';

-- The notification outbox: written in the transaction of the change, delivered by a job, retried.
create table mock_pay_events (
  id text primary key,
  seq bigint generated always as identity,
  type text not null,
  body text not null,
  -- The test switches at the time it was written: send twice; hold until released.
  duplicate boolean not null default false,
  held boolean not null default false,
  attempts integer not null default 0,
  deliveries integer not null default 0,
  next_attempt_at timestamptz not null,
  lease_until timestamptz,
  delivered_at timestamptz,
  given_up_at timestamptz,
  last_status integer,
  last_error text,
  created_at timestamptz not null
);
create index mock_pay_events_due_idx on mock_pay_events (next_attempt_at) where delivered_at is null and given_up_at is null;
