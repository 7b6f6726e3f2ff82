import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERIFY_PER_HOUR } from "../../src/modules/signing/verify-routes.ts";
import { Browser, SAMPLE_PNG } from "../support/client.ts";
import { sha256 } from "../support/esign.ts";
import { statusOf } from "../support/orders.ts";
import { type SigningWorld, makeSeal, sign, signingOrder, signingWorld } from "../support/signing.ts";

/**
 * 合同验真 (/verify): a completed signing's three files (the stamped copy the parties download, the
 * provider's signed file, the unsigned original) checked by upload and by 合同编号 + SHA-256, as
 * plain form posts of an anonymous visitor; changed copies, wrong numbers and bad input. Both parties
 * sign through the phone link (GET /s/<token>) and the provider's page, as people do.
 */

let w: SigningWorld;
let orderId: string;
let number: string;
let flow: { external_flow_id: string; document_sha256: string; signed_sha256: string; vendor_sha256: string };
const files: Record<"signed" | "vendor" | "original", Uint8Array> = {} as never;
let names: string[];

const flipped = (bytes: Uint8Array, at = Math.floor(bytes.length / 2)) => {
  const copy = bytes.slice();
  copy[at] = copy[at]! ^ 0x01;
  return copy;
};
const rows = async (table: string) => (await w.t.deps.db.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n;

/** An anonymous visitor on /verify (its CSRF token from the page). */
async function visitor() {
  const b = new Browser(w.t);
  const res = await b.get("/verify");
  expect(res.status).toBe(200);
  return b;
}
const upload = async (bytes: Uint8Array, name = "合同.pdf", type = "application/pdf") =>
  (await visitor()).postMultipart("/verify", {}, { document: { name, bytes, type } });
const byNumber = async (n: string, hash: string) => (await visitor()).post("/verify/number", { number: n, sha256: hash });

/** The details a verdict shows only for a file recorded for the flow. */
function expectDetails(html: string, checked: string) {
  expect(html).toContain(number);
  for (const n of names) expect(html).toContain(n);
  expect(html).toContain("甲方（服务需求方）");
  expect(html).toContain("乙方（服务提供方）");
  expect(html).toContain("签署时间");
  expect(html).toContain("模拟电子签章服务");
  expect(html).toContain(flow.external_flow_id);
  expect(html).toContain(`<code>${checked}</code>`);
  for (const h of [flow.document_sha256, flow.signed_sha256, flow.vendor_sha256]) expect(html).toContain(h);
}
/** Nothing of the contract beyond the verdict and the digest of what was checked. */
function expectNoDetails(html: string, typed?: string) {
  expect(html).not.toContain(number);
  for (const n of names) expect(html).not.toContain(n);
  expect(html).not.toContain(flow.external_flow_id);
  for (const h of [flow.document_sha256, flow.signed_sha256, flow.vendor_sha256]) if (h !== typed) expect(html).not.toContain(h);
  expect(html).not.toContain("<dt>签署方</dt>");
  expect(html).not.toContain("平台记录的摘要");
}
/** The page's main content (the layout's header carries the 我要留言 dialog's htmx link). */
const main = (html: string) => html.slice(html.indexOf("<main"), html.indexOf("</main>"));

beforeAll(async () => {
  w = await signingWorld();
  orderId = await signingOrder(w);
  await makeSeal(w, w.ent);
  await makeSeal(w, w.pro);
  const started = await w.t.deps.signing.startFlow(orderId);
  expect(started.ok).toBe(true);
  await sign(w, w.ent, orderId, "enterprise");
  await sign(w, w.pro, orderId, "provider");
  expect(await statusOf(w.t, orderId)).toBe("awaiting_deposit");
  const [f] = await w.t.deps.db.query<typeof flow & { signed_file_id: string; vendor_file_id: string }>(
    "select external_flow_id, document_sha256, signed_sha256, vendor_sha256, signed_file_id, vendor_file_id from sign_flows where order_id = $1 and status = 'completed'",
    [orderId],
  );
  expect(f?.signed_file_id && f.vendor_file_id).toBeTruthy();
  flow = f!;
  for (const kind of ["signed", "vendor", "original"] as const) {
    const file = await w.t.deps.signing.contractFile({ accountId: w.ent, side: "enterprise" }, orderId, kind);
    if (!file.ok) throw new Error(JSON.stringify(file.errors));
    files[kind] = file.value.bytes;
  }
  number = (await w.t.deps.db.query<{ number: string }>("select number from orders where id = $1", [orderId]))[0]!.number;
  names = (
    await w.t.deps.db.query<{ name: string }>(
      "select s.name from sign_flow_signers f join seals s on s.id = f.seal_id join sign_flows fl on fl.id = f.flow_id where fl.order_id = $1",
      [orderId],
    )
  ).map((r) => r.name);
  expect(names).toHaveLength(2);
}, 120_000);
afterAll(async () => w?.t.close());

describe("合同验真: the page", () => {
  it("is public, in Chinese, with a labelled upload field for PDFs and a labelled 合同编号 + 文件摘要 form, plain form posts", async () => {
    const b = await visitor();
    const html = b.lastHtml;
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain("<h1>合同验真</h1>");
    expect(html).toContain("<title>合同验真 - ");
    expect(html).toContain('<form method="post" action="/verify" enctype="multipart/form-data"');
    expect(html).toContain('<form method="post" action="/verify/number"');
    expect(html).toMatch(/<label for="f-document">合同文件（PDF）<\/label>/);
    expect(html).toMatch(/<input id="f-document" name="document" type="file" accept="application\/pdf"/);
    expect(html).toMatch(/<label for="f-number">合同编号<\/label>/);
    expect(html).toMatch(/<label for="f-sha256">文件摘要（SHA-256）<\/label>/);
    expect(main(html)).not.toContain("hx-");
    // The public footer links to it, next to 政策资讯.
    const home = new Browser(w.t);
    await home.get("/");
    expect(home.lastHtml).toContain('<a href="/news">政策资讯</a> · <a href="/verify">合同验真</a>');
  });
});

describe("合同验真: the three files of a completed signing", () => {
  it("the stamped copy the parties download verifies by upload: found, intact, the contract's details", async () => {
    const res = await upload(files.signed);
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const html = await res.text();
    expect(html).toContain("验证通过：该文件是本平台签署的合同，签署后未被修改");
    expect(html).toContain("已签署版本（含双方签章和签署信息页）");
    expect(sha256(files.signed)).toBe(flow.signed_sha256);
    expectDetails(html, flow.signed_sha256);
    // Asking again (a reload of the POST) gives the same answer.
    const again = await upload(files.signed);
    expect(await again.text()).toContain("验证通过");
  });

  it("the stamped copy verifies by 合同编号 and SHA-256 (case and surrounding spaces ignored)", async () => {
    const res = await byNumber(` ${number.toLowerCase()} `, `  ${flow.signed_sha256.toUpperCase()}\n`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("验证通过：该文件是本平台签署的合同，签署后未被修改");
    expectDetails(html, flow.signed_sha256);
    expect(html).toContain(`value="${number}"`);
  });

  it("the provider's signed file verifies by upload and by number", async () => {
    const res = await upload(files.vendor);
    expect(res.status).toBe(200);
    let html = await res.text();
    expect(html).toContain("验证通过：该文件是本平台签署的合同，签署后未被修改");
    expect(html).toContain("签署服务商出具的签署文件");
    expectDetails(html, flow.vendor_sha256);
    html = await (await byNumber(number, flow.vendor_sha256)).text();
    expect(html).toContain("验证通过");
    expectDetails(html, flow.vendor_sha256);
  });

  it("the unsigned original is recognised and reported as 原件未签署, by upload and by number", async () => {
    for (const res of [await upload(files.original), await byNumber(number, flow.document_sha256)]) {
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain("该文件是合同原件（未签署版本）");
      expect(html).toContain("原件未签署");
      expect(html).not.toContain("验证通过");
      expectDetails(html, flow.document_sha256);
    }
  });

  it("a stamped copy with one byte changed is not found, and shows nothing of the contract", async () => {
    const changed = flipped(files.signed);
    const res = await upload(changed);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("未找到匹配的已签署合同");
    expect(html).toContain("未找到与该文件一致的已签署合同");
    expect(html).not.toContain("验证通过");
    expect(html).toContain(sha256(changed));
    expectNoDetails(html);
  });

  it("a provider file changed after signing (a byte in the middle, its signing record intact) fails: 验证未通过, without the contract's details", async () => {
    const changed = flipped(files.vendor);
    const res = await upload(changed);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("验证未通过：文件签署后已被修改");
    expect(html).toContain("模拟电子签章服务");
    expect(html).toContain(sha256(changed));
    expect(html).not.toContain("验证通过");
    expectNoDetails(html);
  });

  it("a right digest under another 合同编号 is not found, and no other order is shown", async () => {
    const res = await byNumber("DD20200101000001", flow.signed_sha256);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("未找到匹配的已签署合同");
    expect(html).toContain("该合同编号下没有与此摘要一致的已签署合同");
    expectNoDetails(html, flow.signed_sha256);
    // A digest nobody recorded under the right number: the same.
    const other = await (await byNumber(number, "0".repeat(64))).text();
    expect(other).toContain("该合同编号下没有与此摘要一致的已签署合同");
    expect(other).not.toContain(names[0]!);
  });
});

describe("合同验真: bad input is a 422 with the message beside the field, nothing stored", () => {
  const fieldError = (html: string, field: string) =>
    html.match(new RegExp(`id="f-${field}-error"><span class="visually-hidden">错误：</span>([^<]+)<`))?.[1];

  it("a malformed digest or number", async () => {
    const before = await rows("files");
    let res = await byNumber(number, "abc123");
    expect(res.status).toBe(422);
    let html = await res.text();
    expect(fieldError(html, "sha256")).toBe("文件摘要应为64位十六进制字符（0-9、a-f）");
    expect(html).toContain('aria-invalid="true"');
    expect(html).toContain('value="abc123"');
    res = await byNumber(number, `${flow.signed_sha256.slice(0, 63)}g`);
    expect(res.status).toBe(422);
    res = await byNumber("DD2026", flow.signed_sha256);
    expect(res.status).toBe(422);
    html = await res.text();
    expect(fieldError(html, "number")).toContain("合同编号格式不正确");
    expect(fieldError(html, "sha256")).toBeUndefined();
    res = await byNumber("", "");
    expect(res.status).toBe(422);
    html = await res.text();
    expect(fieldError(html, "number")).toBe("请输入合同编号");
    expect(fieldError(html, "sha256")).toBe("请输入文件摘要（SHA-256）");
    expect(html).not.toContain("result-title");
    expect(await rows("files")).toBe(before);
  });

  it("not a PDF (by its bytes, whatever its name and type), no file, an empty form, a file over 10MB", async () => {
    const before = await rows("files");
    let res = await upload(SAMPLE_PNG, "合同.pdf");
    expect(res.status).toBe(422);
    expect(fieldError(await res.text(), "document")).toBe("只能验证PDF文件，请选择合同的PDF文件");
    res = await upload(new TextEncoder().encode("PDF-1.4 not really"), "a.pdf");
    expect(res.status).toBe(422);
    // The form sent without choosing a file (a browser sends an empty file part), and with no fields at all.
    res = await upload(new Uint8Array(0), "");
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(fieldError(html, "document")).toBe("请选择要验证的合同文件（PDF）");
    expect(html).toContain('<h2 id="error-summary-title">请修改以下问题</h2>');
    res = await (await visitor()).post("/verify", {});
    expect(res.status).toBe(422);
    expect(fieldError(await res.text(), "document")).toBe("请选择要验证的合同文件（PDF）");
    const big = new Uint8Array(10 * 1024 * 1024 + 1);
    big.set(new TextEncoder().encode("%PDF-1.7\n"));
    res = await upload(big);
    expect(res.status).toBe(422);
    expect(fieldError(await res.text(), "document")).toBe("文件不能超过10MB");
    expect(await rows("files")).toBe(before);
  });

  it("without the page's token it is refused like every form (403), never a 500", async () => {
    const b = await visitor();
    const token = b.csrf();
    const res = await b.post("/verify/number", { number, sha256: flow.signed_sha256 }, { csrf: "forged" });
    expect(res.status).toBe(403);
    const broken = await b.request("/verify", {
      method: "POST",
      headers: { Origin: "http://localhost", "Content-Type": "multipart/form-data; boundary=x", "X-CSRF-Token": token },
      body: '--x\r\nContent-Disposition: form-data; name="document"; filename="a.pdf"\r\n\r\n%PDF-',
    });
    expect(broken.status).toBeLessThan(500);
  });
});

describe("合同验真: rate limit", () => {
  it(`answers 429 with a Chinese message once an address has verified ${VERIFY_PER_HOUR} times in an hour`, async () => {
    let last: Response | undefined;
    for (let i = 0; i <= VERIFY_PER_HOUR; i++) {
      last = await byNumber("DD20200101000001", "1".repeat(64));
      if (last.status === 429) break;
      expect(last.status).toBe(200);
    }
    expect(last!.status).toBe(429);
    const html = await last!.text();
    expect(html).toMatch(/验证过于频繁，请\d+分钟后再试/);
    expect(html).not.toContain("result-title");
    // Bad input is still answered beside the field (it asks nothing of the provider).
    expect((await byNumber("x", "y")).status).toBe(422);
    expect((await upload(files.signed)).status).toBe(429);
  });
});
