import { strFromU8, unzipSync } from "fflate";
import type { Spreadsheets } from "../../src/ports/spreadsheets.ts";

/**
 * Reads an XLSX back the way a spreadsheet does, enough for tests: the zip's parts, the shared
 * strings, and the first sheet's rows with each cell's type, style and value (strings resolved,
 * `_xHHHH_` escapes decoded as Excel decodes them).
 */
export type ReadCell = { ref: string; type: "s" | "n"; style: number; value: string | number };
export type ReadBook = { parts: Record<string, string>; names: string[]; strings: string[]; rows: ReadCell[][]; sheetName: string };

const unxml = (s: string) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
const unescapeExcel = (s: string) => s.replace(/_x([0-9A-Fa-f]{4})_/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));

export function readXlsx(bytes: Uint8Array): ReadBook {
  const files = unzipSync(bytes);
  const names = Object.keys(files);
  const parts = Object.fromEntries(names.map((n) => [n, strFromU8(files[n]!)]));
  const strings = [...(parts["xl/sharedStrings.xml"] ?? "").matchAll(/<si><t(?: xml:space="preserve")?>([\s\S]*?)<\/t><\/si>/g)].map((m) =>
    unescapeExcel(unxml(m[1]!)),
  );
  const sheet = parts["xl/worksheets/sheet1.xml"] ?? "";
  const rows = [...sheet.matchAll(/<row r="(\d+)"[^>]*>([\s\S]*?)<\/row>/g)].map((row) =>
    [...row[2]!.matchAll(/<c r="([A-Z]+\d+)"((?: [a-z]+="[^"]*")*)><v>([^<]*)<\/v><\/c>/g)].map((c) => {
      const attrs = c[2]!;
      const type = / t="s"/.test(attrs) ? "s" : "n";
      const style = Number(attrs.match(/ s="(\d+)"/)?.[1] ?? 0);
      return { ref: c[1]!, type, style, value: type === "s" ? strings[Number(c[3])]! : Number(c[3]) } as ReadCell;
    }),
  );
  const sheetName = unxml(parts["xl/workbook.xml"]?.match(/<sheet name="([^"]*)"/)?.[1] ?? "");
  return { parts, names, strings, rows, sheetName };
}

/** An Excel serial date (1900 system) read as Asia/Shanghai wall time "YYYY-MM-DD HH:mm:ss". */
export function serialToShanghai(serial: number): string {
  const ms = Math.round((serial - 25_569) * 86_400_000);
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/** Parses an RFC 4180 CSV (after its BOM, which it checks) into rows of fields. */
export function parseCsv(bytes: Uint8Array): string[][] {
  if (bytes[0] !== 0xef || bytes[1] !== 0xbb || bytes[2] !== 0xbf) throw new Error("no UTF-8 BOM");
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.slice(3));
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += ch;
  }
  if (field || row.length) throw new Error("the last line does not end with CRLF");
  return rows;
}

/** A sample sheet with Chinese text, money, counts and times, written by a Spreadsheets adapter (Node and Deno alike). */
export function sampleXlsx(spreadsheets: Spreadsheets) {
  const w = spreadsheets.xlsx({
    name: "订单管理",
    createdAt: new Date("2026-12-01T02:00:00Z"),
    columns: [
      { header: "订单编号", kind: "text" },
      { header: "下单企业", kind: "text" },
      { header: "合同金额（元）", kind: "money" },
      { header: "数量", kind: "integer" },
      { header: "提交时间", kind: "time" },
    ],
  });
  for (let i = 0; i < 300; i++)
    w.add([`DD20261127${String(i).padStart(6, "0")}`, `南宁示例装备制造有限公司${i % 7}`, 123_456 + i, i, new Date(Date.UTC(2026, 10, 27, 2, 0, i))]);
  return w.finish();
}
