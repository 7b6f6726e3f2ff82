import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { Browser } from "../support/client.ts";
import { signIn, signInAdmin } from "../support/flows.ts";

/**
 * "A 500 is a bug": every page reachable by links from each portal's start page, as each kind of
 * visitor, answers without a server error; so do the same pages with hostile query strings and
 * with ids that are malformed or unknown, and every POST form on them submitted with hostile
 * values. HTML pages are Chinese (`lang="zh-CN"`).
 */

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp({ demo: true });
});
afterAll(async () => t?.close());

const MAX_PAGES = 300;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
/** Links that end the session or only make sense once. */
const SKIP = [/^\/logout/, /^\/admin\/logout/, /^\/captcha\//];

function links(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/href="(\/[^"#]*)"/g)) {
    const href = m[1]!.replace(/&amp;/g, "&");
    if (href.startsWith("//") || href.startsWith("/static/") || SKIP.some((r) => r.test(href))) continue;
    out.push(href);
  }
  return out;
}

/** Breadth-first over same-site links from the start pages; returns every path visited with its status. */
async function crawl(b: Browser, starts: string[]): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  const queue = [...starts];
  while (queue.length && seen.size < MAX_PAGES) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    const res = await b.get(path);
    seen.set(path, res.status);
    const type = res.headers.get("Content-Type") ?? "";
    if (type.includes("text/html")) {
      expect(b.lastHtml, path).toContain('<html lang="zh-CN">');
      for (const l of links(b.lastHtml)) if (!seen.has(l)) queue.push(l);
    } else {
      await res.arrayBuffer();
    }
  }
  return seen;
}

/** The POST forms of a page: action and field names (hidden fields keep their values, e.g. _csrf). */
function forms(html: string): { action: string; fields: Map<string, string> }[] {
  const out: { action: string; fields: Map<string, string> }[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const attrs = m[1]!;
    if (!/method="post"/i.test(attrs)) continue;
    const action = attrs.match(/action="(\/[^"]*)"/)?.[1]?.replace(/&amp;/g, "&");
    if (!action || SKIP.some((r) => r.test(action))) continue;
    const fields = new Map<string, string>();
    for (const f of m[2]!.matchAll(/<(?:input|select|textarea)\b([^>]*)>/g)) {
      const name = f[1]!.match(/name="([^"]+)"/)?.[1];
      if (!name) continue;
      const hidden = /type="hidden"/.test(f[1]!);
      fields.set(name, hidden ? (f[1]!.match(/value="([^"]*)"/)?.[1] ?? "") : "");
    }
    out.push({ action, fields });
  }
  return out;
}

const HOSTILE = ["", "<script>alert(1)</script>", "'; drop table accounts; --", "%00\u0000", "９".repeat(20), "x".repeat(6000), "-1", "1e309", "2020-13-45"];

/** The same page with hostile query strings, and with its id malformed or unknown. */
function variants(path: string): string[] {
  const [base] = path.split("?") as [string];
  const out = [
    `${base}?page=-1`,
    `${base}?page=abc`,
    `${base}?page=999999`,
    `${base}?q=${encodeURIComponent("%_'\"<script>")}&status=nonsense&category=%00&kind=x&sort=drop`,
    `${base}?min=-5&max=abc&region=999999&deadline=2020-13-45`,
    `${base}?q=%00&status=%00&ref=%00&phone=%00`,
  ];
  if (UUID.test(base)) {
    out.push(base.replace(UUID, "not-a-uuid"), base.replace(UUID, "00000000-0000-4000-8000-000000000000"));
  }
  return out;
}

const visitors: [string, () => Promise<Browser>, string[]][] = [
  ["anonymous visitor", async () => new Browser(t), ["/", "/services", "/demands", "/news", "/messages/new", "/login", "/register"]],
  ["certified enterprise with vouchers and demands (1)", () => signIn(t, "13800000001"), ["/", "/me"]],
  ["enterprise awaiting certification (5)", () => signIn(t, "13800000005"), ["/", "/me"]],
  ["provider (7)", () => signIn(t, "13800000007"), ["/", "/me", "/provider"]],
  ["reviewer", () => signInAdmin(t, "reviewer"), ["/admin"]],
  ["finance", () => signInAdmin(t, "finance"), ["/admin"]],
  ["operator", () => signInAdmin(t, "operator"), ["/admin"]],
  // Last: its hostile posts to 工作人员管理 reset, disable or demote the other staff accounts.
  ["super admin", () => signInAdmin(t, "admin"), ["/admin"]],
];

describe("no server errors anywhere a visitor can go", () => {
  it.each(visitors)("%s: every linked page, with hostile queries and bad ids", async (who, open, starts) => {
    const b = await open();
    const visited = await crawl(b, starts);
    const errors = [...visited].filter(([, status]) => status >= 500);
    expect(errors).toEqual([]);
    // The crawl reached beyond the start pages (finance has nothing of its own before ordering lands).
    expect(visited.size).toBeGreaterThan(who === "finance" ? 0 : starts.length + 3);

    const bad: string[] = [];
    const bases = new Set([...visited.keys()].map((p) => p.split("?")[0]!));
    for (const base of bases) {
      for (const v of variants(base)) {
        const res = await b.get(v);
        await res.arrayBuffer();
        if (res.status >= 500) bad.push(`${v} -> ${res.status}`);
      }
    }
    expect(bad).toEqual([]);

    // Every POST form found on those pages, submitted with hostile values in each visible field.
    const seenForms = new Map<string, Map<string, string>>();
    for (const base of bases) {
      const res = await b.get(base);
      if (!(res.headers.get("Content-Type") ?? "").includes("text/html")) {
        await res.arrayBuffer();
        continue;
      }
      for (const f of forms(b.lastHtml)) if (!seenForms.has(f.action)) seenForms.set(f.action, f.fields);
    }
    const failed: string[] = [];
    for (const [action, fields] of seenForms) {
      for (const value of HOSTILE) {
        const body = new URLSearchParams();
        for (const [name, v] of fields) body.set(name, name === "_csrf" || name === "captchaId" ? v : value);
        const res = await b.request(action, { method: "POST", body, headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "http://localhost" } });
        await res.arrayBuffer();
        if (res.status >= 500) failed.push(`${action} [${value.slice(0, 20)}] -> ${res.status}`);
      }
    }
    expect(failed).toEqual([]);
  });
});
