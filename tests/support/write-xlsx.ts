/**
 * Writes the sample XLSX and prints its SHA-256 and size as JSON: run under Deno by
 * tests/e2e/deno-xlsx.test.ts, which compares them with the same sheet written on Node.
 */
import { createHash } from "node:crypto";
import { xlsxSpreadsheets } from "../../src/adapters/xlsx-writer.ts";
import { sampleXlsx } from "./exports.ts";

const bytes = sampleXlsx(xlsxSpreadsheets());
console.log(JSON.stringify({ sha256: createHash("sha256").update(bytes).digest("hex"), bytes: bytes.length }));
