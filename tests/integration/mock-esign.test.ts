import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callbackSignature } from "../../src/adapters/mock-esign/callback.ts";
import { type MockESignature, asMockEsign, mockEsign } from "../../src/adapters/mock-esign/mock-esign.ts";
import { SECRET_FILE_NAME } from "../../src/adapters/mock-esign/secret.ts";
import { ESignatureError } from "../../src/ports/esignature.ts";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { Browser } from "../support/client.ts";
import { secondInstance } from "../support/instances.ts";
import { SEAL_PNG, SELFIE, creditCode, idNumber, pageToken, pathOf, sha256, testPdf } from "../support/esign.ts";

/**
 * The mock e-signature provider in the app: chosen by the composition root outside production
 * (with its secret generated into DATA_DIR), absent in production, and its hosted pages as a person
 * meets them (labels, the selfie input, its own form token, size and type limits).
 */
const KEYS = `k1:${btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => i)))}`;

describe("the mock e-signature provider in the app", () => {
  let t: TestApp;
  let mock: MockESignature;
  beforeAll(async () => {
    t = await makeTestApp();
    mock = asMockEsign(t.deps.esign)!;
  });
  afterAll(() => t?.close());

  const party = async () => {
    const legalIdNumber = idNumber();
    const { partyId } = await mock.ensureParty({ kind: "org", creditCode: creditCode(), name: "页面测试有限公司", legalName: "陈七", legalIdNumber });
    const { sealId } = await mock.createSeal({ partyId, from: "template", name: "页面测试有限公司", bizRef: `seal-${partyId}` });
    return { partyId, sealId, person: { name: "陈七", idNumber: legalIdNumber } };
  };

  it("is the provider outside production, its secret generated once into DATA_DIR (0600) and shared by a second instance", async () => {
    expect(t.deps.esign.provider).toBe("mock");
    const path = join(t.deps.config.dataDir, SECRET_FILE_NAME);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const secret = (await readFile(path, "utf8")).trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const body = JSON.stringify({ eventId: "evt_1", type: "flow.revoked", occurredAt: new Date().toISOString(), data: { flowId: "f", bizRef: "b" } });
    const ts = String(Date.now());
    const req = {
      headers: { "X-Mock-Esign-Timestamp": ts, "X-Mock-Esign-Signature": callbackSignature(secret, ts, body) },
      rawBody: new TextEncoder().encode(body),
      receivedAt: new Date(),
    };
    expect((await t.deps.esign.parseCallback(req)).ok).toBe(true);
    const other = await secondInstance(t);
    try {
      expect((await other.deps.esign.parseCallback(req)).ok).toBe(true);
    } finally {
      await other.close();
    }
  });

  it("the 实名认证 page: Chinese, phone-sized, labelled fields, the selfie input the issue asks for, no script", async () => {
    const p = await party();
    const check = await mock.startIdentityCheck({ partyId: p.partyId, person: p.person, returnUrl: "/me", bizRef: "seal-making-1" });
    const b = new Browser(t);
    const res = await b.get(pathOf(check.url));
    expect(res.status).toBe(200);
    expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
    const html = b.lastHtml;
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).not.toContain("<script");
    expect(html).toContain("页面测试有限公司");
    expect(html).toMatch(/<label for="f-name">姓名<\/label>[\s\S]*<input id="f-name" name="name"/);
    expect(html).toMatch(/<label for="f-idNumber">身份证号<\/label>[\s\S]*<input id="f-idNumber" name="idNumber"/);
    expect(html).toMatch(
      /<label for="f-selfie">[^<]+<\/label>[\s\S]*<input id="f-selfie" name="selfie" type="file" accept="image\/\*" capture="user" required/,
    );
    // The form's first field is the mock's own token (multipart forms send it first).
    expect(html).toMatch(/enctype="multipart\/form-data">\s*<input type="hidden" name="_mt" value="[A-Za-z0-9_-]{43}">/);
    expect(html).toContain('<button type="submit" name="outcome" value="passed">认证成功</button>');
    expect(html).toMatch(/<button type="submit" name="outcome" value="failed"[^>]*formnovalidate>认证失败<\/button>/);
    const css = await b.get("/mock-esign/static/mock.css");
    expect(css.headers.get("Content-Type")).toMatch(/^text\/css/);
  });

  it("its forms need the mock's own token (not the platform's), the origin check still applies, and uploads are limited", async () => {
    const p = await party();
    const check = await mock.startIdentityCheck({ partyId: p.partyId, person: p.person, returnUrl: "/me", bizRef: "seal-making-2" });
    const path = pathOf(check.url);
    const b = new Browser(t);
    await b.get(path);
    const mt = pageToken(b.lastHtml);
    const selfie = { selfie: { name: "me.jpg", bytes: SELFIE, type: "image/jpeg" } };
    const fields = { ...p.person, outcome: "passed" };

    expect((await b.postMultipart(path, { ...fields, _mt: "x".repeat(43) }, selfie, { csrf: null })).status).toBe(403);
    const foreign = await b.request(path, {
      method: "POST",
      body: new URLSearchParams({ ...fields, _mt: mt }),
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "https://evil.example" },
    });
    expect(foreign.status).toBe(403);
    const big = new Uint8Array(5 * 1024 * 1024 + 1);
    big.set(SELFIE.subarray(0, 4));
    const tooBig = await b.postMultipart(path, { ...fields, _mt: mt }, { selfie: { name: "big.jpg", bytes: big, type: "image/jpeg" } }, { csrf: null });
    expect(tooBig.status).toBe(422);
    expect(await tooBig.text()).toContain("照片不能超过5MB");
    const noPhoto = await b.postMultipart(path, { ...fields, _mt: mt }, {}, { csrf: null });
    expect(noPhoto.status).toBe(422);
    expect(await noPhoto.text()).toContain("请拍摄或上传本人照片");
    expect(b.lastHtml).toContain(`value="${p.person.idNumber}"`);
    expect((await mock.identityStatus(check.checkId)).status).toBe("pending");

    // No platform session or CSRF token at all: the mock's token is enough.
    const ok = await b.postMultipart(path, { ...fields, _mt: mt }, selfie, { csrf: null });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("Location")).toBe("/me");
    expect((await mock.identityStatus(check.checkId)).status).toBe("passed");
    expect((await mock.events()).some((e) => e.type === "identity.passed" && e.body.includes(check.checkId))).toBe(true);
  });

  it("the signing page: the document (PDF), its SHA-256 and the signer; 确认签署 only after the face step; 拒签 needs a reason", async () => {
    const p = await party();
    const document = testPdf("signing page");
    const { flowId } = await mock.createSignFlow({
      title: "检测服务合同",
      document,
      sha256: sha256(document),
      signers: [{ partyId: p.partyId, sealId: p.sealId, order: 1, field: { page: 1, x: 1, y: 1 } }],
      expiresAt: new Date(Date.now() + 86_400_000),
      bizRef: `order-page-${flowId0()}`,
    });
    const link = await mock.signingLink({ flowId, partyId: p.partyId, returnUrl: "/me/orders" });
    const path = pathOf(link.url);
    const b = new Browser(t);
    await b.get(path);
    expect(b.lastHtml).toContain("检测服务合同");
    expect(b.lastHtml).toContain(sha256(document));
    expect(b.lastHtml).toContain("陈七");
    expect(b.lastHtml).toContain(`href="${path}/document"`);
    expect(b.lastHtml).toMatch(/<button type="submit" disabled aria-describedby="confirm-hint">确认签署<\/button>/);
    expect(b.lastHtml).toMatch(/<label for="f-reason">拒签原因<\/label>[\s\S]*<textarea id="f-reason" name="reason" maxlength="200" required/);
    const pdf = await b.get(`${path}/document`);
    expect(pdf.headers.get("Content-Type")).toBe("application/pdf");
    expect(Buffer.from(await pdf.arrayBuffer()).equals(Buffer.from(document))).toBe(true);

    const noReason = await b.post(`${path}/refuse`, { _mt: pageToken(b.lastHtml), reason: "" }, { csrf: null });
    expect(noReason.status).toBe(422);
    expect(await noReason.text()).toContain("请填写拒签原因");

    const face = await b.postMultipart(
      `${path}/face`,
      { _mt: pageToken(b.lastHtml), ...p.person, outcome: "failed" },
      { selfie: { name: "me.jpg", bytes: SELFIE, type: "image/jpeg" } },
      { csrf: null },
    );
    expect(face.status).toBe(409);
    expect(await face.text()).toContain("人脸认证未通过");
    const passed = await b.postMultipart(
      `${path}/face`,
      { _mt: pageToken(b.lastHtml), ...p.person, outcome: "passed" },
      { selfie: { name: "me.jpg", bytes: SELFIE, type: "image/jpeg" } },
      { csrf: null },
    );
    expect(passed.status).toBe(303);
    expect(passed.headers.get("Location")).toBe(path);
    await b.get(path);
    expect(b.lastHtml).toContain("人脸认证已通过");
    expect(b.lastHtml).toContain('<button type="submit">确认签署</button>');
    const done = await b.post(`${path}/confirm`, { _mt: pageToken(b.lastHtml) }, { csrf: null });
    expect(done.status).toBe(303);
    expect(done.headers.get("Location")).toBe("/me/orders");
    expect((await mock.flowStatus(flowId)).status).toBe("completed");
  });

  it("hostile input on every page and form answers 4xx, never 500", async () => {
    const p = await party();
    const check = await mock.startIdentityCheck({ partyId: p.partyId, person: p.person, returnUrl: "/me", bizRef: "hostile" });
    const document = testPdf("hostile");
    const { flowId } = await mock.createSignFlow({
      title: "合同",
      document,
      sha256: sha256(document),
      signers: [{ partyId: p.partyId, sealId: p.sealId, order: 1, field: { page: 1, x: 1, y: 1 } }],
      expiresAt: new Date(Date.now() + 86_400_000),
      bizRef: `hostile-${flowId0()}`,
    });
    const sign = pathOf((await mock.signingLink({ flowId, partyId: p.partyId, returnUrl: "/" })).url);
    const b = new Browser(t);
    await b.get(sign);
    const mt = pageToken(b.lastHtml);
    const targets = [pathOf(check.url), `${sign}/face`, `${sign}/confirm`, `${sign}/refuse`, "/mock-esign/review/seal_00000000000000000000000000000000"];
    const hostile = [
      { _mt: mt, outcome: "__proto__", name: "a\u0000b", idNumber: "<script>", reason: "x".repeat(3000) },
      { _mt: [mt, mt].join(","), outcome: "passed", decision: "constructor" },
      {},
    ];
    for (const path of targets) {
      for (const fields of hostile) {
        const res = await b.post(path, fields as Record<string, string>, { csrf: null });
        expect(res.status, `${path} ${JSON.stringify(fields).slice(0, 60)}`).toBeGreaterThanOrEqual(300);
        expect(res.status, path).toBeLessThan(500);
      }
      const broken = await b.request(path, {
        method: "POST",
        body: '--x\r\nContent-Disposition: form-data; name="_mt"\r\n\r\nabc',
        headers: { "Content-Type": "multipart/form-data; boundary=x", Origin: "http://localhost" },
      });
      expect(broken.status, `${path} broken multipart`).toBeLessThan(500);
    }
    for (const path of ["/mock-esign/identity/short", "/mock-esign/sign/%00", `${sign}/document/../../x`, `/mock-esign/sign/${"b".repeat(43)}/document`]) {
      expect((await b.get(path)).status, path).toBeLessThan(500);
    }
    expect((await mock.flowStatus(flowId)).status).toBe("open");
  });

  it("the review console decides image seals (approve, or reject with a reason)", async () => {
    const p = await party();
    const seal = await mock.createSeal({ partyId: p.partyId, from: "image", bytes: SEAL_PNG, contentType: "image/png", bizRef: "image-seal-1" });
    const other = await mock.createSeal({ partyId: p.partyId, from: "image", bytes: SEAL_PNG, contentType: "image/png", bizRef: "image-seal-2" });
    const b = new Browser(t);
    await b.get("/mock-esign/review");
    expect(b.lastHtml).toContain(seal.sealId);
    const mt = pageToken(b.lastHtml);
    expect((await b.post(`/mock-esign/review/${seal.sealId}`, { _mt: "nope", decision: "approve" }, { csrf: null })).status).toBe(403);
    expect((await b.post(`/mock-esign/review/${other.sealId}`, { _mt: mt, decision: "reject", reason: "" }, { csrf: null })).status).toBe(422);
    expect((await b.post(`/mock-esign/review/${seal.sealId}`, { _mt: mt, decision: "approve" }, { csrf: null })).status).toBe(303);
    expect((await b.post(`/mock-esign/review/${other.sealId}`, { _mt: mt, decision: "reject", reason: "图片模糊" }, { csrf: null })).status).toBe(303);
    expect((await mock.sealStatus(seal.sealId)).status).toBe("active");
    expect((await mock.sealStatus(other.sealId)).status).toBe("rejected");
    expect((await b.post(`/mock-esign/review/${seal.sealId}`, { _mt: mt, decision: "approve" }, { csrf: null })).status).toBe(409);
  });
});

