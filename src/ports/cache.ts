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
  ping(): Promise<void>;
  close(): Promise<void>;
  readonly kind: "memory" | "redis";
}
