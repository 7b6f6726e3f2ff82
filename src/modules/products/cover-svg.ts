/**
 * Product covers are SVG. An uploaded SVG is a document that can carry script, event handlers,
 * links, external references and entity bombs, so a cover is accepted only when every part of it is
 * on a short allowlist of drawing elements and presentation attributes; it is then rebuilt from the
 * parsed pieces (comments, declarations and anything unknown never reach the output). The server
 * also serves covers with a sandboxing CSP and pages show them only through <img>, where SVG never
 * runs script; the allowlist is the first of those three walls.
 */

export const COVER_MAX_BYTES = 20 * 1024;
const MAX_ELEMENTS = 1500;
const MAX_DEPTH = 24;
const SVG_NS = "http://www.w3.org/2000/svg";

const ELEMENTS = new Set([
  "svg",
  "g",
  "defs",
  "title",
  "desc",
  "path",
  "rect",
  "circle",
  "ellipse",
  "line",
  "polyline",
  "polygon",
  "text",
  "tspan",
  "linearGradient",
  "radialGradient",
  "stop",
  "clipPath",
]);

/** Geometry and presentation attributes. No href, no style, no event handlers, no foreign namespaces. */
const ATTRIBUTES = new Set([
  "xmlns",
  "version",
  "id",
  "viewBox",
  "preserveAspectRatio",
  "width",
  "height",
  "x",
  "y",
  "x1",
  "y1",
  "x2",
  "y2",
  "cx",
  "cy",
  "r",
  "rx",
  "ry",
  "fx",
  "fy",
  "d",
  "points",
  "transform",
  "pathLength",
  "fill",
  "fill-opacity",
  "fill-rule",
  "stroke",
  "stroke-width",
  "stroke-opacity",
  "stroke-linecap",
  "stroke-linejoin",
  "stroke-miterlimit",
  "stroke-dasharray",
  "stroke-dashoffset",
  "opacity",
  "clip-path",
  "clip-rule",
  "clipPathUnits",
  "font-family",
  "font-size",
  "font-weight",
  "font-style",
  "text-anchor",
  "dominant-baseline",
  "letter-spacing",
  "dx",
  "dy",
  "offset",
  "stop-color",
  "stop-opacity",
  "gradientUnits",
  "gradientTransform",
  "spreadMethod",
  "visibility",
]);

/** Text may appear only inside these (elsewhere only whitespace). */
const TEXT_PARENTS = new Set(["text", "tspan", "title", "desc"]);

