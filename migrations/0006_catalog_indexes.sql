-- Indexes for the public product lists at scale (50,000 listings; docs/benchmarks.md, "Catalog at scale").

-- The lists leave out listings of suspended (出库) providers with an anti-join against the few
-- providers that are not active, instead of joining every listing to its provider.
create index providers_inactive_idx on providers (id) where status <> 'active';

-- Every list page also counts its matches. The listings table is wide (each row carries ~200 search
-- terms), so the two filter indexes also carry the columns the filters and the anti-join read: a
-- category / voucher kind / region / price count becomes an index-only scan instead of a visit to
-- every matching row. Same keys, same names, same orders as in 0005.
drop index product_listings_price_idx;
create index product_listings_price_idx on product_listings (price_fen, product_id) include (provider_id, category, voucher_kinds, regions);
drop index product_listings_category_idx;
create index product_listings_category_idx on product_listings (category, listed_at desc) include (provider_id, voucher_kinds, regions, price_fen);
