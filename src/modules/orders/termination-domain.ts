/**
 * Pure rules of 协商终止 and of an order's money lines (docs/payments.md "Termination and refunds"):
 * what the enterprise paid and got back, the 支付状态 derived from the lines, and the refund a
 * proposal may ask for.
 */
import { readYuan, yuan } from "../../lib/money.ts";

/** The kinds of an order's money lines (order_money_lines.kind). */
export type MoneyLineKind =
  | "voucher_reserved"
  | "voucher_released"
  | "voucher_consumed"
  | "voucher_refunded"
  | "voucher_settled"
  | "deposit_paid"
  | "balance_paid"
  | "refund";
type MoneyLine = { kind: MoneyLineKind; amountFen: number };

export type TerminationParty = "enterprise" | "provider" | "operator";
export type TerminationStatus = "proposed" | "agreed" | "rejected" | "withdrawn" | "lapsed" | "decided";
export const TERMINATION_STATUS_TEXT: Record<TerminationStatus, string> = {
  proposed: "待对方确认",
  agreed: "已同意",
  rejected: "已拒绝",
  withdrawn: "已撤回",
  lapsed: "已失效",
  decided: "平台决定",
};
export const TERMINATION_PARTY_TEXT: Record<TerminationParty, string> = { enterprise: "企业", provider: "服务机构", operator: "平台运营人员" };

export type OrderTermination = {
  id: string;
  orderId: string;
  proposedBy: TerminationParty;
  proposerId: string;
  reason: string;
  paidFen: number;
  refundFen: number;
  status: TerminationStatus;
  responderId: string | null;
  response: string | null;
  createdAt: Date;
  endedAt: Date | null;
};

/** Every money line kind with its one Chinese label (款项记录). */
export const MONEY_LINE_TEXT: Record<MoneyLineKind, string> = {
  voucher_reserved: "补贴券额度占用",
  voucher_released: "补贴券额度退回",
  voucher_consumed: "补贴券抵扣核销",
  voucher_refunded: "补贴券核销退回",
  voucher_settled: "补贴券已兑付",
  deposit_paid: "定金到账",
  balance_paid: "尾款到账",
  refund: "退款到账",
};

const sum = (lines: readonly Pick<MoneyLine, "kind" | "amountFen">[], kinds: readonly MoneyLineKind[]) =>
  lines.filter((l) => kinds.includes(l.kind)).reduce((n, l) => n + Number(l.amountFen), 0);

/** What the enterprise paid through the channel (定金 + 尾款 confirmed). */
export const paidFen = (lines: readonly Pick<MoneyLine, "kind" | "amountFen">[]) => sum(lines, ["deposit_paid", "balance_paid"]);
/** What came back to it (refunds confirmed). */
export const refundedFen = (lines: readonly Pick<MoneyLine, "kind" | "amountFen">[]) => sum(lines, ["refund"]);

/**
 * 支付状态, derived from the money lines and the refunds still with the channel (never stored):
 * 未支付, 定金已付, 已付清, 退款中, 部分退款, 已退款.
 */
export function moneyStatus(lines: readonly Pick<MoneyLine, "kind" | "amountFen">[], refundingFen: number): string {
  const paid = paidFen(lines);
  const refunded = refundedFen(lines);
  if (refundingFen > 0) return "退款中";
  if (refunded > 0) return refunded >= paid ? "已退款" : "部分退款";
  if (!paid) return "未支付";
  return lines.some((l) => l.kind === "balance_paid") ? "已付清" : "定金已付";
}

/**
 * The refund a termination asks for, typed in yuan: 0 .. what was paid (an empty field with nothing
 * paid is 0; with something paid it must be filled in), or the message.
 */
export function checkRefund(raw: string | undefined, paid: number): { refundFen: number } | { error: string } {
  const text = (raw ?? "").trim();
  if (!paid) {
    if (!text) return { refundFen: 0 };
    const r = readYuan(text);
    return "fen" in r && r.fen === 0 ? { refundFen: 0 } : { error: "企业尚未支付款项，退还金额应为0" };
  }
  if (!text) return { error: "请填写退还企业的金额" };
  const r = readYuan(text);
  if ("problem" in r) return { error: r.problem === "negative" ? "退还金额不能为负数" : "退还金额格式不正确，如 800 或 800.50" };
  if (r.fen > paid) return { error: `退还金额不能超过企业已支付的${yuan(paid)}` };
  return { refundFen: r.fen };
}

/**
 * How a refund is split over the order's succeeded payments: the latest first (尾款 before 定金),
 * each at most what is left of it. Throws when the payments cannot cover it (a bug: the caller checked).
 */
export function splitRefund<P extends { paymentNo: string; amountFen: number; refundedFen: number }>(
  payments: readonly P[],
  refundFen: number,
): { payment: P; amountFen: number }[] {
  const out: { payment: P; amountFen: number }[] = [];
  let left = refundFen;
  for (const p of [...payments].reverse()) {
    if (left <= 0) break;
    const room = p.amountFen - p.refundedFen;
    if (room <= 0) continue;
    const take = Math.min(room, left);
    out.push({ payment: p, amountFen: take });
    left -= take;
  }
  if (left > 0) throw new RangeError(`refund of ${refundFen} fen exceeds what the payments can return`);
  return out;
}
