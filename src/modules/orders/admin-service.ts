/**
 * The admin's 订单管理: every order searched and paged, one order's whole record, and the
 * operator's 关闭订单 (reason required) through the module's transition core. See docs/orders.md
 * "Admin 订单管理".
 */
import { pageOf, pagesOf } from "../../lib/paging.ts";
import type { Db } from "../../ports/db.ts";
import { type Result, fail, ok } from "../../lib/result.ts";
import { shanghaiMidnight } from "../../lib/shanghai.ts";
import { type OrderCore, STALE_ORDER, inTransaction, refuse } from "./core-service.ts";
import { FINAL_STATUSES, ORDER_STATUS_TEXT, type OrderStatus, TRANSITIONS, checkReason, parseOrderNumber, transition } from "./domain.ts";
import type { AdminOrderFilter, AdminOrderRow } from "./admin-ports.ts";
import type { Order } from "./ports.ts";
import type { OrderDeps } from "./service.ts";
import type { terminationUseCases } from "./termination-service.ts";
import { checkRefund } from "./termination-domain.ts";
import { checkDateRange, defineExport } from "../exports/domain.ts";
import { cityName } from "../enterprises/domain.ts";

type TerminationUseCases = ReturnType<typeof terminationUseCases>;

/** Staff who may open 订单管理: the operators who handle orders, finance (who follows their money), the super admin. */
export const ORDER_READERS = ["operator", "finance", "super_admin"] as const;
/** Staff who may 关闭订单: the platform operator of the transition table, and the super admin. */
export const ORDER_CLOSERS = ["operator", "super_admin"] as const;
const reads = (role: string) => (ORDER_READERS as readonly string[]).includes(role);
const closes = (role: string) => (ORDER_CLOSERS as readonly string[]).includes(role);

/**
 * The statuses 关闭订单 is offered in: every cell of the table where an operator closes (待接单 ->
 * 已关闭; after 接单 -> 已终止, with the refund the operator decides of what the enterprise paid).
 */
export const ADMIN_CLOSABLE: readonly OrderStatus[] = TRANSITIONS.filter((t) => t.action === "close" && t.actors.includes("operator")).map((t) => t.from);

export const ADMIN_ORDER_PAGE_SIZE = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

type Staff = { id: string; role: string };

/** 订单管理's search as the HTTP edge parsed it: texts trimmed, dates YYYY-MM-DD, anything unknown left out. */
export type AdminOrderQuery = {
  number?: string;
  status?: OrderStatus;
  programmeId?: string;
  provider?: string;
  enterprise?: string;
  cityCode?: string;
  from?: string;
  to?: string;
};

/**
 * An order number typed into the search: a whole number is matched exactly, the start of one as a
 * prefix (digits alone are read after "DD": "20261127" is "DD20261127"), anything else matches nothing.
 */
export function numberFilter(raw: string): AdminOrderFilter["number"] {
  const typed = raw.replace(/\s+/g, "").toUpperCase();
  if (!typed) return undefined;
  const text = /^\d+$/.test(typed) ? `DD${typed}` : typed;
  if (parseOrderNumber(text)) return { exact: text };
  return /^[0-9A-Z]{1,24}$/.test(text) ? { prefix: text } : { exact: text };
}

const isRealDate = (s: string) => DAY.test(s) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;

/**
 * The submission instants an order-number prefix implies. A number carries the Asia/Shanghai date
 * its order was submitted on (`formatOrderNumber` of the same instant as `created_at`), so a prefix
 * with a year, a month or a whole date ("DD2026", "DD202611", "DD20261127...") lies in that year,
 * month or day. Adding the range changes no answer and lets the list walk only that stretch of the
 * time index instead of every order. Undefined for a shorter prefix or one that is no date.
 */
export function numberDateRange(prefix: string): { from: Date; to: Date } | undefined {
  const digits = prefix.match(/^DD(\d{4,8})/)?.[1];
  if (!digits) return undefined;
  const y = Number(digits.slice(0, 4));
  if (y < 1000) return undefined;
  if (digits.length >= 8) {
    const day = `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}`;
    return isRealDate(day) ? { from: shanghaiMidnight(day), to: shanghaiMidnight(day, 1) } : undefined;
  }
  const pad = (n: number) => String(n).padStart(2, "0");
  if (digits.length >= 6) {
    const m = Number(digits.slice(4, 6));
    if (m < 1 || m > 12) return undefined;
    return { from: shanghaiMidnight(`${y}-${pad(m)}-01`), to: shanghaiMidnight(m === 12 ? `${y + 1}-01-01` : `${y}-${pad(m + 1)}-01`) };
  }
  return { from: shanghaiMidnight(`${y}-01-01`), to: shanghaiMidnight(`${y + 1}-01-01`) };
}

