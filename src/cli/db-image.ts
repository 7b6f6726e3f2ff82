import { loadMigrations } from "../adapters/migrate.ts";
import { defaultImageDir, ensureImage, imageKey, imagePath, readImage } from "../adapters/pglite-image.ts";
import { CliError, runCli } from "./common.ts";

/**
 * npm run db:image [-- --force]
 *
 * Builds the migrated, empty embedded database image (src/adapters/pglite-image.ts) for the
 * current migrations and PGlite version, unless it is there: a fresh DATA_DIR then starts from it
 * instead of creating a database cluster. Kept in PGLITE_IMAGE_DIR, by default
 * node_modules/.cache/<package name>/. --force builds it again.
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
    if (!args.has("--force") && (await readImage(dir, key))) {
      console.log(`Database image ${key} is up to date (${imagePath(dir, key)}).`);
      return 0;
    }
    const t0 = Date.now();
    // --force: built again and renamed over the old file (a start reading it meanwhile reads one or the other).
    const image = await ensureImage({ dir, migrations, reuse: !args.has("--force") });
    if (image.saveError) throw image.saveError;
    console.log(
      `Built database image ${image.key} (${migrations.length} migrations, ${(image.bytes.length / 1048576).toFixed(1)} MB) in ${Date.now() - t0} ms: ${image.path}`,
    );
    return 0;
  } catch (err) {
    if (!postinstall) throw err;
    console.warn(
      `db:image: no database image was made or saved (${err instanceof Error ? err.message : String(err)}); the server builds it on its first start.`,
    );
    return 0;
  }
});
