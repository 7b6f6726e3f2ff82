import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { accountOf, placeOrder, productBy, smsAbout } from "../support/orders.ts";

/**
 * What the signing module asks of orders: the agreed contract of an order in 待签合同, and the
 * outcomes 签署完成 (-> 待支付定金) and 拒签 (-> 待制定合同, the provider writes the next version), in
 * the caller's transaction, refused for a wrong state or an old version. Demo data: provider 8 sells
 * 金属材料力学性能检测; enterprise 1 holds a 通用券.
 */
let t: TestApp;
let ent: string;
let pro: string;
let product: string;

const status = async (id: string) =>
  (await t.deps.db.query<{ status: string; version: number }>("select status, version from orders where id = $1", [id]))[0]!;
const events = async (id: string) =>
  t.deps.db.query<{ action: string; actor_type: string; reason: string | null }>(
    "select action, actor_type, reason from order_events where order_id = $1 order by id",
    [id],
  );

/** An order of enterprise 1 taken to 待签合同 through the real use cases; its id. */
async function signingOrder(): Promise<string> {
  const order = await placeOrder(t, ent, product);
  expect((await t.deps.orders.accept(pro, order.id, undefined)).ok).toBe(true);
  const draft = await t.deps.orders.providerContract(pro, order.id);
  if (!draft.ok) throw new Error(JSON.stringify(draft.errors));
  const { partyA: _a, partyB: _b, ...terms } = draft.value.content;
  expect((await t.deps.orders.saveContract(pro, order.id, { ...terms, serviceFrom: "2026-12-10", serviceTo: "2027-01-31", depositFen: 80_000 })).ok).toBe(
    true,
  );
  expect((await t.deps.orders.submitContract(pro, order.id, 1, undefined)).ok).toBe(true);
  expect((await t.deps.orders.agreeContract(ent, order.id, 1, undefined)).ok).toBe(true);
  return order.id;
}

beforeAll(async () => {
  t = await makeTestApp({ demo: true });
  [ent, pro] = await Promise.all([accountOf(t, "13800000001"), accountOf(t, "13800000008")]);
  product = await productBy(t, "金属材料力学性能检测");
});
afterAll(async () => t?.close());

