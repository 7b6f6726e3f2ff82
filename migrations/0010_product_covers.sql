-- Product covers: an SVG rebuilt from an allowlist (src/modules/catalog/cover-svg.ts), or none.
-- Kept on the revision so a listed cover stays while a new revision with another cover is reviewed.
alter table product_revisions add column cover_svg text check (cover_svg is null or octet_length(cover_svg) <= 20480);
alter table product_listings add column has_cover boolean not null default false;
