import type { Db } from "../../ports/db.ts";

/** The data_versions table (migration 0039): one counter per kind, bumped by triggers on its tables. */
export function pgVersions(db: Db) {
  return {
    async all(): Promise<{ kind: string; version: number }[]> {
      const rows = await db.query<{ kind: string; version: string | number }>("select kind, version from data_versions");
      return rows.map((r) => ({ kind: r.kind, version: Number(r.version) }));
    },
  };
}
