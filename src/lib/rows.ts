/** Helpers every SQL repository uses to move rows in and out of PostgreSQL (and PGlite). */

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** A snake_case row as a camelCase object. */
export function camelRow<T>(r: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [camel(k), v])) as T;
}

/** A text[] literal for a `$n::text[]` / `$n::uuid[]` parameter (the same on postgres.js and PGlite). */
export function pgArray(xs: readonly string[]): string {
  return `{${xs.map((x) => `"${x.replace(/["\\]/g, "")}"`).join(",")}}`;
}
