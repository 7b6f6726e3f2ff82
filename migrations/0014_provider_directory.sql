-- The catalog module's published read model for the products module: each provider's id, name
-- and status (active / suspended). The products repository joins this view, never the providers
-- table itself. A plain view is inlined by the planner, so the listings' anti-join still uses
-- providers_inactive_idx (0006_catalog_indexes.sql).
create view provider_directory as
  select id, name, status from providers;
