import { createClient } from "redis";
import { type Cache, CacheUnavailable } from "../ports/cache.ts";

const INCR_WITH_TTL = `local v = redis.call('INCR', KEYS[1])
if v == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return v`;

// Only an existing hash is changed: a session deleted by a concurrent logout must not come back.
const HASH_UPDATE = `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = tonumber(ARGV[2])
for i = 0, n - 1 do redis.call('HSET', KEYS[1], ARGV[3 + 2 * i], ARGV[4 + 2 * i]) end
for i = 3 + 2 * n, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1`;

/** Redis-backed cache shared by every app instance. keyPrefix isolates tenants and test runs. */
export async function redisCache(url: string, keyPrefix = "gxv:"): Promise<Cache> {
  // Without the offline queue a command fails at once while the connection is down (the request
  // answers 503) instead of waiting for Redis to come back; the client reconnects by itself.
  const client = createClient({ url, disableOfflineQueue: true, socket: { reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2000) } });
  client.on("error", () => {
    // Connection errors surface on the next command (and in /readyz); the client reconnects by itself.
  });
  await client.connect();
  const k = (key: string) => keyPrefix + key;
  const cache: Cache = {
    kind: "redis",
    async get(key) {
      return (await client.get(k(key))) ?? null;
    },
    async set(key, value, ttlSeconds) {
      await client.set(k(key), value, { expiration: { type: "EX", value: ttlSeconds } });
    },
    async setIfAbsent(key, value, ttlSeconds) {
      const r = await client.set(k(key), value, { expiration: { type: "EX", value: ttlSeconds }, condition: "NX" });
      return r === "OK";
    },
    async take(key) {
      return (await client.getDel(k(key))) ?? null;
    },
    async del(key) {
      return (await client.del(k(key))) > 0;
    },
    async incr(key, ttlSeconds) {
      return Number(await client.eval(INCR_WITH_TTL, { keys: [k(key)], arguments: [String(ttlSeconds)] }));
    },
    async ttl(key) {
      const t = await client.ttl(k(key));
      return t < 0 ? -1 : t;
    },
    async hashGetAll(key) {
      const h = await client.hGetAll(k(key));
      return Object.keys(h).length ? { ...h } : null;
    },
    async hashReplace(key, fields, ttlSeconds) {
      const multi = client.multi().del(k(key));
      if (Object.keys(fields).length) multi.hSet(k(key), fields).expire(k(key), ttlSeconds);
      await multi.exec();
    },
    async hashUpdate(key, set, remove, ttlSeconds) {
      const pairs = Object.entries(set).flat();
      const r = await client.eval(HASH_UPDATE, {
        keys: [k(key)],
        arguments: [String(ttlSeconds), String(pairs.length / 2), ...pairs, ...remove],
      });
      return Number(r) === 1;
    },
    async ping() {
      await client.ping();
    },
    async close() {
      await client.close();
    },
  };
  // Every command that fails for want of a connection throws CacheUnavailable.
  const guarded = { ...cache };
  for (const name of Object.keys(cache) as (keyof Cache)[]) {
    const f = cache[name];
    if (typeof f !== "function" || name === "close") continue;
    (guarded as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      try {
        return await (f as (...a: unknown[]) => Promise<unknown>).apply(cache, args);
      } catch (err) {
        if (!client.isReady || isConnectionError(err)) throw new CacheUnavailable(err);
        throw err;
      }
    };
  }
  return guarded;
}

const isConnectionError = (err: unknown) => {
  const e = err as { name?: string; code?: string } | null;
  return (
    !!e &&
    (e.name === "ClientClosedError" ||
      e.name === "ClientOfflineError" ||
      e.name === "SocketClosedUnexpectedlyError" ||
      e.name === "ConnectionTimeoutError" ||
      ["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT"].includes(e.code ?? ""))
  );
};
