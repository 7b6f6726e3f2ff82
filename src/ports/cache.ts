/**
 * The cache port: short-lived shared state (sessions, one-time codes, rate limits).
 * Production uses Redis so several app instances share it; the embedded default keeps it in memory.
 * Every operation is atomic on its own key.
 */
export interface Cache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Sets only if the key does not exist; true when it was set. */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /** Reads and deletes in one step (one-time values). */
  take(key: string): Promise<string | null>;
  /** Deletes; true when the key existed. */
  del(key: string): Promise<boolean>;
  /** Increments a counter; the TTL is set when the counter is created. Returns the new value. */
  incr(key: string, ttlSeconds: number): Promise<number>;
  /** Remaining lifetime in seconds, or -1 when the key does not exist. */
  ttl(key: string): Promise<number>;
  /**
   * Hashes: one key holding named fields, so concurrent writers each change only their own
   * fields (sessions). A hash with no fields does not exist.
   */
  /** Every field of a hash; null when the key does not exist. */
  hashGetAll(key: string): Promise<Record<string, string> | null>;
  /** Replaces the whole hash with these fields and sets its TTL, in one step (no fields: deletes it). */
  hashReplace(key: string, fields: Record<string, string>, ttlSeconds: number): Promise<void>;
  /**
   * Sets and deletes some fields of an existing hash and renews its TTL, in one step. Returns
   * false and changes nothing when the key does not exist (it was deleted or expired meanwhile).
   */
  hashUpdate(key: string, set: Record<string, string>, remove: string[], ttlSeconds: number): Promise<boolean>;
  ping(): Promise<void>;
  close(): Promise<void>;
  readonly kind: "memory" | "redis";
}

/** Thrown by adapters when the shared cache cannot be reached: the request answers 503, not 500. */
export class CacheUnavailable extends Error {
  constructor(override readonly cause: unknown) {
    super(`cache unavailable: ${(cause as Error)?.message ?? String(cause)}`);
  }
}
