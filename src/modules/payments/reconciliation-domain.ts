/**
 * Pure rules of 对账 (the daily reconciliation, docs/payments.md "As built"): for one Asia/Shanghai
 * day, the platform's payments and refunds compared with what the channel answers when asked, with
 * the order money lines and with the notifications claimed. Each difference has a kind, a Chinese
 * description and what each side says; a note (severity "note") is worth knowing but no error and
 * leaves the day 无差异.
 */

export const DIFFERENCE_TEXT = {
  channel_paid_unconfirmed: "渠道已支付但平台未确认",
  channel_refunded_unconfirmed: "渠道已退款但平台未确认",
  channel_missing: "渠道无此交易",
  channel_query_failed: "渠道查询失败",
  status_mismatch: "状态不一致",
  amount_mismatch: "金额不一致",
  reference_mismatch: "渠道流水号不一致",
  line_missing: "缺少款项记录",
  line_amount_mismatch: "款项记录金额不一致",
  line_orphan: "款项记录无对应支付",
  notice_missing: "无到账通知记录",
  notice_unknown: "通知无对应交易",
  notice_amount_mismatch: "通知金额不一致",
  refund_unsent: "退款未提交渠道",
  // Notes: no error.
  query_only: "已确认但无到账通知",
  late_payment_refunded: "关闭后到账，已原路退款",
} as const;
export type DifferenceKind = keyof typeof DIFFERENCE_TEXT;
/** The kinds that are notes: the money is right, only the path it took is unusual. */
export const NOTE_KINDS: readonly DifferenceKind[] = ["query_only", "late_payment_refunded"];

export const RECONCILIATION_STATUS_TEXT = { clean: "无差异", differences: "有差异" } as const;

/** The outcomes the payments handler records on a claimed event that 对账 reports (service.ts writes them). */
export const OUTCOME_UNKNOWN_PAYMENT = "unknown payment";
export const OUTCOME_UNKNOWN_REFUND = "unknown refund";
export const OUTCOME_AMOUNT_MISMATCH = "amount mismatch";

const CHANNEL_PAYMENT_TEXT: Record<string, string> = { pending: "待支付", succeeded: "已支付", failed: "支付失败", closed: "已关闭" };
const PLATFORM_PAYMENT_TEXT: Record<string, string> = { pending: "支付处理中", succeeded: "已支付", failed: "支付失败", closed: "已关闭" };
const REFUND_TEXT: Record<string, string> = { processing: "退款中", succeeded: "已退款", failed: "退款失败" };

type Kind = "deposit" | "balance";
export type DayPayment = {
  id: string;
  orderId: string;
  orderNumber: string;
  kind: Kind;
  paymentNo: string;
  amountFen: number;
  status: "pending" | "succeeded" | "failed" | "closed";
  gatewayPaymentId: string | null;
};
export type DayRefund = {
  paymentId: string;
  orderId: string;
  orderNumber: string;
  refundNo: string;
  paymentNo: string;
  amountFen: number;
  status: "processing" | "succeeded" | "failed";
  cause: string;
  acceptedAt: Date | null;
};
export type DayLine = { orderId: string; kind: string; amountFen: number; ref: string | null; at: Date };
export type DayEvent = { eventId: string; ref: string | null; inboxId: number | null; eventType: string; outcome: string; handledAt: Date };
/** The channel's answer to a query: its record, none (not_found), or no answer (an error). */
export type ChannelAnswer<T> = { found: T } | { missing: true } | { failed: string };
export type ChannelPayment = { status: string; amountFen: number; gatewayPaymentId: string };
export type ChannelRefund = { status: string; amountFen: number };

