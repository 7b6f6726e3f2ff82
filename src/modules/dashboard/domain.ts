/**
 * 数据看板's pure rules: the measures, usage rates and their buckets, the month axis, compact amounts
 * for chart labels. No I/O (docs/dashboard.md).
 */

/** Staff who read the dashboard: everyone who supervises the money or the programmes (docs/decisions.md). */
export const DASHBOARD_READERS = ["super_admin", "finance", "operator", "reviewer"] as const;

/** The ledger's totals the dashboard shows, integer fen. `consumed` includes `settled` (兑付 is a part of 核销). */
export type Totals = { grantedFen: number; reservedFen: number; consumedFen: number; settledFen: number; expiredFen: number };
export const ZERO: Totals = { grantedFen: 0, reservedFen: 0, consumedFen: 0, settledFen: 0, expiredFen: 0 };

export const MEASURE_TEXT = {
  grantedFen: "发放额度",
  reservedFen: "占用中",
  consumedFen: "已核销",
  settledFen: "已兑付",
  expiredFen: "已失效或收回",
} as const;

/** The dimensions a rollup row belongs to (`dashboard_rollup.dim`). */
export const DIMENSIONS = ["programme", "month", "city", "size", "category", "provider"] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export const add = (a: Totals, b: Totals): Totals => ({
  grantedFen: a.grantedFen + b.grantedFen,
  reservedFen: a.reservedFen + b.reservedFen,
  consumedFen: a.consumedFen + b.consumedFen,
  settledFen: a.settledFen + b.settledFen,
  expiredFen: a.expiredFen + b.expiredFen,
});

/** 可用余额: what is neither held, used nor expired. */
export const availableFen = (t: Totals) => t.grantedFen - t.reservedFen - t.consumedFen - t.expiredFen;

/** Usage rate (使用率) = consumed / granted, in basis points rounded down; 0 when nothing was granted. */
export function usageBp(consumedFen: number, grantedFen: number): number {
  if (grantedFen <= 0 || consumedFen <= 0) return 0;
  return Math.min(10_000, Math.floor((consumedFen * 10_000) / grantedFen));
}

/** A rate in basis points as a percentage with one decimal: 4567 -> "45.6%" (rounded down, like the rate). */
export function percentText(bp: number): string {
  const tenths = Math.floor(bp / 10);
  return `${Math.floor(tenths / 10)}.${tenths % 10}%`;
}

/**
 * The usage distribution's buckets: 未使用 (exactly 0), then 0-10%, 10-20% ... 90-100% (each
 * including its lower bound, except the first which excludes 0; 100% is in the last).
 * The SQL bucket number is -1 for 0 and min(floor(bp / 1000), 9) otherwise, as `usageBucket`.
 */
export const USAGE_BUCKETS: { bucket: number; label: string }[] = [
  { bucket: -1, label: "未使用" },
  ...Array.from({ length: 10 }, (_, i) => ({ bucket: i, label: `${i * 10}–${i * 10 + 10}%` })),
];
export function usageBucket(bp: number): number {
  return bp <= 0 ? -1 : Math.min(9, Math.floor(bp / 1000));
}

/** 'YYYY-MM' keys from `first` to `last` inclusive (gaps filled); at most `max`, the latest kept. */
export function monthRange(first: string, last: string, max = 36): string[] {
  const re = /^(\d{4})-(\d{2})$/;
  const a = first.match(re);
  const b = last.match(re);
  if (!a || !b) return [];
  let y = Number(a[1]);
  let m = Number(a[2]);
  const endY = Number(b[1]);
  const endM = Number(b[2]);
  const out: string[] = [];
  while (y < endY || (y === endY && m <= endM)) {
    out.push(`${y}-${String(m).padStart(2, "0")}`);
    m++;
    if (m > 12) {
      m = 1;
      y++;
    }
  }
  return out.slice(-max);
}

/** A month key as the pages name it: '2026-03' -> '2026年3月'. */
export const monthText = (key: string) => `${key.slice(0, 4)}年${Number(key.slice(5, 7))}月`;

/** The first and last calendar day of a month key, for the order list's 提交日期 filter: ['2026-02-01', '2026-02-28']. */
export function monthDays(key: string): [string, string] {
  const y = Number(key.slice(0, 4));
  const m = Number(key.slice(5, 7));
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return [`${key}-01`, `${key}-${String(last).padStart(2, "0")}`];
}

/**
 * Fen as a short label for a chart: ¥950, ¥1.2万, ¥3,456万, ¥1.23亿 (rounded down, so a label never
 * claims more than the figure; the table beside the chart has the exact amount).
 */
export function compactYuan(fen: number): string {
  const sign = fen < 0 ? "-" : "";
  const yuan = Math.floor(Math.abs(fen) / 100);
  const trim = (n: number, digits: number) => {
    const f = 10 ** digits;
    return (Math.floor(n * f) / f).toFixed(digits).replace(/\.?0+$/, "");
  };
  if (yuan >= 100_000_000) return `${sign}¥${trim(yuan / 100_000_000, 2)}亿`;
  if (yuan >= 100_000) return `${sign}¥${Math.floor(yuan / 10_000).toLocaleString("en-US")}万`;
  if (yuan >= 10_000) return `${sign}¥${trim(yuan / 10_000, 1)}万`;
  return `${sign}¥${yuan.toLocaleString("en-US")}`;
}
