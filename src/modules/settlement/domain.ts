/**
 * Pure rules of 兑付 (docs/settlement.md): the statuses with their one Chinese label, the transition
 * table (status x action x actor), numbers, the yearly cap, the review checklist and the masking of
 * the public 兑付公示.
 */
import { shanghaiDate } from "../../lib/shanghai.ts";

export const SETTLEMENT_STATUS_TEXT = {
  pending: "待审核",
  spot_check: "抽查中",
  publicising: "公示中",
  paused: "公示暂停",
  awaiting_payout: "待拨付",
  paying: "拨付中",
  paid: "已拨付",
  rejected: "已驳回",
  withdrawn: "已撤回",
} as const;
export type SettlementStatus = keyof typeof SETTLEMENT_STATUS_TEXT;
export const SETTLEMENT_STATUSES = Object.keys(SETTLEMENT_STATUS_TEXT) as SettlementStatus[];
const isKey = <K extends string>(map: Readonly<Record<K, unknown>>, v: unknown): v is K => typeof v === "string" && Object.hasOwn(map, v);
export const isSettlementStatus = (v: unknown): v is SettlementStatus => isKey(SETTLEMENT_STATUS_TEXT, v);

/** The statuses in which an application holds its orders (they cannot be applied for again). */
export const LIVE_STATUSES: readonly SettlementStatus[] = [
  "pending",
  "spot_check",
  "publicising",
  "paused",
  "awaiting_payout",
  "paying",
  "paid",
  "rejected",
];

export const SETTLEMENT_ACTOR_TEXT = { provider: "服务机构", finance: "财务人员", operator: "运营人员", system: "系统" } as const;
export type SettlementActor = keyof typeof SETTLEMENT_ACTOR_TEXT;

export const SETTLEMENT_ACTIONS = {
  apply: "申请兑付",
  approve: "审核通过",
  reject: "驳回",
  spot_check: "抽查",
  supplement: "补充材料",
  resubmit: "重新提交",
  withdraw: "撤回申请",
  object: "公示异议",
  resume_publicity: "恢复公示",
  publicity_end: "公示期满",
  pay: "拨付",
  payout_succeeded: "拨付到账",
  payout_failed: "拨付失败",
  payee_changed: "收款账户变更",
} as const;
export type SettlementAction = keyof typeof SETTLEMENT_ACTIONS;

type Cell = { from: SettlementStatus; action: SettlementAction; actors: readonly SettlementActor[]; to: SettlementStatus };
export const SETTLEMENT_TRANSITIONS: readonly Cell[] = [
  { from: "pending", action: "approve", actors: ["finance"], to: "publicising" },
  { from: "pending", action: "reject", actors: ["finance"], to: "rejected" },
  { from: "pending", action: "spot_check", actors: ["finance"], to: "spot_check" },
  { from: "spot_check", action: "supplement", actors: ["provider"], to: "pending" },
  { from: "rejected", action: "resubmit", actors: ["provider"], to: "pending" },
  { from: "pending", action: "withdraw", actors: ["provider"], to: "withdrawn" },
  { from: "spot_check", action: "withdraw", actors: ["provider"], to: "withdrawn" },
  { from: "rejected", action: "withdraw", actors: ["provider"], to: "withdrawn" },
  { from: "publicising", action: "object", actors: ["operator", "system"], to: "paused" },
  { from: "paused", action: "resume_publicity", actors: ["operator"], to: "publicising" },
  { from: "paused", action: "reject", actors: ["operator"], to: "rejected" },
  { from: "publicising", action: "publicity_end", actors: ["system"], to: "awaiting_payout" },
  { from: "awaiting_payout", action: "pay", actors: ["finance"], to: "paying" },
  { from: "awaiting_payout", action: "payee_changed", actors: ["system"], to: "pending" },
  { from: "paying", action: "payout_succeeded", actors: ["system"], to: "paid" },
  { from: "paying", action: "payout_failed", actors: ["system"], to: "awaiting_payout" },
];

export type SettlementTransition = { ok: true; to: SettlementStatus } | { ok: false; status: 403 | 409; message: string };

/** The next status after `action` by `actor`, or the refusal (403 another actor's action, 409 another status). */
export function settlementTransition(from: SettlementStatus, action: SettlementAction, actor: SettlementActor): SettlementTransition {
  const cell = SETTLEMENT_TRANSITIONS.find((t) => t.from === from && t.action === action);
  if (cell?.actors.includes(actor)) return { ok: true, to: cell.to };
  const label = SETTLEMENT_ACTIONS[action];
  const who = [...new Set(SETTLEMENT_TRANSITIONS.filter((t) => t.action === action).flatMap((t) => t.actors))];
  if (!who.includes(actor)) return { ok: false, status: 403, message: `“${label}”只能由${who.map((a) => SETTLEMENT_ACTOR_TEXT[a]).join("或")}操作` };
  return { ok: false, status: 409, message: `兑付申请当前为“${SETTLEMENT_STATUS_TEXT[from]}”，不能${label}；请刷新页面查看最新状态` };
}

