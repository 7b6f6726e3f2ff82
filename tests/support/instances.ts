import pino from "pino";
import { memoryCache } from "../../src/adapters/memory-cache.ts";
import { outboxSms } from "../../src/adapters/outbox-sms.ts";
import { openPostgres } from "../../src/adapters/postgres.ts";
import { scryptPasswords } from "../../src/adapters/scrypt-passwords.ts";
import { buildApp } from "../../src/app.ts";
import { buildDeps } from "../../src/compose.ts";
import type { TestApp } from "./app.ts";
import { DATABASE_URL } from "./db.ts";

/**
 * A second app instance on the database of `t`, built from the same configuration (so it opens the
 * same field-encryption key in DATA_DIR) with its own memory cache (its own sessions) and SMS outbox.
 * On PostgreSQL it has its own connection pool on t's schema: two instances on one database. On
 * PGlite it shares t's only connection (PGlite has one), so the two run interleaved, not in parallel.
 */
export async function secondInstance(t: TestApp): Promise<TestApp & { pooled: boolean }> {
  const own = t.deps.db.kind === "postgres";
  let db = t.deps.db;
  if (own) {
    const [{ s }] = (await t.deps.db.query<{ s: string }>("select current_schema() as s")) as [{ s: string }];
    db = await openPostgres(DATABASE_URL!, { searchPath: s, max: 10 });
  }
  const cache = memoryCache();
  const sms = outboxSms();
  const deps = await buildDeps(t.deps.config, {
    db,
    cache,
    sms,
    clock: t.deps.clock,
    passwords: scryptPasswords({ logN: 10, r: 8, p: 1 }),
    log: pino({ level: "silent" }),
  });
  return {
    app: buildApp(deps),
    deps,
    sms,
    pooled: own,
    close: async () => {
      await cache.close();
      if (own) await db.close();
    },
  };
}