const ENTITY = /&(?!(?:amp|lt|gt|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});)/;
const TOKEN =
  /<!--[\s\S]*?-->|<\?xml\s[^?>]*\?>|<\/([A-Za-z][\w-]*)\s*>|<([A-Za-z][\w-]*)((?:\s+[^\s=/>"']+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|[^<]+/y;
const ATTRIBUTE = /\s+([^\s=/>"']+)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/g;

export type CoverCheck = { ok: true; svg: string } | { ok: false; message: string };

/** A code point XML 1.0 allows as a character (`Char`): no NUL, no C0 controls but tab and newlines, no surrogates, none above U+10FFFF. */
const xmlChar = (n: number) =>
  n === 0x9 || n === 0xa || n === 0xd || (n >= 0x20 && n <= 0xd7ff) || (n >= 0xe000 && n <= 0xfffd) || (n >= 0x10000 && n <= 0x10ffff);
const CHAR_REF = /&#(x[0-9a-fA-F]+|\d+);/g;
const refCode = (e: string) => (e[0] === "x" ? Number.parseInt(e.slice(1), 16) : Number(e));
/** True when every numeric character reference (&#...; or &#x...;) names a character XML allows. */
const validCharRefs = (v: string) => [...v.matchAll(CHAR_REF)].every((m) => xmlChar(refCode(m[1]!)));
/** Decodes the five named entities and numeric references; an invalid reference (refused earlier) becomes U+FFFD, never a throw. */
const decode = (v: string) =>
  v.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] !== "#") return ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" } as Record<string, string>)[e]!;
    const n = refCode(e.slice(1));
    return String.fromCodePoint(xmlChar(n) ? n : 0xfffd);
  });
const BAD_REF = "含有无效的字符引用（如&#0;、代理区编码或超出Unicode范围的编码）";
const escapeAttr = (v: string) => v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");

/** A value is safe when, decoded, it references nothing outside the document. */
function safeValue(name: string, raw: string): boolean {
  if (ENTITY.test(raw)) return false;
  const v = decode(raw)
    .replace(/[\s\u0000-\u001f]/g, "")
    .toLowerCase();
  if (/url\(/.test(v)) return /^url\(#[\w.-]+\)$/.test(v);
  if (/[:\\]|expression|@import/.test(v) && name !== "xmlns") return false;
  return v.length <= 10_000;
}

/** Checks an uploaded cover and returns the rebuilt SVG, or the reason it was refused. */
export function checkCoverSvg(input: string): CoverCheck {
  const bad = (why: string): CoverCheck => ({ ok: false, message: `封面SVG不符合要求：${why}` });
  if (new TextEncoder().encode(input).length > COVER_MAX_BYTES) return bad("文件不能超过20KB");
  const src = input.replace(/^\uFEFF/, "");
  const out: string[] = [];
  const stack: string[] = [];
  let elements = 0;
  let rootDone = false;
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < src.length) {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(src);
    if (!m || m.index !== pos) {
      const rest = src.slice(pos, pos + 12);
      if (/^<!DOCTYPE|^<!ENTITY/i.test(rest)) return bad("不允许DOCTYPE或实体声明");
      if (/^<!\[CDATA\[/.test(rest)) return bad("不允许CDATA");
      return bad("不是有效的SVG（无法解析的标记）");
    }
    pos = TOKEN.lastIndex;
    const [token, closing, opening, attrs, selfClosing] = m;
    if (token.startsWith("<!--")) continue;
    if (token.startsWith("<?xml")) {
      if (out.length || stack.length) return bad("XML声明位置不正确");
      continue;
    }
    if (closing !== undefined) {
      if (stack.pop() !== closing) return bad("标签没有正确闭合");
      out.push(`</${closing}>`);
      if (!stack.length) rootDone = true;
      continue;
    }
    if (opening !== undefined) {
      if (!ELEMENTS.has(opening)) return bad(`不允许使用<${opening}>元素`);
      if (rootDone) return bad("只能有一个<svg>根元素");
      if (!stack.length && opening !== "svg") return bad("根元素必须是<svg>");
      if (++elements > MAX_ELEMENTS) return bad("图形元素过多");
      if (stack.length >= MAX_DEPTH) return bad("嵌套层级过深");
      const parts: string[] = [opening];
      const seen = new Set<string>();
      let consumed = 0;
      ATTRIBUTE.lastIndex = 0;
      for (let a = ATTRIBUTE.exec(attrs ?? ""); a; a = ATTRIBUTE.exec(attrs ?? "")) {
        consumed += a[0].length;
        const [, name, dq, sq] = a;
        const value = dq ?? sq ?? "";
        if (!ATTRIBUTES.has(name!)) return bad(`不允许使用属性“${name}”`);
        if (seen.has(name!)) return bad(`属性“${name}”重复`);
        seen.add(name!);
        if (name === "xmlns" && (opening !== "svg" || value !== SVG_NS)) return bad("命名空间不正确");
        if (!validCharRefs(value)) return bad(`属性“${name}”${BAD_REF}`);
        if (!safeValue(name!, value)) return bad(`属性“${name}”的值不允许`);
        parts.push(`${name}="${escapeAttr(decode(value))}"`);
      }
      if (consumed !== (attrs ?? "").length) return bad("属性格式不正确");
      if (opening === "svg" && !stack.length) {
        if (!seen.has("viewBox") && !(seen.has("width") && seen.has("height"))) return bad("<svg>需要viewBox或宽高");
        if (!seen.has("xmlns")) parts.splice(1, 0, `xmlns="${SVG_NS}"`);
      }
      if (selfClosing) {
        out.push(`<${parts.join(" ")}/>`);
        if (!stack.length) rootDone = true;
      } else {
        out.push(`<${parts.join(" ")}>`);
        stack.push(opening);
      }
      continue;
    }
    // Text
    if (token.includes(">") && !stack.length) return bad("不是有效的SVG");
    if (!token.trim()) {
      if (stack.length) out.push(token.includes("\n") ? "\n" : token);
      continue;
    }
    if (!stack.length || !TEXT_PARENTS.has(stack[stack.length - 1]!)) return bad("文字只能出现在<text>或<title>中");
    if (ENTITY.test(token)) return bad("文字中含有不允许的实体");
    if (!validCharRefs(token)) return bad(`文字${BAD_REF}`);
    out.push(decode(token).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"));
  }
  if (stack.length) return bad("标签没有正确闭合");
  if (!rootDone) return bad("没有<svg>根元素");
  return { ok: true, svg: out.join("") };
}

/** Reads uploaded bytes as UTF-8 text, or null when they are not text. */
export function coverText(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}
