import { describe, expect, it } from "vitest";
import {
  type ChannelAnswer,
  type ChannelPayment,
  type ChannelRefund,
  type DayEvent,
  type DayInput,
  type DayLine,
  type DayPayment,
  type DayRefund,
  reconcileDay,
} from "../../src/modules/payments/reconciliation-domain.ts";

/**
 * 对账's comparison (src/modules/payments/reconciliation-domain.ts) on hand-made days: a clean day,
 * then each kind of difference or note alone, including the ones the integration test cannot make
 * happen through the platform (money lines are append-only and written with the payment).
 */
const from = new Date("2026-12-03T16:00:00Z");
const to = new Date("2026-12-04T16:00:00Z");
const during = new Date("2026-12-04T02:00:00Z");

const pay = (no: string, o: Partial<DayPayment> = {}): DayPayment => ({
  id: `id-${no}`,
  orderId: "order-1",
  orderNumber: "DD20261204000001",
  kind: "deposit",
  paymentNo: no,
  amountFen: 80_000,
  status: "succeeded",
  gatewayPaymentId: `tx_${no}`,
  ...o,
});
const refund = (no: string, paymentNo: string, o: Partial<DayRefund> = {}): DayRefund => ({
  paymentId: `id-${paymentNo}`,
  orderId: "order-1",
  orderNumber: "DD20261204000001",
  refundNo: no,
  paymentNo,
  amountFen: 50_000,
  status: "succeeded",
  cause: "termination",
  acceptedAt: during,
  ...o,
});
const line = (ref: string, kind: string, amountFen: number, at = during): DayLine => ({ orderId: "order-1", kind, amountFen, ref, at });
const event = (ref: string, type: string, o: Partial<DayEvent> = {}): DayEvent => ({
  eventId: `evt_${ref}`,
  ref,
  inboxId: 1,
  eventType: type,
  outcome: "ok",
  handledAt: during,
  ...o,
});
const paid = (p: DayPayment): ChannelAnswer<ChannelPayment> => ({
  found: { status: "succeeded", amountFen: p.amountFen, gatewayPaymentId: p.gatewayPaymentId ?? "" },
});
const refunded = (r: DayRefund): ChannelAnswer<ChannelRefund> => ({ found: { status: "succeeded", amountFen: r.amountFen } });

/** A clean day: one deposit and one refund of it, each with its line, its notification and the channel agreeing. */
function cleanDay(): DayInput {
  const p = pay("P1D1");
  const r = refund("R1D1R1", "P1D1");
  return {
    from,
    to,
    ended: [p],
    refunded: [r],
    pending: [],
    processing: [],
    otherPayments: [],
    otherRefunds: [],
    channelPayments: new Map([[p.paymentNo, paid(p)]]),
    channelRefunds: new Map([[r.refundNo, refunded(r)]]),
    lines: [line("P1D1", "deposit_paid", 80_000), line("R1D1R1", "refund", 50_000)],
    events: [event("P1D1", "payment.succeeded"), event("R1D1R1", "refund.succeeded")],
  };
}
const kinds = (d: DayInput) => reconcileDay(d).items.map((i) => [i.kind, i.ref, i.severity]);

