/**
 * Field encryption port: sensitive personal data (ID numbers, bank account numbers) is sealed
 * before it reaches the database and opened after it is read. The Web Crypto adapter
 * (adapters/webcrypto-cipher.ts) implements it with AES-256-GCM and passes
 * tests/contract/cipher.contract.test.ts.
 */

/**
 * Where a sealed value belongs. The adapter binds the ciphertext to all three parts (additional
 * authenticated data), so a value copied to another column, table or owner does not open.
 */
export type FieldRef = {
  table: string;
  column: string;
  /** The owner the value belongs to (the enterprise id). */
  owner: string;
};

/** Why a sealed value was refused. */
export type UnreadableReason = "format" | "unknown_key" | "integrity";

/** A stored value that cannot be opened: malformed, sealed under a key no longer configured, or tampered with / moved. */
export class UnreadableField extends Error {
  constructor(
    public readonly field: Pick<FieldRef, "table" | "column">,
    public readonly reason: UnreadableReason,
    public readonly keyId: string | null,
  ) {
    super(`sealed value in ${field.table}.${field.column} refused (${reason}${keyId ? `, key ${keyId}` : ""})`);
    this.name = "UnreadableField";
  }
}

export interface FieldCipher {
  /** The id of the key new values are sealed with. */
  readonly currentKeyId: string;
  /** Seals a value with the current key and a fresh random IV; the key id travels inside the sealed text. */
  seal(value: string, field: FieldRef): Promise<string>;
  /** Opens a sealed value with whichever configured key sealed it. Throws UnreadableField. */
  open(sealed: string, field: FieldRef): Promise<string>;
  /** The id of the key a sealed value was sealed with, or null when it is not a sealed value. */
  keyIdOf(sealed: string): string | null;
  /**
   * A keyed hash (HMAC-SHA256 under a key derived from the current key, separate from the
   * encryption key) for equality lookups; values with the same purpose hash alike in any column.
   */
  keyedHash(value: string, purpose: string): Promise<string>;
  /** The hashes of a value under every configured key, to find rows hashed before a rotation. */
  lookupHashes(value: string, purpose: string): Promise<string[]>;
}
