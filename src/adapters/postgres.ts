import postgres from "postgres";
import { DatabaseUnavailable, type Db, type Row, type TxHooks, UniqueViolation, hookMethods, withTxHooks } from "../ports/db.ts";

type Sql = postgres.Sql | postgres.TransactionSql;

/**
 * postgres.js's own codes for a connection that could not be made or was lost, the socket's, and
 * PostgreSQL's class 08 (connection exception) and 57P01-57P03 (shutting down, starting up).
 */
const UNAVAILABLE = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "57P01",
  "57P02",
  "57P03",
]);
const isConnectionError = (err: unknown) => {
  const code = (err as { code?: string } | null)?.code;
  return !!code && (UNAVAILABLE.has(code) || code.startsWith("08"));
};

function mapError(err: unknown): unknown {
  const e = err as { code?: string; constraint_name?: string };
  if (e && e.code === "23505") return new UniqueViolation(e.constraint_name);
  if (isConnectionError(err)) return new DatabaseUnavailable(err);
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
      try {
        return await withTxHooks(async (h) => (await root.begin((tx) => fn(wrap(tx, root, h)))) as T);
      } catch (err) {
        throw mapError(err);
      }
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
    // Reconnect soon after the server is back: postgres.js's default backoff grows with every failed
    // connection of the pool to 20 s, so after a restart pages would wait that long (docs/scaling.md).
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
    connection,
    // int8 (counts, fen amounts) as JS numbers, the same as PGlite returns them.
    types: {
      int8: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) },
    },
  });
  await sql`select 1`;
  return wrap(sql, sql, null);
}
