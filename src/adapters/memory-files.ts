import type { FileStore } from "../ports/files.ts";

/** In-memory file store for tests. */
export function memoryFiles(): FileStore {
  const m = new Map<string, Uint8Array>();
  return {
    async put(key, bytes) {
      m.set(key, new Uint8Array(bytes));
    },
    async get(key) {
      return m.get(key) ?? null;
    },
    async delete(key) {
      m.delete(key);
    },
  };
}