export type DayInput = {
  /** The day's bounds [from, to). */
  from: Date;
  to: Date;
  /** Payments that ended in the day: succeeded (paid in it), failed or closed. */
  ended: DayPayment[];
  /** Refunds that succeeded in the day. */
  refunded: DayRefund[];
  /** Payments still pending that were created before the day's end. */
  pending: DayPayment[];
  /** Refunds still processing that were created before the day's end. */
  processing: DayRefund[];
  /** Payments and refunds of other days that the day's money lines name (looked up by number), and those payments' refunds. */
  otherPayments: DayPayment[];
  otherRefunds: DayRefund[];
  channelPayments: ReadonlyMap<string, ChannelAnswer<ChannelPayment>>;
  channelRefunds: ReadonlyMap<string, ChannelAnswer<ChannelRefund>>;
  /** Money lines through the channel (deposit_paid, balance_paid, refund): those of the numbers above and those written in the day. */
  lines: DayLine[];
  /** Claimed events of the channel's provider: those of the numbers above and those handled in the day. */
  events: DayEvent[];
};

export type DayItem = {
  kind: DifferenceKind;
  severity: "difference" | "note";
  ref: string;
  orderId: string | null;
  orderNumber: string | null;
  text: string;
  detail: string;
};
export type DayResult = {
  status: "clean" | "differences";
  paymentCount: number;
  paymentFen: number;
  refundCount: number;
  refundFen: number;
  queried: number;
  lineCount: number;
  noticeCount: number;
  differenceCount: number;
  noteCount: number;
  items: DayItem[];
};

const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;
const PAYMENT_LINE_KIND: Record<Kind, string> = { deposit: "deposit_paid", balance: "balance_paid" };

