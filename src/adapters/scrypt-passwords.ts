import { Buffer } from "node:buffer";
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import type { PasswordHasher } from "../ports/passwords.ts";

type Params = { logN: number; r: number; p: number };

/** OWASP's scrypt floor is N=2^17, r=8, p=1 (128 MiB); the default here uses 2^16 (64 MiB) per hash. */
export const PRODUCTION_SCRYPT: Params = { logN: 16, r: 8, p: 1 };

function derive(password: string, salt: Buffer, { logN, r, p }: Params): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFKC"), salt, 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** scrypt (memory-hard) password hashes, self-describing: scrypt$logN$r$p$salt$hash. */
export function scryptPasswords(params: Params = PRODUCTION_SCRYPT): PasswordHasher {
  return {
    async hash(password) {
      const salt = randomBytes(16);
      const key = await derive(password, salt, params);
      return ["scrypt", params.logN, params.r, params.p, salt.toString("base64url"), key.toString("base64url")].join("$");
    },
    async verify(password, stored) {
      const parts = stored.split("$");
      if (parts.length !== 6 || parts[0] !== "scrypt") return false;
      const [, logN, r, p, salt, hash] = parts as [string, string, string, string, string, string];
      const expected = Buffer.from(hash, "base64url");
      const key = await derive(password, Buffer.from(salt, "base64url"), {
        logN: Number(logN),
        r: Number(r),
        p: Number(p),
      });
      return key.length === expected.length && timingSafeEqual(key, expected);
    },
  };
}
