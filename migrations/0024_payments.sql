-- Payments of orders through the payment channel (docs/payments.md): 定金 and 尾款, each one row per
-- attempt; at most one pending or succeeded per (order, kind). The money lines of the order
-- (order_money_lines) record what was confirmed; this table records what was asked of the channel.
create table payments (
  id uuid primary key default gen_random_uuid(),
  order_id uuid not null references orders(id),
  kind text not null check (kind in ('deposit', 'balance')),
  -- The idempotency key sent to the channel (out_trade_no): unique, never reused for other content.
  payment_no text not null unique check (payment_no ~ '^[A-Za-z0-9_-]{6,32}$'),
  provider text not null check (length(provider) between 1 and 40),
  amount_fen bigint not null check (amount_fen > 0),
  -- pending 支付处理中, succeeded 已支付, failed 支付失败, closed 已关闭.
  status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed', 'closed')),
  gateway_payment_id text check (length(gateway_payment_id) between 1 and 200),
  failure_reason text check (length(failure_reason) <= 200),
  -- What the payer saw on the cashier: the accounts' names, banks and the last four digits only.
  payer_name text not null,
  payer_bank text not null,
  payer_last4 text not null check (payer_last4 ~ '^[0-9]{4}$'),
  payee_name text not null,
  payee_bank text not null,
  payee_last4 text not null check (payee_last4 ~ '^[0-9]{4}$'),
  expires_at timestamptz not null,
  created_at timestamptz not null,
  paid_at timestamptz,
  ended_at timestamptz,
  check ((status = 'pending') = (ended_at is null)),
  check ((status = 'succeeded') = (paid_at is not null))
);
create unique index payments_one_live on payments (order_id, kind) where status in ('pending', 'succeeded');
create index payments_order_idx on payments (order_id, created_at);
create index payments_pending_idx on payments (created_at) where status = 'pending';
