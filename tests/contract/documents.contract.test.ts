import { createHash } from "node:crypto";
import { PDFDict, PDFDocument, PDFName, PDFRawStream } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { pdfContractDocuments } from "../../src/adapters/pdf-contract-documents.ts";
import { yuan } from "../../src/lib/money.ts";
import { type ContractDocuments, type SigningRecord, UnsupportedCharacters } from "../../src/ports/documents.ts";
import { sampleContract, sampleInput, sampleSignatures } from "../support/contract-samples.ts";
import { pageStreams, pageText, pdfText, streamBytes } from "../support/pdf-text.ts";

/**
 * The ContractDocuments port's contract: every adapter (pdf-lib today) passes it. Text is read back
 * from the PDF itself (content streams through each font's ToUnicode map), so a missing word fails.
 */
const RENDER_BUDGET = 300 * 1024;
const SIGNED_BUDGET = 512 * 1024;
// Reading and parsing the two 8 MB fonts takes about a second on a 2-core machine the first time.
const SLOW = 60_000;

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const squash = (s: string) => s.replace(/\s+/g, "");

const adapters: [string, () => ContractDocuments][] = [["pdf-lib", () => pdfContractDocuments()]];

const signaturesFor = sampleSignatures;
const recordFor = (pdf: Uint8Array): SigningRecord => ({ provider: "模拟电子签章服务", flowId: "MOCK-FLOW-0001", documentSha256: sha256(pdf) });

