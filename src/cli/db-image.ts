import { loadMigrations } from "../adapters/migrate.ts";
import { rm } from "node:fs/promises";
import { defaultImageDir, ensureImage, imageKey, imagePath, makeSpare, readImage, sparePath } from "../adapters/pglite-image.ts";
import { CliError, runCli } from "./common.ts";

/**
 * npm run db:image [-- --force]
 *
 * Builds the migrated, empty embedded database image (src/adapters/pglite-image.ts) for the
 * current migrations and PGlite version, unless it is there: a fresh DATA_DIR then starts from it
 * instead of creating a database cluster. Kept in PGLITE_IMAGE_DIR, by default
 * node_modules/.cache/<package name>/, with its spare (the image extracted, which the next fresh
 * DATA_DIR takes with a rename). --force builds both again.
 *
 * Run after `npm install` (package.json postinstall, with --postinstall: a failure is printed as a
 * warning and the install goes on, since the server builds a missing image on its first start).
 * Reads only PGLITE_IMAGE_DIR: at install time the rest of the configuration may not be set.
 */
const args = new Set(process.argv.slice(2));
const postinstall = args.has("--postinstall");

runCli("db:image", async () => {
  for (const a of args) if (a !== "--force" && a !== "--postinstall") throw new CliError(`unknown argument ${a} (use --force)`);
  const dir = process.env.PGLITE_IMAGE_DIR?.trim() || defaultImageDir();
  try {
    const migrations = await loadMigrations();
    const key = imageKey(migrations);
    const force = args.has("--force");
    const existing = force ? undefined : await readImage(dir, key);
    if (existing) console.log(`Database image ${key} is up to date (${imagePath(dir, key)}).`);
    const t0 = Date.now();
    // --force: built again and renamed over the old file (a start reading it meanwhile reads one or the other), its spare made again.
    let bytes = existing;
    if (!bytes) {
      const image = await ensureImage({ dir, migrations, reuse: false });
      if (image.saveError) throw image.saveError;
      bytes = image.bytes;
      console.log(
        `Built database image ${key} (${migrations.length} migrations, ${(bytes.length / 1048576).toFixed(1)} MB) in ${Date.now() - t0} ms: ${imagePath(dir, key)}`,
      );
    }
    if (force) await rm(sparePath(dir, key), { recursive: true, force: true });
    if (await makeSpare(dir, key, bytes)) console.log(`Extracted its spare for the next fresh DATA_DIR: ${sparePath(dir, key)}`);
    return 0;
  } catch (err) {
    if (!postinstall) throw err;
    console.warn(
      `db:image: no database image was made or saved (${err instanceof Error ? err.message : String(err)}); the server builds it on its first start.`,
    );
    return 0;
  }
});
