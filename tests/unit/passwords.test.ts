import { describe, expect, it } from "vitest";
import { scryptPasswords } from "../../src/adapters/scrypt-passwords.ts";

describe("scrypt password hashes", () => {
  const hasher = scryptPasswords({ logN: 10, r: 8, p: 1 });
  it("verifies the right password and refuses a wrong one", async () => {
    const h = await hasher.hash("Demo#2026");
    expect(await hasher.verify("Demo#2026", h)).toBe(true);
    expect(await hasher.verify("demo#2026", h)).toBe(false);
    expect(await hasher.verify("", h)).toBe(false);
  });
  it("salts every hash and records its parameters", async () => {
    const [a, b] = await Promise.all([hasher.hash("same-password"), hasher.hash("same-password")]);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$10\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
  });
  it("uses a memory-hard setting by default (64 MiB per hash)", async () => {
    const h = await scryptPasswords().hash("Demo#2026");
    const [, logN, r] = h.split("$");
    expect(128 * 2 ** Number(logN) * Number(r)).toBeGreaterThanOrEqual(64 * 1024 * 1024);
    // A hash made with other parameters still verifies: the parameters travel with it.
    expect(await hasher.verify("Demo#2026", h)).toBe(true);
  });
  it("refuses malformed stored values", async () => {
    expect(await hasher.verify("x", "")).toBe(false);
    expect(await hasher.verify("x", "bcrypt$foo")).toBe(false);
  });
});
