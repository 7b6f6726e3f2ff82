/**
 * Validation at the HTTP edge: every route's query, form and path parameters are parsed by a zod
 * schema before a use case sees them. Field-level rules live in the schema (enums, ids, lengths,
 * amounts); the domain keeps its cross-field rules.
 *
 * - `query(schema)`: filters and paging. Query schemas are lenient (each field `.catch()`es to its
 *   default), so a bad filter is ignored rather than refused; the parsed value is `c.req.valid("query")`.
 * - `form(schema, onInvalid)`: a POST form. On failure `onInvalid(c, errors, values)` re-renders the
 *   form with the Chinese messages beside each field (status 422 by convention); the parsed value is
 *   `c.req.valid("form")`.
 * - `params(schema)`: path parameters; a malformed id is a 404 (the record cannot exist).
 *
 * The building blocks below (`text`, `enumOf`, `uuid`, `pageNo`, `yuanFen` ...) carry Chinese messages.
 */
import { zValidator } from "@hono/zod-validator";
import type { Context, Env, MiddlewareHandler } from "hono";
import { z } from "zod";
import type { FieldErrors } from "../lib/result.ts";
import { readYuan } from "../lib/money.ts";
import { noNul } from "./http.ts";
import { MAX_PAGE, pageOf } from "../lib/paging.ts";

/** The highest page number any list accepts; larger numbers are clamped to it (lib/paging.ts). */
export { MAX_PAGE };

/** A form value as one string: a repeated field keeps its first value, a file is not text. */
const one = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);

/**
 * Text, trimmed, NULs dropped, line breaks as \n (a browser sends a textarea's as \r\n, which
 * would count twice against a length limit); empty becomes "".
 */
function asText(v: unknown): unknown {
  const x = one(v);
  if (x === undefined || x === null) return "";
  return typeof x === "string" ? noNul(x).replace(/\r\n?/g, "\n").trim() : x;
}

/** Characters as a person counts them (code points, so one emoji or rare character is one). */
const chars = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/**
 * Trimmed text of at most `max` characters. `required` gives the message for an empty value.
 * `label` words the length message: "{label}不能超过{max}个字" (`maxMessage` words it otherwise,
 * given the length typed). Lengths count characters, not UTF-16 units.
 */
export function text(opts: {
  max: number;
  label: string;
  required?: string;
  min?: number;
  minMessage?: string;
  maxMessage?: string | ((length: number) => string);
}) {
  const s = z.string({ error: `${opts.label}格式不正确` }).superRefine((v, ctx) => {
    const n = chars(v);
    if (opts.required && n === 0) ctx.addIssue({ code: "custom", message: opts.required });
    else if (opts.min && n < opts.min) ctx.addIssue({ code: "custom", message: opts.minMessage ?? `${opts.label}至少${opts.min}个字` });
    else if (n > opts.max) {
      const m = opts.maxMessage;
      ctx.addIssue({ code: "custom", message: typeof m === "function" ? m(n) : (m ?? `${opts.label}不能超过${opts.max}个字`) });
    }
  });
  return z.preprocess(asText, s);
}

/** Optional trimmed text (empty allowed), at most `max` characters. */
export const optionalText = (max: number, label: string) => text({ max, label });

/**
 * One of the keys of a label map (status -> 中文), checked as a z.enum: prototype keys such as
 * `constructor` or `__proto__` are not members.
 */
export function enumOf<K extends string>(labels: Readonly<Record<K, unknown>>, message: string) {
  const keys = Object.keys(labels) as [K, ...K[]];
  return z.preprocess(asText, z.enum(keys, { error: message }));
}

/** An optional choice: empty is `undefined`; anything else must be one of the label map's keys. */
export function optionalEnum<K extends string>(labels: Readonly<Record<K, unknown>>, message: string) {
  const keys = Object.keys(labels) as [K, ...K[]];
  return z.preprocess((v) => (asText(v) === "" ? undefined : asText(v)), z.enum(keys, { error: message }).optional());
}

