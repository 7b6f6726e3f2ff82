/**
 * Paging shared by every list. The HTTP edge parses `page` with `pageNo` (web/validate.ts); use
 * cases clamp again with `pageOf` so any other caller gets the same 1..MAX_PAGE, and repositories
 * bind LIMIT and OFFSET as SQL parameters.
 */

/** The highest page number any list accepts; larger numbers are clamped to it. */
export const MAX_PAGE = 1000;

/** A page number as a use case uses it: an integer 1..MAX_PAGE (1 for anything that is not a number). */
export function pageOf(page: unknown): number {
  const n = typeof page === "number" ? page : typeof page === "string" && /^\s*\d+\s*$/.test(page) ? Number(page) : Number.NaN;
  return Number.isFinite(n) ? Math.min(Math.max(Math.trunc(n), 1), MAX_PAGE) : 1;
}

/** How many pages `total` rows fill (at least one). */
export const pagesOf = (total: number, size: number) => Math.max(1, Math.ceil(total / size));
