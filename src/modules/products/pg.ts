import type { Db } from "../../ports/db.ts";
import { camelRow, pgArray } from "../../lib/rows.ts";
import { type ProductInput, type ProductStatus, type Verdict, searchTerms } from "./domain.ts";
import type { Listing, ListingFilter, Product, ProductRepository, Revision, RevisionStatus } from "./ports.ts";

type Row = Record<string, unknown>;

const PRODUCT_COLUMNS = "id, provider_id, status, working_revision_id, listed_revision_id, listed_at, updated_at, featured_at";
const REVISION_COLUMNS = `id, product_id, status, title, category, voucher_kinds, price_fen, unit, content, deliverables, acceptance, duration,
  regions, prereview_verdict, prereview_reasons, submitted_at, decided_at, decision_reason, created_at, cover_svg is not null as has_cover`;
const LISTING_COLUMNS = `l.product_id, l.revision_id, l.provider_id, l.provider_name, l.title, l.category, l.voucher_kinds, l.price_fen, l.regions,
  l.listed_at, l.has_cover, l.rating_count, l.rating_tenths`;

/** A revision's form values in the column order of the insert and the update ($2..$11). */
const revisionParams = (v: ProductInput) => [
  v.title,
  v.category,
  pgArray(v.voucherKinds),
  v.priceFen,
  v.unit,
  v.content,
  v.deliverables,
  v.acceptance,
  v.duration,
  pgArray(v.regions),
];