/** One of a fixed list of values (codes, names) that is not a label map, e.g. city codes or industries. */
export function oneOf<V extends string>(values: readonly V[], message: string) {
  return z.preprocess(asText, z.enum(values as unknown as [V, ...V[]], { error: message }));
}

/** A filter in a query that must be one of a fixed list of values; anything else is ignored. */
export function oneOfFilter<V extends string>(values: readonly V[]) {
  return z.preprocess(asText, z.enum(values as unknown as [V, ...V[]]).optional()).catch(undefined);
}

/** An enum filter in a query: an unknown value is ignored (undefined). */
export function enumFilter<K extends string>(labels: Readonly<Record<K, unknown>>) {
  const keys = Object.keys(labels) as [K, ...K[]];
  return z.preprocess(asText, z.enum(keys).optional()).catch(undefined);
}

/**
 * A queue's status filter: absent means `fallback` (a queue opens on 待审核), an empty or unknown
 * value means every status ("").
 */
export function enumFilterOr<K extends string>(labels: Readonly<Record<K, unknown>>, fallback: K) {
  const filter = enumFilter(labels);
  return z
    .unknown()
    .optional()
    .transform((v): K | "" => (v === undefined ? fallback : (filter.parse(v) ?? "")));
}

/** Every value of a repeated field whose choices live in the database (checked by the domain): trimmed texts of at most `max` characters. */
export function textList(max: number, message: string) {
  return repeated(z.string({ error: message }).max(max, { error: message }), message);
}

/** Every value of a repeated field (checkbox group), each one of the label map's keys. */
export function enumList<K extends string>(labels: Readonly<Record<K, unknown>>, message: string) {
  return repeated(z.enum(Object.keys(labels) as [K, ...K[]], { error: message }), message);
}

/** A repeated field as a list of distinct non-empty values, each parsed by `item`, at most 100. */
function repeated<T>(item: z.ZodType<T>, message: string) {
  return z
    .preprocess(
      (v) => (v === undefined || v === "" ? [] : (Array.isArray(v) ? v : [v]).map(asText).filter((x) => x !== "")),
      z.array(item, { error: message }).max(100, { error: message }),
    )
    .transform((xs) => [...new Set(xs)]);
}

/** Every value of a repeated field of record ids (a checkbox group of rows), distinct, at most 100. */
export const uuidList = (message: string) => repeated(z.uuid({ error: message }), message);

/** A record id (UUID). */
export const uuid = (message = "记录不存在") => z.preprocess(asText, z.uuid({ error: message }));

/** An optional UUID in a query: anything else is ignored. */
export const uuidFilter = z.preprocess(asText, z.uuid().optional()).catch(undefined);

/** A page number: an integer 1..MAX_PAGE; anything else is page 1, and larger numbers are clamped. */
export const pageNo = z.preprocess((v) => pageOf(one(v)), z.number().int()); // a preprocess (not unknown().transform) so that a missing `page` is page 1, not an error

/** The paging part of every list query. */
export const paging = z.object({ page: pageNo });

/** A free-text search box in a query: trimmed, at most `max` characters (longer input is cut). */
export const searchText = (max = 100) =>
  z
    .preprocess((v) => {
      const t = asText(v);
      return typeof t === "string" ? t.slice(0, max) : "";
    }, z.string())
    .catch("");

/** A checkbox: present (any value) is true. */
export const checkbox = z.preprocess((v) => {
  const x = asText(v);
  return x !== "" && x !== undefined;
}, z.boolean());

/**
 * An amount typed in yuan, as integer fen (the project's one parser, lib/money.ts). Empty is
 * `undefined` unless `required` gives its message. `invalid`, when given, words every refusal of a
 * typed amount (format, negative, out of range) as one message.
 */
