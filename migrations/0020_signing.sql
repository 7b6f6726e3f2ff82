-- Seals (签章), sign flows of agreed contracts and the callback inbox (docs/signing.md).

-- 我的签章: an enterprise's seals at the e-signature provider. Made once and reused; re-making one
-- retires the active one (已停用), its row kept as history.
create table seals (
  id uuid primary key default gen_random_uuid(),
  enterprise_id uuid not null references enterprises(id),
  provider text not null check (length(provider) between 1 and 40),
  external_party_id text not null check (length(external_party_id) between 1 and 200),
  external_seal_id text check (length(external_seal_id) between 1 and 200),
  identity_check_id text check (length(identity_check_id) between 1 and 200),
  source text not null check (source in ('template', 'image')),
  -- making 制作中 (waiting for the face check or the provider's review), active 已生效,
  -- disabled 已停用 (retired by a newer seal), failed (the face check failed or the image was rejected).
  status text not null default 'making' check (status in ('making', 'active', 'disabled', 'failed')),
  failure_reason text check (length(failure_reason) <= 200),
  name text not null check (length(name) between 2 and 40),
  image_file_id uuid references files(id),
  created_at timestamptz not null default now(),
  activated_at timestamptz,
  disabled_at timestamptz,
  check (status <> 'active' or (activated_at is not null and disabled_at is null)),
  check (status <> 'disabled' or disabled_at is not null)
);
create unique index seals_one_active on seals (enterprise_id) where status = 'active';
create unique index seals_one_making on seals (enterprise_id) where status = 'making';
create index seals_enterprise_idx on seals (enterprise_id, created_at desc);
create unique index seals_check_idx on seals (provider, identity_check_id) where identity_check_id is not null;

-- One signing of one agreed contract version by both parties.
create table sign_flows (
  id uuid primary key default gen_random_uuid(),
  order_id uuid not null references orders(id),
  contract_version integer not null check (contract_version >= 1),
  provider text not null check (length(provider) between 1 and 40),
  external_flow_id text check (length(external_flow_id) between 1 and 200),
  document_file_id uuid not null references files(id),
  document_sha256 text not null check (document_sha256 ~ '^[0-9a-f]{64}$'),
  status text not null default 'open' check (status in ('open', 'completed', 'refused', 'revoked', 'expired')),
  signed_file_id uuid references files(id),
  signed_sha256 text check (signed_sha256 ~ '^[0-9a-f]{64}$'),
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  ended_at timestamptz,
  check ((status = 'open') = (ended_at is null)),
  check ((signed_file_id is null) = (signed_sha256 is null)),
  foreign key (order_id, contract_version) references contract_versions(order_id, version)
);
create unique index sign_flows_one_open on sign_flows (order_id) where status = 'open';
create unique index sign_flows_external on sign_flows (provider, external_flow_id) where external_flow_id is not null;
create index sign_flows_open_idx on sign_flows (created_at) where status = 'open';

create table sign_flow_signers (
  flow_id uuid not null references sign_flows(id),
  party text not null check (party in ('enterprise', 'provider')),
  enterprise_id uuid not null references enterprises(id),
  seal_id uuid not null references seals(id),
  sign_order integer not null check (sign_order between 1 and 9),
  status text not null default 'waiting' check (status in ('waiting', 'signed', 'refused')),
  signed_at timestamptz,
  refuse_reason text check (length(refuse_reason) <= 200),
  primary key (flow_id, party),
  check ((status = 'signed') = (signed_at is not null))
);

-- Every callback request as it arrived (raw body and headers stored before anything else), then
-- verified by the provider's adapter.
create table callback_inbox (
  id bigint generated always as identity primary key,
  provider text not null check (length(provider) between 1 and 40),
  received_at timestamptz not null,
  headers jsonb not null,
  raw_body bytea not null,
  verified boolean,
  refusal text check (refusal in ('signature', 'stale', 'malformed')),
  events integer check (events >= 0),
  processed_at timestamptz
);
create index callback_inbox_received_idx on callback_inbox (received_at desc);

-- Each provider event handled, by its stable id: inserted in the same transaction as the state
-- change it causes, so a duplicate delivery (or the reconciler's answer for the same event) finds
-- the row and changes nothing.
create table callback_events (
  provider text not null check (length(provider) between 1 and 40),
  event_id text not null check (length(event_id) between 1 and 200),
  inbox_id bigint references callback_inbox(id),
  event_type text not null check (length(event_type) between 1 and 100),
  handled_at timestamptz not null,
  outcome text not null check (length(outcome) between 1 and 200),
  primary key (provider, event_id)
);
