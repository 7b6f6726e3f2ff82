/**
 * Where uploaded bytes live. The local-disk adapter keeps them under DATA_DIR/files; an
 * object-storage adapter implements the same port and passes tests/contract/files.contract.test.ts.
 */
export interface FileStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes, or null when no such key exists. */
  get(key: string): Promise<Uint8Array | null>;
  delete(key: string): Promise<void>;
}
