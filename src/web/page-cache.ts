import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { MiddlewareHandler } from "hono";
import type { DataKind, VersionService } from "../modules/versions/service.ts";
import type { Cache } from "../ports/cache.ts";
import type { AppEnv, Ctx } from "./http.ts";
import { getSession } from "./session.ts";

/**
 * The anonymous page cache (docs/page-cache.md): a public page as every visitor without a session
 * sees it is rendered once per version of the data it shows and served from the cache port (memory
 * on the embedded default, Redis in production, so every instance shares a render), with an ETag
 * that answers If-None-Match with 304. A request with a session (signed in, or with anything kept
 * for it: a flash, a captcha pass) is never served from it nor stored in it.
 */
export type PageCache = {
  versions: VersionService;
  cache: Cache;
  /** This instance's own copy of recent renders, in front of the cache port (keys carry the versions, so it is never stale). */
  local: LocalRenders;
  /** Seconds a render is kept in the cache port. */
  ttlSeconds: number;
  /** The kinds of data of each address rendered lately (htmx headers + path + query), for the early answer (`cachedPublicPages`). */
  pages: Map<string, readonly DataKind[]>;
  now: () => number;
};

export type Render = { etag: string; html: string; gzip: Uint8Array };

/** In the HTML of a render for the cache, where the visitor's own CSRF token would be; never stored. */
export const CSRF_SLOT = "\u2063csrf-slot\u2063";

/** Renders keep for at most this long on top of their versions, so time-dependent texts (a minute's 平台数据) move on. */
const TIME_BUCKET_MS = 60_000;
const KEY_PREFIX = "page:v1:";

/** A small LRU of renders by key, bounded by entries and bytes. */
export class LocalRenders {
  #map = new Map<string, Render>();
  #bytes = 0;
  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {}
  get(key: string): Render | undefined {
    const hit = this.#map.get(key);
    if (hit) {
      this.#map.delete(key);
      this.#map.set(key, hit);
    }
    return hit;
  }
  set(key: string, r: Render) {
    const size = r.html.length * 2 + r.gzip.byteLength + key.length * 2;
    if (size > this.maxBytes) return;
    this.delete(key);
    this.#map.set(key, r);
    this.#bytes += size;
    while (this.#map.size > this.maxEntries || this.#bytes > this.maxBytes) {
      const oldest = this.#map.keys().next().value as string;
      this.delete(oldest);
    }
  }
  delete(key: string) {
    const r = this.#map.get(key);
    if (!r) return;
    this.#map.delete(key);
    this.#bytes -= r.html.length * 2 + r.gzip.byteLength + key.length * 2;
  }
  get size() {
    return this.#map.size;
  }
}

export function pageCache(opts: {
  versions: VersionService;
  cache: Cache;
  ttlSeconds?: number;
  now?: () => number;
  localEntries?: number;
  localMb?: number;
}): PageCache {
  return {
    versions: opts.versions,
    cache: opts.cache,
    local: new LocalRenders(opts.localEntries ?? 2_000, (opts.localMb ?? 64) * 1024 * 1024),
    ttlSeconds: opts.ttlSeconds ?? 120,
    pages: new Map(),
    now: opts.now ?? Date.now,
  };
}

const hashOf = (s: string) => createHash("sha1").update(s).digest("base64url").slice(0, 22);

function encodeRender(r: Render): string {
  return JSON.stringify({ e: r.etag, h: r.html, g: Buffer.from(r.gzip).toString("base64") });
}
function decodeRender(s: string): Render | null {
  try {
    const v = JSON.parse(s) as { e?: unknown; h?: unknown; g?: unknown };
    if (typeof v.e !== "string" || typeof v.h !== "string" || typeof v.g !== "string") return null;
    return { etag: v.e, html: v.h, gzip: new Uint8Array(Buffer.from(v.g, "base64")) };
  } catch {
    return null;
  }
}

/** True when an If-None-Match header names this ETag (or is `*`). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  const bare = etag.replace(/^W\//, "");
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === bare);
}

/** What every cached page's answer varies on: a signed-in visitor's cookie, the htmx fragment, the encoding. */
const VARY = "Cookie, HX-Request, HX-Target, Accept-Encoding";

/**
 * Route middleware of a public page that shows data of these kinds. Anonymous GETs are answered
 * from the cache when a render of the current versions exists, else rendered (CSRF_SLOT in place of
 * a token), stored and answered. Signed-in (or any session's) views are answered `private, no-store`.
 */
