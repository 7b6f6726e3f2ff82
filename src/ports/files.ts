/**
 * Where uploaded bytes live. The local-disk adapter keeps them under DATA_DIR/files; an
 * object-storage adapter implements the same port and passes tests/contract/files.contract.test.ts.
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
}

export type StoredKey = { key: string; temporary: boolean; modifiedAt: Date };
