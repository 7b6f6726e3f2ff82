import { PGlite } from "@electric-sql/pglite";
import { type Db, type Row, UniqueViolation } from "../ports/db.ts";

type Queryable = Pick<PGlite, "query" | "exec">;

function mapError(err: unknown): unknown {
  const e = err as { code?: string; constraint?: string };
  if (e && e.code === "23505") return new UniqueViolation(e.constraint);
  return err;
}

function wrap(q: Queryable, root: PGlite, inTx: boolean): Db {
  const db: Db = {
    kind: "pglite",
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
      return root.transaction((tx) => fn(wrap(tx, root, true)));
    },
    async close() {
      if (!inTx) await root.close();
    },
  };
  return db;
}

/** The embedded database: PostgreSQL compiled to WASM, stored in dataDir (or in memory when omitted). */
export async function openPglite(dataDir?: string): Promise<Db> {
  const pg = await PGlite.create(dataDir ? { dataDir } : {});
  return wrap(pg, pg, false);
}
