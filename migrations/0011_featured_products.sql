-- 推荐服务: reviewers pick listed products for the home page; newest pick first.
alter table products add column featured_at timestamptz;
create index products_featured_idx on products (featured_at desc) where featured_at is not null;
