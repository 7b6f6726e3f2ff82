/**
 * The database port. One SQL dialect (PostgreSQL) with positional parameters ($1, $2 ...)
 * runs unchanged on the embedded PGlite and on a real PostgreSQL server.
 */
export type Row = Record<string, unknown>;

export interface Db {
  /** One parameterised statement. */
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** A script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs fn in one transaction; every query inside must go through the tx handle. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  readonly kind: "pglite" | "postgres";
}

/** First row or undefined. */
export async function one<T extends Row>(db: Db, sql: string, params?: readonly unknown[]): Promise<T | undefined> {
  const rows = await db.query<T>(sql, params);
  return rows[0];
}

/** Thrown by adapters for a unique-constraint violation, so services can map it to a user message. */
export class UniqueViolation extends Error {
  constructor(public readonly constraint: string | undefined) {
    super(`unique violation${constraint ? ` on ${constraint}` : ""}`);
  }
}
