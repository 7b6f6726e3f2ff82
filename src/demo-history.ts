import type { Deps } from "./deps.ts";
import type { SeedHash } from "./modules/identity/service.ts";
import { shanghaiYear } from "./lib/shanghai.ts";
import { textPdf } from "./lib/text-pdf.ts";
import { CITIES } from "./modules/enterprises/domain.ts";
import type { HistoryOrder } from "./modules/orders/history-service.ts";
import type { OrderStatus, ProductSnapshot } from "./modules/orders/domain.ts";
import type { HistoryEntry } from "./modules/vouchers/history-service.ts";
import type { SettlementStatus } from "./modules/settlement/domain.ts";
import type { HistoryBatch, HistorySettlement } from "./modules/settlement/history-service.ts";

/**
 * The demo's year of history for 数据看板 (issue 14 item 7): 28 more certified manufacturing
 * enterprises (two in each city, every 企业划型), their 通用券 for each year the last twelve months
 * touch (last year's programme is created as 已关闭), and about 170 orders with the demo providers
 * 7-9 spread over those months, each with its timeline, money lines and ledger entries: the older
 * ones 已完成 and 兑付, some cancelled, declined or closed, the recent ones 待接单 or 待制定合同; last
 * year's remainders expire at its end. Deterministic (a seeded random source), set-based (one
 * statement per table in the modules' own repositories), loaded once, a few thousand rows in all.
 *
 * Off with DEMO_HISTORY=false (the tests' default, so the demo parties' lists stay as they were).
 * Their phones (13700000001 ...) have the demo password but are not listed as demo logins.
 */

const PHONE_PREFIX = "137000000";
const ENTERPRISES = 28;
const ORDERS_PER_ENTERPRISE = 6;
const DAY = 86_400_000;
const SHANGHAI = 8 * 3600_000;
const SIZES = ["micro", "small", "medium", "small", "large", "micro", "small"] as const;
const INDUSTRY = ["机械", "食品", "铝业", "建材", "电子", "糖业", "林产", "汽车零部件", "纺织", "医药", "冶金", "化工", "装备", "新材料"];

/** mulberry32, as the scale seed: the same history on every fresh database (for the same month). */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}

/** The steps of an order's life up to 已完成: action, actor, from, to. */
const CHAIN: [string, HistoryOrder["events"][number]["actorType"], OrderStatus, OrderStatus][] = [
  ["accept", "provider", "pending_acceptance", "contract_drafting"],
  ["submit_contract", "provider", "contract_drafting", "contract_review"],
  ["agree_contract", "enterprise", "contract_review", "contract_signing"],
  ["signed", "system", "contract_signing", "awaiting_deposit"],
  ["deposit_paid", "system", "awaiting_deposit", "awaiting_start"],
  ["start_service", "provider", "awaiting_start", "in_service"],
  ["complete_service", "provider", "in_service", "awaiting_balance"],
  ["balance_paid", "system", "awaiting_balance", "awaiting_review"],
  ["review", "enterprise", "awaiting_review", "completed"],
];
/**
 * Recent orders wait for the provider (待接单, young enough for the closing job to leave them) or for
 * its contract (待制定合同: the provider's 制定合同 works on them). History orders carry no contract
 * documents, so none is left in a status whose page offers one (from 待确认合同 on), except 已完成.
 */
const IN_PROGRESS: OrderStatus[] = ["pending_acceptance", "contract_drafting", "contract_drafting"];

