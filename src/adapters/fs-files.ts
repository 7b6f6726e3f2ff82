import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { FileStore } from "../ports/files.ts";

const KEY_RE = /^[A-Za-z0-9_-]{16,128}$/;

/** Files on the local disk under root, in two-level fan-out folders; written atomically. */
export function fsFiles(root: string): FileStore {
  const base = resolve(root);
  const pathOf = (key: string) => {
    if (!KEY_RE.test(key)) throw new Error("invalid storage key");
    return join(base, key.slice(0, 2), key);
  };
  return {
    async put(key, bytes) {
      const p = pathOf(key);
      await mkdir(join(base, key.slice(0, 2)), { recursive: true });
      const tmp = `${p}.tmp-${process.pid}`;
      await writeFile(tmp, bytes, { flag: "wx" });
      await rename(tmp, p);
    },
    async get(key) {
      try {
        return new Uint8Array(await readFile(pathOf(key)));
      } catch (err) {
        if ((err as { code?: string }).code === "ENOENT") return null;
        throw err;
      }
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
  };
}
