import type { Context } from "hono";
import { gzipSync } from "node:zlib";
import { HTTPException } from "hono/http-exception";
import type { Deps } from "../deps.ts";
import type { FieldErrors } from "../lib/result.ts";
import { clientAddress } from "../lib/proxy.ts";
import type { BodyState } from "./body.ts";
import { type Session, getSession } from "./session.ts";
import { THEME_COLOR } from "./manifest.ts";
import { fmt } from "./views.ts";
import { CSRF_SLOT } from "./page-cache.ts";

export type Viewer = {
  account?: {
    id: string;
    phone: string;
    hasPassword: boolean;
    enterpriseId: string;
    enterpriseName: string;
    isProvider: boolean;
    certificationStatus: string;
  };
  admin?: { id: string; username: string; displayName: string; role: string };
};

export type AppEnv = {
  Variables: {
    session: Session;
    requestId: string;
    deps: Deps;
    viewer: Viewer;
    body: BodyState;
    /** Rendering for the anonymous page cache (web/page-cache.ts): forms get CSRF_SLOT, never a visitor's token. */
    cacheRender?: boolean;
    /** Answered by the page cache before the other middleware, with its X-Request-Id (web/page-cache.ts cachedPublicPages). */
    answeredEarly?: boolean;
  };
  Bindings: { incoming?: { socket?: { remoteAddress?: string } }; remoteAddr?: { hostname?: string } };
};
export type Ctx = Context<AppEnv>;

export function isHtmx(c: Ctx): boolean {
  return c.req.header("HX-Request") === "true";
}

/**
 * The client's address for rate limits and logs: the socket peer, or behind trusted proxies
 * (TRUST_PROXY) the first X-Forwarded-For entry left of them, never what the client wrote itself.
 */
export function clientIp(c: Ctx): string {
  const socket = c.env?.incoming?.socket?.remoteAddress ?? c.env?.remoteAddr?.hostname;
  return clientAddress(c.req.header("X-Forwarded-For"), socket, c.var.deps.config.trustProxy);
}

/** NUL characters never reach a use case: PostgreSQL text cannot hold them, and no form needs one. */
export const noNul = (v: string) => (v.includes("\u0000") ? v.replaceAll("\u0000", "") : v);

/**
 * The parsed body; a malformed one (a multipart body without its boundary, cut short, or not
 * multipart at all) is the client's error: 400, never a 500.
 */
async function parsedBody(c: Ctx, all: boolean) {
  try {
    return await c.req.parseBody({ all });
  } catch (err) {
    throw new HTTPException(400, { message: "Malformed form body", cause: err });
  }
}

/** The form fields of a POST as strings (files are read separately by upload routes). */
export async function formFields(c: Ctx): Promise<Record<string, string>> {
  const type = c.req.header("Content-Type") ?? "";
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) return {};
  const body = await parsedBody(c, false);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === "string") out[k] = noNul(v);
  }
  return out;
}

/** Every value of a repeated field (checkbox groups), strings only. */
export async function formList(c: Ctx, name: string): Promise<string[]> {
  const v = (await parsedBody(c, true))[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === "string").map(noNul);
}

/** The files chosen in a file input (empty inputs skipped), read into memory for the files service. */
export async function formUploads(c: Ctx, name: string): Promise<{ name: string; bytes: Uint8Array }[]> {
  const v = (await parsedBody(c, true))[name];
  const out: { name: string; bytes: Uint8Array }[] = [];
  for (const f of Array.isArray(v) ? v : v ? [v] : []) {
    if (f instanceof File && f.size > 0) out.push({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) });
  }
  return out;
}

/**
 * Characters a redirect target never needs and open-redirect tricks rely on: C0 and C1 controls
 * and DEL (browsers strip tabs and newlines, so `/\t/evil` becomes `//evil`), format characters
 * (soft hyphen, zero-width, bidi controls, the BOM), line and paragraph separators, variation
 * selectors, invisible fillers, and backslashes (browsers read `/\evil` as `//evil`).
 */
const UNSAFE_IN_TARGET = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Variation_Selector}\u115f\u1160\u3164\uffa0\\]|\u034f|\u17b4|\u17b5/u;

/** Resolves relative targets; any origin other than this one means "somewhere else". */
const SELF = "http://self.invalid";

/**
 * A user-supplied redirect target (`next`, `back`) made safe: it is resolved against our origin
 * and accepted only when it stays on it and the raw value has no control, invisible or bidi
 * characters and no backslash. The answer is the normalised path, query and fragment (ASCII,
 * percent-encoded), so it can never name another host; anything else gives `fallback`.
 */
