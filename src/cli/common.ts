import { ConfigError, type Config, loadConfig } from "../config.ts";

/** Shared plumbing of the command-line scripts in src/cli. Output is for operators, in English. */

/** An expected failure: its message is printed without a stack trace and the script exits 1. */
export class CliError extends Error {}

/** The configuration from the environment; scripts log only warnings unless LOG_LEVEL says otherwise. */
export function cliConfig(env: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig({ ...env, LOG_LEVEL: env.LOG_LEVEL || "warn" });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
}

/** Which database the configuration names, for messages (never the password). */
export function describeDatabase(config: Pick<Config, "databaseUrl" | "dataDir">): string {
  if (!config.databaseUrl) return `PGlite (embedded) in ${config.dataDir}`;
  try {
    const u = new URL(config.databaseUrl);
    return `PostgreSQL ${u.hostname}${u.port ? `:${u.port}` : ""}${u.pathname}`;
  } catch {
    return "PostgreSQL (DATABASE_URL)";
  }
}

/**
 * Runs a script body and exits with its code: 0 on success, 1 on a CliError or any other error.
 * Exiting explicitly ends the process even if a client library keeps a handle open.
 */
export function runCli(name: string, body: () => Promise<number | undefined>): void {
  body().then(
    (code) => process.exit(code ?? 0),
    (err) => {
      if (err instanceof CliError) console.error(`${name}: ${err.message}`);
      else console.error(`${name}: failed:`, err);
      process.exit(1);
    },
  );
}
