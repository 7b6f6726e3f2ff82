-- The mock e-signature provider's own state (src/adapters/mock-esign/, docs/signing.md "The mock as
-- built"). A vendor we do not run keeps these on its side; here they sit in the platform's database
-- so that two app instances see one vendor. Read and written only by the adapter (the architecture
-- test refuses these tables anywhere else); the platform's modules never name them.

-- Organisations (企业) registered by ensureParty: one per 统一社会信用代码. The legal
-- representative's ID number is kept only as a keyed hash (HMAC with the mock's secret) and masked.
create table mock_esign_parties (
  id text primary key,
  credit_code text not null unique,
  name text not null,
  legal_name text not null,
  legal_id_hash text not null,
  legal_id_masked text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null
);

-- 实名认证 / 人脸认证 checks and the hosted page that completes them (its token only as a hash).
create table mock_esign_checks (
  id text primary key,
  party_id text not null references mock_esign_parties(id),
  person_name text not null,
  person_id_hash text not null,
  person_id_masked text not null,
  biz_ref text not null,
  return_url text not null,
  token_hash text not null unique,
  status text not null check (status in ('pending', 'passed', 'failed')),
  reason text,
  selfie_sha256 text,
  selfie_bytes integer,
  expires_at timestamptz not null,
  created_at timestamptz not null,
  decided_at timestamptz
);
create index mock_esign_checks_pending_idx on mock_esign_checks (expires_at) where status = 'pending';

-- Seals (印章): a template seal is active at once; an image seal waits for the review step.
create table mock_esign_seals (
  id text primary key,
  party_id text not null references mock_esign_parties(id),
  source text not null check (source in ('template', 'image')),
  name text,
  image_type text,
  image_sha256 text,
  biz_ref text not null,
  status text not null check (status in ('pending_review', 'active', 'rejected', 'disabled')),
  reason text,
  created_at timestamptz not null,
  decided_at timestamptz,
  constraint mock_esign_seals_biz_ref_key unique (party_id, biz_ref)
);

-- Sign flows over one PDF; the signed bytes once every signer signed.
create table mock_esign_flows (
  id text primary key,
  biz_ref text not null unique,
  title text not null,
  document bytea not null,
  document_sha256 text not null,
  status text not null check (status in ('open', 'completed', 'refused', 'revoked', 'expired')),
  expires_at timestamptz not null,
  created_at timestamptz not null,
  ended_at timestamptz,
  revoke_reason text,
  signed_document bytea,
  signed_sha256 text
);
create index mock_esign_flows_open_idx on mock_esign_flows (expires_at) where status = 'open';
create index mock_esign_flows_signed_idx on mock_esign_flows (signed_sha256) where signed_sha256 is not null;

create table mock_esign_signers (
  flow_id text not null references mock_esign_flows(id),
  party_id text not null references mock_esign_parties(id),
  seal_id text not null references mock_esign_seals(id),
  sign_order integer not null check (sign_order >= 1),
  field jsonb not null,
  status text not null check (status in ('waiting', 'signed', 'refused')),
  signed_at timestamptz,
  reason text,
  primary key (flow_id, party_id)
);

-- Login-free signing links: minted per request, for one signer, short-lived; the token only as a hash.
-- `face_passed_at`: the signer passed the face step in this signing session (the link).
create table mock_esign_links (
  token_hash text primary key,
  flow_id text not null references mock_esign_flows(id),
  party_id text not null,
  return_url text not null,
  expires_at timestamptz not null,
  face_passed_at timestamptz,
  created_at timestamptz not null
);
create index mock_esign_links_flow_idx on mock_esign_links (flow_id, party_id);

-- The callbacks to the platform (an outbox): the exact body sent on every attempt (so the event id
-- and the signed bytes are the same on retries), the attempts, and the delivery switches recorded
-- when the event was made. Events made together share a batch and are delivered in `seq` order
-- (reversed when `out_of_order`).
create table mock_esign_events (
  id text primary key,
  seq bigint generated always as identity,
  batch_id text not null,
  type text not null,
  body text not null,
  duplicate boolean not null default false,
  out_of_order boolean not null default false,
  attempts integer not null default 0,
  deliveries integer not null default 0,
  next_attempt_at timestamptz not null,
  lease_until timestamptz,
  delivered_at timestamptz,
  given_up_at timestamptz,
  last_status integer,
  last_error text,
  created_at timestamptz not null
);
create index mock_esign_events_batch_idx on mock_esign_events (batch_id, seq);
create index mock_esign_events_due_idx on mock_esign_events (next_attempt_at) where delivered_at is null and given_up_at is null;
