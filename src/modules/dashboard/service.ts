import type { Db } from "../../ports/db.ts";
import type { Logger } from "pino";
import { type Result, fail, ok } from "../../lib/result.ts";
import { pageOf, pagesOf } from "../../lib/paging.ts";
import type { CatalogService } from "../catalog/service.ts";
import type { VoucherService } from "../vouchers/service.ts";
import { CITIES, SIZE_CLASSES } from "../enterprises/domain.ts";
import { ORDER_STATUSES, ORDER_STATUS_TEXT } from "../orders/domain.ts";
import { defineExport } from "../exports/domain.ts";
import { DASHBOARD_READERS, type Totals, USAGE_BUCKETS, ZERO, add, availableFen, monthDays, monthRange, monthText, percentText } from "./domain.ts";
import type { DashboardRepositoryFactory, DimRow, Freshness, ProviderRow, UsageRow } from "./ports.ts";

/**
 * 数据看板 (docs/dashboard.md): the figures of the voucher ledger and the orders by programme,
 * month, city, 企业划型 and service category, the top providers by settled amount and the voucher
 * accounts' usage rates, read from the dashboard's rollups; and the fold job that keeps them up to
 * date. Who may read it is decided here (DASHBOARD_READERS).
 */
export type DashboardDeps = {
  db: Db;
  dashboardRepo: DashboardRepositoryFactory;
  vouchers: Pick<VoucherService, "programmes">;
  catalog: Pick<CatalogService, "categories">;
  log?: Pick<Logger, "info" | "warn">;
};

type Staff = { id: string; role: string };
/** The dashboard filter as an export stores it. */
type ExportQuery = { programmeId?: string; year?: string | number };
/** One figure of the dashboard export (a column left empty where the dimension has no such figure). */
type SummaryRow = {
  dim: string;
  label: string;
  grantedFen?: number | null;
  reservedFen?: number | null;
  consumedFen?: number | null;
  settledFen?: number | null;
  expiredFen?: number | null;
  orders?: number;
};
/** The filter of every dashboard page: one programme, or the programmes of one year, or all. */
export type DashboardQuery = { programmeId?: string; year?: number };

export type ProgrammeOption = { id: string; name: string; year: number; kind: string };
export type Row = Totals & { key: string; label: string };
export type MonthRow = {
  key: string;
  label: string;
  /** Flows within the month. */
  grantedFen: number;
  consumedFen: number;
  settledFen: number;
  /** 占用中 at the end of the month (every reservation made, less those released or consumed, up to then). */
  reservedEndFen: number;
  /** The order list's 提交日期 range of the month. */
  from: string;
  to: string;
};

export type DashboardView = {
  filter: { programmeId: string; year: number | null };
  programmes: ProgrammeOption[];
  years: number[];
  totals: Totals & { availableFen: number };
  byProgramme: (Row & { year: number; kind: string })[];
  byMonth: MonthRow[];
  byCity: Row[];
  bySize: Row[];
  byCategory: Row[];
  orders: { status: string; label: string; n: number }[];
  ordersTotal: number;
  topProviders: ProviderRow[];
  usage: { buckets: { bucket: number; label: string; n: number }[]; accounts: number; lowest: UsageView["rows"] };
  freshness: Freshness;
};

export type UsageView = {
  filter: { programmeId: string; year: number | null };
  programmes: ProgrammeOption[];
  years: number[];
  rows: (UsageRow & { programmeName: string })[];
  total: number;
  pageNo: number;
  pages: number;
  freshness: Freshness;
};

export const USAGE_PAGE_SIZE = 20;
export const TOP_PROVIDERS = 10;
/** Deltas moved per fold transaction; a fold repeats until fewer are left. */
export const FOLD_BATCH = 50_000;

/** Position in a fixed order; unknown keys (such as '' for 未划型) last. */
const rank = (order: string[], key: string) => (order.includes(key) ? order.indexOf(key) : order.length);
const reads = (role: string) => (DASHBOARD_READERS as readonly string[]).includes(role);
const DENIED = "您的角色无权查看数据看板";

