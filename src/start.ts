import type { Config } from "./config.ts";
import type { Deps } from "./deps.ts";
import { migrate } from "./adapters/migrate.ts";
import { buildDeps, type Overrides } from "./compose.ts";
import { seedDemo } from "./demo.ts";

/** Shared start-up of every entry point: adapters, migrations, demo data. */
export async function start(config: Config, overrides: Overrides = {}): Promise<Deps> {
  const deps = await buildDeps(config, overrides);
  const applied = await migrate(deps.db);
  if (applied.length) deps.log.info({ applied }, "migrations applied");
  if (config.demoData) await seedDemo(deps);
  return deps;
}
