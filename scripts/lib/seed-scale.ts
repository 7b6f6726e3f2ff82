/**
 * Scale data for the catalog: N certified provider enterprises (account, enterprise, approved
 * 服务商 application, active provider) and M listed service products (product, approved revision,
 * public listing with its search terms), generated in TypeScript from a seeded random source and
 * inserted in batches through `unnest` arrays. Used by scripts/seed-scale.ts and
 * scripts/bench-catalog.ts; runs on PostgreSQL and on PGlite (the same SQL).
 *
 * Additive: a second run into the same database adds another N providers and M products.
 */
import { randomUUID } from "node:crypto";
import type { Db } from "../../src/ports/db.ts";
import { searchTerms } from "../../src/modules/products/domain.ts";
import regions from "../../src/reference/guangxi-regions.json" with { type: "json" };
import { type ScaleProduct, type SeedOrdersResult, seedScaleOrders } from "./seed-scale-orders.ts";
import { seedScaleSettlements } from "./seed-scale-settlements.ts";

export type SeedScaleOptions = {
  providers?: number;
  products?: number;
  /** Manufacturing enterprises with a voucher account per programme (last year's and this year's 通用券); default 0. */
  enterprises?: number;
  /** Orders on the seeded products over the two years, with their ledger rows; default 0 (needs enterprises). */
  orders?: number;
  /** Voucher ledger rows to aim for (default: what the orders need, about 3 per order with a voucher). */
  ledger?: number;
  /** Seed of the random source: the same seed gives the same titles, prices, regions and dates. */
  seed?: number;
  /** Rows per INSERT. */
  batch?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
};

export type SeedScaleResult = {
  providers: number;
  products: number;
  ms: number;
  providersMs: number;
  productsMs: number;
  vacuumMs: number;
  orders?: SeedOrdersResult;
};

type Words = { directions: string[]; objects: string[]; services: string[]; deliverables: string[]; acceptance: string[] };

