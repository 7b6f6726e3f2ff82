-- Catalog: the managed list of service categories and the negative list, provider applications
-- (申请成为服务商) and approved providers (入库 / 出库).

create table service_categories (
  code text primary key check (code ~ '^[a-z][a-z0-9-]{1,39}$'),
  name text not null unique,
  sort integer not null default 0,
  active boolean not null default true
);
insert into service_categories (code, name, sort) values
  ('digital', '数字化改造', 1),
  ('iiot', '工业互联网', 2),
  ('smart-mfg', '智能制造', 3),
  ('cloud', '设备上云', 4),
  ('data-gov', '数据治理', 5),
  ('green', '绿色低碳', 6),
  ('testing', '检验检测', 7),
  ('quality', '质量管理', 8),
  ('supply-chain', '供应链优化', 9),
  ('market', '市场拓展', 10),
  ('specialized', '专精特新培育', 11),
  ('tech', '技术攻关', 12),
  ('standards', '标准制定', 13),
  ('ip', '知识产权服务', 14),
  ('consulting', '管理咨询', 15),
  ('training', '人才培训', 16),
  ('legal-finance', '法律财税服务', 17),
  ('equipment', '设备更新', 18);

create table negative_words (
  word text primary key check (length(word) between 1 and 20)
);
insert into negative_words (word) values
  ('游学'),
  ('旅游'),
  ('温泉'),
  ('美食'),
  ('摄影'),
  ('插花'),
  ('代办'),
  ('包过'),
  ('政府关系'),
  ('政策申请代写'),
  ('党建服务');

create table provider_applications (
  id uuid primary key default gen_random_uuid(),
  enterprise_id uuid not null references enterprises(id),
  categories text[] not null,
  regions text[] not null,
  introduction text not null,
  qualifications text not null default '',
  contact_name text not null,
  contact_phone text not null,
  qualification_file_ids uuid[] not null default '{}',
  contract_file_ids uuid[] not null default '{}',
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected')),
  submitted_at timestamptz not null default now(),
  decided_at timestamptz,
  decided_by uuid references admin_users(id),
  decision_reason text
);
create unique index provider_applications_open_key on provider_applications (enterprise_id) where status = 'pending';
create index provider_applications_queue_idx on provider_applications (status, submitted_at desc);
create index provider_applications_enterprise_idx on provider_applications (enterprise_id, submitted_at desc);

create table providers (
  id uuid primary key default gen_random_uuid(),
  enterprise_id uuid not null unique references enterprises(id),
  name text not null,
  categories text[] not null,
  regions text[] not null,
  introduction text not null,
  contact_name text not null,
  contact_phone text not null,
  status text not null default 'active' check (status in ('active', 'suspended')),
  status_reason text,
  approved_at timestamptz not null default now(),
  application_id uuid not null references provider_applications(id)
);
create index providers_status_idx on providers (status, approved_at desc);
