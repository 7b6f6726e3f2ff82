/**
 * The little of upstream fontkit 2 (which ships no types) that `pdf-contract-documents.ts` uses:
 * parsing a font for pdf-lib, its character coverage and the subset's `encode()`.
 */
declare module "fontkit" {
  export type FontkitSubset = { encode(): Uint8Array; encodeStream?: unknown };
  export type FontkitFont = { createSubset(): FontkitSubset; hasGlyphForCodePoint(codePoint: number): boolean };
  export function create(buffer: Uint8Array, postscriptName?: string): FontkitFont;
}
