import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callbackSignature } from "../../src/adapters/mock-esign/callback.ts";
import { type MockESignature, RETRY_DELAYS_MS, asMockEsign, mockEsign } from "../../src/adapters/mock-esign/mock-esign.ts";
import { type ESignature, ESignatureError, type SignEvent } from "../../src/ports/esignature.ts";
import type { Jobs } from "../../src/ports/jobs.ts";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { Browser } from "../support/client.ts";
import { type Receiver, SEAL_PNG, SELFIE, creditCode, idNumber, pageToken, pathOf, sha256, startReceiver, testPdf, until } from "../support/esign.ts";

/**
 * The ESignature port's contract (research notes section 1.6), run against the mock provider on the
 * real app: its hosted pages driven by the test Browser, its callbacks received over real HTTP by a
 * small server, its job engine (pg-boss) on the test database. A real adapter passes the same
 * verbs' checks against its vendor's sandbox; the `vendor` driver below is the part that stands for
 * a person on the vendor's pages (and for its review staff), which a sandbox drives its own way.
 */
const SECRET = "contract-test-secret-0123456789abcdefghij";
/** Short back-off for the delivery tests (the real schedule is checked exactly on its own below). */
const FAST_RETRIES = [150, 300, 450, 600, 750];

/** A clock on real time that a test may move ahead (and back), so the job engine's time agrees with it. */
const clock = (() => {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    advance(ms: number) {
      offset += ms;
    },
    reset() {
      offset = 0;
    },
  };
})();

let t: TestApp;
let esign: ESignature;
let mock: MockESignature;
let rx: Receiver;

beforeAll(async () => {
  rx = await startReceiver(() => clock.now());
  t = await makeTestApp({
    clock,
    jobs: "engine",
    env: { MOCK_ESIGN_SECRET: SECRET, MOCK_ESIGN_CALLBACK_URL: rx.url },
    esign: ({ db, clock, jobs }) => mockEsign({ db, clock, jobs, secret: SECRET, callbackUrl: rx.url, retryDelaysMs: FAST_RETRIES }),
  });
  esign = t.deps.esign;
  mock = asMockEsign(esign)!;
  await t.deps.jobs.start();
  await mock.startWorkers();
}, 120_000);

afterAll(async () => {
  await t?.close();
  await rx?.close();
});

// ---------------------------------------------------------------------------------------------
// Test data and the person on the vendor's pages.

type Party = { partyId: string; sealId: string; name: string; legalName: string; legalIdNumber: string };
let seq = 0;
const ref = (what: string) => `${what}-${Date.now().toString(36)}-${++seq}`;

async function party(label = "甲"): Promise<Party> {
  const legalName = `张${label}`;
  const legalIdNumber = idNumber();
  const name = `合同测试${label}企业有限公司`;
  const { partyId } = await esign.ensureParty({ kind: "org", creditCode: creditCode(), name, legalName, legalIdNumber });
  const { sealId } = await esign.createSeal({ partyId, from: "template", name, bizRef: ref("seal") });
  return { partyId, sealId, name, legalName, legalIdNumber };
}

async function flow(parties: { p: Party; order: number }[], opts: { bizRef?: string; expiresInMs?: number } = {}) {
  const bizRef = opts.bizRef ?? ref("order");
  const document = testPdf(bizRef);
  const { flowId } = await esign.createSignFlow({
    title: "服务合同（测试）",
    document,
    sha256: sha256(document),
    signers: parties.map(({ p, order }) => ({ partyId: p.partyId, sealId: p.sealId, order, field: { page: 1, x: 100, y: 120 } })),
    expiresAt: new Date(clock.now().getTime() + (opts.expiresInMs ?? 7 * 86_400_000)),
    bizRef,
  });
  return { flowId, bizRef, document };
}

const link = (flowId: string, p: Party) => esign.signingLink({ flowId, partyId: p.partyId, returnUrl: "/me/orders/back" });

/** A person on the vendor's pages (the mock's, through the app). */
const vendor = {
  async identity(url: string, person: { name: string; idNumber: string }, outcome: "passed" | "failed", selfie = SELFIE) {
    const b = new Browser(t);
    await b.get(pathOf(url));
    return b.postMultipart(
      pathOf(url),
      { _mt: pageToken(b.lastHtml), name: person.name, idNumber: person.idNumber, outcome },
      { selfie: { name: "selfie.jpg", bytes: selfie, type: "image/jpeg" } },
      { csrf: null },
    );
  },
  /** Opens the signing link, passes the face step as `person`, and confirms. The browser, for more steps. */
  async sign(url: string, person: { name: string; idNumber: string }) {
    const b = new Browser(t);
    const page = await b.get(pathOf(url));
    expect(page.status).toBe(200);
    const face = await b.postMultipart(
      `${pathOf(url)}/face`,
      { _mt: pageToken(b.lastHtml), name: person.name, idNumber: person.idNumber, outcome: "passed" },
      { selfie: { name: "selfie.jpg", bytes: SELFIE, type: "image/jpeg" } },
      { csrf: null },
    );
    if (face.status !== 303) return { b, res: face };
    await b.get(face.headers.get("Location")!);
    const res = await b.post(`${pathOf(url)}/confirm`, { _mt: pageToken(b.lastHtml) }, { csrf: null });
    return { b, res };
  },
  async refuse(url: string, reason: string) {
    const b = new Browser(t);
    await b.get(pathOf(url));
    return b.post(`${pathOf(url)}/refuse`, { _mt: pageToken(b.lastHtml), reason }, { csrf: null });
  },
};

