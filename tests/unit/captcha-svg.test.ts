import { describe, expect, it } from "vitest";
import { captchaAnswer, renderCaptchaSvg } from "../../src/modules/identity/captcha-svg.ts";
import { CAPTCHA } from "../../src/modules/identity/domain.ts";
import { randomInt } from "../../src/lib/random.ts";

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
  it("renders a self-contained SVG with each character and noise, no script", () => {
    const svg = renderCaptchaSvg("AC3D", randomInt);
    expect(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"")).toBe(true);
    expect(svg).not.toMatch(/<script|on\w+=|href=/i);
    const glyphs = [...svg.matchAll(/<text[^>]*>([^<])<\/text>/g)].map((m) => m[1]);
    expect(glyphs).toEqual(["A", "C", "3", "D"]);
    expect((svg.match(/<path /g) ?? []).length).toBeGreaterThanOrEqual(4);
    expect(svg.length).toBeLessThan(6000);
  });
  it("does not print the answer as one readable string", () => {
    expect(renderCaptchaSvg("AC3D", randomInt)).not.toContain("AC3D");
  });
});
