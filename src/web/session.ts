import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Cache } from "../ports/cache.ts";
import { randomToken, safeEqual } from "../lib/random.ts";
import { type CsrfKeys, anonymousToken, checkAnonymousToken, csrfKeys, newNonce } from "./csrf.ts";

/**
 * Server-side sessions: a random opaque id (256 bits) in an HttpOnly, SameSite=Lax cookie,
 * the data in the cache port. Two realms with their own cookie and timeouts: the site
 * (public, enterprise and provider portals) and the admin portal.
 */
export type Realm = "site" | "admin";

export type SessionData = {
  csrf: string;
  createdAt: number;
  lastSeen: number;
  accountId?: string;
  adminId?: string;
  /** A graphic captcha solved when an SMS code was sent; valid for the follow-up form. */
  captchaPass?: { phone: string; purpose: string; until: number };
  /** Values typed into a form, kept across a POST -> redirect -> GET (no-JS 获取验证码). */
  draft?: { form: string; values: Record<string, string> };
  flash?: { kind: "success" | "info" | "error"; text: string };
  /** Staff past the password but not yet signed in: the second-factor code, or enrolment, comes next. */
  staffPending?: { adminId: string; step: "code" | "enrol"; until: number; next: string };
};

export type SessionTimeouts = { idleSeconds: number; absoluteSeconds: number };

const TOUCH_AFTER_MS = 60_000;

/**
 * The fields of a session, each stored as its own field of the session's hash in the cache. A
 * record over every key of SessionData, so a new key cannot be forgotten here (it would not be stored).
 */
const FIELD_SET: Record<keyof SessionData, true> = {
  csrf: true,
  createdAt: true,
  lastSeen: true,
  accountId: true,
  adminId: true,
  captchaPass: true,
  draft: true,
  flash: true,
  staffPending: true,
};
const FIELDS = Object.keys(FIELD_SET) as (keyof SessionData)[];
type Field = keyof SessionData;
const isField = (k: string): k is Field => Object.hasOwn(FIELD_SET, k);

/** The anonymous CSRF token of this browser (see web/csrf.ts), made on first use. */
export type AnonymousCsrf = { token(): string; check(sent: string): Promise<boolean> };

/**
 * One request's view of its session. Nothing is stored until something must be kept: a visitor
 * who only reads pages and shows forms has no session (forms carry the anonymous token). Changes
 * are written per field at the end of the request, so two concurrent requests of one session keep
 * each other's changes (a flash from one, a captcha pass from the other).
 */
export class Session {
  #data: SessionData | null;
  #id: string | null;
  /** The whole session is new (created or rotated): written in one piece. */
  #fresh = false;
  #changed = new Set<Field>();
  #cookieNeeded = false;
  #destroyedId: string | null = null;

  constructor(
    readonly realm: Realm,
    id: string | null,
    data: SessionData | null,
    private readonly now: () => number,
    private readonly anonymous: AnonymousCsrf = { token: () => "", check: async () => false },
  ) {
    this.#id = id;
    this.#data = data;
  }

  get data(): SessionData | null {
    return this.#data;
  }

  get id(): string | null {
    return this.#id;
  }

  /** Creates an anonymous session when there is none (something must be kept for this visitor). */
  ensure(): SessionData {
    if (!this.#data) {
      this.#id = randomToken(32);
      this.#data = { csrf: randomToken(32), createdAt: this.now(), lastSeen: this.now() };
      this.#fresh = true;
      this.#cookieNeeded = true;
    }
    return this.#data;
  }

  /** The token a form carries: the session's, or without a session the browser's anonymous one. */
  get csrfToken(): string {
    return this.#data?.csrf ?? this.anonymous.token();
  }

  /**
   * Whether a sent token is good: the session's own, or the anonymous one while nobody is signed
   * in (a form shown before the session existed). A signed-in session accepts only its own.
   */
  async checkCsrf(sent: string): Promise<boolean> {
    if (!sent) return false;
    const data = this.#data;
    if (data && safeEqual(sent, data.csrf)) return true;
    if (data?.accountId || data?.adminId) return false;
    return this.anonymous.check(sent);
  }

  update(patch: Partial<SessionData>): void {
    const data = this.ensure();
    for (const [k, v] of Object.entries(patch)) {
      if (!isField(k)) continue;
      if (v === undefined) delete data[k];
      else (data as Record<string, unknown>)[k] = v;
      this.#changed.add(k);
    }
  }

