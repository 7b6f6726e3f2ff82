import { createHmac } from "node:crypto";
import { randomToken, safeEqual } from "../lib/random.ts";
import type { Cache } from "../ports/cache.ts";

/**
 * CSRF tokens for visitors without a session (登录, 注册, 我要留言 before anything is kept):
 * a signed double-submit token, so a form can be shown without creating server state.
 *
 * The browser holds a random nonce in an HttpOnly cookie; the form carries
 * `day.HMAC(key of that day, nonce)`. A cross-site page can neither read the cookie nor compute
 * the MAC, and the token is worthless with another browser's cookie. Keys are per day (a token
 * lives one to two days), made by the first instance that needs one and shared through the
 * cache, so every instance accepts every other's tokens; each instance keeps the keys it read.
 */
const DAY_MS = 86_400_000;
const KEY_TTL_SECONDS = 3 * 86_400;

export type CsrfKeys = {
  /** The key of a day (creating it when no instance did yet). */
  key(day: number): Promise<string>;
  today(): number;
};

export function csrfKeys(cache: Cache, now: () => number): CsrfKeys {
  const known = new Map<number, string>();
  return {
    today: () => Math.floor(now() / DAY_MS),
    async key(day) {
      const mine = known.get(day);
      if (mine) return mine;
      const name = `csrf-key:${day}`;
      const fresh = randomToken(32);
      await cache.setIfAbsent(name, fresh, KEY_TTL_SECONDS);
      const key = (await cache.get(name)) ?? fresh;
      known.set(day, key);
      for (const d of known.keys()) if (d < day - 2) known.delete(d);
      return key;
    },
  };
}

const mac = (key: string, nonce: string) => createHmac("sha256", key).update(`anon-csrf:${nonce}`).digest("base64url");

export function anonymousToken(key: string, day: number, nonce: string): string {
  return `${day}.${mac(key, nonce)}`;
}

/** True when `sent` was made for this browser's nonce today or yesterday. */
export async function checkAnonymousToken(keys: CsrfKeys, sent: string, nonce: string | undefined): Promise<boolean> {
  if (!nonce || !/^[A-Za-z0-9_-]{43}$/.test(nonce)) return false;
  const m = /^(\d{1,9})\.([A-Za-z0-9_-]{43})$/.exec(sent);
  if (!m) return false;
  const day = Number(m[1]);
  const today = keys.today();
  if (day !== today && day !== today - 1) return false;
  return safeEqual(m[2]!, mac(await keys.key(day), nonce));
}

export const newNonce = () => randomToken(32);
