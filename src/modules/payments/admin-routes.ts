import { Hono } from "hono";
import { listExport } from "../../web/exports.ts";
import { z } from "zod";
import { requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, flash, render } from "../../web/http.ts";
import { dateFilter, enumFilter, form, optionalText, pageNo, query, searchText } from "../../web/validate.ts";
import { LEDGER_KIND_TEXT, LEDGER_STATUS_TEXT, LEDGER_TYPE_TEXT, PAYMENT_READERS, ledgerStatusText } from "./admin-service.ts";
import { DIFFERENCE_TEXT, RECONCILIATION_STATUS_TEXT } from "./reconciliation-domain.ts";
import { RECONCILERS } from "./reconciliation-service.ts";

/**
 * 支付管理 (`/admin/payments`: payments and refunds, filtered, paged, with totals) and 对账
 * (`/admin/payments/reconciliation`: the days compared, one day's differences, 立即对账). GET forms and
 * links only, but 立即对账 (POST -> 303 to the day's result).
 */

/** The list's filters; each one is ignored when it is not well formed (lenient, like every list). */
const listQuery = z.object({
  type: enumFilter(LEDGER_TYPE_TEXT),
  status: enumFilter(LEDGER_STATUS_TEXT),
  kind: enumFilter(LEDGER_KIND_TEXT),
  number: searchText(30),
  from: dateFilter,
  to: dateFilter,
  page: pageNo,
});
const daysQuery = z.object({ page: pageNo });
const runForm = z.object({ day: optionalText(10, "对账日期") });

const labels = {
  type: LEDGER_TYPE_TEXT,
  kind: LEDGER_KIND_TEXT,
  status: LEDGER_STATUS_TEXT,
  statusOf: ledgerStatusText,
  reconciliation: RECONCILIATION_STATUS_TEXT as Record<string, string>,
  difference: DIFFERENCE_TEXT as Record<string, string>,
};
const mayRun = (role: string) => (RECONCILERS as readonly string[]).includes(role);

export function paymentAdminRoutes() {
  const r = new Hono<AppEnv>();
  const forbidden = (c: Ctx, message?: string) => render(c, "errors/403", { title: "无权访问", message }, 403);

  listExport(r, {
    path: "/admin/payments/export",
    source: "payments",
    roles: PAYMENT_READERS,
    schema: listQuery,
    toQuery: (q) => ({ type: q.type, status: q.status, kind: q.kind, number: q.number, from: q.from, to: q.to }),
  });
  r.get("/admin/payments", requireAdmin(...PAYMENT_READERS), query(listQuery), async (c) => {
    const q = c.req.valid("query");
    const res = await c.var.deps.payments.ledger(
      c.var.viewer.admin!,
      { type: q.type, status: q.status, kind: q.kind, number: q.number, from: q.from, to: q.to },
      q.page,
    );
    if (!res.ok) return forbidden(c, res.errors._form);
    const shown = { type: q.type ?? "", status: q.status ?? "", kind: q.kind ?? "", number: q.number, from: q.from ?? "", to: q.to ?? "" };
    const link = new URLSearchParams();
    for (const [k, v] of Object.entries(shown)) if (v) link.set(k, v);
    return render(c, "admin/payments", { title: "支付管理", ...res.value, q: shown, query: link.toString(), labels });
  });

  /** The days compared, newest first, with 立即对账 for finance. */
  const daysPage = async (c: Ctx, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: 200 | 403 | 422 = 200) => {
    const admin = c.var.viewer.admin!;
    const res = await c.var.deps.payments.reconciliations(admin, c.req.query("page"));
    if (!res.ok) return forbidden(c, res.errors._form);
    return render(
      c,
      "admin/reconciliations",
      {
        title: "对账",
        ...res.value,
        canRun: mayRun(admin.role),
        day: values.day ?? c.var.deps.payments.defaultReconciliationDay(),
        errors,
        labels,
      },
      status,
    );
  };

  r.get("/admin/payments/reconciliation", requireAdmin(...PAYMENT_READERS), query(daysQuery), (c) => daysPage(c));

  r.post(
    "/admin/payments/reconciliation",
    requireAdmin(),
    form(runForm, (c: Ctx, errors, values) => daysPage(c, errors, values, 422)),
    async (c) => {
      const admin = c.var.viewer.admin!;
      const { day } = c.req.valid("form");
      const res = await c.var.deps.payments.runReconciliation(admin, day, c.var.requestId);
      if (!res.ok) {
        if (res.status === 403) return forbidden(c, res.errors._form);
        return daysPage(c, res.errors, { day: day ?? "" }, 422);
      }
      const rec = res.value;
      flash(c, rec.status === "clean" ? `${rec.day} 对账完成：无差异` : `${rec.day} 对账完成：发现 ${rec.differenceCount} 项差异`);
      return c.redirect(`/admin/payments/reconciliation/${rec.day}`, 303);
    },
  );

  r.get("/admin/payments/reconciliation/:day", requireAdmin(...PAYMENT_READERS), async (c) => {
    const admin = c.var.viewer.admin!;
    const res = await c.var.deps.payments.reconciliation(admin, c.req.param("day"));
    if (!res.ok) {
      if (res.status === 403) return forbidden(c, res.errors._form);
      return render(c, "errors/404", { title: "该日尚未对账" }, 404);
    }
    const rec = res.value;
    return render(c, "admin/reconciliation", {
      title: `对账 ${rec.day}`,
      rec,
      differences: rec.differences.filter((d) => d.severity === "difference"),
      notes: rec.differences.filter((d) => d.severity === "note"),
      canRun: mayRun(admin.role),
      labels,
    });
  });
  return r;
}
