import type { Db } from "../../ports/db.ts";

/**
 * The kinds of data public pages show, each with a version counter that migration 0039 bumps by a
 * statement-level trigger in the same transaction as any change of its tables (docs/page-cache.md).
 */
export const DATA_KINDS = ["catalog", "products", "reviews", "programmes", "demands", "content", "settlement"] as const;
export type DataKind = (typeof DATA_KINDS)[number];
export type Versions = Readonly<Record<DataKind, number>>;

export type VersionService = {
  /**
   * The current versions. Read from the database at most once per `reuseMs` on this instance (one
   * read in flight at a time), so a change shows on other instances' cached pages within that time.
   */
  current(): Promise<Versions>;
  /** Forgets the versions read, so the next current() reads them again (after a write on this instance). */
  forget(): void;
  /**
   * A value derived from data of some kinds, computed once per version of them and reused until
   * one changes (reference data such as the categories or the open 券种). `name` must be unique.
   */
  memo<T>(name: string, kinds: readonly DataKind[], load: () => Promise<T>): Promise<T>;
};

/** The repository of the data_versions table (pg.ts). */
export type VersionRepositoryFactory = (db: Db) => { all(): Promise<{ kind: string; version: number }[]> };

export function versionService(deps: { db: Db; versionRepo: VersionRepositoryFactory; reuseMs: number; now?: () => number }): VersionService {
  const now = deps.now ?? Date.now;
  let known: { at: number; versions: Versions } | null = null;
  let reading: Promise<Versions> | null = null;
  const memos = new Map<string, { stamp: string; value: Promise<unknown> }>();

  async function read(): Promise<Versions> {
    const rows = await deps.versionRepo(deps.db).all();
    const versions = Object.fromEntries(DATA_KINDS.map((k) => [k, 0])) as Record<DataKind, number>;
    for (const r of rows) if ((DATA_KINDS as readonly string[]).includes(r.kind)) versions[r.kind as DataKind] = r.version;
    return versions;
  }

  const service: VersionService = {
    current() {
      const t = now();
      if (known && t - known.at < deps.reuseMs) return Promise.resolve(known.versions);
      if (reading) return reading;
      const started = t;
      reading = read()
        .then((versions) => {
          known = { at: started, versions };
          return versions;
        })
        .finally(() => {
          reading = null;
        });
      return reading;
    },
    forget() {
      known = null;
    },
    async memo<T>(name: string, kinds: readonly DataKind[], load: () => Promise<T>): Promise<T> {
      const versions = await service.current();
      const stamp = kinds.map((k) => versions[k]).join(".");
      const hit = memos.get(name);
      if (hit && hit.stamp === stamp) return hit.value as Promise<T>;
      const value = load();
      memos.set(name, { stamp, value });
      // A failed load is not kept: the next call tries again.
      value.catch(() => {
        if (memos.get(name)?.value === value) memos.delete(name);
      });
      return value;
    },
  };
  return service;
}