describe("delivery through an injected fetch", () => {
  it("posts each callback through the given function (a platform test delivers into its app without a port)", async () => {
    const t = await makeTestApp();
    try {
      const posted: { url: string; headers: Headers; body: string }[] = [];
      const queued: Record<string, unknown>[] = [];
      const m = mockEsign({
        db: t.deps.db,
        clock: { now: () => new Date() },
        jobs: {
          ...t.deps.jobs,
          send: async (_n, data = {}) => {
            queued.push(data);
            return "job";
          },
        },
        secret: "injected-fetch-secret-0123456789abcdefghij",
        callbackUrl: "http://platform.test/callbacks/esign",
        fetch: async (url, init) => {
          posted.push({ url, headers: new Headers(init.headers), body: String(init.body) });
          return new Response('{"code":200}', { status: 200 });
        },
      });
      const { partyId } = await m.ensureParty({
        kind: "org",
        creditCode: creditCode(),
        name: "注入测试有限公司",
        legalName: "周九",
        legalIdNumber: idNumber(),
      });
      const seal = await m.createSeal({ partyId, from: "image", bytes: SEAL_PNG, contentType: "image/png", bizRef: "injected" });
      await m.reviewSeal(seal.sealId, { approve: true });
      await m.deliver(queued[0] as { batchId: string });
      expect(posted).toHaveLength(1);
      expect(posted[0]!.url).toBe("http://platform.test/callbacks/esign");
      const ts = posted[0]!.headers.get("X-Mock-Esign-Timestamp")!;
      expect(posted[0]!.headers.get("X-Mock-Esign-Signature")).toBe(callbackSignature("injected-fetch-secret-0123456789abcdefghij", ts, posted[0]!.body));
      expect(JSON.parse(posted[0]!.body)).toMatchObject({ type: "seal.active", data: { sealId: seal.sealId, bizRef: "injected" } });
      expect((await m.events()).find((e) => e.body === posted[0]!.body)).toMatchObject({ delivered: true, attempts: 1 });
    } finally {
      await t.close();
    }
  });
});