/** Title parts per service category: a direction word, an object and a service word. */
export const CATEGORY_WORDS: Record<string, Words> = {
  digital: {
    directions: ["数字化改造", "数字化转型", "车间数字化改造"],
    objects: ["产线", "设备", "仓储", "生产管理", "车间", "订单管理"],
    services: ["诊断", "方案设计", "实施", "部署", "评估"],
    deliverables: ["数字化改造诊断报告", "改造实施方案", "系统部署文档"],
    acceptance: ["改造方案经企业确认签字", "系统上线运行满30天"],
  },
  iiot: {
    directions: ["工业互联网", "工业互联网平台", "5G工业互联网"],
    objects: ["设备联网", "产线", "能耗", "数据采集", "标识解析"],
    services: ["部署", "接入", "方案设计", "运维服务", "平台搭建"],
    deliverables: ["平台接入清单", "设备联网拓扑图", "运维手册"],
    acceptance: ["接入设备在线率达到95%", "平台连续稳定运行30天"],
  },
  "smart-mfg": {
    directions: ["智能制造", "智能工厂", "数字化车间"],
    objects: ["产线", "装配线", "仓储物流", "质量追溯", "设备"],
    services: ["能力成熟度评估", "诊断", "方案设计", "集成实施", "改造"],
    deliverables: ["智能制造能力成熟度评估报告", "智能化改造方案", "集成测试记录"],
    acceptance: ["评估报告通过专家评审", "产线节拍达到方案目标"],
  },
  cloud: {
    directions: ["设备上云", "企业上云", "业务上云"],
    objects: ["生产设备", "ERP系统", "数据", "办公系统"],
    services: ["迁移", "部署", "上云评估", "运维"],
    deliverables: ["上云评估报告", "迁移方案", "云资源清单"],
    acceptance: ["业务系统在云端正常运行", "数据迁移完整无丢失"],
  },
  "data-gov": {
    directions: ["数据治理", "数据管理", "数据资产"],
    objects: ["主数据", "生产数据", "质量数据", "经营数据"],
    services: ["评估", "体系建设", "咨询", "贯标辅导"],
    deliverables: ["数据治理现状评估报告", "数据标准文件", "数据资产目录"],
    acceptance: ["数据标准经企业发布实施", "主数据重复率低于1%"],
  },
  green: {
    directions: ["绿色低碳", "节能降碳", "绿色工厂"],
    objects: ["能耗", "碳排放", "余热", "用能设备", "屋顶光伏"],
    services: ["诊断", "核算", "评价", "改造方案", "创建辅导"],
    deliverables: ["节能诊断报告", "碳排放核算报告", "绿色工厂自评价报告"],
    acceptance: ["报告符合国家标准格式要求", "提出的节能措施经企业确认"],
  },
  testing: {
    directions: ["检验检测", "产品检测", "第三方检测"],
    objects: ["原材料", "零部件", "电气安全", "环境可靠性", "材料性能", "有害物质"],
    services: ["检测", "检验", "测试", "校准"],
    deliverables: ["检测报告", "校准证书", "原始记录"],
    acceptance: ["出具加盖资质章的检测报告", "检测项目与委托单一致"],
  },
  quality: {
    directions: ["质量管理", "质量提升", "卓越绩效"],
    objects: ["质量体系", "生产过程", "供应商质量", "计量体系"],
    services: ["认证辅导", "诊断", "内审培训", "改进辅导", "评价"],
    deliverables: ["质量管理体系文件", "内审报告", "质量改进报告"],
    acceptance: ["体系文件通过内审", "一次交验合格率提升"],
  },
  "supply-chain": {
    directions: ["供应链优化", "供应链管理", "采购管理"],
    objects: ["仓储", "库存", "物流", "采购", "供应商"],
    services: ["优化咨询", "诊断", "方案设计", "系统实施"],
    deliverables: ["供应链诊断报告", "库存优化方案", "供应商评价表"],
    acceptance: ["库存周转天数下降", "方案经企业确认签字"],
  },
  market: {
    directions: ["市场拓展", "品牌建设", "营销推广"],
    objects: ["跨境电商", "展会", "品牌", "渠道", "线上店铺"],
    services: ["策划", "推广服务", "运营托管", "咨询"],
    deliverables: ["市场调研报告", "推广方案", "运营数据月报"],
    acceptance: ["推广方案按期执行", "运营数据月报按时提交"],
  },
  specialized: {
    directions: ["专精特新培育", "专精特新", "小巨人培育"],
    objects: ["企业", "梯度培育", "成长路径", "核心竞争力"],
    services: ["诊断", "辅导", "评估", "培育服务"],
    deliverables: ["专精特新发展诊断报告", "培育提升方案", "辅导记录"],
    acceptance: ["诊断报告经企业确认", "辅导次数不少于合同约定"],
  },
  tech: {
    directions: ["技术攻关", "技术研发", "产学研合作"],
    objects: ["关键工艺", "新产品", "工艺参数", "模具", "新材料"],
    services: ["联合攻关", "研发服务", "技术咨询", "验证试验"],
    deliverables: ["技术攻关报告", "工艺文件", "试验数据"],
    acceptance: ["关键指标达到合同约定", "形成可量产的工艺文件"],
  },
  standards: {
    directions: ["标准制定", "标准化", "团体标准"],
    objects: ["企业标准", "团体标准", "行业标准", "标准体系"],
    services: ["起草", "制定辅导", "评估", "咨询"],
    deliverables: ["标准文本", "编制说明", "征求意见汇总表"],
    acceptance: ["标准文本完成发布或备案", "编制说明内容完整"],
  },
  ip: {
    directions: ["知识产权服务", "知识产权", "专利"],
    objects: ["专利", "商标", "知识产权体系", "专利布局"],
    services: ["申请服务", "贯标辅导", "检索分析", "运营"],
    deliverables: ["专利检索分析报告", "知识产权管理体系文件", "申请受理通知书"],
    acceptance: ["取得受理通知书", "体系文件经企业发布"],
  },
  consulting: {
    directions: ["管理咨询", "经营管理", "精益管理"],
    objects: ["生产管理", "成本", "组织绩效", "战略", "现场管理"],
    services: ["咨询", "诊断", "辅导", "改善项目"],
    deliverables: ["管理诊断报告", "改善方案", "培训记录"],
    acceptance: ["改善方案经企业确认", "关键指标改善达到约定"],
  },
  training: {
    directions: ["人才培训", "技能培训", "管理培训"],
    objects: ["班组长", "数字化人才", "技术工人", "中层管理者", "质量人员"],
    services: ["培训", "研修班", "认证培训", "训练营"],
    deliverables: ["培训课件", "签到表", "考核成绩单"],
    acceptance: ["参训人员考核合格率达到90%", "培训课时达到合同约定"],
  },
  "legal-finance": {
    directions: ["法律财税服务", "财税服务", "法律服务"],
    objects: ["合同", "税务", "财务", "股权", "劳动用工"],
    services: ["审查", "筹划", "顾问", "合规体检"],
    deliverables: ["法律意见书", "财税合规报告", "合同审查意见"],
    acceptance: ["意见书按期出具", "合规风险清单经企业确认"],
  },
  equipment: {
    directions: ["设备更新", "设备改造", "技术改造"],
    objects: ["生产设备", "数控机床", "锅炉", "电机", "空压机"],
    services: ["评估", "改造", "选型咨询", "安装调试", "检测"],
    deliverables: ["设备更新评估报告", "选型方案", "安装调试记录"],
    acceptance: ["设备安装调试合格", "能效达到国家二级以上"],
  },
};
export const CATEGORY_CODES = Object.keys(CATEGORY_WORDS);
export const CITY_CODES: string[] = regions.cities.map((c) => c.code);
const CITY_SHORT: string[] = regions.cities.map((c) => c.name.replace(/市$/, ""));

