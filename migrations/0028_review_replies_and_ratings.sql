-- 评价 (issue 13, item 6): the provider's one reply to a review (回复评价), an operator's hiding of an
-- abusive comment (隐藏评价, audited; the scores still count), and each product's rating summary for
-- the catalog's 评分 sort, maintained in the review's transaction (docs/decisions.md).

alter table order_reviews
  add column reply text check (reply is null or length(reply) between 2 and 500),
  add column replied_at timestamptz,
  add column replied_by uuid,
  add column hidden_at timestamptz,
  add column hidden_by uuid,
  add column hidden_reason text check (hidden_reason is null or length(hidden_reason) between 2 and 200);

-- The summary lives with the product (owned by the products module, told by orders through the
-- products service): it outlives 下架 / 重新上架, which delete and re-insert the listing row.
alter table products
  add column rating_count integer not null default 0,
  add column rating_points integer not null default 0;

-- The listing carries the rounded overall average (tenths: 47 = 4.7 分, null while unrated) so that
-- 评分 is an index scan over the listings, never an aggregate over the reviews.
alter table product_listings
  add column rating_count integer not null default 0,
  add column rating_tenths smallint check (rating_tenths between 10 and 50);

update products p set rating_count = s.n, rating_points = s.points
  from (select product_id, count(*)::int as n, sum(quality + timeliness + attitude)::int as points from order_reviews group by product_id) s
 where p.id = s.product_id;
update product_listings l set rating_count = p.rating_count, rating_tenths = round(p.rating_points * 10.0 / (3 * p.rating_count))::smallint
  from products p
 where p.id = l.product_id and p.rating_count > 0;

create index product_listings_rating_idx on product_listings (rating_tenths desc nulls last, listed_at desc, product_id);
