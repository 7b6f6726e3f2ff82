import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callbackSignature } from "../../src/adapters/mock-esign/callback.ts";
import { compactId } from "../../src/modules/signing/service.ts";
import { Browser } from "../support/client.ts";
import { signIn, signInAdmin } from "../support/flows.ts";
import { pageToken, pathOf } from "../support/esign.ts";
import { smsAbout, statusOf } from "../support/orders.ts";
import { type SigningWorld, makeSeal, openSigningPage, refuse, sign, signingOrder, signingWorld } from "../support/signing.ts";

/**
 * Signing an order's agreed contract end to end (docs/signing.md "Flow"): both seals, the flow's
 * start, the phone link, the provider's signed callbacks through the inbox, 待支付定金, the documents;
 * and what must change nothing: replays, forgeries, strangers, stale links.
 */
let w: SigningWorld;
beforeAll(async () => {
  w = await signingWorld();
  await makeSeal(w, w.ent);
  await makeSeal(w, w.pro);
});
afterAll(async () => w?.t.close());

const flows = async (orderId: string) =>
  w.t.deps.db.query<{ id: string; status: string; external_flow_id: string | null; signed_sha256: string | null; vendor_sha256: string | null }>(
    "select id, status, external_flow_id, signed_sha256, vendor_sha256 from sign_flows where order_id = $1 order by created_at",
    [orderId],
  );
const started = async (orderId: string) => {
  const r = await w.t.deps.signing.startFlow(orderId);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
};
/** A callback the mock sent into the app, as stored in the inbox: raw body and headers. */
const inboxRows = async () =>
  w.t.deps.db.query<{ id: number; headers: Record<string, string>; raw: string; verified: boolean | null }>(
    "select id, headers, encode(raw_body, 'escape') as raw, verified from callback_inbox order by id",
  );
const post = (body: string, headers: Record<string, string>) =>
  w.t.app.request("/callbacks/esign", { method: "POST", body, headers: { "Content-Type": "application/json; charset=utf-8", ...headers } });

