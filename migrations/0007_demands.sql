-- 企业需求: demands published by certified enterprises, reviewed by staff, answered by providers.
-- Status labels live in src/modules/demands/domain.ts; 已截止 is computed from the deadline, never stored.

create table demands (
  id uuid primary key default gen_random_uuid(),
  enterprise_id uuid not null references enterprises(id),
  enterprise_name text not null,
  title text not null check (length(title) between 1 and 60),
  category text not null,
  category_name text not null,
  description text not null check (length(description) between 1 and 2000),
  budget_min_fen bigint check (budget_min_fen >= 0),
  budget_max_fen bigint check (budget_max_fen > 0),
  budget_negotiable boolean not null default false,
  city_code text not null,
  district_code text,
  deadline date not null,
  contact_name text not null,
  contact_phone text not null,
  status text not null default 'pending' check (status in ('pending', 'published', 'rejected', 'withdrawn', 'closed')),
  search_terms text[] not null default '{}',
  submitted_at timestamptz not null default now(),
  decided_at timestamptz,
  decided_by uuid references admin_users(id),
  decision_reason text,
  published_at timestamptz,
  closed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (budget_negotiable or (budget_min_fen is not null and budget_max_fen is not null and budget_min_fen <= budget_max_fen)),
  check (status <> 'published' or published_at is not null)
);
-- 我的需求管理
create index demands_enterprise_idx on demands (enterprise_id, updated_at desc);
-- 管理端 queue by status
create index demands_queue_idx on demands (status, submitted_at);
-- Public list: published only, newest first, by category / city, keyword terms.
create index demands_public_idx on demands (published_at desc, id) where status = 'published';
create index demands_public_category_idx on demands (category, published_at desc) where status = 'published';
create index demands_public_city_idx on demands (city_code, published_at desc) where status = 'published';
create index demands_search_idx on demands using gin (search_terms);

create table demand_responses (
  id uuid primary key default gen_random_uuid(),
  demand_id uuid not null references demands(id),
  provider_id uuid not null references providers(id),
  provider_name text not null,
  proposal text not null check (length(proposal) between 1 and 1000),
  quoted_fen bigint check (quoted_fen > 0),
  product_id uuid references products(id),
  product_title text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (demand_id, provider_id)
);
create index demand_responses_provider_idx on demand_responses (provider_id, updated_at desc);
