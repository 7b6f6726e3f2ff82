import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as fontkit from "fontkit";
import {
  BlendMode,
  PDFArray,
  PDFDict,
  PDFDocument,
  type PDFFont,
  PDFHexString,
  PDFName,
  PDFNumber,
  type PDFPage,
  PDFString,
  type RGB,
  concatTransformationMatrix,
  popGraphicsState,
  pushGraphicsState,
  rgb,
  setCharacterSpacing,
} from "pdf-lib";
import { yuan } from "../lib/money.ts";
import { SHANGHAI_OFFSET_MS } from "../lib/shanghai.ts";
import type {
  ContractDocumentInput,
  ContractDocuments,
  PartySignature,
  SealDrawing,
  SealGlyph,
  SignatureField,
  SigningParty,
  SigningRecord,
} from "../ports/documents.ts";
import { UnsupportedCharacters } from "../ports/documents.ts";

/**
 * ContractDocuments on pdf-lib, with Noto Sans CJK SC (the npm package @embedpdf/fonts-sc, OFL)
 * embedded as subsets: only the glyphs a document uses go into it. See docs/signing-pdf.md.
 *
 * pdf-lib's own fontkit fork (@pdf-lib/fontkit 1.1.1) writes broken subsets of CJK fonts (a CFF
 * header that FreeType and pdf.js reject, and wrong `loca` offsets for TrueType), so upstream
 * fontkit 2 is registered instead, behind a shim for the one call whose shape changed
 * (`encodeStream()` became `encode()`).
 *
 * Determinism: the document's dates come from the input, Producer and Creator are fixed, no /ID
 * is written, pdf-lib's resource-name generator is seeded (1) per document, and the subset fonts
 * get fixed names; so the same input gives the same bytes.
 */

export type CjkFonts = { regular: Uint8Array; bold: Uint8Array };

/** Reads the two weights of Noto Sans CJK SC from the installed package (no network, no OS fonts). */
export async function notoSansSc(): Promise<CjkFonts> {
  const pkg = createRequire(import.meta.url).resolve("@embedpdf/fonts-sc");
  const dir = join(dirname(pkg), "..", "fonts");
  const [regular, bold] = await Promise.all([readFile(join(dir, "NotoSansHans-Regular.otf")), readFile(join(dir, "NotoSansHans-Bold.otf"))]);
  return { regular, bold };
}

type Fontkit = Parameters<PDFDocument["registerFontkit"]>[0];
type PdfLibFont = ReturnType<Fontkit["create"]>;

/** The same fonts, patched for pdf-lib. */
const parsed = new WeakMap<Uint8Array, PdfLibFont>();

/** Parsed fonts by their bytes: parsing 8 MB of CFF takes a few hundred milliseconds, so it is done once. */
const coverage = new WeakMap<Uint8Array, fontkit.FontkitFont>();
function parse(bytes: Uint8Array): fontkit.FontkitFont {
  let font = coverage.get(bytes);
  if (!font) {
    font = fontkit.create(bytes);
    coverage.set(bytes, font);
  }
  return font;
}

/** Characters that need no glyph: line ends and the other controls cleanText removes. */
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

/** The distinct characters of `texts` the font has no glyph for, in order of appearance. */
function missing(bytes: Uint8Array, texts: readonly string[]): string[] {
  const font = parse(bytes);
  const out = new Set<string>();
  for (const text of texts) {
    for (const ch of text) if (!INVISIBLE.test(ch) && !font.hasGlyphForCodePoint(ch.codePointAt(0)!)) out.add(ch);
  }
  return [...out];
}

/** Upstream fontkit as pdf-lib expects it: its subsets answer `encodeStream()` with their `encode()` bytes. */
const upstreamFontkit: Fontkit = {
  create(bytes: Uint8Array) {
    const known = parsed.get(bytes);
    if (known) return known;
    const font = parse(bytes);
    const createSubset = font.createSubset.bind(font);
    font.createSubset = () => {
      const subset = createSubset();
      subset.encodeStream = () => {
        const on: Record<string, (x?: unknown) => void> = {};
        let scheduled = false;
        const stream = {
          on(event: string, callback: (x?: unknown) => void) {
            on[event] = callback;
            if (!scheduled) {
              scheduled = true;
              // pdf-lib attaches data, end and error in one chain; answer once they are all there.
              queueMicrotask(() => {
                try {
                  on.data?.(subset.encode());
                  on.end?.();
                } catch (err) {
                  on.error?.(err);
                }
              });
            }
            return stream;
          },
        };
        return stream;
      };
      return subset;
    };
    const pdfFont = font as unknown as PdfLibFont;
    parsed.set(bytes, pdfFont);
    return pdfFont;
  },
};

