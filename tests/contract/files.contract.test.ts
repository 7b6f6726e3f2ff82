import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fsFiles } from "../../src/adapters/fs-files.ts";
import { memoryFiles } from "../../src/adapters/memory-files.ts";
import { migrate } from "../../src/adapters/migrate.ts";
import { CHUNK_BYTES, pgFileStore } from "../../src/adapters/pg-files.ts";
import { openPostgres } from "../../src/adapters/postgres.ts";
import { pgAudit } from "../../src/modules/audit/pg.ts";
import { pgFiles } from "../../src/modules/files/pg.ts";
import { fileService } from "../../src/modules/files/service.ts";
import type { Db } from "../../src/ports/db.ts";
import { type FileStore, type StoredKey, copyStoredFiles } from "../../src/ports/files.ts";
import { randomToken } from "../../src/lib/random.ts";
import { memoryCache } from "../../src/adapters/memory-cache.ts";
import { closeDeps, openFileStore } from "../../src/compose.ts";
import { loadConfig } from "../../src/config.ts";
import type { Jobs } from "../../src/ports/jobs.ts";
import { SAMPLE_PDF } from "../support/client.ts";
import { DATABASE_URL, contractDatabases } from "../support/db.ts";

/**
 * The FileStore port's contract: every adapter passes it (local disk, memory, and the shared
 * database store on PGlite and, when DATABASE_URL is set, PostgreSQL).
 */
const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
/** One migrated database per environment, opened on first use and closed after the file. */
const database = (open: () => Promise<{ db: Db; cleanup: () => Promise<void> }>) => {
  let opened: Promise<Db> | undefined;
  return () =>
    (opened ??= open().then(async ({ db, cleanup }) => {
      cleanups.push(cleanup);
      await migrate(db);
      return db;
    }));
};
/** Large byte arrays compared at once (toEqual walks them element by element, seconds per MiB). */
const sameBytes = (got: Uint8Array | null, want: Uint8Array) => {
  expect(got).toBeInstanceOf(Uint8Array);
  expect(got!.length).toBe(want.length);
  expect(Buffer.compare(got!, want), "the bytes differ").toBe(0);
};
const databases = contractDatabases().map(([name, open]) => [name, database(open)] as const);
const adapters: [string, () => Promise<FileStore>][] = [
  [
    "fs",
    async () => {
      const d = await mkdtemp(join(tmpdir(), "gxv-files-"));
      dirs.push(d);
      return fsFiles(d);
    },
  ],
  ["memory", async () => memoryFiles()],
  // Small parts, so the contract's 200 KB file spans several rows.
  ...databases.map(
    ([name, db]) =>
      [
        `database (${name})`,
        async () => {
          const d = await db();
          await d.exec("truncate file_store_chunks");
          return pgFileStore(d, { chunkBytes: 64 * 1024 });
        },
      ] as [string, () => Promise<FileStore>],
  ),
];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  for (const c of cleanups) await c();
});

