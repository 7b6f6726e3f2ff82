import { Hono } from "hono";
import { z } from "zod";
import { requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, render } from "../../web/http.ts";
import { pageNo, query, uuidFilter } from "../../web/validate.ts";
import { cityName } from "../enterprises/domain.ts";
import { type Fill, barChart, lineChart, lineSwatch } from "./chart-svg.ts";
import { listExport } from "../../web/exports.ts";
import { DASHBOARD_READERS, compactYuan, percentText } from "./domain.ts";
import type { DashboardView } from "./service.ts";

/** The filters: a programme (a UUID) or a year; anything malformed is ignored (all programmes). */
const yearFilter = z
  .preprocess((v) => (typeof v === "string" && /^\d{4}$/.test(v) ? Number(v) : undefined), z.number().int().min(2000).max(2200).optional())
  .catch(undefined);
const dashboardQuery = z.object({ programme: uuidFilter, year: yearFilter, page: pageNo });

/** Who may open the lists the figures link to (the lists check again). */
const ORDER_LIST_ROLES = ["operator", "finance", "super_admin"];
const QUOTA_LIST_ROLES = ["reviewer", "super_admin"];

/** The stacked segments of a voucher bar: 已兑付, 已核销未兑付, 占用中, the rest (可用 and 已失效). */
const VOUCHER_SERIES: { name: string; fill: Fill }[] = [
  { name: "已兑付", fill: "solid" },
  { name: "已核销未兑付", fill: "hatch" },
  { name: "占用中", fill: "dots" },
  { name: "未使用（可用或已失效）", fill: "outline" },
];
type Voucherish = { grantedFen: number; reservedFen: number; consumedFen: number; settledFen: number };
const segments = (t: Voucherish) => [t.settledFen, t.consumedFen - t.settledFen, t.reservedFen, Math.max(0, t.grantedFen - t.consumedFen - t.reservedFen)];

/** A query string of the non-empty values, in order. */
function qs(params: Record<string, string | number | null | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") u.set(k, String(v));
  return u.toString();
}

/** The SVG charts of the page (strings for `<%~ %>`), drawn from the same view the tables print. */
function charts(v: DashboardView) {
  const stacked = (id: string, title: string, what: string, rows: (Voucherish & { label: string })[]) =>
    barChart({
      id,
      title,
      desc: `${what}：每行一条横条，总长为发放额度，依次为已兑付、已核销未兑付、占用中、未使用；具体数字见下表。`,
      series: VOUCHER_SERIES,
      rows: rows.map((r) => ({ label: r.label, values: segments(r), valueText: `发放 ${compactYuan(r.grantedFen)}，核销 ${compactYuan(r.consumedFen)}` })),
      empty: "暂无数据",
    });
  return {
    programme: stacked("c-programme", "按券种：发放、核销与兑付", "按券种", v.byProgramme),
    city: stacked("c-city", "按企业所在城市：发放、核销与兑付", "按城市", v.byCity),
    size: stacked("c-size", "按企业划型：发放、核销与兑付", "按企业划型", v.bySize),
    category: barChart({
      id: "c-category",
      title: "按服务类别：核销、兑付与占用",
      desc: "按服务类别：每行一条横条，依次为已兑付、已核销未兑付、占用中；发放额度不分服务类别；具体数字见下表。",
      series: VOUCHER_SERIES.slice(0, 3),
      rows: v.byCategory.map((r) => ({
        label: r.label,
        values: [r.settledFen, r.consumedFen - r.settledFen, r.reservedFen],
        valueText: `核销 ${compactYuan(r.consumedFen)}`,
      })),
      empty: "暂无订单使用服务券",
    }),
    month: lineChart({
      id: "c-month",
      title: "按月：当月核销、当月兑付与月末占用",
      desc: `按月（${v.byMonth[0]?.label ?? ""}至${v.byMonth[v.byMonth.length - 1]?.label ?? ""}）：三条折线分别为当月核销（实线圆点）、当月兑付（虚线方块）、月末占用中（点线三角）；发放额度按年度集中发放，见下表；具体数字见下表。`,
      xLabels: v.byMonth.map((m) =>
        m.key.endsWith("-01") || m === v.byMonth[0] ? `${m.key.slice(2, 4)}年${Number(m.key.slice(5))}月` : `${Number(m.key.slice(5))}月`,
      ),
      series: [
        { name: "核销", values: v.byMonth.map((m) => m.consumedFen), stroke: "solid" },
        { name: "兑付", values: v.byMonth.map((m) => m.settledFen), stroke: "dashed" },
        { name: "占用", values: v.byMonth.map((m) => m.reservedEndFen), stroke: "dotted" },
      ],
      format: compactYuan,
      empty: "暂无数据",
    }),
    orders: barChart({
      id: "c-orders",
      title: "订单按状态",
      desc: `订单按状态：共 ${v.ordersTotal} 个订单，每行一个状态的订单数；具体数字见下表。`,
      series: [{ name: "订单数", fill: "solid" }],
      rows: v.orders.filter((o) => o.n > 0).map((o) => ({ label: o.label, values: [o.n], valueText: `${o.n} 个` })),
      empty: "暂无订单",
    }),
    providers: barChart({
      id: "c-providers",
      title: `兑付金额最多的服务商（前 ${v.topProviders.length} 名）`,
      desc: "兑付金额最多的服务商：每行一个服务商的已兑付金额；具体数字见下表。",
      series: [{ name: "已兑付", fill: "solid" }],
      rows: v.topProviders.map((p) => ({ label: p.name ?? "（已注销的服务商）", values: [p.settledFen], valueText: compactYuan(p.settledFen) })),
      empty: "暂无兑付",
    }),
    usage: barChart({
      id: "c-usage",
      title: "服务券使用率分布（已核销 / 发放额度）",
      desc: `服务券使用率分布：共 ${v.usage.accounts} 个服务券账户，每行一个使用率区间的账户数；具体数字见下表。`,
      series: [{ name: "账户数", fill: "solid" }],
      rows: v.usage.buckets.map((b) => ({ label: b.label, values: [b.n], valueText: `${b.n} 个` })),
      empty: "暂无服务券账户",
    }),
  };
}