describe("signing an agreed contract", () => {
  it("from 待签合同 to 待支付定金: the QR link, enterprise first, both signed, the documents for both parties and staff", async () => {
    const id = await signingOrder(w);
    const ent = await signIn(w.t, "13800000001");
    const pro = await signIn(w.t, "13800000008");

    // The order pages offer 签署合同; without a flow yet (the job engine is not running here) the page offers 发起签署.
    await ent.get(`/me/orders/${id}`);
    expect(ent.lastHtml).toContain(`href="/me/orders/${id}/sign">签署合同</a>`);
    await pro.get(`/provider/orders/${id}`);
    expect(pro.lastHtml).toContain(`href="/provider/orders/${id}/sign">签署合同</a>`);
    await ent.get(`/me/orders/${id}/sign`);
    expect(ent.lastHtml).toContain("发起签署</button>");
    const start = await ent.post(`/me/orders/${id}/sign/start`, {});
    expect(start.status).toBe(303);
    const [flow] = await flows(id);
    expect(flow).toMatchObject({ status: "open" });
    expect(flow!.external_flow_id).toBeTruthy();
    expect((await smsAbout(w.t, (await w.t.deps.orders.orderNumberOf(id))!)).some((m) => m.text.includes("待您签署"))).toBe(true);

    // The enterprise's page: a QR code (SVG) of the phone link, the link as text; the provider waits.
    await ent.get(`/me/orders/${id}/sign`);
    expect(ent.lastHtml).toMatch(/<div role="img" aria-label="签署二维码" class="qr-box"><svg[\s\S]*?<\/svg><\/div>/);
    const link = ent.lastHtml.match(/href="(http:\/\/localhost\/s\/[A-Za-z0-9_.-]+)"/)![1]!;
    // A short link, so the QR code stays coarse enough for an old phone's camera.
    expect(pathOf(link).length).toBeLessThanOrEqual(180); // was 330 with full UUID claims
    expect(ent.lastHtml).toContain("刷新状态");
    expect(ent.lastHtml).toContain(`hx-get="/me/orders/${id}/sign/status?k=`);
    await pro.get(`/provider/orders/${id}/sign`);
    expect(pro.lastHtml).not.toContain('aria-label="签署二维码"');
    expect(pro.lastHtml).toContain("先行签署");
    // The provider cannot mint a link before its turn, nor one for the enterprise.
    expect((await w.t.deps.signing.phoneLink(w.pro, id, "provider")).ok).toBe(false);
    expect(await w.t.deps.signing.phoneLink(w.pro, id, "enterprise")).toMatchObject({ ok: false, status: 404 });

    // The phone opens the link once: redirected to the provider's signing page; a second time: 410.
    const phone = new Browser(w.t);
    const opened = await phone.get(pathOf(link));
    expect(opened.status).toBe(303);
    expect(opened.headers.get("Location")).toMatch(/^\/mock-esign\/sign\//);
    const again = await new Browser(w.t).get(pathOf(link));
    expect(again.status).toBe(410);
    expect(await again.text()).toContain("已使用过");

    await sign(w, w.ent, id, "enterprise");
    expect(await statusOf(w.t, id)).toBe("contract_signing");
    const number = (await w.t.deps.orders.orderNumberOf(id))!;
    expect((await smsAbout(w.t, number)).some((m) => m.text.includes("企业已签署，待您签署"))).toBe(true);
    await pro.get(`/provider/orders/${id}/sign`);
    expect(pro.lastHtml).toContain('aria-label="签署二维码"');

    // The poll answers HX-Refresh once the state moved on, the fragment otherwise.
    const key = ent.lastHtml.match(/sign\/status\?k=([^"]+)"/)![1]!;
    const same = await ent.request(`/me/orders/${id}/sign/status?k=${key}`, { headers: { "HX-Request": "true" } });
    expect(same.headers.get("HX-Refresh")).toBe("true");

    await sign(w, w.pro, id, "provider");
    expect(await statusOf(w.t, id)).toBe("awaiting_deposit");
    const [done] = await flows(id);
    expect(done).toMatchObject({ status: "completed" });
    expect(done!.signed_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(done!.vendor_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await smsAbout(w.t, number)).filter((m) => m.text.includes("已完成签署"))).toHaveLength(2);

    // Documents: both parties and staff; the stamped copy is a PDF whose SHA-256 is the recorded one.
    await ent.get(`/me/orders/${id}/sign`);
    expect(ent.lastHtml).toContain("合同已完成签署");
    expect(ent.lastHtml).toContain(done!.signed_sha256!);
    for (const [b, path] of [
      [ent, `/me/orders/${id}/contract.pdf?kind=signed`],
      [pro, `/provider/orders/${id}/contract.pdf?kind=signed`],
      [await signInAdmin(w.t, "operator"), `/admin/orders/${id}/contract.pdf?kind=signed`],
    ] as const) {
      if (path.startsWith("/admin")) {
        await b.get(`/admin/orders/${id}`);
        expect(b.lastHtml).toContain(`href="${path}">下载已签署合同</a>`);
      }
      const res = await b.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("Content-Type")).toBe("application/pdf");
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect(new TextDecoder().decode(bytes.subarray(0, 5))).toBe("%PDF-");
      const { createHash } = await import("node:crypto");
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(done!.signed_sha256);
    }
    const vendor = await ent.request(`/me/orders/${id}/contract.pdf?kind=vendor`);
    expect(vendor.status).toBe(200);
    // A stranger enterprise and a reviewer (not an order reader) get nothing.
    const stranger = await signIn(w.t, "13800000002");
    expect((await stranger.request(`/me/orders/${id}/contract.pdf?kind=signed`)).status).toBe(404);
    expect((await stranger.request(`/me/orders/${id}/sign`)).status).toBe(404);
    expect((await (await signInAdmin(w.t, "reviewer")).request(`/admin/orders/${id}/contract.pdf`)).status).toBe(403);
  });

  it("a callback replayed 100 times makes one transition; a forged, tampered or stale one is refused and changes nothing", async () => {
    const id = await signingOrder(w);
    await started(id);
    await sign(w, w.ent, id, "enterprise");
    const signedRow = (await inboxRows()).filter((r) => r.raw.includes('"signer.signed"')).at(-1)!;
    const events = async () => (await w.t.deps.db.query<{ n: number }>("select count(*)::int as n from callback_events"))[0]!.n;
    const before = await events();
    const answers = await Promise.all(Array.from({ length: 100 }, () => post(signedRow.raw, signedRow.headers)));
    // A replay within the window is acknowledged (the provider stops retrying) and handled as a duplicate.
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(await events()).toBe(before);
    const signers = await w.t.deps.db.query<{ party: string; status: string }>(
      "select s.party, s.status from sign_flow_signers s join sign_flows f on f.id = s.flow_id where f.order_id = $1 order by s.sign_order",
      [id],
    );
    expect(signers).toEqual([
      { party: "enterprise", status: "signed" },
      { party: "provider", status: "waiting" },
    ]);

    // Forged: a completed event for this flow signed with another key, a tampered body, a stale timestamp.
    const [flow] = await flows(id);
    const body = JSON.stringify({
      eventId: "evt_forged_1",
      type: "flow.completed",
      occurredAt: new Date().toISOString(),
      data: { flowId: flow!.external_flow_id, bizRef: flow!.id },
    });
    const ts = String(Date.now());
    const forged = await post(body, { "X-Mock-Esign-Timestamp": ts, "X-Mock-Esign-Signature": callbackSignature("x".repeat(40), ts, body) });
    expect(forged.status).toBe(401);
    const tampered = await post(signedRow.raw.replace("signer.signed", "flow.completed"), signedRow.headers);
    expect(tampered.status).toBe(401);
    expect((await post("not json", {})).status).toBeGreaterThanOrEqual(400);
    expect(await statusOf(w.t, id)).toBe("contract_signing");
    expect((await flows(id))[0]!.status).toBe("open");
    // Every request was stored first, the refused ones marked unverified.
    const last = (await inboxRows()).slice(-3);
    expect(last.map((r) => r.verified)).toEqual([false, false, false]);
  });

  it("the reconciler finishes a flow whose callbacks never came", async () => {
    const id = await signingOrder(w);
    await started(id);
    await sign(w, w.ent, id, "enterprise");
    // The provider signs, but its callbacks are lost (never delivered).
    const { phone, path } = await openSigningPage(w, w.pro, id, "provider");
    expect((await phone.post(`${path}/confirm`, { _mt: pageToken(phone.lastHtml) }, { csrf: null })).status).toBe(303);
    await w.t.deps.db.query("update mock_esign_events set given_up_at = now() where delivered_at is null");
    expect(await statusOf(w.t, id)).toBe("contract_signing");
    const run = await w.t.deps.signing.reconcile({ olderThanMinutes: 0 });
    expect(run.changed).toBeGreaterThan(0);
    expect(await statusOf(w.t, id)).toBe("awaiting_deposit");
    expect((await flows(id))[0]!.status).toBe("completed");
    // Asking again changes nothing.
    await w.t.deps.signing.reconcile({ olderThanMinutes: 0 });
    expect((await flows(id)).map((f) => f.status)).toEqual(["completed"]);
  });

  it("拒签 with a reason: the flow ends refused and the order goes back to 待制定合同 for a new version", async () => {
    const id = await signingOrder(w);
    await started(id);
    await sign(w, w.ent, id, "enterprise");
    await refuse(w, w.pro, id, "provider", "服务期限需要调整");
    expect(await statusOf(w.t, id)).toBe("contract_drafting");
    expect((await flows(id))[0]!.status).toBe("refused");
    const [ev] = await w.t.deps.db.query<{ reason: string }>("select reason from order_events where order_id = $1 and action = 'sign_refused'", [id]);
    expect(ev!.reason).toContain("服务期限需要调整");
    const number = (await w.t.deps.orders.orderNumberOf(id))!;
    expect((await smsAbout(w.t, number)).filter((m) => m.text.includes("签署被拒绝"))).toHaveLength(2);
    // The link of a flow that ended opens nothing.
    expect((await w.t.deps.signing.phoneLink(w.ent, id, "enterprise")).ok).toBe(false);
  });

  it("phone links: forged, expired, for another party or a flow that moved on open nothing", async () => {
    const id = await signingOrder(w);
    const flow = await started(id);
    const key = new TextEncoder().encode(await w.t.deps.cipher.keyedHash("sign-link-key", "signing-link"));
    const token = (claims: Record<string, unknown>, exp: number, k = key) =>
      new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setJti(crypto.randomUUID()).setExpirationTime(exp).sign(k);
    const phone = new Browser(w.t);
    const nowS = Math.floor(Date.now() / 1000);
    const f = compactId(flow.id);
    const cases: [string, number, string][] = [
      [await token({ f, p: "e" }, nowS + 600, new TextEncoder().encode("k".repeat(64))), 404, "签署链接无效"],
      [await token({ f, p: "e" }, nowS - 5), 410, "已过期"],
      [await token({ f, p: "x" }, nowS + 600), 404, "签署链接无效"],
      [await token({ f: compactId(crypto.randomUUID()), p: "e" }, nowS + 600), 404, "签署链接无效"],
      [await token({ f: flow.id, p: "e" }, nowS + 600), 404, "签署链接无效"],
      ["not-a-token", 404, "签署链接无效"],
      ["a".repeat(30), 404, "签署链接无效"],
    ];
    for (const [tok, status, text] of cases) {
      const res = await phone.get(`/s/${tok}`);
      expect(res.status, tok).toBe(status);
      expect(await res.text()).toContain(text);
    }
    // The provider's token before its turn: the provider's page refuses it (not its turn).
    const early = await token({ f, p: "p" }, nowS + 600);
    expect((await phone.get(`/s/${early}`)).status).toBe(409);
    expect(await statusOf(w.t, id)).toBe("contract_signing");
  });
});