/** Compares the day's sources; pure: the service gathered every input, channel answers included. */
export function reconcileDay(input: DayInput): DayResult {
  const items: DayItem[] = [];
  const add = (kind: DifferenceKind, about: { ref: string; orderId?: string | null; orderNumber?: string | null }, detail = "") =>
    items.push({
      kind,
      severity: NOTE_KINDS.includes(kind) ? "note" : "difference",
      ref: about.ref,
      orderId: about.orderId ?? null,
      orderNumber: about.orderNumber ?? null,
      text: DIFFERENCE_TEXT[kind],
      detail,
    });
  const inDay = (d: Date) => d.getTime() >= input.from.getTime() && d.getTime() < input.to.getTime();
  const linesOf = (ref: string, kind: string) => input.lines.filter((l) => l.ref === ref && l.kind === kind);
  const eventsOf = (ref: string, type: string) => input.events.filter((e) => e.ref === ref && e.eventType === type);
  const about = (x: { orderId: string; orderNumber: string }, ref: string) => ({ ref, orderId: x.orderId, orderNumber: x.orderNumber });
  const channelFailed = (a: ChannelAnswer<unknown>, who: ReturnType<typeof about>): boolean => {
    if ("missing" in a) add("channel_missing", who, "渠道查询结果：无此交易");
    else if ("failed" in a) add("channel_query_failed", who, a.failed);
    return !("found" in a);
  };
  /** The money line(s) of a confirmed payment or refund: exactly its amount. */
  const checkLines = (ref: string, kind: string, amountFen: number, who: ReturnType<typeof about>) => {
    const found = linesOf(ref, kind);
    if (!found.length) add("line_missing", who, `平台：${yuan(amountFen)}；款项记录：无`);
    else {
      const sum = found.reduce((n, l) => n + l.amountFen, 0);
      if (sum !== amountFen) add("line_amount_mismatch", who, `平台：${yuan(amountFen)}；款项记录：${yuan(sum)}（${found.length}条）`);
    }
  };
  /** The notification of a confirmed payment or refund: a verified one, or only a query's answer (a note). */
  const checkNotice = (ref: string, type: string, who: ReturnType<typeof about>) => {
    const claimed = eventsOf(ref, type);
    if (claimed.some((e) => e.inboxId !== null)) return;
    if (claimed.length) add("query_only", who, "由主动查询确认，未收到渠道的到账通知");
    else add("notice_missing", who, "平台已确认，但没有通知或查询的处理记录");
  };

  let queried = 0;
  let paymentCount = 0;
  let paymentFen = 0;
  // (1) Payments that ended in the day.
  for (const p of input.ended) {
    const who = about(p, p.paymentNo);
    const answer = input.channelPayments.get(p.paymentNo);
    if (answer) queried++;
    if (p.status === "succeeded") {
      paymentCount++;
      paymentFen += p.amountFen;
      if (answer && !channelFailed(answer, who) && "found" in answer) {
        const c = answer.found;
        if (c.status !== "succeeded") add("status_mismatch", who, `平台：已支付；渠道：${CHANNEL_PAYMENT_TEXT[c.status] ?? c.status}`);
        if (c.amountFen !== p.amountFen) add("amount_mismatch", who, `平台：${yuan(p.amountFen)}；渠道：${yuan(c.amountFen)}`);
        if (p.gatewayPaymentId && c.gatewayPaymentId && c.gatewayPaymentId !== p.gatewayPaymentId)
          add("reference_mismatch", who, `平台：${p.gatewayPaymentId}；渠道：${c.gatewayPaymentId}`);
      }
      checkLines(p.paymentNo, PAYMENT_LINE_KIND[p.kind], p.amountFen, who);
      checkNotice(p.paymentNo, "payment.succeeded", who);
    } else if (answer && "found" in answer && answer.found.status === "succeeded") {
      // Failed or closed here, paid at the channel: fine only when it was recorded and refunded (a late payment).
      lateOrUnconfirmed(p, who);
    } else if (answer && "failed" in answer) add("channel_query_failed", who, answer.failed);
  }
  function lateOrUnconfirmed(p: DayPayment, who: ReturnType<typeof about>) {
    const refunded = [...input.refunded, ...input.processing, ...input.otherRefunds].some((r) => r.paymentId === p.id && r.cause === "late_payment");
    if (refunded && linesOf(p.paymentNo, PAYMENT_LINE_KIND[p.kind]).length)
      add("late_payment_refunded", who, `平台：${PLATFORM_PAYMENT_TEXT[p.status]}；渠道：已支付；已记入款项并全额退款`);
    else add("channel_paid_unconfirmed", who, `平台：${PLATFORM_PAYMENT_TEXT[p.status]}；渠道：已支付 ${yuan(p.amountFen)}`);
  }

  // (2) Refunds that succeeded in the day.
  let refundCount = 0;
  let refundFen = 0;
  for (const r of input.refunded) {
    const who = about(r, r.refundNo);
    refundCount++;
    refundFen += r.amountFen;
    const answer = input.channelRefunds.get(r.refundNo);
    if (answer) queried++;
    if (answer && !channelFailed(answer, who) && "found" in answer) {
      const c = answer.found;
      if (c.status !== "succeeded") add("status_mismatch", who, `平台：已退款；渠道：${REFUND_TEXT[c.status] ?? c.status}`);
      if (c.amountFen !== r.amountFen) add("amount_mismatch", who, `平台：${yuan(r.amountFen)}；渠道：${yuan(c.amountFen)}`);
    }
    checkLines(r.refundNo, "refund", r.amountFen, who);
    checkNotice(r.refundNo, "refund.succeeded", who);
  }

  // (3) Payments still pending at the day's end: has the channel finished them?
  for (const p of input.pending) {
    const who = about(p, p.paymentNo);
    const answer = input.channelPayments.get(p.paymentNo);
    if (!answer) continue;
    queried++;
    if (channelFailed(answer, who) || !("found" in answer)) continue;
    const c = answer.found;
    if (c.status === "succeeded") add("channel_paid_unconfirmed", who, `平台：支付处理中；渠道：已支付 ${yuan(c.amountFen)}`);
    else if (c.status !== "pending") add("status_mismatch", who, `平台：支付处理中；渠道：${CHANNEL_PAYMENT_TEXT[c.status] ?? c.status}`);
  }
  // (4) Refunds still processing at the day's end.
  for (const r of input.processing) {
    const who = about(r, r.refundNo);
    const answer = input.channelRefunds.get(r.refundNo);
    if (!answer) continue;
    queried++;
    if ("missing" in answer && !r.acceptedAt) {
      add("refund_unsent", who, "退款尚未被渠道受理，系统将自动重新提交");
      continue;
    }
    if (channelFailed(answer, who) || !("found" in answer)) continue;
    const c = answer.found;
    if (c.status === "succeeded") add("channel_refunded_unconfirmed", who, `平台：退款中；渠道：已退款 ${yuan(c.amountFen)}`);
    else if (c.status !== "processing") add("status_mismatch", who, `平台：退款中；渠道：${REFUND_TEXT[c.status] ?? c.status}`);
  }

  // (5) The day's money lines that no payment or refund of the platform confirms.
  const payments = new Map([...input.ended, ...input.pending, ...input.otherPayments].map((p) => [p.paymentNo, p]));
  const refunds = new Map([...input.refunded, ...input.processing, ...input.otherRefunds].map((r) => [r.refundNo, r]));
  const dayLines = input.lines.filter((l) => inDay(l.at));
  for (const l of dayLines) {
    const ref = l.ref ?? "";
    if (l.kind === "refund") {
      const r = refunds.get(ref);
      if (!r) add("line_orphan", { ref: ref || "（无编号）", orderId: l.orderId }, `款项记录：退款到账 ${yuan(l.amountFen)}；平台无此退款`);
      else if (r.status !== "succeeded") add("line_orphan", about(r, ref), `款项记录：退款到账 ${yuan(l.amountFen)}；平台：${REFUND_TEXT[r.status]}`);
      continue;
    }
    const p = payments.get(ref);
    if (!p) add("line_orphan", { ref: ref || "（无编号）", orderId: l.orderId }, `款项记录：${yuan(l.amountFen)}；平台无此支付`);
    else if (p.status !== "succeeded" && !items.some((i) => i.ref === ref && i.kind === "late_payment_refunded")) {
      // A late payment of another day's closing (or one the channel did not confirm here): the channel decides.
      const answer = input.channelPayments.get(ref);
      if (answer && "found" in answer && answer.found.status === "succeeded") {
        if (!items.some((i) => i.ref === ref)) lateOrUnconfirmed(p, about(p, ref));
      } else add("line_orphan", about(p, ref), `款项记录：${yuan(l.amountFen)}；平台：${PLATFORM_PAYMENT_TEXT[p.status]}`);
    }
  }

  // (6) Notifications of the day the handler could not apply.
  const dayEvents = input.events.filter((e) => inDay(e.handledAt));
  for (const e of dayEvents) {
    const who = { ref: e.ref ?? e.eventId };
    if (e.outcome.startsWith(OUTCOME_UNKNOWN_PAYMENT) || e.outcome.startsWith(OUTCOME_UNKNOWN_REFUND))
      add("notice_unknown", who, `通知编号：${e.eventId}；平台无此${e.outcome.startsWith(OUTCOME_UNKNOWN_REFUND) ? "退款" : "支付"}`);
    else if (e.outcome.startsWith(OUTCOME_AMOUNT_MISMATCH)) {
      const known = payments.get(e.ref ?? "") ?? refunds.get(e.ref ?? "");
      const [, got, want] = e.outcome.match(/(\d+) instead of (\d+)/) ?? [];
      const amounts = got && want ? `通知：${yuan(Number(got))}；平台：${yuan(Number(want))}` : "通知金额与平台不一致";
      add("notice_amount_mismatch", known ? about(known, e.ref!) : who, `通知编号：${e.eventId}；${amounts}；未入账`);
    }
  }

  const differenceCount = items.filter((i) => i.severity === "difference").length;
  return {
    status: differenceCount ? "differences" : "clean",
    paymentCount,
    paymentFen,
    refundCount,
    refundFen,
    queried,
    lineCount: dayLines.length,
    noticeCount: dayEvents.filter((e) => e.inboxId !== null).length,
    differenceCount,
    noteCount: items.length - differenceCount,
    items,
  };
}
