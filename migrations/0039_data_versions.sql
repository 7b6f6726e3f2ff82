-- Versions of the data the public pages show (docs/page-cache.md). Each kind of data has a counter
-- that a statement-level trigger bumps in the same transaction as any insert, update, delete or
-- truncate of its tables, so a change and its new version commit together; the anonymous page
-- cache keys every render by the versions of the kinds it shows. Only tables that public pages
-- read have a trigger (never the order, voucher ledger or payment tables: their writes must not
-- queue on one counter row).
create table data_versions (
  kind text primary key,
  version bigint not null default 0
);

create function bump_data_version() returns trigger language plpgsql as $$
begin
  insert into data_versions as v (kind, version) values (tg_argv[0], 1)
    on conflict (kind) do update set version = v.version + 1;
  return null;
end
$$;

insert into data_versions (kind) values ('catalog'), ('products'), ('reviews'), ('programmes'), ('demands'), ('content'), ('settlement');

create trigger service_categories_version after insert or update or delete or truncate on service_categories
  for each statement execute function bump_data_version('catalog');
create trigger providers_version after insert or update or delete or truncate on providers
  for each statement execute function bump_data_version('catalog');
create trigger party_suspensions_version after insert or update or delete or truncate on party_suspensions
  for each statement execute function bump_data_version('catalog');
create trigger products_version after insert or update or delete or truncate on products
  for each statement execute function bump_data_version('products');
create trigger product_revisions_version after insert or update or delete or truncate on product_revisions
  for each statement execute function bump_data_version('products');
create trigger product_listings_version after insert or update or delete or truncate on product_listings
  for each statement execute function bump_data_version('products');
create trigger order_reviews_version after insert or update or delete or truncate on order_reviews
  for each statement execute function bump_data_version('reviews');
create trigger voucher_programmes_version after insert or update or delete or truncate on voucher_programmes
  for each statement execute function bump_data_version('programmes');
create trigger demands_version after insert or update or delete or truncate on demands
  for each statement execute function bump_data_version('demands');
create trigger demand_responses_version after insert or update or delete or truncate on demand_responses
  for each statement execute function bump_data_version('demands');
create trigger articles_version after insert or update or delete or truncate on articles
  for each statement execute function bump_data_version('content');
create trigger article_attachments_version after insert or update or delete or truncate on article_attachments
  for each statement execute function bump_data_version('content');
create trigger settlements_version after insert or update or delete or truncate on settlements
  for each statement execute function bump_data_version('settlement');
create trigger settlement_orders_version after insert or update or delete or truncate on settlement_orders
  for each statement execute function bump_data_version('settlement');
