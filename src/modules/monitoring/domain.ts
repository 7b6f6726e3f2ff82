/**
 * Pure rules of monitoring (docs/monitoring.md): the low-usage reminder's window and usage rate,
 * 额度收回's SMS, and 暂停交易 of a party for fraud (who may, the reason, the refusals every module
 * shows while a party is suspended, the SMS texts).
 */
import { addDays, shanghaiDate } from "../../lib/shanghai.ts";

// ---- parties ----

/** A party an operator can suspend: an enterprise (as the buyer) or a provider (as the seller). */
export const PARTY_KIND_TEXT = { enterprise: "企业", provider: "服务机构" } as const;
export type PartyKind = keyof typeof PARTY_KIND_TEXT;
export const isPartyKind = (v: unknown): v is PartyKind => typeof v === "string" && Object.hasOwn(PARTY_KIND_TEXT, v);
export type Party = { kind: PartyKind; id: string };

/** Who may 暂停交易 / 恢复交易 (service layer); who may read the records. */
export const SUSPENDERS = ["operator", "super_admin"] as const;
export const SUSPENSION_READERS = ["operator", "super_admin", "reviewer", "finance"] as const;
export const canSuspend = (role: string) => (SUSPENDERS as readonly string[]).includes(role);
export const canReadSuspensions = (role: string) => (SUSPENSION_READERS as readonly string[]).includes(role);

export const SUSPENSION_STATUS_TEXT = { suspended: "已暂停交易", active: "正常" } as const;

// ---- reasons ----

export const REASON_MIN = 2;
export const REASON_MAX = 500;

/** The reason of 暂停交易 or 恢复交易, cleaned, or its message: both are required, 2..500 characters. */
export function checkReason(action: "suspend" | "resume", raw: string | undefined): { reason: string } | { error: string } {
  const label = action === "suspend" ? "暂停原因" : "恢复原因";
  const reason = (raw ?? "").normalize("NFC").replace(/\r\n/g, "\n").trim();
  const n = [...reason].length;
  if (!n) return { error: `请填写${label}` };
  if (n < REASON_MIN) return { error: `${label}至少${REASON_MIN}个字` };
  if (n > REASON_MAX) return { error: `${label}不能超过${REASON_MAX}个字` };
  return { reason };
}

// ---- what a suspension refuses (the measures: 暂停签订电子合同; new orders; open orders frozen) ----

const WHO: Record<PartyKind, string> = { enterprise: "下单企业", provider: "服务机构" };

/** 提交订单 refused: the ordering enterprise is suspended, or the product's provider is. */
export function submitRefusal(kind: PartyKind): string {
  return kind === "enterprise"
    ? "贵单位已被平台暂停交易，暂不能提交订单；如有疑问，请通过“我要留言”联系平台"
    : "该服务机构已被平台暂停交易，暂不能对其服务产品下单";
}

/** An action of either party on an open order while one of them is suspended. */
export function frozenRefusal(kind: PartyKind): string {
  return `订单已冻结：${WHO[kind]}已被平台暂停交易，暂不能操作该订单，请等待平台处理`;
}

/** 签署合同 (the sign flow's start, the signing pages and the phone link) while a party is suspended. */
export function signingRefusal(kind: PartyKind): string {
  return `已暂停签订电子合同：${WHO[kind]}已被平台暂停交易，暂不能签署该订单的合同，请等待平台处理`;
}

export type RefusalUse = "submit" | "order" | "signing";
/** The refusal of `use` when these parties are suspended (the enterprise's first), or null. */
export function refusalFor(suspended: PartyKind[], use: RefusalUse): string | null {
  const kind = suspended.includes("enterprise") ? "enterprise" : suspended.includes("provider") ? "provider" : null;
  if (!kind) return null;
  return use === "submit" ? submitRefusal(kind) : use === "order" ? frozenRefusal(kind) : signingRefusal(kind);
}

// ---- the low-usage reminder ----

/**
 * The validity ends a reminder run on `now` looks at: from today to `days` days ahead (Asia/Shanghai
 * dates, inclusive): an account is in its reminder window from `days` days before its validity ends
 * to its last valid day.
 */
export function reminderWindow(now: Date, days: number): { from: string; to: string } {
  const today = shanghaiDate(now);
  return { from: today, to: addDays(today, days) };
}

/** 使用率 = consumed / granted, in basis points, rounded down (0 for nothing granted). */
export function usageBp(consumedFen: number, grantedFen: number): number {
  if (grantedFen <= 0) return 0;
  return Math.min(10_000, Math.floor((consumedFen * 10_000) / grantedFen));
}

/** Whether this usage is below the reminder's threshold (a percentage). */
export const belowThreshold = (consumedFen: number, grantedFen: number, percent: number) => consumedFen * 100 < grantedFen * percent;

// ---- SMS texts (one SMS each: no name, amount or reason) ----

const SIGN = "【服务券平台】";

export function usageReminderText(validTo: string, percent: number): string {
  return `${SIGN}您的服务券将于${validTo}到期，已使用额度不足${percent}%，请尽快登录平台在“我的服务券”中使用。`;
}

export function recallText(days: number): string {
  return `${SIGN}您的服务券核定后${days}天内未使用，剩余额度已由平台收回，详情请登录平台在“我的服务券”中查看。`;
}

export function suspensionText(suspended: boolean): string {
  return suspended
    ? `${SIGN}贵单位已被平台暂停交易：暂停提交订单和签订电子合同，进行中的订单已冻结。如有疑问请联系平台。`
    : `${SIGN}贵单位已被平台恢复交易，可正常下单和签订电子合同。`;
}

/** The audit actions of monitoring, as the timelines name them. */
export const MONITORING_ACTION_TEXT: Record<string, string> = {
  trading_suspended: "暂停交易",
  trading_resumed: "恢复交易",
  voucher_recalled: "额度收回",
};
