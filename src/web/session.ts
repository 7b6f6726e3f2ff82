import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Cache } from "../ports/cache.ts";
import { randomToken } from "../lib/random.ts";

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

export class Session {
  #data: SessionData | null;
  #id: string | null;
  #dirty = false;
  #cookieNeeded = false;
  #destroyedId: string | null = null;

  constructor(
    readonly realm: Realm,
    id: string | null,
    data: SessionData | null,
    private readonly now: () => number,
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

  /** Creates an anonymous session when there is none (a form needs a CSRF token). */
  ensure(): SessionData {
    if (!this.#data) {
      this.#id = randomToken(32);
      this.#data = { csrf: randomToken(32), createdAt: this.now(), lastSeen: this.now() };
      this.#dirty = true;
      this.#cookieNeeded = true;
    }
    return this.#data;
  }

  get csrfToken(): string {
    return this.ensure().csrf;
  }

  update(patch: Partial<SessionData>): void {
    Object.assign(this.ensure(), patch);
    this.#dirty = true;
  }

  remove(...keys: (keyof SessionData)[]): void {
    if (!this.#data) return;
    for (const k of keys) delete this.#data[k];
    this.#dirty = true;
  }

  /** Takes the flash message (shown once). */
  takeFlash(): SessionData["flash"] {
    const f = this.#data?.flash;
    if (f) this.remove("flash");
    return f;
  }

  /** New id and new CSRF token at every sign-in, so a planted id is worthless. */
  rotate(patch: Partial<SessionData>): void {
    if (this.#id && this.#data) this.#destroyedId = this.#id;
    this.#id = randomToken(32);
    this.#data = { csrf: randomToken(32), createdAt: this.now(), lastSeen: this.now(), ...patch };
    this.#dirty = true;
    this.#cookieNeeded = true;
  }

  destroy(): void {
    if (this.#id) this.#destroyedId = this.#id;
    this.#id = null;
    this.#data = null;
    this.#dirty = true;
  }

  /** @internal used by the middleware */
  touchIfStale(): void {
    if (this.#data && this.now() - this.#data.lastSeen > TOUCH_AFTER_MS) {
      this.#data.lastSeen = this.now();
      this.#dirty = true;
    }
  }

  /** @internal */
  pending() {
    return { dirty: this.#dirty, cookieNeeded: this.#cookieNeeded, destroyedId: this.#destroyedId };
  }
}

export function sessionKey(realm: Realm, id: string) {
  return `sess:${realm}:${id}`;
}

export type SessionOptions = {
  cache: Cache;
  site: SessionTimeouts;
  admin: SessionTimeouts;
  secureCookies: boolean;
  now?: () => number;
};

export function cookieName(realm: Realm, secure: boolean) {
  const base = realm === "admin" ? "asid" : "sid";
  // __Host- cookies must be Secure and Path=/, so the admin realm uses __Secure- with its own path.
  if (!secure) return base;
  return realm === "admin" ? `__Secure-${base}` : `__Host-${base}`;
}

export function realmOf(path: string): Realm {
  return path === "/admin" || path.startsWith("/admin/") ? "admin" : "site";
}

/** Loads the session of the request's realm and saves it after the handler ran. */
export function sessions(opts: SessionOptions): MiddlewareHandler {
  const now = opts.now ?? Date.now;
  return async (c, next) => {
    const realm = realmOf(c.req.path);
    const timeouts = realm === "admin" ? opts.admin : opts.site;
    const name = cookieName(realm, opts.secureCookies);
    const path = realm === "admin" ? "/admin" : "/";
    const id = getCookie(c, name) ?? null;
    let data: SessionData | null = null;
    if (id && /^[A-Za-z0-9_-]{43}$/.test(id)) {
      const raw = await opts.cache.get(sessionKey(realm, id));
      if (raw) {
        const parsed = JSON.parse(raw) as SessionData;
        const t = now();
        if (t - parsed.createdAt < timeouts.absoluteSeconds * 1000 && t - parsed.lastSeen < timeouts.idleSeconds * 1000) {
          data = parsed;
        } else {
          await opts.cache.del(sessionKey(realm, id));
        }
      }
    }
    const session = new Session(realm, data ? id : null, data, now);
    c.set("session", session);
    await next();

    session.touchIfStale();
    const p = session.pending();
    if (p.destroyedId) await opts.cache.del(sessionKey(realm, p.destroyedId));
    if (session.data && session.id && p.dirty) {
      const remainingAbsolute = Math.ceil((session.data.createdAt + timeouts.absoluteSeconds * 1000 - now()) / 1000);
      const ttl = Math.max(1, Math.min(timeouts.idleSeconds, remainingAbsolute));
      await opts.cache.set(sessionKey(realm, session.id), JSON.stringify(session.data), ttl);
    }
    if (session.data && session.id && p.cookieNeeded) {
      setCookie(c, name, session.id, {
        path,
        httpOnly: true,
        sameSite: "Lax",
        secure: opts.secureCookies,
        // A browser-session cookie: closing the browser ends it; the server enforces the timeouts.
      });
    } else if (!session.data && (p.destroyedId || id)) {
      deleteCookie(c, name, { path, secure: opts.secureCookies });
    }
  };
}

export function getSession(c: Context): Session {
  return c.get("session") as Session;
}
