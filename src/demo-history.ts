import type { Deps } from "./deps.ts";
import { shanghaiYear } from "./lib/shanghai.ts";
import { CITIES } from "./modules/enterprises/domain.ts";
import type { HistoryOrder } from "./modules/orders/history-service.ts";
import type { OrderStatus, ProductSnapshot } from "./modules/orders/domain.ts";
import type { HistoryEntry } from "./modules/vouchers/history-service.ts";

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

export async function historyDemo(deps: Deps, passwordHash: string): Promise<{ created: number }> {
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
          // 兑付: every completed history order has been paid out to its provider (none is left for 申请兑付,
          // which would need the contract and payment records history orders do not have).
          if (status === "completed") {
            const settledAt = iso(balanceAt + 30 * DAY);
            lines.push({ kind: "voucher_settled", amountFen: deduction, at: settledAt });
            entries.push({ accountId: account.id, kind: "settle", amountFen: deduction, orderId: id, ref: "", at: settledAt });
          }
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
  await deps.demoHistory.orders.insert(orders);
  await deps.demoHistory.vouchers.append(entries);
  deps.log.info({ enterprises: enterprises.length, orders: orders.length, ledger: entries.length + accountIds.length }, "demo history loaded");
  return { created: enterprises.length + orders.length };
}
