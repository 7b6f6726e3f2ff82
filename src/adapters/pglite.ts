import { PGlite } from "@electric-sql/pglite";
import { type Db, type Row, type TxHooks, UniqueViolation, hookMethods, withTxHooks } from "../ports/db.ts";

type Queryable = Pick<PGlite, "query" | "exec">;

function mapError(err: unknown): unknown {
  const e = err as { code?: string; constraint?: string };
  if (e && e.code === "23505") return new UniqueViolation(e.constraint);
  return err;
}

function wrap(q: Queryable, root: PGlite, hooks: TxHooks | null): Db {
  const inTx = hooks !== null;
  const db: Db = {
    kind: "pglite",
    ...hookMethods(hooks),
    async query<T extends Row>(sql: string, params?: readonly unknown[]) {
      try {
        const res = await q.query<T>(sql, params ? [...params] : undefined);
        return res.rows;
      } catch (err) {
        throw mapError(err);
      }
    },
    async exec(sql: string) {
      try {
        await q.exec(sql);
      } catch (err) {
        throw mapError(err);
      }
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      if (inTx) return fn(db);
      return withTxHooks((h) => root.transaction((tx) => fn(wrap(tx, root, h))));
    },
    async close() {
      if (!inTx) await root.close();
    },
  };
  return db;
}

const instances = new WeakMap<Db, PGlite>();

/**
 * The PGlite instance behind a handle from openPglite, for an engine that drives it directly (the
 * job engine's PGlite driver); undefined for any other handle.
 */
export function pgliteInstance(db: Db): PGlite | undefined {
  return instances.get(db);
}

/**
 * The embedded database: PostgreSQL compiled to WASM, stored in dataDir (or in memory when omitted).
 * `loadDataDir`: a tar of a data directory to start from instead of a new cluster (src/adapters/pglite-image.ts).
 */
export async function openPglite(dataDir?: string, opts: { loadDataDir?: Uint8Array } = {}): Promise<Db> {
  const pg = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    ...(opts.loadDataDir ? { loadDataDir: new Blob([opts.loadDataDir as Uint8Array<ArrayBuffer>]) } : {}),
  });
  const db = wrap(pg, pg, null);
  instances.set(db, pg);
  return db;
}
