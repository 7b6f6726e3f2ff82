import { describe, expect, it } from "vitest";
import { versionService } from "../../src/modules/versions/service.ts";
import { LocalRenders, etagMatches } from "../../src/web/page-cache.ts";
import type { Db } from "../../src/ports/db.ts";

/** A version repository over an in-memory counter table, counting its reads. */
function fakeVersions() {
  const table = new Map<string, number>([["catalog", 1]]);
  let reads = 0;
  let release: (() => void) | null = null;
  let hold = false;
  return {
    table,
    get reads() {
      return reads;
    },
    holdNext() {
      hold = true;
    },
    release() {
      release?.();
    },
    repo: () => ({
      async all() {
        reads++;
        if (hold) {
          hold = false;
          await new Promise<void>((r) => {
            release = r;
          });
        }
        return [...table].map(([kind, version]) => ({ kind, version }));
      },
    }),
  };
}

describe("versionService", () => {
  it("reuses the versions it read for reuseMs, then reads again", async () => {
    let now = 1_000;
    const f = fakeVersions();
    const v = versionService({ db: {} as Db, versionRepo: f.repo, reuseMs: 500, now: () => now });
    expect((await v.current()).catalog).toBe(1);
    f.table.set("catalog", 2);
    now += 499;
    expect((await v.current()).catalog).toBe(1);
    now += 1;
    expect((await v.current()).catalog).toBe(2);
    expect(f.reads).toBe(2);
    // Kinds without a row read as 0.
    expect((await v.current()).content).toBe(0);
    v.forget();
    await v.current();
    expect(f.reads).toBe(3);
  });

  it("shares one read between callers while it is in flight", async () => {
    const f = fakeVersions();
    const v = versionService({ db: {} as Db, versionRepo: f.repo, reuseMs: 0 });
    f.holdNext();
    const a = v.current();
    const b = v.current();
    f.release();
    expect(await a).toBe(await b);
    expect(f.reads).toBe(1);
  });

  it("memo computes once per version of its kinds and forgets a failed load", async () => {
    const f = fakeVersions();
    const v = versionService({ db: {} as Db, versionRepo: f.repo, reuseMs: 0 });
    let loads = 0;
    const load = async () => ++loads;
    expect(await v.memo("x", ["catalog"], load)).toBe(1);
    expect(await v.memo("x", ["catalog"], load)).toBe(1);
    f.table.set("products", 5);
    // Another kind changed: still the same value.
    expect(await v.memo("x", ["catalog"], load)).toBe(1);
    f.table.set("catalog", 9);
    expect(await v.memo("x", ["catalog"], load)).toBe(2);
    await expect(v.memo("y", ["catalog"], async () => Promise.reject(new Error("down")))).rejects.toThrow("down");
    expect(await v.memo("y", ["catalog"], async () => "up")).toBe("up");
  });
});

describe("page cache helpers", () => {
  it("LocalRenders keeps the most recently used within its bounds", () => {
    const r = (html: string) => ({ etag: '"e"', html, gzip: new Uint8Array(10) });
    const l = new LocalRenders(2, 1_000_000);
    l.set("a", r("A"));
    l.set("b", r("B"));
    expect(l.get("a")?.html).toBe("A");
    l.set("c", r("C"));
    expect(l.get("b")).toBeUndefined();
    expect(l.get("a")?.html).toBe("A");
    expect(l.size).toBe(2);
    const small = new LocalRenders(100, 200);
    small.set("big", r("x".repeat(500)));
    expect(small.get("big")).toBeUndefined();
    small.set("k1", r("x".repeat(45)));
    small.set("k2", r("y".repeat(45)));
    expect(small.get("k1")).toBeUndefined();
    expect(small.get("k2")?.html).toBe("y".repeat(45));
  });

  it("etagMatches reads If-None-Match lists, weak tags and *", () => {
    expect(etagMatches('"abc"', '"abc"')).toBe(true);
    expect(etagMatches('W/"abc"', '"abc"')).toBe(true);
    expect(etagMatches('"x", "abc"', '"abc"')).toBe(true);
    expect(etagMatches("*", '"abc"')).toBe(true);
    expect(etagMatches('"abcd"', '"abc"')).toBe(false);
    expect(etagMatches(undefined, '"abc"')).toBe(false);
  });
});
