/**
 * The key list of field encryption, as written in ENCRYPTION_KEYS and in the embedded default's
 * key file: `id1:base64key,id2:base64key`. Every key is 32 random bytes (AES-256); the first one
 * seals new values, all of them open old ones.
 */
export type FieldKey = { id: string; key: Uint8Array };

export const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** Reads a key list; throws an Error that names the problem (never the key). */
export function parseKeyList(text: string): FieldKey[] {
  const items = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!items.length) throw new Error("no key given (expected id:base64key[,id:base64key...])");
  const seen = new Set<string>();
  return items.map((item, i) => {
    const colon = item.indexOf(":");
    const id = colon > 0 ? item.slice(0, colon) : "";
    if (!KEY_ID.test(id)) throw new Error(`key ${i + 1}: expected id:base64key with an id of letters, digits, - or _ (at most 32)`);
    if (seen.has(id)) throw new Error(`key id ${id} appears twice`);
    seen.add(id);
    let key: Uint8Array;
    try {
      key = fromBase64(item.slice(colon + 1));
    } catch {
      throw new Error(`key ${id}: not valid base64`);
    }
    if (key.length !== 32) throw new Error(`key ${id}: must be 32 bytes (44 base64 characters), got ${key.length}`);
    return { id, key };
  });
}

export function formatKeyList(keys: FieldKey[]): string {
  return keys.map((k) => `${k.id}:${toBase64(k.key)}`).join(",");
}

/** Standard base64 (padding optional; the URL-safe alphabet is accepted too). */
export function fromBase64(s: string): Uint8Array<ArrayBuffer> {
  const std = s.trim().replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(std)) throw new Error("not base64");
  const bin = atob(std.padEnd(Math.ceil(std.length / 4) * 4, "="));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

export const toBase64Url = (bytes: Uint8Array) => toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
