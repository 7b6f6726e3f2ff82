import { describe, expect, it } from "vitest";
import { cellString, columnName, excelSerial, sheetName, xlsxSpreadsheets } from "../../src/adapters/xlsx-writer.ts";
import { readXlsx, serialToShanghai } from "../support/exports.ts";

/** The minimal XLSX writer (adapters/xlsx-writer.ts): the package's structure, and cells read back as a spreadsheet reads them. */

const columns = [
  { header: "订单编号", kind: "text" as const, width: 20 },
  { header: "下单企业", kind: "text" as const },
  { header: "合同金额（元）", kind: "money" as const },
  { header: "数量", kind: "integer" as const },
  { header: "提交时间", kind: "time" as const },
  { header: "服务日期", kind: "date" as const },
];
const createdAt = new Date("2026-12-01T02:00:00Z");

function sample() {
  const w = xlsxSpreadsheets().xlsx({ name: "订单管理", columns, createdAt });
  w.add(["DD20261127000001", "南宁示例装备制造有限公司", 1_234_550, 2, new Date("2026-11-27T16:30:15Z"), "2026-12-10"]);
  w.add(["=1+1", "A & B <公司> \"引号\" 'x'", 5, null, undefined, ""]);
  w.add(["_x0041_ stays", "tab\there\u0001\u0008 ctrl\uD800 lone", 0, 0, new Date("2027-01-01T00:00:00Z"), new Date("2026-11-27T17:00:00Z")]);
  return w.finish();
}

describe("XLSX writer", () => {
  it("writes an Office Open XML package Excel accepts: the parts, their content types and relationships", () => {
    const book = readXlsx(sample());
    expect(book.names[0]).toBe("[Content_Types].xml");
    expect(book.names.sort()).toEqual(
      [
        "[Content_Types].xml",
        "_rels/.rels",
        "docProps/app.xml",
        "docProps/core.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/sharedStrings.xml",
        "xl/styles.xml",
        "xl/workbook.xml",
        "xl/worksheets/sheet1.xml",
      ].sort(),
    );
    const types = book.parts["[Content_Types].xml"]!;
    for (const part of ["/xl/workbook.xml", "/xl/worksheets/sheet1.xml", "/xl/styles.xml", "/xl/sharedStrings.xml", "/docProps/core.xml"]) {
      expect(types).toContain(`PartName="${part}"`);
    }
    expect(book.parts["_rels/.rels"]).toContain('Target="xl/workbook.xml"');
    expect(book.parts["xl/_rels/workbook.xml.rels"]).toContain('Target="worksheets/sheet1.xml"');
    for (const [name, xml] of Object.entries(book.parts))
      expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'), name).toBe(true);
    expect(book.sheetName).toBe("订单管理");
    const sheet = book.parts["xl/worksheets/sheet1.xml"]!;
    // Schema order: dimension, sheetViews (frozen header), sheetFormatPr, cols, sheetData, autoFilter.
    const order = ["<dimension", "<sheetViews", "<sheetFormatPr", "<cols", "<sheetData", "<autoFilter"].map((t) => sheet.indexOf(t));
    expect(order.every((x, i) => x > 0 && (i === 0 || x > order[i - 1]!))).toBe(true);
    expect(sheet).toContain('<dimension ref="A1:F4"/>');
    expect(sheet).toContain('state="frozen"');
    expect(sheet).toContain('<col min="1" max="1" width="20" customWidth="1"/>');
    expect(book.parts["xl/workbook.xml"]).toContain("'订单管理'!$A$1:$F$4");
  });

  it("keeps Chinese text, makes text never a formula, and types money, counts and times", () => {
    const { rows, strings, parts } = readXlsx(sample());
    expect(rows).toHaveLength(4);
    expect(rows[0]!.map((c) => [c.type, c.style, c.value])).toEqual(columns.map((c) => ["s", 1, c.header]));
    const [a, b, c] = [rows[1]!, rows[2]!, rows[3]!];
    expect(a.map((x) => x.ref)).toEqual(["A2", "B2", "C2", "D2", "E2", "F2"]);
    expect(a[0]).toEqual({ ref: "A2", type: "s", style: 0, value: "DD20261127000001" });
    expect(a[1]!.value).toBe("南宁示例装备制造有限公司");
    expect(a[2]).toEqual({ ref: "C2", type: "n", style: 2, value: 12345.5 });
    expect(a[3]).toEqual({ ref: "D2", type: "n", style: 3, value: 2 });
    expect(a[4]!.style).toBe(4);
    expect(serialToShanghai(a[4]!.value as number)).toBe("2026-11-28 00:30:15");
    expect(a[5]).toMatchObject({ style: 5, value: Math.floor(excelSerial(new Date("2026-12-09T16:00:00Z"))) });
    // A formula-looking text is a shared string (t="s"): a spreadsheet shows it, never runs it. No <f> anywhere.
    expect(b[0]).toEqual({ ref: "A3", type: "s", style: 0, value: "=1+1" });
    expect(parts["xl/worksheets/sheet1.xml"]).not.toContain("<f>");
    expect(b[1]!.value).toBe("A & B <公司> \"引号\" 'x'");
    expect(b[2]!.value).toBe(0.05);
    expect(b.map((x) => x.ref)).toEqual(["A3", "B3", "C3"]); // empty cells are left out
    expect(c[0]!.value).toBe("_x0041_ stays"); // escaped, so Excel does not read it as "A"
    expect(c[1]!.value).toBe("tab\there ctrl lone"); // characters XML forbids are dropped
    expect(serialToShanghai(c[4]!.value as number)).toBe("2027-01-01 08:00:00");
    expect(strings.filter((s) => s === "订单编号")).toHaveLength(1);
    expect(parts["xl/sharedStrings.xml"]).toMatch(/count="\d+" uniqueCount="\d+"/);
    expect(parts["docProps/core.xml"]).toContain("2026-12-01T02:00:00Z");
  });

  it("gives the same bytes for the same sheet, and a valid file for a header alone", () => {
    expect(Buffer.from(sample()).equals(Buffer.from(sample()))).toBe(true);
    const empty = xlsxSpreadsheets().xlsx({ name: "审计日志", columns, createdAt }).finish();
    const book = readXlsx(empty);
    expect(book.rows).toHaveLength(1);
    expect(book.parts["xl/worksheets/sheet1.xml"]).toContain('<autoFilter ref="A1:F1"/>');
  });

  it("names columns and sheets as Excel wants them", () => {
    expect([0, 25, 26, 51, 52, 701, 702].map(columnName)).toEqual(["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]);
    expect(sheetName("订单[2026]:*?/\\管理")).toBe(`订单 2026${" ".repeat(6)}管理`);
    expect(sheetName("")).toBe("Sheet1");
    expect([...sheetName("长".repeat(40))]).toHaveLength(31);
    expect(cellString("x".repeat(40_000))).toHaveLength(32_767);
    expect(cellString("a<b&_x000D_")).toBe("a&lt;b&amp;_x005F_x000D_");
  });
});