export function yuanFen(label: string, opts: { required?: string; minFen?: number; maxFen?: number; invalid?: string } = {}) {
  return z.preprocess(asText, z.string()).transform((raw, ctx): number | undefined => {
    const r = readYuan(raw);
    if ("fen" in r) {
      if (opts.minFen !== undefined && r.fen < opts.minFen) {
        ctx.addIssue({ code: "custom", message: opts.invalid ?? `${label}不能低于${opts.minFen / 100}元` });
        return z.NEVER;
      }
      if (opts.maxFen !== undefined && r.fen > opts.maxFen) {
        ctx.addIssue({ code: "custom", message: opts.invalid ?? `${label}不能超过${opts.maxFen / 100}元` });
        return z.NEVER;
      }
      return r.fen;
    }
    if (r.problem === "empty") {
      if (opts.required) ctx.addIssue({ code: "custom", message: opts.required });
      return opts.required ? z.NEVER : undefined;
    }
    const message =
      opts.invalid ??
      (r.problem === "negative" ? `${label}不能为负数` : r.problem === "too_large" ? `${label}不能超过10亿元` : `${label}应为金额（元），最多两位小数`);
    ctx.addIssue({ code: "custom", message });
    return z.NEVER;
  });
}

/** A date filter in a query (YYYY-MM-DD that exists); anything else is ignored. */
export const dateFilter = z.preprocess(asText, z.string().refine(isRealDate)).optional().catch(undefined);

function isRealDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const t = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
}

/** A calendar date typed as YYYY-MM-DD that exists. */
export function isoDate(message: string) {
  return z.preprocess(asText, z.string().refine(isRealDate, { error: message }));
}

/** Zod issues as the project's field errors: the first message per field ("_form" for the whole form). */
export function fieldErrors(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? String(issue.path[0]) : "_form";
    if (!(key in out)) out[key] = issue.message;
  }
  return out;
}

/** The raw form as strings (for re-rendering what was typed), files and repeated values left out. */
export function rawValues(data: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!data || typeof data !== "object") return out;
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    const x = one(v);
    if (typeof x === "string" && k !== "_csrf") out[k] = noNul(x).slice(0, 5000);
  }
  return out;
}

// The environment is inferred from `onInvalid` when it is annotated; otherwise it is the app's own
// (any), so `query(schema)` and `params(schema, ...)` fit every Hono app without a type argument.
type Invalid<E extends Env> = (c: Context<E>, errors: FieldErrors, values: Record<string, string>) => Response | Promise<Response>;

/** Parses the POST form with `schema`; on failure answers with `onInvalid` (the form again, 422). */
// biome-ignore lint/suspicious/noExplicitAny: the default environment when none can be inferred (see above)
export function form<S extends z.ZodType, E extends Env = any>(schema: S, onInvalid: Invalid<E>) {
  return zValidator("form", schema, async (result, c) => {
    if (!result.success) return onInvalid(c as unknown as Context<E>, fieldErrors(result.error), rawValues(result.data));
  }) as unknown as MiddlewareHandler<E, string, { in: { form: z.input<S> }; out: { form: z.output<S> } }>;
}

/** Parses the query with a lenient schema (fields `.catch()` to defaults), never refusing the request. */
// biome-ignore lint/suspicious/noExplicitAny: the default environment when none can be inferred (see above)
export function query<S extends z.ZodType, E extends Env = any>(schema: S) {
  return zValidator("query", schema, async (result, c) => {
    if (!result.success) {
      // A lenient schema cannot fail; if one does, treat the request as malformed rather than crash.
      return c.text("请求参数不正确", 400);
    }
  }) as unknown as MiddlewareHandler<E, string, { in: { query: Record<string, string | string[]> }; out: { query: z.output<S> } }>;
}

/** Parses path parameters; a malformed one answers `onInvalid` (by convention the 404 page). */
// biome-ignore lint/suspicious/noExplicitAny: the default environment when none can be inferred (see above)
export function params<S extends z.ZodType, E extends Env = any>(schema: S, onInvalid: (c: Context<E>) => Response | Promise<Response>) {
  return zValidator("param", schema, async (result, c) => {
    if (!result.success) return onInvalid(c as unknown as Context<E>);
  }) as unknown as MiddlewareHandler<E, string, { in: { param: Record<string, string> }; out: { param: z.output<S> } }>;
}