export function publicPage(kinds: readonly DataKind[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const pc = c.var.deps.pageCache;
    const session = getSession(c);
    if (session.data) {
      // A view of this visitor's own: no shared cache may keep it.
      c.header("Cache-Control", "private, no-store");
      // Accept-Encoding is added where the answer is compressed.
      c.header("Vary", "Cookie, HX-Request, HX-Target");
      return next();
    }
    if (!pc || c.req.method !== "GET") return next();
    const address = addressOf(c);
    const key = keyOf(pc, kinds, await pc.versions.current(), address);
    let hit = pc.local.get(key);
    // The memory cache lives in this process like `local`: renders are kept only there, so they never crowd out sessions.
    const shared = pc.cache.kind !== "memory";
    if (!hit && shared) {
      // The shared cache unreachable: render as if it had no copy (the page may still be served).
      const stored = await pc.cache.get(key).catch(() => null);
      const decoded = stored ? decodeRender(stored) : null;
      if (decoded) {
        hit = decoded;
        pc.local.set(key, decoded);
      }
    }
    if (hit) {
      // Held here now (from another instance's render or an earlier start): answered early from here on.
      remember(pc, address, kinds);
      return answer(c, hit);
    }

    c.set("cacheRender", true);
    await next();
    c.set("cacheRender", false);
    const res = c.res;
    if (res.status !== 200 || !/^text\/html/.test(res.headers.get("Content-Type") ?? "") || res.headers.has("Set-Cookie")) return;
    const html = await res.text();
    if (html.includes(CSRF_SLOT)) {
      // The page carries a form: this visitor's own token goes in, and no shared cache may keep it.
      c.res = new Response(html.replaceAll(CSRF_SLOT, session.csrfToken), res);
      c.res.headers.set("Cache-Control", "private, no-store");
      c.res.headers.set("Vary", VARY);
      return;
    }
    const render: Render = { etag: `"${hashOf(html)}"`, html, gzip: gzipSync(html, { level: 6 }) };
    pc.local.set(key, render);
    remember(pc, address, kinds);
    // A failed store only costs a later render.
    if (shared) await pc.cache.set(key, encodeRender(render), pc.ttlSeconds).catch(() => undefined);
    // Replaced, not merged: the render's own headers give way to the cached answer's.
    c.res = undefined;
    c.res = answer(c, render);
  };
}

/** The most addresses `pages` remembers (then it starts again: a forgotten one takes the full path once). */
const MAX_PAGES = 20_000;

function remember(pc: PageCache, address: string, kinds: readonly DataKind[]) {
  if (pc.pages.get(address) === kinds) return;
  if (pc.pages.size >= MAX_PAGES) pc.pages.clear();
  pc.pages.set(address, kinds);
}

/** What a render's key says of the request: the htmx headers, the path and the query as sent. */
function addressOf(c: Ctx): string {
  const url = c.req.url;
  const start = url.indexOf("/", url.indexOf("//") + 2);
  return `${c.req.header("HX-Request") === "true" ? 1 : 0}${c.req.header("HX-Target") ?? ""}:${start < 0 ? "/" : url.slice(start)}`;
}

function keyOf(pc: PageCache, kinds: readonly DataKind[], versions: Record<DataKind, number>, address: string): string {
  let stamp = "";
  for (const k of kinds) stamp += `${k}${versions[k]}.`;
  return `${KEY_PREFIX}${stamp}:${Math.floor(pc.now() / TIME_BUCKET_MS)}:${address}`;
}

/** A site session cookie (sid, or __Host-sid with secure cookies) in a Cookie header. */
const SITE_SESSION_COOKIE = /(?:^|;)\s*(?:__Host-)?sid=/;

/**
 * The early answer, before the other middleware: an anonymous GET (no site session cookie) of an
 * address whose current render this instance holds is answered here with the headers the full path
 * would give it (`extraHeaders`: the security headers, made once), skipping the session, CSRF,
 * body and viewer middleware, which would do nothing for it. Anything else goes the full path,
 * where `publicPage` decides.
 */
export function cachedPublicPages(extraHeaders: () => Promise<Record<string, string>>): MiddlewareHandler<AppEnv> {
  let extra: Record<string, string> | null = null;
  return async (c, next) => {
    const pc = c.var.deps.pageCache;
    if (!pc || c.req.method !== "GET" || SITE_SESSION_COOKIE.test(c.req.header("Cookie") ?? "")) return next();
    const address = addressOf(c);
    const kinds = pc.pages.get(address);
    if (!kinds) return next();
    const hit = pc.local.get(keyOf(pc, kinds, await pc.versions.current(), address));
    if (!hit) return next();
    extra ??= await extraHeaders();
    c.set("answeredEarly", true);
    return answer(c, hit, { ...extra, "X-Request-Id": c.var.requestId });
  };
}

function answer(c: Ctx, r: Render, extra?: Record<string, string>): Response {
  const headers: Record<string, string> = {
    ...extra,
    ETag: r.etag,
    // Anyone may keep it (the same for every visitor without a session), but must ask again each time (a 304 is cheap).
    "Cache-Control": "public, no-cache",
    Vary: VARY,
  };
  if (etagMatches(c.req.header("If-None-Match"), r.etag)) return new Response(null, { status: 304, headers });
  headers["Content-Type"] = "text/html; charset=UTF-8";
  if (/\bgzip\b/.test(c.req.header("Accept-Encoding") ?? "")) {
    headers["Content-Encoding"] = "gzip";
    return new Response(r.gzip as Uint8Array<ArrayBuffer>, { status: 200, headers });
  }
  return new Response(r.html, { status: 200, headers });
}
