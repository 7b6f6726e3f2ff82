import { migrate } from "../adapters/migrate.ts";
import { buildDeps, closeDeps } from "../compose.ts";
import { DEMO_ADMINS, DEMO_ENTERPRISES, DEMO_PASSWORD, seedDemo } from "../demo.ts";
import { CliError, cliConfig, describeDatabase, runCli } from "./common.ts";

/**
 * npm run seed:demo
 *
 * Migrates the configured database and loads the demo data (DESIGN.md section 7). Loading twice
 * creates nothing new. Refused with NODE_ENV=production: demo accounts share a published password.
 */
runCli("seed:demo", async () => {
  if (process.env.NODE_ENV === "production") {
    throw new CliError("refused: demo data (published passwords) is never loaded when NODE_ENV=production");
  }
  const config = cliConfig();
  console.log(`Database: ${describeDatabase(config)}`);
  const deps = await buildDeps(config);
  try {
    const applied = await migrate(deps.db);
    if (applied.length) console.log(`Applied migrations: ${applied.join(", ")}`);
    const { created } = await seedDemo(deps);
    console.log(created ? `Demo data loaded: ${created} record(s) created.` : "Demo data was already loaded: nothing created.");
    console.log(
      [
        `Demo logins (password ${DEMO_PASSWORD}):`,
        `  admin portal: ${DEMO_ADMINS.map((a) => `${a.username} (${a.role})`).join(", ")}`,
        `  enterprises: phones ${DEMO_ENTERPRISES[0]!.phone} ... ${DEMO_ENTERPRISES.at(-1)!.phone}`,
      ].join("\n"),
    );
  } finally {
    await closeDeps(deps);
  }
});
