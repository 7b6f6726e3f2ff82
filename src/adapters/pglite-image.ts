import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, readFile, readdir, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomToken } from "../lib/random.ts";
import { type Migration, migrate } from "./migrate.ts";
import type { Db } from "../ports/db.ts";
import { openPglite, pgliteInstance } from "./pglite.ts";

/**
 * The migrated, empty embedded database as an image: PGlite's data directory (a tar of
 * `dumpDataDir`) right after every migration ran on a fresh cluster. Creating a cluster (initdb in
 * WebAssembly) is most of a first start; a fresh DATA_DIR restores this image instead (PGlite's
 * `loadDataDir`) and then migrates as usual, which finds nothing left to do.
 *
 * An image is named by its key: the PGlite version, this file's FORMAT and a hash of every
 * migration (name and SQL). A changed, added or removed migration or another PGlite gives another
 * key, so an image made from other migrations is never used: the app builds the right one when it
 * is missing (`ensureImage`) and `npm run db:image` (also run after `npm install`) builds it ahead.
 * Images are written under a temporary name and renamed into place, so a reader sees a whole image
 * or none. The most recent KEEP images stay (branches with other migrations on one checkout).
 */

/** Bumped when the way an image is made changes. */
const FORMAT = 1;
/** Images kept in the folder: the newest, by modification time. */
export const KEEP = 3;
const SUFFIX = ".tar";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The installed PGlite's version (from its package.json). */
export function pgliteVersion(): string {
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  let dir = dirname(entry);
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "@electric-sql/pglite" && pkg.version) return pkg.version;
    } catch {
      // not the package's root yet
    }
  }
  throw new Error("the version of @electric-sql/pglite was not found");
}

/** The key of the image of these migrations on this PGlite version. */
export function imageKey(migrations: readonly Migration[], version = pgliteVersion()): string {
  const h = createHash("sha256").update(`format ${FORMAT}\npglite ${version}\n`);
  for (const m of migrations) h.update(`${m.version}\n${m.sql.length}\n${m.sql}\n`);
  return `pglite-${version}-${h.digest("hex").slice(0, 20)}`;
}

/** Where images live unless PGLITE_IMAGE_DIR says otherwise: node_modules/.cache/<package name>/. */
export function defaultImageDir(): string {
  const { name } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string };
  return join(ROOT, "node_modules", ".cache", name);
}

export const imagePath = (dir: string, key: string) => join(dir, `${key}${SUFFIX}`);

/** The image of this key, or undefined when there is none (images of other keys are never read). */
export async function readImage(dir: string, key: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(imagePath(dir, key)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** Writes an image atomically (temporary name, then rename) and removes all but the KEEP newest. */
export async function writeImage(dir: string, key: string, bytes: Uint8Array): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = imagePath(dir, key);
  const tmp = `${path}.tmp-${process.pid}-${randomToken(6).replace(/[^A-Za-z0-9]/g, "x")}`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  await prune(dir);
  return path;
}

async function prune(dir: string) {
  const images: { path: string; mtime: number }[] = [];
  for (const f of await readdir(dir)) {
    if (!f.startsWith("pglite-") || !f.endsWith(SUFFIX)) continue;
    const s = await stat(join(dir, f)).catch(() => undefined);
    if (s) images.push({ path: join(dir, f), mtime: s.mtimeMs });
  }
  images.sort((a, b) => b.mtime - a.mtime);
  for (const old of images.slice(KEEP)) await unlink(old.path).catch(() => undefined);
}

/** Makes an image: a fresh in-memory cluster, every migration, a checkpoint, then its data directory as a tar. */
export async function buildImage(migrations: readonly Migration[]): Promise<Uint8Array> {
  const db = await openPglite();
  try {
    await migrate(db, [...migrations]);
    await db.exec("checkpoint");
    const dump = await pgliteInstance(db)!.dumpDataDir("none");
    return new Uint8Array(await dump.arrayBuffer());
  } finally {
    await db.close();
  }
}

export type EnsuredImage = { key: string; bytes: Uint8Array; built: boolean; path?: string; saveError?: unknown };

/**
 * The image of these migrations: read from `dir`, else built and saved there. A folder that cannot
 * be written (a read-only installation) does not stop it: the image built is returned all the same.
 */
export async function ensureImage(opts: {
  dir: string;
  migrations: readonly Migration[];
  version?: string;
  build?: (migrations: readonly Migration[]) => Promise<Uint8Array>;
  /** False: build it even when it is there (npm run db:image -- --force). */
  reuse?: boolean;
}): Promise<EnsuredImage> {
  const key = imageKey(opts.migrations, opts.version);
  const found = opts.reuse === false ? undefined : await readImage(opts.dir, key).catch(() => undefined);
  if (found) return { key, bytes: found, built: false, path: imagePath(opts.dir, key) };
  const bytes = await (opts.build ?? buildImage)(opts.migrations);
  try {
    return { key, bytes, built: true, path: await writeImage(opts.dir, key, bytes) };
  } catch (saveError) {
    return { key, bytes, built: true, saveError };
  }
}

/**
 * Whether the embedded database's folder holds no cluster yet, so it may be restored from an image:
 * missing, empty, or left by a restore that did not finish (its mark `<dir>.restoring` is still
 * there). A folder with anything else in it is left to PGlite.
 */
export async function freshDataDir(dir: string): Promise<boolean> {
  if (await exists(restoringMark(dir))) return true;
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [] as string[];
    throw err;
  });
  return entries.length === 0;
}

const restoringMark = (dir: string) => `${dir}.restoring`;
const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * Opens the embedded database in `dir` restored from an image (PGlite's loadDataDir). The folder is
 * emptied first; a mark beside it says a restore is under way until it has finished, so a process
 * that dies half-way leaves a folder the next start restores again instead of opening it. When the
 * restore fails the folder is left empty (and unmarked) and the error thrown.
 */
export async function openFromImage(dir: string, image: Uint8Array): Promise<Db> {
  const mark = restoringMark(dir);
  await mkdir(dirname(dir), { recursive: true });
  await writeFile(mark, "");
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  let db: Db;
  try {
    db = await openPglite(dir, { loadDataDir: image });
  } catch (err) {
    // Nothing half-restored stays behind: the folder is empty again, for a new cluster.
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await unlink(mark);
    throw err;
  }
  await unlink(mark);
  return db;
}
