/**
 * npm run bench:pages [-- --dev]
 *
 * Page weight of the public entry pages: boots the app in-process (start() from src/start.ts on the
 * embedded PGlite in a temporary DATA_DIR, NODE_ENV=production as deployed; --dev: development with
 * the demo data) and, for each page, fetches the HTML and every asset it links (stylesheets,
 * scripts, images and icons), each twice: without Accept-Encoding (raw bytes) and with
 * `Accept-Encoding: gzip` (the bytes the server actually sends a browser). Prints a markdown table.
 *
 * A first visit downloads everything; the /static assets are content-hashed and cached for a year
 * (immutable), so later pages cost only their HTML (and any captcha image).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildApp } from "../src/app.ts";
import { closeDeps } from "../src/compose.ts";
import { loadConfig } from "../src/config.ts";
import { start } from "../src/start.ts";

const PAGES = ["/", "/register", "/login", "/admin/login"];
const ORIGIN = "http://localhost";

const { values } = parseArgs({ options: { dev: { type: "boolean", default: false } } });

type Kind = "html" | "css" | "js" | "img";
type Size = { raw: number; gzip: number };
const KINDS: Kind[] = ["html", "css", "js", "img"];

function kindOf(contentType: string): Kind {
  if (contentType.startsWith("text/html")) return "html";
  if (contentType.startsWith("text/css")) return "css";
  if (/javascript/.test(contentType)) return "js";
  return "img";
}

/** Every same-origin resource a page makes the browser load right away. */
function linkedResources(html: string): string[] {
  const urls = new Set<string>();
  for (const m of html.matchAll(/<link\b[^>]*>/gi)) {
    const tag = m[0];
    if (!/\brel="(stylesheet|icon|preload|modulepreload)"/i.test(tag)) continue;
    const href = tag.match(/\bhref="([^"]+)"/i)?.[1];
    if (href) urls.add(href);
  }
  for (const m of html.matchAll(/<(?:script|img)\b[^>]*\bsrc="([^"]+)"/gi)) urls.add(m[1]!);
  return [...urls].filter((u) => u.startsWith("/") && !u.startsWith("//")).map((u) => u.replace(/&amp;/g, "&"));
}

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), "gxv-pages-"));
  // An explicit environment: DATABASE_URL / REDIS_URL of this shell are not used.
  const config = loadConfig(
    values.dev
      ? { NODE_ENV: "development", DATA_DIR: dataDir, LOG_LEVEL: "silent", DEMO_DATA: "true" }
      : {
          NODE_ENV: "production",
          DATA_DIR: dataDir,
          LOG_LEVEL: "silent",
          // A throw-away field encryption key: production refuses to start without one.
          ENCRYPTION_KEYS: `bench:${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`,
        },
  );
  const deps = await start(config);
  try {
    const app = buildApp(deps);
    const fetchBoth = async (path: string, cookie: string) => {
      const get = (gzip: boolean) =>
        app.request(ORIGIN + path, { headers: { ...(gzip ? { "Accept-Encoding": "gzip" } : {}), ...(cookie ? { Cookie: cookie } : {}) } });
      const plain = await get(false);
      if (plain.status !== 200) throw new Error(`GET ${path}: ${plain.status}`);
      const body = await plain.text();
      // app.request returns the app's own Response: the body is still compressed, as on the wire.
      const gz = await get(true);
      const gzip = (await gz.arrayBuffer()).byteLength;
      return {
        body,
        cookies: plain.headers.getSetCookie().map((c) => c.split(";")[0]!),
        kind: kindOf(plain.headers.get("Content-Type") ?? ""),
        size: { raw: new TextEncoder().encode(body).byteLength, gzip },
      };
    };

    const rows: Array<{ page: string; by: Record<Kind, Size>; count: Record<Kind, number> }> = [];
    for (const page of PAGES) {
      const by = Object.fromEntries(KINDS.map((k) => [k, { raw: 0, gzip: 0 }])) as Record<Kind, Size>;
      const count = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
      const doc = await fetchBoth(page, "");
      by.html.raw += doc.size.raw;
      by.html.gzip += doc.size.gzip;
      count.html++;
      // The session cookie the page set (a captcha image belongs to the session that asked for it).
      const cookie = doc.cookies.join("; ");
      for (const url of linkedResources(doc.body)) {
        const r = await fetchBoth(url, cookie);
        by[r.kind].raw += r.size.raw;
        by[r.kind].gzip += r.size.gzip;
        count[r.kind]++;
      }
      rows.push({ page, by, count });
    }

    const kb = (n: number) => (n / 1024).toFixed(1);
    const cell = (s: Size) => `${kb(s.raw)} / ${kb(s.gzip)}`;
    console.log(`Page weight in KB (1 KB = 1024 bytes), raw / gzip as sent, NODE_ENV=${config.env}${config.demoData ? " with demo data" : ""}.`);
    console.log("Columns per kind: total of the files of that kind the page loads (number of files).\n");
    console.log("| page | HTML | CSS | JS | images | total (first visit) |");
    console.log("|---|---:|---:|---:|---:|---:|");
    for (const r of rows) {
      const total = KINDS.reduce((t, k) => ({ raw: t.raw + r.by[k].raw, gzip: t.gzip + r.by[k].gzip }), { raw: 0, gzip: 0 });
      const cols = KINDS.map((k) => (k === "html" ? cell(r.by[k]) : `${cell(r.by[k])} (${r.count[k]})`));
      console.log(`| \`${r.page}\` | ${cols.join(" | ")} | ${cell(total)} |`);
    }
    console.log("\nExact bytes (raw / gzip):");
    for (const r of rows) {
      console.log(`  ${r.page.padEnd(13)} ${KINDS.map((k) => `${k} ${r.by[k].raw}/${r.by[k].gzip}`).join(", ")}`);
    }
  } finally {
    await closeDeps(deps);
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
