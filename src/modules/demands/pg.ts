import type { Db } from "../../ports/db.ts";
import { camelRow, pgArray } from "../../lib/rows.ts";
import type { DemandStatus } from "./domain.ts";
import type { Demand, DemandRepository, DemandResponse, DemandSummary, DemandWrite, ProviderResponseRow, PublicFilter } from "./ports.ts";

const DEMAND_COLUMNS = `id, enterprise_id, enterprise_name, title, category, category_name, description, budget_min_fen, budget_max_fen,
  budget_negotiable, city_code, district_code, deadline::text as deadline, contact_name, contact_phone, status, submitted_at, decided_at,
  decided_by, decision_reason, published_at, closed_at, created_at, updated_at`;
const SUMMARY_COLUMNS = `d.id, d.enterprise_name, d.title, d.category, d.category_name, d.budget_min_fen, d.budget_max_fen, d.budget_negotiable,
  d.city_code, d.district_code, d.deadline::text as deadline, d.status, d.submitted_at, d.published_at, d.updated_at`;
const RESPONSE_COLUMNS =
  "r.id, r.demand_id, r.provider_id, r.provider_name, r.proposal, r.quoted_fen, r.product_id, r.product_title, r.created_at, r.updated_at";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Page of rows plus the total, both filtered by the same where clause. */
async function page<T>(db: Db, select: string, from: string, order: string, params: unknown[], limit: number, offset: number) {
  const [rows, [c]] = await Promise.all([
    db.query(`select ${select} ${from} order by ${order} limit $${params.length + 1} offset $${params.length + 2}`, [...params, limit, offset]),
    db.query<{ n: number }>(`select count(*)::int as n ${from}`, params),
  ]);
  return { rows: rows.map((r) => camelRow<T>(r)), total: c!.n };
}