// ---------------------------------------------------------------------------------------------
// Page geometry (PDF points: 1/72 inch, origin at the lower left).

const PAGE_W = 595.28;
const PAGE_H = 841.89;
const MARGIN_X = 68;
const MARGIN_TOP = 70;
const MARGIN_BOTTOM = 72;
const TEXT_W = PAGE_W - 2 * MARGIN_X;
const FOOTER_Y = 40;
/** A round enterprise seal is 42 mm across. */
const SEAL_SIZE = (42 / 25.4) * 72;
/** The ideographic em box of Noto Sans CJK: from 0.12 em below the baseline to 0.88 em above it. */
const EM_ASCENT = 0.88;
const EM_CENTRE = 0.38;

const INK = rgb(0.1, 0.1, 0.1);
const GREY = rgb(0.38, 0.38, 0.38);
const RULE = rgb(0.7, 0.7, 0.7);

const BODY = 10.5;
const BODY_LEADING = 19;

const PRODUCER = "gx-service-vouchers contract documents (pdf-lib 1.17.1, fontkit 2.0.4)";
const CREATOR = "广西制造业企业培优育强服务券管理平台";
/** Page-dictionary key of the seal places this adapter writes (a private key: viewers ignore it). */
const FIELDS_KEY = PDFName.of("GXVSignatureFields");
/** Info-dictionary keys this adapter writes. */
const INFO_NUMBER = PDFName.of("GXVContractNumber");
const INFO_VERSION = PDFName.of("GXVContractVersion");
const INFO_PAGES = PDFName.of("GXVContractPages");
const INFO_STAMPED = PDFName.of("GXVStamped");

// ---------------------------------------------------------------------------------------------
// Line breaking: Chinese text breaks between any two characters, Latin words and numbers (such as
// ¥12,345.00 or ISO9001) stay whole unless longer than a line, and the usual rules of Chinese
// typesetting hold: no line starts with closing punctuation, none ends with opening punctuation.

const NO_START = new Set([..."，。、；：？！）》」』】〕〉”’…—·％,.;:?!)]}．｡､％～"]);
const NO_END = new Set([..."（《「『【〔〈“‘([{￥¥"]);
const TOKEN = /[ \t]+|[\p{Script=Latin}\p{Nd}¥￥$%&@#*+=/\\.,:;'"!?()[\]{}<>|~^`_-]+|./gsu;

type Style = { font: PDFFont; size: number; color: RGB };
type Run = Style & { text: string };
type Token = { text: string; style: Style; width: number; space: boolean };
export type Line = { tokens: Token[]; width: number };

const widths = new WeakMap<PDFFont, Map<string, number>>();
function measure(style: Style, text: string): number {
  let cache = widths.get(style.font);
  if (!cache) {
    cache = new Map();
    widths.set(style.font, cache);
  }
  let w = cache.get(text);
  if (w === undefined) {
    w = style.font.widthOfTextAtSize(text, 1000);
    cache.set(text, w);
  }
  return (w * style.size) / 1000;
}

/** Control characters other than newlines removed, tabs as spaces, line ends as `\n`. */
export function cleanText(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .replace(/\t/g, " ")
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, (c) => (c === "\n" ? c : ""));
}

function tokenise(runs: readonly Run[]): Token[] {
  const out: Token[] = [];
  for (const run of runs) {
    for (const m of run.text.matchAll(TOKEN)) {
      const text = m[0];
      out.push({ text, style: run, width: measure(run, text), space: /^[ \t]+$/.test(text) });
    }
  }
  return out;
}

const sum = (tokens: readonly Token[]) => tokens.reduce((w, t) => w + t.width, 0);
const first = (t: Token) => [...t.text][0]!;
const last = (t: Token) => [...t.text].at(-1)!;

/**
 * One paragraph (no newlines) as lines at most `width` wide, the first `indent` narrower. Every
 * character of the input is on exactly one line, in order; only spaces at a break are dropped.
 */
