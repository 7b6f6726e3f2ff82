import { describe, expect, it } from "vitest";
import {
  SEAL_BASELINE,
  SEAL_BOX,
  SEAL_NAME_MAX,
  SEAL_RED,
  type SealChar,
  type SealLayout,
  glyphOrigin,
  sealLayout,
} from "../../src/modules/signing/seal-domain.ts";
import { renderSealSvg } from "../../src/modules/signing/seal-svg.ts";

const layout = (name: string, label?: string | null): SealLayout => {
  const r = sealLayout(name, { label });
  if (!r.ok) throw new Error(`${name}: ${r.message}`);
  return r.layout;
};
const refused = (name: string, label?: string | null) => {
  const r = sealLayout(name, { label });
  expect(r.ok, name).toBe(false);
  return r.ok ? "" : r.message;
};

const FORTY = "广西壮族自治区南宁市青秀区示例数字化转型咨询服务与检验检测技术研究院有限责任公司".slice(0, 40);
const NAMES = ["甲乙", "某某公司", "某某科技有限公司", "柳州示例汽车零部件有限公司", "广西示例检验检测技术有限公司", FORTY];
/** One name of every length the seal takes. */
const ALL_LENGTHS = Array.from({ length: SEAL_NAME_MAX - 1 }, (_, i) => FORTY.slice(0, i + 2));

/** The corners of a character's drawn box (its squeezed width by its em height), in the seal's coordinates. */
function corners(c: SealChar): { x: number; y: number }[] {
  const w = (c.size * c.squeeze) / 2;
  const h = c.size / 2;
  const a = (c.rotate * Math.PI) / 180;
  return [
    [-w, -h],
    [w, -h],
    [w, h],
    [-w, h],
  ].map(([dx, dy]) => ({ x: c.x + dx! * Math.cos(a) - dy! * Math.sin(a), y: c.y + dx! * Math.sin(a) + dy! * Math.cos(a) }));
}
const fromCentre = (l: SealLayout, p: { x: number; y: number }) => Math.hypot(p.x - l.ring.cx, p.y - l.ring.cy);
const round2 = (v: unknown): unknown =>
  typeof v === "number"
    ? Math.round(v * 100) / 100 || 0
    : Array.isArray(v)
      ? v.map(round2)
      : v && typeof v === "object"
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, round2(x)]))
        : v;

