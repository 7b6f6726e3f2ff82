import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { xlsxSpreadsheets } from "../../src/adapters/xlsx-writer.ts";
import { readXlsx, sampleXlsx } from "../support/exports.ts";
import { ROOT, childEnv, run } from "../support/processes.ts";

/**
 * The XLSX writer on Deno (the platform runs there too): fflate loads under
 * `deno run --node-modules-dir=manual` and writes the same bytes as on Node.
 */
const DENO = join(ROOT, "node_modules/.bin/deno");

describe("XLSX export on Deno", () => {
  it("writes the sample sheet to the same bytes as Node", async () => {
    const res = await run(DENO, ["run", "-A", "--node-modules-dir=manual", "tests/support/write-xlsx.ts"], { env: childEnv({}), timeoutMs: 90_000 });
    expect(res.code, res.stderr).toBe(0);
    const deno = JSON.parse(res.stdout.trim().split("\n").at(-1)!) as { sha256: string; bytes: number };
    const node = sampleXlsx(xlsxSpreadsheets());
    expect(deno).toEqual({ sha256: createHash("sha256").update(node).digest("hex"), bytes: node.length });
    expect(readXlsx(node).rows).toHaveLength(301);
  }, 120_000);
});
