import { type FieldKey, fromBase64, toBase64Url } from "../lib/field-keys.ts";
import { type FieldCipher, type FieldRef, UnreadableField } from "../ports/crypto.ts";

/**
 * FieldCipher on the Web Crypto API (`crypto.subtle`: the same on Node and Deno).
 *
 * Sealed text: `v1.<key id>.<iv>.<ciphertext and tag>` (base64url parts). AES-256-GCM with a
 * random 96-bit IV per value and a 128-bit tag; the additional authenticated data is the table,
 * column and owner of the value, so a ciphertext copied into another field or onto another
 * enterprise fails authentication. Keyed hashes: `h1.<key id>.<HMAC-SHA256>`, under an HMAC key
 * derived from each key with HKDF-SHA256 (never the AES key itself).
 */
const VERSION = "v1";
const HASH_VERSION = "h1";
const SEALED = /^v1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

type Loaded = { id: string; aes: CryptoKey; hmac: CryptoKey };

const aad = (f: FieldRef) => encoder.encode(`gxv-field-v1\u0000${f.table}\u0000${f.column}\u0000${f.owner}`);

async function load(k: FieldKey): Promise<Loaded> {
  const raw = new Uint8Array(k.key);
  const aes = await crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
  const ikm = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"]);
  const hmac = await crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode("gxv field lookup hash v1") },
    ikm,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign"],
  );
  return { id: k.id, aes, hmac };
}

export type CipherOptions = {
  /** Told of every refused value (for the log: field, reason and key id, never the value). */
  onRefused?: (err: UnreadableField) => void;
};

export async function webCryptoCipher(keys: FieldKey[], options: CipherOptions = {}): Promise<FieldCipher> {
  if (!keys.length) throw new Error("field encryption needs at least one key");
  const loaded = await Promise.all(keys.map(load));
  const byId = new Map(loaded.map((k) => [k.id, k]));
  const current = loaded[0]!;
  const refuse = (err: UnreadableField): never => {
    options.onRefused?.(err);
    throw err;
  };

  const hashWith = async (k: Loaded, value: string, purpose: string) => {
    const mac = await crypto.subtle.sign("HMAC", k.hmac, encoder.encode(`${purpose}\u0000${value}`));
    return `${HASH_VERSION}.${k.id}.${toBase64Url(new Uint8Array(mac))}`;
  };

  return {
    currentKeyId: current.id,

    async seal(value, field) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad(field), tagLength: 128 }, current.aes, encoder.encode(value));
      return `${VERSION}.${current.id}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ct))}`;
    },

    async open(sealed, field) {
      const m = SEALED.exec(sealed);
      if (!m) return refuse(new UnreadableField(field, "format", null));
      const k = byId.get(m[1]!);
      if (!k) return refuse(new UnreadableField(field, "unknown_key", m[1]!));
      let iv: Uint8Array<ArrayBuffer>;
      let ct: Uint8Array<ArrayBuffer>;
      try {
        iv = fromBase64(m[2]!);
        ct = fromBase64(m[3]!);
      } catch {
        return refuse(new UnreadableField(field, "format", k.id));
      }
      try {
        const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad(field), tagLength: 128 }, k.aes, ct);
        return decoder.decode(plain);
      } catch {
        return refuse(new UnreadableField(field, "integrity", k.id));
      }
    },

    keyIdOf(sealed) {
      return SEALED.exec(sealed)?.[1] ?? null;
    },

    keyedHash(value, purpose) {
      return hashWith(current, value, purpose);
    },

    lookupHashes(value, purpose) {
      return Promise.all(loaded.map((k) => hashWith(k, value, purpose)));
    },
  };
}