describe.each(adapters)("ContractDocuments contract: %s", (_name, make) => {
  const docs = make();

  it(
    "renders the same input to the same bytes, also from a fresh adapter",
    async () => {
      const a = await docs.renderContract(sampleInput());
      const b = await docs.renderContract(sampleInput());
      const c = await make().renderContract(sampleInput());
      expect(sha256(b)).toBe(sha256(a));
      expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
      expect(Buffer.from(c).equals(Buffer.from(a))).toBe(true);
      // Another input gives other bytes (the hash means something).
      const other = await docs.renderContract(sampleInput({ version: 3 }));
      expect(sha256(other)).not.toBe(sha256(a));
    },
    SLOW,
  );

  it("takes its dates from the input and writes fixed producer strings and no random file id", async () => {
    const issuedAt = new Date("2025-02-16T03:04:05Z");
    const pdf = await docs.renderContract(sampleInput({ issuedAt }));
    const doc = await PDFDocument.load(pdf, { updateMetadata: false });
    expect(doc.getCreationDate()?.toISOString()).toBe(issuedAt.toISOString());
    expect(doc.getModificationDate()?.toISOString()).toBe(issuedAt.toISOString());
    expect(doc.getProducer()).toMatch(/^gx-service-vouchers/);
    expect(doc.getCreator()).toBe("广西制造业企业培优育强服务券管理平台");
    expect(doc.getTitle()).toBe("服务合同");
    expect(doc.context.trailerInfo.ID).toBeUndefined();
    expect(Buffer.from(pdf).toString("latin1")).not.toMatch(/\/ID\s*\[/);
    // A later issue date changes only the dates.
    const later = await docs.renderContract(sampleInput({ issuedAt: new Date("2025-02-17T00:00:00Z") }));
    expect(sha256(later)).not.toBe(sha256(pdf));
    expect((await pdfText(later)).map((p) => p.text)).toEqual((await pdfText(pdf)).map((p) => p.text));
  });

  it("is a valid A4 PDF whose text reads like the contract page", async () => {
    const input = sampleInput();
    const c = input.content;
    const pdf = await docs.renderContract(input);
    expect(Buffer.from(pdf.subarray(0, 5)).toString("latin1")).toBe("%PDF-");
    const doc = await PDFDocument.load(pdf);
    expect(doc.getPageCount()).toBe(2);
    for (const page of doc.getPages()) {
      expect(page.getWidth()).toBeCloseTo(595.28, 1);
      expect(page.getHeight()).toBeCloseTo(841.89, 1);
    }
    const pages = await pdfText(pdf);
    const all = squash(pages.map((p) => p.text).join(""));
    expect(pages[0]!.lines[0]).toBe("服务合同");
    expect(all).toContain("订单编号：FW20250215000123·第2版");
    for (const p of [c.partyA, c.partyB]) {
      for (const v of [p.name, p.creditCode, p.legalName, p.address]) expect(all).toContain(squash(v));
    }
    const articles = ["服务内容", "交付清单", "验收标准", "合同金额", "服务期限", "付款方式", "违约责任", "争议解决", "其他约定", "合同生效"];
    const numbers = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
    let at = -1;
    articles.forEach((title, i) => {
      const next = all.indexOf(`第${numbers[i]}条${title}`);
      expect(next, `第${numbers[i]}条 ${title}`).toBeGreaterThan(at);
      at = next;
    });
    expect(all).toContain(`本合同金额为人民币${yuan(c.contractFen)}`);
    expect(yuan(c.contractFen)).toBe("¥123,456.00");
    expect(all).toContain(`其中服务券抵扣${yuan(input.amounts!.deductionFen)}，甲方自付${yuan(input.amounts!.selfPayFen)}`);
    expect(all).toContain(`定金为${yuan(c.depositFen)}，尾款为${yuan(input.amounts!.balanceFen)}`);
    expect(all).toContain("自2025年3月1日起至2025年6月30日止。");
    for (const field of [c.serviceContent, c.deliverables, c.acceptance, c.paymentTerms, c.liability, c.disputeResolution])
      expect(all).toContain(squash(field));
    expect(all).toContain("第九条其他约定无。");
    expect(all).toContain(`甲方（盖章）：${c.partyA.name}`);
    expect(all).toContain(`乙方（盖章）：${c.partyB.name}`);
    expect(all).toContain(`合同内容摘要（SHA-256）：${input.contentSha256}`);
    // The footer of every page: the order and version, and the page of how many.
    expect(pages[0]!.lines.at(-1)).toBe("服务合同 · 订单编号：FW20250215000123 · 第2版第 1 页 共 2 页");
    expect(pages[1]!.lines.at(-1)).toBe("服务合同 · 订单编号：FW20250215000123 · 第2版第 2 页 共 2 页");
  });

  it("embeds its fonts as small subsets, keeping the document within the size budget", async () => {
    const pdf = await docs.renderContract(sampleInput());
    expect(pdf.length).toBeLessThan(RENDER_BUDGET);
    const doc = await PDFDocument.load(pdf);
    const files = doc.context
      .enumerateIndirectObjects()
      .map(([, o]) => o)
      .filter((o): o is PDFRawStream => o instanceof PDFRawStream && o.dict.get(PDFName.of("Subtype"))?.toString() === "/CIDFontType0C");
    expect(files.length).toBe(2); // regular and bold
    for (const f of files) {
      expect(f.contents.length).toBeLessThan(200 * 1024); // of an 8 MB font
      // A well-formed CFF header (pdf-lib's own fontkit fork wrote an offSize of 24 here, which viewers reject).
      const cff = streamBytes(f);
      expect([cff[0], cff[2]]).toEqual([1, 4]);
      expect(cff[3]).toBeGreaterThanOrEqual(1);
      expect(cff[3]).toBeLessThanOrEqual(4);
    }
    const names = doc.context
      .enumerateIndirectObjects()
      .map(([, o]) => o)
      .filter((o): o is PDFDict => o instanceof PDFDict && o.get(PDFName.of("Type"))?.toString() === "/FontDescriptor")
      .map((d) => d.get(PDFName.of("FontName"))?.toString());
    expect(names.sort()).toEqual(["/GXCTBD+NotoSansSC-Bold", "/GXCTRG+NotoSansSC-Regular"]);
  });

  it(
    "wraps a 5000-character 服务内容 across pages without losing or reordering a character",
    async () => {
      const unit = "第001项：依据GB/T 19001标准开展现场诊断，形成书面记录（见附件）。";
      const url = "https://example.gov.cn/a-very-long-path-without-any-break-at-all/that-is-wider-than-one-line-of-the-contract-page.pdf";
      // "fi" and the ligature character "ﬁ" read back as typed (no ligature glyph shared by both).
      let text = `${url}\n（fiber与ﬁ连字）\n`;
      for (let i = 1; text.length < 5000; i++) text += unit.replace("001", String(i).padStart(3, "0")) + (i % 12 === 0 ? "\n" : "");
      text = [...text].slice(0, 5000).join("");
      const input = sampleInput({ content: sampleContract({ serviceContent: text }) });
      const pdf = await docs.renderContract(input);
      const pages = await pdfText(pdf);
      expect(pages.length).toBeGreaterThanOrEqual(4);
      expect(pdf.length).toBeLessThan(RENDER_BUDGET);
      // Without the footers, the pages' lines read as the text itself, in order.
      const body = pages.flatMap((p) => p.lines.filter((l) => !/^服务合同 · 订单编号.*第 \d+ 页 共 \d+ 页$/.test(l))).join("");
      expect(squash(body)).toContain(squash(text));
      // Chinese line-breaking rules: no line starts with closing or ends with opening punctuation.
      const lines = pages.flatMap((p) => p.lines);
      expect(lines.filter((l) => /^[，。、；：？！）》」』】]/.test(l))).toEqual([]);
      expect(lines.filter((l) => /[（《「『【]$/.test(l))).toEqual([]);
      // Latin words and numbers (GB/T, 19001) stay whole; only the URL, longer than a line, is broken between characters.
      const split = lines.slice(1).filter((b, i) => /[A-Za-z0-9]$/.test(lines[i]!) && /^[A-Za-z0-9]/.test(b) && !url.includes(lines[i]! + b));
      expect(split).toEqual([]);
      expect(lines.filter((l) => url.includes(l) && l.length > 10).length).toBeGreaterThanOrEqual(2);
    },
    SLOW,
  );

  it(
    "stamps the seals and appends a 签署信息 page, the original pages' content kept as it was",
    async () => {
      const input = sampleInput();
      const original = await docs.renderContract(input);
      const signatures = signaturesFor(input.content);
      const signed = await docs.stampSignatures(original, signatures, recordFor(original));
      expect(signed.length).toBeLessThan(SIGNED_BUDGET);

      const before = await PDFDocument.load(original);
      const after = await PDFDocument.load(signed, { updateMetadata: false });
      expect(after.getPageCount()).toBe(before.getPageCount() + 1);
      const fields = await docs.signatureFields(original);
      const sealPage = fields[0]!.page - 1;
      before.getPages().forEach((page, i) => {
        const was = pageStreams(page).map((b) => Buffer.from(b).toString("latin1"));
        const now = pageStreams(after.getPage(i)).map((b) => Buffer.from(b).toString("latin1"));
        if (i !== sealPage) {
          expect(now).toEqual(was);
        } else {
          // Every original stream is still there, in order, unchanged; the seals come after them.
          const idx = was.map((s) => now.indexOf(s));
          expect(idx.every((n) => n >= 0)).toBe(true);
          expect([...idx].sort((a, b) => a - b)).toEqual(idx);
          expect(now.length).toBeGreaterThan(was.length);
        }
      });
      // The original text is all still there; the seal page now also draws both names along the seals' arcs and the dates.
      const beforeText = (await pdfText(original)).map((p) => p.text);
      const afterText = (await pdfText(signed)).map((p) => p.text);
      beforeText.forEach((t, i) => {
        expect(afterText[i]!.startsWith(t)).toBe(true);
      });
      const added = afterText[sealPage]!.slice(beforeText[sealPage]!.length);
      expect(added).toContain(`${input.content.partyA.name}合同专用章`);
      expect(added).toContain(input.content.partyB.name);
      expect(added).toContain("2025年2月17日"); // 甲方 10:10 in Shanghai
      expect(added).toContain("2025年2月18日"); // 乙方 16:45 UTC is 00:45 the next day in Shanghai

      const info = squash(afterText.at(-1)!);
      expect(info).toContain("签署信息");
      expect(info).toContain(`服务合同（订单编号：${input.number}，第${input.version}版），共2页`);
      expect(info).toContain(`原始文件SHA-256：${sha256(original)}`);
      expect(info).toContain("签署服务：模拟电子签章服务");
      expect(info).toContain("签署流程编号：MOCK-FLOW-0001");
      expect(info).toContain(
        `甲方（服务需求方）名称：${input.content.partyA.name}签署人：${input.content.partyA.legalName}身份认证：人脸识别签署时间：2025-02-1710:10:00（北京时间）`,
      );
      expect(info).toContain(
        `乙方（服务提供方）名称：${input.content.partyB.name}签署人：${input.content.partyB.legalName}身份认证：人脸识别签署时间：2025-02-1800:45:30（北京时间）`,
      );
      expect(after.getModificationDate()?.toISOString()).toBe("2025-02-17T16:45:30.000Z");
      expect(after.getCreationDate()?.toISOString()).toBe(input.issuedAt.toISOString());
    },
    SLOW,
  );

  it("stamps deterministically: the same original and signatures give the same signed bytes", async () => {
    const original = await docs.renderContract(sampleInput());
    const a = await docs.stampSignatures(original, signaturesFor(), recordFor(original));
    const b = await make().stampSignatures(original, signaturesFor(), recordFor(original));
    expect(sha256(b)).toBe(sha256(a));
  });

  it("says where each party's seal goes, inside the page, and nothing for a PDF it did not render", async () => {
    const original = await docs.renderContract(sampleInput());
    const fields = await docs.signatureFields(original);
    expect(fields.map((f) => f.party)).toEqual(["甲方", "乙方"]);
    for (const f of fields) {
      expect(f.page).toBe(2);
      expect(f.size).toBeCloseTo((42 / 25.4) * 72, 1);
      expect(f.x).toBeGreaterThanOrEqual(0);
      expect(f.x + f.size).toBeLessThanOrEqual(595.28);
      expect(f.y).toBeGreaterThan(0);
      expect(f.y + f.size).toBeLessThan(841.89);
    }
    expect(fields[0]!.x + fields[0]!.size).toBeLessThanOrEqual(fields[1]!.x); // side by side, not overlapping
    const foreign = await PDFDocument.create();
    foreign.addPage();
    expect(await docs.signatureFields(await foreign.save())).toEqual([]);
    expect(await docs.signatureFields(new TextEncoder().encode("not a pdf"))).toEqual([]);
  });

  it("refuses to stamp a wrong hash, a foreign PDF, a party twice, a stamped PDF or a bad seal colour", async () => {
    const original = await docs.renderContract(sampleInput());
    const sigs = signaturesFor();
    await expect(docs.stampSignatures(original, sigs, { ...recordFor(original), documentSha256: "0".repeat(64) })).rejects.toThrow(/SHA-256/);
    await expect(docs.stampSignatures(original, [sigs[0]!, sigs[0]!], recordFor(original))).rejects.toThrow(/twice/);
    await expect(docs.stampSignatures(original, [], recordFor(original))).rejects.toThrow();
    const foreign = await PDFDocument.create();
    foreign.addPage();
    const foreignBytes = await foreign.save();
    await expect(docs.stampSignatures(foreignBytes, sigs, recordFor(foreignBytes))).rejects.toThrow(/not a contract/);
    const signed = await docs.stampSignatures(original, sigs, recordFor(original));
    await expect(docs.stampSignatures(signed, sigs, recordFor(signed))).rejects.toThrow(/already stamped/);
    const badSeal = [{ ...sigs[0]!, seal: { ...sigs[0]!.seal, color: "red" } }];
    await expect(docs.stampSignatures(original, badSeal, recordFor(original))).rejects.toThrow(/colour/);
  });

  it("names the characters it cannot draw, and refuses to render or stamp them rather than print a blank box", async () => {
    expect(await docs.unsupportedCharacters(["表情😀与𠀀字，龘字和〇都在", "再一次😀"])).toEqual(["😀", "𠀀"]);
    expect(await docs.unsupportedCharacters([sampleInput().content.serviceContent, "Ünïcødé ‰ ¥ ￥ 〇\n\t"])).toEqual([]);
    const bad = sampleInput({ content: sampleContract({ otherTerms: "双方确认😀" }) });
    const refusal = await docs.renderContract(bad).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(UnsupportedCharacters);
    expect((refusal as UnsupportedCharacters).characters).toEqual(["😀"]);
    const original = await docs.renderContract(sampleInput());
    const sigs = signaturesFor();
    const odd = [{ ...sigs[0]!, seal: { ...sigs[0]!.seal, chars: [...sigs[0]!.seal.chars, { char: "𠀀", x: 100, y: 20, rotate: 0, size: 20 }] } }];
    await expect(docs.stampSignatures(original, odd, recordFor(original))).rejects.toBeInstanceOf(UnsupportedCharacters);
  });

  it("stamps one party alone when only one has signed, leaving the other's place empty", async () => {
    const original = await docs.renderContract(sampleInput());
    const signed = await docs.stampSignatures(original, [signaturesFor()[1]!], recordFor(original));
    const text = await pdfText(signed);
    expect(squash(text.at(-1)!.text)).toContain("乙方（服务提供方）");
    expect(squash(text.at(-1)!.text)).not.toContain("甲方（服务需求方）");
    // On the seal page, 乙方's name is drawn twice now (its line and its seal), 甲方's still once.
    const sealPage = pageText((await PDFDocument.load(signed)).getPage(1)).text;
    const count = (name: string) => sealPage.split(name).length - 1;
    expect(count(sampleContract().partyB.name)).toBe(2);
    expect(count(sampleContract().partyA.name)).toBe(1);
  });
});
