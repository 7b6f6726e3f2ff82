-- 完成服务: the provider's 服务成果 of an order (a summary and files), written once with the transition
-- to 待支付尾款 (docs/payments.md "Flow", step 3).
create table order_deliveries (
  order_id uuid primary key references orders(id),
  summary text not null check (length(summary) between 1 and 2000),
  created_by uuid not null references accounts(id),
  created_at timestamptz not null
);
create table order_delivery_files (
  order_id uuid not null references order_deliveries(order_id),
  file_id uuid not null references files(id),
  position integer not null check (position between 1 and 5),
  primary key (order_id, file_id),
  unique (order_id, position)
);
