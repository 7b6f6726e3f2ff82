-- Accounts of enterprise users, their enterprises (uncertified at registration),
-- platform staff, and the append-only audit trail every module writes to.

create table accounts (
  id uuid primary key default gen_random_uuid(),
  phone text not null,
  password_hash text,
  status text not null default 'active' check (status in ('active', 'suspended')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_login_at timestamptz,
  constraint accounts_phone_key unique (phone)
);

create table enterprises (
  id uuid primary key default gen_random_uuid(),
  account_id uuid not null references accounts(id),
  name text not null,
  certification_status text not null default 'uncertified'
    check (certification_status in ('uncertified', 'pending', 'certified', 'rejected')),
  is_provider boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint enterprises_account_key unique (account_id)
);

create table admin_users (
  id uuid primary key default gen_random_uuid(),
  username text not null,
  display_name text not null,
  password_hash text not null,
  role text not null check (role in ('super_admin', 'reviewer', 'finance', 'operator')),
  status text not null default 'active' check (status in ('active', 'disabled')),
  created_at timestamptz not null default now(),
  last_login_at timestamptz,
  constraint admin_users_username_key unique (username)
);

create table audit_events (
  id bigint generated always as identity primary key,
  occurred_at timestamptz not null default now(),
  actor_type text not null check (actor_type in ('account', 'admin', 'system', 'provider_callback')),
  actor_id uuid,
  entity_type text not null,
  entity_id uuid,
  action text not null,
  from_status text,
  to_status text,
  reason text,
  request_id text,
  data jsonb not null default '{}'::jsonb
);
create index audit_events_entity_idx on audit_events (entity_type, entity_id, occurred_at);
create index audit_events_occurred_idx on audit_events (occurred_at desc);

-- Audit rows are never updated or deleted.
create function audit_events_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_events is append-only';
end;
$$;
create trigger audit_events_no_update before update or delete on audit_events
  for each statement execute function audit_events_append_only();
