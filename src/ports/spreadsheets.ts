/**
 * Spreadsheet files (导出 Excel): one sheet of typed columns written as an Office Open XML workbook
 * (.xlsx) that Excel, WPS and LibreOffice open with its Chinese text intact. The adapter
 * (`adapters/xlsx-writer.ts`, a minimal writer on fflate) is chosen by the composition root; the CSV
 * writer needs no port (`modules/exports/domain.ts`). See docs/exports.md.
 */
import type { Cell, ColumnKind, TableWriter } from "../modules/exports/domain.ts";

export type SheetColumn = { header: string; kind: ColumnKind; width?: number };

export interface Spreadsheets {
  /**
   * A writer of one sheet: the header row (bold, frozen, with an auto filter), then `add` one row
   * of cells per call in column order; `finish` gives the file. Text stays text (never a formula),
   * money (integer fen) is a number of yuan shown with two decimals, times are dates in
   * Asia/Shanghai. The same sheet and rows give the same bytes (`createdAt` is the file's date).
   */
  xlsx(sheet: { name: string; columns: readonly SheetColumn[]; createdAt: Date }): TableWriter;
}

export type { Cell, ColumnKind, TableWriter };
