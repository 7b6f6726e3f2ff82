/**
 * Server-drawn charts for 数据看板: horizontal bars (one measure or stacked segments) and lines, as
 * inline SVG strings. Readable without colour: every series has its own fill pattern (solid,
 * hatched, dotted, outline) or line style (solid, dashed, dotted, each with its own marker shape),
 * and every bar and line carries a direct label. Each chart is an image with a title
 * (`role="img"`, `<title>`, `<desc>`); the page shows the same numbers in a table beside it.
 * Colours and patterns are presentation attributes (the Content-Security-Policy allows no inline
 * style). Pure: strings in, a string out.
 */

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
const num = (n: number) => String(Math.round(n * 10) / 10);

/** Fill styles of bar segments, distinguishable in grayscale. */
export type Fill = "solid" | "hatch" | "dots" | "outline";
/** Line styles, each with its own marker. */
export type Stroke = "solid" | "dashed" | "dotted";

const INK = "#0b3d73";
const LINE = "#52606d";
/** The drawing width: on a 360 px phone the chart is drawn at about 0.9, so its 14-unit text stays readable. */
const WIDTH = 340;
const FONT = 14;

/** Approximate width of a label in SVG units (CJK characters a full em, others about half). */
export function textWidth(s: string, size = FONT): number {
  let w = 0;
  for (const ch of s) w += /[\u2e80-\u9fff\uff00-\uffef]/.test(ch) ? size : size * 0.58;
  return w;
}

function patternDefs(id: string): string {
  return (
    "<defs>" +
    `<pattern id="${id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><rect width="2.5" height="6" fill="${INK}"/></pattern>` +
    `<pattern id="${id}-dots" width="5" height="5" patternUnits="userSpaceOnUse"><rect width="5" height="5" fill="#fff"/><circle cx="2.5" cy="2.5" r="1.4" fill="${INK}"/></pattern>` +
    "</defs>"
  );
}
function fillAttrs(id: string, fill: Fill): string {
  switch (fill) {
    case "solid":
      return `fill="${INK}"`;
    case "hatch":
      return `fill="url(#${id}-hatch)" stroke="${INK}" stroke-width="1"`;
    case "dots":
      return `fill="url(#${id}-dots)" stroke="${INK}" stroke-width="1"`;
    case "outline":
      return `fill="#fff" stroke="${INK}" stroke-width="1"`;
  }
}

function open(id: string, title: string, desc: string, height: number): string {
  return (
    `<svg class="chart-svg" viewBox="0 0 ${WIDTH} ${num(height)}" width="${WIDTH}" height="${num(height)}" role="img" aria-labelledby="${id}-t ${id}-d" focusable="false">` +
    `<title id="${id}-t">${esc(title)}</title><desc id="${id}-d">${esc(desc)}</desc>`
  );
}

/** A legend row of swatches and names (wrapping); its height. */
function legend(id: string, items: { name: string; swatch: string }[], y: number): { svg: string; height: number } {
  let x = 0;
  let row = 0;
  const parts: string[] = [];
  for (const item of items) {
    const w = 22 + textWidth(item.name, 13) + 16;
    if (x > 0 && x + w > WIDTH) {
      x = 0;
      row++;
    }
    const top = y + row * 22;
    parts.push(`<g transform="translate(${num(x)} ${num(top)})">${item.swatch}<text x="22" y="12" font-size="13">${esc(item.name)}</text></g>`);
    x += w;
  }
  void id;
  return { svg: parts.join(""), height: items.length ? (row + 1) * 22 + 6 : 0 };
}

export type BarRow = {
  label: string;
  /** One value per series (stacked left to right); negative values count as 0. */
  values: number[];
  /** Written at the right end of the row's label line (the row's figure, formatted by the caller). */
  valueText: string;
};
export type BarChart = {
  /** Unique on the page: prefixes the ids of the title and the patterns. */
  id: string;
  title: string;
  /** A one-sentence summary for screen readers (the table beside the chart has every number). */
  desc: string;
  series: { name: string; fill: Fill }[];
  rows: BarRow[];
  /** The length that fills the width (default: the largest row total). */
  scaleMax?: number;
  /** Shown instead of bars when there are no rows. */
  empty?: string;
};