/** The month table's column headings show the line style of their series. */
const lineSwatches: Record<string, string> = { 核销: lineSwatch("solid"), 兑付: lineSwatch("dashed"), 占用: lineSwatch("dotted") };

/** 数据看板 (`/admin/dashboard`) and its list of usage rates (`/admin/dashboard/usage`). */
export function dashboardRoutes() {
  const r = new Hono<AppEnv>();
  const forbidden = (c: Ctx, message?: string) => render(c, "errors/403", { title: "无权访问", message }, 403);

  /** What every dashboard view needs besides its figures: the role's links, the labels, the formatters. */
  const common = (c: Ctx, filter: { programmeId: string; year: number | null }) => {
    const role = c.var.viewer.admin!.role;
    const programme = filter.programmeId || undefined;
    const filterQuery = qs({ programme, year: programme ? undefined : filter.year });
    return {
      canOrders: ORDER_LIST_ROLES.includes(role),
      canQuota: QUOTA_LIST_ROLES.includes(role),
      filterQuery,
      /** 订单管理 with the dashboard's programme and the figure's own filters. */
      ordersHref: (extra: Record<string, string | undefined>) => `/admin/orders?${qs({ programme, ...extra })}`,
      quotaHref: (extra: Record<string, string | undefined>) => `/admin/quota?${qs({ status: "approved", programme, ...extra })}`,
      cityName,
      compactYuan,
      percentText,
    };
  };

  // 导出 CSV / 导出 Excel of the page's tables and of the usage list, with the page's filter.
  const exportQuery = (q: z.output<typeof dashboardQuery>) => ({ programmeId: q.programme ?? "", year: q.year ?? "" });
  listExport(r, { path: "/admin/dashboard/export", source: "dashboard", roles: DASHBOARD_READERS, schema: dashboardQuery, toQuery: exportQuery });
  listExport(r, {
    path: "/admin/dashboard/usage/export",
    source: "dashboard_usage",
    roles: DASHBOARD_READERS,
    schema: dashboardQuery,
    toQuery: exportQuery,
  });

  r.get("/admin/dashboard", requireAdmin(...DASHBOARD_READERS), query(dashboardQuery), async (c) => {
    const q = c.req.valid("query");
    const res = await c.var.deps.dashboard.page(c.var.viewer.admin!, { programmeId: q.programme, year: q.year });
    if (!res.ok) return forbidden(c, res.errors._form);
    const v = res.value;
    c.header("Cache-Control", "no-store");
    return render(c, "admin/dashboard", { title: "数据看板", ...v, charts: charts(v), lineSwatches, ...common(c, v.filter) });
  });

  r.get("/admin/dashboard/usage", requireAdmin(...DASHBOARD_READERS), query(dashboardQuery), async (c) => {
    const q = c.req.valid("query");
    const res = await c.var.deps.dashboard.usage(c.var.viewer.admin!, { programmeId: q.programme, year: q.year }, q.page);
    if (!res.ok) return forbidden(c, res.errors._form);
    const v = res.value;
    c.header("Cache-Control", "no-store");
    return render(c, "admin/dashboard-usage", { title: "服务券使用率", ...v, ...common(c, v.filter) });
  });
  return r;
}