describe("seal layout", () => {
  it("lays out one character per character of the name, counting code points", () => {
    for (const name of NAMES) expect(layout(name).chars.map((c) => c.char)).toEqual([...name]);
    // A character outside the Basic Multilingual Plane (a surrogate pair) is one character.
    expect(layout("广西𠀀有限公司").chars.map((c) => c.char)).toEqual(["广", "西", "𠀀", "有", "限", "公", "司"]);
  });

  it("draws a centred ring and a regular five-pointed star in seal red", () => {
    const l = layout("广西示例检验检测技术有限公司");
    expect(l.box).toBe(SEAL_BOX);
    expect(l.color).toBe(SEAL_RED);
    expect(l.ring).toMatchObject({ cx: SEAL_BOX / 2, cy: SEAL_BOX / 2 });
    expect(l.ring.r + l.ring.strokeWidth / 2).toBeLessThanOrEqual(SEAL_BOX / 2);
    expect(l.star.points).toHaveLength(10);
    expect(l.star.points[0]!.x).toBeCloseTo(l.star.cx, 9);
    expect(l.star.points[0]!.y).toBeCloseTo(l.star.cy - l.star.outerRadius, 9);
    l.star.points.forEach((p, i) => {
      expect(fromCentre(l, p)).toBeCloseTo(i % 2 ? l.star.innerRadius : l.star.outerRadius, 9);
    });
    // Regular: the edge from the top point to the lower right one (the fifth vertex) passes through the inner vertex between.
    const [a, inner, b] = [l.star.points[0]!, l.star.points[1]!, l.star.points[4]!];
    const cross = (b.x - a.x) * (inner.y - a.y) - (b.y - a.y) * (inner.x - a.x);
    expect(Math.abs(cross)).toBeLessThan(1e-9);
  });

  it("keeps every character inside the ring and clear of the star, for every length", () => {
    for (const name of ALL_LENGTHS) {
      const l = layout(name, "合同专用章");
      const inner = l.ring.r - l.ring.strokeWidth / 2;
      for (const c of [...l.chars, ...l.label!.chars]) {
        for (const p of corners(c)) expect(fromCentre(l, p), `${name} ${c.char}`).toBeLessThan(inner);
      }
      for (const c of l.chars) {
        for (const p of corners(c)) expect(fromCentre(l, p), `${name} ${c.char}`).toBeGreaterThan(l.star.outerRadius);
      }
    }
  });

  it("is symmetric around the vertical axis: each character mirrors its counterpart", () => {
    for (const name of ALL_LENGTHS) {
      const { chars } = layout(name);
      chars.forEach((c, i) => {
        const m = chars[chars.length - 1 - i]!;
        expect(c.x - SEAL_BOX / 2).toBeCloseTo(SEAL_BOX / 2 - m.x, 9);
        expect(c.y).toBeCloseTo(m.y, 9);
        expect(c.rotate).toBeCloseTo(-m.rotate, 9);
      });
      if (chars.length % 2) expect(chars[(chars.length - 1) / 2]).toMatchObject({ x: SEAL_BOX / 2, rotate: 0 });
    }
  });

  it("reads left to right over the top: rotations increase evenly, each character upright towards the ring", () => {
    for (const name of ALL_LENGTHS) {
      const l = layout(name);
      const pitch = l.chars[1]!.rotate - l.chars[0]!.rotate;
      expect(pitch).toBeGreaterThan(0);
      for (let i = 1; i < l.chars.length; i++) expect(l.chars[i]!.rotate - l.chars[i - 1]!.rotate).toBeCloseTo(pitch, 9);
      expect(l.chars[0]!.rotate).toBeCloseTo(l.arc.from, 9);
      expect(l.chars.at(-1)!.rotate).toBeCloseTo(l.arc.to, 9);
      for (const c of l.chars) {
        // The character's "up" points away from the centre: the centre lies straight below it in its rotated frame.
        const a = (c.rotate * Math.PI) / 180;
        expect(c.x - l.ring.cx).toBeCloseTo(l.arc.radius * Math.sin(a), 9);
        expect(l.ring.cy - c.y).toBeCloseTo(l.arc.radius * Math.cos(a), 9);
      }
      // Neighbours do not touch: the pitch along the circle exceeds a character's drawn width.
      const c = l.chars[0]!;
      expect(l.arc.radius * ((pitch * Math.PI) / 180)).toBeGreaterThan(c.size * c.squeeze);
    }
  });

  it("spreads a longer name over a wider arc in a smaller font, never beyond 240 degrees", () => {
    const ls = ALL_LENGTHS.map((n) => layout(n));
    for (let i = 1; i < ls.length; i++) {
      const [a, b] = [ls[i - 1]!, ls[i]!];
      expect(b.arc.to - b.arc.from).toBeGreaterThanOrEqual(a.arc.to - a.arc.from);
      expect(b.chars[0]!.size).toBeLessThanOrEqual(a.chars[0]!.size);
    }
    for (const l of ls) {
      const pitch = l.chars.length > 1 ? (l.arc.to - l.arc.from) / (l.chars.length - 1) : 0;
      // n pitches: half a pitch beyond the first and the last centre.
      expect(l.arc.to - l.arc.from + pitch).toBeLessThanOrEqual(240 + 1e-9);
    }
    expect(ls.at(-1)!.chars[0]!.size).toBeGreaterThan(12);
    expect(ls[0]!.chars[0]!.size).toBe(30);
  });

  it("draws the optional label horizontally, centred under the star; none by default", () => {
    expect(layout("柳州示例汽车零部件有限公司").label).toBeNull();
    expect(layout("柳州示例汽车零部件有限公司", "  ").label).toBeNull();
    const l = layout("柳州示例汽车零部件有限公司", " 合同专用章 ");
    expect(l.label!.text).toBe("合同专用章");
    const chars = l.label!.chars;
    expect(chars.map((c) => c.char).join("")).toBe("合同专用章");
    expect(chars.reduce((s, c) => s + c.x, 0) / chars.length).toBeCloseTo(SEAL_BOX / 2, 9);
    for (const c of chars) {
      expect(c.rotate).toBe(0);
      expect(c.y - c.size / 2).toBeGreaterThan(l.star.cy + l.star.outerRadius * Math.cos(Math.PI / 5));
    }
    // A longer label gets a smaller font, in the same width.
    const long = layout("柳州示例汽车零部件有限公司", "财务专用章合同专用章").label!.chars;
    expect(long[0]!.size).toBeLessThan(chars[0]!.size);
  });

  it("trims the name and gives the same layout for the same input", () => {
    expect(layout("  广西示例检验检测技术有限公司 ").name).toBe("广西示例检验检测技术有限公司");
    expect(layout("  广西示例检验检测技术有限公司 ")).toEqual(layout("广西示例检验检测技术有限公司"));
    expect(renderSealSvg(layout(FORTY, "合同专用章"))).toBe(renderSealSvg(layout(FORTY, "合同专用章")));
  });

  it("refuses a bad name or label with a Chinese message", () => {
    expect(refused("")).toBe("请填写企业名称");
    expect(refused("   ")).toBe("请填写企业名称");
    expect(refused("甲")).toBe("企业名称至少2个字");
    expect(refused(" 甲 ")).toBe("企业名称至少2个字");
    expect(refused("甲".repeat(41))).toBe("企业名称超过40个字，不能制作圆形签章");
    expect(sealLayout("甲".repeat(40)).ok).toBe(true);
    expect(refused("甲乙\u0000公司")).toBe("企业名称含有不可见的控制字符");
    expect(refused("甲乙\n公司")).toBe("企业名称含有不可见的控制字符");
    expect(refused("甲乙\u200b公司")).toBe("企业名称含有不可见的控制字符");
    expect(refused("甲乙\u202e公司")).toBe("企业名称含有不可见的控制字符");
    expect(refused("甲乙公司", "合同专用章合同专用章章")).toBe("横向文不能超过10个字");
    expect(refused("甲乙公司", "合同\u0007专用章")).toBe("横向文含有不可见的控制字符");
  });

  it("tells a left-baseline renderer (pdf-lib) where each character starts", () => {
    const l = layout("甲乙丙丁");
    const upright: SealChar = { char: "甲", x: 100, y: 50, rotate: 0, size: 20, squeeze: 0.8 };
    expect(glyphOrigin(upright, 20)).toEqual({ x: 92, y: 50 + SEAL_BASELINE * 20 });
    const right = glyphOrigin({ ...upright, rotate: 90 }, 20);
    expect(right.x).toBeCloseTo(100 - SEAL_BASELINE * 20, 9);
    expect(right.y).toBeCloseTo(42, 9);
    // Half the drawn width back along the character's own baseline, whatever its rotation.
    for (const c of l.chars) {
      const o = glyphOrigin(c, c.size);
      const a = (c.rotate * Math.PI) / 180;
      const back = { x: o.x + (c.size * c.squeeze * Math.cos(a)) / 2, y: o.y + (c.size * c.squeeze * Math.sin(a)) / 2 };
      expect(Math.hypot(back.x - c.x, back.y - c.y)).toBeCloseTo(SEAL_BASELINE * c.size, 9);
    }
  });

  it("keeps its numbers (golden layout, 2 decimals)", () => {
    expect(round2(layout("甲乙丙有限公司", "合同专用章"))).toMatchInlineSnapshot(`
      {
        "arc": {
          "from": -73.71,
          "radius": 74,
          "to": 73.71,
        },
        "box": 200,
        "chars": [
          {
            "char": "甲",
            "rotate": -73.71,
            "size": 30,
            "squeeze": 0.78,
            "x": 28.97,
            "y": 79.25,
          },
          {
            "char": "乙",
            "rotate": -49.14,
            "size": 30,
            "squeeze": 0.78,
            "x": 44.03,
            "y": 51.59,
          },
          {
            "char": "丙",
            "rotate": -24.57,
            "size": 30,
            "squeeze": 0.78,
            "x": 69.23,
            "y": 32.7,
          },
          {
            "char": "有",
            "rotate": 0,
            "size": 30,
            "squeeze": 0.78,
            "x": 100,
            "y": 26,
          },
          {
            "char": "限",
            "rotate": 24.57,
            "size": 30,
            "squeeze": 0.78,
            "x": 130.77,
            "y": 32.7,
          },
          {
            "char": "公",
            "rotate": 49.14,
            "size": 30,
            "squeeze": 0.78,
            "x": 155.97,
            "y": 51.59,
          },
          {
            "char": "司",
            "rotate": 73.71,
            "size": 30,
            "squeeze": 0.78,
            "x": 171.03,
            "y": 79.25,
          },
        ],
        "color": "#d0021b",
        "label": {
          "chars": [
            {
              "char": "合",
              "rotate": 0,
              "size": 21,
              "squeeze": 0.85,
              "x": 61.44,
              "y": 150,
            },
            {
              "char": "同",
              "rotate": 0,
              "size": 21,
              "squeeze": 0.85,
              "x": 80.72,
              "y": 150,
            },
            {
              "char": "专",
              "rotate": 0,
              "size": 21,
              "squeeze": 0.85,
              "x": 100,
              "y": 150,
            },
            {
              "char": "用",
              "rotate": 0,
              "size": 21,
              "squeeze": 0.85,
              "x": 119.28,
              "y": 150,
            },
            {
              "char": "章",
              "rotate": 0,
              "size": 21,
              "squeeze": 0.85,
              "x": 138.56,
              "y": 150,
            },
          ],
          "text": "合同专用章",
        },
        "name": "甲乙丙有限公司",
        "ring": {
          "cx": 100,
          "cy": 100,
          "r": 95,
          "strokeWidth": 6,
        },
        "star": {
          "cx": 100,
          "cy": 100,
          "innerRadius": 12.22,
          "outerRadius": 32,
          "points": [
            {
              "x": 100,
              "y": 68,
            },
            {
              "x": 107.18,
              "y": 90.11,
            },
            {
              "x": 130.43,
              "y": 90.11,
            },
            {
              "x": 111.62,
              "y": 103.78,
            },
            {
              "x": 118.81,
              "y": 125.89,
            },
            {
              "x": 100,
              "y": 112.22,
            },
            {
              "x": 81.19,
              "y": 125.89,
            },
            {
              "x": 88.38,
              "y": 103.78,
            },
            {
              "x": 69.57,
              "y": 90.11,
            },
            {
              "x": 92.82,
              "y": 90.11,
            },
          ],
        },
      }
    `);
  });
});

