import { describe, expect, it } from "vitest";
import { plainText, renderMarkdown, safeHref } from "../../src/modules/content/markdown.ts";

/** Every tag the renderer may write; anything else in the output means raw markup got through. */
const ALLOWED_TAGS = new Set(["p", "br", "h2", "h3", "ul", "ol", "li", "strong", "em", "a"]);
function tagsOf(html: string): string[] {
  return [...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>/g)].map((m) => m[1]!.toLowerCase());
}
function expectOnlySafeTags(html: string) {
  expect(tagsOf(html).filter((t) => !ALLOWED_TAGS.has(t))).toEqual([]);
  // Every attribute the renderer writes is href, rel or start.
  for (const m of html.matchAll(/<[a-z0-9]+((?:\s+[^\s=>]+(?:="[^"]*")?)*)\s*>/g)) {
    const attrs = [...m[1]!.matchAll(/\s+([^\s=>]+)/g)].map((a) => a[1]!.split("=")[0]);
    expect(attrs.filter((a) => !["href", "rel", "start"].includes(a!))).toEqual([]);
  }
}

describe("renderMarkdown: the subset", () => {
  it("paragraphs are split by blank lines; a single line break is a <br>", () => {
    expect(renderMarkdown("第一段第一行\n第一段第二行\n\n第二段")).toBe("<p>第一段第一行<br>\n第一段第二行</p>\n<p>第二段</p>");
  });

  it("## and ### are headings h2 and h3; # and #### stay text", () => {
    expect(renderMarkdown("## 申领方式\n### 通用券")).toBe("<h2>申领方式</h2>\n<h3>通用券</h3>");
    expect(renderMarkdown("# 一级")).toBe("<p># 一级</p>");
    expect(renderMarkdown("#### 四级")).toBe("<p>#### 四级</p>");
    expect(renderMarkdown("##没有空格")).toBe("<p>##没有空格</p>");
  });

  it("unordered and ordered lists, with start number and continuation lines", () => {
    expect(renderMarkdown("- 通用券\n* 专项券")).toBe("<ul><li>通用券</li><li>专项券</li></ul>");
    expect(renderMarkdown("1. 注册\n2. 认证\n3. 申领")).toBe("<ol><li>注册</li><li>认证</li><li>申领</li></ol>");
    expect(renderMarkdown("3. 第三步\n4. 第四步")).toBe('<ol start="3"><li>第三步</li><li>第四步</li></ol>');
    expect(renderMarkdown("- 第一项\n  接着写\n- 第二项")).toBe("<ul><li>第一项 接着写</li><li>第二项</li></ul>");
    expect(renderMarkdown("说明：\n- 一\n- 二\n\n结尾")).toBe("<p>说明：</p>\n<ul><li>一</li><li>二</li></ul>\n<p>结尾</p>");
    expect(renderMarkdown("- 无序\n1. 有序")).toBe("<ul><li>无序</li></ul>\n<ol><li>有序</li></ol>");
  });

  it("bold and italic", () => {
    expect(renderMarkdown("服务券**不得转让**，*记名*申领")).toBe("<p>服务券<strong>不得转让</strong>，<em>记名</em>申领</p>");
    expect(renderMarkdown("***重点***")).toBe("<p><em><strong>重点</strong></em></p>");
    expect(renderMarkdown("- **通用券**：按划型")).toBe("<ul><li><strong>通用券</strong>：按划型</li></ul>");
  });

  it("links to http(s) and site-relative paths, with rel=noopener, emphasis allowed inside", () => {
    expect(renderMarkdown("见[管理办法](/news/p/voucher-measures)")).toBe('<p>见<a href="/news/p/voucher-measures" rel="noopener">管理办法</a></p>');
    expect(renderMarkdown("[官网](https://www.gxgeq.com/index)")).toBe('<p><a href="https://www.gxgeq.com/index" rel="noopener">官网</a></p>');
    expect(renderMarkdown("[HTTP](http://example.com/a?b=1&c=2)")).toBe('<p><a href="http://example.com/a?b=1&amp;c=2" rel="noopener">HTTP</a></p>');
    expect(renderMarkdown("[**加粗链接**](/me/quota)")).toBe('<p><a href="/me/quota" rel="noopener"><strong>加粗链接</strong></a></p>');
    // Emphasis never reaches into an href.
    expect(renderMarkdown("[a](/x*y*z) *b*")).toBe('<p><a href="/x*y*z" rel="noopener">a</a> <em>b</em></p>');
  });
});

describe("renderMarkdown: everything else is inert", () => {
  const hostile: [string, string][] = [
    ["script", "<script>alert(1)</script>"],
    ["img onerror", '<img src=x onerror="alert(1)">'],
    ["svg onload", "<svg/onload=alert(1)>"],
    ["iframe", '<iframe src="javascript:alert(1)"></iframe>'],
    ["javascript link", "[点我](javascript:alert%281%29)"],
    ["javascript link with parentheses", "[点我](javascript:alert(1))"],
    ["JavaScript upper case", "[点我](JaVaScRiPt:alert%281%29)"],
    ["data link", "[点我](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"],
    ["vbscript link", "[点我](vbscript:msgbox)"],
    ["protocol-relative link", "[点我](//evil.example/x)"],
    ["backslash link", "[点我](/\\evil.example/x)"],
    ["attribute break-out in link", '[点我](https://a.example/"onmouseover="alert(1))'],
    ["html inside link text", "[<b onclick=alert(1)>x</b>](/ok)"],
    ["entity-encoded script", "&lt;script&gt;alert(1)&lt;/script&gt;"],
    ["numeric entity javascript", "[x](&#106;avascript:alert(1))"],
    ["markdown image", "![x](https://a.example/x.png)"],
    ["tab inside scheme", "[x](java\tscript:alert%281%29)"],
    ["heading with html", "## <script>alert(1)</script>"],
    ["list with html", "- <img src=x onerror=alert(1)>"],
    ["unclosed bold", "**没有闭合"],
    ["unclosed italic", "*没有闭合"],
    ["nested markers", "**a *b* c**"],
    ["crossed markers", "*a **b* c**"],
    ["unclosed link", "[没有闭合(/x"],
    ["nested link", "[外[内](/a)](/b)"],
  ];
  for (const [name, src] of hostile) {
    it(`${name}: only the renderer's own tags and attributes`, () => {
      const html = renderMarkdown(src);
      expectOnlySafeTags(html);
      expect(html).not.toMatch(/<(script|img|svg|iframe|b)\b/i);
      expect(html).not.toMatch(/href="(?!https?:\/\/|\/[^/\\])/i);
      expect(html).not.toMatch(/<[^>]*\son[a-z]+\s*=/i);
    });
  }

  it("raw HTML and entities are escaped, so they show as typed", () => {
    expect(renderMarkdown("<script>alert(1)</script>")).toBe("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
    expect(renderMarkdown('<img src=x onerror="alert(1)">')).toBe("<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</p>");
    expect(renderMarkdown("&lt;b&gt; &amp; 'x'")).toBe("<p>&amp;lt;b&amp;gt; &amp;amp; &#39;x&#39;</p>");
  });

  it("refused links stay literal text", () => {
    expect(renderMarkdown("[点我](javascript:alert%281%29)")).toBe("<p>[点我](javascript:alert%281%29)</p>");
    expect(renderMarkdown("[点我](data:text/html,x)")).toBe("<p>[点我](data:text/html,x)</p>");
    expect(renderMarkdown("[点我](//evil.example)")).toBe("<p>[点我](//evil.example)</p>");
  });

  it("a quote in a link stays inside the href attribute", () => {
    expect(renderMarkdown('[x](https://a.example/"onmouseover=alert)')).toBe(
      '<p><a href="https://a.example/&quot;onmouseover=alert" rel="noopener">x</a></p>',
    );
  });

  it("unclosed and nested markers stay literal and well-formed", () => {
    expect(renderMarkdown("**没有闭合")).toBe("<p>**没有闭合</p>");
    expect(renderMarkdown("*没有闭合")).toBe("<p>*没有闭合</p>");
    expect(renderMarkdown("**a *b* c**")).toBe("<p>**a <em>b</em> c**</p>");
    expect(renderMarkdown("*a **b* c**")).toBe("<p>*a *<em>b</em> c**</p>");
    expect(renderMarkdown("2 * 3 * 4")).toBe("<p>2 * 3 * 4</p>");
    expect(renderMarkdown("**跨\n行**")).toBe("<p>**跨<br>\n行**</p>");
  });

  it("is fast on large and adversarial input", () => {
    const started = performance.now();
    renderMarkdown("*a ".repeat(16_000));
    renderMarkdown("[".repeat(25_000) + "](".repeat(10_000));
    renderMarkdown("- 列表项**粗体**与[链接](/x)\n".repeat(2_000));
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("safeHref and plainText", () => {
  it("accepts http(s) and site paths only", () => {
    for (const ok of ["https://a.example", "http://a.example/x", "HTTPS://A.EXAMPLE", "/news", "/news/p/voucher-measures?x=1#y"])
      expect(safeHref(ok), ok).toBe(true);
    for (const bad of [
      "javascript:alert(1)",
      "data:text/html,x",
      "//a.example",
      "/\\a.example",
      "https:/a",
      "https:///a",
      "mailto:a@b.c",
      "news",
      "#top",
      " /x",
      "java\nscript:x",
      "",
    ]) {
      expect(safeHref(bad), bad).toBe(false);
    }
  });

  it("plainText strips the markers for an excerpt", () => {
    expect(plainText("## 标题\n\n- **粗体**和[链接](/x)", 50)).toBe("标题 粗体和链接");
    expect(plainText("一二三四五六", 3)).toBe("一二三…");
  });
});
