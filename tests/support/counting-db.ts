import type { Db, Row } from "../../src/ports/db.ts";

/**
 * A Db that counts what it sends to the database: every `query`, every `exec` script, and a
 * transaction's `begin` and its `commit` (or `rollback`), each a round trip on PostgreSQL. Tests read
 * `count` and `statements` around one request (`reset()` first) to hold a page to its budget.
 */
export type CountingDb = Db & {
  /** Statements since the last reset. */
  readonly count: number;
  /** Their SQL text (whitespace folded), oldest first; "begin", "commit" and "rollback" for a transaction's ends. */
  readonly statements: readonly string[];
  reset(): void;
};

const folded = (sql: string) => sql.replace(/\s+/g, " ").trim();

export function countingDb(inner: Db): CountingDb {
  const statements: string[] = [];
  const wrap = (db: Db): Db => ({
    kind: db.kind,
    query<T extends Row = Row>(sql: string, params?: readonly unknown[]) {
      statements.push(folded(sql));
      return db.query<T>(sql, params);
    },
    exec(sql: string) {
      statements.push(folded(sql));
      return db.exec(sql);
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>) {
      statements.push("begin");
      try {
        const out = await db.transaction((tx) => fn(wrap(tx)));
        statements.push("commit");
        return out;
      } catch (err) {
        statements.push("rollback");
        throw err;
      }
    },
    afterCommit: (fn) => db.afterCommit(fn),
    afterRollback: (fn) => db.afterRollback(fn),
    close: () => db.close(),
  });
  const outer = wrap(inner);
  // Getters (not copied values), so `count` and `statements` read the log as it is now.
  return Object.defineProperties(outer, {
    count: { get: () => statements.length },
    statements: { get: () => statements as readonly string[] },
    reset: {
      value: () => {
        statements.length = 0;
      },
    },
  }) as CountingDb;
}
