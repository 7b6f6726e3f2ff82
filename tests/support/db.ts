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
