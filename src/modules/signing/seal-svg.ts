import { SEAL_BASELINE, type SealChar, type SealLayout } from "./seal-domain.ts";

/**
 * A seal layout as a self-contained SVG document: one circle, one polygon and one <text> per
 * character, in the layout's colour, with no script, no links, no external references and no
 * foreignObject. The name is XML-escaped wherever it appears.
 */

/** Serif CJK fonts as seals are cut (宋体 / 仿宋 style), those of Windows, macOS and Linux first. */
export const SEAL_FONT_FAMILY = `"SimSun","Songti SC","STSong","Noto Serif CJK SC","Source Han Serif SC","Noto Sans CJK SC",serif`;

const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const xml = (s: string) => s.replace(/[&<>"']/g, (ch) => XML_ESCAPES[ch]!);

/** Two decimals, without trailing zeros or a negative zero. */
const n2 = (v: number) => {
  const r = Math.round(v * 100) / 100;
  return String(r === 0 ? 0 : r);
};

function glyph(c: SealChar): string {
  const scale = c.squeeze === 1 ? "" : ` scale(${n2(c.squeeze)} 1)`;
  return `<text transform="translate(${n2(c.x)} ${n2(c.y)}) rotate(${n2(c.rotate)})${scale}" y="${n2(SEAL_BASELINE * c.size)}" font-size="${n2(c.size)}">${xml(c.char)}</text>`;
}

export function renderSealSvg(layout: SealLayout): string {
  const { box, color, ring, star } = layout;
  const chars = [...layout.chars, ...(layout.label?.chars ?? [])];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${box} ${box}" width="${box}" height="${box}" role="img" aria-label="${xml(layout.name)}电子签章">`,
    `<circle cx="${n2(ring.cx)}" cy="${n2(ring.cy)}" r="${n2(ring.r)}" fill="none" stroke="${color}" stroke-width="${n2(ring.strokeWidth)}"/>`,
    `<polygon points="${star.points.map((p) => `${n2(p.x)},${n2(p.y)}`).join(" ")}" fill="${color}"/>`,
    `<g fill="${color}" font-family='${SEAL_FONT_FAMILY}' font-weight="bold" text-anchor="middle">`,
    ...chars.map(glyph),
    "</g>",
    "</svg>",
  ].join("");
}
