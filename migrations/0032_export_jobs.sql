-- Exports (导出 CSV / 导出 Excel, docs/exports.md). A large export is a background job: one row per
-- request with its progress (rows done of the total counted at the request), the file it produced
-- (through the files module, readable only by the staff member who asked) and when that expires.

-- The files module also keeps the files the platform generates: CSV and XLSX exports, which may be
-- larger than an upload (up to 256 MB; uploads keep their 10 MB cap).
alter table files drop constraint files_content_type_check;
alter table files add constraint files_content_type_check check (content_type in (
  'application/pdf', 'image/jpeg', 'image/png',
  'text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'));
alter table files drop constraint files_size_bytes_check;
alter table files add constraint files_size_bytes_check check (size_bytes > 0 and (size_bytes <= 10485760
  or (content_type in ('text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet') and size_bytes <= 268435456)));

create table export_jobs (
  id uuid primary key default gen_random_uuid(),
  -- The list (an ExportSource key: 'orders', 'audit', ...) and its query as the list's route parsed it.
  source text not null check (source ~ '^[a-z][a-z0-9_]{0,39}$'),
  format text not null check (format in ('csv', 'xlsx')),
  query jsonb not null,
  requested_by uuid not null references admin_users(id),
  status text not null default 'queued' check (status in ('queued', 'running', 'done', 'failed', 'expired')),
  rows_total integer not null check (rows_total >= 0),
  rows_done integer not null default 0 check (rows_done >= 0),
  file_name text not null,
  file_id uuid references files(id),
  error text,
  -- Rows that existed at this instant are exported (a row added while the job runs is not).
  as_of timestamptz not null,
  created_at timestamptz not null,
  started_at timestamptz,
  finished_at timestamptz,
  expires_at timestamptz not null,
  check ((status = 'done') = (file_id is not null))
);
create index export_jobs_requested_idx on export_jobs (requested_by, created_at desc);
create index export_jobs_open_idx on export_jobs (expires_at) where status <> 'expired';
