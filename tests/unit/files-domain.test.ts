import { describe, expect, it } from "vitest";
import { MAX_UPLOAD_BYTES, checkUpload, cleanFileName, sniffType } from "../../src/modules/files/domain.ts";

const PDF = new TextEncoder().encode("%PDF-1.7\n");
const JPG = new Uint8Array([0xff, 0xd8, 0xff, 0xe1, 0, 0]);
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]);
const EXE = new Uint8Array([0x4d, 0x5a, 0x90, 0]);
const ZIP = new Uint8Array([0x50, 0x4b, 0x03, 0x04]);
const HTML = new TextEncoder().encode("<html><script>alert(1)</script>");

describe("upload checks", () => {
  it("recognises PDF, JPG and PNG by their bytes", () => {
    expect(sniffType(PDF)).toBe("application/pdf");
    expect(sniffType(JPG)).toBe("image/jpeg");
    expect(sniffType(PNG)).toBe("image/png");
    expect(sniffType(EXE)).toBeNull();
    expect(sniffType(ZIP)).toBeNull();
    expect(sniffType(HTML)).toBeNull();
    expect(sniffType(new Uint8Array([0x25, 0x50]))).toBeNull();
  });
  it.each([
    ["licence.pdf", PDF],
    ["LICENCE.PDF", PDF],
    ["photo.jpeg", JPG],
    ["photo.JPG", JPG],
    ["scan.png", PNG],
  ])("accepts %s", (name, bytes) => {
    expect(checkUpload(name, bytes).ok).toBe(true);
  });
  it.each([
    ["virus.pdf", EXE, "只能上传PDF、JPG或PNG文件"],
    ["page.pdf", HTML, "只能上传PDF、JPG或PNG文件"],
    ["photo.pdf", PNG, "文件扩展名与内容不符（内容为PNG），请检查文件"],
    ["doc.exe", PDF, "文件扩展名与内容不符（内容为PDF），请检查文件"],
    ["noext", PDF, "文件扩展名与内容不符（内容为PDF），请检查文件"],
    ["empty.pdf", new Uint8Array(0), "文件为空，请重新选择"],
  ])("refuses %s", (name, bytes, message) => {
    expect(checkUpload(name, bytes)).toEqual({ ok: false, message });
  });
  it("caps the size at 10 MB", () => {
    const atCap = new Uint8Array(MAX_UPLOAD_BYTES);
    atCap.set(PDF);
    expect(checkUpload("a.pdf", atCap).ok).toBe(true);
    const over = new Uint8Array(MAX_UPLOAD_BYTES + 1);
    over.set(PDF);
    expect(checkUpload("a.pdf", over)).toEqual({ ok: false, message: "文件不能超过10MB" });
  });
  it("cleans display names", () => {
    expect(cleanFileName("C:\\\\Users\\\\me\\\\营业执照.pdf")).toBe("营业执照.pdf");
    expect(cleanFileName("../../etc/passwd")).toBe("passwd");
    expect(cleanFileName('a"<b>.pdf')).toBe("ab.pdf");
    expect(cleanFileName("")).toBe("file");
    expect([...cleanFileName(`${"长".repeat(300)}.pdf`)].length).toBe(100);
  });
});
