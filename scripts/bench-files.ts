/**
 * npm run bench:files
 *
 * The file stores side by side: the local disk (fs-files.ts, in a temporary folder) and the
 * database store (pg-files.ts, FILE_STORE=postgres) on PostgreSQL (DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test, a fresh schema dropped at the end, its own pool of 4 as
 * the composition root opens it). Per size: `put` then `get` one after the other, then 8 at once
 * (as 8 uploads from several instances), ms per operation and MB/s. Loopback only.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fsFiles } from "../src/adapters/fs-files.ts";
import { migrate } from "../src/adapters/migrate.ts";
import { pgFileStore } from "../src/adapters/pg-files.ts";
import { openPostgres } from "../src/adapters/postgres.ts";
import { randomToken } from "../src/lib/random.ts";
import type { FileStore } from "../src/ports/files.ts";

const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `bench_files_${Date.now()}`;
const admin = await openPostgres(url, { max: 1 });
await admin.exec(`create schema ${schema}`);
const pool = await openPostgres(url, { searchPath: schema, max: 4 });
const dir = await mkdtemp(join(tmpdir(), "gxv-bench-files-"));
try {
  await migrate(pool);
  const stores: [string, FileStore][] = [
    ["disk", fsFiles(dir)],
    ["postgres", pgFileStore(pool)],
  ];
  const sizes: [string, number, number][] = [
    ["100 KB", 100_000, 200],
    ["1 MB", 1_000_000, 50],
    ["10 MB", 10_000_000, 10],
  ];
  console.log(
    `${cpus().length} cores (${cpus()[0]?.model}); PostgreSQL ${(await pool.query<{ server_version: string }>("show server_version"))[0]!.server_version}`,
  );
  console.log("store     size    mode        put ms/op  get ms/op  put MB/s  get MB/s");
  for (const [label, size, n] of sizes) {
    const bytes = new Uint8Array(size).map((_, i) => (i * 7919) % 251);
    for (const [name, store] of stores) {
      for (const parallel of [1, 8]) {
        const keys = Array.from({ length: n }, () => randomToken(24));
        const timed = async (op: (key: string) => Promise<unknown>) => {
          const start = performance.now();
          for (let i = 0; i < n; i += parallel) await Promise.all(keys.slice(i, i + parallel).map(op));
          return performance.now() - start;
        };
        const put = await timed((k) => store.put(k, bytes));
        const get = await timed(async (k) => {
          if ((await store.get(k))?.length !== size) throw new Error("wrong bytes back");
        });
        const mbps = (ms: number) => ((size * n) / 1e6 / (ms / 1000)).toFixed(0);
        console.log(
          [
            name.padEnd(9),
            label.padEnd(7),
            (parallel === 1 ? "one by one" : "8 at once").padEnd(11),
            (put / n).toFixed(2).padStart(9),
            (get / n).toFixed(2).padStart(10),
            mbps(put).padStart(9),
            mbps(get).padStart(9),
          ].join(" "),
        );
        for (const k of keys) await store.delete(k);
      }
    }
  }
} finally {
  await pool.close();
  await admin.exec(`drop schema ${schema} cascade`);
  await admin.close();
  await rm(dir, { recursive: true, force: true });
}
