-- Sensitive personal data at rest: 法定代表人身份证号, 经办人身份证号 and 银行账号 are stored sealed
-- (AES-256-GCM, see src/ports/crypto.ts) in *_enc columns; the ID numbers also get a keyed hash
-- (HMAC-SHA256) for equality lookups. Rows written before this migration still hold plaintext:
-- the start-up step (and `npm run migrate`) seals them and empties the plaintext columns. The
-- NOT VALID checks refuse any new plaintext at once while leaving those rows to the step; a later
-- migration may validate them and drop the emptied columns.

alter table enterprise_certifications add column legal_id_number_enc text;
alter table enterprise_certifications add column legal_id_number_hash text;
alter table enterprise_certifications add column agent_id_number_enc text;
alter table enterprise_certifications add column agent_id_number_hash text;
alter table enterprise_certifications add constraint enterprise_certifications_ids_sealed
  check (legal_id_number is null and agent_id_number is null) not valid;
create index enterprise_certifications_legal_id_hash_idx on enterprise_certifications (legal_id_number_hash);
create index enterprise_certifications_agent_id_hash_idx on enterprise_certifications (agent_id_number_hash);

alter table enterprise_bank_accounts add column account_number_enc text;
alter table enterprise_bank_accounts alter column account_number drop not null;
alter table enterprise_bank_accounts add constraint enterprise_bank_accounts_number_sealed
  check (account_number is null and account_number_enc is not null) not valid;