export function pgProducts(db: Db): ProductRepository {
  const repo: ProductRepository = {
    async create(providerId: string, input: ProductInput, coverSvg: string | null = null): Promise<{ product: Product; revision: Revision }> {
      const [p] = await db.query(`insert into products (provider_id) values ($1) returning ${PRODUCT_COLUMNS}`, [providerId]);
      const product = camelRow<Product>(p!);
      const revision = await repo.insertRevision(product.id, input, coverSvg);
      await db.query("update products set working_revision_id = $2 where id = $1", [product.id, revision.id]);
      return { product: { ...product, workingRevisionId: revision.id }, revision };
    },
    async insertRevision(productId: string, v: ProductInput, coverSvg: string | null): Promise<Revision> {
      const [r] = await db.query(
        `insert into product_revisions (product_id, title, category, voucher_kinds, price_fen, unit, content, deliverables, acceptance, duration, regions, cover_svg)
         values ($1, $2, $3, $4::text[], $5, $6, $7, $8, $9, $10, $11::text[], $12) returning ${REVISION_COLUMNS}`,
        [productId, ...revisionParams(v), coverSvg],
      );
      return camelRow<Revision>(r!);
    },
    async updateRevision(id: string, v: ProductInput, coverSvg?: string | null): Promise<void> {
      await db.query(
        `update product_revisions set title = $2, category = $3, voucher_kinds = $4::text[], price_fen = $5, unit = $6, content = $7,
           deliverables = $8, acceptance = $9, duration = $10, regions = $11::text[], status = 'draft', prereview_verdict = null,
           prereview_reasons = '[]'::jsonb, decision_reason = null, cover_svg = case when $12 then $13 else cover_svg end
         where id = $1 and status in ('draft', 'rejected', 'withdrawn')`,
        [id, ...revisionParams(v), coverSvg !== undefined, coverSvg ?? null],
      );
    },
    async coverSvg(revisionId: string): Promise<string | undefined> {
      if (!/^[0-9a-f-]{36}$/i.test(revisionId)) return undefined;
      const [r] = await db.query<{ cover_svg: string | null }>("select cover_svg from product_revisions where id = $1", [revisionId]);
      return r?.cover_svg ?? undefined;
    },
    async listedCoverSvg(revisionId: string): Promise<string | undefined> {
      if (!/^[0-9a-f-]{36}$/i.test(revisionId)) return undefined;
      const [r] = await db.query<{ cover_svg: string | null }>(
        `select r.cover_svg from product_listings l join product_revisions r on r.id = l.revision_id join provider_directory v on v.id = l.provider_id
          where l.revision_id = $1 and v.status = 'active'`,
        [revisionId],
      );
      return r?.cover_svg ?? undefined;
    },
    async product(id: string, forUpdate = false): Promise<Product | undefined> {
      if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
      const [r] = await db.query(`select ${PRODUCT_COLUMNS} from products where id = $1${forUpdate ? " for update" : ""}`, [id]);
      return r && camelRow<Product>(r);
    },
    async revision(id: string | null): Promise<Revision | undefined> {
      if (!id || !/^[0-9a-f-]{36}$/i.test(id)) return undefined;
      const [r] = await db.query(`select ${REVISION_COLUMNS} from product_revisions where id = $1`, [id]);
      return r && camelRow<Revision>(r);
    },
    async ofProvider(providerId: string): Promise<(Product & { title: string; workingStatus: RevisionStatus; priceFen: number })[]> {
      const rows = await db.query(
        `select p.id, p.provider_id, p.status, p.working_revision_id, p.listed_revision_id, p.listed_at, p.updated_at, p.featured_at,
                r.title, r.status as working_status, r.price_fen
           from products p join product_revisions r on r.id = p.working_revision_id
          where p.provider_id = $1 order by p.updated_at desc limit 200`,
        [providerId],
      );
      return rows.map((r) => camelRow(r));
    },
    async setProduct(id: string, patch: { status?: ProductStatus; working?: string; listed?: string; listedAt?: Date }): Promise<void> {
      await db.query(
        `update products set status = coalesce($2, status), working_revision_id = coalesce($3::uuid, working_revision_id),
           listed_revision_id = coalesce($4::uuid, listed_revision_id), listed_at = coalesce($5, listed_at), updated_at = now() where id = $1`,
        [id, patch.status ?? null, patch.working ?? null, patch.listed ?? null, patch.listedAt ?? null],
      );
    },
    async submitRevision(id: string, verdict: Verdict, reasons: unknown[], at: Date): Promise<void> {
      await db.query(
        "update product_revisions set status = 'pending', prereview_verdict = $2, prereview_reasons = $3::text::jsonb, submitted_at = $4 where id = $1 and status = 'draft'",
        [id, verdict, JSON.stringify(reasons), at],
      );
    },
    async setRevisionStatus(id: string, status: RevisionStatus, decision?: { adminId: string; reason: string | null; at: Date }): Promise<void> {
      await db.query(
        `update product_revisions set status = $2, decided_by = coalesce($3, decided_by), decision_reason = coalesce($4, decision_reason),
           decided_at = coalesce($5, decided_at) where id = $1`,
        [id, status, decision?.adminId ?? null, decision?.reason ?? null, decision?.at ?? null],
      );
    },
    async upsertListing(productId: string, r: Revision, provider: { id: string; name: string }, at: Date): Promise<void> {
      const terms = searchTerms([r.title, r.content, r.deliverables, provider.name].join(" "));
      await db.query(
        `insert into product_listings (product_id, revision_id, provider_id, provider_name, title, category, voucher_kinds, price_fen, regions, search_terms, listed_at,
           has_cover, rating_count, rating_tenths)
         values ($1, $2, $3, $4, $5, $6, $7::text[], $8, $9::text[], $10::text[], $11, $12,
           coalesce((select p.rating_count from products p where p.id = $1), 0),
           (select round(p.rating_points * 10.0 / (3 * p.rating_count))::smallint from products p where p.id = $1 and p.rating_count > 0))
         on conflict (product_id) do update set revision_id = excluded.revision_id, provider_name = excluded.provider_name, title = excluded.title,
           category = excluded.category, voucher_kinds = excluded.voucher_kinds, price_fen = excluded.price_fen, regions = excluded.regions,
           search_terms = excluded.search_terms, listed_at = excluded.listed_at, has_cover = excluded.has_cover`,
        [
          productId,
          r.id,
          provider.id,
          provider.name,
          r.title,
          r.category,
          pgArray(r.voucherKinds),
          r.priceFen,
          pgArray(r.regions),
          pgArray(terms),
          at,
          r.hasCover,
        ],
      );
    },
    async addRating(productId: string, points: number): Promise<void> {
      await db.query(
        `with p as (
           update products set rating_count = rating_count + 1, rating_points = rating_points + $2 where id = $1
           returning id, rating_count, round(rating_points * 10.0 / (3 * rating_count))::smallint as tenths
         )
         update product_listings l set rating_count = p.rating_count, rating_tenths = p.tenths from p where l.product_id = p.id`,
        [productId, points],
      );
    },
    async setFeatured(productId: string, at: Date | null): Promise<void> {
      await db.query("update products set featured_at = $2 where id = $1", [productId, at]);
    },
    async featured(limit: number): Promise<Listing[]> {
      const rows = await db.query(
        `select ${LISTING_COLUMNS} from products p join product_listings l on l.product_id = p.id
          where p.featured_at is not null and not exists (select 1 from provider_directory v where v.id = l.provider_id and v.status <> 'active')
          order by p.featured_at desc, p.id limit $1`,
        [limit],
      );
      return rows.map((r) => camelRow<Listing>(r));
    },
    async countListed(): Promise<number> {
      const [r] = await db.query<{ n: number }>(
        "select count(*)::int as n from product_listings l where not exists (select 1 from provider_directory v where v.id = l.provider_id and v.status <> 'active')",
      );
      return r!.n;
    },
    async deleteListing(productId: string): Promise<void> {
      await db.query("delete from product_listings where product_id = $1", [productId]);
    },
    async listedWithoutListing(providerId: string): Promise<Product[]> {
      const rows = await db.query(
        `select ${PRODUCT_COLUMNS} from products p
          where p.provider_id = $1 and p.status = 'listed' and p.listed_revision_id is not null
            and not exists (select 1 from product_listings l where l.product_id = p.id)`,
        [providerId],
      );
      return rows.map((r) => camelRow<Product>(r));
    },
    async pendingQueue(limit: number, offset: number) {
      const rows = await db.query(
        `select r.id, r.product_id, r.title, r.price_fen, r.prereview_verdict, r.submitted_at, v.name as provider_name, p.listed_revision_id
           from product_revisions r join products p on p.id = r.product_id join provider_directory v on v.id = p.provider_id
          where r.status = 'pending' order by r.submitted_at, r.id limit $1 offset $2`,
        [limit, offset],
      );
      const [c] = await db.query<{ n: number }>("select count(*)::int as n from product_revisions where status = 'pending'");
      return { rows: rows.map((r) => camelRow<Row>(r)), total: c!.n };
    },
    /**
     * Listed products of active providers, filtered and sorted in SQL on indexed columns.
     * Listings of suspended (出库) providers stay in product_listings and are left out by an anti-join
     * against the few non-active providers (providers_inactive_idx), not by joining every listing to
     * its provider: the page reads 20 index entries and a filtered count can be answered from the
     * covering category and price indexes (migrations/0006_catalog_indexes.sql, docs/benchmarks.md).
     */
    async listings(f: ListingFilter, limit: number, offset: number, opts: { count?: boolean } = {}): Promise<{ rows: Listing[]; total: number }> {
      const where = ["not exists (select 1 from provider_directory v where v.id = l.provider_id and v.status <> 'active')"];
      const params: unknown[] = [];
      const add = (sql: string, v: unknown) => {
        params.push(v);
        where.push(sql.replaceAll("?", `$${params.length}`));
      };
      if (f.category) add("l.category = ?", f.category);
      if (f.categories) add("l.category = any(?::text[])", pgArray(f.categories));
      if (f.kind) add("l.voucher_kinds @> array[?]::text[]", f.kind);
      if (f.region) add("(l.regions && array[?, '450000']::text[])", f.region);
      if (f.minFen !== undefined) add("l.price_fen >= ?", f.minFen);
      if (f.maxFen !== undefined) add("l.price_fen <= ?", f.maxFen);
      if (f.terms?.length) add("l.search_terms @> ?::text[]", pgArray(f.terms));
      if (f.providerId) add("l.provider_id = ?", f.providerId);
      // 评分: the order of product_listings_rating_idx (0028), so the first page is an index scan.
      const order =
        f.sort === "price_asc"
          ? "l.price_fen asc, l.product_id"
          : f.sort === "price_desc"
            ? "l.price_fen desc, l.product_id"
            : f.sort === "rating"
              ? "l.rating_tenths desc nulls last, l.listed_at desc, l.product_id"
              : "l.listed_at desc, l.product_id";
      const from = `from product_listings l where ${where.join(" and ")}`;
      const run = (q: Db) =>
        Promise.all([
          q.query(`select ${LISTING_COLUMNS} ${from} order by ${order} limit $${params.length + 1} offset $${params.length + 2}`, [
            ...params,
            limit,
            offset,
          ]),
          opts.count === false ? Promise.resolve([{ n: -1 }]) : q.query<{ n: number }>(`select count(*)::int as n ${from}`, params),
        ]);
      // The planner prices `search_terms @> terms` as one cheap operator call per row, but each call
      // compares the query terms with the listing's ~200 terms: for a common term (管理, 方案, 服务)
      // it prefers a sequential scan that takes 0.5-1.3 s at 50,000 listings over the GIN index
      // (20-100 ms). Searches therefore run with sequential scans disabled for their transaction.
      const [rows, [c]] = f.terms?.length
        ? await db.transaction(async (tx) => {
            await tx.query("set local enable_seqscan = off");
            return run(tx);
          })
        : await run(db);
      return { rows: rows.map((r) => camelRow<Listing>(r)), total: c!.n };
    },
    async listing(productId: string, lock = false): Promise<Listing | undefined> {
      if (!/^[0-9a-f-]{36}$/i.test(productId)) return undefined;
      const [r] = await db.query(
        `select ${LISTING_COLUMNS} from product_listings l join provider_directory v on v.id = l.provider_id where l.product_id = $1 and v.status = 'active'${lock ? " for share of l" : ""}`,
        [productId],
      );
      return r && camelRow<Listing>(r);
    },
  };
  return repo;
}
