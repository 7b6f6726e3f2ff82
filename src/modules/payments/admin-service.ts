/**
 * 支付管理 (`/admin/payments`): every payment and refund in one list for finance, filtered and
 * paged, with the totals of the filtered rows per status. Read-only: operators read it too, the
 * daily reconciliation (reconciliation-service.ts) is run by finance.
 */
import { defineExport } from "../exports/domain.ts";
import { pageOf, pagesOf } from "../../lib/paging.ts";
import { type Result, fail, ok } from "../../lib/result.ts";
import { shanghaiMidnight } from "../../lib/shanghai.ts";
import { numberFilter } from "../orders/service.ts";
import type { LedgerFilter, LedgerRepositoryFactory, LedgerRow } from "./ports.ts";
import type { Db } from "../../ports/db.ts";

/** Who reads 支付管理 and 对账's results: finance, the super admin, and operators (who decide refunds at 终止订单). */
export const PAYMENT_READERS = ["finance", "super_admin", "operator"] as const;
export const LEDGER_PAGE_SIZE = 20;

export const LEDGER_TYPE_TEXT = { payment: "支付", refund: "退款" } as const;
export const LEDGER_KIND_TEXT = { deposit: "定金", balance: "尾款" } as const;
/** 状态's choices: the payments' statuses and the refunds' (a refund status lists refunds only). */
export const LEDGER_STATUS_TEXT = {
  pending: "支付处理中",
  succeeded: "已支付",
  failed: "支付失败",
  closed: "已关闭",
  processing: "退款中",
  refunded: "已退款",
  refund_failed: "退款失败",
} as const;
export type LedgerStatus = keyof typeof LEDGER_STATUS_TEXT;
const STATUS_FILTER: Record<LedgerStatus, NonNullable<LedgerFilter["status"]>> = {
  pending: { type: "payment", status: "pending" },
  succeeded: { type: "payment", status: "succeeded" },
  failed: { type: "payment", status: "failed" },
  closed: { type: "payment", status: "closed" },
  processing: { type: "refund", status: "processing" },
  refunded: { type: "refund", status: "succeeded" },
  refund_failed: { type: "refund", status: "failed" },
};
/** The 状态 text of a row's own status. */
export function ledgerStatusText(type: LedgerRow["type"], status: string): string {
  const key = (Object.keys(STATUS_FILTER) as LedgerStatus[]).find((k) => STATUS_FILTER[k].type === type && STATUS_FILTER[k].status === status);
  return key ? LEDGER_STATUS_TEXT[key] : status;
}

/** 支付管理's search as the HTTP edge parsed it (unknown values already left out). */
export type LedgerQuery = {
  type?: LedgerRow["type"];
  status?: LedgerStatus;
  kind?: LedgerRow["kind"];
  number?: string;
  /** Asia/Shanghai days YYYY-MM-DD, both included. */
  from?: string;
  to?: string;
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const isRealDate = (s: string) =>
  DAY.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;

/** The repository's filter: the order number exact or a prefix, the days as Asia/Shanghai bounds (the whole `to` day included). */
export function ledgerFilter(q: LedgerQuery): LedgerFilter {
  const day = (s: string | undefined, plus = 0) => (s && isRealDate(s) ? shanghaiMidnight(s, plus) : undefined);
  return {
    type: q.type,
    status: q.status ? STATUS_FILTER[q.status] : undefined,
    kind: q.kind,
    number: q.number ? numberFilter(q.number) : undefined,
    from: day(q.from),
    to: day(q.to, 1),
  };
}

type Staff = { id: string; role: string };
export const reads = (role: string) => (PAYMENT_READERS as readonly string[]).includes(role);

export function paymentAdminUseCases(deps: { db: Db; ledgerRepo: LedgerRepositoryFactory }) {
  /** The filter of an export: the list's, bounded to the rows that existed at `asOf` (so pages of it stay put). */
  const exportFilter = (q: LedgerQuery, asOf: Date) => {
    const f = ledgerFilter(q);
    const end = new Date(asOf.getTime() + 1);
    return { ...f, to: f.to && f.to < end ? f.to : end };
  };
  /** 导出 CSV / 导出 Excel of 支付管理 (docs/exports.md), in the list's order, page by page. */
  const exportSource = defineExport<LedgerQuery, LedgerRow>({
    key: "payments",
    title: "支付管理",
    listPath: "/admin/payments",
    readers: PAYMENT_READERS,
    columns: [
      { header: "发起时间", kind: "time", value: (r) => r.createdAt },
      { header: "订单编号", kind: "text", value: (r) => r.orderNumber, width: 20 },
      { header: "类型", kind: "text", value: (r) => LEDGER_TYPE_TEXT[r.type], width: 8 },
      { header: "款项", kind: "text", value: (r) => LEDGER_KIND_TEXT[r.kind], width: 8 },
      { header: "金额（元）", kind: "money", value: (r) => r.amountFen },
      { header: "状态", kind: "text", value: (r) => ledgerStatusText(r.type, r.status), width: 10 },
      { header: "平台单号", kind: "text", value: (r) => r.no, width: 24 },
      { header: "渠道流水号", kind: "text", value: (r) => r.gatewayPaymentId, width: 30 },
      { header: "付款账户", kind: "text", value: (r) => `${r.payerName} ${r.payerBank} ****${r.payerLast4}`, width: 40 },
      { header: "收款账户", kind: "text", value: (r) => `${r.payeeName} ${r.payeeBank} ****${r.payeeLast4}`, width: 40 },
      { header: "完成时间", kind: "time", value: (r) => r.endedAt },
    ],
    count: async (q, asOf) => (await deps.ledgerRepo(deps.db).search(exportFilter(q, asOf), 1, 0)).total,
    async rows(q, asOf, limit, cursor) {
      const offset = cursor ? Number(cursor) : 0;
      const { rows } = await deps.ledgerRepo(deps.db).search(exportFilter(q, asOf), limit, offset);
      return { rows, cursor: rows.length === limit ? String(offset + limit) : undefined };
    },
  });
  return {
    exportSource,
    /** 支付管理: one page of the filtered payments and refunds (newest first), and the sums per status of every filtered row. */
    async ledger(
      staff: Staff,
      q: LedgerQuery,
      page: unknown,
    ): Promise<
      Result<{
        rows: LedgerRow[];
        total: number;
        pageNo: number;
        pages: number;
        totals: { type: LedgerRow["type"]; status: string; text: string; count: number; amountFen: number }[];
      }>
    > {
      if (!reads(staff.role)) return fail({ _form: "您的角色无权查看支付管理" }, 403);
      const pageNo = pageOf(page);
      const res = await deps.ledgerRepo(deps.db).search(ledgerFilter(q), LEDGER_PAGE_SIZE, (pageNo - 1) * LEDGER_PAGE_SIZE);
      return ok({
        rows: res.rows,
        total: res.total,
        pageNo,
        pages: pagesOf(res.total, LEDGER_PAGE_SIZE),
        totals: res.totals.map((t) => ({ ...t, text: ledgerStatusText(t.type, t.status) })),
      });
    },
  };
}
