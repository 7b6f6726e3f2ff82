/**
 * What every benchmark script needs besides HTTP: its numeric options checked, waiting for a
 * condition (a wrong value
 * stops the script with exit code 2 and says the range), a throw-away field encryption key (a
 * production-mode child refuses to start without one) and a quantile of sorted samples.
 */

/** An integer option within [min, max]; otherwise prints the range and exits with code 2. */
export function intOption(name: string, v: string | undefined, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} must be an integer between ${min} and ${max}`);
    process.exit(2);
  }
  return n;
}

/** A number option (fractions allowed) within [min, max]; otherwise prints the range and exits with code 2. */
export function numberOption(name: string, v: string | undefined, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`--${name} must be a number between ${min} and ${max}`);
    process.exit(2);
  }
  return n;
}

/** A fresh random field encryption key in the `ENCRYPTION_KEYS` form, for one benchmark run. */
export const benchKey = () => `bench:${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;

/** The p-quantile (0..1) of ascending samples; NaN when there are none. */
export const quantile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : Number.NaN;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` every 50 ms until it answers something other than undefined (a throw counts as not
 * yet) and answers that; throws after `timeoutMs`, naming `what`.
 */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