let pageFlows = 0;
const flowId0 = () => `${Date.now()}-${++pageFlows}`;

describe("in production", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ captchaTestAnswer: null, env: { NODE_ENV: "production", ENCRYPTION_KEYS: KEYS, DEV_SMS_OUTBOX: "false" } });
  });
  afterAll(() => t?.close());

  it("signing is unavailable with a clear message, the mock's pages do not exist and no secret is generated", async () => {
    expect(t.deps.esign.provider).toBe("unavailable");
    const err = await t.deps.esign
      .ensureParty({ kind: "org", creditCode: creditCode(), name: "x", legalName: "x", legalIdNumber: idNumber() })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ESignatureError);
    expect(err).toMatchObject({ code: "unavailable", message: "电子签章服务尚未开通，请联系平台运营人员" });
    const parsed = await t.deps.esign.parseCallback({ headers: {}, rawBody: new Uint8Array(), receivedAt: new Date() });
    expect(parsed).toMatchObject({ ok: false, ack: { status: 401 } });
    const b = new Browser(t);
    for (const path of ["/mock-esign/review", "/mock-esign/static/mock.css", `/mock-esign/sign/${"a".repeat(43)}`]) {
      expect((await b.get(path)).status, path).toBe(404);
    }
    await expect(stat(join(t.deps.config.dataDir, SECRET_FILE_NAME))).rejects.toThrow();
  });
});
