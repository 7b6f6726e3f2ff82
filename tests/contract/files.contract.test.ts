import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fsFiles } from "../../src/adapters/fs-files.ts";
import { memoryFiles } from "../../src/adapters/memory-files.ts";
import type { FileStore } from "../../src/ports/files.ts";
import { randomToken } from "../../src/lib/random.ts";

/** The FileStore port's contract: every adapter (local disk, memory, a future object store) passes it. */
const dirs: string[] = [];
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
];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe.each(adapters)("FileStore contract: %s", (_name, make) => {
  it("stores and returns the exact bytes", async () => {
    const s = await make();
    const key = randomToken(24);
    const bytes = new Uint8Array(200_000).map((_, i) => (i * 7919) % 251);
    await s.put(key, bytes);
    expect(await s.get(key)).toEqual(bytes);
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
