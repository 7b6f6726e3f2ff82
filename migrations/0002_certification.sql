-- Uploaded files (bytes live in the FileStore port), enterprise certification applications,
-- and the history of 支付认证 bank accounts.

create table files (
  id uuid primary key default gen_random_uuid(),
  owner_enterprise_id uuid references enterprises(id),
  purpose text not null,
  original_name text not null,
  content_type text not null check (content_type in ('application/pdf', 'image/jpeg', 'image/png')),
  size_bytes integer not null check (size_bytes > 0 and size_bytes <= 10485760),
  sha256 text not null,
  storage_key text not null unique,
  uploaded_by_account uuid references accounts(id),
  created_at timestamptz not null default now()
);
create index files_owner_idx on files (owner_enterprise_id, created_at desc);

create table enterprise_certifications (
  id uuid primary key default gen_random_uuid(),
  enterprise_id uuid not null references enterprises(id),
  -- superseded: a certified application replaced by a later approved change.
  status text not null default 'draft' check (status in ('draft', 'pending', 'certified', 'rejected', 'superseded')),
  step integer not null default 1 check (step between 1 and 3),
  identity_role text,
  enterprise_type text,
  name text,
  credit_code text,
  credit_code_valid boolean,
  credit_code_confirmed boolean not null default false,
  staff_count integer check (staff_count >= 0),
  revenue_fen bigint check (revenue_fen >= 0),
  size_proposed text check (size_proposed in ('large', 'medium', 'small', 'micro')),
  size_declared text check (size_declared in ('large', 'medium', 'small', 'micro')),
  industry text,
  city_code text,
  district_code text,
  address text,
  legal_name text,
  legal_id_number text,
  legal_phone text,
  licence_file_id uuid references files(id),
  agreed_at timestamptz,
  agent_name text,
  agent_id_number text,
  agent_phone text,
  submitted_at timestamptz,
  decided_at timestamptz,
  decided_by uuid references admin_users(id),
  decision_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- At most one open application (being filled in or under review) per enterprise.
create unique index enterprise_certifications_open_key on enterprise_certifications (enterprise_id)
  where status in ('draft', 'pending');
-- A credit code is certified for one enterprise only.
create unique index enterprise_certifications_certified_code_key on enterprise_certifications (credit_code)
  where status = 'certified';
create index enterprise_certifications_queue_idx on enterprise_certifications (status, submitted_at desc);
create index enterprise_certifications_code_idx on enterprise_certifications (credit_code);
create index enterprise_certifications_enterprise_idx on enterprise_certifications (enterprise_id, created_at desc);

-- The enterprise's certified facts used elsewhere (filters, quota rules), copied on approval.
alter table enterprises add column credit_code text;
alter table enterprises add column size_class text check (size_class in ('large', 'medium', 'small', 'micro'));
alter table enterprises add column city_code text;
alter table enterprises add column certified_at timestamptz;
create unique index enterprises_credit_code_key on enterprises (credit_code);

create table enterprise_bank_accounts (
  id uuid primary key default gen_random_uuid(),
  enterprise_id uuid not null references enterprises(id),
  account_name text not null,
  bank_name text not null,
  bank_city_code text not null,
  branch_name text not null,
  account_number text not null,
  created_at timestamptz not null default now(),
  created_by_account uuid references accounts(id)
);
create index enterprise_bank_accounts_enterprise_idx on enterprise_bank_accounts (enterprise_id, created_at desc);
