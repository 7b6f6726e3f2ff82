import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { FileStore, StoredKey } from "../ports/files.ts";

const KEY_RE = /^[A-Za-z0-9_-]{16,128}$/;
const FAN_OUT = /^[A-Za-z0-9_-]{2}$/;

/**
 * Files on the local disk under root, in two-level fan-out folders, written atomically;
 * temporaries in root/tmp (the same file system, so promoting one is a rename).
 */
export function fsFiles(root: string): FileStore {
  const base = resolve(root);
  const tmpDir = join(base, "tmp");
  const check = (key: string) => {
    if (!KEY_RE.test(key)) throw new Error("invalid storage key");
    return key;
  };
  const pathOf = (key: string) => join(base, check(key).slice(0, 2), key);
  const tmpOf = (key: string) => join(tmpDir, check(key));
  const missing = (err: unknown) => (err as { code?: string }).code === "ENOENT";
  // Folders this store made or found: not made again for every file (a demo start stores dozens).
  const made = new Set<string>();
  /** Runs `fn` (which writes into `dir`), making `dir` first unless known; made again if it was removed since. */
  const inDir = async (dir: string, fn: () => Promise<void>) => {
    if (!made.has(dir)) {
      await mkdir(dir, { recursive: true });
      made.add(dir);
    }
    try {
      await fn();
    } catch (err) {
      if (!missing(err)) throw err;
      await mkdir(dir, { recursive: true });
      await fn();
    }
  };
  return {
    async put(key, bytes) {
      const p = pathOf(key);
      const tmp = `${p}.tmp-${process.pid}`;
      await inDir(join(base, key.slice(0, 2)), () => writeFile(tmp, bytes, { flag: "wx" }));
      await rename(tmp, p);
    },
    async get(key) {
      try {
        return new Uint8Array(await readFile(pathOf(key)));
      } catch (err) {
        if (missing(err)) return null;
        throw err;
      }
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    async putTemporary(key, bytes) {
      const t = tmpOf(key);
      await inDir(tmpDir, () => writeFile(t, bytes, { flag: "wx" }));
    },
    async promote(key) {
      const p = pathOf(key);
      const dir = join(base, key.slice(0, 2));
      if (!made.has(dir)) {
        await mkdir(dir, { recursive: true });
        made.add(dir);
      }
      try {
        await rename(tmpOf(key), p);
      } catch (err) {
        if (!missing(err)) throw err;
        // The fan-out folder removed since it was made: make it again and retry once.
        await mkdir(dir, { recursive: true });
        try {
          await rename(tmpOf(key), p);
        } catch (again) {
          if (!missing(again)) throw again;
          await stat(p); // already in place, or throws ENOENT: neither exists
        }
      }
    },
    async discard(key) {
      await rm(tmpOf(key), { force: true });
    },
    async *list(): AsyncIterable<StoredKey> {
      const entries = async (dir: string) => {
        try {
          return await readdir(dir, { withFileTypes: true });
        } catch (err) {
          if (missing(err)) return [];
          throw err;
        }
      };
      const one = async (path: string, key: string, temporary: boolean): Promise<StoredKey | null> => {
        try {
          return { key, temporary, modifiedAt: (await stat(path)).mtime };
        } catch (err) {
          if (missing(err)) return null; // moved or removed meanwhile
          throw err;
        }
      };
      for (const d of await entries(base)) {
        if (!d.isDirectory() || !(FAN_OUT.test(d.name) || d.name === "tmp")) continue;
        const temporary = d.name === "tmp";
        for (const f of await entries(join(base, d.name))) {
          if (!f.isFile() || !KEY_RE.test(f.name)) continue;
          const found = await one(join(base, d.name, f.name), f.name, temporary);
          if (found) yield found;
        }
      }
    },
  };
}
