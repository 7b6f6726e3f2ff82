import { createHash } from "node:crypto";

/**
 * The mock's signed document: the original PDF's bytes unchanged, followed by a signing record in
 * PDF comment lines and a repeated `startxref` / `%%EOF` that points at the original's cross-
 * reference table. A PDF reader ignores comments and reads the last `startxref`, so the signed file
 * opens exactly like the original; its bytes (and SHA-256) differ, and the record names the flow.
 *
 *   %MOCK-ESIGN-SIGNED v1 <base64url(JSON record)>
 *   % 签署完成: flow <id>, <n> signer(s), completed <ISO time>
 *   startxref
 *   <offset of the original's xref>
 *   %%EOF
 *
 * Verification (docs/signing.md "The mock as built"): bytes whose SHA-256 is that of a document the
 * mock signed are known and intact; bytes that carry a readable record of a flow the mock completed
 * but hash differently are known and not intact (modified after signing); anything else is unknown.
 */
export const RECORD_MARK = "%MOCK-ESIGN-SIGNED v1 ";

export type SigningRecord = {
  flowId: string;
  bizRef: string;
  originalSha256: string;
  completedAt: string;
  signers: { partyId: string; name: string; at: string }[];
};

export const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** True when the bytes start like a PDF (`%PDF-`). */
export const looksLikePdf = (bytes: Uint8Array) =>
  bytes.length > 5 && bytes[0] === 0x25 && bytes[1] === 0x50 && bytes[2] === 0x44 && bytes[3] === 0x46 && bytes[4] === 0x2d;

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");

/** The offset the original's last `startxref` names, if it has one. */
function lastStartXref(original: Uint8Array): string | undefined {
  const tail = latin1(original.subarray(Math.max(0, original.length - 2048)));
  const all = [...tail.matchAll(/startxref\s+(\d+)\s+%%EOF/g)];
  return all.at(-1)?.[1];
}

/** The original's bytes with the signing record appended. */
export function appendRecord(original: Uint8Array, record: SigningRecord): Uint8Array {
  const payload = Buffer.from(JSON.stringify(record), "utf8").toString("base64url");
  const xref = lastStartXref(original);
  const lines = [
    "",
    `${RECORD_MARK}${payload}`,
    `% 签署完成: flow ${record.flowId}, ${record.signers.length} signer(s), completed ${record.completedAt}`,
    ...(xref ? ["startxref", xref] : []),
    "%%EOF",
    "",
  ];
  const tail = Buffer.from(lines.join("\n"), "utf8");
  const out = new Uint8Array(original.length + tail.length);
  out.set(original, 0);
  out.set(tail, original.length);
  return out;
}

/** The signing record the bytes carry (the last one), if it can be read. */
export function readRecord(bytes: Uint8Array): SigningRecord | undefined {
  const text = latin1(bytes);
  const at = text.lastIndexOf(RECORD_MARK);
  if (at < 0) return undefined;
  const end = text.indexOf("\n", at);
  const payload = text.slice(at + RECORD_MARK.length, end < 0 ? undefined : end).trim();
  if (!/^[A-Za-z0-9_-]{1,20000}$/.test(payload)) return undefined;
  try {
    const r = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Partial<SigningRecord>;
    if (typeof r.flowId !== "string" || typeof r.originalSha256 !== "string") return undefined;
    return r as SigningRecord;
  } catch {
    return undefined;
  }
}
