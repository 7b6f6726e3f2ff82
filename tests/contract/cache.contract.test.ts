import { afterAll, describe, expect, it } from "vitest";
import { memoryCache } from "../../src/adapters/memory-cache.ts";
import type { Cache } from "../../src/ports/cache.ts";
import { REDIS_URL, freshCache } from "../support/db.ts";

/**
 * The cache port's contract. Every adapter (memory, Redis, any future one) must pass it.
 * Redis runs when REDIS_URL is set (CI sets it); memory always runs.
 */
const adapters: [string, () => Promise<Cache>][] = [["memory", async () => memoryCache()]];
if (REDIS_URL) adapters.push(["redis", () => freshCache("redis")]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(adapters)("Cache contract: %s", (_name, make) => {
  const opened: Cache[] = [];
  const open = async () => {
    const c = await make();
    opened.push(c);
    return c;
  };
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()));
  });

  it("get / set / del", async () => {
    const c = await open();
    expect(await c.get("a")).toBeNull();
    await c.set("a", "1", 60);
    expect(await c.get("a")).toBe("1");
    await c.set("a", "2", 60);
    expect(await c.get("a")).toBe("2");
    expect(await c.del("a")).toBe(true);
    expect(await c.del("a")).toBe(false);
    expect(await c.get("a")).toBeNull();
  });

  it("values expire after their TTL", async () => {
    const c = await open();
    await c.set("short", "x", 1);
    expect(await c.ttl("short")).toBeGreaterThan(0);
    await sleep(1100);
    expect(await c.get("short")).toBeNull();
    expect(await c.ttl("short")).toBe(-1);
  });

  it("setIfAbsent sets once", async () => {
    const c = await open();
    expect(await c.setIfAbsent("once", "a", 60)).toBe(true);
    expect(await c.setIfAbsent("once", "b", 60)).toBe(false);
    expect(await c.get("once")).toBe("a");
  });

  it("take reads and deletes: only one of many concurrent takers gets the value", async () => {
    const c = await open();
    await c.set("code", "123456", 60);
    const results = await Promise.all(Array.from({ length: 20 }, () => c.take("code")));
    expect(results.filter((r) => r === "123456")).toHaveLength(1);
    expect(await c.get("code")).toBeNull();
  });

  it("incr counts atomically and keeps the TTL of the first increment", async () => {
    const c = await open();
    const values = await Promise.all(Array.from({ length: 50 }, () => c.incr("n", 60)));
    expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const ttl = await c.ttl("n");
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
    await c.incr("m", 1);
    await sleep(1100);
    expect(await c.incr("m", 1)).toBe(1);
  });

  it("del of one concurrent caller only returns true once", async () => {
    const c = await open();
    await c.set("d", "x", 60);
    const results = await Promise.all(Array.from({ length: 10 }, () => c.del("d")));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("ping answers", async () => {
    const c = await open();
    await expect(c.ping()).resolves.toBeUndefined();
  });
});

// Defined only where a Redis server is configured (CI sets REDIS_URL); nothing is skipped.
if (REDIS_URL) describe("Redis adapter specifics", () => {
  it("two clients with the same prefix see the same keys (several app instances)", async () => {
    const { redisCache } = await import("../../src/adapters/redis-cache.ts");
    const prefix = `test:shared:${Date.now()}:`;
    const a = await redisCache(REDIS_URL!, prefix);
    const b = await redisCache(REDIS_URL!, prefix);
    try {
      await a.set("session", "data", 60);
      expect(await b.get("session")).toBe("data");
      expect(await b.take("session")).toBe("data");
      expect(await a.get("session")).toBeNull();
    } finally {
      await a.close();
      await b.close();
    }
  });
});