export function safeNext(next: string | undefined, fallback: string): string {
  if (typeof next !== "string" || next === "" || next.length > 2048 || UNSAFE_IN_TARGET.test(next)) return fallback;
  let url: URL;
  try {
    url = new URL(next, SELF);
  } catch {
    return fallback;
  }
  if (url.origin !== SELF || url.username || url.password) return fallback;
  const target = url.pathname + url.search + url.hash;
  // `/.//evil` normalises to `//evil`, which a browser reads as another host.
  if (!target.startsWith("/") || target.startsWith("//")) return fallback;
  return target;
}

/** Pages shorter than this go uncompressed (as the compress middleware's threshold, in characters). */
const GZIP_MIN_CHARS = 1024;
/** zlib's level 4: most of level 6's ratio on HTML at about half its time. */
const GZIP_LEVEL = 4;

export type PageData = Record<string, unknown> & { title?: string; errors?: FieldErrors; values?: Record<string, string> };

/** Renders a full page (or a fragment for htmx) with the shared page context. */
export function render(c: Ctx, view: string, data: PageData = {}, status: 200 | 400 | 403 | 404 | 409 | 410 | 413 | 422 | 429 | 500 | 503 = 200) {
  const { deps } = c.var;
  // `page` is the shared page context in every template; a page number must travel as `pageNo`.
  if ("page" in data) throw new Error(`render(${view}): "page" is reserved for the page context; pass the page number as pageNo`);
  const session = getSession(c);
  const html = deps.views.render(view, {
    errors: {},
    values: {},
    ...data,
    page: {
      path: c.req.path,
      viewer: c.var.viewer ?? {},
      flash: session?.takeFlash(),
      csrf: () => (c.var.cacheRender ? CSRF_SLOT : session.csrfToken),
      asset: (name: string) => deps.assets.url(name),
      themeColor: THEME_COLOR,
      devSms: deps.config.devSmsOutbox,
    },
    fmt,
  });
  if (status >= 400) c.header("Cache-Control", "no-store");
  // Compressed here in one call rather than by the compress middleware's stream (a render is one
  // string; the stream cost a signed-in page more than its gzip). The page cache compresses its own.
  if (html.length >= GZIP_MIN_CHARS && !c.var.cacheRender && c.req.method !== "HEAD" && /\bgzip\b/.test(c.req.header("Accept-Encoding") ?? "")) {
    c.header("Content-Encoding", "gzip");
    c.header("Vary", "Accept-Encoding", { append: true });
    return c.body(gzipSync(html, { level: GZIP_LEVEL }) as Uint8Array<ArrayBuffer>, status, { "Content-Type": "text/html; charset=UTF-8" });
  }
  return c.html(html, status);
}

export function flash(c: Ctx, text: string, kind: "success" | "info" | "error" = "success") {
  getSession(c).update({ flash: { kind, text } });
}

/** Sends a stored upload as a download the browser will not sniff or cache. */
export function sendFile(
  c: Ctx,
  found: { file: { contentType: string; originalName: string }; bytes: Uint8Array },
  opts: { inline?: boolean; cache?: string } = {},
) {
  const ext = ({ "application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png" } as Record<string, string>)[found.file.contentType] ?? "bin";
  const disposition = opts.inline ? "inline" : "attachment";
  return c.body(found.bytes as Uint8Array<ArrayBuffer>, 200, {
    "Content-Type": found.file.contentType,
    "Content-Disposition": `${disposition}; filename="file.${ext}"; filename*=UTF-8''${encodeURIComponent(found.file.originalName)}`,
    "Cache-Control": opts.cache ?? "private, no-store",
    "X-Content-Type-Options": "nosniff",
  });
}

/**
 * A provider's server-to-server request (e-signature callbacks, payment notifications) as its
 * adapter verifies it: the raw body bytes, the headers with lower-case names, when it arrived.
 */
export async function providerRequest(c: Ctx): Promise<{ headers: Record<string, string>; rawBody: Uint8Array; receivedAt: Date }> {
  const rawBody = new Uint8Array(await c.req.arrayBuffer());
  const headers: Record<string, string> = {};
  c.req.raw.headers.forEach((value, key) => {
    headers[key.toLowerCase()] = value;
  });
  return { headers, rawBody, receivedAt: c.var.deps.clock.now() };
}
