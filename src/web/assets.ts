import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export type Asset = { url: string; type: string; body: Uint8Array; gzip: Uint8Array };

const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

/** Static files served under content-hashed names, so they can be cached forever. */
const SOURCES: Record<string, { file: string; type: string }> = {
  "app.css": { file: root("static/app.css"), type: "text/css; charset=utf-8" },
  "htmx.js": { file: root("node_modules/htmx.org/dist/htmx.min.js"), type: "text/javascript; charset=utf-8" },
  "dialog.js": { file: root("static/dialog.js"), type: "text/javascript; charset=utf-8" },
  "logo.svg": { file: root("static/logo.svg"), type: "image/svg+xml" },
  "icon-maskable.svg": { file: root("static/icon-maskable.svg"), type: "image/svg+xml" },
};

export type Assets = { url(name: string): string; byPath: Map<string, Asset> };

export async function loadAssets(): Promise<Assets> {
  const byName = new Map<string, Asset>();
  const byPath = new Map<string, Asset>();
  for (const [name, src] of Object.entries(SOURCES)) {
    const body = new Uint8Array(await readFile(src.file));
    const hash = createHash("sha256").update(body).digest("hex").slice(0, 12);
    const dot = name.lastIndexOf(".");
    const url = `/static/${name.slice(0, dot)}.${hash}${name.slice(dot)}`;
    const asset = { url, type: src.type, body, gzip: new Uint8Array(gzipSync(body, { level: 9 })) };
    byName.set(name, asset);
    byPath.set(url, asset);
  }
  return {
    url(name) {
      const a = byName.get(name);
      if (!a) throw new Error(`unknown asset ${name}`);
      return a.url;
    },
    byPath,
  };
}
