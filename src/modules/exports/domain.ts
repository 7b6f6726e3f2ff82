/**
 * Exports (导出 CSV / 导出 Excel) of staff lists: the shape a list declares (its columns and how to read
 * its rows), the CSV encoding (UTF-8 with BOM, RFC 4180 quoting, formula injection neutralised),
 * cell formatting (money as yuan from integer fen, times in Asia/Shanghai), file names and the
 * checks that refuse an absurd export. Pure: no I/O. The XLSX encoding is an adapter behind the
 * `Spreadsheets` port (src/ports/spreadsheets.ts). See docs/exports.md.
 */
import { SHANGHAI_OFFSET_MS, shanghaiDate } from "../../lib/shanghai.ts";

export type ExportFormat = "csv" | "xlsx";
/** The formats and the button text beside each table (导出 CSV / 导出 Excel). */
export const EXPORT_FORMATS: Record<ExportFormat, string> = { csv: "CSV", xlsx: "Excel" };
export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: "text/csv",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

/**
 * How a column's values are written: `text` as it is (CSV: neutralised against formulas), `money`
 * integer fen as yuan with two decimals, `integer` a whole number, `time` an instant in
 * Asia/Shanghai to the second, `date` a calendar day (an instant's Asia/Shanghai date, or YYYY-MM-DD).
 */
export type ColumnKind = "text" | "money" | "integer" | "time" | "date";
export type Cell = string | number | Date | null | undefined;

export type ExportColumn<R> = {
  header: string;
  kind: ColumnKind;
  value: (row: R) => Cell;
  /** Width in characters in the spreadsheet (default by kind). */
  width?: number;
};

/** One batch of rows and where the next one starts (undefined: this was the last). */
export type ExportBatch<R> = { rows: R[]; cursor?: string };

/** The limits of exports (settings, docs/exports.md). */
export type ExportLimits = {
  /** Up to this many rows an export answers at once as a download; above, it runs as a background job. */
  directMaxRows: number;
  /** No export may have more rows than this: refused with a message, nothing queued. */
  maxRows: number;
  /** The longest date range (days, both ends included) a list that requires a range may export. */
  maxRangeDays: number;
};

/**
 * A list that can be exported, declared by the module that owns it (in its use cases) and handed to
 * the exports service by the composition root. `Q` is the list's query as its route parsed it; it
 * must survive JSON (a background job stores it), so strings and numbers only.
 */
export type ExportSource<Q = Record<string, unknown>, R = unknown> = {
  /** Stable key, in the export jobs table and the audit trail ("orders", "audit"). */
  key: string;
  /** The list's name: file name (订单管理-20261201.csv), sheet name, page titles. */
  title: string;
  /** The list's page, for 返回 links (the query is appended). */
  listPath: string;
  /** Staff roles that may read the list, and so export it. */
  readers: readonly string[];
  columns: readonly ExportColumn<R>[];
  /** A message when the query cannot be exported (a required date range missing or too long). */
  check?(q: Q, limits: ExportLimits): string | undefined;
  /** How many rows the query has among those that existed at `asOf`. */
  count(q: Q, asOf: Date): Promise<number>;
  /** Up to `limit` rows after `cursor` (the list's own order; undefined: from the start), at `asOf`. */
  rows(q: Q, asOf: Date, limit: number, cursor: string | undefined): Promise<ExportBatch<R>>;
};

// biome-ignore lint/suspicious/noExplicitAny: sources of any list are kept side by side; each is typed where it is declared
export type AnyExportSource = ExportSource<any, any>;

/** A list's export declared with its own query and row types, to be kept beside others (the types end here). */
export function defineExport<Q, R>(source: ExportSource<Q, R>): AnyExportSource {
  return source as AnyExportSource;
}

// ---------------------------------------------------------------------------------------------
// Checks

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const dayNumber = (s: string) => Date.parse(`${s}T00:00:00Z`) / 86_400_000;
const isDay = (s: string | undefined): s is string => !!s && DAY.test(s) && !Number.isNaN(dayNumber(s));

/**
 * A list's date filter as an export sees it (YYYY-MM-DD, both ends included): `from` after `to` is
 * refused, and when the list requires a range both ends must be given and span at most `maxDays`.
 */
export function checkDateRange(from: string | undefined, to: string | undefined, opts: { required: boolean; maxDays: number }): string | undefined {
  const f = isDay(from) ? from : undefined;
  const t = isDay(to) ? to : undefined;
  if (f && t && f > t) return "开始日期不能晚于结束日期，请修改日期范围";
  if (!opts.required) return undefined;
  if (!f || !t) return `导出前请选择起止日期（一次最多 ${opts.maxDays} 天）`;
  const days = dayNumber(t) - dayNumber(f) + 1;
  if (days > opts.maxDays) return `导出的日期范围为 ${days} 天，超过了一次最多 ${opts.maxDays} 天，请缩小日期范围`;
  return undefined;
}