const SUFFIXES = ["", "", "", "服务", "（标准版）", "（定制版）", "项目", "套餐"];
const INDUSTRIES = ["机械制造", "汽车零部件", "电子信息", "食品加工", "有色金属", "建材", "纺织服装", "化工", "制糖", "林产加工", "医药", "冶金"];
const STEPS = ["现场调研与访谈", "现状评估", "问题清单梳理", "方案编制", "实施落地", "效果复盘", "专家评审", "持续跟踪"];
const UNITS = ["项", "次", "套", "人次", "年", "批次"];
const DURATIONS = ["15个工作日", "30个工作日", "45天", "60天", "3个月", "6个月"];
const BRAND_A = [..."华信远博通达正恒泰创新源鑫汇嘉德瑞丰宏盛弘科智诚安联众和兴明卓越"];
const BRAND_B = [..."科联云数谷桂邕海峰宇航达成图策捷程锐尚"];
const FIRMS = ["科技", "信息技术", "智能科技", "检测技术", "管理咨询", "工业技术", "数字科技", "节能科技", "质量技术服务", "人力资源服务"];
const SURNAMES = [..."李王张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁韦覃蒙莫"];
const GIVEN = [..."伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"];

/** mulberry32: a small deterministic random source. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const some = <T>(xs: readonly T[], min: number, max: number): T[] => {
    const n = min + int(max - min + 1);
    const copy = [...xs];
    const out: T[] = [];
    while (out.length < n && copy.length) out.push(copy.splice(int(copy.length), 1)[0]!);
    return out;
  };
  return { next, int, pick, some };
}

/** A PostgreSQL array literal of text elements (each quoted and escaped), for `$n::text[]` and friends. */
export function pgArray(xs: readonly (string | number)[]): string {
  return `{${xs.map((x) => (typeof x === "number" ? String(x) : `"${x.replace(/[\\"]/g, "\\$&")}"`)).join(",")}}`;
}

type Provider = { id: string; name: string; categories: string[]; regions: string[]; city: string };

