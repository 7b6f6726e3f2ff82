import { CAPTCHA } from "./domain.ts";

/** A source of random integers in [0, n); the service passes a cryptographic one. */
export type RandomInt = (n: number) => number;

export function captchaAnswer(rand: RandomInt): string {
  let s = "";
  for (let i = 0; i < CAPTCHA.length; i++) s += CAPTCHA.alphabet[rand(CAPTCHA.alphabet.length)];
  return s;
}

const W = 120;
const H = 40;

/**
 * A small stroke font for the captcha alphabet, on a 10 x 14 grid (y grows downwards). Each glyph
 * is a list of strokes; a stroke starts with "M x y" and continues with "L x y" or "Q cx cy x y".
 */
const FONT: Record<string, string[]> = {
  "3": ["M1 2Q5 -1 8 2.5Q9 6 5 6.8", "M5 6.8Q9.5 7.5 8.5 11Q6 15 1 12"],
  "4": ["M7 14L7 0L0.5 9.5L10 9.5"],
  "6": ["M8 1.5Q3 0 1.5 6Q0.5 13 5 13.5Q9 13.5 9 9.5Q9 6 5 6Q2 6 1.5 9"],
  "7": ["M0.5 0.5L9.5 0.5L4 14"],
  "9": ["M8.5 5Q8 8.5 4.5 8.5Q1 8.5 1 4.5Q1 0.5 5 0.5Q9 0.5 8.5 6Q8 13 2 13.5"],
  A: ["M0.5 14L5 0L9.5 14", "M2.2 9L7.8 9"],
  C: ["M9 2.5Q7 0 4.5 0.5Q0.5 1.5 0.5 7Q0.5 13 5 13.5Q8 13.5 9 11"],
  D: ["M1 0.5L1 13.5Q9.5 14 9.5 7Q9.5 0 1 0.5"],
  E: ["M9 0.5L1 0.5L1 13.5L9 13.5", "M1 7L7 7"],
  F: ["M9 0.5L1 0.5L1 14", "M1 7L7 7"],
  G: ["M9 2.5Q7 0 4.5 0.5Q0.5 1.5 0.5 7Q0.5 13.5 5 13.5Q9 13.5 9 8L5 8"],
  H: ["M1 0L1 14", "M9 0L9 14", "M1 7L9 7"],
  J: ["M8 0L8 10Q8 14 4.5 14Q1 14 1 10.5"],
  K: ["M1 0L1 14", "M9 0L1 8.5", "M3.5 6L9.5 14"],
  M: ["M0.5 14L1 0L5 9L9 0L9.5 14"],
  N: ["M1 14L1 0L9 14L9 0"],
  P: ["M1 14L1 0.5L5 0.5Q9 0.5 9 4Q9 7.5 5 7.5L1 7.5"],
  Q: ["M5 0.5Q0.5 0.5 0.5 7Q0.5 13.5 5 13.5Q9.5 13.5 9.5 7Q9.5 0.5 5 0.5", "M6 10L9.5 14.5"],
  R: ["M1 14L1 0.5L5 0.5Q9 0.5 9 4Q9 7.5 5 7.5L1 7.5", "M5 7.5L9 14"],
  T: ["M0.5 0.5L9.5 0.5", "M5 0.5L5 14"],
  U: ["M1 0L1 9.5Q1 14 5 14Q9 14 9 9.5L9 0"],
  V: ["M0.5 0L5 14L9.5 0"],
  W: ["M0 0L2.5 14L5 5L7.5 14L10 0"],
  X: ["M1 0L9 14", "M9 0L1 14"],
  Y: ["M0.5 0L5 7L9.5 0", "M5 7L5 14"],
};

type Pt = [number, number];
/** One drawn segment of a stroke: a line to `to`, or a quadratic curve through control `c`. */
type Seg = { c?: Pt; to: Pt };
type Stroke = { start: Pt; segs: Seg[] };

function parseStroke(d: string): Stroke {
  const tokens = d.match(/[MLQ]|-?\d+(?:\.\d+)?/g)!;
  let i = 0;
  const num = () => Number(tokens[i++]);
  const pt = (): Pt => [num(), num()];
  i++; // M
  const start = pt();
  const segs: Seg[] = [];
  while (i < tokens.length) {
    const cmd = tokens[i++];
    if (cmd === "Q") {
      const c = pt();
      segs.push({ c, to: pt() });
    } else segs.push({ to: pt() });
  }
  return { start, segs };
}

const PARSED: Record<string, Stroke[]> = Object.fromEntries(Object.entries(FONT).map(([ch, strokes]) => [ch, strokes.map(parseStroke)]));

/** The same stroke drawn from its other end (so the pen direction tells nothing). */
function reversed(s: Stroke): Stroke {
  const points = [s.start, ...s.segs.map((g) => g.to)];
  const segs: Seg[] = [];
  for (let k = s.segs.length - 1; k >= 0; k--) segs.push({ c: s.segs[k]!.c, to: points[k]! });
  return { start: points[points.length - 1]!, segs };
}

const r1 = (v: number) => Math.round(v * 10) / 10;