/** The message for an export with more rows than allowed. */
export function tooManyRows(rows: number, max: number): string {
  return `符合条件的记录共 ${rows} 条，超过单次导出上限 ${max} 条，请缩小筛选范围后再导出`;
}

// ---------------------------------------------------------------------------------------------
// Cell formatting

/** Integer fen as yuan with two decimals and no separators ("1234.50", "-0.05"), exactly. */
export function fenToYuanText(fen: number): string {
  const n = Math.trunc(fen);
  const abs = Math.abs(n);
  return `${n < 0 ? "-" : ""}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** An instant in Asia/Shanghai as "YYYY-MM-DD HH:mm:ss". */
export function shanghaiDateTime(d: Date): string {
  return new Date(d.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 19).replace("T", " ");
}

/** A value that should be an instant: a Date, or a string a Date can read; undefined otherwise. */
export function asInstant(v: Cell): Date | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v;
  if (typeof v === "string" && v) {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

/** A cell as the text CSV writes for its kind (before quoting). Numbers and dates are written by us, never user text. */
export function cellText(kind: ColumnKind, v: Cell): string {
  if (v === null || v === undefined || v === "") return "";
  switch (kind) {
    case "money":
      return typeof v === "number" && Number.isFinite(v) ? fenToYuanText(v) : "";
    case "integer":
      return typeof v === "number" && Number.isFinite(v) ? String(Math.trunc(v)) : "";
    case "time": {
      const d = asInstant(v);
      return d ? shanghaiDateTime(d) : "";
    }
    case "date": {
      if (typeof v === "string" && DAY.test(v)) return v;
      const d = asInstant(v);
      return d ? shanghaiDate(d) : "";
    }
    default:
      return String(v);
  }
}

// ---------------------------------------------------------------------------------------------
// CSV

/**
 * The characters that make a spreadsheet read a cell as a formula (or, for tab and line breaks,
 * that Excel strips before doing so): = + - @, tab, carriage return and line feed (OWASP CSV
 * injection), and their full-width forms, which an IME types and some spreadsheet locales read alike.
 */
const FORMULA_START = /^[=+\-@\t\r\n＝＋－＠]/;

/** Text a person typed, made safe to open in a spreadsheet: a leading formula character gets a `'` before it. */
export function neutralise(s: string): string {
  return FORMULA_START.test(s) ? `'${s}` : s;
}

/** One RFC 4180 field: quoted (with quotes doubled) when it holds a comma, a quote, CR or LF. */
export function csvQuote(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One CSV field of a column: text neutralised then quoted; numbers and times as written by `cellText`. */
export function csvField(kind: ColumnKind, v: Cell): string {
  const text = cellText(kind, v);
  return csvQuote(kind === "text" ? neutralise(text) : text);
}

/** The UTF-8 byte-order mark, which tells Excel the file is UTF-8 (without it, Chinese text opens garbled). */
export const CSV_BOM = "\uFEFF";

/** What both writers do: take rows of cells in column order, then give the file's bytes. */
export interface TableWriter {
  add(cells: readonly Cell[]): void;
  finish(): Uint8Array;
}

/** A CSV file: the BOM, the header row, one line per row, CRLF line ends (RFC 4180). */
export function csvWriter(columns: readonly { header: string; kind: ColumnKind }[]): TableWriter {
  const lines: string[] = [columns.map((c) => csvQuote(neutralise(c.header))).join(",")];
  return {
    add(cells) {
      lines.push(columns.map((c, i) => csvField(c.kind, cells[i])).join(","));
    },
    finish() {
      return new TextEncoder().encode(`${CSV_BOM}${lines.join("\r\n")}\r\n`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Files

/** The download's name: the list's title and the Asia/Shanghai day (订单管理-20261201.csv). */
export function exportFileName(title: string, at: Date, format: ExportFormat): string {
  return `${title}-${shanghaiDate(at).replaceAll("-", "")}.${format}`;
}

/**
 * `Content-Disposition` for a download: an ASCII fallback name and the real one in UTF-8 (RFC 6266
 * with RFC 5987's `filename*`), so 订单管理-20261201.csv arrives with its Chinese name.
 */
export function contentDisposition(name: string, fallback: string): string {
  const ascii = fallback.replace(/[^A-Za-z0-9._-]/g, "_");
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

// ---------------------------------------------------------------------------------------------
// Jobs

export type ExportJobStatus = "queued" | "running" | "done" | "failed" | "expired";
export const EXPORT_STATUS_TEXT: Record<ExportJobStatus, string> = {
  queued: "排队中",
  running: "生成中",
  done: "已完成",
  failed: "导出失败",
  expired: "已过期",
};
/** Statuses in which the page keeps polling. */
export const EXPORT_ACTIVE: readonly ExportJobStatus[] = ["queued", "running"];
