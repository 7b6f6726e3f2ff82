import { migrate } from "../adapters/migrate.ts";
import { openDatabase } from "../compose.ts";
import { cliConfig, describeDatabase, runCli } from "./common.ts";

/**
 * npm run migrate
 *
 * Applies the pending migrations (migrations/*.sql) to the configured database: PostgreSQL when
 * DATABASE_URL is set, else the embedded PGlite in DATA_DIR. Safe to run while other instances
 * start: migrations run under an advisory lock, all or nothing.
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
  } finally {
    await db.close();
  }
});
