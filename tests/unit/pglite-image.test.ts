import { mkdir, readFile, readdir, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Migration } from "../../src/adapters/migrate.ts";
import {
  KEEP,
  clearDataDir,
  ensureImage,
  extractImage,
  freshDataDir,
  imageKey,
  imagePath,
  makeSpare,
  pgliteVersion,
  readImage,
  sparePath,
  takeSpare,
  writeImage,
} from "../../src/adapters/pglite-image.ts";
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

/** A ustar archive of these folders and files, laid out as PGlite's dumpDataDir writes it (leading "/"). */
function tar(entries: { name: string; dir?: boolean; body?: string }[]): Uint8Array {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const h = Buffer.alloc(512);
    const body = Buffer.from(e.body ?? "");
    h.write(e.name, 0, 100, "utf8");
    h.write(`${(e.dir ? 0o755 : 0o600).toString(8).padStart(7, "0")}\0`, 100);
    h.write(`${(e.dir ? 0 : body.length).toString(8).padStart(11, "0")}\0`, 124);
    h.write(e.dir ? "5" : "0", 156);
    h.write("ustar\0", 257);
    blocks.push(h);
    if (!e.dir) blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return new Uint8Array(Buffer.concat(blocks));
}

const IMAGE = tar([
  { name: "/PG_VERSION", body: "17\n" },
  { name: "/base", dir: true },
  { name: "/base/5", dir: true },
  { name: "/base/5/1259", body: "x".repeat(1000) },
  { name: "/pg_wal", dir: true },
  { name: "/pg_wal/000000010000000000000001", body: "" },
]);

describe("spares: the image extracted ahead, moved into a fresh DATA_DIR", () => {
  it("extractImage writes every folder and file of the tar", async () => {
    const out = join(dir.dir, "out");
    await extractImage(IMAGE, out);
    expect(await readFile(join(out, "PG_VERSION"), "utf8")).toBe("17\n");
    expect(await readFile(join(out, "base/5/1259"), "utf8")).toBe("x".repeat(1000));
    expect((await stat(join(out, "pg_wal/000000010000000000000001"))).size).toBe(0);
    // Into a new folder only.
    await expect(extractImage(IMAGE, out)).rejects.toThrow(/EEXIST/);
  });

  it("extractImage refuses a path that leaves the folder, and entries other than files and folders", async () => {
    await expect(extractImage(tar([{ name: "/../evil", body: "x" }]), join(dir.dir, "a"))).rejects.toThrow(/unexpected path/);
    const link = tar([{ name: "/PG_VERSION", body: "17\n" }]);
    link[156] = "2".charCodeAt(0); // a symbolic link
    await expect(extractImage(link, join(dir.dir, "b"))).rejects.toThrow(/unexpected entry type/);
  });

  it("a spare is made once, taken once by a rename, and the folder it went to holds the cluster", async () => {
    const key = imageKey(MIGRATIONS, "1");
    const target = join(dir.dir, "data", "pglite");
    expect(await takeSpare(dir.dir, key, target)).toBe("none");
    expect(await makeSpare(dir.dir, key, IMAGE)).toBe(true);
    expect(await makeSpare(dir.dir, key, IMAGE)).toBe(false);
    expect(await readdir(dir.dir)).toEqual([`${key}.spare`, "data"].sort());
    // An empty folder (a DATA_DIR made but never started) is taken over too.
    await mkdir(target, { recursive: true });
    expect(await takeSpare(dir.dir, key, target)).toBe("taken");
    expect(await readFile(join(target, "PG_VERSION"), "utf8")).toBe("17\n");
    expect(await freshDataDir(target)).toBe(false);
    expect(await takeSpare(dir.dir, key, join(dir.dir, "other"))).toBe("none");
  });

  it("the spare of another key is not taken", async () => {
    await makeSpare(dir.dir, imageKey(MIGRATIONS, "1"), IMAGE);
    expect(await takeSpare(dir.dir, imageKey(changed(0, "create table accounts (id bigint);"), "1"), join(dir.dir, "pglite"))).toBe("none");
  });

  it("half-made spares of processes that ended are removed; the spares of images no longer kept too", async () => {
    const key = imageKey(MIGRATIONS, "1");
    await writeImage(dir.dir, key, IMAGE);
    // A pid that cannot be running (above the kernel's pid_max).
    await mkdir(join(dir.dir, `${key}.spare-tmp-99999999-abc`));
    await mkdir(join(dir.dir, `${imageKey(MIGRATIONS, "0")}.spare`));
    await makeSpare(dir.dir, key, IMAGE);
    expect((await readdir(dir.dir)).sort()).toEqual([`${key}.spare`, `${key}.tar`]);
    expect(sparePath(dir.dir, key)).toBe(join(dir.dir, `${key}.spare`));
  });

  it("clearDataDir empties the folder of a restore that did not finish, and leaves any other alone", async () => {
    const pg = join(dir.dir, "pglite");
    await mkdir(pg);
    await writeFile(join(pg, "PG_VERSION"), "17\n");
    await clearDataDir(pg);
    expect(await readdir(pg)).toEqual(["PG_VERSION"]);
    await writeFile(`${pg}.restoring`, "");
    await clearDataDir(pg);
    expect(await readdir(dir.dir)).toEqual([]);
  });
});
