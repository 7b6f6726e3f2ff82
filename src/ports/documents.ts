/**
 * The contract as a document: an agreed contract version rendered as a PDF (the bytes both parties
 * sign and whose SHA-256 the platform records), and, once both have signed, the same PDF with their
 * seals stamped at the signature block and a 签署信息 page appended. The pdf-lib adapter
 * (`adapters/pdf-contract-documents.ts`) implements it and passes
 * tests/contract/documents.contract.test.ts; see docs/signing-pdf.md.
 *
 * Both operations are deterministic: the same input gives the same bytes, so a hash recorded at
 * one render can be checked against another.
 */
import type { ContractContent } from "../modules/orders/domain.ts";

export interface ContractDocuments {
  /** The contract version as a PDF (A4, Chinese text, fonts embedded and subset). Same input, same bytes. */
  renderContract(input: ContractDocumentInput): Promise<Uint8Array>;
  /**
   * The rendered original with each party's seal drawn over its place in the signature block (the
   * original pages' content kept as it was, the seal drawn on top) and one 签署信息 page appended.
   * Refuses (throws) a PDF this port did not render, a `record.documentSha256` that is not the
   * original's, a party named twice or a party that has no place in the signature block.
   */
  stampSignatures(original: Uint8Array, signatures: readonly PartySignature[], record: SigningRecord): Promise<Uint8Array>;
  /**
   * Where each party's seal goes in a PDF this port rendered, for a provider that wants positions
   * when a sign flow is created (e签宝 `posPage`/`posX`/`posY`, 法大大 and 契约锁 likewise).
   * Empty for a PDF it did not render.
   */
  signatureFields(pdf: Uint8Array): Promise<SignatureField[]>;
  /**
   * The characters of these texts that the documents cannot draw (their fonts have no glyph for
   * them, e.g. emoji or rare CJK Extension B ideographs), each once, in order of appearance. A
   * contract form can refuse them while the text is still editable; `renderContract` and
   * `stampSignatures` throw `UnsupportedCharacters` rather than print a blank box in a contract.
   */
  unsupportedCharacters(texts: readonly string[]): Promise<string[]>;
}

/** Thrown for text with characters the documents cannot draw (see `unsupportedCharacters`). */
export class UnsupportedCharacters extends Error {
  constructor(public readonly characters: readonly string[]) {
    super(`the document's fonts cannot draw ${characters.map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`).join(" ")}`);
    this.name = "UnsupportedCharacters";
  }
}

export type SigningParty = "甲方" | "乙方";

export type ContractDocumentInput = {
  /** 订单编号. */
  number: string;
  /** The contract version's number (第N版). */
  version: number;
  content: ContractContent;
  /** The order's amounts, printed under 第四条 like the contract page does; omitted when absent. */
  amounts?: { deductionFen: number; selfPayFen: number; balanceFen: number } | null;
  /** The version's content hash (合同内容摘要) printed at the end, as on the contract page; omitted when absent. */
  contentSha256?: string | null;
  /** When the version was agreed: the PDF's creation and modification dates (so the bytes do not depend on the clock). */
  issuedAt: Date;
};

/**
 * A seal drawn as vector shapes (the shape of `sealLayout()` in modules/signing/seal-domain.ts, so
 * a layout can be passed as it is): coordinates in a square box `box` units wide with y growing
 * downwards (SVG's convention); the adapter scales the box to the seal's size on the page.
 */
export type SealDrawing = {
  box: number;
  /** A CSS hex colour, "#rrggbb". */
  color: string;
  ring: { cx: number; cy: number; r: number; strokeWidth: number };
  /** Filled polygon. */
  star: { points: readonly { x: number; y: number }[] };
  /** The name along the arc. */
  chars: readonly SealGlyph[];
  /** An optional horizontal line under the star (横向文). */
  label?: { chars: readonly SealGlyph[] } | null;
};

/**
 * One character of a seal: the centre of its em box (x, y), its rotation in degrees clockwise
 * (0 = upright), its font size (the em height, in box units) and its horizontal scale (1 if absent).
 */
export type SealGlyph = { char: string; x: number; y: number; rotate: number; size: number; squeeze?: number };

export type PartySignature = {
  party: SigningParty;
  /** The enterprise or provider that signed (its full name). */
  name: string;
  /** The person who signed for it, e.g. its legal representative, if known. */
  signer?: string | null;
  /** How the signer was identified, e.g. 人脸识别, if known. */
  verification?: string | null;
  signedAt: Date;
  seal: SealDrawing;
};

export type SigningRecord = {
  /** The e-signature provider's name as shown to people (e.g. 模拟电子签章服务). */
  provider: string;
  /** The provider's id of the sign flow. */
  flowId: string;
  /** SHA-256 (hex) of the original PDF; must match the bytes given. */
  documentSha256: string;
};

/** A seal's place: page number from 1, the square in PDF points from the page's lower-left corner. */
export type SignatureField = { party: SigningParty; page: number; x: number; y: number; size: number };