export async function historyDemo(deps: Deps, passwordHash: SeedHash): Promise<{ created: number }> {
  if (deps.config.env === "production") throw new Error("demo data is never loaded in production");
  const [done] = await deps.db.query("select 1 from accounts where phone = $1", [`${PHONE_PREFIX}01`]);
  if (done) return { created: 0 };
  const now = deps.clock.now().getTime();
  const year = shanghaiYear(new Date(now));
  const programmes = await deps.vouchers.programmes();
  const current = programmes.find((p) => p.year === year && p.kind === "general");
  const [admin] = await deps.db.query<{ id: string }>("select id from admin_users where username = 'admin'");
  if (!current || !admin) return { created: 0 };
  const rnd = random(20261201);

  // The last twelve months: from the first day (Shanghai) of the month eleven months back.
  const local = new Date(now + SHANGHAI);
  const startMonth = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth() - 11, 1));
  const windowStart = startMonth.getTime() - SHANGHAI;
  const yearStart = (y: number) => Date.UTC(y, 0, 1) - SHANGHAI;

  // Last year's 通用券 (closed), when the window reaches into last year.
  const byYear = new Map([[year, current]]);
  if (windowStart < yearStart(year)) {
    const last = year - 1;
    let previous = programmes.find((p) => p.year === last && p.kind === "general");
    if (!previous) {
      const made = await deps.vouchers.saveProgramme({ id: admin.id, role: "super_admin" }, null, {
        year: last,
        kind: "general",
        name: `${last}年度通用券`,
        status: "closed",
        isExample: true,
        requiresDocuments: false,
        description: "上一年度按企业划型发放的通用服务券（演示历史数据，额度与比例为示例数值）。",
        subsidyRateBp: current.subsidyRateBp,
        perOrderCapFen: current.perOrderCapFen,
        quotaLargeFen: current.quotaBySize.large,
        quotaMediumFen: current.quotaBySize.medium,
        quotaSmallFen: current.quotaBySize.small,
        quotaMicroFen: current.quotaBySize.micro,
        applyFrom: `${last}-01-01`,
        applyTo: `${last}-12-31`,
        validFrom: `${last}-01-01`,
        validTo: `${last}-12-31`,
        categories: current.categories,
      });
      if (!made.ok) throw new Error(`demo history programme failed: ${JSON.stringify(made.errors)}`);
      previous = await deps.vouchers.programme(made.value.id);
    }
    if (previous) byYear.set(last, previous);
  }

  // The demo providers' listed products that a 通用券 pays for.
  const products = await deps.db.query<{
    product_id: string;
    revision_id: string;
    provider_id: string;
    provider_name: string;
    title: string;
    category: string;
    price_fen: string | number;
    unit: string;
    content: string;
    deliverables: string;
    acceptance: string;
    duration: string;
  }>(
    `select l.product_id, l.revision_id, l.provider_id, l.provider_name, l.title, l.category, l.price_fen, r.unit, r.content, r.deliverables, r.acceptance, r.duration
       from product_listings l join product_revisions r on r.id = l.revision_id
      where 'general' = any(l.voucher_kinds) order by l.title`,
  );
  const payable = products.filter((p) => current.categories.includes(p.category));
  if (!payable.length) return { created: 0 };

  // ---- enterprises, certified in the past ----
  const enterprises: { id: string; size: (typeof SIZES)[number]; city: string }[] = [];
  for (let i = 0; i < ENTERPRISES; i++) {
    const city = CITIES[i % CITIES.length]!;
    const size = SIZES[i % SIZES.length]!;
    const name = `${city.name.replace(/市$/, "")}示例${INDUSTRY[(i * 5) % INDUSTRY.length]}${i < CITIES.length ? "" : "制品"}有限公司`;
    const { accountId } = await deps.identity.seedAccount({ phone: `${PHONE_PREFIX}${String(i + 1).padStart(2, "0")}`, name, passwordHash });
    const e = await deps.enterprises.ofAccount(accountId);
    if (e) enterprises.push({ id: e.id, size, city: city.code });
  }
  const certifiedAt = new Date(windowStart - 60 * DAY).toISOString();
  await deps.demoHistory.enterprises.certify(
    enterprises.map((e, i) => ({
      enterpriseId: e.id,
      creditCode: `91450000HIST${String(i + 1).padStart(6, "0")}`,
      sizeClass: e.size,
      cityCode: e.city,
      certifiedAt,
    })),
  );

  // ---- voucher accounts, granted at the start of each programme year (or of the window) ----
  const years = [...byYear.keys()].sort();
  const grantAt = (y: number) => Math.max(yearStart(y) + 4 * DAY, windowStart + 2 * DAY);
  const accountRows = enterprises.flatMap((e) =>
    years.map((y) => ({
      enterpriseId: e.id,
      programmeId: byYear.get(y)!.id,
      grantedFen: byYear.get(y)!.quotaBySize[e.size],
      grantedAt: new Date(grantAt(y)).toISOString(),
    })),
  );
  const accountIds = await deps.demoHistory.vouchers.openAccounts(accountRows);
  const accounts = new Map(accountRows.map((r, i) => [`${r.enterpriseId}/${r.programmeId}`, { id: accountIds[i]!, left: r.grantedFen }]));

  // ---- orders, their timelines, money lines and ledger entries ----
  const orders: HistoryOrder[] = [];
  const entries: HistoryEntry[] = [];
  const completed: Completed[] = [];
  const iso = (t: number) => new Date(Math.min(t, now - 60_000)).toISOString();
  for (const e of enterprises) {
    for (let k = 0; k < ORDERS_PER_ENTERPRISE; k++) {
      const y = years[rnd.int(years.length)]!;
      const programme = byYear.get(y)!;
      const from = grantAt(y) + DAY;
      const to = Math.min(now - 2 * 3600_000, yearStart(y + 1) - DAY);
      if (to <= from) continue;
      const created = from + Math.floor(rnd.next() * (to - from));
      const age = (now - created) / DAY;
      // The cheaper of two draws: small services are bought most often (and leave voucher money for more orders).
      const [p1, p2] = [payable[rnd.int(payable.length)]!, payable[rnd.int(payable.length)]!];
      const p = Number(p1.price_fen) <= Number(p2.price_fen) ? p1 : p2;
      const price = Number(p.price_fen);
      const account = accounts.get(`${e.id}/${programme.id}`)!;
      const deduction = Math.max(0, Math.min(Math.floor((price * programme.subsidyRateBp) / 10_000), programme.perOrderCapFen, account.left));
      const r = rnd.next();
      let status: OrderStatus;
      if (r < 0.07) status = "cancelled";
      else if (r < 0.12) status = "declined";
      else if (r < 0.15 && age > 8) status = "closed";
      else if (age < 30) status = IN_PROGRESS[rnd.int(IN_PROGRESS.length)]!;
      else status = "completed";
      if (status === "pending_acceptance" && age > 5) status = "contract_drafting";
      const selfPay = price - deduction;
      const deposit = Math.floor(selfPay / 10 / 100) * 100;
      const steps =
        status === "cancelled"
          ? [["cancel", "enterprise", "pending_acceptance", "cancelled"] as (typeof CHAIN)[number]]
          : status === "declined"
            ? [["decline", "provider", "pending_acceptance", "declined"] as (typeof CHAIN)[number]]
            : status === "closed"
              ? [["expire", "system", "pending_acceptance", "closed"] as (typeof CHAIN)[number]]
              : CHAIN.slice(0, CHAIN.findIndex((s) => s[3] === status) + 1);
      const span = Math.min(age * 0.8, status === "closed" ? 7 : 40) * DAY;
      const at = (i: number) => created + ((i + 1) / (steps.length + 1)) * span;
      const id = crypto.randomUUID();
      const events = steps.map(([action, actorType, fromStatus, toStatus], i) => ({
        at: iso(at(i)),
        actorType,
        action,
        from: fromStatus,
        to: toStatus,
        reason: action === "decline" ? "服务排期已满（演示历史数据）" : action === "cancel" ? "采购计划调整（演示历史数据）" : undefined,
      }));
      const lines: HistoryOrder["lines"] = [];
      const stepAt = (action: string) => at(steps.findIndex((s) => s[0] === action));
      if (deduction > 0) {
        lines.push({ kind: "voucher_reserved", amountFen: deduction, at: iso(created) });
        entries.push({ accountId: account.id, kind: "reserve", amountFen: deduction, orderId: id, ref: "", at: iso(created) });
      }
      const released = ["cancelled", "declined", "closed"].includes(status);
      if (deduction > 0 && released) {
        lines.push({ kind: "voucher_released", amountFen: deduction, at: iso(at(0)) });
        entries.push({ accountId: account.id, kind: "release", amountFen: deduction, orderId: id, ref: "", at: iso(at(0)) });
      } else account.left -= deduction;
      if (steps.some((s) => s[0] === "deposit_paid") && deposit > 0)
        lines.push({ kind: "deposit_paid", amountFen: deposit, at: iso(stepAt("deposit_paid")) });
      if (steps.some((s) => s[0] === "balance_paid")) {
        const balanceAt = stepAt("balance_paid");
        if (selfPay - deposit > 0) lines.push({ kind: "balance_paid", amountFen: selfPay - deposit, at: iso(balanceAt) });
        if (deduction > 0) {
          lines.push({ kind: "voucher_consumed", amountFen: deduction, at: iso(balanceAt) });
          entries.push({ accountId: account.id, kind: "consume", amountFen: deduction, orderId: id, ref: "", at: iso(balanceAt) });
          // 兑付 (below): the older completed orders were paid out, the recent ones wait in each status.
          if (status === "completed")
            completed.push({
              id,
              providerId: p.provider_id,
              enterpriseId: e.id,
              accountId: account.id,
              programme,
              deduction,
              price,
              balanceAt,
              completedAt: stepAt("review"),
              lines,
            });
        }
      }
      const snapshot: ProductSnapshot = {
        productId: p.product_id,
        revisionId: p.revision_id,
        title: p.title,
        category: p.category,
        provider: { id: p.provider_id, name: p.provider_name },
        unitPriceFen: price,
        unit: p.unit,
        content: p.content,
        deliverables: p.deliverables,
        acceptance: p.acceptance,
        duration: p.duration,
      };
      orders.push({
        id,
        enterpriseId: e.id,
        providerId: p.provider_id,
        productId: p.product_id,
        status,
        unitPriceFen: price,
        deductionFen: deduction,
        depositFen: steps.some((s) => s[0] === "submit_contract") ? deposit : 0,
        voucherAccountId: deduction > 0 ? account.id : null,
        snapshot,
        createdAt: iso(created),
        updatedAt: events.at(-1)?.at ?? iso(created),
        events,
        lines,
      });
    }
  }
  // Last year's remainders expire when its validity ends.
  for (const y of years.filter((x) => x < year)) {
    for (const e of enterprises) {
      const a = accounts.get(`${e.id}/${byYear.get(y)!.id}`)!;
      if (a.left > 0)
        entries.push({ accountId: a.id, kind: "expire", amountFen: a.left, orderId: null, ref: "", at: new Date(yearStart(y + 1)).toISOString() });
    }
  }
  const [finance] = await deps.db.query<{ id: string }>("select id from admin_users where username = 'finance'");
  const settlements = settlementsOf(completed, entries, now, finance?.id ?? admin.id, deps.config.settlement.publicityDays);
  await deps.demoHistory.orders.insert(orders);
  await deps.demoHistory.vouchers.append(entries);
  await deps.demoHistory.settlements.insert(settlements.rows, settlements.batches, demoDocuments);
  deps.log.info(
    { enterprises: enterprises.length, orders: orders.length, ledger: entries.length + accountIds.length, settlements: settlements.rows.length },
    "demo history loaded",
  );
  return { created: enterprises.length + orders.length };
}

