/**
 * Where uploaded bytes live. The local-disk adapter keeps them under DATA_DIR/files; the database
 * adapter (FILE_STORE=postgres) in PostgreSQL, shared by every instance. Each passes
 * tests/contract/files.contract.test.ts, as an object-storage adapter would.
 *
 * An upload that belongs to a database row is written as a temporary first (`putTemporary`), which
 * `get` does not see; it is moved into place (`promote`) after the row's transaction commits, or
 * removed (`discard`) when it rolls back. `list` lets the orphan sweep find stored bytes without a
 * row and temporaries a crash left behind.
 */
export interface FileStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes, or null when no such key exists (temporaries are not seen). */
  get(key: string): Promise<Uint8Array | null>;
  delete(key: string): Promise<void>;
  /** Writes bytes under a temporary name for key. */
  putTemporary(key: string, bytes: Uint8Array): Promise<void>;
  /** Moves the temporary into place. Idempotent: already in place is fine; neither present throws. */
  promote(key: string): Promise<void>;
  /** Removes the temporary of key, if any. */
  discard(key: string): Promise<void>;
  /** Every stored and temporary key with the time it was last written. */
  list(): AsyncIterable<StoredKey>;
  /** Releases what the adapter holds open (the database store's connection pool); closeDeps calls it. */
  close?(): Promise<void>;
}

export type StoredKey = { key: string; temporary: boolean; modifiedAt: Date };

/**
 * Copies every stored file (not the temporaries) from one store to another, replacing what the
 * target holds under the same key, so running it twice is fine; the count copied. For moving a
 * platform's files from the disk to the database store (`npm run files:copy`).
 */
export async function copyStoredFiles(from: FileStore, to: FileStore): Promise<number> {
  let copied = 0;
  for await (const k of from.list()) {
    if (k.temporary) continue;
    const bytes = await from.get(k.key);
    if (!bytes) continue; // removed meanwhile
    await to.put(k.key, bytes);
    copied++;
  }
  return copied;
}
