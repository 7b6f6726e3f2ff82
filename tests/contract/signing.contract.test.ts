import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/adapters/migrate.ts";
import { type Db, UniqueViolation } from "../../src/ports/db.ts";
import { pgSigning } from "../../src/modules/signing/pg.ts";
import type { NewFlow } from "../../src/modules/signing/ports.ts";
import { certifiedEnterpriseRow, contractDatabases, providerRows } from "../support/db.ts";

/**
 * The signing repository on both databases: one active and one 制作中 seal per enterprise (re-making
 * retires the old one), one open flow per order over an agreed contract version, signers that sign
 * or refuse once, flows that end once, and the callback inbox that stores raw bytes and claims each
 * provider event exactly once, also when claims race.
 */
type Env = { db: Db; cleanup: () => Promise<void> };
const envs = contractDatabases();

const AT = new Date("2026-12-01T02:00:00Z");
const SHA = "a".repeat(64);
/** Two enterprises, a provider of the second, an order between them with version 1 of its contract agreed, and a file. */
async function seed(db: Db) {
  const buyer = await certifiedEnterpriseRow(db, "签署测试企业");
  const seller = await certifiedEnterpriseRow(db, "签署测试服务机构");
  const { providerId, productId } = await providerRows(db, seller, "签署测试服务机构");
  const order = async (n: number) => {
    const [o] = await db.query<{ id: string }>(
      `insert into orders (number, enterprise_id, provider_id, product_id, status, quantity, unit_price_fen, order_fen, contract_fen,
         deduction_fen, self_pay_fen, snapshot, submission_key)
       values ($1, $2, $3, $4, 'contract_signing', 1, 100000, 100000, 100000, 0, 100000, '{}'::jsonb, $5) returning id`,
      [`DD20261201${String(900000 + n)}`, buyer, providerId, productId, `k#${n}`],
    );
    await db.query("insert into contracts (order_id) values ($1)", [o!.id]);
    await db.query("insert into contract_versions (order_id, version, content, status, sha256) values ($1, 1, '{}'::jsonb, 'agreed', $2)", [o!.id, SHA]);
    return o!.id;
  };
  const [file] = await db.query<{ id: string }>(
    `insert into files (owner_enterprise_id, purpose, original_name, content_type, size_bytes, sha256, storage_key)
     values ($1, 'contract', '合同.pdf', 'application/pdf', 100, $2, 'k/contract.pdf') returning id`,
    [buyer, SHA],
  );
  return { buyer, seller, order, fileId: file!.id };
}