describe("seal SVG", () => {
  it("draws the ring, the star and one upright-to-the-ring text per character, labelled for assistive technology", () => {
    const l = layout("柳州示例汽车零部件有限公司", "合同专用章");
    const svg = renderSealSvg(l);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200"')).toBe(true);
    expect(svg).toContain('role="img" aria-label="柳州示例汽车零部件有限公司电子签章"');
    expect(svg.match(/<circle /g)).toHaveLength(1);
    expect(svg.match(/<polygon /g)).toHaveLength(1);
    const texts = [...svg.matchAll(/<text transform="translate\(([-\d.]+) ([-\d.]+)\) rotate\(([-\d.]+)\) scale\(([\d.]+) 1\)"[^>]*>([^<]*)<\/text>/g)];
    expect(texts.map((m) => m[5]).join("")).toBe("柳州示例汽车零部件有限公司合同专用章");
    expect(Number(texts[0]![3])).toBeCloseTo(l.chars[0]!.rotate, 2);
    expect(Number(texts[0]![1])).toBeCloseTo(l.chars[0]!.x, 2);
    expect(svg).toContain('text-anchor="middle"');
    expect(svg).toContain('"Noto Serif CJK SC"');
    expect(svg).toContain(`fill="${SEAL_RED}"`);
  });

  it("escapes the name and contains nothing active or external", () => {
    const svg = renderSealSvg(layout(`A&B<"C'>有限公司`));
    expect(svg).toContain('aria-label="A&amp;B&lt;&quot;C&#39;&gt;有限公司电子签章"');
    expect(svg).toContain(">&amp;</text>");
    expect(svg).toContain(">&lt;</text>");
    expect(svg).toContain(">&quot;</text>");
    const body = svg.replace('xmlns="http://www.w3.org/2000/svg"', "");
    expect(body).not.toMatch(/<script|foreignObject|href|url\(|https?:|<image|<use|\son\w+=|style=/i);
    // Only the drawing's own elements, and every one closed.
    expect(new Set([...svg.matchAll(/<([a-zA-Z]+)/g)].map((m) => m[1]))).toEqual(new Set(["svg", "circle", "polygon", "g", "text"]));
    expect(svg.match(/<text /g)!.length).toBe(svg.match(/<\/text>/g)!.length);
  });
});
