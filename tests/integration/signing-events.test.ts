import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callbackSignature } from "../../src/adapters/mock-esign/callback.ts";
import { testClock } from "../support/app.ts";
import { signIn } from "../support/flows.ts";
import { until } from "../support/esign.ts";
import { smsAbout, statusOf } from "../support/orders.ts";
import { type SigningWorld, makeSeal, sign, signingOrder, signingWorld } from "../support/signing.ts";

/**
 * The provider's events as they really arrive: twice, out of order, for flows we do not know, of
 * types we do not know, after 7 days (expired -> 重新发起签署), and through the job engine (同意
 * starts the flow by a job; the mock's callbacks go out by its delivery jobs).
 */
const flowsOf = async (w: SigningWorld, orderId: string) =>
  w.t.deps.db.query<{ id: string; status: string; external_flow_id: string }>(
    "select id, status, external_flow_id from sign_flows where order_id = $1 order by created_at",
    [orderId],
  );

describe("provider events on a settable clock", () => {
  const clock = testClock(new Date());
  let w: SigningWorld;
  beforeAll(async () => {
    w = await signingWorld({ clock });
    await makeSeal(w, w.ent);
    await makeSeal(w, w.pro);
  });
  afterAll(async () => w?.t.close());

  it("duplicates and out-of-order delivery (flow.completed before signer.signed) end in one transition", async () => {
    const id = await signingOrder(w);
    expect((await w.t.deps.signing.startFlow(id)).ok).toBe(true);
    w.mock.setDelivery({ duplicates: true, outOfOrder: true });
    try {
      await sign(w, w.ent, id, "enterprise");
      await sign(w, w.pro, id, "provider");
    } finally {
      w.mock.setDelivery({ duplicates: false, outOfOrder: false });
    }
    expect(await statusOf(w.t, id)).toBe("awaiting_deposit");
    expect((await flowsOf(w, id)).map((f) => f.status)).toEqual(["completed"]);
    const [ev] = await w.t.deps.db.query<{ n: number }>("select count(*)::int as n from order_events where order_id = $1 and action = 'signed'", [id]);
    expect(ev!.n).toBe(1);
    const signers = await w.t.deps.db.query<{ status: string; signed_at: Date | null }>(
      "select s.status, s.signed_at from sign_flow_signers s join sign_flows f on f.id = s.flow_id where f.order_id = $1",
      [id],
    );
    expect(signers.every((s) => s.status === "signed" && s.signed_at)).toBe(true);
  });

  it("an event for an unknown flow and an unknown type are acknowledged and change nothing", async () => {
    const secret = w.t.mockSecret!;
    const sent: string[] = [];
    const send = async (type: string, data: Record<string, string>) => {
      const eventId = `evt_${crypto.randomUUID()}`;
      sent.push(eventId);
      const body = JSON.stringify({ eventId, type, occurredAt: clock.now().toISOString(), data });
      const ts = String(clock.now().getTime());
      return w.t.app.request("/callbacks/esign", {
        method: "POST",
        body,
        headers: { "Content-Type": "application/json", "X-Mock-Esign-Timestamp": ts, "X-Mock-Esign-Signature": callbackSignature(secret, ts, body) },
      });
    };
    const before = await w.t.deps.db.query<{ n: number }>("select count(*)::int as n from order_events");
    const unknownFlow = await send("flow.completed", { flowId: "flow_nope", bizRef: crypto.randomUUID() });
    expect(unknownFlow.status).toBe(200);
    const unknownType = await send("seal.renamed", { sealId: "seal_x" });
    expect(unknownType.status).toBe(200);
    const outcomes = await w.t.deps.db.query<{ event_type: string; outcome: string }>(
      "select event_type, outcome from callback_events where event_id = any($1::text[]) order by event_type",
      [sent],
    );
    expect(outcomes).toEqual([
      { event_type: "flow.completed", outcome: "unknown flow" },
      { event_type: "unknown", outcome: "ignored: unknown type seal.renamed" },
    ]);
    expect((await w.t.deps.db.query<{ n: number }>("select count(*)::int as n from order_events"))[0]!.n).toBe(before[0]!.n);
    // A stale timestamp (6 minutes old) is refused.
    const body = JSON.stringify({ eventId: "evt_stale", type: "flow.revoked", occurredAt: clock.now().toISOString(), data: { flowId: "f", bizRef: "b" } });
    const ts = String(clock.now().getTime() - 6 * 60_000);
    const stale = await w.t.app.request("/callbacks/esign", {
      method: "POST",
      body,
      headers: { "Content-Type": "application/json", "X-Mock-Esign-Timestamp": ts, "X-Mock-Esign-Signature": callbackSignature(secret, ts, body) },
    });
    expect(stale.status).toBe(401);
  });

  it("a flow unsigned after 7 days expires: both parties are told, and 重新发起签署 opens a new flow on the same version", async () => {
    const id = await signingOrder(w);
    expect((await w.t.deps.signing.startFlow(id)).ok).toBe(true);
    clock.advance(7 * 86_400_000 + 60_000);
    expect((await w.mock.expireDue()).flows).toBeGreaterThan(0);
    await w.mock.deliverDue();
    expect((await flowsOf(w, id)).map((f) => f.status)).toEqual(["expired"]);
    expect(await statusOf(w.t, id)).toBe("contract_signing");
    const number = (await w.t.deps.orders.orderNumberOf(id))!;
    expect((await smsAbout(w.t, number)).filter((m) => m.text.includes("签署已超时"))).toHaveLength(2);

    const ent = await signIn(w.t, "13800000001");
    await ent.get(`/me/orders/${id}/sign`);
    expect(ent.lastHtml).toContain("重新发起签署</button>");
    expect((await ent.post(`/me/orders/${id}/sign/start`, {})).status).toBe(303);
    const flows = await flowsOf(w, id);
    expect(flows.map((f) => f.status)).toEqual(["expired", "open"]);
    expect(flows[1]!.external_flow_id).not.toBe(flows[0]!.external_flow_id);
    // Starting again while a flow is open is refused with a message, nothing new.
    const twice = await ent.post(`/me/orders/${id}/sign/start`, {});
    expect(twice.status).toBe(409);
    expect((await flowsOf(w, id)).length).toBe(2);
  });
});

describe("through the job engine", () => {
  let w: SigningWorld;
  beforeAll(async () => {
    w = await signingWorld({ jobs: "engine" });
    await w.t.deps.jobs.start();
    await w.t.deps.signing.startWorkers();
    await w.mock.startWorkers();
    await makeSeal(w, w.ent);
    await makeSeal(w, w.pro);
  });
  afterAll(async () => w?.t.close());

  it("同意 queues the flow's start; the mock's callbacks arrive by its delivery jobs; the order reaches 待支付定金", async () => {
    const id = await signingOrder(w);
    const [flow] = await until(
      async () => {
        const f = await flowsOf(w, id);
        return f[0]?.external_flow_id ? f : undefined;
      },
      30_000,
      "the sign flow started by the job",
    );
    expect(flow!.status).toBe("open");
    await sign(w, w.ent, id, "enterprise");
    await sign(w, w.pro, id, "provider");
    await until(async () => (await statusOf(w.t, id)) === "awaiting_deposit", 30_000, "待支付定金");
  });
});