/** The repository's filter of a query: Asia/Shanghai day bounds for the dates (the whole `to` day included). */
export function adminFilter(q: AdminOrderQuery): AdminOrderFilter {
  const day = (s: string | undefined, plus = 0) => (s && isRealDate(s) ? shanghaiMidnight(s, plus) : undefined);
  const number = q.number ? numberFilter(q.number) : undefined;
  const implied = number && "prefix" in number ? numberDateRange(number.prefix) : undefined;
  const later = (x: Date | undefined, y: Date | undefined) => (x && y ? (x > y ? x : y) : (x ?? y));
  const earlier = (x: Date | undefined, y: Date | undefined) => (x && y ? (x < y ? x : y) : (x ?? y));
  return {
    number,
    status: q.status,
    programmeId: q.programmeId && UUID.test(q.programmeId) ? q.programmeId : undefined,
    providerName: q.provider || undefined,
    enterpriseName: q.enterprise || undefined,
    cityCode: q.cityCode || undefined,
    from: later(day(q.from), implied?.from),
    to: earlier(day(q.to, 1), implied?.to),
  };
}

/**
 * 订单管理 as an export (导出 CSV / 导出 Excel, docs/exports.md): the list's filters and order (newest
 * first), read in batches by a keyset on (created_at, id), only orders submitted by the request.
 */
export function orderExportSource(deps: Pick<OrderDeps, "db" | "orderAdminRepo">) {
  const filterAt = (q: AdminOrderQuery, asOf: Date): AdminOrderFilter => {
    const f = adminFilter(q);
    const end = new Date(asOf.getTime() + 1);
    return { ...f, to: f.to && f.to < end ? f.to : end };
  };
  return defineExport<AdminOrderQuery, AdminOrderRow & { cursorAt?: string }>({
    key: "orders",
    title: "订单管理",
    listPath: "/admin/orders",
    readers: ORDER_READERS,
    columns: [
      { header: "订单编号", kind: "text", value: (o) => o.number, width: 20 },
      { header: "服务产品", kind: "text", value: (o) => o.title, width: 30 },
      { header: "下单企业", kind: "text", value: (o) => o.enterpriseName, width: 30 },
      { header: "企业所在城市", kind: "text", value: (o) => cityName(o.cityCode), width: 12 },
      { header: "服务商", kind: "text", value: (o) => o.providerName, width: 30 },
      { header: "合同金额（元）", kind: "money", value: (o) => o.contractFen },
      { header: "补贴券抵扣（元）", kind: "money", value: (o) => o.deductionFen },
      { header: "企业自付（元）", kind: "money", value: (o) => o.selfPayFen },
      { header: "订单状态", kind: "text", value: (o) => ORDER_STATUS_TEXT[o.status], width: 12 },
      { header: "提交时间", kind: "time", value: (o) => o.createdAt },
    ],
    check: (q) => checkDateRange(q.from, q.to, { required: false, maxDays: Number.POSITIVE_INFINITY }),
    count: (q, asOf) => deps.orderAdminRepo(deps.db).count(filterAt(q, asOf)),
    async rows(q, asOf, limit, cursor) {
      const [at, id] = cursor ? (JSON.parse(cursor) as [string, string]) : [];
      const rows = await deps.orderAdminRepo(deps.db).batch(filterAt(q, asOf), at && id ? { at, id } : undefined, limit);
      const last = rows.at(-1);
      return { rows, cursor: last && rows.length === limit ? JSON.stringify([last.cursorAt, last.id]) : undefined };
    },
  });
}