describe.each(envs)("signing repository: %s", (_name, open) => {
  let env: Env;
  let s: Awaited<ReturnType<typeof seed>>;
  beforeAll(async () => {
    env = await open();
    await migrate(env.db);
    s = await seed(env.db);
  });
  afterAll(async () => env?.cleanup());

  const newSeal = (enterpriseId: string, checkId: string) => ({
    enterpriseId,
    provider: "mock",
    externalPartyId: `party-${enterpriseId}`,
    identityCheckId: checkId,
    source: "template" as const,
    name: "签署测试企业",
    imageFileId: null,
    at: AT,
  });

  it("makes a seal active once, retires the old one when re-made, and keeps one 制作中 at a time", async () => {
    const repo = pgSigning(env.db);
    const first = await repo.insertSeal(newSeal(s.buyer, "check-1"));
    expect(first).toMatchObject({ status: "making", activatedAt: null, enterpriseId: s.buyer });
    await expect(repo.insertSeal(newSeal(s.buyer, "check-2"))).rejects.toBeInstanceOf(UniqueViolation);
    expect((await repo.sealByCheck("mock", "check-1"))?.id).toBe(first.id);
    expect(await repo.makingSeal(s.buyer)).toMatchObject({ id: first.id });

    expect(await repo.activateSeal(first.id, "seal-1", AT)).toBe(true);
    expect(await repo.activateSeal(first.id, "seal-1", AT)).toBe(false);
    expect(await repo.activeSeal(s.buyer)).toMatchObject({ id: first.id, status: "active", externalSealId: "seal-1" });

    const later = new Date(AT.getTime() + 60_000);
    const second = await repo.insertSeal({ ...newSeal(s.buyer, "check-3"), at: later });
    expect(await repo.activateSeal(second.id, "seal-2", later)).toBe(true);
    const all = await repo.seals(s.buyer);
    expect(all.map((x) => [x.id, x.status])).toEqual([
      [second.id, "active"],
      [first.id, "disabled"],
    ]);
    expect(all[1]!.disabledAt).toEqual(later);

    const failing = await repo.insertSeal(newSeal(s.buyer, "check-4"));
    expect(await repo.failSeal(failing.id, "人脸认证未通过")).toBe(true);
    expect(await repo.failSeal(failing.id, "again")).toBe(false);
    expect(await repo.activateSeal(failing.id, "seal-x", AT)).toBe(false);
    expect(await repo.activeSeal(s.buyer)).toMatchObject({ id: second.id });
    expect(await repo.sealById("not-a-uuid")).toBeUndefined();
  });

  it("keeps one open flow per order over an agreed version; signers sign or refuse once; a flow ends once", async () => {
    const repo = pgSigning(env.db);
    const buyerSeal = (await repo.activeSeal(s.buyer))!;
    const sellerSeal = await repo.insertSeal({ ...newSeal(s.seller, "check-s1"), name: "签署测试服务机构" });
    await repo.activateSeal(sellerSeal.id, "seal-s1", AT);
    const orderId = await s.order(1);
    const input: NewFlow = {
      orderId,
      contractVersion: 1,
      provider: "mock",
      documentFileId: s.fileId,
      documentSha256: SHA,
      expiresAt: new Date(AT.getTime() + 7 * 86_400_000),
      at: AT,
      signers: [
        { party: "enterprise", enterpriseId: s.buyer, sealId: buyerSeal.id, signOrder: 1 },
        { party: "provider", enterpriseId: s.seller, sealId: sellerSeal.id, signOrder: 2 },
      ],
    };
    const f = await repo.insertFlow(input);
    expect(f).toMatchObject({ status: "open", endedAt: null, externalFlowId: null });
    await expect(repo.insertFlow(input)).rejects.toBeInstanceOf(UniqueViolation);
    await expect(repo.insertFlow({ ...input, orderId: await s.order(2), contractVersion: 2 })).rejects.toThrow();
    await repo.setExternalFlowId(f.id, "flow-ext-1");
    expect((await repo.flowByExternal("mock", "flow-ext-1"))?.id).toBe(f.id);
    expect((await repo.openFlow(orderId))?.id).toBe(f.id);

    expect((await repo.signers(f.id)).map((x) => [x.party, x.signOrder, x.status])).toEqual([
      ["enterprise", 1, "waiting"],
      ["provider", 2, "waiting"],
    ]);
    expect(await repo.signerSigned(f.id, "enterprise", AT)).toBe(true);
    expect(await repo.signerSigned(f.id, "enterprise", AT)).toBe(false);
    expect(await repo.signerRefused(f.id, "enterprise", "x")).toBe(false);
    expect(await repo.signerSigned(f.id, "provider", AT)).toBe(true);

    expect(await repo.openFlowsBefore(new Date(AT.getTime() + 1), 10)).toContainEqual(expect.objectContaining({ id: f.id }));
    expect(
      await repo.endFlow(f.id, "completed", AT, { fileId: s.fileId, sha256: "b".repeat(64), vendor: { fileId: s.fileId, sha256: "c".repeat(64) } }),
    ).toBe(true);
    expect(await repo.endFlow(f.id, "revoked", AT)).toBe(false);
    expect(await repo.flowById(f.id)).toMatchObject({ status: "completed", signedSha256: "b".repeat(64), vendorSha256: "c".repeat(64), endedAt: AT });
    for (const sha of ["b".repeat(64), "c".repeat(64), SHA]) expect((await repo.completedFlowsBySha256(sha)).map((x) => x.id)).toEqual([f.id]);
    expect(await repo.completedFlowsBySha256("d".repeat(64))).toEqual([]);
    expect(await repo.completedFlowsBySha256("not-a-hash")).toEqual([]);
    expect(await repo.openFlow(orderId)).toBeUndefined();
    expect(await repo.openFlowsBefore(new Date(AT.getTime() + 1), 10)).not.toContainEqual(expect.objectContaining({ id: f.id }));

    // After it ended, a new flow of the same order may open (重新发起签署).
    const again = await repo.insertFlow({ ...input, at: new Date(AT.getTime() + 60_000) });
    expect(await repo.signerRefused(again.id, "provider", "条款有误")).toBe(true);
    expect((await repo.signers(again.id)).find((x) => x.party === "provider")).toMatchObject({ status: "refused", refuseReason: "条款有误" });
    expect((await repo.flowsOfOrder(orderId)).map((x) => x.id)).toEqual([f.id, again.id]);
  });

  it("stores a callback's raw bytes and headers as they came, and claims each event once, also when claims race", async () => {
    const repo = pgSigning(env.db);
    const raw = new Uint8Array([0, 255, 1, 254, ...new TextEncoder().encode('{"type":"签署"}')]);
    const id = await repo.storeRequest({ provider: "mock", receivedAt: AT, headers: { "x-mock-esign-timestamp": "1" }, rawBody: raw });
    expect(await repo.inboxRow(id)).toMatchObject({ id, verified: null, events: null, rawBody: raw });
    await repo.markRequest(id, { verified: true, events: 1, at: AT });
    expect(await repo.inboxRow(id)).toMatchObject({ verified: true, events: 1, refusal: null });

    const claim = (eventId: string) => repo.claimEvent({ provider: "mock", eventId, inboxId: id, eventType: "signer.signed", outcome: "签署", at: AT });
    expect(await claim("evt-1")).toBe(true);
    expect(await claim("evt-1")).toBe(false);
    // A claim rolled back with its transaction leaves the event unclaimed.
    await expect(
      env.db.transaction(async (tx) => {
        expect(await pgSigning(tx).claimEvent({ provider: "mock", eventId: "evt-2", inboxId: id, eventType: "x", outcome: "y", at: AT })).toBe(true);
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect(await claim("evt-2")).toBe(true);
    // Racing claims of one new event: exactly one wins.
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        env.db.transaction((tx) => pgSigning(tx).claimEvent({ provider: "mock", eventId: "evt-3", inboxId: null, eventType: "x", outcome: "y", at: AT })),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});
