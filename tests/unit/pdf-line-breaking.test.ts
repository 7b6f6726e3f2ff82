import { PDFDocument } from "pdf-lib";
import { beforeAll, describe, expect, it } from "vitest";
import { breakLines, notoSansSc } from "../../src/adapters/pdf-contract-documents.ts";
import * as fontkit from "fontkit";

/**
 * Line breaking of the contract PDF (adapters/pdf-contract-documents.ts): Chinese breaks between
 * characters, Latin words and numbers stay whole, and the usual rules hold at a break.
 */
type Style = Parameters<typeof breakLines>[0][number];
let style: Omit<Style, "text">;
const EM = 10;
const text = (lines: ReturnType<typeof breakLines>) => lines.map((l) => l.tokens.map((t) => t.text).join(""));

beforeAll(async () => {
  const doc = await PDFDocument.create();
  doc.registerFontkit({ create: (b: Uint8Array) => fontkit.create(b) as never });
  const font = await doc.embedFont((await notoSansSc()).regular);
  style = { font, size: EM, color: { type: "RGB", red: 0, green: 0, blue: 0 } as Style["color"] };
}, 60_000);

const lines = (s: string, ems: number, indentEms = 0) => text(breakLines([{ ...style, text: s }], ems * EM, indentEms * EM));

describe("contract PDF line breaking", () => {
  it("fills a line with Chinese characters and breaks between any two", () => {
    expect(lines("一二三四五六七八九十一二三", 10)).toEqual(["一二三四五六七八九十", "一二三"]);
  });
  it("takes the first line's indent off its width", () => {
    expect(lines("一二三四五六七八九十一二三", 10, 2)).toEqual(["一二三四五六七八", "九十一二三"]);
  });
  it("never starts a line with closing punctuation: the last character goes down with it", () => {
    expect(lines("一二三四五六七八九十。一二", 10)).toEqual(["一二三四五六七八九", "十。一二"]);
    expect(lines("一二三四五六七八九十）。一", 10)).toEqual(["一二三四五六七八九", "十）。一"]);
  });
  it("never ends a line with opening punctuation: it goes down with what it opens", () => {
    expect(lines("一二三四五六七八九（十）", 10)).toEqual(["一二三四五六七八九", "（十）"]);
  });
  it("keeps Latin words and numbers whole and drops the space at a break", () => {
    expect(lines("一二三四五六七ISO9001认证", 10)).toEqual(["一二三四五六七", "ISO9001认证"]);
    expect(lines("ab cd ef gh ij kl mn op qr st", 5).every((l) => !l.startsWith(" ") && !l.endsWith(" "))).toBe(true);
    expect(lines("金额¥12,345.00元整，另付", 6)).toContain("¥12,345.00元");
  });
  it("breaks a word longer than a line between characters, losing none", () => {
    const word = "x".repeat(80);
    const out = lines(`一${word}二`, 10);
    expect(out.length).toBeGreaterThan(2);
    expect(out.join("")).toBe(`一${word}二`);
  });
  it("gives an empty paragraph one empty line", () => {
    expect(lines("", 10)).toEqual([""]);
  });
});