export function orderAdminUseCases(deps: OrderDeps, core: Pick<OrderCore, "apply">, termination: Pick<TerminationUseCases, "terminate" | "netPaid">) {
  const { db } = deps;

  /** The audit event of a staff decision on an order, in the decision's transaction. */
  const audit = (
    tx: Db,
    staff: Staff,
    action: "order_resumed" | "order_closed",
    before: Order,
    after: Order,
    reason: string | null,
    requestId: string | undefined,
    data?: Record<string, unknown>,
  ) =>
    deps.audit.record(tx, {
      actorType: "admin",
      actorId: staff.id,
      entityType: "order",
      entityId: before.id,
      action,
      fromStatus: before.status,
      toStatus: after.status,
      reason,
      requestId,
      data,
    });

  return {
    /** 订单管理 (admin): every order matching the filters, newest first, one page of them. */
    async adminOrders(staff: Staff, q: AdminOrderQuery, page: unknown) {
      if (!reads(staff.role)) return fail({ _form: "您的角色无权查看订单管理" }, 403);
      const pageNo = pageOf(page);
      const { rows, total } = await deps.orderAdminRepo(db).search(adminFilter(q), ADMIN_ORDER_PAGE_SIZE, (pageNo - 1) * ADMIN_ORDER_PAGE_SIZE);
      return ok({ rows, total, pageNo, pages: pagesOf(total, ADMIN_ORDER_PAGE_SIZE) });
    },

    /**
     * One order's whole record for staff: the order with its snapshot and amounts, both parties as
     * they are now, the voucher's programme, contract versions, money lines and the timeline, and
     * whether this staff member may 关闭订单 now.
     */
    async adminOrder(staff: Staff, orderId: string) {
      if (!reads(staff.role)) return fail({ _form: "您的角色无权查看订单管理" }, 403);
      const repo = deps.orderRepo(db);
      const order = await repo.byId(orderId);
      if (!order) return fail({ _form: "订单不存在" }, 404);
      const [events, moneyLines, contracts, enterprise, provider, programme] = await Promise.all([
        repo.events(order.id),
        repo.moneyLines(order.id),
        repo.contractVersions(order.id),
        deps.enterprises.byId(order.enterpriseId),
        deps.catalog.provider(order.providerId),
        order.voucherAccountId ? deps.vouchers.programmeOfAccount(order.enterpriseId, order.voucherAccountId) : undefined,
      ]);
      const closable = ADMIN_CLOSABLE.includes(order.status);
      const paidFen = await termination.netPaid(db, order.id);
      return ok({
        order,
        events,
        moneyLines,
        contracts,
        enterprise: enterprise ? { name: enterprise.name, creditCode: enterprise.creditCode, cityCode: enterprise.cityCode } : undefined,
        provider: provider
          ? { name: provider.name, contactName: provider.contactName, contactPhone: provider.contactPhone, status: provider.status }
          : undefined,
        programme: programme ? { id: programme.id, name: programme.name, kind: programme.kind } : undefined,
        closable,
        paidFen,
        final: FINAL_STATUSES.includes(order.status),
        canClose: closable && closes(staff.role),
        canResume: order.status === "disputed" && closes(staff.role),
        mayClose: closes(staff.role),
      });
    },

    /**
     * 继续履约 by an operator on an order in 争议处理中, with a required reason (the decision, told to
     * both parties on the order's timeline): back to 待支付尾款, one order event and one audit event.
     */
    async adminResume(
      staff: Staff,
      orderId: string,
      reasonRaw: string | undefined,
      expectedVersion: number | undefined,
      requestId?: string,
    ): Promise<Result<Order>> {
      if (!closes(staff.role)) return fail({ _form: "只有运营人员或超级管理员可以处理争议" }, 403);
      const reason = checkReason("resume", reasonRaw);
      if ("error" in reason) return fail({ reason: reason.error });
      return inTransaction(db, async (tx) => {
        const order = await deps.orderRepo(tx).byId(orderId, true);
        if (!order) return refuse({ _form: "订单不存在" }, 404);
        const resumed = await core.apply(tx, order, {
          action: "resume",
          actor: "operator",
          actorId: staff.id,
          reason: reason.reason,
          requestId,
          expectedVersion,
        });
        await audit(tx, staff, "order_resumed", order, resumed, reason.reason, requestId);
        return ok(resumed);
      });
    },

    /**
     * 关闭订单 by an operator, with a required reason, on the version of the page it was opened on:
     * 待接单 -> 已关闭, a contract status -> 已终止, the voucher reservation released, one order
     * event and one audit event, all in one transaction. A stale version or another status: 409,
     * nothing written.
     */
    async adminClose(
      staff: Staff,
      orderId: string,
      reasonRaw: string | undefined,
      expectedVersion: number | undefined,
      requestId?: string,
      refundRaw?: string,
    ): Promise<Result<Order>> {
      if (!closes(staff.role)) return fail({ _form: "只有运营人员或超级管理员可以关闭订单" }, 403);
      const reason = checkReason("close", reasonRaw);
      if ("error" in reason) return fail({ reason: reason.error });
      return inTransaction(db, async (tx) => {
        const order = await deps.orderRepo(tx).byId(orderId, true);
        if (!order) return refuse({ _form: "订单不存在" }, 404);
        const t = transition(order.status, "close", "operator");
        if (!t.ok) return refuse({ _form: t.message }, 409);
        if (expectedVersion !== undefined && expectedVersion !== order.version) return refuse({ _form: STALE_ORDER }, 409);
        const paid = await termination.netPaid(tx, order.id);
        const refund = checkRefund(refundRaw, paid);
        if ("error" in refund) return refuse({ refund: refund.error }, 422);
        const at = deps.clock.now();
        let closed: Order;
        if (t.to === "terminated") {
          // An open 协商终止 proposal lapses: the operator decided; the decision is recorded beside the proposals.
          const open = await deps.terminationRepo(tx).open(order.id, true);
          if (open) await deps.terminationRepo(tx).end(open.id, "lapsed", { responderId: null, response: null, at });
          await deps.terminationRepo(tx).insert(
            {
              orderId: order.id,
              proposedBy: "operator",
              proposerId: staff.id,
              reason: reason.reason!,
              paidFen: paid,
              refundFen: refund.refundFen,
              createdAt: at,
            },
            { at },
          );
          closed = await termination.terminate(tx, order, {
            actor: "operator",
            actorId: staff.id,
            reason: reason.reason!,
            refundFen: refund.refundFen,
            requestId,
          });
        } else {
          closed = await core.apply(tx, order, {
            action: "close",
            actor: "operator",
            actorId: staff.id,
            reason: reason.reason,
            requestId,
            expectedVersion,
          });
        }
        await audit(tx, staff, "order_closed", order, closed, reason.reason, requestId, {
          number: order.number,
          releasedFen: order.voucherAccountId ? order.deductionFen : 0,
          paidFen: paid,
          refundFen: refund.refundFen,
        });
        return ok(closed);
      });
    },
  };
}
