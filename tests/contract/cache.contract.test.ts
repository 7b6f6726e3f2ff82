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

  it("hashes: replace, read, update some fields, renew the TTL", async () => {
    const c = await open();
    expect(await c.hashGetAll("h")).toBeNull();
    await c.hashReplace("h", { a: "1", b: "2" }, 60);
    expect(await c.hashGetAll("h")).toEqual({ a: "1", b: "2" });
    expect(await c.hashUpdate("h", { b: "3", c: "4" }, ["a"], 120)).toBe(true);
    expect(await c.hashGetAll("h")).toEqual({ b: "3", c: "4" });
    expect(await c.ttl("h")).toBeGreaterThan(60);
    await c.hashReplace("h", { z: "9" }, 60);
    expect(await c.hashGetAll("h")).toEqual({ z: "9" });
    // Removing the last field removes the hash.
    expect(await c.hashUpdate("h", {}, ["z"], 60)).toBe(true);
    expect(await c.hashGetAll("h")).toBeNull();
    expect(await c.del("h")).toBe(false);
  });

  it("hashUpdate never brings back a deleted or expired hash", async () => {
    const c = await open();
    await c.hashReplace("gone", { a: "1" }, 60);
    expect(await c.del("gone")).toBe(true);
    expect(await c.hashUpdate("gone", { flash: "x" }, [], 60)).toBe(false);
    expect(await c.hashGetAll("gone")).toBeNull();
    await c.hashReplace("brief", { a: "1" }, 1);
    await sleep(1100);
    expect(await c.hashUpdate("brief", { a: "2" }, [], 60)).toBe(false);
    expect(await c.hashGetAll("brief")).toBeNull();
  });

  it("concurrent hash updates of different fields all survive", async () => {
    const c = await open();
    await c.hashReplace("s", { csrf: "t" }, 60);
    await Promise.all(Array.from({ length: 20 }, (_, i) => c.hashUpdate("s", { [`f${i}`]: String(i) }, [], 60)));
    const all = (await c.hashGetAll("s"))!;
    expect(Object.keys(all)).toHaveLength(21);
    for (let i = 0; i < 20; i++) expect(all[`f${i}`]).toBe(String(i));
  });

  it("ping answers", async () => {
    const c = await open();
    await expect(c.ping()).resolves.toBeUndefined();
  });
});

describe("memory cache size cap", () => {
  it("evicts the least recently used entries past the entry cap", async () => {
    const c = memoryCache(Date.now, { maxEntries: 100, maxBytes: 1024 * 1024 });
    try {
      for (let i = 0; i < 100; i++) await c.set(`k${i}`, "v", 60);
      // k0 is used, so k1 is now the least recently used.
      expect(await c.get("k0")).toBe("v");
      await c.set("k100", "v", 60);
      expect(c.size()).toBe(100);
      expect(await c.get("k1")).toBeNull();
      expect(await c.get("k0")).toBe("v");
      expect(await c.get("k100")).toBe("v");
      // A flood of new keys (one anonymous visitor after another) never grows it past the cap.
      for (let i = 0; i < 5000; i++) await c.set(`flood:${i}`, "x".repeat(20), 60);
      expect(c.size()).toBe(100);
      await c.hashReplace("session", { csrf: "t" }, 60);
      expect(await c.hashGetAll("session")).toEqual({ csrf: "t" });
    } finally {
      await c.close();
    }
  });

  it("evicts past the byte cap, counting hash fields and replaced values", async () => {
    const c = memoryCache(Date.now, { maxEntries: 1_000_000, maxBytes: 200_000 });
    try {
      for (let i = 0; i < 1000; i++) await c.set(`big${i}`, "x".repeat(1000), 60);
      expect(c.bytes()).toBeLessThanOrEqual(200_000);
      expect(c.size()).toBeLessThan(100);
      expect(await c.get("big999")).toBe("x".repeat(1000));
      expect(await c.get("big0")).toBeNull();
      await c.hashReplace("h", { a: "y".repeat(25_000) }, 60);
      await c.hashUpdate("h", { b: "y".repeat(25_000) }, [], 60);
      expect(c.bytes()).toBeLessThanOrEqual(200_000);
      expect(Object.keys((await c.hashGetAll("h"))!)).toEqual(["a", "b"]);
      await c.set("big999", "x", 60);
      const before = c.bytes();
      await c.del("big999");
      expect(c.bytes()).toBeLessThan(before);
    } finally {
      await c.close();
    }
  });
});

// Defined only where a Redis server is configured (CI sets REDIS_URL); nothing is skipped.
if (REDIS_URL)
  describe("Redis adapter specifics", () => {
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
