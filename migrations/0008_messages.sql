-- 我要留言: messages to the platform and the staff replies to them.

create table messages (
  id uuid primary key default gen_random_uuid(),
  reference text not null unique check (reference ~ '^LY[0-9]{8}$'),
  category text not null check (category in ('question', 'suggestion', 'complaint')),
  content text not null check (char_length(content) between 5 and 2000),
  contact_phone text not null check (contact_phone ~ '^1[3-9][0-9]{9}$'),
  account_id uuid references accounts(id),
  enterprise_id uuid references enterprises(id),
  author_name text,
  attachment_file_id uuid references files(id),
  status text not null default 'pending' check (status in ('pending', 'replied', 'closed')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_replied_at timestamptz,
  closed_at timestamptz,
  closed_by uuid references admin_users(id),
  check ((status = 'closed') = (closed_at is not null))
);
create index messages_queue_idx on messages (status, created_at desc);
create index messages_category_idx on messages (category, created_at desc);
create index messages_account_idx on messages (account_id, created_at desc) where account_id is not null;

create table message_replies (
  id bigint generated always as identity primary key,
  message_id uuid not null references messages(id),
  admin_id uuid not null references admin_users(id),
  content text not null check (char_length(content) between 1 and 2000),
  created_at timestamptz not null default now()
);
create index message_replies_message_idx on message_replies (message_id, id);
