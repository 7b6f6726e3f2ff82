/**
 * A small, safe Markdown subset for news and policies (see docs/content.md).
 *
 * The whole source is HTML-escaped FIRST; the subset is then recognised on the escaped text, so
 * nothing the author typed can become markup except the tags this file writes: p, br, h2, h3,
 * ul, ol, li, strong, em, and a with an http(s) or site-relative href and rel="noopener".
 * Pure and linear in the input size (every pattern is bounded or stops at its delimiter).
 */

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
const unescapeHtml = (s: string) => s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e]!);

/** An href the subset allows, judged on the real (unescaped) characters. */
export function safeHref(url: string): boolean {
  // Control characters and whitespace can hide a scheme from a naive check ("java\tscript:").
  if (/[\u0000-\u0020\u007f-\u009f]/.test(url)) return false;
  if (/^https?:\/\/[^/\\]/i.test(url)) return true;
  // Site-relative: one "/" and not "//" or "/\" (both mean another host to a browser).
  return /^\/(?![/\\])/.test(url);
}

// [text](url) on escaped text: no brackets inside the text, no parentheses or spaces in the url.
const LINK = /\[([^[\]\n]{1,500})\]\(([^()\s]{1,2000})\)/g;

function emphasis(s: string): string {
  return s.replace(/\*\*(?![\s*])([^*]{1,2000}?)(?<!\s)\*\*/g, "<strong>$1</strong>").replace(/\*(?![\s*])([^*]{1,2000}?)(?<!\s)\*/g, "<em>$1</em>");
}

/** Inline markup of one block of escaped text: links first, emphasis on the text around and inside them. */
function inline(escaped: string): string {
  let out = "";
  let last = 0;
  for (const m of escaped.matchAll(LINK)) {
    const [whole, text, href] = m as unknown as [string, string, string];
    if (!safeHref(unescapeHtml(href))) continue; // stays literal text
    out += `${emphasis(escaped.slice(last, m.index))}<a href="${href}" rel="noopener">${emphasis(text)}</a>`;
    last = m.index! + whole.length;
  }
  return out + emphasis(escaped.slice(last));
}

type Block = { type: "p"; lines: string[] } | { type: "h2" | "h3"; text: string } | { type: "ul" | "ol"; items: string[]; start: number };

const HEADING = /^(#{2,3}) +(.+)$/;
const BULLET = /^ {0,8}[-*] +(.+)$/;
const NUMBERED = /^ {0,8}(\d{1,9})[.)] +(.+)$/;

/** Markdown source -> safe HTML. */
export function renderMarkdown(source: string): string {
  const lines = escapeHtml(source.replace(/\r\n?/g, "\n")).split("\n");
  const blocks: Block[] = [];
  let current: Block | null = null;
  for (const raw of lines) {
    const line = raw.replace(/\s+$/, "");
    if (!line.trim()) {
      current = null;
      continue;
    }
    const h = line.match(HEADING);
    if (h) {
      blocks.push({ type: h[1]!.length === 2 ? "h2" : "h3", text: h[2]!.trim() });
      current = null;
      continue;
    }
    const bullet = line.match(BULLET);
    const numbered = bullet ? null : line.match(NUMBERED);
    if (bullet || numbered) {
      const type = bullet ? "ul" : "ol";
      const text = (bullet ? bullet[1] : numbered![2])!.trim();
      const open = current as Block | null;
      if (open && open.type === type) open.items.push(text);
      else {
        current = { type, items: [text], start: numbered ? Number(numbered[1]) : 1 };
        blocks.push(current);
      }
      continue;
    }
    if (current?.type === "ul" || current?.type === "ol") {
      // A line under a list item without a blank line continues that item.
      current.items[current.items.length - 1] += ` ${line.trim()}`;
      continue;
    }
    if (current?.type === "p") current.lines.push(line.trim());
    else {
      current = { type: "p", lines: [line.trim()] };
      blocks.push(current);
    }
  }
  return blocks
    .map((b) => {
      switch (b.type) {
        case "h2":
        case "h3":
          return `<${b.type}>${inline(b.text)}</${b.type}>`;
        case "ul":
        case "ol": {
          const start = b.type === "ol" && b.start !== 1 ? ` start="${b.start}"` : "";
          return `<${b.type}${start}>${b.items.map((i) => `<li>${inline(i)}</li>`).join("")}</${b.type}>`;
        }
        case "p":
          // Each line on its own so no inline marker spans a line break.
          return `<p>${b.lines.map(inline).join("<br>\n")}</p>`;
        default:
          return "";
      }
    })
    .join("\n");
}

/** Plain text of the source (for a list excerpt when no summary is given). */
export function plainText(source: string, max = 120): string {
  const text = source
    .replace(/\[([^[\]\n]+)\]\([^()\s]+\)/g, "$1")
    .replace(/^ {0,8}(#{2,3}|[-*]|\d{1,9}[.)]) +/gm, "")
    .replace(/\*+/g, "")
    .replace(/\s+/g, " ")
    .trim();
  const cs = [...text];
  return cs.length > max ? `${cs.slice(0, max).join("")}…` : text;
}