/**
 * Horizontal bars, one row per item: the label and its figure on one line, the bar below (the
 * series stacked in order). A legend heads a chart of more than one series.
 */
export function barChart(c: BarChart): string {
  const multi = c.series.length > 1;
  const lg = multi
    ? legend(
        c.id,
        c.series.map((s) => ({ name: s.name, swatch: `<rect width="14" height="14" ${fillAttrs(c.id, s.fill)}/>` })),
        0,
      )
    : { svg: "", height: 0 };
  const rowH = 40;
  const top = lg.height;
  if (!c.rows.length) {
    const h = top + 40;
    return `${open(c.id, c.title, c.desc, h)}${lg.svg}<text x="0" y="${top + 24}" font-size="${FONT}">${esc(c.empty ?? "暂无数据")}</text></svg>`;
  }
  const totals = c.rows.map((r) => r.values.reduce((s, v) => s + Math.max(0, v), 0));
  const max = Math.max(c.scaleMax ?? 0, ...totals, 1);
  const height = top + c.rows.length * rowH;
  const body = c.rows.map((r, i) => {
    const y = top + i * rowH;
    let x = 0;
    const segs = r.values.map((v, k) => {
      const w = (Math.max(0, v) / max) * (WIDTH - 1);
      const seg =
        w > 0
          ? `<rect x="${num(x + 0.5)}" y="${y + 21}" width="${num(Math.max(w, 1))}" height="14" ${fillAttrs(c.id, c.series[k]?.fill ?? "solid")}/>`
          : "";
      x += w;
      return seg;
    });
    // A hairline baseline so an empty row still shows where its bar would be.
    const base = `<line x1="0.5" y1="${y + 35.5}" x2="${WIDTH - 0.5}" y2="${y + 35.5}" stroke="#cbd2d9" stroke-width="1"/>`;
    const label = `<text x="0" y="${y + 15}" font-size="${FONT}">${esc(r.label)}</text>`;
    const value = `<text x="${WIDTH}" y="${y + 15}" font-size="${FONT}" text-anchor="end" font-weight="600">${esc(r.valueText)}</text>`;
    return `<g>${base}${segs.join("")}${label}${value}</g>`;
  });
  return `${open(c.id, c.title, c.desc, height)}${multi ? patternDefs(c.id) : ""}${lg.svg}${body.join("")}</svg>`;
}

export type LineChart = {
  id: string;
  title: string;
  desc: string;
  /** One label per point of the x axis (a month); long axes show every n-th label. */
  xLabels: string[];
  series: { name: string; values: number[]; stroke: Stroke }[];
  /** Formats a y-axis tick (an amount). */
  format: (v: number) => string;
  empty?: string;
};

const DASH: Record<Stroke, string> = { solid: "", dashed: ' stroke-dasharray="7 4"', dotted: ' stroke-dasharray="2 3"' };

function marker(stroke: Stroke, x: number, y: number): string {
  switch (stroke) {
    case "solid":
      return `<circle cx="${num(x)}" cy="${num(y)}" r="3.5" fill="${INK}"/>`;
    case "dashed":
      return `<rect x="${num(x - 3.5)}" y="${num(y - 3.5)}" width="7" height="7" fill="#fff" stroke="${INK}" stroke-width="1.5"/>`;
    case "dotted":
      return `<path d="M${num(x)} ${num(y - 4.5)}L${num(x + 4.5)} ${num(y + 3.5)}H${num(x - 4.5)}Z" fill="${INK}"/>`;
  }
}

/** A rounded-up axis maximum: 1, 2 or 5 times a power of ten. */
export function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

/**
 * Lines over a shared x axis (months), each with its dash style and marker shape, and its name
 * written at its last point (labels pushed apart when they would overlap).
 */
