-- The shared file store (FILE_STORE=postgres, src/adapters/pg-files.ts): the bytes behind the
-- FileStore port kept in the database, so every app instance reads what any instance wrote.
-- A file is split into parts of at most 1 MiB (part 0 always exists, also for an empty file); a
-- temporary (an upload whose row's transaction has not ended) has temporary = true until promoted.
-- Only the adapter names this table; the files module reaches it through the port.
create table file_store_chunks (
  key text not null check (key ~ '^[A-Za-z0-9_-]{16,128}$'),
  temporary boolean not null,
  part integer not null check (part >= 0),
  bytes bytea not null,
  written_at timestamptz not null,
  primary key (key, temporary, part)
);
