import type { Db } from "../ports/db.ts";
import type { FileStore, StoredKey } from "../ports/files.ts";

const KEY_RE = /^[A-Za-z0-9_-]{16,128}$/;
/**
 * Bytes per row. Splitting keeps every value far from PostgreSQL's 1 GB field limit and from the
 * client's string limit (bytea travels as hex text: a 256 MB export in one value would not fit).
 */
export const CHUNK_BYTES = 1024 * 1024;
const PAGE = 500;

/**
 * Files in the database (table file_store_chunks), shared by every instance on that database.
 * Writes of one key take a transaction-scoped advisory lock on it, so two instances putting or
 * promoting the same key at once run one after the other; a read is one statement, so it sees a
 * whole file or none. `db` should be a pool of its own: the files service writes a temporary while
 * the caller's transaction holds a connection of the app's pool. `now` dates each write (for the
 * orphan sweep's age rule).
 */
export function pgFileStore(db: Db, opts: { now?: () => number; chunkBytes?: number } = {}): FileStore {
  const now = opts.now ?? Date.now;
  const chunkBytes = opts.chunkBytes ?? CHUNK_BYTES;
  const check = (key: string) => {
    if (!KEY_RE.test(key)) throw new Error("invalid storage key");
    return key;
  };
  const locked = async (key: string, fn: (tx: Db) => Promise<void>) => {
    check(key);
    await db.transaction(async (tx) => {
      await tx.query("select pg_advisory_xact_lock(hashtextextended($1, 0))", [`file_store:${key}`]);
      await fn(tx);
    });
  };
  /** Replaces the stored file or the temporary of key with bytes. */
  const write = (key: string, temporary: boolean, bytes: Uint8Array) =>
    locked(key, async (tx) => {
      await tx.query("delete from file_store_chunks where key = $1 and temporary = $2", [key, temporary]);
      const at = new Date(now());
      for (let part = 0, offset = 0; part === 0 || offset < bytes.length; part++, offset += chunkBytes) {
        await tx.query("insert into file_store_chunks (key, temporary, part, bytes, written_at) values ($1, $2, $3, $4, $5)", [
          key,
          temporary,
          part,
          bytes.subarray(offset, offset + chunkBytes),
          at,
        ]);
      }
    });
  return {
    put: (key, bytes) => write(key, false, bytes),
    putTemporary: (key, bytes) => write(key, true, bytes),
    async get(key) {
      const parts = await db.query<{ bytes: Uint8Array }>("select bytes from file_store_chunks where key = $1 and not temporary order by part", [
        check(key),
      ]);
      if (!parts.length) return null;
      const out = new Uint8Array(parts.reduce((n, p) => n + p.bytes.length, 0));
      let offset = 0;
      for (const p of parts) {
        out.set(p.bytes, offset);
        offset += p.bytes.length;
      }
      return out;
    },
    async delete(key) {
      await db.query("delete from file_store_chunks where key = $1 and not temporary", [check(key)]);
    },
    async discard(key) {
      await db.query("delete from file_store_chunks where key = $1 and temporary", [check(key)]);
    },
    promote: (key) =>
      locked(key, async (tx) => {
        const [temporary] = await tx.query("select 1 from file_store_chunks where key = $1 and temporary and part = 0", [key]);
        if (temporary) {
          await tx.query("delete from file_store_chunks where key = $1 and not temporary", [key]);
          await tx.query("update file_store_chunks set temporary = false where key = $1 and temporary", [key]);
          return;
        }
        const [stored] = await tx.query("select 1 from file_store_chunks where key = $1 and not temporary and part = 0", [key]);
        if (!stored) throw new Error(`no temporary file for ${key}`);
      }),
    async *list(): AsyncIterable<StoredKey> {
      // Pages by key, so the orphan sweep may remove what it was shown while it reads on.
      let after: [string, boolean] = ["", false];
      for (;;) {
        const rows = await db.query<{ key: string; temporary: boolean; written_at: Date }>(
          `select key, temporary, written_at from file_store_chunks
           where part = 0 and (key, temporary) > ($1, $2) order by key, temporary limit ${PAGE}`,
          after,
        );
        for (const r of rows) yield { key: r.key, temporary: r.temporary, modifiedAt: r.written_at };
        if (rows.length < PAGE) return;
        const last = rows[rows.length - 1]!;
        after = [last.key, last.temporary];
      }
    },
  };
}
