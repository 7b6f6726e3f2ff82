/** Dates as the platform's users read them: Asia/Shanghai, UTC+8 all year (no daylight saving). */

export const SHANGHAI_OFFSET_MS = 8 * 3600_000;

/** The calendar date (YYYY-MM-DD) in Asia/Shanghai at this instant. */
export function shanghaiDate(d: Date): string {
  return new Date(d.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** The calendar year in Asia/Shanghai at this instant. */
export function shanghaiYear(d: Date): number {
  return new Date(d.getTime() + SHANGHAI_OFFSET_MS).getUTCFullYear();
}

/** A calendar date (YYYY-MM-DD) n days later (or earlier for negative n). */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86400_000).toISOString().slice(0, 10);
}

/** The instant a calendar date (YYYY-MM-DD) begins in Asia/Shanghai, `plusDays` later: date filters' bounds. */
export function shanghaiMidnight(day: string, plusDays = 0): Date {
  return new Date(Date.parse(`${addDays(day, plusDays)}T00:00:00Z`) - SHANGHAI_OFFSET_MS);
}
