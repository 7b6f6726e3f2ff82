import { describe, expect, it } from "vitest";
import { webCryptoCipher } from "../../src/adapters/webcrypto-cipher.ts";
import { type FieldKey, fromBase64 } from "../../src/lib/field-keys.ts";
import { type FieldCipher, type FieldRef, UnreadableField } from "../../src/ports/crypto.ts";

/**
 * The FieldCipher port's contract: every adapter (Web Crypto today; a KMS-backed one later)
 * passes it. `make(keys)` builds the adapter with a key list whose first key seals.
 */
const newKey = (id: string): FieldKey => ({ id, key: crypto.getRandomValues(new Uint8Array(32)) });
const adapters: [string, (keys: FieldKey[]) => Promise<FieldCipher>][] = [["webcrypto", (keys) => webCryptoCipher(keys)]];

const LEGAL: FieldRef = { table: "enterprise_certifications", column: "legal_id_number", owner: "e-1" };
const AGENT: FieldRef = { ...LEGAL, column: "agent_id_number" };
const ID = "11010519491231002X";

async function refusal(p: Promise<unknown>): Promise<UnreadableField> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnreadableField);
  return err as UnreadableField;
}

describe.each(adapters)("FieldCipher contract: %s", (_name, make) => {
  it("seals and opens, with a fresh IV each time and no trace of the value", async () => {
    const c = await make([newKey("k1")]);
    const a = await c.seal(ID, LEGAL);
    const b = await c.seal(ID, LEGAL);
    expect(a).not.toBe(b);
    expect(a).not.toContain(ID);
    expect(a).not.toContain(ID.slice(6, 14));
    expect(c.keyIdOf(a)).toBe("k1");
    expect(c.currentKeyId).toBe("k1");
    expect(await c.open(a, LEGAL)).toBe(ID);
    expect(await c.open(b, LEGAL)).toBe(ID);
    expect(await c.open(await c.seal("", LEGAL), LEGAL)).toBe("");
    expect(await c.open(await c.seal("广西·银行 6222", LEGAL), LEGAL)).toBe("广西·银行 6222");
  });

  it("uses a 96-bit IV per value", async () => {
    const c = await make([newKey("k1")]);
    const [, , iv] = (await c.seal(ID, LEGAL)).split(".");
    expect(fromBase64(iv!).length).toBe(12);
  });

  it("opens values sealed under an older key after a new key becomes the first", async () => {
    const k1 = newKey("k1");
    const old = await (await make([k1])).seal(ID, LEGAL);
    const rotated = await make([newKey("k2"), k1]);
    expect(rotated.currentKeyId).toBe("k2");
    expect(await rotated.open(old, LEGAL)).toBe(ID);
    const fresh = await rotated.seal(ID, LEGAL);
    expect(rotated.keyIdOf(fresh)).toBe("k2");
    // Once k1 is retired, its values are refused as sealed under an unknown key.
    const err = await refusal((await make([newKey("k2")])).open(old, LEGAL));
    expect(err.reason).toBe("unknown_key");
    expect(err.keyId).toBe("k1");
  });

  it("refuses a value moved to another column, table or owner", async () => {
    const c = await make([newKey("k1")]);
    const sealed = await c.seal(ID, LEGAL);
    expect((await refusal(c.open(sealed, AGENT))).reason).toBe("integrity");
    expect((await refusal(c.open(sealed, { ...LEGAL, table: "enterprise_bank_accounts" }))).reason).toBe("integrity");
    expect((await refusal(c.open(sealed, { ...LEGAL, owner: "e-2" }))).reason).toBe("integrity");
  });

  it("refuses a tampered value, another key's value under the same id, and what is not a sealed value", async () => {
    const c = await make([newKey("k1")]);
    const sealed = await c.seal(ID, LEGAL);
    const parts = sealed.split(".");
    const body = parts[3]!;
    const flipped = body.slice(0, 5) + (body[5] === "A" ? "B" : "A") + body.slice(6);
    expect((await refusal(c.open([...parts.slice(0, 3), flipped].join("."), LEGAL))).reason).toBe("integrity");
    const iv = parts[2]!;
    const otherIv = (iv[0] === "A" ? "B" : "A") + iv.slice(1);
    expect((await refusal(c.open([parts[0], parts[1], otherIv, body].join("."), LEGAL))).reason).toBe("integrity");
    expect((await refusal(c.open([...parts.slice(0, 3), body.slice(0, -4)].join("."), LEGAL))).reason).toBe("integrity");
    const impostor = await make([newKey("k1")]);
    expect((await refusal(impostor.open(sealed, LEGAL))).reason).toBe("integrity");
    for (const junk of [ID, "", "v1.k1", "v2.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA", `${sealed}.x`]) {
      expect((await refusal(c.open(junk, LEGAL))).reason).toBe("format");
    }
    expect(c.keyIdOf(ID)).toBeNull();
  });

  it("tells a listener of every refusal without the value", async () => {
    const refused: UnreadableField[] = [];
    const keys = [newKey("k1")];
    const c = await webCryptoCipher(keys, { onRefused: (e) => refused.push(e) });
    const sealed = await c.seal(ID, LEGAL);
    await refusal(c.open(sealed, AGENT));
    expect(refused).toHaveLength(1);
    expect(refused[0]!.field).toEqual({ table: LEGAL.table, column: AGENT.column, owner: LEGAL.owner });
    expect(refused[0]!.message).not.toContain(ID);
  });

  it("keyed hashes: equal for equal values and purpose, different otherwise, not the plain SHA-256, rotatable", async () => {
    const k1 = newKey("k1");
    const c = await make([k1]);
    const h = await c.keyedHash(ID, "id_number");
    expect(h).toBe(await c.keyedHash(ID, "id_number"));
    expect(h).not.toBe(await c.keyedHash("110105194912310021", "id_number"));
    expect(h).not.toBe(await c.keyedHash(ID, "account_number"));
    expect(h).not.toContain(ID);
    const plain = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(ID)));
    expect(h).not.toContain(btoa(String.fromCharCode(...plain)).slice(0, 20));
    // Another key hashes differently, so the hash key is secret too.
    expect(await (await make([newKey("k1")])).keyedHash(ID, "id_number")).not.toBe(h);
    // After a rotation the lookup hashes include the old key's, so rows not yet re-hashed are found.
    const rotated = await make([newKey("k2"), k1]);
    const lookups = await rotated.lookupHashes(ID, "id_number");
    expect(lookups).toHaveLength(2);
    expect(lookups).toContain(h);
    expect(lookups).toContain(await rotated.keyedHash(ID, "id_number"));
  });

  it("the hash key is derived, not the encryption key: the HMAC under the raw key differs", async () => {
    const k1 = newKey("k1");
    const c = await make([k1]);
    const raw = await crypto.subtle.importKey("raw", new Uint8Array(k1.key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", raw, new TextEncoder().encode(`id_number\u0000${ID}`)));
    const b64url = btoa(String.fromCharCode(...mac))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    expect(await c.keyedHash(ID, "id_number")).not.toContain(b64url);
  });
});
