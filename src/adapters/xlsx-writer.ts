import { strToU8, zipSync } from "fflate";
import { type Cell, type ColumnKind, asInstant } from "../modules/exports/domain.ts";
import type { SheetColumn, Spreadsheets } from "../ports/spreadsheets.ts";

/**
 * A minimal Office Open XML (SpreadsheetML) writer: one worksheet, shared strings, a style sheet with
 * the number formats the kinds need, zipped by fflate (pure JavaScript, no dependencies; the same on
 * Node and Deno). It writes only what a list export needs, which keeps it a page of code instead of
 * exceljs and its dependency tree (docs/decisions.md, exports).
 *
 * What Excel is strict about, and this writer does: `[Content_Types].xml` first, parts and
 * relationships named as the standard says, elements of a worksheet in schema order, no character
 * XML 1.0 forbids (control characters and lone surrogates are dropped), a literal `_xHHHH_` escaped
 * (Excel would read it as an escaped character), at most 32,767 characters in a cell, a sheet name
 * of at most 31 characters without `[]:*?/\`.
 */

const MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships";
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const CELL_MAX = 32_767;
const EXCEL_EPOCH_DAYS = 25_569; // 1970-01-01 as an Excel (1900 system) serial
const SHANGHAI_MS = 8 * 3600_000;

/** Styles of cellXfs below, by index. */
const STYLE = { text: 0, header: 1, money: 2, integer: 3, time: 4, date: 5 } as const;
const DEFAULT_WIDTH: Record<ColumnKind, number> = { text: 24, money: 14, integer: 10, time: 20, date: 12 };