export function pgDemands(db: Db): DemandRepository {
  const values = (v: DemandWrite) => [
    v.enterpriseName,
    v.title,
    v.category,
    v.categoryName,
    v.description,
    v.budgetMinFen,
    v.budgetMaxFen,
    v.budgetNegotiable,
    v.cityCode,
    v.districtCode,
    v.deadline,
    v.contactName,
    v.contactPhone,
    pgArray(v.searchTerms),
  ];
  return {
    async insert(enterpriseId: string, v: DemandWrite, at: Date): Promise<Demand> {
      const [r] = await db.query(
        `insert into demands (enterprise_id, enterprise_name, title, category, category_name, description, budget_min_fen, budget_max_fen,
           budget_negotiable, city_code, district_code, deadline, contact_name, contact_phone, search_terms, submitted_at, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::date, $13, $14, $15::text[], $16, $16, $16)
         returning ${DEMAND_COLUMNS}`,
        [enterpriseId, ...values(v), at],
      );
      return camelRow<Demand>(r!);
    },
    async byId(id: string, forUpdate = false): Promise<Demand | undefined> {
      if (!UUID.test(id)) return undefined;
      const [r] = await db.query(`select ${DEMAND_COLUMNS} from demands where id = $1${forUpdate ? " for update" : ""}`, [id]);
      return r && camelRow<Demand>(r);
    },
    async resubmit(id: string, v: DemandWrite, at: Date): Promise<void> {
      await db.query(
        `update demands set enterprise_name = $2, title = $3, category = $4, category_name = $5, description = $6, budget_min_fen = $7,
           budget_max_fen = $8, budget_negotiable = $9, city_code = $10, district_code = $11, deadline = $12::date, contact_name = $13,
           contact_phone = $14, search_terms = $15::text[], status = 'pending', submitted_at = $16, decided_at = null, decided_by = null,
           decision_reason = null, updated_at = $16
         where id = $1`,
        [id, ...values(v), at],
      );
    },
    async setStatus(id: string, status: DemandStatus, v: { at: Date; adminId?: string; reason?: string | null }): Promise<void> {
      const decided = status === "published" || status === "rejected";
      await db.query(
        `update demands set status = $2, updated_at = $3,
           decided_at = case when $4 then $3 else decided_at end,
           decided_by = case when $4 then $5::uuid else decided_by end,
           decision_reason = case when $4 then $6 else decision_reason end,
           published_at = case when $2 = 'published' then $3 else published_at end,
           closed_at = case when $2 = 'closed' then $3 else closed_at end
         where id = $1`,
        [id, status, v.at, decided, v.adminId ?? null, v.reason ?? null],
      );
    },
    async ofEnterprise(enterpriseId: string, limit: number, offset: number) {
      return page<DemandSummary>(
        db,
        `${SUMMARY_COLUMNS}, (select count(*)::int from demand_responses r where r.demand_id = d.id) as response_count`,
        "from demands d where d.enterprise_id = $1",
        "d.updated_at desc, d.id",
        [enterpriseId],
        limit,
        offset,
      );
    },
    async queue(status: DemandStatus | undefined, limit: number, offset: number) {
      return page<DemandSummary>(
        db,
        `${SUMMARY_COLUMNS}, (select count(*)::int from demand_responses r where r.demand_id = d.id) as response_count`,
        status ? "from demands d where d.status = $1" : "from demands d",
        status === "pending" ? "d.submitted_at, d.id" : "d.submitted_at desc, d.id",
        status ? [status] : [],
        limit,
        offset,
      );
    },
    async published(f: PublicFilter, limit: number, offset: number) {
      const where = ["d.status = 'published'"];
      const params: unknown[] = [];
      const add = (sql: string, v: unknown) => {
        params.push(v);
        where.push(sql.replaceAll("?", `$${params.length}`));
      };
      if (f.openOn) add("d.deadline >= ?::date", f.openOn);
      if (f.category) add("d.category = ?", f.category);
      if (f.cityCode) add("d.city_code = ?", f.cityCode);
      if (f.terms?.length) add("d.search_terms @> ?::text[]", pgArray(f.terms));
      return page<DemandSummary>(
        db,
        `${SUMMARY_COLUMNS}, (select count(*)::int from demand_responses r where r.demand_id = d.id) as response_count`,
        `from demands d where ${where.join(" and ")}`,
        "d.published_at desc, d.id",
        params,
        limit,
        offset,
      );
    },
    async countPublished(openOn: string): Promise<number> {
      const [c] = await db.query<{ n: number }>("select count(*)::int as n from demands where status = 'published' and deadline >= $1::date", [openOn]);
      return c!.n;
    },
    async response(demandId: string, providerId: string): Promise<DemandResponse | undefined> {
      const [r] = await db.query(`select ${RESPONSE_COLUMNS} from demand_responses r where r.demand_id = $1 and r.provider_id = $2`, [
        demandId,
        providerId,
      ]);
      return r && camelRow<DemandResponse>(r);
    },
    async insertResponse(v, at: Date): Promise<DemandResponse> {
      const [r] = await db.query(
        `insert into demand_responses as r (demand_id, provider_id, provider_name, proposal, quoted_fen, product_id, product_title, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8) returning ${RESPONSE_COLUMNS}`,
        [v.demandId, v.providerId, v.providerName, v.proposal, v.quotedFen, v.productId, v.productTitle, at],
      );
      return camelRow<DemandResponse>(r!);
    },
    async updateResponse(id: string, v, at: Date): Promise<void> {
      await db.query(
        "update demand_responses set proposal = $2, quoted_fen = $3, product_id = $4, product_title = $5, provider_name = $6, updated_at = $7 where id = $1",
        [id, v.proposal, v.quotedFen, v.productId, v.productTitle, v.providerName, at],
      );
    },
    async responsesOf(demandId: string): Promise<DemandResponse[]> {
      const rows = await db.query(`select ${RESPONSE_COLUMNS} from demand_responses r where r.demand_id = $1 order by r.created_at, r.id`, [demandId]);
      return rows.map((r) => camelRow<DemandResponse>(r));
    },
    async responsesOfProvider(providerId: string, limit: number, offset: number) {
      return page<ProviderResponseRow>(
        db,
        `${RESPONSE_COLUMNS}, d.title as demand_title, d.status as demand_status, d.deadline::text as demand_deadline`,
        "from demand_responses r join demands d on d.id = r.demand_id where r.provider_id = $1",
        "r.updated_at desc, r.id",
        [providerId],
        limit,
        offset,
      );
    },
  };
}
