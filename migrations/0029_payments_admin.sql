-- 支付管理 and the daily reconciliation (对账), docs/payments.md "As built".

-- payments.order_number: the order's readable number, copied when the payment is created (an
-- order's number never changes), so that 支付管理 filters and shows it without reading the orders
-- module's table.
alter table payments add column order_number text;
update payments p set order_number = o.number from orders o where o.id = p.order_id;
alter table payments alter column order_number set not null;
alter table payments add constraint payments_order_number_check check (order_number ~ '^DD[0-9]{8}[0-9]{6,15}$');
-- 支付管理: newest first, by order number (exact or prefix); 对账: what ended on a day.
create index payments_created_idx on payments (created_at desc, id desc);
create index payments_order_number_idx on payments (order_number text_pattern_ops);
create index payments_paid_idx on payments (paid_at) where status = 'succeeded';
create index payments_ended_idx on payments (ended_at) where status in ('failed', 'closed');
create index refunds_created_idx on refunds (created_at desc, id desc);
create index refunds_ended_idx on refunds (ended_at) where status = 'succeeded';

-- callback_events (signing module's inbox): the object an event is about (the payment's or refund's
-- number for provider pay:<adapter>), written with the claim, so that 对账 finds each payment's
-- notification; and the claims of a day.
alter table callback_events add column ref text check (length(ref) between 1 and 64);
create index callback_events_ref_idx on callback_events (provider, ref) where ref is not null;
create index callback_events_handled_idx on callback_events (provider, handled_at);

-- order_money_lines (orders module): the channel's lines read by their payment's or refund's number,
-- and by day, for 对账.
create index order_money_lines_ref_idx on order_money_lines (ref) where kind in ('deposit_paid', 'balance_paid', 'refund');
create index order_money_lines_at_idx on order_money_lines (at) where kind in ('deposit_paid', 'balance_paid', 'refund');

-- payment_reconciliations (payments module): one row per Asia/Shanghai day compared (the job's run
-- for the previous day, or finance's 立即对账, which replaces the day's row): what the platform
-- recorded, what the channel answered, the money lines and the notifications, and every
-- difference found (jsonb array of {kind, severity, ref, orderId, orderNumber, text, detail}).
create table payment_reconciliations (
  id uuid primary key default gen_random_uuid(),
  day date not null unique,
  -- clean 无差异 (notes allowed), differences 有差异.
  status text not null check (status in ('clean', 'differences')),
  ran_at timestamptz not null,
  -- The staff member of 立即对账 (null: the daily job), and their name as it was.
  ran_by uuid,
  ran_by_name text check (length(ran_by_name) <= 100),
  payment_count integer not null check (payment_count >= 0),
  payment_fen bigint not null check (payment_fen >= 0),
  refund_count integer not null check (refund_count >= 0),
  refund_fen bigint not null check (refund_fen >= 0),
  queried integer not null check (queried >= 0),
  line_count integer not null check (line_count >= 0),
  notice_count integer not null check (notice_count >= 0),
  difference_count integer not null check (difference_count >= 0),
  note_count integer not null check (note_count >= 0),
  differences jsonb not null default '[]'::jsonb,
  check ((status = 'clean') = (difference_count = 0))
);