type Completed = {
  id: string;
  providerId: string;
  enterpriseId: string;
  accountId: string;
  programme: { id: string; name: string; kind: "general" | "special"; year: number };
  deduction: number;
  price: number;
  balanceAt: number;
  completedAt: number;
  lines: HistoryOrder["lines"];
};

/** The recent completed orders' applications cycle through these (null: not applied for yet, left for 申请兑付). */
const WAITING: (SettlementStatus | null)[] = ["pending", "publicising", "awaiting_payout", "spot_check", "rejected", "paused", null];
const SETTLED_BEFORE_DAYS = 75;

/**
 * 兑付 of the history's completed orders with a voucher part. Those whose balance was paid more than
 * 75 days ago were applied for per provider, service year and month, approved, publicised and paid
 * out in a monthly batch (the ledger's `settle` and the order's 兑付 line at that time). The recent
 * ones wait in every status of the review (待审核, 抽查中, 公示中, 公示暂停, 待拨付, 已驳回), and some
 * are not applied for yet, so the demo provider's 申请兑付 lists them.
 */
function settlementsOf(done: Completed[], entries: HistoryEntry[], now: number, financeId: string, publicityDays: number) {
  const rows: HistorySettlement[] = [];
  const batches = new Map<string, HistoryBatch>();
  const iso = (t: number) => new Date(Math.min(t, now - 60_000)).toISOString();
  const month = (t: number) => new Date(t + SHANGHAI).toISOString().slice(0, 7);
  const groups = new Map<string, { state: SettlementStatus | null; orders: Completed[] }>();
  let k = 0;
  for (const o of [...done].sort((a, b) => a.balanceAt - b.balanceAt)) {
    const old = o.balanceAt < now - SETTLED_BEFORE_DAYS * DAY;
    const state = old ? "paid" : WAITING[k++ % WAITING.length]!;
    const key = `${o.providerId}/${o.programme.year}/${state}/${old ? month(o.balanceAt) : ""}`;
    const g = groups.get(key) ?? { state, orders: [] };
    g.orders.push(o);
    groups.set(key, g);
  }
  for (const { state, orders } of groups.values()) {
    if (!state) continue;
    const last = Math.max(...orders.map((o) => o.completedAt));
    const amountFen = orders.reduce((n, o) => n + o.deduction, 0);
    const base = {
      providerId: orders[0]!.providerId,
      status: state,
      amountFen,
      generalFen: orders.reduce((n, o) => n + (o.programme.kind === "general" ? o.deduction : 0), 0),
      contractFen: orders.reduce((n, o) => n + o.price, 0),
      serviceYear: orders[0]!.programme.year,
      decidedBy: null as string | null,
      decidedAt: null as string | null,
      publicityUntil: null as string | null,
      pausedRemainingMs: null as number | null,
      reason: null as string | null,
      spotCheckNote: null as string | null,
      batch: null as string | null,
      paidAt: null as string | null,
      orders: orders.map((o) => ({
        orderId: o.id,
        enterpriseId: o.enterpriseId,
        voucherAccountId: o.accountId,
        programmeId: o.programme.id,
        programmeName: o.programme.name,
        programmeKind: o.programme.kind,
        voucherFen: o.deduction,
        contractFen: o.price,
      })),
    };
    const finance = (
      at: number,
      action: HistorySettlement["events"][number]["action"],
      from: SettlementStatus,
      to: SettlementStatus,
      reason?: string,
    ) => ({
      at: iso(at),
      actorType: "finance" as const,
      actorId: financeId,
      action,
      from,
      to,
      reason,
    });
    const system = (at: number, action: HistorySettlement["events"][number]["action"], from: SettlementStatus, to: SettlementStatus, reason?: string) => ({
      at: iso(at),
      actorType: "system" as const,
      actorId: null,
      action,
      from,
      to,
      reason,
    });
    if (state === "paid") {
      const paidAt = Math.max(...orders.map((o) => o.balanceAt)) + 35 * DAY;
      const submitted = paidAt - 20 * DAY;
      const approved = submitted + 3 * DAY;
      const batch = `batch/${month(paidAt)}`;
      const batchAt = paidAt - DAY;
      const known = batches.get(batch);
      if (!known || new Date(known.at).getTime() > batchAt) batches.set(batch, { key: batch, createdBy: financeId, at: iso(batchAt) });
      rows.push({
        ...base,
        submittedAt: iso(submitted),
        decidedBy: financeId,
        decidedAt: iso(approved),
        publicityUntil: iso(approved + publicityDays * DAY),
        batch,
        paidAt: iso(paidAt),
        events: [
          finance(approved, "approve", "pending", "publicising"),
          system(approved + publicityDays * DAY, "publicity_end", "publicising", "awaiting_payout"),
          finance(batchAt, "pay", "awaiting_payout", "paying"),
          system(paidAt, "payout_succeeded", "paying", "paid"),
        ],
      });
      for (const o of orders) {
        o.lines.push({ kind: "voucher_settled", amountFen: o.deduction, at: iso(paidAt) });
        entries.push({ accountId: o.accountId, kind: "settle", amountFen: o.deduction, orderId: o.id, ref: "", at: iso(paidAt) });
      }
      continue;
    }
    // Waiting ones: submitted a day after the last order's 验收; 公示 still running, paused or over.
    const submitted = Math.min(last + DAY, now - 7 * DAY);
    const row: HistorySettlement = { ...base, submittedAt: iso(submitted), events: [] };
    if (state === "spot_check") {
      row.spotCheckNote = "请补充服务过程记录与验收现场照片（演示数据）";
      row.events = [finance(submitted + DAY, "spot_check", "pending", "spot_check", row.spotCheckNote)];
    } else if (state === "rejected") {
      row.reason = "发票购买方名称与合同甲方名称不一致，请更正后重新提交（演示数据）";
      row.decidedBy = financeId;
      row.decidedAt = iso(submitted + DAY);
      row.events = [finance(submitted + DAY, "reject", "pending", "rejected", row.reason)];
    } else if (state === "publicising" || state === "paused") {
      const approved = now - DAY;
      row.decidedBy = financeId;
      row.decidedAt = iso(approved);
      row.events = [finance(approved, "approve", "pending", "publicising")];
      if (state === "publicising") row.publicityUntil = new Date(approved + publicityDays * DAY).toISOString();
      else {
        row.pausedRemainingMs = Math.max(0, publicityDays * DAY - 12 * 3600_000);
        row.events.push(system(approved + 12 * 3600_000, "object", "publicising", "paused", "公示期间收到留言异议（演示数据）"));
      }
    } else if (state === "awaiting_payout") {
      const approved = submitted + DAY;
      row.decidedBy = financeId;
      row.decidedAt = iso(approved);
      row.publicityUntil = iso(approved + publicityDays * DAY);
      row.events = [
        finance(approved, "approve", "pending", "publicising"),
        system(approved + publicityDays * DAY, "publicity_end", "publicising", "awaiting_payout"),
      ];
    }
    rows.push(row);
  }
  return { rows, batches: [...batches.values()] };
}

/** The demo's documents: a one-page PDF each (ASCII only, so no font is embedded). */
function demoDocuments(s: HistorySettlement) {
  const yuanText = (fen: number) => (fen / 100).toFixed(2);
  const pdf = (title: string) =>
    textPdf([
      title,
      "Demo data - not a real document",
      `Service year ${s.serviceYear}`,
      `Orders ${s.orders.length}`,
      `Contract amount CNY ${yuanText(s.contractFen)}`,
    ]);
  return { invoice: { name: "发票（演示）.pdf", bytes: pdf("INVOICE") }, acceptance: { name: "验收报告（演示）.pdf", bytes: pdf("ACCEPTANCE REPORT") } };
}