describe.each(adapters)("FileStore contract: %s", (_name, make) => {
  it("stores and returns the exact bytes", async () => {
    const s = await make();
    const key = randomToken(24);
    const bytes = new Uint8Array(200_000).map((_, i) => (i * 7919) % 251);
    await s.put(key, bytes);
    sameBytes(await s.get(key), bytes);
  });
  it("returns null for an unknown key and after delete", async () => {
    const s = await make();
    const key = randomToken(24);
    expect(await s.get(key)).toBeNull();
    await s.put(key, new Uint8Array([1, 2, 3]));
    await s.delete(key);
    expect(await s.get(key)).toBeNull();
    await s.delete(key); // deleting twice is fine
  });
  it("keeps a temporary out of sight until it is promoted; promoting twice is fine", async () => {
    const s = await make();
    const key = randomToken(24);
    await s.putTemporary(key, new Uint8Array([4, 5]));
    expect(await s.get(key)).toBeNull();
    await s.promote(key);
    expect(await s.get(key)).toEqual(new Uint8Array([4, 5]));
    await s.promote(key);
    expect(await s.get(key)).toEqual(new Uint8Array([4, 5]));
    await expect(s.promote(randomToken(24))).rejects.toThrow();
  });
  it("discards a temporary, so it is never stored", async () => {
    const s = await make();
    const key = randomToken(24);
    await s.putTemporary(key, new Uint8Array([6]));
    await s.discard(key);
    await s.discard(key); // twice is fine
    await expect(s.promote(key)).rejects.toThrow();
    expect(await s.get(key)).toBeNull();
  });
  it("lists stored keys and temporaries with the time they were written", async () => {
    const s = await make();
    const [stored, temp] = [randomToken(24), randomToken(24)];
    const before = Date.now() - 60_000;
    await s.put(stored, new Uint8Array([1]));
    await s.putTemporary(temp, new Uint8Array([2]));
    const listed = [];
    for await (const k of s.list()) listed.push(k);
    expect(listed.map((k) => [k.key, k.temporary]).sort()).toEqual(
      [
        [stored, false],
        [temp, true],
      ].sort(),
    );
    for (const k of listed) expect(k.modifiedAt.getTime()).toBeGreaterThan(before);
    await s.promote(temp);
    await s.delete(stored);
    const after = [];
    for await (const k of s.list()) after.push([k.key, k.temporary]);
    expect(after).toEqual([[temp, false]]);
  });
  it("keeps keys apart", async () => {
    const s = await make();
    const [a, b] = [randomToken(24), randomToken(24)];
    await s.put(a, new Uint8Array([1]));
    await s.put(b, new Uint8Array([2]));
    expect(await s.get(a)).toEqual(new Uint8Array([1]));
    expect(await s.get(b)).toEqual(new Uint8Array([2]));
  });
});

describe("local-disk adapter", () => {
  it("refuses keys that could escape its folder", async () => {
    const d = await mkdtemp(join(tmpdir(), "gxv-files-"));
    dirs.push(d);
    const s = fsFiles(d);
    await expect(s.put("../../etc/passwd", new Uint8Array([1]))).rejects.toThrow("invalid storage key");
    await expect(s.get("..%2F..%2Fx")).rejects.toThrow("invalid storage key");
  });
  it("never overwrites a stored file and leaves no temporary files", async () => {
    const d = await mkdtemp(join(tmpdir(), "gxv-files-"));
    dirs.push(d);
    const s = fsFiles(d);
    const key = randomToken(24);
    await s.put(key, new Uint8Array([1]));
    const entries = await readdir(join(d, key.slice(0, 2)));
    expect(entries).toEqual([key]);
    const temp = randomToken(24);
    await s.putTemporary(temp, new Uint8Array([2]));
    await s.promote(temp);
    expect(await readdir(join(d, "tmp"))).toEqual([]);
  });
});

