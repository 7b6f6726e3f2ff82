-- News and policies (政策资讯): articles written by operators, public once published and due.

create table articles (
  id uuid primary key default gen_random_uuid(),
  kind text not null check (kind in ('notice', 'policy')),
  status text not null default 'draft' check (status in ('draft', 'published', 'offline')),
  title text not null check (char_length(title) between 1 and 120),
  summary text not null default '' check (char_length(summary) <= 300),
  body text not null default '' check (char_length(body) <= 50000),
  -- A stable name other pages link to (/news/p/voucher-measures); optional.
  slug text unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(slug) <= 60),
  pinned boolean not null default false,
  -- 发布时间: set at publication (or typed in advance); a future time schedules the article.
  published_at timestamptz,
  created_by uuid references admin_users(id),
  updated_by uuid references admin_users(id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (status = 'draft' or published_at is not null)
);
create index articles_public_idx on articles (pinned desc, published_at desc, id desc) where status = 'published';
create index articles_public_kind_idx on articles (kind, pinned desc, published_at desc, id desc) where status = 'published';
create index articles_admin_idx on articles (status, updated_at desc);

create table article_attachments (
  article_id uuid not null references articles(id),
  file_id uuid not null references files(id),
  position integer not null,
  primary key (article_id, file_id)
);
create index article_attachments_file_idx on article_attachments (file_id);
