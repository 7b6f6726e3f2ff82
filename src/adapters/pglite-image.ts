import { Buffer } from "node:buffer";
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
 *
 * Restoring means creating some 1,400 files, which on a busy disk costs more than everything else
 * of a first start. So beside each image lies a spare: the image already extracted into a folder
 * (`<key>.spare`), which a fresh DATA_DIR on the same file system takes with one rename; the start
 * that took it extracts the next spare in the background. Without a spare (none made yet, taken by
 * another start, or DATA_DIR on another file system) the image is restored with PGlite's
 * `loadDataDir`.
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

/** Keeps the KEEP newest images and their spares; removes the rest, and spares left half-made by processes that ended. */
async function prune(dir: string) {
  const entries = await readdir(dir);
  const images: { key: string; mtime: number }[] = [];
  for (const f of entries) {
    if (!f.startsWith("pglite-") || !f.endsWith(SUFFIX)) continue;
    const s = await stat(join(dir, f)).catch(() => undefined);
    if (s) images.push({ key: f.slice(0, -SUFFIX.length), mtime: s.mtimeMs });
  }
  images.sort((a, b) => b.mtime - a.mtime);
  for (const old of images.slice(KEEP)) await unlink(imagePath(dir, old.key)).catch(() => undefined);
  const kept = new Set(images.slice(0, KEEP).map((i) => i.key));
  for (const f of entries) {
    const spare = /^(pglite-.+)\.spare(?:-tmp-(\d+)-.+)?$/.exec(f);
    if (!spare) continue;
    const [, key, pid] = spare;
    if (!kept.has(key!) || (pid && !alive(Number(pid)))) await rm(join(dir, f), { recursive: true, force: true }).catch(() => undefined);
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
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

export const sparePath = (dir: string, key: string) => join(dir, `${key}.spare`);

/**
 * Extracts an image (a tar of regular files and folders, as PGlite's dumpDataDir writes it) into
 * `dest`, which must not exist. Several files are written at once (libuv's thread pool).
 */
export async function extractImage(image: Uint8Array, dest: string): Promise<void> {
  const buf = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
  const text = (at: number, len: number) => {
    const field = buf.subarray(at, at + len);
    const end = field.indexOf(0);
    return field.subarray(0, end < 0 ? len : end).toString("utf8");
  };
  const dirs: { path: string; mode: number }[] = [];
  const files: { path: string; mode: number; start: number; size: number }[] = [];
  for (let at = 0; at + 512 <= buf.length; ) {
    if (buf.subarray(at, at + 512).every((b) => b === 0)) break;
    const name = [text(at + 345, 155), text(at, 100)].filter(Boolean).join("/");
    const mode = Number.parseInt(text(at + 100, 8).trim() || "0", 8) & 0o7777;
    const size = Number.parseInt(text(at + 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(buf[at + 156]!);
    const rel = name.replace(/^\/+/, "").replace(/\/+$/, "");
    if (!rel || rel.split("/").some((part) => part === ".." || part === "")) throw new Error(`unexpected path in the image: ${name}`);
    const path = join(dest, rel);
    if (type === "5") dirs.push({ path, mode });
    else if (type === "0" || type === "\0") files.push({ path, mode, start: at + 512, size });
    else throw new Error(`unexpected entry type ${JSON.stringify(type)} in the image: ${name}`);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  await mkdir(dest, { recursive: false, mode: 0o700 });
  for (const d of dirs) await mkdir(d.path, { recursive: true, mode: d.mode || 0o700 });
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++]!;
      await writeFile(f.path, buf.subarray(f.start, f.start + f.size), { flag: "wx", mode: f.mode || 0o600 });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/**
 * Makes the spare of this key from its image unless there is one: extracted under a temporary
 * name (with this process's id, so a half-made one of a process that ended is removed), then
 * renamed into place. True when this call made it.
 */
export async function makeSpare(dir: string, key: string, image: Uint8Array): Promise<boolean> {
  const spare = sparePath(dir, key);
  if (await exists(spare)) return false;
  await prune(dir).catch(() => undefined);
  const tmp = `${spare}-tmp-${process.pid}-${randomToken(6).replace(/[^A-Za-z0-9]/g, "x")}`;
  try {
    await extractImage(image, tmp);
    await rename(tmp, spare);
    return true;
  } catch (err) {
    // Another process made it meanwhile (rename onto a folder that is not empty).
    if ((err as NodeJS.ErrnoException).code === "ENOTEMPTY" || (err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Moves the spare of this key to `target` (missing or empty): "taken", "none" (no spare, or another
 * start took it first) or "elsewhere" (target is on another file system: spares do not help there).
 */
export async function takeSpare(dir: string, key: string, target: string): Promise<"taken" | "none" | "elsewhere"> {
  await mkdir(dirname(target), { recursive: true });
  try {
    await rename(sparePath(dir, key), target);
    return "taken";
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return "none";
    if (code === "EXDEV") return "elsewhere";
    throw err;
  }
}

/**
 * Empties a folder that `freshDataDir` called fresh (an interrupted restore's leftovers and mark),
 * so that a spare can be moved onto it or the image restored into it.
 */
export async function clearDataDir(dir: string): Promise<void> {
  if (await exists(restoringMark(dir))) {
    await rm(dir, { recursive: true, force: true });
    await unlink(restoringMark(dir)).catch(() => undefined);
  }
}
