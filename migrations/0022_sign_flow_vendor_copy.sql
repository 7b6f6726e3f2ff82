-- The signed contract is kept twice beside the original: the provider's signed file as it came
-- from download (what the provider's verify recognises) and the platform's copy with both seals
-- stamped and a 签署信息 page (what the parties download). See docs/signing.md "The signed contract".
alter table sign_flows add column vendor_file_id uuid references files(id);
alter table sign_flows add column vendor_sha256 text check (vendor_sha256 ~ '^[0-9a-f]{64}$');
alter table sign_flows add constraint sign_flows_vendor_pair check ((vendor_file_id is null) = (vendor_sha256 is null));
alter table sign_flows add constraint sign_flows_completed_files check (status <> 'completed' or (signed_file_id is not null and vendor_file_id is not null));
create index sign_flows_signed_sha_idx on sign_flows (signed_sha256) where signed_sha256 is not null;
create index sign_flows_vendor_sha_idx on sign_flows (vendor_sha256) where vendor_sha256 is not null;
