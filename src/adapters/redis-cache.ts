import { createClient } from "redis";
import type { Cache } from "../ports/cache.ts";

const INCR_WITH_TTL = `local v = redis.call('INCR', KEYS[1])
if v == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return v`;

/** Redis-backed cache shared by every app instance. keyPrefix isolates tenants and test runs. */
export async function redisCache(url: string, keyPrefix = "gxv:"): Promise<Cache> {
  const client = createClient({ url });
  client.on("error", () => {
    // Connection errors surface on the next command (and in /readyz); the client reconnects by itself.
  });
  await client.connect();
  const k = (key: string) => keyPrefix + key;
  return {
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
    async ping() {
      await client.ping();
    },
    async close() {
      await client.close();
    },
  };
}