/** Characters XML 1.0 forbids, and UTF-16 surrogates without their pair. */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text as XML character data (or an attribute value): forbidden characters dropped, markup escaped. */
export function xmlText(s: string): string {
  return s.replace(NOT_XML, "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A cell's text as SpreadsheetML stores it: `_xHHHH_` escaped as `_x005F_xHHHH_`, cut to Excel's cell limit. */
export function cellString(s: string): string {
  const chars = [...s];
  const cut = chars.length > CELL_MAX ? chars.slice(0, CELL_MAX).join("") : s;
  return xmlText(cut.replace(/_(x[0-9A-Fa-f]{4}_)/g, "_x005F_$1"));
}

/** A worksheet name Excel accepts: no []:*?/\ , not blank, at most 31 characters. */
export function sheetName(name: string): string {
  const cleaned = [...name.replace(/[[\]:*?/\\]/g, " ").trim()].slice(0, 31).join("").trim();
  return cleaned || "Sheet1";
}

/** The column letters of a 0-based index: 0 -> A, 25 -> Z, 26 -> AA. */
export function columnName(index: number): string {
  let n = index + 1;
  let s = "";
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

/** An instant as an Excel serial date in Asia/Shanghai (days since 1899-12-30, the fraction the time). */
export function excelSerial(d: Date): number {
  return (d.getTime() + SHANGHAI_MS) / 86_400_000 + EXCEL_EPOCH_DAYS;
}

const STYLES = `${XML_HEAD}<styleSheet xmlns="${MAIN_NS}">
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/><numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="6">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>`;

const CONTENT_TYPES = `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>
<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>
</Types>`;

const ROOT_RELS = `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}">
<Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>
<Relationship Id="rId3" Type="${REL_NS}/extended-properties" Target="docProps/app.xml"/>
</Relationships>`;

const WORKBOOK_RELS = `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}">
<Relationship Id="rId1" Type="${REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="${REL_NS}/styles" Target="styles.xml"/>
<Relationship Id="rId3" Type="${REL_NS}/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>`;

const APP = `${XML_HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>gx-service-vouchers</Application></Properties>`;

/** The Spreadsheets port: XLSX files of one sheet. */
export function xlsxSpreadsheets(): Spreadsheets {
  return {
    xlsx({ name, columns, createdAt }) {
      const title = sheetName(name);
      const strings = new Map<string, number>();
      let stringRefs = 0;
      const rows: string[] = [];
      const shared = (s: string) => {
        stringRefs++;
        let i = strings.get(s);
        if (i === undefined) {
          i = strings.size;
          strings.set(s, i);
        }
        return i;
      };
      const cell = (ref: string, kind: ColumnKind, v: Cell, header = false): string => {
        if (v === null || v === undefined || v === "") return "";
        if (header || kind === "text") return `<c r="${ref}" t="s"${header ? ` s="${STYLE.header}"` : ""}><v>${shared(String(v))}</v></c>`;
        if (kind === "money" || kind === "integer") {
          if (typeof v !== "number" || !Number.isFinite(v)) return "";
          const n = kind === "money" ? Math.trunc(v) / 100 : Math.trunc(v);
          return `<c r="${ref}" s="${STYLE[kind]}"><v>${n}</v></c>`;
        }
        // time and date: a serial in Asia/Shanghai; a date typed as YYYY-MM-DD is that day.
        const d =
          kind === "date" && typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(v) ? new Date(Date.parse(`${v}T00:00:00Z`) - SHANGHAI_MS) : asInstant(v);
        if (!d) return "";
        const serial = excelSerial(d);
        return `<c r="${ref}" s="${STYLE[kind]}"><v>${kind === "date" ? Math.floor(serial) : serial}</v></c>`;
      };
      const row = (r: number, cells: readonly Cell[], header = false) =>
        `<row r="${r}">${columns.map((c, i) => cell(`${columnName(i)}${r}`, c.kind, cells[i], header)).join("")}</row>`;
      rows.push(
        row(
          1,
          columns.map((c) => c.header),
          true,
        ),
      );
      return {
        add(cells) {
          rows.push(row(rows.length + 1, cells));
        },
        finish() {
          const last = `${columnName(Math.max(columns.length, 1) - 1)}${rows.length}`;
          const range = `A1:${last}`;
          const cols = columns.map(
            (c: SheetColumn, i) => `<col min="${i + 1}" max="${i + 1}" width="${c.width ?? DEFAULT_WIDTH[c.kind]}" customWidth="1"/>`,
          );
          const sheet = `${XML_HEAD}<worksheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><dimension ref="${range}"/><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>${cols.length ? `<cols>${cols.join("")}</cols>` : ""}<sheetData>${rows.join("")}</sheetData><autoFilter ref="${range}"/></worksheet>`;
          const sst = `${XML_HEAD}<sst xmlns="${MAIN_NS}" count="${stringRefs}" uniqueCount="${strings.size}">${[...strings.keys()]
            .map((s) => `<si><t xml:space="preserve">${cellString(s)}</t></si>`)
            .join("")}</sst>`;
          const quoted = `'${xmlText(title).replace(/'/g, "''")}'`;
          const workbook = `${XML_HEAD}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><bookViews><workbookView/></bookViews><sheets><sheet name="${xmlText(title)}" sheetId="1" r:id="rId1"/></sheets><definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">${quoted}!$A$1:$${columnName(Math.max(columns.length, 1) - 1)}$${rows.length}</definedName></definedNames></workbook>`;
          const core = `${XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>${xmlText(title)}</dc:title><dc:creator>广西制造业企业培优育强服务券管理平台</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">${createdAt.toISOString().slice(0, 19)}Z</dcterms:created></cp:coreProperties>`;
          const part = (s: string): [Uint8Array, { level: 0 | 6 }] => [strToU8(s), { level: 6 }];
          return zipSync(
            {
              "[Content_Types].xml": part(CONTENT_TYPES),
              "_rels/.rels": part(ROOT_RELS),
              "docProps/core.xml": part(core),
              "docProps/app.xml": part(APP),
              "xl/workbook.xml": part(workbook),
              "xl/_rels/workbook.xml.rels": part(WORKBOOK_RELS),
              "xl/styles.xml": part(STYLES),
              "xl/sharedStrings.xml": part(sst),
              "xl/worksheets/sheet1.xml": part(sheet),
            },
            { mtime: createdAt },
          );
        },
      };
    },
  };
}
