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

type Form = { action: string; fields: Map<string, string>; enums: Set<string>; multipart: boolean };

/**
 * The POST forms of a page: action and field names (hidden fields keep their values, e.g. _csrf),
 * which fields are choices (select, radio, checkbox: enum fields) and whether the form uploads files.
 */
function forms(html: string): Form[] {
  const out: Form[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const attrs = m[1]!;
    if (!/method="post"/i.test(attrs)) continue;
    const action = attrs.match(/action="(\/[^"]*)"/)?.[1]?.replace(/&amp;/g, "&");
    if (!action || SKIP.some((r) => r.test(action))) continue;
    const fields = new Map<string, string>();
    const enums = new Set<string>();
    for (const f of m[2]!.matchAll(/<(input|select|textarea|button)\b([^>]*)>/g)) {
      const [tag, a] = [f[1]!, f[2]!];
      const name = a.match(/name="([^"]+)"/)?.[1];
      if (!name) continue;
      if (tag === "select" || /type="(radio|checkbox)"/.test(a) || (tag === "button" && /value="/.test(a))) enums.add(name);
      if (tag === "button") continue;
      const hidden = /type="hidden"/.test(a);
      fields.set(name, hidden ? (a.match(/value="([^"]*)"/)?.[1] ?? "") : "");
    }
    out.push({ action, fields, enums, multipart: /enctype="multipart\/form-data"/i.test(attrs) });
  }
  return out;
}

/** Keys every object inherits: an enum check written as `value in {...}` takes them for members. */
const PROTOTYPE_KEYS = ["constructor", "__proto__", "toString"];
/** Page numbers that once reached SQL as Infinity or overflowed bigint. */
const HUGE_PAGES = ["1e400", "1e18"];
/** Redirect targets with control characters (browsers drop tabs and newlines: /\t/evil.example is //evil.example). */
const NEXT_TRICKS = ["/%09/evil.example", "/%0a/x", "/%0d%0a", "/%09/%09evil.example", "/%5C%5Cevil.example"];
const UPLOAD_LIMIT = 11 * 1024 * 1024;

/** A Location header that a browser could take off-site or that carries control characters. */
function unsafeLocation(location: string): boolean {
  if (/[\u0000-\u001f\u007f\\]/.test(location)) return true;
  const url = new URL(location, "http://localhost");
  return url.origin !== "http://localhost";
}

const HOSTILE = [
  "",
  "<script>alert(1)</script>",
  "'; drop table accounts; --",
  "%00\u0000",
  "９".repeat(20),
  "x".repeat(6000),
  "-1",
  "1e309",
  "2020-13-45",
];

/** A path with its ids replaced: one route, whichever record it shows. */
const route = (path: string) => path.replace(new RegExp(UUID.source, "gi"), ":id");

/** The same page with hostile query strings (huge page numbers once per route), and with its id malformed or unknown. */
function variants(path: string, hugePages: boolean): string[] {
  const [base] = path.split("?") as [string];
  const out = [
    ...(hugePages ? HUGE_PAGES.map((p) => `${base}?page=${p}`) : []),
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
  it.each(visitors)(
    "%s: every linked page, with hostile queries and bad ids",
    async (who, open, starts) => {
      const b = await open();
      const visited = await crawl(b, starts);
      const errors = [...visited].filter(([, status]) => status >= 500);
      expect(errors).toEqual([]);
      // The crawl reached beyond the start pages (finance has nothing of its own before ordering lands).
      expect(visited.size).toBeGreaterThan(who === "finance" ? 0 : starts.length + 3);

      const bad: string[] = [];
      // Lists clamp any page number: a page that answers 200 answers 200 with page=1e400 and page=1e18 too.
      const unclamped: string[] = [];
      const bases = new Set([...visited.keys()].map((p) => p.split("?")[0]!));
      const routes = new Set<string>();
      for (const base of bases) {
        const firstOfRoute = !routes.has(route(base));
        routes.add(route(base));
        for (const v of variants(base, firstOfRoute)) {
          const res = await b.get(v);
          await res.arrayBuffer();
          if (res.status >= 500) bad.push(`${v} -> ${res.status}`);
          else if (visited.get(base) === 200 && HUGE_PAGES.some((p) => v === `${base}?page=${p}`) && res.status !== 200)
            unclamped.push(`${v} -> ${res.status}`);
        }
      }
      expect(bad).toEqual([]);
      expect(unclamped).toEqual([]);

      // Control characters in `next` never reach a Location header, nor send the browser off-site
      // (the start pages and every sign-in or registration page: where `next` is read from the query).
      const redirects: string[] = [];
      const nextPages = new Set(["/login", "/admin/login", ...[...bases].filter((p) => starts.includes(p) || /login|register/.test(p))]);
      for (const base of nextPages) {
        for (const trick of NEXT_TRICKS) {
          const path = `${base}?next=${trick}`;
          const res = await b.get(path);
          await res.arrayBuffer();
          const location = res.headers.get("Location");
          if (res.status >= 500 || (location && unsafeLocation(location))) redirects.push(`${path} -> ${res.status} ${location ?? ""}`);
        }
      }
      expect(redirects).toEqual([]);

      // Every POST form found on those pages, submitted with hostile values in each visible field.
      const seenForms = new Map<string, Form>();
      for (const base of bases) {
        const res = await b.get(base);
        if (!(res.headers.get("Content-Type") ?? "").includes("text/html")) {
          await res.arrayBuffer();
          continue;
        }
        for (const f of forms(b.lastHtml)) if (!seenForms.has(f.action)) seenForms.set(f.action, f);
      }
      const post = async (action: string, body: BodyInit, headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded" }) => {
        const res = await b.request(action, { method: "POST", body, headers: { Origin: "http://localhost", ...headers } });
        await res.arrayBuffer();
        return res;
      };
      const keep = (name: string) => name === "_csrf" || name === "captchaId";
      const failed: string[] = [];
      for (const [action, { fields }] of seenForms) {
        for (const value of HOSTILE) {
          const body = new URLSearchParams();
          for (const [name, v] of fields) body.set(name, keep(name) ? v : value);
          const res = await post(action, body);
          if (res.status >= 500) failed.push(`${action} [${value.slice(0, 20)}] -> ${res.status}`);
        }
      }
      expect(failed).toEqual([]);

      // The checks below run once per route (one product's edit form stands for all products').
      const formRoutes = new Map<string, Form>();
      for (const [action, f] of seenForms) if (!formRoutes.has(route(action))) formRoutes.set(route(action), f);

      // Prototype keys in every enum field (select, radio, checkbox, submit button value) of every form:
      // each field alone with one of the keys, then every field at once with each key.
      const prototypeFailures: string[] = [];
      for (const { action, fields, enums } of formRoutes.values()) {
        const tries: [string, Map<string, string>][] = [...enums].map((field, i) => [
          field,
          new Map([[field, PROTOTYPE_KEYS[i % PROTOTYPE_KEYS.length]!]]),
        ]);
        if (enums.size > 1) for (const key of PROTOTYPE_KEYS) tries.push(["all", new Map([...enums].map((f) => [f, key]))]);
        for (const [label, set] of tries) {
          const body = new URLSearchParams();
          for (const [name, v] of fields) if (!set.has(name)) body.set(name, v);
          for (const [name, v] of set) body.append(name, v);
          const res = await post(action, body);
          if (res.status >= 500) prototypeFailures.push(`${action} ${label}=${[...set.values()].join(",")} -> ${res.status}`);
        }
      }
      expect(prototypeFailures).toEqual([]);

      // `next` and `back` fields with control characters: no 5xx, no unsafe Location.
      const nextFailures: string[] = [];
      for (const { action, fields } of formRoutes.values()) {
        for (const name of ["next", "back"].filter((n) => fields.has(n))) {
          for (const trick of NEXT_TRICKS) {
            const body = new URLSearchParams();
            for (const [k, v] of fields) body.set(k, k === name ? decodeURIComponent(trick) : v);
            const res = await post(action, body);
            const location = res.headers.get("Location");
            if (res.status >= 500 || (location && unsafeLocation(location)))
              nextFailures.push(`${action} ${name}=${trick} -> ${res.status} ${location ?? ""}`);
          }
        }
      }
      expect(nextFailures).toEqual([]);

      // Upload forms: a body above the upload limit is refused with 413; a malformed multipart body with a 4xx.
      const uploadFailures: string[] = [];
      const big = new Uint8Array(UPLOAD_LIMIT + 512 * 1024);
      for (const { action, fields, multipart } of formRoutes.values()) {
        if (!multipart) continue;
        const csrf = fields.get("_csrf") ?? "";
        const boundary = "----crawl0123456789";
        const head = `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n`;
        big.fill(0);
        big.set(new TextEncoder().encode(head));
        const cases: [string, BodyInit, string, (s: number) => boolean][] = [
          ["oversized", big, `multipart/form-data; boundary=${boundary}`, (s) => s === 413],
          [
            "bad boundary",
            `--other\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n--other--\r\n`,
            `multipart/form-data; boundary=${boundary}`,
            (s) => s >= 400 && s < 500,
          ],
          ["no boundary", head, "multipart/form-data", (s) => s >= 400 && s < 500],
          ["truncated", head.slice(0, head.length - 30), `multipart/form-data; boundary=${boundary}`, (s) => s >= 400 && s < 500],
        ];
        for (const [what, body, type, expected] of cases) {
          const res = await post(action, body, { "Content-Type": type });
          if (!expected(res.status)) uploadFailures.push(`${action} ${what} -> ${res.status}`);
        }
      }
      expect(uploadFailures).toEqual([]);
      // A bounded walk of a few hundred requests per visitor; the budget allows for a busy 2-core machine.
    },
    180_000,
  );
});
