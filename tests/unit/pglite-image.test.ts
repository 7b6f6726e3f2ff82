import { mkdir, readdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Migration } from "../../src/adapters/migrate.ts";
import { KEEP, ensureImage, freshDataDir, imageKey, imagePath, pgliteVersion, readImage, writeImage } from "../../src/adapters/pglite-image.ts";
import { tempDir } from "../support/processes.ts";

/**
 * The key and the cache of the migrated database image (src/adapters/pglite-image.ts). The image
 * itself is a stand-in here (a build that records its calls); tests/integration/listen.test.ts
 * starts `npm start` on a fresh DATA_DIR from the real one.
 */
const MIGRATIONS: Migration[] = [
  { version: "0001_identity", sql: "create table accounts (id int);" },
  { version: "0002_enterprises", sql: "create table enterprises (id int);" },
];
const changed = (i: number, sql: string) => MIGRATIONS.map((m, j) => (j === i ? { ...m, sql } : m));

let dir: { dir: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir("gxv-image-");
});
afterEach(() => dir.remove());

/** A build that returns distinct bytes per call and counts them. */
function fakeBuild() {
  const calls: string[][] = [];
  return {
    calls,
    build: async (ms: readonly Migration[]) => {
      calls.push(ms.map((m) => m.version));
      return new TextEncoder().encode(`image ${calls.length} of ${ms.map((m) => m.sql).join("|")}`);
    },
  };
}

describe("the image key", () => {
  it("is the same for the same migrations and PGlite version", () => {
    expect(imageKey(MIGRATIONS, "0.5.16")).toBe(
      imageKey(
        MIGRATIONS.map((m) => ({ ...m })),
        "0.5.16",
      ),
    );
    expect(imageKey(MIGRATIONS, "0.5.16")).toMatch(/^pglite-0\.5\.16-[0-9a-f]{20}$/);
  });

  it("changes with a migration's SQL, an added or removed migration, a renamed one, and the PGlite version", () => {
    const base = imageKey(MIGRATIONS, "0.5.16");
    const others = [
      imageKey(changed(1, "create table enterprises (id bigint);"), "0.5.16"),
      imageKey(changed(0, `${MIGRATIONS[0]!.sql} `), "0.5.16"),
      imageKey([...MIGRATIONS, { version: "0003_files", sql: "create table files (id int);" }], "0.5.16"),
      imageKey(MIGRATIONS.slice(0, 1), "0.5.16"),
      imageKey([{ ...MIGRATIONS[0]!, version: "0001_accounts" }, MIGRATIONS[1]!], "0.5.16"),
      imageKey(MIGRATIONS, "0.5.17"),
    ];
    expect(new Set([base, ...others]).size).toBe(others.length + 1);
  });

  it("is not fooled by moving text from one migration to the next", () => {
    const a: Migration[] = [
      { version: "0001_a", sql: "x" },
      { version: "0002_b", sql: "y\nz" },
    ];
    const b: Migration[] = [
      { version: "0001_a", sql: "x\n0002_b\ny" },
      { version: "0002_b", sql: "z" },
    ];
    expect(imageKey(a, "1")).not.toBe(imageKey(b, "1"));
  });

  it("reads the installed PGlite's version", () => {
    expect(pgliteVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("ensureImage", () => {
  it("builds a missing image once, saves it under its key, and reads it the next time", async () => {
    const f = fakeBuild();
    const first = await ensureImage({ dir: dir.dir, migrations: MIGRATIONS, version: "1", build: f.build });
    expect(first).toMatchObject({ built: true, key: imageKey(MIGRATIONS, "1"), path: imagePath(dir.dir, imageKey(MIGRATIONS, "1")) });
    const second = await ensureImage({ dir: dir.dir, migrations: MIGRATIONS, version: "1", build: f.build });
    expect(second.built).toBe(false);
    expect(new TextDecoder().decode(second.bytes)).toBe(new TextDecoder().decode(first.bytes));
    expect(f.calls).toHaveLength(1);
    // Written under a temporary name and renamed: nothing else is left in the folder.
    expect(await readdir(dir.dir)).toEqual([`${first.key}.tar`]);
  });

  it("never uses an image of other migrations: a changed migration builds a new one", async () => {
    const f = fakeBuild();
    const old = await ensureImage({ dir: dir.dir, migrations: MIGRATIONS, version: "1", build: f.build });
    const edited = changed(1, "create table enterprises (id int, name text);");
    const fresh = await ensureImage({ dir: dir.dir, migrations: edited, version: "1", build: f.build });
    expect(fresh.built).toBe(true);
    expect(fresh.key).not.toBe(old.key);
    // The stale image is still in the folder, and not what was returned.
    expect(new TextDecoder().decode(fresh.bytes)).toContain("name text");
    expect(new TextDecoder().decode(await readImage(dir.dir, old.key))).not.toContain("name text");
    expect(f.calls).toHaveLength(2);
    // And another PGlite version does not take it either.
    expect((await ensureImage({ dir: dir.dir, migrations: edited, version: "2", build: f.build })).built).toBe(true);
  });

  it("reuse: false builds it again (npm run db:image -- --force)", async () => {
    const f = fakeBuild();
    await ensureImage({ dir: dir.dir, migrations: MIGRATIONS, version: "1", build: f.build });
    const again = await ensureImage({ dir: dir.dir, migrations: MIGRATIONS, version: "1", build: f.build, reuse: false });
    expect(again.built).toBe(true);
    expect(new TextDecoder().decode(await readImage(dir.dir, again.key))).toMatch(/^image 2 /);
  });

  it("a folder that cannot be written still gives the image built, with the reason it was not saved", async () => {
    const blocked = join(dir.dir, "a-file");
    await writeFile(blocked, "");
    const f = fakeBuild();
    const res = await ensureImage({ dir: join(blocked, "images"), migrations: MIGRATIONS, version: "1", build: f.build });
    expect(res.built).toBe(true);
    expect(res.path).toBeUndefined();
    expect((res.saveError as NodeJS.ErrnoException).code).toBe("ENOTDIR");
    expect(new TextDecoder().decode(res.bytes)).toMatch(/^image 1 /);
  });

  it(`keeps the ${KEEP} newest images`, async () => {
    const keys: string[] = [];
    for (let i = 0; i < KEEP + 2; i++) {
      const key = imageKey(MIGRATIONS, `9.${i}`);
      keys.push(key);
      await writeImage(dir.dir, key, new Uint8Array([i]));
      // Distinct modification times, oldest first.
      const t = new Date(Date.UTC(2026, 0, 1, 0, i));
      await utimes(imagePath(dir.dir, key), t, t);
    }
    await writeImage(dir.dir, imageKey(MIGRATIONS, "9.9"), new Uint8Array([9]));
    const left = (await readdir(dir.dir)).sort();
    expect(left).toHaveLength(KEEP);
    expect(left).toContain(`${imageKey(MIGRATIONS, "9.9")}.tar`);
    expect(left).not.toContain(`${keys[0]}.tar`);
  });
});

describe("freshDataDir", () => {
  it("a missing or empty folder is fresh; one with a cluster is not; a restore left unfinished is fresh again", async () => {
    const pg = join(dir.dir, "pglite");
    expect(await freshDataDir(pg)).toBe(true);
    await mkdir(pg);
    expect(await freshDataDir(pg)).toBe(true);
    await writeFile(join(pg, "PG_VERSION"), "17\n");
    expect(await freshDataDir(pg)).toBe(false);
    await writeFile(`${pg}.restoring`, "");
    expect(await freshDataDir(pg)).toBe(true);
  });
});
