-- 评价 (manual 8.5): the enterprise's evaluation of a completed order, once per order: 服务质量,
-- 服务时效, 服务态度 (1-5 each) and a comment; shown on the product's page.
create table order_reviews (
  order_id uuid primary key references orders(id),
  product_id uuid not null,
  provider_id uuid not null,
  enterprise_id uuid not null references enterprises(id),
  quality smallint not null check (quality between 1 and 5),
  timeliness smallint not null check (timeliness between 1 and 5),
  attitude smallint not null check (attitude between 1 and 5),
  comment text not null default '' check (length(comment) <= 500),
  created_at timestamptz not null
);
create index order_reviews_product_idx on order_reviews (product_id, created_at desc);
create index order_reviews_provider_idx on order_reviews (provider_id, created_at desc);