describe("orders for signing", () => {
  it("a contract without 定金: 签署完成 goes on to 待开始服务 in the same transaction (定金到账 by the system)", async () => {
    const order = await placeOrder(t, ent, product);
    expect((await t.deps.orders.accept(pro, order.id, undefined)).ok).toBe(true);
    const draft = await t.deps.orders.providerContract(pro, order.id);
    if (!draft.ok) throw new Error(JSON.stringify(draft.errors));
    const { partyA: _a, partyB: _b, ...terms } = draft.value.content;
    expect((await t.deps.orders.saveContract(pro, order.id, { ...terms, serviceFrom: "2026-12-10", serviceTo: "2027-01-31", depositFen: 0 })).ok).toBe(
      true,
    );
    expect((await t.deps.orders.submitContract(pro, order.id, 1, undefined)).ok).toBe(true);
    expect((await t.deps.orders.agreeContract(ent, order.id, 1, undefined)).ok).toBe(true);
    expect(await t.deps.orders.signingOutcome(order.id, { action: "signed", contractVersion: 1 })).toMatchObject({
      ok: true,
      value: { status: "awaiting_start" },
    });
    expect((await events(order.id)).map((e) => e.action).slice(-2)).toEqual(["signed", "deposit_paid"]);
  });

  it("gives the agreed version of an order in 待签合同 with its hash and both parties; other statuses are 409", async () => {
    const id = await signingOrder();
    const terms = await t.deps.orders.signingTerms(id);
    if (!terms.ok) throw new Error(JSON.stringify(terms.errors));
    const [row] = await t.deps.db.query<{ sha256: string }>("select sha256 from contract_versions where order_id = $1 and version = 1", [id]);
    expect(terms.value).toMatchObject({ contractVersion: 1, contentSha256: row!.sha256 });
    expect(terms.value.content.serviceTo).toBe("2027-01-31");
    const [ids] = await t.deps.db.query<{ buyer: string; seller: string }>(
      "select o.enterprise_id as buyer, p.enterprise_id as seller from orders o join providers p on p.id = o.provider_id where o.id = $1",
      [id],
    );
    expect(terms.value.order.enterpriseId).toBe(ids!.buyer);
    expect(terms.value.providerEnterpriseId).toBe(ids!.seller);

    const pending = await placeOrder(t, ent, product, { useVoucher: false });
    expect(await t.deps.orders.signingTerms(pending.id)).toMatchObject({ ok: false, status: 409 });
    expect(await t.deps.orders.signingTerms(crypto.randomUUID())).toMatchObject({ ok: false, status: 404 });
  });

  it("签署完成 moves 待签合同 to 待支付定金 once, by the system; a second outcome is refused and changes nothing", async () => {
    const id = await signingOrder();
    const signed = await t.deps.orders.signingOutcome(id, { action: "signed", contractVersion: 1 });
    expect(signed).toMatchObject({ ok: true, value: { status: "awaiting_deposit" } });
    expect((await events(id)).at(-1)).toEqual({ action: "signed", actor_type: "system", reason: null });
    const number = signed.ok ? signed.value.number : "";
    const done = (await smsAbout(t, number)).filter((m) => m.text.includes("已完成签署"));
    expect(done.map((m) => m.phone).sort()).toEqual(["13800000001", "13800000008"]);
    const before = await status(id);
    expect(await t.deps.orders.signingOutcome(id, { action: "signed", contractVersion: 1 })).toMatchObject({ ok: false, status: 409 });
    expect(await t.deps.orders.signingOutcome(id, { action: "sign_refused", contractVersion: 1, reason: "晚到的拒签" })).toMatchObject({
      ok: false,
      status: 409,
    });
    expect(await status(id)).toEqual(before);
  });

  it("拒签 sends the order back to 待制定合同 with the reason; the provider writes version 2 from a copy; an outcome for version 1 is then refused", async () => {
    const id = await signingOrder();
    expect(await t.deps.orders.signingOutcome(id, { action: "sign_refused", contractVersion: 1, reason: "签署人不是法定代表人" })).toMatchObject({
      ok: true,
      value: { status: "contract_drafting" },
    });
    expect((await events(id)).at(-1)).toEqual({ action: "sign_refused", actor_type: "system", reason: "签署人不是法定代表人" });
    const draft = await t.deps.orders.providerContract(pro, id);
    if (!draft.ok) throw new Error(JSON.stringify(draft.errors));
    expect(draft.value.editable).toBe(true);
    const { partyA: _a, partyB: _b, ...terms } = draft.value.content;
    expect(terms.serviceTo).toBe("2027-01-31");
    expect(await t.deps.orders.saveContract(pro, id, { ...terms, otherTerms: "由法定代表人签署" })).toEqual({ ok: true, value: { version: 2 } });
    expect((await t.deps.orders.submitContract(pro, id, 2, undefined)).ok).toBe(true);
    expect((await t.deps.orders.agreeContract(ent, id, 2, undefined)).ok).toBe(true);
    expect((await t.deps.orders.signingTerms(id)).ok && (await t.deps.orders.signingTerms(id))).toMatchObject({ value: { contractVersion: 2 } });
    // Version 1's signing is over: its late outcome changes nothing.
    const before = await status(id);
    expect(await t.deps.orders.signingOutcome(id, { action: "signed", contractVersion: 1 })).toMatchObject({ ok: false, status: 409 });
    expect(await status(id)).toEqual(before);
  });

  it("applied in the caller's transaction: a rollback there leaves the order in 待签合同", async () => {
    const id = await signingOrder();
    await expect(
      t.deps.db.transaction(async (tx) => {
        const order = await t.deps.orders.applySigningOutcome(tx, id, { action: "signed", contractVersion: 1 });
        expect(order.status).toBe("awaiting_deposit");
        throw new Error("the callback's claim failed");
      }),
    ).rejects.toThrow("the callback's claim failed");
    expect((await status(id)).status).toBe("contract_signing");
  });
});