export const actionsOf = (from: SettlementStatus, actor: SettlementActor): SettlementAction[] =>
  SETTLEMENT_TRANSITIONS.filter((t) => t.from === from && t.actors.includes(actor)).map((t) => t.action);

/** `DF` + the Asia/Shanghai date (YYYYMMDD) + a sequence of at least 6 digits. */
export function formatSettlementNumber(at: Date, sequence: number): string {
  if (!Number.isSafeInteger(sequence) || sequence < 1) throw new RangeError("settlement sequence must be a positive integer");
  return `DF${shanghaiDate(at).replaceAll("-", "")}${String(sequence).padStart(6, "0")}`;
}
/** The settlement numbers a text names (an objection through 我要留言 quotes one). */
export const settlementNumbersIn = (text: string): string[] => [...new Set(text.toUpperCase().match(/DF\d{14,20}/g) ?? [])];

/** The measures' yearly cap of a provider's 通用券 settlement: 500万元. */
export const DEFAULT_GENERAL_CAP_FEN = 500_000_000;

/** Whether approving `addFen` more of 通用券 keeps a provider's year within the cap; what is left otherwise. */
export function withinCap(approvedFen: number, addFen: number, capFen: number): { ok: true } | { ok: false; leftFen: number } {
  return approvedFen + addFen <= capFen ? { ok: true } : { ok: false, leftFen: Math.max(0, capFen - approvedFen) };
}

/** The facts about one order the review's checklist reads. */
export type OrderFacts = {
  orderId: string;
  number: string;
  status: string;
  contractFen: number;
  deductionFen: number;
  selfPayFen: number;
  /** 定金 + 尾款 confirmed by the channel, less refunds. */
  paidFen: number;
  consumed: boolean;
  openDispute: boolean;
  contractSha256: string | null;
};

export type ChecklistItem = { label: string; ok: boolean; detail?: string };

/** The review checklist of an application (every item must pass before 审核通过). */
export function checklist(a: {
  invoiceAmountFen: number;
  contractFen: number;
  invoiceFile: boolean;
  acceptanceFile: boolean;
  orders: readonly OrderFacts[];
  providerActive: boolean;
  payee: boolean;
}): ChecklistItem[] {
  const unpaid = a.orders.filter((o) => o.paidFen !== o.selfPayFen).map((o) => o.number);
  const notDone = a.orders.filter((o) => o.status !== "completed" || !o.consumed).map((o) => o.number);
  const disputes = a.orders.filter((o) => o.openDispute).map((o) => o.number);
  const noContract = a.orders.filter((o) => !o.contractSha256).map((o) => o.number);
  return [
    { label: "发票金额与合同金额一致", ok: a.invoiceAmountFen === a.contractFen },
    { label: "发票已上传", ok: a.invoiceFile },
    { label: "验收报告已上传", ok: a.acceptanceFile },
    { label: "订单均已完成且补贴券已核销", ok: !notDone.length, detail: notDone.join("、") || undefined },
    { label: "企业自付部分已从对公账户支付", ok: !unpaid.length, detail: unpaid.join("、") || undefined },
    { label: "无未结争议或终止申请", ok: !disputes.length, detail: disputes.join("、") || undefined },
    { label: "已签署合同的文件摘要齐全", ok: !noContract.length, detail: noContract.join("、") || undefined },
    { label: "服务机构状态正常", ok: a.providerActive },
    { label: "服务机构已登记收款账户", ok: a.payee },
  ];
}

/** An enterprise's name as the public 兑付公示 shows it: the first two characters, then ** and the last four. */
export function maskName(name: string): string {
  const c = [...name.trim()];
  if (c.length <= 4) return `${c[0] ?? ""}**`;
  return `${c.slice(0, 2).join("")}**${c.slice(-4).join("")}`;
}

export const PUBLICITY_DAYS_DEFAULT = 5;
export const REASON_MIN = 2;
export const REASON_MAX = 200;

/** A required reason of 2..200 characters, or the message. */
export function checkReason(raw: string | undefined, label: string): { reason: string } | { error: string } {
  const reason = (raw ?? "").normalize("NFC").replace(/\r\n/g, "\n").trim();
  const n = [...reason].length;
  if (!n) return { error: `请填写${label}` };
  if (n < REASON_MIN) return { error: `${label}至少${REASON_MIN}个字` };
  if (n > REASON_MAX) return { error: `${label}不能超过${REASON_MAX}个字` };
  return { reason };
}