const person = (p: Party) => ({ name: p.legalName, idNumber: p.legalIdNumber });

/** The events received for a bizRef, as the platform would read them through parseCallback. */
async function eventsFor(bizRef: string): Promise<SignEvent[]> {
  const out: SignEvent[] = [];
  for (const r of rx.for(bizRef).filter((x) => x.status === 200)) {
    const parsed = await esign.parseCallback({ headers: r.headers, rawBody: r.raw, receivedAt: r.receivedAt });
    if (!parsed.ok) throw new Error(`a delivered callback did not verify: ${parsed.reason}`);
    out.push(...parsed.events);
  }
  return out;
}
const typesFor = async (bizRef: string) => (await eventsFor(bizRef)).map((e) => e.type);
const waitTypes = (bizRef: string, n: number) =>
  until(async () => ((await typesFor(bizRef)).length >= n ? typesFor(bizRef) : undefined), 20_000, `${n} events for ${bizRef}`);
const TERMINAL = new Set(["flow.completed", "flow.revoked", "flow.expired", "signer.refused"]);

async function refusal(p: Promise<unknown>): Promise<ESignatureError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ESignatureError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

// ---------------------------------------------------------------------------------------------

describe("ESignature contract: the mock provider", () => {
  it("creates a party once per 统一社会信用代码 (the same id again), and refuses malformed ones", async () => {
    const code = creditCode();
    const input = { kind: "org" as const, creditCode: code, name: "幂等测试有限公司", legalName: "李四", legalIdNumber: idNumber() };
    const a = await esign.ensureParty(input);
    const b = await esign.ensureParty(input);
    const c = await esign.ensureParty({ ...input, creditCode: code.toLowerCase(), legalName: "王五" });
    expect(a.partyId).toMatch(/^org_/);
    expect(b.partyId).toBe(a.partyId);
    expect(c.partyId).toBe(a.partyId);
    expect((await esign.ensureParty({ ...input, creditCode: creditCode() })).partyId).not.toBe(a.partyId);
    expect((await refusal(esign.ensureParty({ ...input, creditCode: "123" }))).code).toBe("invalid");
    expect((await refusal(esign.ensureParty({ ...input, legalIdNumber: "12345" }))).message).toContain("身份证号");
  });

  it("seals: a template seal is active at once; an image seal waits for review, then active or rejected with a callback; only PNG/JPEG", async () => {
    const p = await party("印");
    expect(await esign.sealStatus(p.sealId)).toEqual({ sealId: p.sealId, status: "active" });

    const approved = ref("seal-img");
    const png = await esign.createSeal({ partyId: p.partyId, from: "image", bytes: SEAL_PNG, contentType: "image/png", bizRef: approved });
    expect(png.status).toBe("pending_review");
    expect(await esign.createSeal({ partyId: p.partyId, from: "image", bytes: SEAL_PNG, contentType: "image/png", bizRef: approved })).toEqual(png);
    expect((await esign.sealStatus(png.sealId)).status).toBe("pending_review");
    await mock.reviewSeal(png.sealId, { approve: true });
    expect((await esign.sealStatus(png.sealId)).status).toBe("active");
    expect(await waitTypes(approved, 1)).toEqual(["seal.active"]);
    expect((await eventsFor(approved))[0]).toMatchObject({ type: "seal.active", sealId: png.sealId, bizRef: approved });

    const rejected = ref("seal-img");
    const jpeg = await esign.createSeal({
      partyId: p.partyId,
      from: "image",
      bytes: new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]),
      contentType: "image/jpeg",
      bizRef: rejected,
    });
    await mock.reviewSeal(jpeg.sealId, { reject: "印章图片不清晰" });
    expect((await esign.sealStatus(jpeg.sealId)).status).toBe("rejected");
    await waitTypes(rejected, 1);
    expect((await eventsFor(rejected))[0]).toMatchObject({ type: "seal.rejected", sealId: jpeg.sealId, reason: "印章图片不清晰" });
    expect((await refusal(mock.reviewSeal(jpeg.sealId, { approve: true }))).code).toBe("conflict");

    const gif = new TextEncoder().encode("GIF89a....");
    for (const [bytes, contentType] of [
      [gif, "image/png"],
      [SEAL_PNG, "image/jpeg"],
      [new TextEncoder().encode("<svg/>"), "image/png"],
    ] as const) {
      const err = await refusal(esign.createSeal({ partyId: p.partyId, from: "image", bytes, contentType, bizRef: ref("bad") }));
      expect(err.code).toBe("invalid");
      expect(err.message).toBe("印章图片须为 PNG 或 JPG 格式");
    }
    expect((await refusal(esign.sealStatus("seal_missing"))).code).toBe("not_found");
  });

  it("identity check: the hosted page checks name and ID number, the result arrives by callback and by polling", async () => {
    const p = await party("认");
    const bizRef = ref("identity");
    const check = await esign.startIdentityCheck({ partyId: p.partyId, person: person(p), returnUrl: "/me/seal/back", bizRef });
    expect(check.url).toMatch(/^\/mock-esign\/identity\/[A-Za-z0-9_-]{43}$/);
    expect(check.expiresAt.getTime() - clock.now().getTime()).toBeGreaterThan(29 * 60_000);
    expect(await esign.identityStatus(check.checkId)).toEqual({ checkId: check.checkId, status: "pending" });

    // Someone else's ID number: refused on the page, nothing changed.
    const wrong = await vendor.identity(check.url, { name: p.legalName, idNumber: idNumber() }, "passed");
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain("姓名或身份证号与认证信息不一致");
    const notPhoto = await vendor.identity(check.url, person(p), "passed", new TextEncoder().encode("not an image"));
    expect(notPhoto.status).toBe(422);
    expect((await esign.identityStatus(check.checkId)).status).toBe("pending");

    const ok = await vendor.identity(check.url, person(p), "passed");
    expect(ok.status).toBe(303);
    expect(ok.headers.get("Location")).toBe("/me/seal/back");
    expect(await esign.identityStatus(check.checkId)).toEqual({ checkId: check.checkId, status: "passed" });
    expect(await waitTypes(bizRef, 1)).toEqual(["identity.passed"]);
    expect((await eventsFor(bizRef))[0]).toMatchObject({ type: "identity.passed", checkId: check.checkId, bizRef });
    // Decided once: the page now says so and offers nothing more.
    const after = await (await new Browser(t).get(pathOf(check.url))).text();
    expect(after).toContain("认证已通过");
    expect(after).not.toContain('name="_mt"');

    const failedRef = ref("identity");
    const second = await esign.startIdentityCheck({ partyId: p.partyId, person: person(p), returnUrl: "/me/seal/back", bizRef: failedRef });
    expect((await vendor.identity(second.url, person(p), "failed")).status).toBe(303);
    expect(await esign.identityStatus(second.checkId)).toMatchObject({ status: "failed", reason: "人脸比对未通过" });
    await waitTypes(failedRef, 1);
    expect((await eventsFor(failedRef))[0]).toMatchObject({ type: "identity.failed", checkId: second.checkId, reason: "人脸比对未通过" });
    expect((await typesFor(bizRef)).length).toBe(1);
  });

  it("a flow with two signers in order: the second gets no link before the first signed; links carry one signer", async () => {
    const [a, b] = [await party("甲"), await party("乙")];
    const f = await flow([
      { p: a, order: 1 },
      { p: b, order: 2 },
    ]);
    expect((await refusal(link(f.flowId, b))).message).toBe("尚未轮到该签署方签署");
    expect(await esign.flowStatus(f.flowId)).toMatchObject({
      flowId: f.flowId,
      bizRef: f.bizRef,
      status: "open",
      signers: [
        { partyId: a.partyId, order: 1, status: "waiting" },
        { partyId: b.partyId, order: 2, status: "waiting" },
      ],
    });

    const la = await link(f.flowId, a);
    expect(la.url).toMatch(/^\/mock-esign\/sign\/[A-Za-z0-9_-]{43}$/);
    expect(la.expiresAt.getTime() - clock.now().getTime()).toBeLessThanOrEqual(30 * 60_000);
    // A's link names A; B's legal representative cannot pass its face step, and 确认签署 waits for it.
    const viewer = new Browser(t);
    await viewer.get(pathOf(la.url));
    expect(viewer.lastHtml).toContain(a.name);
    expect(viewer.lastHtml).not.toContain(b.name);
    expect(viewer.lastHtml).toMatch(/<button type="submit" disabled[^>]*>确认签署<\/button>/);
    expect((await vendor.sign(la.url, person(b))).res.status).toBe(422);
    const early = await viewer.post(`${pathOf(la.url)}/confirm`, { _mt: pageToken(viewer.lastHtml) }, { csrf: null });
    expect(early.status).toBe(409);
    expect(await early.text()).toContain("请先完成人脸认证");
    expect((await esign.flowStatus(f.flowId)).signers[0]!.status).toBe("waiting");

    const signedA = await vendor.sign(la.url, person(a));
    expect(signedA.res.status).toBe(303);
    expect(signedA.res.headers.get("Location")).toBe("/me/orders/back");
    expect(await waitTypes(f.bizRef, 1)).toEqual(["signer.signed"]);
    expect((await eventsFor(f.bizRef))[0]).toMatchObject({ type: "signer.signed", flowId: f.flowId, partyId: a.partyId });
    const status = await esign.flowStatus(f.flowId);
    expect(status.status).toBe("open");
    expect(status.signers[0]).toMatchObject({ partyId: a.partyId, status: "signed" });
    expect(status.signers[0]!.at).toBeInstanceOf(Date);
    // A's link is spent; A gets no new one.
    expect((await new Browser(t).get(pathOf(la.url))).status).toBe(200);
    expect((await refusal(link(f.flowId, a))).message).toBe("该签署方已完成签署操作");
    expect((await refusal(esign.download(f.flowId))).code).toBe("conflict");

    const lb = await link(f.flowId, b);
    expect((await vendor.sign(lb.url, person(b))).res.status).toBe(303);
    expect(await waitTypes(f.bizRef, 3)).toEqual(["signer.signed", "signer.signed", "flow.completed"]);
    expect((await esign.flowStatus(f.flowId)).status).toBe("completed");
  });

  it("signers with the same order sign in parallel; a later one waits for all of them, enforced on the server", async () => {
    const [a, b, c] = [await party("一"), await party("二"), await party("三")];
    const f = await flow([
      { p: a, order: 1 },
      { p: b, order: 1 },
      { p: c, order: 2 },
    ]);
    const [la, lb] = [await link(f.flowId, a), await link(f.flowId, b)];
    expect((await vendor.sign(la.url, person(a))).res.status).toBe(303);
    expect((await refusal(link(f.flowId, c))).code).toBe("conflict");
    expect((await vendor.sign(lb.url, person(b))).res.status).toBe(303);
    const lc = await link(f.flowId, c);
    expect((await vendor.sign(lc.url, person(c))).res.status).toBe(303);
    expect(await waitTypes(f.bizRef, 4)).toEqual(["signer.signed", "signer.signed", "signer.signed", "flow.completed"]);
  });

  it("a signing link expires after 30 minutes (test clock) and a forged one opens nothing", async () => {
    const a = await party("时");
    const f = await flow([{ p: a, order: 1 }]);
    const la = await link(f.flowId, a);
    const b = new Browser(t);
    await b.get(pathOf(la.url));
    const mt = pageToken(b.lastHtml);
    try {
      clock.advance(31 * 60_000);
      const page = await new Browser(t).get(pathOf(la.url));
      expect(page.status).toBe(410);
      expect(await page.text()).toContain("签署链接已过期");
      expect((await b.post(`${pathOf(la.url)}/confirm`, { _mt: mt }, { csrf: null })).status).toBe(410);
    } finally {
      clock.reset();
    }
    expect((await esign.flowStatus(f.flowId)).signers[0]!.status).toBe("waiting");
    // A fresh link works again; a made-up token and another page's form token do not.
    const fresh = await link(f.flowId, a);
    expect((await new Browser(t).get(`/mock-esign/sign/${"A".repeat(43)}`)).status).toBe(404);
    expect((await new Browser(t).post(`${pathOf(fresh.url)}/confirm`, { _mt: mt }, { csrf: null })).status).toBe(403);
    expect((await vendor.sign(fresh.url, person(a))).res.status).toBe(303);
  });

  it("createSignFlow checks the document's SHA-256 and is idempotent by bizRef", async () => {
    const a = await party("哈");
    const document = testPdf("hash-check");
    const input = {
      title: "服务合同",
      document,
      sha256: sha256(document),
      signers: [{ partyId: a.partyId, sealId: a.sealId, order: 1, field: { page: 1, x: 10, y: 10 } }],
      expiresAt: new Date(clock.now().getTime() + 86_400_000),
      bizRef: ref("idem"),
    };
    const first = await esign.createSignFlow(input);
    expect(await esign.createSignFlow(input)).toEqual(first);
    const other = testPdf("another version");
    expect((await refusal(esign.createSignFlow({ ...input, document: other, sha256: sha256(other) }))).code).toBe("conflict");
    expect((await refusal(esign.createSignFlow({ ...input, bizRef: ref("x"), sha256: sha256(other) }))).message).toContain("SHA-256");
    expect((await refusal(esign.createSignFlow({ ...input, bizRef: ref("x"), document: SEAL_PNG, sha256: sha256(SEAL_PNG) }))).message).toBe(
      "签署文件须为 PDF",
    );
    const stranger = await party("他");
    expect(
      (await refusal(esign.createSignFlow({ ...input, bizRef: ref("x"), signers: [{ ...input.signers[0]!, sealId: stranger.sealId }] }))).message,
    ).toBe("印章不属于该签署方");
    const pending = await esign.createSeal({ partyId: a.partyId, from: "image", bytes: SEAL_PNG, contentType: "image/png", bizRef: ref("p") });
    expect((await refusal(esign.createSignFlow({ ...input, bizRef: ref("x"), signers: [{ ...input.signers[0]!, sealId: pending.sealId }] }))).code).toBe(
      "conflict",
    );
  });

  it("download only after completion, with the recorded hash; verify: intact for the file, not intact for a byte-flipped copy", async () => {
    const [a, b] = [await party("下"), await party("载")];
    const f = await flow([
      { p: a, order: 1 },
      { p: b, order: 2 },
    ]);
    expect((await refusal(esign.download(f.flowId))).message).toContain("未完成");
    await vendor.sign((await link(f.flowId, a)).url, person(a));
    await vendor.sign((await link(f.flowId, b)).url, person(b));
    const signed = await esign.download(f.flowId);
    expect(signed.sha256).toBe(sha256(signed.bytes));
    expect(signed.sha256).not.toBe(sha256(f.document));
    expect(Buffer.from(signed.bytes.subarray(0, f.document.length)).equals(Buffer.from(f.document))).toBe(true);
    expect(Buffer.from(signed.bytes).toString("latin1").trimEnd().endsWith("%%EOF")).toBe(true);
    expect(await esign.download(f.flowId)).toEqual(signed);

    const v = await esign.verify(signed.bytes);
    expect(v).toMatchObject({ known: true, intact: true, flowId: f.flowId, bizRef: f.bizRef, sha256: signed.sha256 });
    if (!v.known) throw new Error("unknown");
    expect(v.signers.map((s) => s.partyId)).toEqual([a.partyId, b.partyId]);
    expect(v.signers.map((s) => s.name)).toEqual([a.name, b.name]);
    expect(v.signers.every((s) => s.at instanceof Date)).toBe(true);

    const flipped = new Uint8Array(signed.bytes);
    flipped[40] = flipped[40]! ^ 0x01;
    expect(await esign.verify(flipped)).toMatchObject({ known: true, intact: false, flowId: f.flowId, sha256: signed.sha256 });
    expect(await esign.verify(f.document)).toEqual({ known: false });
    expect(await esign.verify(testPdf("never signed"))).toEqual({ known: false });
  });

  describe("callbacks", () => {
    const GOLDEN = {
      secret: "mock-esign-golden-secret-0123456789abcdef",
      timestamp: "1767225600000",
      body: '{"eventId":"evt_golden","type":"flow.completed","occurredAt":"2026-01-01T00:00:00.000Z","data":{"flowId":"flow_golden","bizRef":"order-1:v1"}}',
      // printf '%s' "$timestamp.$body" | openssl dgst -sha256 -hmac "$secret"
      signature: "f332c309287dee39d5c92a1f255f9ec391e503d9763ad109232824345af4525b",
    };
    const signed = (body: string, opts: { secret?: string; timestamp?: number } = {}) => {
      const ts = String(opts.timestamp ?? clock.now().getTime());
      return {
        headers: { "x-mock-esign-timestamp": ts, "x-mock-esign-signature": callbackSignature(opts.secret ?? SECRET, ts, body) },
        rawBody: new TextEncoder().encode(body),
      };
    };

    it("the signature scheme's golden vector (computed with openssl)", async () => {
      expect(callbackSignature(GOLDEN.secret, GOLDEN.timestamp, GOLDEN.body)).toBe(GOLDEN.signature);
      const golden = mockEsign({ db: t.deps.db, clock, jobs: t.deps.jobs, secret: GOLDEN.secret, callbackUrl: rx.url });
      const parsed = await golden.parseCallback({
        headers: { "X-Mock-Esign-Timestamp": GOLDEN.timestamp, "X-Mock-Esign-Signature": GOLDEN.signature },
        rawBody: new TextEncoder().encode(GOLDEN.body),
        receivedAt: new Date(Number(GOLDEN.timestamp) + 1000),
      });
      expect(parsed).toEqual({
        ok: true,
        events: [
          { eventId: "evt_golden", occurredAt: new Date("2026-01-01T00:00:00.000Z"), type: "flow.completed", flowId: "flow_golden", bizRef: "order-1:v1" },
        ],
        ack: { status: 200, contentType: "application/json", body: '{"code":200}' },
      });
    });

    it("accepts a delivered callback; refuses a tampered body, the wrong key, a stale timestamp, missing headers; malformed JSON is malformed", async () => {
      const p = await party("签");
      const f = await flow([{ p, order: 1 }]);
      await esign.revoke({ flowId: f.flowId, reason: "测试撤销" });
      await until(() => rx.for(f.bizRef).length >= 1);
      const real = rx.for(f.bizRef)[0]!;
      expect(real.headers["content-type"]).toMatch(/^application\/json/);
      expect(real.headers["x-mock-esign-timestamp"]).toMatch(/^\d{13}$/);
      expect(real.headers["x-mock-esign-signature"]).toMatch(/^[0-9a-f]{64}$/);
      expect(real.body).toMatchObject({ type: "flow.revoked", data: { flowId: f.flowId, bizRef: f.bizRef } });
      expect(real.body?.eventId).toMatch(/^evt_/);
      const receivedAt = new Date(Number(real.headers["x-mock-esign-timestamp"]));
      const ok = await esign.parseCallback({ headers: real.headers, rawBody: real.raw, receivedAt });
      expect(ok).toMatchObject({ ok: true, events: [{ type: "flow.revoked", flowId: f.flowId, eventId: real.body!.eventId }], ack: { status: 200 } });

      const tampered = new Uint8Array(real.raw);
      tampered[tampered.length - 3] = tampered[tampered.length - 3]! ^ 0x01;
      const refused = (r: Awaited<ReturnType<ESignature["parseCallback"]>>) => (r.ok ? "accepted" : `${r.reason} ${r.ack.status}`);
      expect(refused(await esign.parseCallback({ headers: real.headers, rawBody: tampered, receivedAt }))).toBe("signature 401");
      const body = Buffer.from(real.raw).toString("utf8");
      const wrongKey = signed(body, { secret: "another-secret-0123456789abcdefghijklmnop", timestamp: receivedAt.getTime() });
      expect(refused(await esign.parseCallback({ ...wrongKey, receivedAt }))).toBe("signature 401");
      const late = new Date(receivedAt.getTime() + 5 * 60_000 + 1);
      expect(refused(await esign.parseCallback({ headers: real.headers, rawBody: real.raw, receivedAt: late }))).toBe("stale 401");
      const early = new Date(receivedAt.getTime() - 5 * 60_000 - 1);
      expect(refused(await esign.parseCallback({ headers: real.headers, rawBody: real.raw, receivedAt: early }))).toBe("stale 401");
      expect((await esign.parseCallback({ headers: real.headers, rawBody: real.raw, receivedAt: new Date(receivedAt.getTime() + 299_000) })).ok).toBe(
        true,
      );
      expect(refused(await esign.parseCallback({ headers: {}, rawBody: real.raw, receivedAt }))).toBe("signature 401");
      expect(refused(await esign.parseCallback({ headers: { ...real.headers, "x-mock-esign-signature": "zz" }, rawBody: real.raw, receivedAt }))).toBe(
        "signature 401",
      );
      expect(refused(await esign.parseCallback({ ...signed("{not json"), receivedAt: clock.now() }))).toBe("malformed 400");
      expect(refused(await esign.parseCallback({ ...signed('{"eventId":"e1","type":"flow.completed","occurredAt":"x"}'), receivedAt: clock.now() }))).toBe(
        "malformed 400",
      );
      expect(
        refused(
          await esign.parseCallback({
            ...signed('{"eventId":"e1","type":"flow.completed","occurredAt":"2026-01-01T00:00:00Z","data":{}}'),
            receivedAt: clock.now(),
          }),
        ),
      ).toBe("malformed 400");
    });

    it("an unknown event type is acknowledged and normalised as `unknown`", async () => {
      const body = JSON.stringify({ eventId: "evt_unknown_1", type: "flow.archived", occurredAt: clock.now().toISOString(), data: { flowId: "f" } });
      const parsed = await esign.parseCallback({ ...signed(body), receivedAt: clock.now() });
      expect(parsed).toMatchObject({
        ok: true,
        events: [{ type: "unknown", vendorType: "flow.archived", eventId: "evt_unknown_1" }],
        ack: { status: 200, body: '{"code":200}' },
      });
    });

    it("retries a callback answered 500 with the same event id and body, then gives up after 6 attempts", async () => {
      const p = await party("重");
      const bizRef = ref("retry");
      const seal = await esign.createSeal({ partyId: p.partyId, from: "image", bytes: SEAL_PNG, contentType: "image/png", bizRef });
      rx.failFor(bizRef, 2);
      await mock.reviewSeal(seal.sealId, { approve: true });
      await until(() => rx.for(bizRef).length >= 3, 20_000, "three attempts");
      const attempts = rx.for(bizRef);
      expect(attempts.map((r) => r.status)).toEqual([500, 500, 200]);
      expect(new Set(attempts.map((r) => r.body?.eventId)).size).toBe(1);
      expect(new Set(attempts.map((r) => Buffer.from(r.raw).toString("hex"))).size).toBe(1);
      // The receiver has answered the third attempt; the mock records it once that answer is back.
      const retriedId = attempts[0]!.body!.eventId!;
      const event = await until(
        async () => {
          const [e] = await mock.events({ eventId: retriedId });
          return e?.delivered ? e : undefined;
        },
        20_000,
        "the delivery recorded",
      );
      expect(event).toMatchObject({ attempts: 3, deliveries: 1, delivered: true, gaveUp: false });

      const lost = ref("lost");
      const seal2 = await esign.createSeal({ partyId: p.partyId, from: "image", bytes: SEAL_PNG, contentType: "image/png", bizRef: lost });
      rx.failFor(lost, Number.POSITIVE_INFINITY);
      await mock.reviewSeal(seal2.sealId, { approve: true });
      const eventId = await until(() => rx.for(lost)[0]?.body?.eventId);
      await until(async () => (await mock.events({ eventId }))[0]?.gaveUp, 20_000, "given up");
      expect(rx.for(lost).length).toBe(6);
      expect((await mock.events({ eventId }))[0]).toMatchObject({ attempts: 6, delivered: false, gaveUp: true });
    });

    it("backs off 10 s, 30 s, 1 min, 5 min, 30 min between attempts (the job's start time, on the mock's clock)", async () => {
      const sent: { data: Record<string, unknown>; startAfter?: Date }[] = [];
      const recording: Jobs = {
        start: async () => {},
        send: async (_name, data = {}, o = {}) => {
          sent.push({ data, startAfter: o.startAfter });
          return `job-${sent.length}`;
        },
        schedule: async () => {},
        schedules: async () => [],
        work: async () => {},
        stop: async () => {},
      };
      // A year ahead, so the app's own tick never finds these events due.
      let at = Date.now() + 365 * 86_400_000;
      const other = mockEsign({ db: t.deps.db, clock: { now: () => new Date(at) }, jobs: recording, secret: SECRET, callbackUrl: rx.url });
      const p = await other.ensureParty({ kind: "org", creditCode: creditCode(), name: "退避测试有限公司", legalName: "赵六", legalIdNumber: idNumber() });
      const bizRef = ref("backoff");
      const seal = await other.createSeal({ partyId: p.partyId, from: "image", bytes: SEAL_PNG, contentType: "image/png", bizRef });
      rx.failFor(bizRef, Number.POSITIVE_INFINITY);
      await other.reviewSeal(seal.sealId, { approve: true });
      expect(sent).toHaveLength(1);
      expect(sent[0]!.startAfter).toBeUndefined();
      await other.deliver(sent[0]!.data as { batchId: string });
      const gaps: number[] = [];
      for (let i = 1; i <= 5; i++) {
        const next = sent[i]!;
        gaps.push(next.startAfter!.getTime() - at);
        at = next.startAfter!.getTime();
        await other.deliver(next.data as { eventId: string });
      }
      expect(gaps).toEqual([...RETRY_DELAYS_MS]);
      expect(sent).toHaveLength(6);
      expect(rx.for(bizRef)).toHaveLength(6);
      expect((await other.events({ eventId: String(sent[1]!.data.eventId) }))[0]).toMatchObject({ attempts: 6, gaveUp: true });
    });

    it("the duplicates switch delivers an event twice with the same event id", async () => {
      const p = await party("双");
      const f = await flow([{ p, order: 1 }]);
      mock.setDelivery({ duplicates: true });
      try {
        await esign.revoke({ flowId: f.flowId, reason: "重复投递测试" });
      } finally {
        mock.setDelivery({ duplicates: false });
      }
      await until(() => rx.for(f.bizRef).length >= 2);
      const [one, two] = rx.for(f.bizRef);
      expect(one!.body?.eventId).toBe(two!.body?.eventId);
      expect(Buffer.from(one!.raw).equals(Buffer.from(two!.raw))).toBe(true);
      const events = await eventsFor(f.bizRef);
      expect(events.map((e) => e.type)).toEqual(["flow.revoked", "flow.revoked"]);
      expect(new Set(events.map((e) => e.eventId)).size).toBe(1);
    });

    it("the out-of-order switch delivers flow.completed before signer.signed", async () => {
      const p = await party("乱");
      const f = await flow([{ p, order: 1 }]);
      const l = await link(f.flowId, p);
      mock.setDelivery({ outOfOrder: true });
      try {
        expect((await vendor.sign(l.url, person(p))).res.status).toBe(303);
      } finally {
        mock.setDelivery({ outOfOrder: false });
      }
      expect(await waitTypes(f.bizRef, 2)).toEqual(["flow.completed", "signer.signed"]);
    });
  });

  describe("terminal states: each flow ends in exactly one terminal event", () => {
    const terminal = async (bizRef: string) => (await typesFor(bizRef)).filter((x) => TERMINAL.has(x));

    it("completed", async () => {
      const p = await party("完");
      const f = await flow([{ p, order: 1 }]);
      await vendor.sign((await link(f.flowId, p)).url, person(p));
      await waitTypes(f.bizRef, 2);
      expect((await refusal(esign.revoke({ flowId: f.flowId, reason: "迟到的撤销" }))).code).toBe("conflict");
      expect(await mock.expireDue()).toBeDefined();
      expect(await terminal(f.bizRef)).toEqual(["flow.completed"]);
    });

    it("refused, with a required reason; a later revoke adds nothing", async () => {
      const [a, b] = [await party("拒"), await party("签")];
      const f = await flow([
        { p: a, order: 1 },
        { p: b, order: 2 },
      ]);
      const l = await link(f.flowId, a);
      const empty = await vendor.refuse(l.url, "  ");
      expect(empty.status).toBe(422);
      expect(await empty.text()).toContain("请填写拒签原因");
      expect((await esign.flowStatus(f.flowId)).status).toBe("open");
      expect((await vendor.refuse(l.url, "合同金额有误")).status).toBe(303);
      const status = await esign.flowStatus(f.flowId);
      expect(status.status).toBe("refused");
      expect(status.signers[0]).toMatchObject({ status: "refused", reason: "合同金额有误" });
      await esign.revoke({ flowId: f.flowId, reason: "拒签后撤销" });
      expect((await refusal(link(f.flowId, b))).code).toBe("conflict");
      await waitTypes(f.bizRef, 1);
      expect((await eventsFor(f.bizRef))[0]).toMatchObject({ type: "signer.refused", partyId: a.partyId, reason: "合同金额有误" });
      expect(await terminal(f.bizRef)).toEqual(["signer.refused"]);
    });

    it("revoked (twice at once: one event); its links stop working", async () => {
      const p = await party("撤");
      const f = await flow([{ p, order: 1 }]);
      const l = await link(f.flowId, p);
      const b = new Browser(t);
      await b.get(pathOf(l.url));
      const mt = pageToken(b.lastHtml);
      await Promise.all([esign.revoke({ flowId: f.flowId, reason: "新版本" }), esign.revoke({ flowId: f.flowId, reason: "新版本" })]);
      expect((await esign.flowStatus(f.flowId)).status).toBe("revoked");
      const page = await (await new Browser(t).get(pathOf(l.url))).text();
      expect(page).toContain("签署流程已撤销");
      expect(page).not.toContain('name="_mt"');
      const late = await b.post(`${pathOf(l.url)}/confirm`, { _mt: mt }, { csrf: null });
      expect(late.status).toBe(409);
      expect(await late.text()).toContain("签署流程已撤销");
      await waitTypes(f.bizRef, 1);
      expect(await terminal(f.bizRef)).toEqual(["flow.revoked"]);
      expect((await refusal(esign.download(f.flowId))).code).toBe("conflict");
    });

    it("expired at its time (test clock), by the tick or on the next look, once", async () => {
      const p = await party("期");
      const f = await flow([{ p, order: 1 }], { expiresInMs: 3_600_000 });
      const g = await flow([{ p, order: 1 }], { expiresInMs: 3_600_000 });
      try {
        clock.advance(2 * 3_600_000);
        const swept = await mock.expireDue();
        expect(swept.flows).toBeGreaterThanOrEqual(1);
        expect((await mock.expireDue()).flows).toBe(0);
        expect((await esign.flowStatus(f.flowId)).status).toBe("expired");
        await esign.revoke({ flowId: f.flowId, reason: "过期后撤销" });
        expect((await refusal(link(f.flowId, p))).message).toBe("签署流程已过期。");
        await waitTypes(f.bizRef, 1);
        await waitTypes(g.bizRef, 1);
      } finally {
        clock.reset();
      }
      expect(await terminal(f.bizRef)).toEqual(["flow.expired"]);
      expect(await terminal(g.bizRef)).toEqual(["flow.expired"]);
    });

    it("an identity check nobody completes fails as expired, once", async () => {
      const p = await party("过");
      const bizRef = ref("identity-expiry");
      const check = await esign.startIdentityCheck({ partyId: p.partyId, person: person(p), returnUrl: "/back", bizRef });
      try {
        clock.advance(31 * 60_000);
        expect(await esign.identityStatus(check.checkId)).toMatchObject({ status: "failed", reason: "认证链接已过期" });
        expect((await new Browser(t).get(pathOf(check.url))).status).toBe(410);
        await waitTypes(bizRef, 1);
      } finally {
        clock.reset();
      }
      expect(await typesFor(bizRef)).toEqual(["identity.failed"]);
    });
  });

  it("two app instances on one database are one provider: a link minted on one works on the other, a lost job is sent by the tick", async () => {
    const { secondInstance } = await import("../support/instances.ts");
    const other = await secondInstance(t);
    try {
      expect(other.deps.esign.provider).toBe("mock");
      const p = await party("双实例");
      const f = await flow([{ p, order: 1 }]);
      const l = await other.deps.esign.signingLink({ flowId: f.flowId, partyId: p.partyId, returnUrl: "/back" });
      expect((await esign.flowStatus(f.flowId)).status).toBe("open");
      // Signed through the second instance's pages: its job engine is not running, so the callback waits for a tick.
      const b = new Browser(other);
      await b.get(pathOf(l.url));
      await b.postMultipart(
        `${pathOf(l.url)}/face`,
        { _mt: pageToken(b.lastHtml), name: p.legalName, idNumber: p.legalIdNumber, outcome: "passed" },
        { selfie: { name: "s.jpg", bytes: SELFIE, type: "image/jpeg" } },
        { csrf: null },
      );
      await b.get(pathOf(l.url));
      expect((await b.post(`${pathOf(l.url)}/confirm`, { _mt: pageToken(b.lastHtml) }, { csrf: null })).status).toBe(303);
      expect((await esign.flowStatus(f.flowId)).status).toBe("completed");
      expect(await esign.verify((await other.deps.esign.download(f.flowId)).bytes)).toMatchObject({ known: true, intact: true });
      await mock.deliverDue();
      expect(await waitTypes(f.bizRef, 2)).toEqual(["signer.signed", "flow.completed"]);
    } finally {
      await other.close();
    }
  });
});