function byKey(rows: DimRow[], dim: DimRow["dim"]): Map<string, Totals> {
  const out = new Map<string, Totals>();
  for (const r of rows) {
    if (r.dim !== dim) continue;
    const { dim: _d, key, ...t } = r;
    out.set(key, add(out.get(key) ?? ZERO, t));
  }
  return out;
}

export function dashboardService(deps: DashboardDeps) {
  const repo = () => deps.dashboardRepo(deps.db);

  /** The programmes and the ids a query covers (an unknown programme or year covers nothing it names: all). */
  async function scope(q: DashboardQuery) {
    const all = (await deps.vouchers.programmes())
      .map((p) => ({ id: p.id, name: p.name, year: p.year, kind: p.kind }))
      .sort((a, b) => b.year - a.year || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
    const years = [...new Set(all.map((p) => p.year))].sort((a, b) => b - a);
    const one = q.programmeId ? all.find((p) => p.id === q.programmeId) : undefined;
    const year = !one && q.year && years.includes(q.year) ? q.year : null;
    const covered = one ? [one] : year ? all.filter((p) => p.year === year) : all;
    const ids = covered.map((p) => p.id);
    // Orders without a voucher belong to no programme: counted only when nothing is filtered.
    const keys = one || year ? ids : [...ids, ""];
    return { all, years, ids, keys, filter: { programmeId: one?.id ?? "", year } };
  }

  /** The dashboard's figures for a query (who may read them is checked by the callers). */
  async function view(q: DashboardQuery): Promise<DashboardView> {
    const s = await scope(q);
    const r = repo();
    const [figures, orderCounts, top, buckets, lowest, freshness, categories] = await Promise.all([
      r.figures(s.ids),
      r.orderCounts(s.keys),
      r.topProviders(s.ids, TOP_PROVIDERS),
      r.usageBuckets(s.ids),
      r.usagePage(s.ids, 10, 0),
      r.freshness(),
      deps.catalog.categories(),
    ]);
    const programmeName = new Map(s.all.map((p) => [p.id, p.name]));

    const progs = byKey(figures, "programme");
    const totals = [...progs.values()].reduce(add, ZERO);
    const byProgramme = s.all.filter((p) => progs.has(p.id)).map((p) => ({ key: p.id, label: p.name, year: p.year, kind: p.kind, ...progs.get(p.id)! }));

    const months = byKey(figures, "month");
    const keys = [...months.keys()].sort();
    let reserved = 0;
    const byMonth: MonthRow[] = (keys.length ? monthRange(keys[0]!, keys[keys.length - 1]!, 1000) : []).map((key) => {
      const t = months.get(key) ?? ZERO;
      reserved += t.reservedFen;
      const [from, to] = monthDays(key);
      return {
        key,
        label: monthText(key),
        grantedFen: t.grantedFen,
        consumedFen: t.consumedFen,
        settledFen: t.settledFen,
        reservedEndFen: reserved,
        from,
        to,
      };
    });

    const cities = byKey(figures, "city");
    const cityName = new Map(CITIES.map((c) => [c.code, c.name]));
    const byCity = [...cities.entries()]
      .map(([key, t]) => ({ key, label: cityName.get(key) ?? (key ? key : "未填写城市"), ...t }))
      .sort((a, b) => b.grantedFen - a.grantedFen || b.consumedFen - a.consumedFen || a.key.localeCompare(b.key));

    const sizes = byKey(figures, "size");
    const sizeOrder = Object.keys(SIZE_CLASSES);
    const bySize = [...sizes.entries()]
      .map(([key, t]) => ({ key, label: (SIZE_CLASSES as Record<string, string>)[key] ?? "未划型", ...t }))
      .sort((a, b) => rank(sizeOrder, a.key) - rank(sizeOrder, b.key));

    // Grants and expiries belong to no service category (key ''): the category table shows what orders did.
    const cats = byKey(figures, "category");
    const catName = new Map(categories.map((c) => [c.code, c.name]));
    const byCategory = [...cats.entries()]
      .filter(([key]) => key !== "")
      .map(([key, t]) => ({ key, label: catName.get(key) ?? key, ...t }))
      .sort((a, b) => b.consumedFen + b.reservedFen - (a.consumedFen + a.reservedFen) || a.key.localeCompare(b.key));

    const counts = new Map(orderCounts.map((o) => [o.status, o.n]));
    const orders = ORDER_STATUSES.map((status) => ({ status, label: ORDER_STATUS_TEXT[status], n: counts.get(status) ?? 0 }));

    const inBucket = new Map(buckets.map((b) => [b.bucket, b.n]));
    const usageBuckets = USAGE_BUCKETS.map((b) => ({ ...b, n: inBucket.get(b.bucket) ?? 0 }));

    return {
      filter: s.filter,
      programmes: s.all,
      years: s.years,
      totals: { ...totals, availableFen: availableFen(totals) },
      byProgramme,
      byMonth,
      byCity,
      bySize,
      byCategory,
      orders,
      ordersTotal: orders.reduce((sum, o) => sum + o.n, 0),
      topProviders: top,
      usage: {
        buckets: usageBuckets,
        accounts: usageBuckets.reduce((sum, b) => sum + b.n, 0),
        lowest: lowest.map((u) => ({ ...u, programmeName: programmeName.get(u.programmeId) ?? "" })),
      },
      freshness,
    };
  }

  /** The filter of an export, as listExport stored it (strings survive the background job's JSON). */
  const exportScope = (q: ExportQuery): DashboardQuery => ({ programmeId: q.programmeId || undefined, year: q.year ? Number(q.year) : undefined });

  /**
   * 导出 of 数据看板 (docs/exports.md): every table of the page in one sheet, a row per figure with its
   * dimension: 合计, 券种, 月份 (flows within the month; 占用中 at its end), 城市, 企业划型, 服务类别,
   * the top providers and 订单状态. The figures are those of the export's moment (the rollups have no past).
   */
  const summaryExport = defineExport<ExportQuery, SummaryRow>({
    key: "dashboard",
    title: "数据看板",
    listPath: "/admin/dashboard",
    readers: DASHBOARD_READERS,
    columns: [
      { header: "维度", kind: "text", value: (r) => r.dim, width: 10 },
      { header: "项目", kind: "text", value: (r) => r.label, width: 30 },
      { header: "发放额度（元）", kind: "money", value: (r) => r.grantedFen },
      { header: "占用中（元）", kind: "money", value: (r) => r.reservedFen },
      { header: "已核销（元）", kind: "money", value: (r) => r.consumedFen },
      { header: "已兑付（元）", kind: "money", value: (r) => r.settledFen },
      { header: "已失效或收回（元）", kind: "money", value: (r) => r.expiredFen },
      { header: "订单数", kind: "integer", value: (r) => r.orders },
    ],
    count: async (q) => (await summaryRows(exportScope(q))).length,
    rows: async (q) => ({ rows: await summaryRows(exportScope(q)) }),
  });

  async function summaryRows(q: DashboardQuery): Promise<SummaryRow[]> {
    const v = await view(q);
    const amounts = (dim: string, r: Row | (Totals & { label: string })): SummaryRow => ({
      dim,
      label: r.label,
      grantedFen: r.grantedFen,
      reservedFen: r.reservedFen,
      consumedFen: r.consumedFen,
      settledFen: r.settledFen,
      expiredFen: r.expiredFen,
    });
    return [
      amounts("合计", { ...v.totals, label: "全部" }),
      ...v.byProgramme.map((r) => amounts("券种", r)),
      ...v.byMonth.map((m) => ({
        dim: "月份",
        label: m.label,
        grantedFen: m.grantedFen,
        reservedFen: m.reservedEndFen,
        consumedFen: m.consumedFen,
        settledFen: m.settledFen,
      })),
      ...v.byCity.map((r) => amounts("城市", r)),
      ...v.bySize.map((r) => amounts("企业划型", r)),
      // Grants and expiries belong to no service category.
      ...v.byCategory.map((r) => ({ ...amounts("服务类别", r), grantedFen: null, expiredFen: null })),
      ...v.topProviders.map((p) => ({ dim: "服务商", label: p.name ?? "（已注销的服务商）", consumedFen: p.consumedFen, settledFen: p.settledFen })),
      ...v.orders.map((o) => ({ dim: "订单状态", label: o.label, orders: o.n })),
    ];
  }

  /** 导出 of 服务券使用率: every voucher account of the filter, lowest usage first (as the list pages it). */
  const usageExport = defineExport<ExportQuery, UsageRow & { programmeName: string }>({
    key: "dashboard_usage",
    title: "服务券使用率",
    listPath: "/admin/dashboard/usage",
    readers: DASHBOARD_READERS,
    columns: [
      { header: "企业名称", kind: "text", value: (u) => u.enterpriseName, width: 30 },
      { header: "所在城市", kind: "text", value: (u) => CITIES.find((c) => c.code === u.cityCode)?.name ?? "", width: 10 },
      { header: "券种", kind: "text", value: (u) => u.programmeName, width: 20 },
      { header: "发放额度（元）", kind: "money", value: (u) => u.grantedFen },
      { header: "已核销（元）", kind: "money", value: (u) => u.consumedFen },
      { header: "使用率", kind: "text", value: (u) => percentText(u.usageBp), width: 8 },
    ],
    async count(q) {
      const s = await scope(exportScope(q));
      return (await repo().usageBuckets(s.ids)).reduce((sum, b) => sum + b.n, 0);
    },
    async rows(q, _asOf, limit, cursor) {
      const s = await scope(exportScope(q));
      const offset = cursor ? Number(cursor) : 0;
      const rows = await repo().usagePage(s.ids, limit, offset);
      const name = new Map(s.all.map((p) => [p.id, p.name]));
      return {
        rows: rows.map((u) => ({ ...u, programmeName: name.get(u.programmeId) ?? "" })),
        cursor: rows.length === limit ? String(offset + limit) : undefined,
      };
    },
  });
  return {
    summaryExport,
    usageExport,
    /** The dashboard page's figures, for the staff who read it. */
    async page(staff: Staff, q: DashboardQuery): Promise<Result<DashboardView>> {
      if (!reads(staff.role)) return fail({ _form: DENIED }, 403);
      return ok(await view(q));
    },

    /** Every voucher account's usage rate (consumed / granted), lowest first, a page at a time. */
    async usage(staff: Staff, q: DashboardQuery, page: number): Promise<Result<UsageView>> {
      if (!reads(staff.role)) return fail({ _form: DENIED }, 403);
      const s = await scope(q);
      const r = repo();
      const [buckets, freshness] = await Promise.all([r.usageBuckets(s.ids), r.freshness()]);
      const total = buckets.reduce((sum, b) => sum + b.n, 0);
      const pages = pagesOf(total, USAGE_PAGE_SIZE);
      const pageNo = Math.min(pageOf(page), pages);
      const rows = await r.usagePage(s.ids, USAGE_PAGE_SIZE, (pageNo - 1) * USAGE_PAGE_SIZE);
      const programmeName = new Map(s.all.map((p) => [p.id, p.name]));
      return ok({
        filter: s.filter,
        programmes: s.all,
        years: s.years,
        rows: rows.map((u) => ({ ...u, programmeName: programmeName.get(u.programmeId) ?? "" })),
        total,
        pageNo,
        pages,
        freshness,
      });
    },

    /**
     * Brings the rollups up to date: folds the deltas written since the last fold, in batches (each
     * its own transaction), until none is left. Safe to run on every instance at once (an advisory
     * lock makes them take turns; a delta is moved exactly once).
     */
    async fold(): Promise<{ entries: number; orderChanges: number; batches: number }> {
      const out = { entries: 0, orderChanges: 0, batches: 0 };
      for (;;) {
        const b = await repo().foldBatch(FOLD_BATCH);
        out.entries += b.entries;
        out.orderChanges += b.orderChanges;
        out.batches++;
        if (b.entries < FOLD_BATCH && b.orderChanges < FOLD_BATCH) return out;
      }
    },

    /** Recomputes the rollups from the ledger and the orders (after a bulk load or a restore). */
    async rebuild(): Promise<void> {
      await repo().rebuild();
    },
  };
}
export type DashboardService = ReturnType<typeof dashboardService>;

/** The recurring fold: every minute, once across all instances (the job engine). */
export const DASHBOARD_FOLD_JOB = "dashboard-fold";
export const DASHBOARD_FOLD_CRON = "* * * * *";
export { DASHBOARD_READERS, monthDays };
