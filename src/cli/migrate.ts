import { migrate } from "../adapters/migrate.ts";
import { openCipher, openDatabase, sealStoredFields } from "../compose.ts";
import { cliConfig, describeDatabase, runCli } from "./common.ts";

/**
 * npm run migrate
 *
 * Applies the pending migrations (migrations/*.sql) to the configured database: PostgreSQL when
 * DATABASE_URL is set, else the embedded PGlite in DATA_DIR. Safe to run while other instances
 * start: migrations run under an advisory lock, all or nothing. Then seals sensitive fields still
 * in plaintext (or under a retired key) with the current field encryption key.
 */
runCli("migrate", async () => {
  const config = cliConfig();
  console.log(`Database: ${describeDatabase(config)}`);
  const db = await openDatabase(config);
  try {
    const applied = await migrate(db);
    if (applied.length) {
      console.log(`Applied ${applied.length} migration(s):`);
      for (const v of applied) console.log(`  ${v}`);
    } else {
      console.log("No pending migrations: the database is up to date.");
    }
    const sealing = await sealStoredFields(db, await openCipher(config));
    if (sealing.sealed || sealing.resealed) {
      console.log(`Sealed ${sealing.sealed} plaintext and re-sealed ${sealing.resealed} sensitive field value(s) under the current key.`);
    }
    if (sealing.unreadable) {
      console.error(`${sealing.unreadable} sensitive field value(s) do not open with the configured keys and were left as they are.`);
    }
  } finally {
    await db.close();
  }
});
