-- 协商终止 and refunds (docs/payments.md "Termination and refunds").
--
-- order_terminations (orders module): one party's proposal to end an order after 接单, with the part
-- of what the enterprise paid that goes back to it; the other party agrees (the order ends 已终止 in
-- the same transaction), rejects, or the proposer withdraws it. An operator's decision in a dispute
-- is recorded here too (proposed_by operator, status decided). At most one open proposal per order.
create table order_terminations (
  id uuid primary key default gen_random_uuid(),
  order_id uuid not null references orders(id),
  proposed_by text not null check (proposed_by in ('enterprise', 'provider', 'operator')),
  proposer_id text not null check (length(proposer_id) between 1 and 64),
  reason text not null check (length(reason) between 2 and 200),
  -- What the enterprise had paid (定金 + 尾款 confirmed) when it was proposed, and what goes back.
  paid_fen bigint not null check (paid_fen >= 0),
  refund_fen bigint not null check (refund_fen >= 0 and refund_fen <= paid_fen),
  -- proposed 待对方确认, agreed 已同意, rejected 已拒绝, withdrawn 已撤回, lapsed 已失效, decided 平台决定.
  status text not null default 'proposed' check (status in ('proposed', 'agreed', 'rejected', 'withdrawn', 'lapsed', 'decided')),
  responder_id text check (length(responder_id) between 1 and 64),
  response text check (length(response) <= 200),
  created_at timestamptz not null,
  ended_at timestamptz,
  check ((status = 'proposed') = (ended_at is null))
);
create unique index order_terminations_one_open on order_terminations (order_id) where status = 'proposed';
create index order_terminations_order_idx on order_terminations (order_id, created_at);

-- refunds (payments module): one row per refund asked of the payment channel, written in the
-- transaction that decides it (the termination, or a payment confirmed after its order moved on),
-- sent to the channel after commit; refund_no is the idempotency key reused on every retry.
create table refunds (
  id uuid primary key default gen_random_uuid(),
  payment_id uuid not null references payments(id),
  order_id uuid not null references orders(id),
  refund_no text not null unique check (refund_no ~ '^[A-Za-z0-9_-]{6,32}$'),
  amount_fen bigint not null check (amount_fen > 0),
  reason text not null check (length(reason) between 1 and 200),
  -- termination 协商终止 / 平台终止; late_payment a payment confirmed after its order ended or was paid.
  cause text not null check (cause in ('termination', 'late_payment')),
  -- processing 退款中, succeeded 已退款, failed 退款失败.
  status text not null default 'processing' check (status in ('processing', 'succeeded', 'failed')),
  -- When the channel accepted the request (null: not yet sent, or the call failed: the reconciler resends).
  accepted_at timestamptz,
  failure_reason text check (length(failure_reason) <= 200),
  created_at timestamptz not null,
  ended_at timestamptz,
  check ((status = 'processing') = (ended_at is null))
);
create index refunds_payment_idx on refunds (payment_id);
create index refunds_order_idx on refunds (order_id, created_at);
create index refunds_processing_idx on refunds (created_at) where status = 'processing';

-- A consumed voucher amount returned to its account when an order ends after the consumption.
alter table order_money_lines drop constraint order_money_lines_kind_check;
alter table order_money_lines add constraint order_money_lines_kind_check check (kind in (
  'voucher_reserved', 'voucher_released', 'voucher_consumed', 'voucher_refunded', 'voucher_settled', 'deposit_paid', 'balance_paid', 'refund'
));
