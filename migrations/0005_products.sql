-- Service products: a stable product with revisions; the listed revision is what the public sees.

create table products (
  id uuid primary key default gen_random_uuid(),
  provider_id uuid not null references providers(id),
  status text not null default 'draft' check (status in ('draft', 'pending', 'listed', 'rejected', 'delisted')),
  working_revision_id uuid,
  listed_revision_id uuid,
  listed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index products_provider_idx on products (provider_id, updated_at desc);

create table product_revisions (
  id uuid primary key default gen_random_uuid(),
  product_id uuid not null references products(id),
  status text not null default 'draft' check (status in ('draft', 'pending', 'approved', 'rejected', 'withdrawn', 'superseded')),
  title text not null,
  category text not null references service_categories(code),
  voucher_kinds text[] not null,
  price_fen bigint not null check (price_fen > 0),
  unit text not null,
  content text not null,
  deliverables text not null default '',
  acceptance text not null default '',
  duration text not null default '',
  regions text[] not null,
  prereview_verdict text check (prereview_verdict in ('pass', 'fail', 'partial', 'unknown')),
  prereview_reasons jsonb not null default '[]'::jsonb,
  submitted_at timestamptz,
  decided_at timestamptz,
  decided_by uuid references admin_users(id),
  decision_reason text,
  created_at timestamptz not null default now()
);
create index product_revisions_product_idx on product_revisions (product_id, created_at desc);
create index product_revisions_queue_idx on product_revisions (status, submitted_at desc);
alter table products add constraint products_working_fk foreign key (working_revision_id) references product_revisions(id);
alter table products add constraint products_listed_fk foreign key (listed_revision_id) references product_revisions(id);

-- The public shop window: one row per listed product, denormalised for filtering, sorting and
-- search, kept in the same transaction as every listing change.
create table product_listings (
  product_id uuid primary key references products(id),
  revision_id uuid not null references product_revisions(id),
  provider_id uuid not null references providers(id),
  provider_name text not null,
  title text not null,
  category text not null,
  voucher_kinds text[] not null,
  price_fen bigint not null,
  regions text[] not null,
  search_terms text[] not null,
  listed_at timestamptz not null
);
create index product_listings_newest_idx on product_listings (listed_at desc, product_id);
create index product_listings_price_idx on product_listings (price_fen, product_id);
create index product_listings_category_idx on product_listings (category, listed_at desc);
create index product_listings_provider_idx on product_listings (provider_id, listed_at desc);
create index product_listings_kinds_idx on product_listings using gin (voucher_kinds);
create index product_listings_regions_idx on product_listings using gin (regions);
create index product_listings_terms_idx on product_listings using gin (search_terms);