  remove(...keys: (keyof SessionData)[]): void {
    if (!this.#data) return;
    for (const k of keys) {
      if (!isField(k) || !(k in this.#data)) continue;
      delete this.#data[k];
      this.#changed.add(k);
    }
  }

  /** Takes the flash message (shown once). */
  takeFlash(): SessionData["flash"] {
    const f = this.#data?.flash;
    if (f) this.remove("flash");
    return f;
  }

  /** New id and new CSRF token at every sign-in, so a planted id is worthless. */
  rotate(patch: Partial<SessionData>): void {
    if (this.#id && this.#data && !this.#fresh) this.#destroyedId = this.#id;
    this.#id = randomToken(32);
    this.#data = { csrf: randomToken(32), createdAt: this.now(), lastSeen: this.now(), ...patch };
    this.#fresh = true;
    this.#changed.clear();
    this.#cookieNeeded = true;
  }

  destroy(): void {
    if (this.#id && !this.#fresh) this.#destroyedId = this.#id;
    this.#id = null;
    this.#data = null;
    this.#fresh = false;
    this.#changed.clear();
    this.#cookieNeeded = false;
  }

  /** @internal used by the middleware */
  touchIfStale(): void {
    if (this.#data && this.now() - this.#data.lastSeen > TOUCH_AFTER_MS) {
      this.#data.lastSeen = this.now();
      this.#changed.add("lastSeen");
    }
  }

  /** @internal: what to write. `fields` is the whole session when fresh, else the changed fields. */
  pending() {
    const data = this.#data;
    const set: Record<string, string> = {};
    const remove: string[] = [];
    if (data) {
      for (const k of this.#fresh ? FIELDS : this.#changed) {
        const v = data[k];
        if (v !== undefined) set[k] = JSON.stringify(v);
        else if (!this.#fresh) remove.push(k);
      }
    }
    return {
      fresh: this.#fresh,
      dirty: this.#fresh || this.#changed.size > 0,
      set,
      remove,
      cookieNeeded: this.#cookieNeeded,
      destroyedId: this.#destroyedId,
    };
  }
}

export function sessionKey(realm: Realm, id: string) {
  // A hash per session (one field per key); older whole-JSON sessions lived under `sess:`.
  return `session:${realm}:${id}`;
}

/** Reads a stored session hash; null when it lacks what every session has. */
function parseSession(hash: Record<string, string>): SessionData | null {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(hash)) {
    if (!isField(k)) continue;
    try {
      out[k] = JSON.parse(v);
    } catch {
      return null;
    }
  }
  const d = out as SessionData;
  if (typeof d.csrf !== "string" || typeof d.createdAt !== "number" || typeof d.lastSeen !== "number") return null;
  return d;
}

export type SessionOptions = {
  cache: Cache;
  site: SessionTimeouts;
  admin: SessionTimeouts;
  secureCookies: boolean;
  now?: () => number;
  /** Keys for the anonymous CSRF tokens; made from the cache when not given. */
  csrfKeys?: CsrfKeys;
};

export function cookieName(realm: Realm, secure: boolean) {
  const base = realm === "admin" ? "asid" : "sid";
  // __Host- cookies must be Secure and Path=/, so the admin realm uses __Secure- with its own path.
  if (!secure) return base;
  return realm === "admin" ? `__Secure-${base}` : `__Host-${base}`;
}

/** The cookie with the anonymous CSRF nonce (one for both realms). */
export function nonceCookieName(secure: boolean) {
  return secure ? "__Host-csrf" : "csrf";
}

export function realmOf(path: string): Realm {
  return path === "/admin" || path.startsWith("/admin/") ? "admin" : "site";
}

/** Loads the session of the request's realm and saves its changes after the handler ran. */
export function sessions(opts: SessionOptions): MiddlewareHandler {
  const now = opts.now ?? Date.now;
  const keys = opts.csrfKeys ?? csrfKeys(opts.cache, now);
  const nonceName = nonceCookieName(opts.secureCookies);
  return async (c, next) => {
    const realm = realmOf(c.req.path);
    const timeouts = realm === "admin" ? opts.admin : opts.site;
    const name = cookieName(realm, opts.secureCookies);
    const path = realm === "admin" ? "/admin" : "/";
    const id = getCookie(c, name) ?? null;
    let data: SessionData | null = null;
    if (id && /^[A-Za-z0-9_-]{43}$/.test(id)) {
      const hash = await opts.cache.hashGetAll(sessionKey(realm, id));
      if (hash) {
        const parsed = parseSession(hash);
        const t = now();
        if (parsed && t - parsed.createdAt < timeouts.absoluteSeconds * 1000 && t - parsed.lastSeen < timeouts.idleSeconds * 1000) {
          data = parsed;
        } else {
          await opts.cache.del(sessionKey(realm, id));
        }
      }
    }

    // The anonymous token is needed only while nobody is signed in; its key is read up front
    // because pages render synchronously.
    let nonce = getCookie(c, nonceName);
    if (nonce !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(nonce)) nonce = undefined;
    let nonceIssued = false;
    const day = keys.today();
    const anonymousKey = data?.accountId || data?.adminId ? null : await keys.key(day);
    const anonymous: AnonymousCsrf = {
      token() {
        if (!anonymousKey) return "";
        if (!nonce) {
          nonce = newNonce();
          nonceIssued = true;
        }
        return anonymousToken(anonymousKey, day, nonce);
      },
      check: (sent) => checkAnonymousToken(keys, sent, nonce),
    };

    const session = new Session(realm, data ? id : null, data, now, anonymous);
    c.set("session", session);
    await next();

    session.touchIfStale();
    const p = session.pending();
    if (p.destroyedId) await opts.cache.del(sessionKey(realm, p.destroyedId));
    let stored = true;
    if (session.data && session.id && p.dirty) {
      const remainingAbsolute = Math.ceil((session.data.createdAt + timeouts.absoluteSeconds * 1000 - now()) / 1000);
      const ttl = Math.max(1, Math.min(timeouts.idleSeconds, remainingAbsolute));
      const key = sessionKey(realm, session.id);
      if (p.fresh) await opts.cache.hashReplace(key, p.set, ttl);
      // Only the fields this request changed; a session ended meanwhile (logout elsewhere) stays ended.
      else stored = await opts.cache.hashUpdate(key, p.set, p.remove, ttl);
    }
    if (session.data && session.id && p.cookieNeeded) {
      setCookie(c, name, session.id, {
        path,
        httpOnly: true,
        sameSite: "Lax",
        secure: opts.secureCookies,
        // A browser-session cookie: closing the browser ends it; the server enforces the timeouts.
      });
    } else if ((!session.data || !stored) && (p.destroyedId || id)) {
      deleteCookie(c, name, { path, secure: opts.secureCookies });
    }
    if (nonceIssued && nonce) {
      setCookie(c, nonceName, nonce, { path: "/", httpOnly: true, sameSite: "Lax", secure: opts.secureCookies });
    }
  };
}
export function getSession(c: Context): Session {
  return c.get("session") as Session;
}
