import type { Db } from "../../ports/db.ts";
import { camelRow, pgArray } from "../../lib/rows.ts";
import type { Category } from "./domain.ts";
import type { ApplicationQueueRow, CatalogRepository, Provider, ProviderApplication } from "./ports.ts";

const APP_COLUMNS = `a.id, a.enterprise_id, a.categories, a.regions, a.introduction, a.qualifications, a.contact_name, a.contact_phone,
  a.qualification_file_ids, a.contract_file_ids, a.status, a.submitted_at, a.decided_at, a.decided_by, a.decision_reason`;
const PROVIDER_COLUMNS = `id, enterprise_id, name, categories, regions, introduction, contact_name, contact_phone, status, status_reason, approved_at`;

export function pgCatalog(db: Db): CatalogRepository {
  return {
    async categories() {
      return db.query<Category>("select code, name from service_categories where active order by sort, code");
    },
    async allCategories() {
      return db.query<Category & { active: boolean; sort: number }>("select code, name, active, sort from service_categories order by sort, code");
    },
    async addCategory(c) {
      await db.query("insert into service_categories (code, name, sort) values ($1, $2, (select coalesce(max(sort), 0) + 1 from service_categories))", [
        c.code,
        c.name,
      ]);
    },
    async setCategoryActive(code, active) {
      return (await db.query("update service_categories set active = $2 where code = $1 returning code", [code, active])).length > 0;
    },
    async addNegativeWord(word) {
      await db.query("insert into negative_words (word) values ($1)", [word]);
    },
    async removeNegativeWord(word) {
      return (await db.query("delete from negative_words where word = $1 returning word", [word])).length > 0;
    },
    async negativeWords() {
      return (await db.query<{ word: string }>("select word from negative_words order by word")).map((r) => r.word);
    },
    async insertApplication(enterpriseId, v, files) {
      const [row] = await db.query(
        `insert into provider_applications as a (enterprise_id, categories, regions, introduction, qualifications, contact_name, contact_phone,
           qualification_file_ids, contract_file_ids)
         values ($1, $2::text[], $3::text[], $4, $5, $6, $7, $8::uuid[], $9::uuid[]) returning ${APP_COLUMNS}`,
        [
          enterpriseId,
          pgArray(v.categories),
          pgArray(v.regions),
          v.introduction,
          v.qualifications,
          v.contactName,
          v.contactPhone,
          pgArray(files.qualifications),
          pgArray(files.contracts),
        ],
      );
      return camelRow<ProviderApplication>(row!);
    },
    async application(id, forUpdate = false) {
      if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
      const [row] = await db.query(`select ${APP_COLUMNS} from provider_applications a where a.id = $1${forUpdate ? " for update" : ""}`, [id]);
      return row && camelRow<ProviderApplication>(row);
    },
    async latestApplication(enterpriseId) {
      const [row] = await db.query(
        `select ${APP_COLUMNS} from provider_applications a where a.enterprise_id = $1 order by a.submitted_at desc, a.id desc limit 1`,
        [enterpriseId],
      );
      return row && camelRow<ProviderApplication>(row);
    },
    async decideApplication(id, v) {
      await db.query(
        "update provider_applications set status = $2, decided_by = $3, decision_reason = $4, decided_at = $5 where id = $1 and status = 'pending'",
        [id, v.status, v.adminId, v.reason, v.at],
      );
    },
    async applicationQueue(status, limit, offset) {
      const w = status ? "where a.status = $1" : "";
      const params = status ? [status] : [];
      const rows = await db.query(
        `select ${APP_COLUMNS}, d.name as enterprise_name from provider_applications a join enterprise_directory d on d.id = a.enterprise_id ${w}
          order by a.submitted_at desc, a.id desc limit $${params.length + 1} offset $${params.length + 2}`,
        [...params, limit, offset],
      );
      const [count] = await db.query<{ n: number }>(`select count(*)::int as n from provider_applications a ${w}`, params);
      return { rows: rows.map((r) => camelRow<ApplicationQueueRow>(r)), total: count!.n };
    },
    async upsertProvider(v) {
      const [row] = await db.query(
        `insert into providers (enterprise_id, name, categories, regions, introduction, contact_name, contact_phone, application_id, approved_at)
         values ($1, $2, $3::text[], $4::text[], $5, $6, $7, $8, $9)
         on conflict (enterprise_id) do update set name = excluded.name, categories = excluded.categories, regions = excluded.regions,
           introduction = excluded.introduction, contact_name = excluded.contact_name, contact_phone = excluded.contact_phone,
           application_id = excluded.application_id, status = 'active', status_reason = null
         returning ${PROVIDER_COLUMNS}`,
        [v.enterpriseId, v.name, pgArray(v.categories), pgArray(v.regions), v.introduction, v.contactName, v.contactPhone, v.applicationId, v.at],
      );
      return camelRow<Provider>(row!);
    },
    async provider(id, forUpdate = false) {
      if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
      const [row] = await db.query(`select ${PROVIDER_COLUMNS} from providers where id = $1${forUpdate ? " for update" : ""}`, [id]);
      return row && camelRow<Provider>(row);
    },
    async providerOfEnterprise(enterpriseId) {
      const [row] = await db.query(`select ${PROVIDER_COLUMNS} from providers where enterprise_id = $1`, [enterpriseId]);
      return row && camelRow<Provider>(row);
    },
    async setProviderStatus(id, status, reason) {
      await db.query("update providers set status = $2, status_reason = $3 where id = $1", [id, status, reason]);
    },
    async providers(status, limit, offset) {
      const w = status ? "where status = $1" : "";
      const params = status ? [status] : [];
      const rows = await db.query(
        `select ${PROVIDER_COLUMNS} from providers ${w} order by approved_at desc, id desc limit $${params.length + 1} offset $${params.length + 2}`,
        [...params, limit, offset],
      );
      const [count] = await db.query<{ n: number }>(`select count(*)::int as n from providers ${w}`, params);
      return { rows: rows.map((r) => camelRow<Provider>(r)), total: count!.n };
    },
    async countActiveProviders() {
      const [r] = await db.query<{ n: number }>("select count(*)::int as n from providers where status = 'active'");
      return r!.n;
    },
  };
}
export type { Provider, ProviderApplication };
