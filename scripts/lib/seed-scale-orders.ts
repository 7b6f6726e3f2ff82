/**
 * Scale data for 数据看板 and the order lists: N certified manufacturing enterprises (account,
 * enterprise with city and 企业划型), last year's and this year's 通用券 (closed / open), an approved
 * application and a voucher account for each enterprise and programme with its grant, M orders over
 * the two years on the listed products of scripts/lib/seed-scale.ts, and their voucher ledger rows
 * (reserve; reservation moves named `contract:vN` in pairs that cancel out, which bring the ledger to
 * the requested size; release or consume by the order's status; settle for most older completed
 * orders; expire of last year's remainders). The accounts' running totals are set from what was
 * written, so the ledger checks hold (totals = sums, never overspent).
 *
 * Set-based: rows are generated in TypeScript from a seeded random source and inserted in batches
 * through `unnest` arrays; the ledger rows of a batch are expanded in SQL from one row per order.
 * The dashboard's triggers are disabled for the load and its rollups rebuilt from the ledger at the
 * end (`dashboard_rebuild()`, as after a restore); the caller runs VACUUM ANALYZE.
 *
 * Not written (no page of the dashboard reads them): order events, money lines, contracts and payments.
 */
import { randomUUID } from "node:crypto";
import type { Db } from "../../src/ports/db.ts";
import { CITY_CODES, pgArray } from "./seed-scale.ts";

export type ScaleProduct = {
  id: string;
  providerId: string;
  providerName: string;
  revisionId: string;
  title: string;
  category: string;
  priceFen: number;
  general: boolean;
  unit: string;
};

export type SeedOrdersOptions = {
  enterprises: number;
  orders: number;
  /** Ledger rows to aim for (grants, order entries, expiries); at least what the orders need. */
  ledger: number;
  products: ScaleProduct[];
  categories: string[];
  rnd: { next(): number; int(n: number): number; pick<T>(xs: readonly T[]): T };
  log: (line: string) => void;
  batch?: number;
};
export type SeedOrdersResult = {
  enterprises: number;
  accounts: number;
  orders: number;
  ledger: number;
  enterprisesMs: number;
  ordersMs: number;
  rebuildMs: number;
  /** 兑付 (scripts/lib/seed-scale-settlements.ts), once written. */
  settlements?: { settlements: number; orders: number; batches: number; ms: number };
};

const DAY = 86_400_000;
const SHANGHAI = 8 * 3600_000;
const SIZES = ["large", "medium", "small", "small", "micro", "micro", "micro"] as const;
const QUOTA: Record<string, number> = { large: 10_000_000, medium: 6_000_000, small: 3_000_000, micro: 1_000_000 };
/** 30 %, at most ¥50,000 per order (the demo programme's values). */
const RATE_BP = 3000;
const CAP_FEN = 5_000_000;
const NAMES_A = [..."华信远博通达正恒泰创新源鑫汇嘉德瑞丰宏盛弘科智诚安联众和兴明卓越金桂邕柳"];
const NAMES_B = ["机械", "汽车零部件", "电子", "食品", "铝业", "建材", "纺织", "化工", "糖业", "林产", "医药", "冶金", "装备", "新材料"];
/** Cities weighted like the province (南宁 and 柳州 largest). */
const CITY_WEIGHTS = [18, 16, 9, 6, 5, 4, 6, 6, 8, 6, 4, 4, 4, 4];

/** The instant a Shanghai calendar date begins. */
const shanghaiMidnight = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) - SHANGHAI;

