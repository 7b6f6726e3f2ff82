/**
 * Renders the sample contract and its stamped copy and prints their SHA-256 as JSON: run under
 * Deno by tests/e2e/deno-pdf.test.ts, which compares the hashes with the same work done on Node.
 */
import { createHash } from "node:crypto";
import { pdfContractDocuments } from "../../src/adapters/pdf-contract-documents.ts";
import { sampleRender } from "./contract-samples.ts";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const { original, signed } = await sampleRender(pdfContractDocuments());
console.log(JSON.stringify({ original: sha256(original), signed: sha256(signed), bytes: original.length }));
