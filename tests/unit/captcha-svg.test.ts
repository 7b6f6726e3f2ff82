import { describe, expect, it } from "vitest";
import { captchaAnswer, renderCaptchaParts, renderCaptchaSvg } from "../../src/modules/identity/captcha-svg.ts";
import { CAPTCHA } from "../../src/modules/identity/domain.ts";
import { randomInt } from "../../src/lib/random.ts";

const paths = (svg: string) => [...svg.matchAll(/<path ([^>]*)\/>/g)].map((m) => m[1]!);

describe("graphic captcha", () => {
  it("draws answers of 4 characters from the unambiguous alphabet", () => {
    for (let i = 0; i < 200; i++) {
      const a = captchaAnswer(randomInt);
      expect(a).toHaveLength(4);
      for (const ch of a) expect(CAPTCHA.alphabet).toContain(ch);
    }
  });
  it("is random: 200 draws are almost all different", () => {
    const seen = new Set(Array.from({ length: 200 }, () => captchaAnswer(randomInt)));
    expect(seen.size).toBeGreaterThan(190);
  });
  it("renders a small self-contained SVG of paths only, no script", () => {
    const svg = renderCaptchaSvg("AC3D", randomInt);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).not.toMatch(/<script|on\w+=|href=/i);
    expect(paths(svg).length).toBeGreaterThanOrEqual(4 + 12);
    expect(svg.length).toBeLessThan(6000);
  });
  it("draws every character of the alphabet", () => {
    for (const ch of CAPTCHA.alphabet) expect(() => renderCaptchaSvg(ch.repeat(4), randomInt)).not.toThrow();
  });

  describe("over 1,000 captchas, the markup gives the answer away to no parser", () => {
    const samples = Array.from({ length: 1000 }, () => {
      const answer = captchaAnswer(randomInt);
      return { answer, ...renderCaptchaParts(answer, randomInt) };
    });

    it("has no text element, no answer substring, no upper-case letter, no id, class or group", () => {
      for (const { svg, answer } of samples) {
        expect(svg).not.toMatch(/<text|<tspan|<g[\s>]|<use|<defs|\sid=|\sclass=|transform=|font/);
        expect(svg).not.toContain(answer);
        // Path commands are relative (lower case): no answer letter appears anywhere.
        expect(svg).not.toMatch(/[A-Z]/);
      }
    });

    it("gives every path the same attributes, glyph or noise", () => {
      for (const { svg } of samples.slice(0, 100)) {
        const shapes = new Set(paths(svg).map((attrs) => [...attrs.matchAll(/(\S+)="/g)].map((m) => m[1]).join(",")));
        expect([...shapes]).toEqual(["d,stroke,stroke-width,fill,stroke-linecap,stroke-linejoin"]);
      }
    });

    it("emits the paths it reports, in that order", () => {
      for (const { svg, parts } of samples.slice(0, 100)) {
        expect(paths(svg).map((a) => a.match(/^d="([^"]+)"/)![1])).toEqual(parts.map((p) => p.d));
      }
    });

    it("does not follow the answer order: reading glyph paths in document order finds the answer at chance rate", () => {
      let inOrder = 0;
      let glyphFirst = 0;
      for (const { answer, parts } of samples) {
        const order: number[] = [];
        for (const p of parts) if (p.kind === "glyph" && !order.includes(p.index)) order.push(p.index);
        if (order.map((i) => answer[i]).join("") === answer) inOrder++;
        if (parts[0]!.kind === "glyph" && parts[0]!.index === 0) glyphFirst++;
      }
      // 4 glyphs: 1 in 24 orders by chance (about 42 of 1,000); the old markup scored 1,000.
      expect(inOrder).toBeLessThan(90);
      // The first path is as often noise or another glyph as the first glyph.
      expect(glyphFirst).toBeLessThan(400);
    });

    it("varies the number of paths per glyph, so counting paths does not tell glyphs apart", () => {
      const counts = new Set<number>();
      for (const { parts } of samples.filter((s) => s.answer.startsWith("A"))) {
        counts.add(parts.filter((p) => p.kind === "glyph" && p.index === 0).length);
      }
      expect(counts.size).toBeGreaterThan(1);
    });
  });
});