export async function seedScaleOrders(db: Db, o: SeedOrdersOptions): Promise<SeedOrdersResult> {
  const { rnd, log } = o;
  const batch = o.batch ?? 5000;
  const products = o.products.filter((p) => p.priceFen > 0);
  if (o.orders > 0 && !products.length) throw new Error("orders need listed products");
  const now = Date.now();
  const year = new Date(now + SHANGHAI).getUTCFullYear();
  const tag = now.toString(36).toUpperCase();
  const cityTotal = CITY_WEIGHTS.reduce((a, b) => a + b, 0);
  const pickCity = () => {
    let r = rnd.int(cityTotal);
    for (let i = 0; i < CITY_CODES.length; i++) {
      r -= CITY_WEIGHTS[i] ?? 1;
      if (r < 0) return CITY_CODES[i]!;
    }
    return CITY_CODES[0]!;
  };

  // ---- programmes: last year's 通用券 (closed, validity over) and this year's (open) ----
  const programmes: { id: string; year: number; validTo: number }[] = [];
  for (const y of [year - 1, year]) {
    const [row] = await db.query<{ id: string }>(
      `insert into voucher_programmes (year, kind, name, description, subsidy_rate_bp, per_order_cap_fen, quota_large_fen, quota_medium_fen, quota_small_fen, quota_micro_fen,
         apply_from, apply_to, valid_from, valid_to, categories, status, is_example)
       values ($1, 'general', $2, '规模测试数据：按企业划型发放的年度通用服务券。', $3, $4, $5, $6, $7, $8, $9::date, $10::date, $9::date, $10::date, $11::text[], $12, true) returning id`,
      [
        y,
        `${y}年度通用券（规模测试 ${tag}）`,
        RATE_BP,
        CAP_FEN,
        QUOTA.large,
        QUOTA.medium,
        QUOTA.small,
        QUOTA.micro,
        `${y}-01-01`,
        `${y}-12-31`,
        pgArray(o.categories),
        y < year ? "closed" : "open",
      ],
    );
    programmes.push({ id: row!.id, year: y, validTo: shanghaiMidnight(y + 1, 1, 1) - 1 });
  }

  // ---- enterprises, their applications, accounts and grants ----
  const t0 = performance.now();
  const [{ n: existing }] = (await db.query<{ n: number }>("select count(*)::int as n from accounts")) as [{ n: number }];
  type Account = { id: string; granted: number; left: number; reserved: number; consumed: number; settled: number; expired: number };
  const accounts: Account[][] = []; // [enterprise][programme]
  const enterpriseIds: string[] = [];
  for (let from = 0; from < o.enterprises; from += batch) {
    const n = Math.min(batch, o.enterprises - from);
    const accIds: string[] = [];
    const entIds: string[] = [];
    const phones: string[] = [];
    const names: string[] = [];
    const codes: string[] = [];
    const sizes: string[] = [];
    const cities: string[] = [];
    const created: string[] = [];
    for (let k = 0; k < n; k++) {
      const i = from + k;
      accIds.push(randomUUID());
      entIds.push(randomUUID());
      phones.push(String(17_000_000_000 + existing + i));
      names.push(`${rnd.pick(NAMES_A)}${rnd.pick(NAMES_A)}${rnd.pick(NAMES_B)}有限公司（规模${i}）`);
      codes.push(`SCALEM${tag}${String(i).padStart(7, "0")}`);
      sizes.push(rnd.pick(SIZES));
      cities.push(pickCity());
      created.push(new Date(shanghaiMidnight(year - 2, 6, 1) + rnd.int(180) * DAY).toISOString());
    }
    const appIds = programmes.map(() => entIds.map(() => randomUUID()));
    const vaIds = programmes.map(() => entIds.map(() => randomUUID()));
    const grantAt = programmes.map((p) => new Date(shanghaiMidnight(p.year, 1, 5)).toISOString());
    await db.transaction(async (tx) => {
      await tx.query("insert into accounts (id, phone, created_at) select * from unnest($1::uuid[], $2::text[], $3::timestamptz[])", [
        pgArray(accIds),
        pgArray(phones),
        pgArray(created),
      ]);
      await tx.query(
        `insert into enterprises (id, account_id, name, certification_status, is_provider, credit_code, size_class, city_code, certified_at, created_at)
         select e, a, n, 'certified', false, cc, s, c, t, t from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[]) as x(e, a, n, cc, s, c, t)`,
        [pgArray(entIds), pgArray(accIds), pgArray(names), pgArray(codes), pgArray(sizes), pgArray(cities), pgArray(created)],
      );
      for (const [pi, p] of programmes.entries()) {
        const amounts = sizes.map((s) => QUOTA[s]!);
        await tx.query(
          `insert into quota_applications (id, programme_id, enterprise_id, source, requested_fen, approved_fen, status, submitted_at, decided_at)
           select id, $1, e, 'allocation', f, f, 'approved', $5::timestamptz - interval '3 days', $5::timestamptz from unnest($2::uuid[], $3::uuid[], $4::bigint[]) as x(id, e, f)`,
          [p.id, pgArray(appIds[pi]!), pgArray(entIds), pgArray(amounts), grantAt[pi]],
        );
        await tx.query(
          `insert into voucher_accounts (id, programme_id, enterprise_id, application_id, granted_fen, created_at)
           select id, $1, e, a, f, $6::timestamptz from unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::bigint[]) as x(id, e, a, f)`,
          [p.id, pgArray(vaIds[pi]!), pgArray(entIds), pgArray(appIds[pi]!), pgArray(amounts), grantAt[pi]],
        );
        await tx.query(
          `insert into voucher_ledger (account_id, kind, amount_fen, created_at) select id, 'grant', f, $3::timestamptz from unnest($1::uuid[], $2::bigint[]) as x(id, f)`,
          [pgArray(vaIds[pi]!), pgArray(amounts), grantAt[pi]],
        );
      }
    });
    for (let k = 0; k < n; k++) {
      enterpriseIds.push(entIds[k]!);
      accounts.push(
        programmes.map((_, pi) => {
          const q = QUOTA[sizes[k]!]!;
          return { id: vaIds[pi]![k]!, granted: q, left: q, reserved: 0, consumed: 0, settled: 0, expired: 0 };
        }),
      );
    }
    if ((from / batch) % 5 === 4 || from + n >= o.enterprises)
      log(`enterprises: ${from + n} of ${o.enterprises} (${(performance.now() - t0).toFixed(0)} ms)`);
  }
  const enterprisesMs = performance.now() - t0;

  // ---- orders and their ledger rows ----
  const t1 = performance.now();
  const yearStart = shanghaiMidnight(year - 1, 1, 1);
  const span = now - yearStart;
  const withVoucherShare = 0.8;
  // Each order with a voucher writes: reserve, its final entry (most), settle (some). The rest of the
  // requested ledger size comes as reservation moves, an even number per order.
  // Recomputed after every batch from what was written so far (how many orders found voucher money left).
  let movesPerOrder = 0;
  let vouchered = 0;
  let done = 0;
  let movesRows = 0;
  const plan = () => {
    const share = done ? vouchered / done : withVoucherShare;
    const perOrder = vouchered ? (ledgerRows - o.enterprises * programmes.length - movesRows) / vouchered : 2.4;
    const rest = o.orders - done;
    const restBase = rest * share * perOrder + o.enterprises * 0.5;
    movesPerOrder = Math.max(0, (o.ledger - ledgerRows - restBase) / Math.max(1, rest * share));
  };
  const IN_PROGRESS = [
    "pending_acceptance",
    "contract_drafting",
    "contract_review",
    "contract_signing",
    "awaiting_deposit",
    "awaiting_start",
    "in_service",
    "awaiting_balance",
    "disputed",
  ];
  const RELEASED = ["cancelled", "declined", "closed", "terminated"];
  let ledgerRows = o.enterprises * programmes.length;
  for (let from = 0; from < o.orders; from += batch) {
    const n = Math.min(batch, o.orders - from);
    plan();
    const c = {
      id: [] as string[],
      enterprise: [] as string[],
      provider: [] as string[],
      product: [] as string[],
      revision: [] as string[],
      title: [] as string[],
      category: [] as string[],
      providerName: [] as string[],
      unit: [] as string[],
      status: [] as string[],
      price: [] as number[],
      deduction: [] as number[],
      account: [] as string[],
      created: [] as string[],
      updated: [] as string[],
      moves: [] as number[],
      final: [] as string[],
      settle: [] as boolean[],
    };
    for (let k = 0; k < n; k++) {
      const at = yearStart + Math.floor(rnd.next() * span);
      const pi = at < programmes[0]!.validTo ? 0 : 1;
      const e = rnd.int(enterpriseIds.length);
      const p = products[rnd.int(products.length)]!;
      const age = (now - at) / DAY;
      const r = rnd.next();
      let status: string;
      if (r < 0.08) status = "cancelled";
      else if (r < 0.13) status = "declined";
      else if (r < 0.16) status = age > 7 ? "closed" : "pending_acceptance";
      else if (r < 0.19) status = age > 20 ? "terminated" : "in_service";
      else if (age < 45) status = r < 0.85 ? rnd.pick(IN_PROGRESS) : r < 0.92 ? "awaiting_review" : "completed";
      else status = "completed";
      const acc = accounts[e]![pi]!;
      let deduction = 0;
      if (p.general && acc.left > 0 && rnd.next() < withVoucherShare / 0.8)
        deduction = Math.min(Math.floor((p.priceFen * RATE_BP) / 10_000), CAP_FEN, acc.left);
      let final = "";
      let settle = false;
      let moves = 0;
      if (deduction > 0) {
        const released = RELEASED.includes(status);
        final = released ? "release" : status === "completed" || status === "awaiting_review" ? "consume" : "";
        settle = status === "completed" && age > 60 && rnd.next() < 0.75;
        const whole = Math.floor(movesPerOrder / 2);
        moves = 2 * (whole + (rnd.next() < movesPerOrder / 2 - whole ? 1 : 0));
        if (!released) {
          acc.left -= deduction;
          if (final === "consume") acc.consumed += deduction;
          else acc.reserved += deduction;
          if (settle) acc.settled += deduction;
        }
        ledgerRows += 1 + moves + (final ? 1 : 0) + (settle ? 1 : 0);
        vouchered++;
        movesRows += moves;
      }
      done++;
      c.id.push(randomUUID());
      c.enterprise.push(enterpriseIds[e]!);
      c.provider.push(p.providerId);
      c.product.push(p.id);
      c.revision.push(p.revisionId);
      c.title.push(p.title);
      c.category.push(p.category);
      c.providerName.push(p.providerName);
      c.unit.push(p.unit);
      c.status.push(status);
      c.price.push(p.priceFen);
      c.deduction.push(deduction);
      c.account.push(deduction > 0 ? acc.id : "");
      c.created.push(new Date(at).toISOString());
      c.updated.push(new Date(Math.min(now, at + Math.min(age, 40) * DAY * rnd.next())).toISOString());
      c.moves.push(moves);
      c.final.push(final);
      c.settle.push(settle);
    }
    const a = (xs: (string | number | boolean)[]) => pgArray(xs.map((x) => (typeof x === "boolean" ? (x ? "t" : "f") : x)));
    await db.transaction(async (tx) => {
      await tx.query(
        `insert into orders (id, number, enterprise_id, provider_id, product_id, status, quantity, unit_price_fen, order_fen, contract_fen, deduction_fen, self_pay_fen,
           voucher_account_id, snapshot, submission_key, version, created_at, updated_at)
         select x.id, 'DD' || to_char(x.created at time zone 'Asia/Shanghai', 'YYYYMMDD') || lpad(nextval('order_number_seq')::text, 6, '0'),
                x.e, x.p, x.pr, x.s, 1, x.f, x.f, x.f, x.d, x.f - x.d, nullif(x.acc, '')::uuid,
                jsonb_build_object('productId', x.pr, 'revisionId', x.rv, 'title', x.t, 'category', x.cat, 'provider', jsonb_build_object('id', x.p, 'name', x.pn),
                                   'unitPriceFen', x.f, 'unit', x.u, 'content', '', 'deliverables', '', 'acceptance', '', 'duration', ''),
                'scale:' || x.id, 1, x.created, x.updated
           from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[],
                       $13::text[], $14::timestamptz[], $15::timestamptz[]) as x(id, e, p, pr, rv, t, cat, pn, u, s, f, d, acc, created, updated)`,
        [
          a(c.id),
          a(c.enterprise),
          a(c.provider),
          a(c.product),
          a(c.revision),
          a(c.title),
          a(c.category),
          a(c.providerName),
          a(c.unit),
          a(c.status),
          a(c.price),
          a(c.deduction),
          a(c.account),
          a(c.created),
          a(c.updated),
        ],
      );
      // One row per order with a voucher, expanded into its ledger entries in SQL.
      await tx.query(
        `with x as (
           select * from unnest($1::uuid[], $2::text[], $3::bigint[], $4::timestamptz[], $5::int[], $6::text[], $7::boolean[]) as x(o, acc, d, t, moves, fin, settle)
            where d > 0
         )
         insert into voucher_ledger (account_id, kind, amount_fen, order_id, ref, created_at)
         select acc::uuid, 'reserve', d, o, '', t from x
         union all
         select acc::uuid, case when g % 2 = 1 then 'reserve' else 'release' end, greatest(d / 10, 1), o, 'contract:v' || (g + 1), t + g * interval '1 hour'
           from x cross join lateral generate_series(1, x.moves) g
         union all
         select acc::uuid, fin, d, o, '', least(t + interval '1 day' * (3 + (moves % 20)), $8::timestamptz) from x where fin <> ''
         union all
         select acc::uuid, 'settle', d, o, '', least(t + interval '1 day' * (45 + (moves % 10)), $8::timestamptz) from x where settle`,
        [a(c.id), a(c.account), a(c.deduction), a(c.created), a(c.moves), a(c.final), a(c.settle), new Date(now).toISOString()],
      );
    });
    if ((from / batch) % 20 === 19 || from + n >= o.orders)
      log(`orders: ${from + n} of ${o.orders}, ledger rows ~${ledgerRows} (${(performance.now() - t1).toFixed(0)} ms)`);
  }

  // Last year's remainders expire at its end; then every account's running totals as written.
  const expireAt = new Date(programmes[0]!.validTo + 1000).toISOString();
  for (let from = 0; from < accounts.length; from += 20_000) {
    const part = accounts.slice(from, from + 20_000);
    const last = part.map((x) => x[0]!);
    for (const acc of last) acc.expired = acc.left;
    const all = part.flat();
    await db.transaction(async (tx) => {
      await tx.query(
        `insert into voucher_ledger (account_id, kind, amount_fen, created_at) select id, 'expire', f, $3::timestamptz from unnest($1::uuid[], $2::bigint[]) as x(id, f) where f > 0`,
        [pgArray(last.map((x) => x.id)), pgArray(last.map((x) => x.expired)), expireAt],
      );
      await tx.query(
        `update voucher_accounts a set reserved_fen = x.r, consumed_fen = x.c, settled_fen = x.s, expired_fen = x.x
           from unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) as x(id, r, c, s, x) where a.id = x.id`,
        [
          pgArray(all.map((x) => x.id)),
          pgArray(all.map((x) => x.reserved)),
          pgArray(all.map((x) => x.consumed)),
          pgArray(all.map((x) => x.settled)),
          pgArray(all.map((x) => x.expired)),
        ],
      );
    });
    ledgerRows += last.filter((x) => x.expired > 0).length;
  }
  const ordersMs = performance.now() - t1;
  log(`orders: ${o.orders} and ${ledgerRows} ledger rows in ${(ordersMs / 1000).toFixed(1)} s`);
  return {
    enterprises: o.enterprises,
    accounts: o.enterprises * programmes.length,
    orders: o.orders,
    ledger: ledgerRows,
    enterprisesMs,
    ordersMs,
    rebuildMs: 0,
  };
}
