/**
 * The geometry of an enterprise's round seal (公章), computed once and drawn by two renderers: the
 * SVG of 我的签章 (`seal-svg.ts`) and the PDF stamp of a signed contract (pdf-lib). Everything is in
 * plain numbers in a 200 x 200 box with y growing downwards (SVG's convention), angles in degrees
 * clockwise from straight up, so both sides read the same layout. See docs/signing-seal.md.
 *
 * The proportions follow the usual round enterprise seal (GA 241, a 42 mm seal): one thick ring
 * (about 1.2 mm), a five-pointed star of about 14 mm in the centre, the enterprise's full name along
 * the upper arc, each character upright towards the ring and slightly narrow, and an optional
 * horizontal line under the star (横向文, such as 合同专用章).
 */

/** The side of the square box the layout lives in (the SVG viewBox is `0 0 SEAL_BOX SEAL_BOX`). */
export const SEAL_BOX = 200;
/** Seal red: a solid colour, printed in grayscale as a dark, solid mark (about 26 % luminance). */
export const SEAL_RED = "#d0021b";
/** The name's length in characters (Unicode code points, as the other validators count). */
export const SEAL_NAME_MIN = 2;
export const SEAL_NAME_MAX = 40;
/** The horizontal text under the star, in characters. */
export const SEAL_LABEL_MAX = 10;
/**
 * Where a glyph's baseline lies below its centre, as a fraction of the font size: CJK fonts put
 * the ideographic em box from 0.12 em below the baseline to 0.88 em above it, so its centre is
 * 0.38 em above the baseline. Renderers draw each character with its baseline this far "below"
 * (in the character's own rotated frame) the point the layout gives.
 */
export const SEAL_BASELINE = 0.38;

const C = SEAL_BOX / 2;
const RING_RADIUS = 95;
const RING_WIDTH = 6;
/** Between the ring's inner edge and the top of the characters. */
const TEXT_GAP = 3;
/** The characters' outer edge: their centres lie on a circle `size / 2` inside it. */
const TEXT_OUTER = RING_RADIUS - RING_WIDTH / 2 - TEXT_GAP;
const STAR_RADIUS = 32;
/** A regular pentagram: the inner vertices at sin 18° / sin 126° of the outer radius. */
const STAR_INNER = STAR_RADIUS * (Math.sin((18 * Math.PI) / 180) / Math.sin((126 * Math.PI) / 180));
/** The name's font: never larger than this. */
const NAME_SIZE_MAX = 30;
/** The name's characters are narrowed (as seal engravers do), more for a long name so its font stays readable. */
const nameSqueeze = (n: number) => Math.max(0.62, Math.min(0.78, 0.78 - (n - 16) * (0.16 / 24)));
/** Space between two neighbouring characters along the arc, as a fraction of a character's drawn width. */
const NAME_SPACING = 0.12;
/** The arc the name covers (n pitches: half a pitch beyond the first and the last centre): grows with the length, capped. */
const arcExtent = (n: number) => Math.min(240, 60 + 16 * n);
const LABEL_SIZE_MAX = 21;
const LABEL_Y = 150;
const LABEL_SPACING = 0.08;
/** The widest the label may be: inside the characters at both ends of the longest arc. */
const LABEL_WIDTH_MAX = 104;

export type SealPoint = { x: number; y: number };
/**
 * One character: the centre of its em box (`x`, `y`), its rotation in degrees clockwise (0 = upright,
 * negative to the left of the top), its font size (the em height) and its horizontal scale.
 */
export type SealChar = { char: string; x: number; y: number; rotate: number; size: number; squeeze: number };
export type SealLayout = {
  /** The name as drawn (trimmed). */
  name: string;
  box: number;
  color: string;
  ring: { cx: number; cy: number; r: number; strokeWidth: number };
  /** Filled; `points` go clockwise from the top point, outer and inner vertices alternating. */
  star: { cx: number; cy: number; outerRadius: number; innerRadius: number; points: SealPoint[] };
  /** The circle the characters' centres lie on and the angles of the first and last centre. */
  arc: { radius: number; from: number; to: number };
  chars: SealChar[];
  /** The horizontal line under the star, one entry per character, or null. */
  label: { text: string; chars: SealChar[] } | null;
};
export type SealOptions = {
  /** The horizontal text under the star (横向文), e.g. "合同专用章"; none by default. */
  label?: string | null;
};

/** Control, format (zero-width, bidirectional) and line/paragraph separator characters. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** The name as it will be drawn, or a Chinese message. */
export function checkSealName(raw: string): { ok: true; name: string } | { ok: false; message: string } {
  const name = raw.trim();
  const n = [...name].length;
  if (n === 0) return { ok: false, message: "请填写企业名称" };
  if (INVISIBLE.test(name)) return { ok: false, message: "企业名称含有不可见的控制字符" };
  if (n < SEAL_NAME_MIN) return { ok: false, message: `企业名称至少${SEAL_NAME_MIN}个字` };
  if (n > SEAL_NAME_MAX) return { ok: false, message: `企业名称超过${SEAL_NAME_MAX}个字，不能制作圆形签章` };
  return { ok: true, name };
}