describe("对账's comparison", () => {
  it("a clean day: no difference, the counts and sums", () => {
    const r = reconcileDay(cleanDay());
    expect(r).toMatchObject({
      status: "clean",
      paymentCount: 1,
      paymentFen: 80_000,
      refundCount: 1,
      refundFen: 50_000,
      queried: 2,
      lineCount: 2,
      noticeCount: 2,
      differenceCount: 0,
      noteCount: 0,
      items: [],
    });
  });

  it("the channel disagrees: status, amount, reference, no such transaction, no answer", () => {
    const d = cleanDay();
    const p = d.ended[0]!;
    const asked = (a: ChannelAnswer<ChannelPayment>) => kinds({ ...d, channelPayments: new Map([[p.paymentNo, a]]) });
    expect(asked({ found: { status: "closed", amountFen: 80_000, gatewayPaymentId: "tx_P1D1" } })).toEqual([["status_mismatch", "P1D1", "difference"]]);
    expect(asked({ found: { status: "succeeded", amountFen: 70_000, gatewayPaymentId: "tx_P1D1" } })).toEqual([["amount_mismatch", "P1D1", "difference"]]);
    expect(asked({ found: { status: "succeeded", amountFen: 80_000, gatewayPaymentId: "tx_other" } })).toEqual([
      ["reference_mismatch", "P1D1", "difference"],
    ]);
    expect(asked({ missing: true })).toEqual([["channel_missing", "P1D1", "difference"]]);
    expect(asked({ failed: "渠道查询失败：timeout" })).toEqual([["channel_query_failed", "P1D1", "difference"]]);
    const r = d.refunded[0]!;
    expect(kinds({ ...d, channelRefunds: new Map([[r.refundNo, { found: { status: "processing", amountFen: 50_000 } }]]) })).toEqual([
      ["status_mismatch", "R1D1R1", "difference"],
    ]);
    const amount = reconcileDay({
      ...d,
      channelPayments: new Map([[p.paymentNo, { found: { status: "succeeded", amountFen: 70_000, gatewayPaymentId: "tx_P1D1" } }]]),
    });
    expect(amount.items[0]).toMatchObject({ text: "金额不一致", detail: "平台：¥800.00；渠道：¥700.00", orderNumber: "DD20261204000001" });
  });

  it("the money lines disagree: missing, another amount, a line of no payment or refund", () => {
    const d = cleanDay();
    expect(kinds({ ...d, lines: d.lines.filter((l) => l.kind !== "deposit_paid") })).toEqual([["line_missing", "P1D1", "difference"]]);
    expect(kinds({ ...d, lines: [...d.lines, line("P1D1", "deposit_paid", 80_000)] })).toEqual([["line_amount_mismatch", "P1D1", "difference"]]);
    expect(kinds({ ...d, lines: [...d.lines, line("P9D1", "balance_paid", 10_000)] })).toEqual([["line_orphan", "P9D1", "difference"]]);
    expect(kinds({ ...d, lines: [...d.lines, line("R9D1R1", "refund", 10_000)] })).toEqual([["line_orphan", "R9D1R1", "difference"]]);
    // A line of another day's payment that succeeded then: no difference (it is checked on its own day).
    const old = pay("P2D1");
    expect(kinds({ ...d, otherPayments: [old], lines: [...d.lines, line("P2D1", "deposit_paid", 80_000)] })).toEqual([]);
    // A line written today for a payment the platform closed, which the channel did not confirm: a difference.
    const closed = pay("P3D1", { status: "closed" });
    expect(
      kinds({
        ...d,
        otherPayments: [closed],
        channelPayments: new Map([...d.channelPayments, ["P3D1", { found: { status: "closed", amountFen: 80_000, gatewayPaymentId: "tx_P3D1" } }]]),
        lines: [...d.lines, line("P3D1", "deposit_paid", 80_000)],
      }),
    ).toEqual([["line_orphan", "P3D1", "difference"]]);
  });

  it("notifications: only a query confirmed it (a note), nothing at all, an unknown one, another amount", () => {
    const d = cleanDay();
    const queried = { ...d, events: [event("P1D1", "payment.succeeded", { inboxId: null, eventId: "query:P1D1:succeeded" }), d.events[1]!] };
    const r = reconcileDay(queried);
    expect(r.status).toBe("clean");
    expect(r.items.map((i) => [i.kind, i.text, i.severity])).toEqual([["query_only", "已确认但无到账通知", "note"]]);
    expect(r.noteCount).toBe(1);
    expect(kinds({ ...d, events: [d.events[1]!] })).toEqual([["notice_missing", "P1D1", "difference"]]);
    expect(kinds({ ...d, events: [...d.events, event("P404D1", "payment.succeeded", { outcome: "unknown payment" })] })).toEqual([
      ["notice_unknown", "P404D1", "difference"],
    ]);
    const mismatch = reconcileDay({
      ...d,
      events: [...d.events, event("P1D1", "payment.succeeded", { eventId: "evt_x", outcome: "amount mismatch: 1 instead of 80000" })],
    });
    expect(mismatch.items.map((i) => [i.kind, i.detail])).toEqual([["notice_amount_mismatch", "通知编号：evt_x；通知：¥0.01；平台：¥800.00；未入账"]]);
    // An event of another day about nothing of this day is not this day's concern.
    expect(
      kinds({
        ...d,
        events: [...d.events, event("P404D1", "payment.succeeded", { outcome: "unknown payment", handledAt: new Date(from.getTime() - 1) })],
      }),
    ).toEqual([]);
  });

  it("open at the day's end: the channel paid or refunded what the platform still waits for; not yet sent; still open at the channel is fine", () => {
    const d = cleanDay();
    const open = pay("P5D1", { status: "pending", gatewayPaymentId: null });
    const waiting = refund("R5D1R1", "P1D1", { status: "processing" });
    const day = {
      ...d,
      pending: [open],
      processing: [waiting],
      channelPayments: new Map([...d.channelPayments, ["P5D1", { found: { status: "succeeded", amountFen: 80_000, gatewayPaymentId: "tx_5" } }]]),
      channelRefunds: new Map([...d.channelRefunds, ["R5D1R1", { found: { status: "succeeded", amountFen: 50_000 } }]]),
    } satisfies DayInput;
    const r = reconcileDay(day);
    expect(r.items.map((i) => [i.kind, i.text, i.ref])).toEqual([
      ["channel_paid_unconfirmed", "渠道已支付但平台未确认", "P5D1"],
      ["channel_refunded_unconfirmed", "渠道已退款但平台未确认", "R5D1R1"],
    ]);
    expect(r.status).toBe("differences");
    const still = {
      ...day,
      channelPayments: new Map([...d.channelPayments, ["P5D1", { found: { status: "pending", amountFen: 80_000, gatewayPaymentId: "tx_5" } }]]),
      channelRefunds: new Map([...d.channelRefunds, ["R5D1R1", { found: { status: "processing", amountFen: 50_000 } }]]),
    } satisfies DayInput;
    expect(kinds(still)).toEqual([]);
    const unsent = {
      ...still,
      processing: [{ ...waiting, acceptedAt: null }],
      channelRefunds: new Map([...d.channelRefunds, ["R5D1R1", { missing: true as const }]]),
    };
    expect(kinds(unsent)).toEqual([["refund_unsent", "R5D1R1", "difference"]]);
  });

  it("a payment closed here but paid at the channel: a note when it was recorded and refunded, else a difference", () => {
    const d = cleanDay();
    const closed = pay("P6D1", { status: "closed", gatewayPaymentId: null });
    const channel = new Map([...d.channelPayments, ["P6D1", { found: { status: "succeeded", amountFen: 80_000, gatewayPaymentId: "tx_6" } }]]);
    expect(kinds({ ...d, ended: [...d.ended, closed], channelPayments: channel })).toEqual([["channel_paid_unconfirmed", "P6D1", "difference"]]);
    const late = refund("R6D1R1", "P6D1", { amountFen: 80_000, status: "processing", cause: "late_payment" });
    const handled = {
      ...d,
      ended: [...d.ended, closed],
      processing: [late],
      channelPayments: channel,
      lines: [...d.lines, line("P6D1", "deposit_paid", 80_000)],
    };
    const r = reconcileDay({
      ...handled,
      channelRefunds: new Map([...d.channelRefunds, ["R6D1R1", { found: { status: "processing", amountFen: 80_000 } }]]),
    });
    expect(r.items.map((i) => [i.kind, i.ref, i.severity])).toEqual([["late_payment_refunded", "P6D1", "note"]]);
    expect(r.status).toBe("clean");
  });
});
