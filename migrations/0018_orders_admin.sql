-- The admin's 订单管理 (docs/orders.md "Admin 订单管理").

-- The vouchers module's published read model for other modules: each voucher account's programme
-- and enterprise. The orders repository filters by programme through it, never reading the
-- voucher_accounts table itself.
create view voucher_account_directory as
  select id, programme_id, enterprise_id from voucher_accounts;

-- The list without a status filter: newest first, one page at a time (the status index leads
-- with the status, so it cannot give every order in time order).
create index orders_created_idx on orders (created_at desc, id desc);

-- 订单编号 searched by its start (DD + date ...): LIKE 'prefix%' uses a text_pattern_ops index
-- whatever the database's collation; the unique index on number keeps serving the exact match.
create index orders_number_prefix_idx on orders (number text_pattern_ops);

-- The programme filter: the orders paid with one of the programme's accounts.
create index orders_voucher_account_idx on orders (voucher_account_id) where voucher_account_id is not null;