export async function seedScale(db: Db, opts: SeedScaleOptions = {}): Promise<SeedScaleResult> {
  const nProviders = opts.providers ?? 5000;
  const nProducts = opts.products ?? 50000;
  const batch = opts.batch ?? 2500;
  const log = opts.log ?? (() => {});
  const rnd = random(opts.seed ?? 20261128);
  if (!Number.isInteger(nProviders) || nProviders < 1) throw new Error("providers must be a positive integer");
  if (!Number.isInteger(nProducts) || nProducts < 0) throw new Error("products must be a non-negative integer");
  const started = performance.now();
  const now = Date.now();
  const YEAR_MS = 365 * 24 * 3600 * 1000;

  // Unique per run, so the seed can be run again into the same database.
  const [{ n: existing }] = (await db.query<{ n: number }>("select count(*)::int as n from accounts")) as [{ n: number }];
  const tag = now.toString(36).toUpperCase();

  // ---- providers ----
  const providers: Provider[] = [];
  const names = new Set<string>();
  for (let i = 0; i < nProviders; i++) {
    const c = rnd.int(CITY_CODES.length);
    let name = "";
    for (let tries = 0; tries < 20 && (!name || names.has(name)); tries++) {
      name = `${CITY_SHORT[c]}${rnd.pick(BRAND_A)}${rnd.pick(BRAND_B)}${rnd.pick(FIRMS)}有限公司`;
    }
    if (names.has(name)) name = `${name.replace(/有限公司$/, "")}${i}号有限公司`;
    names.add(name);
    const city = CITY_CODES[c]!;
    const r = rnd.next();
    const provRegions = r < 0.35 ? ["450000"] : r < 0.8 ? [city] : [...new Set([city, ...rnd.some(CITY_CODES, 1, 3)])];
    providers.push({ id: randomUUID(), name, categories: rnd.some(CATEGORY_CODES, 1, 3), regions: provRegions, city });
  }
  let t = performance.now();
  for (let from = 0; from < providers.length; from += batch) {
    const part = providers.slice(from, from + batch);
    const accountIds = part.map(() => randomUUID());
    const enterpriseIds = part.map(() => randomUUID());
    const applicationIds = part.map(() => randomUUID());
    const phones = part.map((_, k) => String(16_000_000_000 + existing + from + k));
    const codes = part.map((_, k) => `SCALE${tag}${String(from + k).padStart(6, "0")}`);
    const approvedAt = part.map(() => new Date(now - YEAR_MS - rnd.int(YEAR_MS)).toISOString());
    const sizes = part.map(() => rnd.pick(["medium", "small", "small", "micro"]));
    const contacts = part.map(() => `${rnd.pick(SURNAMES)}${rnd.pick(GIVEN)}${rnd.next() < 0.5 ? rnd.pick(GIVEN) : ""}`);
    const intros = part.map(
      (p) => `${p.name}专注于${p.categories.map((c) => CATEGORY_WORDS[c]!.directions[0]).join("、")}等服务，服务${rnd.pick(INDUSTRIES)}等行业企业。`,
    );
    await db.transaction(async (tx) => {
      await tx.query(`insert into accounts (id, phone, created_at) select * from unnest($1::uuid[], $2::text[], $3::timestamptz[])`, [
        pgArray(accountIds),
        pgArray(phones),
        pgArray(approvedAt),
      ]);
      await tx.query(
        `insert into enterprises (id, account_id, name, certification_status, is_provider, credit_code, size_class, city_code, certified_at, created_at)
         select e, a, n, 'certified', true, cc, s, city, at, at from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[]) as x(e, a, n, cc, s, city, at)`,
        [
          pgArray(enterpriseIds),
          pgArray(accountIds),
          pgArray(part.map((p) => p.name)),
          pgArray(codes),
          pgArray(sizes),
          pgArray(part.map((p) => p.city)),
          pgArray(approvedAt),
        ],
      );
      const args = [
        pgArray(applicationIds),
        pgArray(enterpriseIds),
        pgArray(part.map((p) => pgArray(p.categories))),
        pgArray(part.map((p) => pgArray(p.regions))),
        pgArray(intros),
        pgArray(contacts),
        pgArray(phones),
        pgArray(approvedAt),
      ];
      await tx.query(
        `insert into provider_applications (id, enterprise_id, categories, regions, introduction, contact_name, contact_phone, status, submitted_at, decided_at, decision_reason)
         select id, e, c::text[], r::text[], i, cn, cp, 'approved', at - interval '3 days', at, null
           from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[]) as x(id, e, c, r, i, cn, cp, at)`,
        args,
      );
      await tx.query(
        `insert into providers (id, enterprise_id, name, categories, regions, introduction, contact_name, contact_phone, status, approved_at, application_id)
         select p, e, n, c::text[], r::text[], i, cn, cp, 'active', at, a
           from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::uuid[])
             as x(p, e, n, c, r, i, cn, cp, at, a)`,
        [pgArray(part.map((p) => p.id)), args[1], pgArray(part.map((p) => p.name)), args[2], args[3], args[4], args[5], args[6], args[7], args[0]],
      );
    });
  }
  const providersMs = performance.now() - t;
  log(`providers: ${nProviders} in ${providersMs.toFixed(0)} ms`);

  // ---- products ----
  const seeded: ScaleProduct[] = [];
  t = performance.now();
  for (let from = 0; from < nProducts; from += batch) {
    const n = Math.min(batch, nProducts - from);
    const cols = {
      productId: [] as string[],
      revisionId: [] as string[],
      providerId: [] as string[],
      providerName: [] as string[],
      title: [] as string[],
      category: [] as string[],
      kinds: [] as string[],
      price: [] as number[],
      unit: [] as string[],
      content: [] as string[],
      deliverables: [] as string[],
      acceptance: [] as string[],
      duration: [] as string[],
      regions: [] as string[],
      terms: [] as string[],
      listedAt: [] as string[],
      createdAt: [] as string[],
    };
    for (let k = 0; k < n; k++) {
      const p = providers[rnd.int(providers.length)]!;
      const category = rnd.pick(p.categories);
      const w = CATEGORY_WORDS[category]!;
      let dir = "",
        obj = "",
        svc = "",
        title = "";
      // No stutter such as 车间车间数字化改造 or 研发服务服务: draw again (rarely needed twice).
      for (let tries = 0; tries < 20 && (!title || /(\p{Script=Han}{2})\1/u.test(title) || title.split("服务").length > 2); tries++) {
        dir = rnd.pick(w.directions);
        obj = rnd.pick(w.objects);
        svc = rnd.pick(w.services);
        title = (rnd.next() < 0.6 ? `${obj}${dir}${svc}` : `${dir}${obj}${svc}`) + rnd.pick(SUFFIXES);
      }
      const kr = rnd.next();
      const kinds = kr < 0.5 ? ["general"] : kr < 0.7 ? ["special"] : ["general", "special"];
      // ¥1,000 to ¥500,000, log-uniform, rounded to ¥100.
      const yuan = Math.round(Math.exp(Math.log(1000) + rnd.next() * (Math.log(500_000) - Math.log(1000))) / 100) * 100;
      const rr = rnd.next();
      const productRegions = rr < 0.3 ? ["450000"] : rr < 0.5 ? p.regions : [...new Set([p.city, ...rnd.some(CITY_CODES, 0, 2)])];
      const industry = rnd.pick(INDUSTRIES);
      const steps = rnd.some(STEPS, 3, 5);
      const deliverables = rnd.some(w.deliverables, 2, 3).join("、");
      const acceptance = rnd.some(w.acceptance, 1, 2).join("；");
      const content =
        `功能介绍：面向${industry}企业提供${dir}${obj}${svc}服务，${rnd.pick(w.directions)}团队驻场，按${steps.join("、")}的步骤推进，` +
        `重点解决${obj}环节的${rnd.pick(["效率", "成本", "质量", "安全", "合规", "能耗"])}问题。服务周期内安排专人对接，阶段成果及时与企业确认。\n` +
        `交付清单：${deliverables}。\n验收标准：${acceptance}。`;
      const listed = now - rnd.int(YEAR_MS);
      const productId = randomUUID();
      cols.productId.push(productId);
      cols.revisionId.push(randomUUID());
      cols.providerId.push(p.id);
      cols.providerName.push(p.name);
      cols.title.push(title);
      cols.category.push(category);
      cols.kinds.push(pgArray(kinds));
      cols.price.push(yuan * 100);
      cols.unit.push(rnd.pick(UNITS));
      cols.content.push(content);
      cols.deliverables.push(deliverables);
      cols.acceptance.push(acceptance);
      cols.duration.push(rnd.pick(DURATIONS));
      cols.regions.push(pgArray(productRegions));
      // Exactly what pgProducts.upsertListing stores.
      cols.terms.push(pgArray(searchTerms([title, content, deliverables, p.name].join(" "))));
      cols.listedAt.push(new Date(listed).toISOString());
      cols.createdAt.push(new Date(listed - 2 * 24 * 3600 * 1000 - rnd.int(30 * 24 * 3600 * 1000)).toISOString());
      seeded.push({
        id: productId,
        providerId: p.id,
        providerName: p.name,
        revisionId: cols.revisionId.at(-1)!,
        title,
        category,
        priceFen: yuan * 100,
        general: kinds.includes("general"),
        unit: cols.unit.at(-1)!,
      });
    }
    const a = (xs: (string | number)[]) => pgArray(xs);
    await db.transaction(async (tx) => {
      await tx.query(
        `insert into products (id, provider_id, status, listed_at, created_at, updated_at)
         select id, p, 'listed', l, c, l from unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::timestamptz[]) as x(id, p, l, c)`,
        [a(cols.productId), a(cols.providerId), a(cols.listedAt), a(cols.createdAt)],
      );
      await tx.query(
        `insert into product_revisions (id, product_id, status, title, category, voucher_kinds, price_fen, unit, content, deliverables, acceptance, duration, regions,
           prereview_verdict, submitted_at, decided_at, created_at)
         select id, p, 'approved', t, c, k::text[], f, u, ct, d, ac, du, r::text[], 'pass', l - interval '1 day', l, cr
           from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                       $12::text[], $13::timestamptz[], $14::timestamptz[]) as x(id, p, t, c, k, f, u, ct, d, ac, du, r, l, cr)`,
        [
          a(cols.revisionId),
          a(cols.productId),
          a(cols.title),
          a(cols.category),
          a(cols.kinds),
          a(cols.price),
          a(cols.unit),
          a(cols.content),
          a(cols.deliverables),
          a(cols.acceptance),
          a(cols.duration),
          a(cols.regions),
          a(cols.listedAt),
          a(cols.createdAt),
        ],
      );
      await tx.query(
        `update products p set working_revision_id = x.r, listed_revision_id = x.r from unnest($1::uuid[], $2::uuid[]) as x(p, r) where p.id = x.p`,
        [a(cols.productId), a(cols.revisionId)],
      );
      await tx.query(
        `insert into product_listings (product_id, revision_id, provider_id, provider_name, title, category, voucher_kinds, price_fen, regions, search_terms, listed_at)
         select p, r, v, vn, t, c, k::text[], f, rg::text[], st::text[], l
           from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[], $11::timestamptz[])
             as x(p, r, v, vn, t, c, k, f, rg, st, l)`,
        [
          a(cols.productId),
          a(cols.revisionId),
          a(cols.providerId),
          a(cols.providerName),
          a(cols.title),
          a(cols.category),
          a(cols.kinds),
          a(cols.price),
          a(cols.regions),
          a(cols.terms),
          a(cols.listedAt),
        ],
      );
    });
    if ((from / batch) % 4 === 3 || from + n >= nProducts) log(`products: ${from + n} of ${nProducts} (${(performance.now() - t).toFixed(0)} ms)`);
  }
  const productsMs = performance.now() - t;

  // ---- enterprises, voucher accounts, orders and the ledger (数据看板 at scale) ----
  let orders: SeedOrdersResult | undefined;
  const nEnterprises = opts.enterprises ?? 0;
  if (nEnterprises > 0) {
    // The dashboard's triggers are off for the bulk load; its rollups are rebuilt from the ledger after.
    await db.exec("alter table voucher_ledger disable trigger dashboard_ledger_delta; alter table orders disable trigger dashboard_order_delta");
    try {
      orders = await seedScaleOrders(db, {
        enterprises: nEnterprises,
        orders: opts.orders ?? 0,
        ledger: opts.ledger ?? 0,
        products: seeded,
        categories: CATEGORY_CODES,
        rnd,
        log,
      });
    } finally {
      await db.exec("alter table voucher_ledger enable trigger dashboard_ledger_delta; alter table orders enable trigger dashboard_order_delta");
    }
    // 兑付 of the settled and the waiting completed orders (the dashboard reads none of it).
    orders.settlements = await seedScaleSettlements(db, tag);
    log(
      `${orders.settlements.settlements} settlements of ${orders.settlements.orders} orders, ${orders.settlements.batches} payout batches in ${(orders.settlements.ms / 1000).toFixed(1)} s`,
    );
    const r0 = performance.now();
    await db.transaction(async (tx) => {
      await tx.query("select dashboard_rebuild()");
    });
    orders.rebuildMs = performance.now() - r0;
    log(`dashboard rollups rebuilt from the ledger in ${(orders.rebuildMs / 1000).toFixed(1)} s`);
  }

  // VACUUM as autovacuum would after a bulk load: planner statistics, the visibility map (index-only
  // scans) and an empty GIN pending list (search). One statement: VACUUM cannot run in a transaction.
  t = performance.now();
  await db.exec(
    `vacuum (analyze) accounts, enterprises, provider_applications, providers, products, product_revisions, product_listings${
      nEnterprises > 0
        ? ", quota_applications, voucher_programmes, voucher_accounts, voucher_ledger, orders, dashboard_rollup, dashboard_account_usage, dashboard_order_counts, settlements, settlement_orders, payout_batches"
        : ""
    }`,
  );
  const vacuumMs = performance.now() - t;
  return { providers: nProviders, products: nProducts, ms: performance.now() - started, providersMs, productsMs, vacuumMs, orders };
}
