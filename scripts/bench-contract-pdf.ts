/**
 * npm run bench:pdf [-- --runs N] [-- --out DIR]
 *
 * Renders the sample contract (tests/support/contract-samples.ts) and a long one (5000 characters
 * of 服务内容, the limit) with the ContractDocuments adapter, stamps both parties' seals on each,
 * and prints the sizes, page counts and the milliseconds of the first (cold: the fonts are read
 * and parsed) and later (warm) renders. With --out, writes the four PDFs there to look at
 * (e.g. `pdftoppm -r 60 -png DIR/contract.pdf DIR/contract`).
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PDFDocument } from "pdf-lib";
import { pdfContractDocuments } from "../src/adapters/pdf-contract-documents.ts";
import type { ContractDocumentInput } from "../src/ports/documents.ts";
import { sampleContract, sampleInput, sampleSignatures } from "../tests/support/contract-samples.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, out: { type: "string" } } });
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);

const docs = pdfContractDocuments();
const longText = Array.from({ length: 200 }, (_, i) => `第${String(i + 1).padStart(3, "0")}项：依据标准开展现场诊断与改进指导，形成书面记录。`)
  .join("")
  .slice(0, 5000);
const cases: [string, ContractDocumentInput][] = [
  ["contract", sampleInput()],
  ["long", sampleInput({ content: sampleContract({ serviceContent: longText }) })],
];
const ms = (t0: number) => Math.round(performance.now() - t0);
const signatures = (input: ContractDocumentInput) => sampleSignatures(input.content);

if (values.out) await mkdir(values.out, { recursive: true });
for (const [name, input] of cases) {
  const times: number[] = [];
  let pdf: Uint8Array = new Uint8Array();
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    pdf = await docs.renderContract(input);
    times.push(ms(t0));
  }
  const sha = createHash("sha256").update(pdf).digest("hex");
  const stampTimes: number[] = [];
  let signed: Uint8Array = new Uint8Array();
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    signed = await docs.stampSignatures(pdf, signatures(input), { provider: "模拟电子签章服务", flowId: "MOCK-FLOW-20250217-0001", documentSha256: sha });
    stampTimes.push(ms(t0));
  }
  const pages = (await PDFDocument.load(pdf)).getPageCount();
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(
    `${name}: ${[...input.content.serviceContent].length} characters of 服务内容, ${pages} pages, ${kb(pdf.length)}; signed ${kb(signed.length)}` +
      `\n  render ms: first ${times[0]}, then ${times.slice(1).join(" ") || "-"}; stamp ms: first ${stampTimes[0]}, then ${stampTimes.slice(1).join(" ") || "-"}`,
  );
  if (values.out) {
    await writeFile(join(values.out, `${name}.pdf`), pdf);
    await writeFile(join(values.out, `${name}-signed.pdf`), signed);
  }
}
