import postgres from "postgres";
import { type Db, type Row, type TxHooks, UniqueViolation, hookMethods, withTxHooks } from "../ports/db.ts";

type Sql = postgres.Sql | postgres.TransactionSql;

function mapError(err: unknown): unknown {
  const e = err as { code?: string; constraint_name?: string };
  if (e && e.code === "23505") return new UniqueViolation(e.constraint_name);
  return err;
}

function wrap(sql: Sql, root: postgres.Sql, hooks: TxHooks | null): Db {
  const inTx = hooks !== null;
  const db: Db = {
    kind: "postgres",
    ...hookMethods(hooks),
    async query<T extends Row>(text: string, params?: readonly unknown[]) {
      try {
        return (await sql.unsafe(text, (params ?? []) as postgres.ParameterOrJSON<never>[])) as unknown as T[];
      } catch (err) {
        throw mapError(err);
      }
    },
    async exec(text: string) {
      try {
        await sql.unsafe(text).simple();
      } catch (err) {
        throw mapError(err);
      }
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      if (inTx) return fn(db);
      // Every query inside must use the tx handle (postgres.js hangs when the outer pool is mixed in).
      return withTxHooks(async (h) => (await root.begin((tx) => fn(wrap(tx, root, h)))) as T);
    },
    async close() {
      if (!inTx) await root.end({ timeout: 5 });
    },
  };
  return db;
}

export type PostgresOptions = { max?: number; searchPath?: string; statementTimeoutMs?: number };

/** A real PostgreSQL server through the postgres.js client. */
export async function openPostgres(url: string, opts: PostgresOptions = {}): Promise<Db> {
  const connection: Record<string, string> = {
    statement_timeout: String(opts.statementTimeoutMs ?? 15000),
    TimeZone: "UTC",
  };
  if (opts.searchPath) connection.search_path = opts.searchPath;
  const sql = postgres(url, {
    max: opts.max ?? 10,
    onnotice: () => {},
    connection,
    // int8 (counts, fen amounts) as JS numbers, the same as PGlite returns them.
    types: {
      int8: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) },
    },
  });
  await sql`select 1`;
  return wrap(sql, sql, null);
}
