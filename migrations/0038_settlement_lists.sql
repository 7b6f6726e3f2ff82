-- 兑付 lists at scale (docs/settlement.md, docs/benchmarks.md): the queue pages newest first without
-- a sort of every application; 兑付公示 reads its page of applications by an index and counts its
-- rows from the applications' own order counts; 拨付批次 counts its applications by batch.

-- The number of orders an application holds (fixed when it is made: 重新提交 keeps its orders).
alter table settlements add column order_count integer;
update settlements s set order_count = (select count(*) from settlement_orders o where o.settlement_id = s.id);
alter table settlements alter column order_count set not null;
alter table settlements add constraint settlements_order_count_check check (order_count between 1 and 50);

create index settlements_queue_idx on settlements (submitted_at desc, id desc);
create index settlements_public_idx on settlements (decided_at desc nulls last, number desc) include (order_count)
  where status in ('publicising', 'awaiting_payout', 'paying', 'paid');
-- 拨付批次: how many of a batch's applications arrived (kept with the payout's confirmation), so the
-- list does not count every batch's applications; those still 拨付中 are few (an index on them).
alter table payout_batches add column paid_count integer not null default 0 check (paid_count >= 0);
update payout_batches b set paid_count = (select count(*) from settlements s where s.batch_id = b.id and s.status = 'paid');
create index settlements_paying_idx on settlements (batch_id) where status = 'paying';
create index settlements_batch_idx on settlements (batch_id) where batch_id is not null;
