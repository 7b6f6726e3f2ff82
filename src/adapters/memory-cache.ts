import type { Cache } from "../ports/cache.ts";

type Entry = { value: string | Map<string, string>; expiresAt: number; bytes: number };

export type MemoryCacheLimits = {
  /** Most entries kept; the least recently used go first. */
  maxEntries: number;
  /** Most bytes of keys and values kept (UTF-16 estimate plus a per-entry overhead). */
  maxBytes: number;
};

/** Defaults for the embedded platform: far above one office's use, far below a server's memory. */
export const DEFAULT_MEMORY_CACHE_LIMITS: MemoryCacheLimits = { maxEntries: 100_000, maxBytes: 64 * 1024 * 1024 };

const ENTRY_OVERHEAD = 96;
const FIELD_OVERHEAD = 48;

const sizeOf = (key: string, value: string | Map<string, string>) => {
  let n = ENTRY_OVERHEAD + key.length * 2;
  if (typeof value === "string") return n + value.length * 2;
  for (const [f, v] of value) n += FIELD_OVERHEAD + (f.length + v.length) * 2;
  return n;
};

class WrongType extends Error {
  constructor(key: string) {
    super(`WRONGTYPE: ${key} holds another kind of value`);
  }
}

/**
 * In-process cache for the embedded default and tests. Not shared between processes.
 * Bounded: past `maxEntries` or `maxBytes` the least recently used entries are evicted, so a
 * flood of requests cannot grow it without limit (sessions evicted that way simply end).
 */
export function memoryCache(
  now: () => number = Date.now,
  limits: MemoryCacheLimits = DEFAULT_MEMORY_CACHE_LIMITS,
): Cache & { size(): number; bytes(): number } {
  // A Map iterates in insertion order: re-inserting an entry on use keeps the least recently used first.
  const map = new Map<string, Entry>();
  let bytes = 0;

  const drop = (key: string) => {
    const e = map.get(key);
    if (!e) return;
    bytes -= e.bytes;
    map.delete(key);
  };
  const live = (key: string): Entry | undefined => {
    const e = map.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= now()) {
      drop(key);
      return undefined;
    }
    // Used: move to the most recently used end.
    map.delete(key);
    map.set(key, e);
    return e;
  };
  const evict = () => {
    while (map.size > limits.maxEntries || (bytes > limits.maxBytes && map.size > 1)) {
      const oldest = map.keys().next().value as string;
      drop(oldest);
    }
  };
  const put = (key: string, value: string | Map<string, string>, expiresAt: number) => {
    drop(key);
    const e = { value, expiresAt, bytes: sizeOf(key, value) };
    map.set(key, e);
    bytes += e.bytes;
    evict();
  };
  const resize = (key: string, e: Entry) => {
    bytes -= e.bytes;
    e.bytes = sizeOf(key, e.value);
    bytes += e.bytes;
    evict();
  };
  const str = (key: string, e: Entry | undefined): string | null => {
    if (!e) return null;
    if (typeof e.value !== "string") throw new WrongType(key);
    return e.value;
  };
  const hash = (key: string, e: Entry | undefined): Map<string, string> | null => {
    if (!e) return null;
    if (typeof e.value === "string") throw new WrongType(key);
    return e.value;
  };

  const sweep = setInterval(() => {
    const t = now();
    for (const [k, e] of map) if (e.expiresAt <= t) drop(k);
  }, 60_000);
  (sweep as { unref?: () => void }).unref?.();
  return {
    kind: "memory",
    size: () => map.size,
    bytes: () => bytes,
    async get(key) {
      return str(key, live(key));
    },
    async set(key, value, ttlSeconds) {
      put(key, value, now() + ttlSeconds * 1000);
    },
    async setIfAbsent(key, value, ttlSeconds) {
      if (live(key)) return false;
      put(key, value, now() + ttlSeconds * 1000);
      return true;
    },
    async take(key) {
      const v = str(key, live(key));
      drop(key);
      return v;
    },
    async del(key) {
      const existed = live(key) !== undefined;
      drop(key);
      return existed;
    },
    async incr(key, ttlSeconds) {
      const e = live(key);
      const current = str(key, e);
      if (!e || current === null) {
        put(key, "1", now() + ttlSeconds * 1000);
        return 1;
      }
      const n = Number(current) + 1;
      e.value = String(n);
      resize(key, e);
      return n;
    },
    async ttl(key) {
      const e = map.get(key);
      if (!e || e.expiresAt <= now()) return -1;
      return Math.ceil((e.expiresAt - now()) / 1000);
    },
    async hashGetAll(key) {
      const h = hash(key, live(key));
      return h ? Object.fromEntries(h) : null;
    },
    async hashReplace(key, fields, ttlSeconds) {
      const entries = Object.entries(fields);
      if (!entries.length) {
        drop(key);
        return;
      }
      put(key, new Map(entries), now() + ttlSeconds * 1000);
    },
    async hashUpdate(key, set, remove, ttlSeconds) {
      const e = live(key);
      const h = hash(key, e);
      if (!e || !h) return false;
      for (const [f, v] of Object.entries(set)) h.set(f, v);
      for (const f of remove) h.delete(f);
      if (!h.size) {
        // Like Redis: a hash without fields does not exist.
        drop(key);
        return true;
      }
      e.expiresAt = now() + ttlSeconds * 1000;
      resize(key, e);
      return true;
    },
    async ping() {},
    async close() {
      clearInterval(sweep);
      map.clear();
      bytes = 0;
    },
  };
}
