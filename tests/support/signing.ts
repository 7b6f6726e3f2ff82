import { type MockESignature, asMockEsign } from "../../src/adapters/mock-esign/mock-esign.ts";
import type { Side } from "../../src/modules/signing/service.ts";
import type { Clock } from "../../src/ports/clock.ts";
import { type TestApp, makeTestApp } from "./app.ts";
import { Browser } from "./client.ts";
import { SELFIE, pageToken, pathOf, until } from "./esign.ts";
import { accountOf, placeOrder, productBy } from "./orders.ts";

/**
 * Signing tests' shared steps: the demo platform with the mock provider posting its callbacks into
 * the app, an order taken to 待签合同 through the real use cases, a seal made through the mock's
 * face-check page, and one party's signature through the phone link and the mock's signing page.
 * No vitest here (the signing benchmark uses these steps too): a step that does not go as a person
 * would see it throws.
 */
function must(ok: boolean, what: string): void {
  if (!ok) throw new Error(`signing step failed: ${what}`);
}
export type SigningWorld = {
  t: TestApp;
  mock: MockESignature;
  /** Enterprise 1 (buyer) and provider 8's account (金属材料力学性能检测). */
  ent: string;
  pro: string;
  product: string;
};

export async function signingWorld(
  opts: { jobs?: "engine"; clock?: Clock; env?: Record<string, string>; countStatements?: boolean } = {},
): Promise<SigningWorld> {
  const t = await makeTestApp({
    demo: true,
    mockCallbacks: true,
    jobs: opts.jobs,
    clock: opts.clock,
    env: opts.env,
    countStatements: opts.countStatements,
  });
  const [ent, pro] = await Promise.all([accountOf(t, "13800000001"), accountOf(t, "13800000008")]);
  return { t, mock: asMockEsign(t.deps.esign)!, ent, pro, product: await productBy(t, "金属材料力学性能检测") };
}

/** An order of `ent` for `product` taken to 待签合同 (接单, 制定合同 with ¥800 定金, 提交企业确认, 同意); its id. */
export async function signingOrder(
  w: SigningWorld,
  opts: { ent?: string; pro?: string; product?: string; useVoucher?: boolean; contract?: { depositFen?: number; contractFen?: number } } = {},
): Promise<string> {
  const { t } = w;
  const ent = opts.ent ?? w.ent;
  const pro = opts.pro ?? w.pro;
  const order = await placeOrder(t, ent, opts.product ?? w.product, { useVoucher: opts.useVoucher });
  must((await t.deps.orders.accept(pro, order.id, undefined)).ok, "接单");
  const draft = await t.deps.orders.providerContract(pro, order.id);
  if (!draft.ok) throw new Error(JSON.stringify(draft.errors));
  const { partyA: _a, partyB: _b, ...terms } = draft.value.content;
  // ¥800 of 定金 unless the test says otherwise (without one, 签署完成 goes straight to 待开始服务).
  const saved = await t.deps.orders.saveContract(pro, order.id, {
    ...terms,
    serviceFrom: "2026-12-10",
    serviceTo: "2027-01-31",
    depositFen: 80_000,
    ...opts.contract,
  });
  must(saved.ok, "制定合同");
  const versions = await t.deps.db.query<{ version: number }>("select max(version)::int as version from contract_versions where order_id = $1", [
    order.id,
  ]);
  const v = versions[0]!.version;
  must((await t.deps.orders.submitContract(pro, order.id, v, undefined)).ok, "提交企业确认");
  must((await t.deps.orders.agreeContract(ent, order.id, v, undefined)).ok, "同意");
  return order.id;
}

/**
 * Sends the mock's due callbacks and waits until none is still on its way: with the job engine
 * running, a delivery job may have taken an event (its lease) just before `deliverDue()` looked,
 * and the callback is then in flight rather than done.
 */