/** Path data in relative commands (lower case only), computed from rounded absolute points. */
function pathData(s: Stroke): string {
  let [px, py] = [r1(s.start[0]), r1(s.start[1])];
  let d = `m${px} ${py}`;
  const rel = (p: Pt) => {
    const x = r1(p[0]);
    const y = r1(p[1]);
    return `${r1(x - px)} ${r1(y - py)}`;
  };
  for (const g of s.segs) {
    d += g.c ? `q${rel(g.c)} ${rel(g.to)}` : `l${rel(g.to)}`;
    [px, py] = [r1(g.to[0]), r1(g.to[1])];
  }
  return d.replace(/ -/g, "-");
}

export type CaptchaPart = { kind: "glyph"; index: number; d: string } | { kind: "noise"; d: string };

/**
 * Draws the answer as outlines nobody's parser can read off the markup: every glyph comes from
 * the built-in stroke font above, with its own rotation, scale, skew and jittered points, split
 * into a varying number of paths (some drawn backwards), and all paths (glyph strokes and noise
 * strokes of the same style) come out in shuffled order with the same attributes. There is no
 * <text>, no id, class or group, and no upper-case letter anywhere in the markup.
 * Returns the parts in document order; `renderCaptchaSvg` is the SVG alone.
 */
export function renderCaptchaParts(answer: string, rand: RandomInt): { svg: string; parts: CaptchaPart[] } {
  const u = (min: number, max: number) => min + (rand(10_001) / 10_000) * (max - min);
  const parts: CaptchaPart[] = [];
  const cell = (W - 8) / answer.length;

  [...answer].forEach((ch, index) => {
    const strokes = PARSED[ch];
    if (!strokes) throw new RangeError("captcha character outside the alphabet");
    const size = u(1.6, 1.82);
    const sx = size * u(0.85, 1.1);
    const sy = size * u(0.92, 1.05);
    const angle = (u(-22, 22) * Math.PI) / 180;
    const skew = u(-0.3, 0.3);
    const cx = 4 + cell * (index + 0.5) + u(-2.5, 2.5);
    const cy = H / 2 + u(-1.5, 1.5);
    const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
    const jitter = () => u(-0.35, 0.35);
    const place = (p: Pt): Pt => {
      const x0 = (p[0] - 5 + jitter()) * sx;
      const y0 = (p[1] - 7 + jitter()) * sy;
      const x1 = x0 + skew * y0;
      return [cx + x1 * cos - y0 * sin, cy + x1 * sin + y0 * cos];
    };
    for (const stroke of strokes) {
      const placed: Stroke = { start: place(stroke.start), segs: stroke.segs.map((g) => ({ c: g.c && place(g.c), to: place(g.to) })) };
      // Split a longer stroke at a random joint half the time, so path counts do not give glyphs away.
      const pieces: Stroke[] = [];
      if (placed.segs.length > 1 && rand(2) === 0) {
        const at = 1 + rand(placed.segs.length - 1);
        pieces.push({ start: placed.start, segs: placed.segs.slice(0, at) });
        pieces.push({ start: placed.segs[at - 1]!.to, segs: placed.segs.slice(at) });
      } else pieces.push(placed);
      for (const piece of pieces) parts.push({ kind: "glyph", index, d: pathData(rand(2) ? reversed(piece) : piece) });
    }
  });

  // Noise in the same style: long curves across the image and short arcs, as paths like the glyphs.
  for (let i = 0; i < 2; i++) {
    const y = () => u(4, H - 4);
    parts.push({
      kind: "noise",
      d: pathData({
        start: [u(0, 8), y()],
        segs: [
          { c: [u(20, 50), u(-10, H + 10)], to: [u(55, 65), y()] },
          { c: [u(70, 100), u(-10, H + 10)], to: [u(W - 8, W), y()] },
        ],
      }),
    });
  }
  for (let i = 0; i < 4; i++) {
    const x = u(4, W - 4);
    const y = u(4, H - 4);
    parts.push({ kind: "noise", d: pathData({ start: [x, y], segs: [{ c: [x + u(-8, 8), y + u(-8, 8)], to: [x + u(-10, 10), y + u(-6, 6)] }] }) });
  }
  for (let i = 0; i < 10; i++) {
    const x = u(2, W - 2);
    const y = u(2, H - 2);
    parts.push({ kind: "noise", d: pathData({ start: [x, y], segs: [{ to: [x + u(-0.6, 0.6), y + u(-0.6, 0.6)] }] }) });
  }

  // Fisher-Yates: document order says nothing about which glyph a path belongs to.
  for (let i = parts.length - 1; i > 0; i--) {
    const j = rand(i + 1);
    [parts[i], parts[j]] = [parts[j]!, parts[i]!];
  }
  const colour = () => `hsl(${rand(360)},${40 + rand(35)}%,${22 + rand(18)}%)`;
  const paths = parts.map((p) => {
    const width = p.kind === "glyph" ? u(2.3, 3) : u(1.1, 1.9);
    return `<path d="${p.d}" stroke="${colour()}" stroke-width="${r1(width)}" fill="none" stroke-linecap="round" stroke-linejoin="round"/>`;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="100%" height="100%" fill="#f2f5f9"/>${paths.join("")}</svg>`;
  return { svg, parts };
}

/** The captcha image as a small self-contained SVG. Pure apart from the random source, so it is unit-tested. */
export function renderCaptchaSvg(answer: string, rand: RandomInt): string {
  return renderCaptchaParts(answer, rand).svg;
}
