import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Deps } from "../deps.ts";
import type { FieldErrors } from "../lib/result.ts";
import { type Session, getSession } from "./session.ts";
import { fmt } from "./views.ts";

export type Viewer = {
  account?: { id: string; phone: string; hasPassword: boolean; enterpriseId: string; enterpriseName: string; isProvider: boolean; certificationStatus: string };
  admin?: { id: string; username: string; displayName: string; role: string };
};

export type AppEnv = {
  Variables: { session: Session; requestId: string; deps: Deps; viewer: Viewer };
  Bindings: { incoming?: { socket?: { remoteAddress?: string } }; remoteAddr?: { hostname?: string } };
};
export type Ctx = Context<AppEnv>;

export function isHtmx(c: Ctx): boolean {
  return c.req.header("HX-Request") === "true";
}

export function clientIp(c: Ctx): string {
  if (c.var.deps.config.trustProxy) {
    const xff = c.req.header("X-Forwarded-For");
    if (xff) return xff.split(",")[0]!.trim();
  }
  return c.env?.incoming?.socket?.remoteAddress ?? c.env?.remoteAddr?.hostname ?? "unknown";
}

/** NUL characters never reach a use case: PostgreSQL text cannot hold them, and no form needs one. */
const noNul = (v: string) => (v.includes("\u0000") ? v.replaceAll("\u0000", "") : v);

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

/** Only same-site relative paths may be redirect targets. */
export function safeNext(next: string | undefined, fallback: string): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return fallback;
  return next;
}

export type PageData = Record<string, unknown> & { title?: string; errors?: FieldErrors; values?: Record<string, string> };

/** Renders a full page (or a fragment for htmx) with the shared page context. */
export function render(c: Ctx, view: string, data: PageData = {}, status: 200 | 400 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 503 = 200) {
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
      csrf: () => session.csrfToken,
      asset: (name: string) => deps.assets.url(name),
      devSms: deps.config.devSmsOutbox,
    },
    fmt,
  });
  if (status >= 400) c.header("Cache-Control", "no-store");
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
