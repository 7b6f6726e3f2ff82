-- The admin's 订单管理 (docs/orders.md "Admin 订单管理").

-- The vouchers module's published read model for other modules: each voucher account's programme
-- and enterprise. The orders repository filters by programme through it, never reading the
-- voucher_accounts table itself.
create view voucher_account_directory as
  select id, programme_id, enterprise_id from voucher_accounts;

-- The list without a status filter, newest first, one page at a time: the status index leads with
-- the status, so without this one every page sorts all orders (measured: 115 ms -> 1 ms for the
-- first page of 300,000 orders; a programme's first page 47 ms -> 1.4 ms). A number prefix is
-- narrowed to its date's created_at range by the use case, which this index serves too.
create index orders_created_idx on orders (created_at desc, id desc);
