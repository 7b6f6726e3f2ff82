-- A reservation can move (a contract amount changes the deduction): an order may reserve and release
-- more than once on an account, each movement named by a ref (e.g. the contract version). The
-- submission's reservation and the final release keep the empty ref, so every existing entry and
-- operation is unchanged; each (account, kind, order, ref) still happens once.
alter table voucher_ledger add column ref text not null default '' check (length(ref) <= 64);
drop index voucher_ledger_order_key;
create unique index voucher_ledger_order_key on voucher_ledger (account_id, kind, order_id, ref) where order_id is not null;