describe.each(databases)("database adapter: %s", (_name, open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
  });
  const parts = async (key: string) =>
    (await db.query<{ n: number }>("select count(*)::int as n from file_store_chunks where key = $1 and not temporary", [key]))[0]!.n;

  it("splits a file into parts of at most 1 MiB and joins them back; an empty file is one part", async () => {
    const s = pgFileStore(db);
    const key = randomToken(24);
    const bytes = new Uint8Array(2 * CHUNK_BYTES + 12_345).map((_, i) => (i * 31 + (i >> 10)) % 256);
    await s.put(key, bytes);
    expect(await parts(key)).toBe(3);
    sameBytes(await s.get(key), bytes);
    await s.put(key, new Uint8Array([7])); // a shorter file replaces every part
    expect(await parts(key)).toBe(1);
    expect(await s.get(key)).toEqual(new Uint8Array([7]));
    const empty = randomToken(24);
    await s.put(empty, new Uint8Array(0));
    expect(await s.get(empty)).toEqual(new Uint8Array(0));
  });

  it("refuses keys outside the storage key format", async () => {
    const s = pgFileStore(db);
    await expect(s.put("../../etc/passwd", new Uint8Array([1]))).rejects.toThrow("invalid storage key");
    await expect(s.get("short")).rejects.toThrow("invalid storage key");
  });

  it("lists past one page, also while the lister removes what it was shown", async () => {
    await db.exec("truncate file_store_chunks");
    const s = pgFileStore(db);
    const keys = Array.from({ length: 1_001 }, () => randomToken(24));
    for (const k of keys) await s.put(k, new Uint8Array([1]));
    const seen: string[] = [];
    for await (const k of s.list()) {
      seen.push(k.key);
      await s.delete(k.key);
    }
    expect(seen.sort()).toEqual([...keys].sort());
    for await (const _ of s.list()) throw new Error("a key was left");
  });

  it("the orphan sweep removes old orphans and stale temporaries and moves a committed temporary into place", async () => {
    await db.exec("truncate file_store_chunks");
    let clock = Date.now() - 2 * 3_600_000; // written two hours ago
    const s = pgFileStore(db, { now: () => clock });
    const files = fileService({ db, store: s, fileRepo: pgFiles, audit: pgAudit });
    const [orphan, staleTemp, committedTemp, young] = [randomToken(24), randomToken(24), randomToken(24), randomToken(24)];
    await s.put(orphan, new Uint8Array([1]));
    await s.putTemporary(staleTemp, new Uint8Array([2]));
    await s.putTemporary(committedTemp, SAMPLE_PDF);
    const row = await pgFiles(db).insert({
      ownerEnterpriseId: null,
      purpose: "article",
      originalName: "crash.pdf",
      contentType: "application/pdf",
      sizeBytes: SAMPLE_PDF.length,
      sha256: "0".repeat(64),
      storageKey: committedTemp,
      uploadedByAccount: null,
    });
    clock = Date.now();
    await s.put(young, new Uint8Array([3]));

    expect(await files.sweepOrphans({ now: new Date() })).toEqual({ removed: 2, promoted: 1, kept: 1 });
    const left: StoredKey[] = [];
    for await (const k of s.list()) left.push(k);
    expect(left.map((k) => [k.key, k.temporary]).sort()).toEqual(
      [
        [committedTemp, false],
        [young, false],
      ].sort(),
    );
    expect((await files.readChecked(row.id))?.bytes).toEqual(SAMPLE_PDF);
    expect(await files.sweepOrphans({ now: new Date() })).toEqual({ removed: 0, promoted: 0, kept: 2 });
  });
});

