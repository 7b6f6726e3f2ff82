import { describe, expect, it } from "vitest";
import { COVER_MAX_BYTES, checkCoverSvg, coverText } from "../../src/modules/products/cover-svg.ts";

const GOOD = `<?xml version="1.0" encoding="UTF-8"?>
<!-- drawn by hand -->
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 180" width="320" height="180">
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#0b5cad"/><stop offset="1" stop-color="#38a3e0"/></linearGradient></defs>
  <rect width="320" height="180" fill="url(#g)"/>
  <circle cx="160" cy="90" r="40" fill="none" stroke="#fff" stroke-width="8"/>
  <text x="160" y="170" text-anchor="middle" font-size="16" fill="#fff">数字化改造 &amp; 升级</text>
</svg>`;

const refused = (svg: string) => {
  const r = checkCoverSvg(svg);
  expect(r.ok, svg).toBe(false);
  return r.ok ? "" : r.message;
};

describe("product cover SVG allowlist", () => {
  it("accepts a plain drawing and rebuilds it without comments or declarations", () => {
    const r = checkCoverSvg(GOOD);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 180"')).toBe(true);
    expect(r.svg).not.toContain("<!--");
    expect(r.svg).not.toContain("<?xml");
    expect(r.svg).toContain('fill="url(#g)"');
    expect(r.svg).toContain("数字化改造 &amp; 升级");
    // The rebuilt document passes again unchanged.
    const again = checkCoverSvg(r.svg);
    expect(again).toEqual({ ok: true, svg: r.svg });
  });

  it("adds the SVG namespace when missing so browsers render it as an image", () => {
    const r = checkCoverSvg('<svg viewBox="0 0 10 10"><rect width="10" height="10"/></svg>');
    expect(r).toEqual({ ok: true, svg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>' });
  });

  it("refuses script, event handlers, links and foreign content", () => {
    expect(refused('<svg viewBox="0 0 1 1"><script>alert(1)</script></svg>')).toContain("<script>");
    expect(refused('<svg viewBox="0 0 1 1" onload="alert(1)"></svg>')).toContain("onload");
    expect(refused('<svg viewBox="0 0 1 1"><rect onclick="x()" width="1" height="1"/></svg>')).toContain("onclick");
    expect(refused('<svg viewBox="0 0 1 1"><a href="javascript:alert(1)"><rect/></a></svg>')).toContain("<a>");
    expect(refused('<svg viewBox="0 0 1 1"><use href="https://evil.example/x.svg#a"/></svg>')).toContain("<use>");
    expect(refused('<svg viewBox="0 0 1 1"><image href="x.png"/></svg>')).toContain("<image>");
    expect(refused('<svg viewBox="0 0 1 1"><foreignObject><div>x</div></foreignObject></svg>')).toContain("foreignObject");
    expect(refused('<svg viewBox="0 0 1 1" style="background:url(https://evil.example)"></svg>')).toContain("style");
    expect(refused('<svg viewBox="0 0 1 1"><animate attributeName="x"/></svg>')).toContain("animate");
    expect(refused('<svg viewBox="0 0 1 1"><set attributeName="onload" to="alert(1)"/></svg>')).toContain("set");
  });

  it("refuses external references hidden in presentation attributes, also when entity-encoded", () => {
    refused('<svg viewBox="0 0 1 1"><rect fill="url(https://evil.example/a.svg#p)"/></svg>');
    refused('<svg viewBox="0 0 1 1"><rect fill="url(&#104;ttps://evil.example/#p)"/></svg>');
    refused('<svg viewBox="0 0 1 1"><rect fill="&#106;avascript:alert(1)"/></svg>');
    refused('<svg viewBox="0 0 1 1"><rect fill="&bogus;"/></svg>');
  });

  it("refuses DOCTYPE, entities, CDATA and malformed markup", () => {
    expect(refused('<!DOCTYPE svg [<!ENTITY a "aaaaaaaa">]><svg viewBox="0 0 1 1"><text>&a;</text></svg>')).toContain("DOCTYPE");
    expect(refused('<svg viewBox="0 0 1 1"><text><![CDATA[<script>]]></text></svg>')).toContain("CDATA");
    refused('<svg viewBox="0 0 1 1"><rect width="1"></svg>');
    refused('<svg viewBox="0 0 1 1"><g></rect></g></svg>');
    refused('<svg viewBox="0 0 1 1"></svg><svg viewBox="0 0 1 1"></svg>');
    refused('<svg viewBox="0 0 1 1"><rect width=1 /></svg>');
    refused('<svg viewBox="0 0 1 1"><rect width="1" width="2"/></svg>');
    refused('<rect width="1"/>');
    refused("not an svg at all");
    refused("");
    refused('<svg viewBox="0 0 1 1" xmlns:xlink="http://www.w3.org/1999/xlink"></svg>');
    refused('<svg xmlns="http://www.w3.org/1999/xhtml" viewBox="0 0 1 1"></svg>');
  });

  it("refuses text outside text elements, missing viewBox, deep nesting and oversize files", () => {
    refused('<svg viewBox="0 0 1 1">hello</svg>');
    refused("<svg><rect/></svg>");
    refused(`<svg viewBox="0 0 1 1">${"<g>".repeat(30)}${"</g>".repeat(30)}</svg>`);
    const big = `<svg viewBox="0 0 1 1">${'<rect width="1" height="1"/>'.repeat(Math.ceil(COVER_MAX_BYTES / 28) + 1)}</svg>`;
    expect(refused(big)).toContain("20KB");
  });

  it("refuses character references to code points XML does not allow, with a message instead of a throw", () => {
    const bad = ["&#9999999;", "&#x110000;", "&#1114112;", "&#xD800;", "&#57343;", "&#0;", "&#x0;", "&#1;", "&#xFFFE;", "&#xFFFFFF;"];
    for (const ref of bad) {
      const inText = `<svg viewBox="0 0 1 1"><text>A${ref}B</text></svg>`;
      const inAttr = `<svg viewBox="0 0 1 1"><rect width="1" height="1" fill="#fff${ref}"/></svg>`;
      for (const svg of [inText, inAttr]) {
        let r: ReturnType<typeof checkCoverSvg> | undefined;
        expect(() => {
          r = checkCoverSvg(svg);
        }, svg).not.toThrow();
        expect(r!.ok, svg).toBe(false);
        if (!r!.ok) expect(r!.message).toContain("无效的字符引用");
      }
    }
  });

  it("still decodes valid character references at the edges of the ranges", () => {
    const r = checkCoverSvg('<svg viewBox="0 0 1 1"><text>&#x9;&#x10FFFF;&#xE000;&#xD7FF;&#x4E2D;&#65;</text></svg>');
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.svg).toContain("\t\u{10FFFF}\uE000\uD7FF中A");
  });

  it("reads only UTF-8 text", () => {
    expect(coverText(new TextEncoder().encode("<svg/>"))).toBe("<svg/>");
    expect(coverText(new Uint8Array([0xff, 0xfe, 0x00, 0x3c]))).toBeNull();
  });
});
