-- Staff accounts: a TOTP second factor (RFC 6238) and single-use recovery codes.
-- totp_last_step is the last 30-second step whose code was accepted: a code is never accepted twice.

alter table admin_users add column totp_secret text;
alter table admin_users add column totp_enrolled_at timestamptz;
alter table admin_users add column totp_last_step bigint;
alter table admin_users add column updated_at timestamptz not null default now();
-- Sessions signed in before this time are over (set when a super admin resets the password or the second factor).
alter table admin_users add column sessions_since timestamptz;

create table admin_recovery_codes (
  id uuid primary key default gen_random_uuid(),
  admin_id uuid not null references admin_users(id) on delete cascade,
  code_hash text not null,
  used_at timestamptz,
  created_at timestamptz not null default now(),
  constraint admin_recovery_codes_hash_key unique (admin_id, code_hash)
);
create index admin_recovery_codes_admin_idx on admin_recovery_codes (admin_id);