export function breakLines(runs: readonly Run[], width: number, indent = 0): Line[] {
  const lines: Line[] = [];
  let cur: Token[] = [];
  let w = 0;
  const limit = () => (lines.length === 0 ? width - indent : width);
  const finish = () => {
    while (cur.length && cur.at(-1)!.space) cur.pop();
    lines.push({ tokens: cur, width: sum(cur) });
    cur = [];
    w = 0;
  };
  const push = (t: Token) => {
    if (t.space && cur.length === 0) return; // no line starts with a space
    cur.push(t);
    w += t.width;
  };
  const place = (t: Token) => {
    if (t.space || cur.length === 0 || w + t.width <= limit() + 0.001) return push(t);
    // t starts the next line, with whatever may not end this one or start that one.
    while (cur.length && cur.at(-1)!.space) w -= cur.pop()!.width;
    const carry: Token[] = [t];
    while (cur.length > 1 && NO_START.has(first(carry[0]!))) carry.unshift(cur.pop()!);
    while (cur.length > 1 && NO_END.has(last(cur.at(-1)!))) carry.unshift(cur.pop()!);
    finish();
    for (const c of carry) push(c);
  };
  for (const t of tokenise(runs)) {
    if (!t.space && t.width > width - indent && [...t.text].length > 1) {
      // A word longer than a line: broken between characters.
      for (const ch of t.text.match(/./gsu)!) place({ text: ch, style: t.style, width: measure(t.style, ch), space: false });
    } else {
      place(t);
    }
  }
  if (cur.length || lines.length === 0) finish();
  return lines;
}

// ---------------------------------------------------------------------------------------------
// A flow of lines over pages.

type Fonts = { regular: PDFFont; bold: PDFFont };

class Flow {
  readonly pages: PDFPage[] = [];
  page!: PDFPage;
  /** The top of the next line box. */
  y = 0;

  constructor(
    private readonly doc: PDFDocument,
    readonly fonts: Fonts,
  ) {
    this.newPage();
  }

  newPage() {
    this.page = this.doc.addPage([PAGE_W, PAGE_H]);
    this.pages.push(this.page);
    this.y = PAGE_H - MARGIN_TOP;
  }

  /** Starts a new page unless `height` fits above the bottom margin. */
  room(height: number) {
    if (this.y - height < MARGIN_BOTTOM) this.newPage();
  }

  /** Vertical space, not carried to the top of a new page. */
  gap(height: number) {
    if (this.y < PAGE_H - MARGIN_TOP) this.y -= height;
  }

  /**
   * Draws one line with its em box centred in a box `leading` high whose top is `this.y`. With
   * `justify` (a width), the line is spread to that width by spacing its characters (as Chinese
   * text is set), unless that would open gaps wider than half an em.
   */
  drawLine(line: Line, x: number, leading: number, justify?: number) {
    this.room(leading);
    const size = line.tokens.length ? Math.max(...line.tokens.map((t) => t.style.size)) : BODY;
    const baseline = this.y - (leading - size) / 2 - EM_ASCENT * size;
    const glyphs = line.tokens.reduce((n, t) => n + [...t.text].length, 0);
    const slack = justify === undefined ? 0 : justify - line.width;
    const spacing = glyphs > 1 && slack > 0 && slack / (glyphs - 1) < size / 2 ? slack / (glyphs - 1) : 0;
    if (spacing) this.page.pushOperators(setCharacterSpacing(spacing));
    let at = x;
    let i = 0;
    while (i < line.tokens.length) {
      const style = line.tokens[i]!.style;
      let text = "";
      let w = 0;
      while (i < line.tokens.length && line.tokens[i]!.style === style) {
        text += line.tokens[i]!.text;
        w += line.tokens[i]!.width;
        i++;
      }
      this.page.drawText(text, { x: at, y: baseline, size: style.size, font: style.font, color: style.color });
      at += w + spacing * [...text].length;
    }
    if (spacing) this.page.pushOperators(setCharacterSpacing(0));
    this.y -= leading;
  }

  /** Paragraphs of text (split at newlines), each wrapped, the first line of each indented. */
  paragraphs(runs: readonly Run[], opts: { x?: number; width?: number; leading?: number; indent?: number } = {}) {
    const x = opts.x ?? MARGIN_X;
    const width = opts.width ?? TEXT_W;
    const leading = opts.leading ?? BODY_LEADING;
    const indent = opts.indent ?? 0;
    for (const para of splitRuns(runs)) {
      const lines = breakLines(para, width, indent);
      lines.forEach((line, i) => {
        const lead = i === 0 ? indent : 0;
        this.drawLine(line, x + lead, leading, i < lines.length - 1 ? width - lead : undefined);
      });
    }
  }