function checkLabel(raw: string | null | undefined): { ok: true; label: string | null } | { ok: false; message: string } {
  const label = (raw ?? "").trim();
  if (!label) return { ok: true, label: null };
  if (INVISIBLE.test(label)) return { ok: false, message: "横向文含有不可见的控制字符" };
  if ([...label].length > SEAL_LABEL_MAX) return { ok: false, message: `横向文不能超过${SEAL_LABEL_MAX}个字` };
  return { ok: true, label };
}

const rad = (deg: number) => (deg * Math.PI) / 180;

/** A point at `angle` degrees clockwise from straight up, `r` from the centre. */
const polar = (r: number, angle: number): SealPoint => ({ x: C + r * Math.sin(rad(angle)), y: C - r * Math.cos(rad(angle)) });

/**
 * The name along the upper arc. The arc's extent is fixed by the length; the font is the largest
 * (up to NAME_SIZE_MAX) whose narrowed characters, with their spacing, fit the pitch on the circle
 * their centres lie on, which itself moves inwards as the font grows: solving
 * `size * squeeze * (1 + spacing) = (TEXT_OUTER - size / 2) * pitch` for `size`.
 */
function nameChars(name: string): { chars: SealChar[]; radius: number; from: number; to: number } {
  const glyphs = [...name];
  const n = glyphs.length;
  const pitch = arcExtent(n) / n;
  const squeeze = nameSqueeze(n);
  const k = squeeze * (1 + NAME_SPACING);
  const size = Math.min(NAME_SIZE_MAX, (TEXT_OUTER * rad(pitch)) / (k + rad(pitch) / 2));
  const radius = TEXT_OUTER - size / 2;
  const from = (-(n - 1) * pitch) / 2;
  const chars = glyphs.map((char, i) => {
    // Built from the left end and mirrored from the right, so the two halves are exact mirror images.
    const angle = i < n / 2 ? from + i * pitch : -(from + (n - 1 - i) * pitch);
    return { char, ...polar(radius, angle), rotate: angle, size, squeeze };
  });
  return { chars, radius, from, to: -from };
}

/** The label centred under the star, its font shrunk until it fits LABEL_WIDTH_MAX. */
function labelChars(label: string): SealChar[] {
  const glyphs = [...label];
  const n = glyphs.length;
  const squeeze = 0.85;
  const perEm = squeeze * (1 + LABEL_SPACING);
  const size = Math.min(LABEL_SIZE_MAX, LABEL_WIDTH_MAX / (n * perEm));
  const pitch = size * perEm;
  return glyphs.map((char, i) => ({ char, x: C + (i - (n - 1) / 2) * pitch, y: LABEL_Y, rotate: 0, size, squeeze }));
}

function starPoints(): SealPoint[] {
  return Array.from({ length: 10 }, (_, i) => polar(i % 2 === 0 ? STAR_RADIUS : STAR_INNER, i * 36));
}

/** The seal of an enterprise, from its full name: the same name and options give the same layout. */
export function sealLayout(rawName: string, opts: SealOptions = {}): { ok: true; layout: SealLayout } | { ok: false; message: string } {
  const name = checkSealName(rawName);
  if (!name.ok) return name;
  const label = checkLabel(opts.label);
  if (!label.ok) return label;
  const arc = nameChars(name.name);
  return {
    ok: true,
    layout: {
      name: name.name,
      box: SEAL_BOX,
      color: SEAL_RED,
      ring: { cx: C, cy: C, r: RING_RADIUS, strokeWidth: RING_WIDTH },
      star: { cx: C, cy: C, outerRadius: STAR_RADIUS, innerRadius: STAR_INNER, points: starPoints() },
      arc: { radius: arc.radius, from: arc.from, to: arc.to },
      chars: arc.chars,
      label: label.label ? { text: label.label, chars: labelChars(label.label) } : null,
    },
  };
}

/**
 * Where a renderer that draws text from the left end of its baseline (pdf-lib's `drawText`) puts a
 * character `advance` wide at its font size before squeezing (the font's advance width; a CJK
 * ideograph is `size`): the point half the drawn width left of and SEAL_BASELINE em below the
 * centre, in the character's rotated frame, in the layout's coordinates (y down).
 */
export function glyphOrigin(c: SealChar, advance: number): SealPoint {
  const dx = (-advance * c.squeeze) / 2;
  const dy = SEAL_BASELINE * c.size;
  const [cos, sin] = [Math.cos(rad(c.rotate)), Math.sin(rad(c.rotate))];
  return { x: c.x + dx * cos - dy * sin, y: c.y + dx * sin + dy * cos };
}
