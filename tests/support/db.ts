import { openPglite } from "../../src/adapters/pglite.ts";
import { openPostgres } from "../../src/adapters/postgres.ts";
import { memoryCache } from "../../src/adapters/memory-cache.ts";
import { redisCache } from "../../src/adapters/redis-cache.ts";
import type { Cache } from "../../src/ports/cache.ts";
import type { Db } from "../../src/ports/db.ts";
import { randomToken } from "../../src/lib/random.ts";

export const DATABASE_URL = process.env.DATABASE_URL;
export const REDIS_URL = process.env.REDIS_URL;

/** A fresh, isolated PostgreSQL schema on the real server; dropped by the returned cleanup. */
export async function freshPostgres(url = DATABASE_URL!): Promise<{ db: Db; cleanup: () => Promise<void> }> {
  const schema = `t_${randomToken(9)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")}`;
  const admin = await openPostgres(url, { max: 1 });
  await admin.exec(`create schema ${schema}`);
  const db = await openPostgres(url, { searchPath: schema, max: 10 });
  return {
    db,
    cleanup: async () => {
      await db.close();
      await admin.exec(`drop schema ${schema} cascade`);
      await admin.close();
    },
  };
}

/** A fresh database: PostgreSQL when DATABASE_URL is set (as in CI), else an in-memory PGlite. */
export async function freshDb(kind: "auto" | "pglite" | "postgres" = "auto"): Promise<{ db: Db; cleanup: () => Promise<void> }> {
  if (kind === "postgres" || (kind === "auto" && DATABASE_URL)) return freshPostgres();
  const db = await openPglite();
  return { db, cleanup: () => db.close() };
}

/** A fresh cache: Redis under a random key prefix when REDIS_URL is set, else memory. */
export async function freshCache(kind: "auto" | "memory" | "redis" = "auto"): Promise<Cache> {
  if (kind === "redis" || (kind === "auto" && REDIS_URL)) return redisCache(REDIS_URL!, `test:${randomToken(9)}:`);
  return memoryCache();
}

/** The databases a repository's contract test runs on: PGlite always, PostgreSQL too when DATABASE_URL is set. */
export function contractDatabases(): [string, () => Promise<{ db: Db; cleanup: () => Promise<void> }>][] {
  const envs: [string, () => Promise<{ db: Db; cleanup: () => Promise<void> }>][] = [["pglite", () => freshDb("pglite")]];
  if (DATABASE_URL) envs.push(["postgres", () => freshPostgres()]);
  return envs;
}

let seededPhones = 0;
/** A certified 小型 enterprise with its account, inserted directly (repository contract tests). */
export async function certifiedEnterpriseRow(db: Db, name: string): Promise<string> {
  const phone = `139${String(process.pid % 1000).padStart(3, "0")}${String(seededPhones++).padStart(5, "0")}`;
  const [acc] = await db.query<{ id: string }>("insert into accounts (phone) values ($1) returning id", [phone]);
  const [ent] = await db.query<{ id: string }>(
    "insert into enterprises (account_id, name, certification_status, size_class) values ($1, $2, 'certified', 'small') returning id",
    [acc!.id, name],
  );
  return ent!.id;
}

/** An approved provider of that enterprise (application and provider rows) with one listed product, inserted directly. */
export async function providerRows(db: Db, enterpriseId: string, name: string): Promise<{ providerId: string; productId: string }> {
  const [app] = await db.query<{ id: string }>(
    `insert into provider_applications (enterprise_id, categories, regions, introduction, contact_name, contact_phone, status)
     values ($1, '{digital}', '{450100}', '简介', '联系人', '13900000000', 'approved') returning id`,
    [enterpriseId],
  );
  const [provider] = await db.query<{ id: string }>(
    `insert into providers (enterprise_id, name, categories, regions, introduction, contact_name, contact_phone, application_id)
     values ($1, $2, '{digital}', '{450100}', '简介', '联系人', '13900000000', $3) returning id`,
    [enterpriseId, name, app!.id],
  );
  const [product] = await db.query<{ id: string }>("insert into products (provider_id, status) values ($1, 'listed') returning id", [provider!.id]);
  return { providerId: provider!.id, productId: product!.id };
}
