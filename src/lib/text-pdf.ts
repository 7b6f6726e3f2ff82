/**
 * A one-page PDF of a few lines of Latin text in Helvetica, written by hand (no PDF library): the
 * demo history's delivery reports, the test documents sent to the mock e-signature provider and the
 * benchmarks' uploads. `filler` bytes of a PDF comment pad the content stream to a realistic size.
 * Non-ASCII text is not supported (Type 1 Helvetica has no CJK glyphs).
 */
export function textPdf(lines: string[], { filler = 0 }: { filler?: number } = {}): Uint8Array {
  const escaped = lines.map((l, i) => `BT /F1 ${i ? 12 : 18} Tf 72 ${770 - i * 28} Td (${l.replace(/[()\\]/g, "\\$&")}) Tj ET`).join("\n");
  const text = filler > 0 ? `${escaped}\n%${" ".repeat(Math.max(0, filler - 2))}\n` : escaped;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
    `<< /Length ${text.length} >>\nstream\n${text}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  for (const [i, o] of objects.entries()) {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  }
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((n) => `${String(n).padStart(10, "0")} 00000 n \n`).join("")}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(out);
}