if (DATABASE_URL) {
  describe("database adapter: two instances on one PostgreSQL", () => {
    let a: Db;
    let b: Db;
    beforeAll(async () => {
      a = await databases.find(([name]) => name === "postgres")![1]();
      const schema = (await a.query<{ s: string }>("select current_schema() as s"))[0]!.s;
      b = await openPostgres(DATABASE_URL!, { searchPath: schema, max: 4 });
      cleanups.unshift(() => b.close());
    });

    it("what one instance writes the other reads at once, and a delete is seen by both", async () => {
      const [sa, sb] = [pgFileStore(a), pgFileStore(b)];
      const key = randomToken(24);
      const bytes = new Uint8Array(CHUNK_BYTES + 1).map((_, i) => i % 253);
      await sa.put(key, bytes);
      sameBytes(await sb.get(key), bytes);
      await sb.putTemporary(key, new Uint8Array([9]));
      await sa.promote(key);
      expect(await sb.get(key)).toEqual(new Uint8Array([9]));
      await sb.delete(key);
      expect(await sa.get(key)).toBeNull();
    });

    it("two instances writing or promoting one key at once: no error, and one whole file wins", async () => {
      const [sa, sb] = [pgFileStore(a, { chunkBytes: 4096 }), pgFileStore(b, { chunkBytes: 4096 })];
      const one = new Uint8Array(40_000).fill(1);
      const two = new Uint8Array(30_000).fill(2);
      for (let round = 0; round < 10; round++) {
        const key = randomToken(24);
        await Promise.all([sa.put(key, one), sb.put(key, two), sa.put(key, two), sb.put(key, one)]);
        const got = await sa.get(key);
        sameBytes(got, got![0] === 1 ? one : two);
        const temp = randomToken(24);
        await sa.putTemporary(temp, two);
        await Promise.all([sa.promote(temp), sb.promote(temp), sb.promote(temp)]);
        sameBytes(await sb.get(temp), two);
      }
    });

    it("FILE_STORE=postgres: the composition root opens the database store on a pool of its own, closed with closeDeps", async () => {
      const schema = (await a.query<{ s: string }>("select current_schema() as s"))[0]!.s;
      const config = loadConfig({ FILE_STORE: "postgres", DATABASE_URL: `${DATABASE_URL}?search_path=${schema}` });
      expect(config.fileStore).toBe("postgres");
      const store = await openFileStore(config);
      const key = randomToken(24);
      await store.put(key, new Uint8Array([4, 2]));
      expect(await pgFileStore(a).get(key)).toEqual(new Uint8Array([4, 2]));
      const [db, cache] = [await openPostgres(DATABASE_URL!, { max: 1 }), memoryCache()];
      await closeDeps({ db, cache, jobs: { stop: async () => {} } as unknown as Jobs, fileStore: store });
      await expect(store.get(key)).rejects.toThrow();
    });

    it("copyStoredFiles (npm run files:copy) moves the stored files of the disk into the database store, not the temporaries", async () => {
      const d = await mkdtemp(join(tmpdir(), "gxv-files-"));
      dirs.push(d);
      const disk = fsFiles(d);
      const [x, y, temp] = [randomToken(24), randomToken(24), randomToken(24)];
      await disk.put(x, new Uint8Array([1, 2]));
      await disk.put(y, SAMPLE_PDF);
      await disk.putTemporary(temp, new Uint8Array([3]));
      const target = pgFileStore(a);
      expect(await copyStoredFiles(disk, target)).toBe(2);
      expect(await copyStoredFiles(disk, target)).toBe(2); // again: the same files, nothing doubled
      expect(await pgFileStore(b).get(x)).toEqual(new Uint8Array([1, 2]));
      expect(await pgFileStore(b).get(y)).toEqual(SAMPLE_PDF);
      expect(await target.get(temp)).toBeNull();
      const listed: string[] = [];
      for await (const k of target.list()) if ([x, y, temp].includes(k.key)) listed.push(`${k.key}:${k.temporary}`);
      expect(listed.sort()).toEqual([`${x}:false`, `${y}:false`].sort());
    });

    it("an upload stored through the files service on one instance is read on the other once its row commits", async () => {
      // Each instance: the app's pool for its rows, a pool of its own for the file store.
      const fa = fileService({ db: a, store: pgFileStore(b), fileRepo: pgFiles, audit: pgAudit });
      const fb = fileService({ db: b, store: pgFileStore(a), fileRepo: pgFiles, audit: pgAudit });
      const stored = await fa.store(null, { name: "a.pdf", bytes: SAMPLE_PDF, ownerEnterpriseId: null, purpose: "article", accountId: null });
      if (!stored.ok) throw new Error(stored.message);
      expect((await fb.readChecked(stored.file.id))?.bytes).toEqual(SAMPLE_PDF);
      await expect(
        a.transaction(async (tx) => {
          await fa.store(tx, { name: "b.pdf", bytes: SAMPLE_PDF, ownerEnterpriseId: null, purpose: "article", accountId: null });
          throw new Error("later step fails");
        }),
      ).rejects.toThrow("later step fails");
      const temporaries: StoredKey[] = [];
      for await (const k of pgFileStore(b).list()) if (k.temporary) temporaries.push(k);
      expect(temporaries).toEqual([]);
    });
  });
}
