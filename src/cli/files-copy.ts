import { openFileStore } from "../compose.ts";
import { copyStoredFiles } from "../ports/files.ts";
import { CliError, cliConfig, describeDatabase, runCli } from "./common.ts";

/**
 * npm run files:copy
 *
 * Copies every stored file from the disk (DATA_DIR/files) into the database store of DATABASE_URL,
 * before a platform switches to FILE_STORE=postgres (several instances). Run it with the instances
 * stopped (an upload during the copy would stay on disk), after `npm run migrate`; running it again
 * copies everything again. The files on disk are left as they are.
 */
runCli("files:copy", async () => {
  const config = cliConfig();
  if (!config.databaseUrl) throw new CliError("DATABASE_URL must name the PostgreSQL database to copy the files into");
  const from = await openFileStore({ ...config, fileStore: "disk" });
  const to = await openFileStore({ ...config, fileStore: "postgres" });
  try {
    console.log(`Copying the files in ${config.dataDir}/files into ${describeDatabase(config)} ...`);
    const copied = await copyStoredFiles(from, to);
    console.log(`Copied ${copied} file(s). Start the instances with FILE_STORE=postgres.`);
  } finally {
    await to.close?.();
  }
  return 0;
});