export function lineChart(c: LineChart): string {
  const n = c.xLabels.length;
  const left = 56;
  const right = Math.max(36, ...c.series.map((s) => textWidth(s.name, 13) + 12));
  const top = 12;
  const plotH = 150;
  const height = top + plotH + 34;
  if (!n || !c.series.length) {
    return `${open(c.id, c.title, c.desc, 40)}<text x="0" y="24" font-size="${FONT}">${esc(c.empty ?? "暂无数据")}</text></svg>`;
  }
  const max = niceMax(Math.max(0, ...c.series.flatMap((s) => s.values)));
  const plotW = WIDTH - left - right;
  const xAt = (i: number) => left + (n === 1 ? plotW / 2 : (i / (n - 1)) * plotW);
  const yAt = (v: number) => top + plotH - (Math.max(0, v) / max) * plotH;
  const grid = [0, 0.5, 1]
    .map((f) => {
      const y = yAt(max * f);
      return (
        `<line x1="${left}" y1="${num(y)}" x2="${WIDTH - right}" y2="${num(y)}" stroke="#cbd2d9" stroke-width="1"/>` +
        `<text x="${left - 6}" y="${num(y + 4)}" font-size="12" text-anchor="end">${esc(c.format(max * f))}</text>`
      );
    })
    .join("");
  // Every n-th label, and the last one, never two labels closer than n-th apart.
  const every = Math.ceil(n / 6);
  const xs = c.xLabels
    .map((l, i) =>
      (i % every === 0 && n - 1 - i >= every) || i === n - 1
        ? `<text x="${num(xAt(i))}" y="${top + plotH + 20}" font-size="12" text-anchor="middle">${esc(l)}</text>`
        : "",
    )
    .join("");
  // End labels: at each series' last value, moved apart to at least 15 units.
  const ends = c.series.map((s, k) => ({ k, y: yAt(s.values[n - 1] ?? 0) })).sort((a, b) => a.y - b.y);
  for (let i = 1; i < ends.length; i++) if (ends[i]!.y - ends[i - 1]!.y < 15) ends[i]!.y = ends[i - 1]!.y + 15;
  const endY = new Map(ends.map((e) => [e.k, e.y]));
  const lines = c.series
    .map((s, k) => {
      const pts = s.values.slice(0, n).map((v, i) => `${num(xAt(i))} ${num(yAt(v))}`);
      const path = `<path d="M${pts.join("L")}" fill="none" stroke="${INK}" stroke-width="2"${DASH[s.stroke]}/>`;
      const marks = s.values
        .slice(0, n)
        .map((v, i) => marker(s.stroke, xAt(i), yAt(v)))
        .join("");
      const label = `<text x="${num(xAt(n - 1) + 8)}" y="${num((endY.get(k) ?? 0) + 4)}" font-size="13">${esc(s.name)}</text>`;
      return `<g>${path}${marks}${label}</g>`;
    })
    .join("");
  const axis = `<line x1="${left}" y1="${top + plotH}" x2="${WIDTH - right}" y2="${top + plotH}" stroke="${LINE}" stroke-width="1"/>`;
  return `${open(c.id, c.title, c.desc, height)}${grid}${axis}${xs}${lines}</svg>`;
}

/** A legend of line styles for the table beside a line chart, as a small inline SVG per series. */
export function lineSwatch(stroke: Stroke): string {
  return `<svg class="swatch" viewBox="0 0 28 12" width="28" height="12" aria-hidden="true" focusable="false"><line x1="1" y1="6" x2="27" y2="6" stroke="${INK}" stroke-width="2"${DASH[stroke]}/>${marker(stroke, 14, 6)}</svg>`;
}

/** A fill swatch for a table's column heading, matching a bar chart's series. */
export function fillSwatch(id: string, fill: Fill): string {
  return `<svg class="swatch" viewBox="0 0 14 14" width="14" height="14" aria-hidden="true" focusable="false"><rect x="0.5" y="0.5" width="13" height="13" ${fillAttrs(id, fill)}/></svg>`;
}