  /** A label and its value beside it, the value wrapped within its column (a row of a facts table). */
  fact(label: string, value: string, labelWidth: number, opts: { valueSize?: number; leading?: number } = {}) {
    const leading = opts.leading ?? BODY_LEADING;
    const labelStyle = { font: this.fonts.regular, size: BODY, color: GREY };
    const valueStyle = { font: this.fonts.regular, size: opts.valueSize ?? BODY, color: INK };
    const lines = splitRuns([{ ...valueStyle, text: cleanText(value) || "—" }]).flatMap((p) => breakLines(p, TEXT_W - labelWidth));
    this.room(leading);
    const top = this.y;
    this.drawLine(breakLines([{ ...labelStyle, text: label }], labelWidth)[0]!, MARGIN_X, leading);
    this.y = top;
    for (const line of lines) this.drawLine(line, MARGIN_X + labelWidth, leading);
  }
}

/** Runs split into paragraphs at newlines (a run may hold several). */
function splitRuns(runs: readonly Run[]): Run[][] {
  const paras: Run[][] = [[]];
  for (const run of runs) {
    cleanText(run.text)
      .split("\n")
      .forEach((text, i) => {
        if (i > 0) paras.push([]);
        if (text) paras.at(-1)!.push({ ...run, text });
      });
  }
  return runs.length ? paras.map((p) => (p.length ? p : [{ ...runs[0]!, text: "" }])) : [];
}

// ---------------------------------------------------------------------------------------------
// Text of the contract (the same words as views/partials/contract-document.eta).

const ARTICLES = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/** 2025-03-01 as 2025年3月1日. */
function chineseDate(day: string): string {
  const m = day.match(/^(\d{4})-(\d{2})-(\d{2})$/);
  return m ? `${m[1]}年${Number(m[2])}月${Number(m[3])}日` : day;
}

/** An instant in Asia/Shanghai: 2025-03-01 14:05:09. */
function shanghaiTime(d: Date): string {
  return new Date(d.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 19).replace("T", " ");
}

function checkDate(d: Date, what: string) {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new Error(`${what} is not a valid date`);
}

const hexColor = (c: string): RGB => {
  const m = c.match(/^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i);
  if (!m) throw new Error(`seal colour ${JSON.stringify(c)} is not #rrggbb`);
  return rgb(Number.parseInt(m[1]!, 16) / 255, Number.parseInt(m[2]!, 16) / 255, Number.parseInt(m[3]!, 16) / 255);
};

async function newDocument(fonts: CjkFonts, tag: string): Promise<{ doc: PDFDocument; f: Fonts }> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  return { doc, f: await embedFonts(doc, fonts, tag) };
}

/**
 * Both weights as subsets, under fixed names: a subset tag is six capital letters (PDF 32000
 * 9.6.4); `tag` is four of them, so fonts added to a document later (the stamp) differ by name.
 */
async function embedFonts(doc: PDFDocument, fonts: CjkFonts, tag: string): Promise<Fonts> {
  doc.registerFontkit(upstreamFontkit);
  // No ligatures: "fi" stays two glyphs. A glyph maps back to one text (ToUnicode), so with them a
  // document holding both "fi" and "ﬁ" would read back one of them wrong.
  const features = { liga: false, clig: false, dlig: false };
  const [regular, bold] = await Promise.all([
    doc.embedFont(fonts.regular, { subset: true, customName: `${tag}RG+NotoSansSC-Regular`, features }),
    doc.embedFont(fonts.bold, { subset: true, customName: `${tag}BD+NotoSansSC-Bold`, features }),
  ]);
  return { regular, bold };
}

function setMetadata(doc: PDFDocument, title: string, subject: string, created: Date, modified: Date) {
  doc.setTitle(title, { showInWindowTitleBar: true });
  doc.setSubject(subject);
  doc.setProducer(PRODUCER);
  doc.setCreator(CREATOR);
  doc.setLanguage("zh-CN");
  doc.setCreationDate(created);
  doc.setModificationDate(modified);
}

function infoDict(doc: PDFDocument): PDFDict {
  const info = doc.context.lookup(doc.context.trailerInfo.Info);
  if (!(info instanceof PDFDict)) throw new Error("the PDF has no document information dictionary");
  return info;
}

function infoText(info: PDFDict, key: PDFName): string | null {
  const v = info.lookup(key);
  return v instanceof PDFHexString || v instanceof PDFString ? v.decodeText() : null;
}

function drawFooter(page: PDFPage, f: Fonts, left: string, right: string) {
  const size = 8.5;
  page.drawLine({ start: { x: MARGIN_X, y: FOOTER_Y + 14 }, end: { x: PAGE_W - MARGIN_X, y: FOOTER_Y + 14 }, thickness: 0.5, color: RULE });
  page.drawText(left, { x: MARGIN_X, y: FOOTER_Y, size, font: f.regular, color: GREY });
  page.drawText(right, { x: PAGE_W - MARGIN_X - f.regular.widthOfTextAtSize(right, size), y: FOOTER_Y, size, font: f.regular, color: GREY });
}

