import { join } from "node:path";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { pdfContractDocuments } from "../../src/adapters/pdf-contract-documents.ts";
import { sampleRender } from "../support/contract-samples.ts";
import { ROOT, childEnv, run } from "../support/processes.ts";

/**
 * The contract PDF on Deno (the platform runs there too): pdf-lib, upstream fontkit and the font
 * package load under `deno run --node-modules-dir=manual`, and the bytes are the same as on Node,
 * so a hash recorded by one runtime verifies on the other.
 */
const DENO = join(ROOT, "node_modules/.bin/deno");
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("contract PDF on Deno", () => {
  it("renders and stamps the sample contract to the same bytes as Node", async () => {
    const res = await run(DENO, ["run", "-A", "--node-modules-dir=manual", "tests/support/render-contract.ts"], { env: childEnv({}), timeoutMs: 90_000 });
    expect(res.code, res.stderr).toBe(0);
    const deno = JSON.parse(res.stdout.trim().split("\n").at(-1)!) as { original: string; signed: string };
    const node = await sampleRender(pdfContractDocuments());
    expect(deno.original).toBe(sha256(node.original));
    expect(deno.signed).toBe(sha256(node.signed));
  }, 120_000);
});
