import { describe, expect, it } from "vitest";
import {
  CSV_BOM,
  cellText,
  checkDateRange,
  contentDisposition,
  csvField,
  csvQuote,
  csvWriter,
  exportFileName,
  fenToYuanText,
  neutralise,
  shanghaiDateTime,
  tooManyRows,
} from "../../src/modules/exports/domain.ts";

/** Exports' pure rules: CSV escaping (RFC 4180, formula injection), cell formats, names, the range checks. */

describe("CSV escaping", () => {
  it("neutralises every cell that a spreadsheet would read as a formula", () => {
    for (const s of ["=1+1", "+86 771", "-2", "@SUM(A1)", "\tx", "\rx", "\nx", '=HYPERLINK("http://x","y")', "＝1+1", "＋1", "－1", "＠x"]) {
      expect(neutralise(s), JSON.stringify(s)).toBe(`'${s}`);
    }
    for (const s of ["广西示例", "a=1", "1-2", "x@y.cn", " =1", "", "'=1", "DD20261127000001"]) expect(neutralise(s), JSON.stringify(s)).toBe(s);
  });

  it("quotes fields with a comma, quote, CR or LF and doubles the quotes (RFC 4180)", () => {
    expect(csvQuote("plain")).toBe("plain");
    expect(csvQuote("a,b")).toBe('"a,b"');
    expect(csvQuote('say "hi"')).toBe('"say ""hi"""');
    expect(csvQuote("two\nlines")).toBe('"two\nlines"');
    expect(csvQuote("cr\rhere")).toBe('"cr\rhere"');
    expect(csvQuote("")).toBe("");
  });

  it("neutralises before quoting, and only text: money, counts and times are the platform's own", () => {
    expect(csvField("text", '=cmd|" /C calc"!A0')).toBe(`"'=cmd|"" /C calc""!A0"`);
    expect(csvField("text", "-1,5")).toBe(`"'-1,5"`);
    expect(csvField("money", -5)).toBe("-0.05");
    expect(csvField("integer", -3)).toBe("-3");
    expect(csvField("text", null)).toBe("");
    expect(csvField("text", undefined)).toBe("");
  });

  it("writes a UTF-8 file with the BOM, the header, CRLF line ends and Chinese text intact", () => {
    const w = csvWriter([
      { header: "订单编号", kind: "text" },
      { header: "合同金额（元）", kind: "money" },
      { header: "提交时间", kind: "time" },
    ]);
    w.add(["DD20261127000001", 1_234_550, new Date("2026-11-27T02:03:04Z")]);
    w.add(["=1+1", 0, null]);
    const bytes = w.finish();
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
    expect(text.startsWith(CSV_BOM)).toBe(true);
    expect(text.slice(1)).toBe("订单编号,合同金额（元）,提交时间\r\nDD20261127000001,12345.50,2026-11-27 10:03:04\r\n'=1+1,0.00,\r\n");
  });
});

describe("cell formats", () => {
  it("writes integer fen as yuan with two decimals, exactly", () => {
    expect(fenToYuanText(0)).toBe("0.00");
    expect(fenToYuanText(5)).toBe("0.05");
    expect(fenToYuanText(100)).toBe("1.00");
    expect(fenToYuanText(123_456_789)).toBe("1234567.89");
    expect(fenToYuanText(-250)).toBe("-2.50");
    expect(fenToYuanText(100_000_000_000)).toBe("1000000000.00");
    expect(cellText("money", "12" as unknown as number)).toBe("");
  });

  it("writes instants in Asia/Shanghai, dates as days", () => {
    expect(shanghaiDateTime(new Date("2026-11-27T16:00:00Z"))).toBe("2026-11-28 00:00:00");
    expect(cellText("time", new Date("2026-12-31T23:59:59.999Z"))).toBe("2027-01-01 07:59:59");
    expect(cellText("time", "2026-11-27T02:00:00Z")).toBe("2026-11-27 10:00:00");
    expect(cellText("time", "not a time")).toBe("");
    expect(cellText("date", new Date("2026-11-27T17:00:00Z"))).toBe("2026-11-28");
    expect(cellText("date", "2026-11-27")).toBe("2026-11-27");
  });
});

describe("file names", () => {
  it("names a file by the list and the Asia/Shanghai day", () => {
    expect(exportFileName("订单管理", new Date("2026-11-30T16:30:00Z"), "csv")).toBe("订单管理-20261201.csv");
    expect(exportFileName("orders", new Date("2026-11-30T15:30:00Z"), "xlsx")).toBe("orders-20261130.xlsx");
  });

  it("sends the Chinese name in UTF-8 (RFC 5987) with an ASCII fallback", () => {
    expect(contentDisposition("订单管理-20261201.csv", "orders-20261201.csv")).toBe(
      `attachment; filename="orders-20261201.csv"; filename*=UTF-8''%E8%AE%A2%E5%8D%95%E7%AE%A1%E7%90%86-20261201.csv`,
    );
    const odd = contentDisposition("a'b (1)*.csv", 'x"y;z.csv');
    expect(odd).toBe(`attachment; filename="x_y_z.csv"; filename*=UTF-8''a%27b%20%281%29%2A.csv`);
    expect(decodeURIComponent(odd.split("''")[1]!)).toBe("a'b (1)*.csv");
  });
});

describe("absurd exports", () => {
  it("refuses a range that ends before it starts, and when a range is required, a missing or too long one", () => {
    const required = { required: true, maxDays: 366 };
    expect(checkDateRange("2026-12-01", "2026-11-01", { required: false, maxDays: Number.POSITIVE_INFINITY })).toMatch(/开始日期不能晚于结束日期/);
    expect(checkDateRange(undefined, undefined, { required: false, maxDays: 366 })).toBeUndefined();
    expect(checkDateRange("2020-01-01", undefined, { required: false, maxDays: 366 })).toBeUndefined();
    expect(checkDateRange(undefined, "2026-11-30", required)).toBe("导出前请选择起止日期（一次最多 366 天）");
    expect(checkDateRange("2026-01-01", "2026-12-31", required)).toBeUndefined();
    expect(checkDateRange("2024-01-01", "2024-12-31", required)).toBeUndefined(); // 366 days, leap year
    expect(checkDateRange("2025-01-01", "2026-01-01", required)).toBeUndefined(); // 366 days
    expect(checkDateRange("2025-01-01", "2026-01-02", required)).toBe("导出的日期范围为 367 天，超过了一次最多 366 天，请缩小日期范围");
    expect(checkDateRange("2020-01-01", "2026-11-30", required)).toMatch(/^导出的日期范围为 2526 天，超过了一次最多 366 天/);
    expect(checkDateRange("2026-11-30", "2026-11-30", required)).toBeUndefined();
  });

  it("words the row cap", () => {
    expect(tooManyRows(250_001, 200_000)).toBe("符合条件的记录共 250001 条，超过单次导出上限 200000 条，请缩小筛选范围后再导出");
  });
});
