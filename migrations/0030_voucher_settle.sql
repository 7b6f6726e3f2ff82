-- 兑付 (docs/settlement.md): the ledger kind `settle` moves an order's consumed voucher amount to
-- settled when its payout to the provider is confirmed; `settled_fen` is the part of `consumed_fen`
-- already paid out (never more than consumed).
alter table voucher_accounts add column settled_fen bigint not null default 0 check (settled_fen >= 0);
alter table voucher_accounts add constraint voucher_accounts_settled_within_consumed check (settled_fen <= consumed_fen);
alter table voucher_ledger drop constraint voucher_ledger_kind_check;
alter table voucher_ledger add constraint voucher_ledger_kind_check check (kind in ('grant', 'reserve', 'release', 'consume', 'refund', 'expire', 'settle'));
alter table voucher_ledger drop constraint voucher_ledger_check;
alter table voucher_ledger add constraint voucher_ledger_order_kinds check ((kind in ('reserve', 'release', 'consume', 'refund', 'settle')) = (order_id is not null));