export async function deliverCallbacks(w: SigningWorld): Promise<void> {
  await w.mock.deliverDue();
  await until(
    async () => {
      const [r] = await w.t.deps.db.query<{ n: number }>(
        "select count(*)::int as n from mock_esign_events where delivered_at is null and given_up_at is null and lease_until > $1",
        [w.t.deps.clock.now()],
      );
      return r!.n === 0;
    },
    20_000,
    "the mock's callbacks in flight delivered",
  );
}

/** The mock's face-check page passed (or failed) as a person does it, on a browser of its own. */
export async function passFace(t: TestApp, url: string, person: { name: string; idNumber: string }, outcome: "passed" | "failed" = "passed") {
  const b = new Browser(t);
  const path = pathOf(url);
  await b.get(path);
  const res = await b.postMultipart(
    path,
    { _mt: pageToken(b.lastHtml), ...person, outcome },
    { selfie: { name: "me.jpg", bytes: SELFIE, type: "image/jpeg" } },
    { csrf: null },
  );
  return res;
}

/** The demo legal representative of a demo enterprise (as certified): name and ID number. */
export async function legalOf(t: TestApp, accountId: string) {
  const e = await t.deps.enterprises.ofAccount(accountId);
  const s = await t.deps.enterprises.signatory(e!.id);
  return s!.legal;
}

/** 制作签章 for the account's enterprise through the service, the mock's page and its callback; the seal row. */
export async function makeSeal(w: SigningWorld, accountId: string) {
  const started = await w.t.deps.signing.startSeal(accountId, { who: "legal", returnUrl: "/me/seal" });
  if (!started.ok) throw new Error(JSON.stringify(started.errors));
  must((await passFace(w.t, started.value.url, await legalOf(w.t, accountId))).status === 303, "人脸认证");
  await deliverCallbacks(w);
  const seals = await w.t.deps.signing.mySeals(accountId);
  if (!seals.ok) throw new Error(JSON.stringify(seals.errors));
  must(seals.value.active?.status === "active", "签章已生效");
  return seals.value.active!;
}

/** The provider's signing page reached through a phone link, face step passed; the page's path and the browser on it. */
export async function openSigningPage(w: SigningWorld, accountId: string, orderId: string, side: Side) {
  const link = await w.t.deps.signing.phoneLink(accountId, orderId, side);
  if (!link.ok) throw new Error(JSON.stringify(link.errors));
  const phone = new Browser(w.t);
  const res = await phone.get(`/s/${link.value.token}`);
  must(res.status === 303, `the phone link answers ${res.status}`);
  const path = pathOf(res.headers.get("Location")!);
  await phone.get(path);
  const face = await phone.postMultipart(
    `${path}/face`,
    { _mt: pageToken(phone.lastHtml), ...(await legalOf(w.t, accountId)), outcome: "passed" },
    { selfie: { name: "me.jpg", bytes: SELFIE, type: "image/jpeg" } },
    { csrf: null },
  );
  must(face.status === 303, "签署前人脸认证");
  await phone.get(path);
  return { phone, path };
}

/** One party signs (确认签署) and the provider's callbacks are delivered. */
export async function sign(w: SigningWorld, accountId: string, orderId: string, side: Side) {
  const { phone, path } = await openSigningPage(w, accountId, orderId, side);
  const done = await phone.post(`${path}/confirm`, { _mt: pageToken(phone.lastHtml) }, { csrf: null });
  must(done.status === 303, "确认签署");
  await deliverCallbacks(w);
}

/** 拒签 with a reason by one party, callbacks delivered. */
export async function refuse(w: SigningWorld, accountId: string, orderId: string, side: Side, reason: string) {
  const { phone, path } = await openSigningPage(w, accountId, orderId, side);
  const done = await phone.post(`${path}/refuse`, { _mt: pageToken(phone.lastHtml), reason }, { csrf: null });
  must(done.status === 303, "拒签");
  await deliverCallbacks(w);
}
