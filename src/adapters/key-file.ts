import { link, mkdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { type FieldKey, formatKeyList, parseKeyList } from "../lib/field-keys.ts";
import { randomToken } from "../lib/random.ts";

export const KEY_FILE_NAME = "encryption-keys";

/**
 * The embedded default's field encryption key (no ENCRYPTION_KEYS, not production): generated on
 * the first start and kept in DATA_DIR/encryption-keys (mode 0600, same format as ENCRYPTION_KEYS),
 * so every later start (and every CLI script on the same DATA_DIR) opens the values sealed before.
 * Created atomically: written under a temporary name and linked into place, so two processes
 * starting at once end up with the same key.
 */
export async function embeddedKeys(dataDir: string): Promise<{ keys: FieldKey[]; path: string; created: boolean; looseMode: boolean }> {
  const dir = resolve(dataDir);
  const path = join(dir, KEY_FILE_NAME);
  const created = await createFileOnce(path, () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const id = `local-${randomToken(6).replace(/[^A-Za-z0-9]/g, "x")}`;
    return `${formatKeyList([{ id, key }])}\n`;
  });
  const text = await readFile(path, "utf8");
  let keys: FieldKey[];
  try {
    keys = parseKeyList(text);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  return { keys, path, created, looseMode: await looseMode(path) };
}

/**
 * Creates a secret file (mode 0600) with `content()` unless it exists, atomically: written under a
 * temporary name and linked into place, so two processes starting at once end up with the same
 * file. True when this call created it.
 */
export async function createFileOnce(path: string, content: () => string | Promise<string>): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true });
  try {
    await stat(path);
    return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const tmp = `${path}.${randomToken(6)}.tmp`;
  await writeFile(tmp, await content(), { mode: 0o600, flag: "wx" });
  try {
    await link(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    return false;
  } finally {
    await unlink(tmp);
  }
}

/** True when a secret file is readable or writable by group or others. */
export async function looseMode(path: string): Promise<boolean> {
  return ((await stat(path)).mode & 0o077) !== 0;
}
