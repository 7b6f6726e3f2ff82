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
  /**
   * On a transaction handle: runs fn once the outermost transaction has committed, before
   * transaction() returns. For effects outside the database that must follow the commit (moving an
   * upload into place). A failing fn does not fail the committed transaction (its rejection is
   * dropped), so fn must leave a state a later repair can finish. Throws outside a transaction.
   */
  afterCommit(fn: () => Promise<void>): void;
  /** On a transaction handle: runs fn once the transaction has rolled back, before the error is rethrown. Throws outside a transaction. */
  afterRollback(fn: () => Promise<void>): void;
  close(): Promise<void>;
  readonly kind: "pglite" | "postgres";
}

/** First row or undefined. */
export async function one<T extends Row>(db: Db, sql: string, params?: readonly unknown[]): Promise<T | undefined> {
  const rows = await db.query<T>(sql, params);
  return rows[0];
}

/**
 * Thrown by adapters when the database cannot be reached (refused, closed, shutting down or
 * starting up): the request answers 503 with a Chinese page instead of 500, and retrying later works.
 */
export class DatabaseUnavailable extends Error {
  constructor(override readonly cause: unknown) {
    super(`database unavailable: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/** Thrown by adapters for a unique-constraint violation, so services can map it to a user message. */
export class UniqueViolation extends Error {
  constructor(public readonly constraint: string | undefined) {
    super(`unique violation${constraint ? ` on ${constraint}` : ""}`);
  }
}

/** The callbacks a transaction runs after it ends (Db.afterCommit, Db.afterRollback); shared by the adapters. */
export type TxHooks = { commit: (() => Promise<void>)[]; rollback: (() => Promise<void>)[] };

/** Runs fn in a transaction that `begin` opens, then the commit or rollback callbacks registered on it. */
export async function withTxHooks<T>(begin: (hooks: TxHooks) => Promise<T>): Promise<T> {
  const hooks: TxHooks = { commit: [], rollback: [] };
  let result: T;
  try {
    result = await begin(hooks);
  } catch (err) {
    await runEach(hooks.rollback);
    throw err;
  }
  await runEach(hooks.commit);
  return result;
}

/** One after another in registration order; a failure does not stop the others. */
async function runEach(fns: (() => Promise<void>)[]) {
  for (const fn of fns) {
    try {
      await fn();
    } catch {
      // Dropped on purpose: the transaction has ended either way (see Db.afterCommit).
    }
  }
}

/** afterCommit / afterRollback for a handle: registers on a transaction's hooks, refuses outside one. */
export function hookMethods(hooks: TxHooks | null): Pick<Db, "afterCommit" | "afterRollback"> {
  const need = () => {
    if (!hooks) throw new Error("afterCommit/afterRollback need a transaction handle");
    return hooks;
  };
  return {
    afterCommit: (fn) => void need().commit.push(fn),
    afterRollback: (fn) => void need().rollback.push(fn),
  };
}
