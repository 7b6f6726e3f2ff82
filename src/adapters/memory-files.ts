import type { FileStore, StoredKey } from "../ports/files.ts";

/** In-memory file store for tests; `now` dates each write (for the orphan sweep's age rule). */
export function memoryFiles(now: () => number = Date.now): FileStore {
  const stored = new Map<string, { bytes: Uint8Array; at: number }>();
  const temporary = new Map<string, { bytes: Uint8Array; at: number }>();
  return {
    async put(key, bytes) {
      stored.set(key, { bytes: new Uint8Array(bytes), at: now() });
    },
    async get(key) {
      return stored.get(key)?.bytes ?? null;
    },
    async delete(key) {
      stored.delete(key);
    },
    async putTemporary(key, bytes) {
      temporary.set(key, { bytes: new Uint8Array(bytes), at: now() });
    },
    async promote(key) {
      const t = temporary.get(key);
      if (!t) {
        if (stored.has(key)) return;
        throw new Error(`no temporary file for ${key}`);
      }
      stored.set(key, t);
      temporary.delete(key);
    },
    async discard(key) {
      temporary.delete(key);
    },
    async *list(): AsyncIterable<StoredKey> {
      for (const [key, v] of [...stored]) yield { key, temporary: false, modifiedAt: new Date(v.at) };
      for (const [key, v] of [...temporary]) yield { key, temporary: true, modifiedAt: new Date(v.at) };
    },
  };
}
