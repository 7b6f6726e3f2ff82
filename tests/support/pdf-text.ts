import { PDFArray, PDFDict, PDFDocument, PDFName, type PDFPage, PDFRawStream, PDFRef, type PDFStream, decodePDFRawStream } from "pdf-lib";

/**
 * The text a PDF draws, read back the way a viewer's copy-and-paste does: every `Tj` of each page's
 * content streams, its glyph codes mapped to Unicode through the font's own ToUnicode CMap, the
 * runs that follow each other on one baseline (`Tm`) joined into a line. Enough
 * for PDFs whose text is drawn with Identity-H fonts and hex strings (what pdf-lib writes); it
 * throws on anything else rather than silently reading nothing.
 */
export type PageText = { lines: string[]; text: string };

const latin1 = new TextDecoder("latin1");

/** The bytes of one stream, decoded (Flate and the other filters pdf-lib knows). */
export function streamBytes(stream: PDFStream): Uint8Array {
  if (stream instanceof PDFRawStream) return decodePDFRawStream(stream).decode();
  return stream.getContents();
}

/** Each content stream of a page, decoded, in drawing order. */
export function pageStreams(page: PDFPage): Uint8Array[] {
  const contents = page.node.Contents();
  if (!contents) return [];
  const list = contents instanceof PDFArray ? contents.asArray() : [contents];
  return list.map((item) => {
    const s = item instanceof PDFRef ? page.doc.context.lookup(item) : item;
    return streamBytes(s as PDFStream);
  });
}

function parseToUnicode(cmap: string): Map<string, string> {
  const map = new Map<string, string>();
  const utf16 = (hex: string) => String.fromCharCode(...(hex.match(/.{4}/g) ?? []).map((h) => Number.parseInt(h, 16)));
  for (const block of cmap.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const m of block[1]!.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g)) map.set(m[1]!.toLowerCase(), utf16(m[2]!));
  }
  for (const block of cmap.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const m of block[1]!.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g)) {
      const [lo, hi, dst] = [Number.parseInt(m[1]!, 16), Number.parseInt(m[2]!, 16), Number.parseInt(m[3]!, 16)];
      for (let c = lo; c <= hi; c++) map.set(c.toString(16).padStart(4, "0"), String.fromCodePoint(dst + c - lo));
    }
  }
  return map;
}

function fontMaps(page: PDFPage): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  const fonts = page.node.Resources()?.lookupMaybe(PDFName.of("Font"), PDFDict);
  for (const [name, ref] of fonts?.entries() ?? []) {
    const font = page.doc.context.lookup(ref);
    if (!(font instanceof PDFDict)) continue;
    const toUnicode = font.lookup(PDFName.of("ToUnicode"));
    if (!toUnicode) continue;
    out.set(name.asString().slice(1), parseToUnicode(latin1.decode(streamBytes(toUnicode as PDFStream))));
  }
  return out;
}

export function pageText(page: PDFPage): PageText {
  const maps = fontMaps(page);
  const lines: string[] = [];
  for (const bytes of pageStreams(page)) {
    const ops = latin1.decode(bytes);
    let font: Map<string, string> | undefined;
    let y: string | undefined;
    let lineY: string | undefined;
    const OPERATORS =
      /\/([^\s/]+)\s+[-\d.]+\s+Tf|<([0-9a-fA-F]*)>\s*Tj|\(((?:[^()\\]|\\.)*)\)\s*Tj|[-\d.]+\s+[-\d.]+\s+[-\d.]+\s+[-\d.]+\s+[-\d.]+\s+([-\d.]+)\s+Tm/g;
    for (const m of ops.matchAll(OPERATORS)) {
      if (m[4] !== undefined) {
        y = m[4];
      } else if (m[1]) {
        font = maps.get(m[1]);
        if (!font) throw new Error(`font ${m[1]} has no ToUnicode map`);
      } else if (m[3] !== undefined) {
        throw new Error("a literal-string Tj: not a font this reader understands");
      } else {
        if (!font) throw new Error("Tj before Tf");
        const map = font;
        const codes = m[2]!.toLowerCase().match(/.{4}/g) ?? [];
        const text = codes.map((c) => map.get(c) ?? "\ufffd").join("");
        // Runs drawn one after another on the same baseline (a bold amount inside a sentence) are one line.
        if (lines.length && y !== undefined && y === lineY) lines[lines.length - 1] += text;
        else lines.push(text);
        lineY = y;
      }
    }
  }
  return { lines, text: lines.join("") };
}

export async function pdfText(bytes: Uint8Array): Promise<PageText[]> {
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  return doc.getPages().map(pageText);
}
