import type { Cache } from "../ports/cache.ts";

type Entry = { value: string; expiresAt: number };

/** In-process cache for the embedded default and tests. Not shared between processes. */
export function memoryCache(now: () => number = Date.now): Cache & { size(): number } {
  const map = new Map<string, Entry>();
  const live = (key: string): Entry | undefined => {
    const e = map.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= now()) {
      map.delete(key);
      return undefined;
    }
    return e;
  };
  const sweep = setInterval(() => {
    const t = now();
    for (const [k, e] of map) if (e.expiresAt <= t) map.delete(k);
  }, 60_000);
  (sweep as { unref?: () => void }).unref?.();
  return {
    kind: "memory",
    size: () => map.size,
    async get(key) {
      return live(key)?.value ?? null;
    },
    async set(key, value, ttlSeconds) {
      map.set(key, { value, expiresAt: now() + ttlSeconds * 1000 });
    },
    async setIfAbsent(key, value, ttlSeconds) {
      if (live(key)) return false;
      map.set(key, { value, expiresAt: now() + ttlSeconds * 1000 });
      return true;
    },
    async take(key) {
      const e = live(key);
      map.delete(key);
      return e?.value ?? null;
    },
    async del(key) {
      const existed = live(key) !== undefined;
      map.delete(key);
      return existed;
    },
    async incr(key, ttlSeconds) {
      const e = live(key);
      if (!e) {
        map.set(key, { value: "1", expiresAt: now() + ttlSeconds * 1000 });
        return 1;
      }
      const n = Number(e.value) + 1;
      e.value = String(n);
      return n;
    },
    async ttl(key) {
      const e = live(key);
      return e ? Math.ceil((e.expiresAt - now()) / 1000) : -1;
    },
    async ping() {},
    async close() {
      clearInterval(sweep);
      map.clear();
    },
  };
}