function centred(flow: Flow, text: string, style: Style, leading: number) {
  for (const line of breakLines([{ ...style, text }], TEXT_W)) flow.drawLine(line, MARGIN_X + (TEXT_W - line.width) / 2, leading);
}

type FieldPlace = { party: SigningParty; page: PDFPage; seal: { x: number; y: number; size: number }; date: { x: number; y: number } };

function writeFields(doc: PDFDocument, places: FieldPlace[]) {
  for (const page of new Set(places.map((p) => p.page))) {
    const entries = places
      .filter((p) => p.page === page)
      .map((p) =>
        doc.context.obj({
          Party: PDFHexString.fromText(p.party),
          Seal: [p.seal.x, p.seal.y, p.seal.size],
          Date: [p.date.x, p.date.y],
        }),
      );
    page.node.set(FIELDS_KEY, doc.context.obj(entries));
  }
}

type ReadField = { party: SigningParty; pageIndex: number; seal: { x: number; y: number; size: number }; date: { x: number; y: number } };

function readFields(doc: PDFDocument): ReadField[] {
  const out: ReadField[] = [];
  doc.getPages().forEach((page, pageIndex) => {
    const list = page.node.lookupMaybe(FIELDS_KEY, PDFArray);
    if (!list) return;
    for (let i = 0; i < list.size(); i++) {
      const d = list.lookupMaybe(i, PDFDict);
      const party = d?.lookupMaybe(PDFName.of("Party"), PDFHexString)?.decodeText();
      const nums = (key: string) =>
        d
          ?.lookupMaybe(PDFName.of(key), PDFArray)
          ?.asArray()
          .map((n) => (n instanceof PDFNumber ? n.asNumber() : Number.NaN)) ?? [];
      const [sx, sy, size] = nums("Seal");
      const [dx, dy] = nums("Date");
      if ((party === "甲方" || party === "乙方") && [sx, sy, size, dx, dy].every((n) => Number.isFinite(n))) {
        out.push({ party, pageIndex, seal: { x: sx!, y: sy!, size: size! }, date: { x: dx!, y: dy! } });
      }
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Seals: the layout's box scaled onto the page, drawn in multiply mode so the text under a seal
// stays legible (as ink on paper does).
//
// Every number written for a seal is rounded (positions to 1/10000 pt, matrix coefficients to 1e-6):
// Math.sin and Math.cos may differ in the last bit between JavaScript engines (Node 20's V8 and
// Deno's do), and unrounded the stamped PDF's bytes would depend on the runtime.

const round = (n: number, digits: number) => {
  const f = 10 ** digits;
  const r = Math.round(n * f) / f;
  return r === 0 ? 0 : r; // never -0
};
const r4 = (n: number) => round(n, 4);
const r6 = (n: number) => round(n, 6);

function drawSeal(page: PDFPage, seal: SealDrawing, font: PDFFont, at: { x: number; y: number; size: number }) {
  if (!(seal.box > 0)) throw new Error("seal box must be positive");
  const color = hexColor(seal.color);
  const s = at.size / seal.box;
  /** A point of the box (y down) on the page (y up). */
  const px = (x: number) => r4(at.x + x * s);
  const py = (y: number) => r4(at.y + at.size - y * s);
  const ink = { color, blendMode: BlendMode.Multiply };
  const { ring } = seal;
  page.drawEllipse({
    x: px(ring.cx),
    y: py(ring.cy),
    xScale: r4(ring.r * s),
    yScale: r4(ring.r * s),
    borderColor: color,
    borderWidth: r4(ring.strokeWidth * s),
    blendMode: BlendMode.Multiply,
  });
  if (seal.star.points.length >= 3) {
    const path = `${seal.star.points.map((p, i) => `${i === 0 ? "M" : "L"}${r4(p.x * s)} ${r4(p.y * s)}`).join(" ")} Z`;
    page.drawSvgPath(path, { x: r4(at.x), y: r4(at.y + at.size), ...ink });
  }
  for (const g of [...seal.chars, ...(seal.label?.chars ?? [])]) drawSealGlyph(page, g, font, ink.color, px(g.x), py(g.y), s);
}

/** One character centred at (cx, cy) on the page, turned `rotate` degrees clockwise, narrowed by `squeeze`. */
function drawSealGlyph(page: PDFPage, g: SealGlyph, font: PDFFont, color: RGB, cx: number, cy: number, scale: number) {
  const size = r4(g.size * scale);
  const squeeze = r6(g.squeeze ?? 1);
  const advance = font.widthOfTextAtSize(g.char, size);
  const a = (-g.rotate * Math.PI) / 180; // clockwise on the page is a negative angle with y up
  const [cos, sin] = [r6(Math.cos(a)), r6(Math.sin(a))];
  // The glyph's origin (baseline, left) relative to its centre, in its own frame: then turned.
  const ox = (-advance * squeeze) / 2;
  const oy = -EM_CENTRE * size;
  const matrix = [cos * squeeze, sin * squeeze, -sin, cos].map(r6) as [number, number, number, number];
  page.pushOperators(pushGraphicsState(), concatTransformationMatrix(...matrix, r4(cx + ox * cos - oy * sin), r4(cy + ox * sin + oy * cos)));
  page.drawText(g.char, { x: 0, y: 0, size, font, color, blendMode: BlendMode.Multiply });
  page.pushOperators(popGraphicsState());
}

// ---------------------------------------------------------------------------------------------

export type PdfContractDocumentsOptions = {
  /** The CJK fonts; Noto Sans CJK SC from @embedpdf/fonts-sc by default, read at first use. */
  fonts?: CjkFonts | (() => Promise<CjkFonts>);
};

export function pdfContractDocuments(opts: PdfContractDocumentsOptions = {}): ContractDocuments {
  let loading: Promise<CjkFonts> | undefined;
  const fonts = () => {
    const given = opts.fonts;
    loading ??= typeof given === "function" ? given() : given ? Promise.resolve(given) : notoSansSc();
    return loading;
  };

  async function unsupportedCharacters(texts: readonly string[]): Promise<string[]> {
    const f = await fonts();
    return [...new Set([...missing(f.regular, texts), ...missing(f.bold, texts)])];
  }

  async function refuseMissing(texts: readonly string[]) {
    const chars = await unsupportedCharacters(texts);
    if (chars.length) throw new UnsupportedCharacters(chars);
  }

  async function renderContract(input: ContractDocumentInput): Promise<Uint8Array> {
    checkDate(input.issuedAt, "issuedAt");
    const c = input.content;
    await refuseMissing([
      input.number,
      ...[c.partyA, c.partyB].flatMap((p) => [p.name, p.creditCode, p.legalName, p.address]),
      ...Object.values(c).filter((v) => typeof v === "string"),
    ]);
    const { doc, f } = await newDocument(await fonts(), "GXCT");
    const flow = new Flow(doc, f);
    const body: Style = { font: f.regular, size: BODY, color: INK };
    const strong: Style = { font: f.bold, size: BODY, color: INK };
    const heading: Style = { font: f.bold, size: 12, color: INK };
    const meta = `订单编号：${input.number} · 第${input.version}版`;

    centred(flow, "服务合同", { font: f.bold, size: 22, color: INK }, 40);
    centred(flow, meta, { font: f.regular, size: 10, color: GREY }, 20);
    flow.gap(14);

    for (const [label, p] of [
      ["甲方（服务需求方）", c.partyA],
      ["乙方（服务提供方）", c.partyB],
    ] as const) {
      const labelWidth = 120;
      flow.room(4 * BODY_LEADING);
      flow.fact(`${label}：`, p.name || "（未认证）", labelWidth);
      flow.fact("统一社会信用代码：", p.creditCode, labelWidth);
      flow.fact("法定代表人：", p.legalName, labelWidth);
      flow.fact("地址：", p.address, labelWidth);
      flow.gap(8);
    }
    flow.gap(4);
    flow.paragraphs(
      [
        {
          ...body,
          text: "甲乙双方根据《中华人民共和国民法典》及广西制造业企业培优育强服务券管理的有关规定，在平等、自愿、协商一致的基础上，就乙方向甲方提供下列服务订立本合同，共同遵守。",
        },
      ],
      { indent: 2 * BODY },
    );

    const a = input.amounts;
    const dateText = c.serviceFrom && c.serviceTo ? `自${chineseDate(c.serviceFrom)}起至${chineseDate(c.serviceTo)}止。` : "（未填写）";
    const articles: [string, Run[]][] = [
      ["服务内容", [{ ...body, text: c.serviceContent }]],
      ["交付清单", [{ ...body, text: c.deliverables }]],
      ["验收标准", [{ ...body, text: c.acceptance }]],
      [
        "合同金额",
        [
          { ...body, text: "本合同金额为人民币" },
          { ...strong, text: yuan(c.contractFen) },
          { ...body, text: a ? `，其中服务券抵扣${yuan(a.deductionFen)}，甲方自付${yuan(a.selfPayFen)}。` : "。" },
          { ...body, text: `定金为${yuan(c.depositFen)}${a ? `，尾款为${yuan(a.balanceFen)}` : ""}。` },
        ],
      ],
      ["服务期限", [{ ...body, text: dateText }]],
      ["付款方式", [{ ...body, text: c.paymentTerms }]],
      ["违约责任", [{ ...body, text: c.liability }]],
      ["争议解决", [{ ...body, text: c.disputeResolution }]],
      ["其他约定", [{ ...body, text: c.otherTerms.trim() ? c.otherTerms : "无。" }]],
      ["合同生效", [{ ...body, text: "本合同经甲方在平台确认同意、双方完成电子签署后生效。" }]],
    ];
    articles.forEach(([title, runs], i) => {
      flow.gap(8);
      // A heading never ends a page: it keeps at least two lines of its text with it.
      flow.room(26 + 2 * BODY_LEADING);
      flow.drawLine(breakLines([{ ...heading, text: `第${ARTICLES[i]}条　${title}` }], TEXT_W)[0]!, MARGIN_X, 26);
      flow.paragraphs(runs, { indent: 2 * BODY });
    });

    // The signature block: two columns kept on one page. Each party's seal goes over the end of its
    // name, to the right of its column, as a seal is pressed beside a signature on paper.
    const colGap = 24;
    const colW = (TEXT_W - colGap) / 2;
    const SIG_LEADING = 22;
    const blocks = (
      [
        ["甲方", MARGIN_X, c.partyA],
        ["乙方", MARGIN_X + colW + colGap, c.partyB],
      ] as const
    ).map(([party, x, p]) => ({
      party,
      x,
      lines: [
        ...breakLines([{ ...body, text: `${party}（盖章）：` }], colW),
        ...breakLines([{ ...body, text: p.name }], colW),
        ...breakLines([{ ...body, text: `法定代表人：${p.legalName}` }], colW),
      ],
      date: breakLines([{ ...body, text: "签署日期：" }], colW)[0]!,
    }));
    const rows = Math.max(...blocks.map((b) => b.lines.length)) + 1;
    // Room above the text for the upper part of the seal, and the text's own height.
    const sealAbove = SEAL_SIZE / 2 - 1.5 * SIG_LEADING;
    flow.gap(16);
    flow.room(sealAbove + rows * SIG_LEADING + 8);
    flow.y -= sealAbove;
    const top = flow.y;
    const places: FieldPlace[] = [];
    for (const b of blocks) {
      flow.y = top;
      for (const line of b.lines) flow.drawLine(line, b.x, SIG_LEADING);
      flow.y = top - (rows - 1) * SIG_LEADING;
      const dateBaseline = flow.y - (SIG_LEADING - BODY) / 2 - EM_ASCENT * BODY;
      flow.drawLine(b.date, b.x, SIG_LEADING);
      // Centred on the line between the label and the name, its right edge at the column's.
      const centreY = top - 1.5 * SIG_LEADING;
      places.push({
        party: b.party,
        page: flow.page,
        seal: { x: b.x + colW - SEAL_SIZE, y: centreY - SEAL_SIZE / 2, size: SEAL_SIZE },
        date: { x: b.x + b.date.width, y: dateBaseline },
      });
    }
    flow.y = Math.min(top - rows * SIG_LEADING, ...places.map((p) => p.seal.y)) - 4;
    writeFields(doc, places);

    if (input.contentSha256) {
      flow.gap(12);
      flow.paragraphs([{ font: f.regular, size: 8.5, color: GREY, text: `合同内容摘要（SHA-256）：${input.contentSha256}` }], { leading: 14 });
    }

    const total = flow.pages.length;
    flow.pages.forEach((page, i) => {
      drawFooter(page, f, `服务合同 · ${meta}`, `第 ${i + 1} 页 共 ${total} 页`);
    });

    setMetadata(doc, "服务合同", meta, input.issuedAt, input.issuedAt);
    const info = infoDict(doc);
    info.set(INFO_NUMBER, PDFHexString.fromText(input.number));
    info.set(INFO_VERSION, PDFNumber.of(input.version));
    info.set(INFO_PAGES, PDFNumber.of(total));
    return doc.save({ useObjectStreams: true });
  }

  async function stampSignatures(original: Uint8Array, signatures: readonly PartySignature[], record: SigningRecord): Promise<Uint8Array> {
    const sha = createHash("sha256").update(original).digest("hex");
    if (sha !== record.documentSha256.toLowerCase()) throw new Error("documentSha256 is not the SHA-256 of the original");
    if (!signatures.length) throw new Error("no signature to stamp");
    const parties = signatures.map((s) => s.party);
    if (new Set(parties).size !== parties.length) throw new Error("a party is named twice");
    for (const s of signatures) checkDate(s.signedAt, `signedAt of ${s.party}`);
    await refuseMissing([
      record.provider,
      record.flowId,
      ...signatures.flatMap((s) => [
        s.name,
        s.signer ?? "",
        s.verification ?? "",
        ...[...s.seal.chars, ...(s.seal.label?.chars ?? [])].map((g) => g.char),
      ]),
    ]);

    const doc = await PDFDocument.load(original, { updateMetadata: false });
    const info = infoDict(doc);
    if (info.lookup(INFO_STAMPED)) throw new Error("the PDF is already stamped");
    const number = infoText(info, INFO_NUMBER);
    const version = info.lookupMaybe(INFO_VERSION, PDFNumber)?.asNumber();
    const fields = readFields(doc);
    if (number === null || version === undefined || !fields.length) throw new Error("not a contract rendered by this adapter");
    const pages = doc.getPages();
    const pageCount = pages.length;
    const f = await embedFonts(doc, await fonts(), "GXST");

    for (const s of signatures) {
      const field = fields.find((x) => x.party === s.party);
      if (!field) throw new Error(`no signature place for ${s.party}`);
      const page = pages[field.pageIndex]!;
      drawSeal(page, s.seal, f.bold, field.seal);
      page.drawText(chineseDate(shanghaiTime(s.signedAt).slice(0, 10)), { x: field.date.x, y: field.date.y, size: BODY, font: f.regular, color: INK });
    }

    // The 签署信息 page.
    const flow = new Flow(doc, f);
    const body: Style = { font: f.regular, size: BODY, color: INK };
    centred(flow, "签署信息", { font: f.bold, size: 20, color: INK }, 36);
    centred(flow, "本页由平台在签署完成后附加，记录签署过程，不属于合同正文。", { font: f.regular, size: 9.5, color: GREY }, 18);
    flow.gap(16);
    const labelWidth = 112;
    const contract = `服务合同（订单编号：${number}，第${version}版），共${pageCount}页`;
    flow.fact("合同：", contract, labelWidth);
    flow.fact("原始文件 SHA-256：", sha, labelWidth, { valueSize: 9 });
    flow.fact("签署服务：", record.provider, labelWidth);
    flow.fact("签署流程编号：", record.flowId, labelWidth);
    for (const s of (["甲方", "乙方"] as const).flatMap((p) => signatures.filter((x) => x.party === p))) {
      flow.gap(14);
      flow.room(26 + 5 * BODY_LEADING);
      flow.drawLine(
        breakLines([{ font: f.bold, size: 12, color: INK, text: s.party === "甲方" ? "甲方（服务需求方）" : "乙方（服务提供方）" }], TEXT_W)[0]!,
        MARGIN_X,
        26,
      );
      flow.fact("名称：", s.name, labelWidth);
      flow.fact("签署人：", s.signer ?? "—", labelWidth);
      flow.fact("身份认证：", s.verification ?? "—", labelWidth);
      flow.fact("签署时间：", `${shanghaiTime(s.signedAt)}（北京时间）`, labelWidth);
    }
    flow.gap(20);
    flow.paragraphs(
      [
        {
          ...body,
          color: GREY,
          size: 9.5,
          text: "核验：在平台“合同验真”页面上传本文件，即可查验本文件是否为双方签署的合同、签署后是否被修改；输入合同编号与上列原始文件 SHA-256，可查验该合同的签署记录。",
        },
      ],
      { leading: 17 },
    );
    for (const page of flow.pages) drawFooter(page, f, `签署信息 · 订单编号：${number} · 第${version}版`, "附页");

    const latest = new Date(Math.max(...signatures.map((s) => s.signedAt.getTime())));
    doc.setModificationDate(latest);
    doc.setProducer(PRODUCER);
    info.set(INFO_STAMPED, PDFHexString.fromText(record.flowId));
    return doc.save({ useObjectStreams: true });
  }

  async function signatureFields(pdf: Uint8Array): Promise<SignatureField[]> {
    let doc: PDFDocument;
    try {
      doc = await PDFDocument.load(pdf, { updateMetadata: false });
    } catch {
      return [];
    }
    return readFields(doc).map((x) => ({ party: x.party, page: x.pageIndex + 1, x: x.seal.x, y: x.seal.y, size: x.seal.size }));
  }

  return { renderContract, stampSignatures, signatureFields, unsupportedCharacters };
}
