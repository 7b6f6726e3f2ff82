import type { Deps } from "./deps.ts";
import { historyDemo } from "./demo-history.ts";
import { shanghaiDate, shanghaiYear } from "./lib/shanghai.ts";
import { creditCodeCheckChar, idNumberCheckChar } from "./modules/enterprises/codes.ts";

export const DEMO_PASSWORD = "Demo#2026";

export const DEMO_ADMINS = [
  { username: "admin", displayName: "平台超级管理员", role: "super_admin" },
  { username: "reviewer", displayName: "审核员", role: "reviewer" },
  { username: "finance", displayName: "财务人员", role: "finance" },
  { username: "operator", displayName: "运营人员", role: "operator" },
] as const;

type DemoCert = "certified" | "pending" | "rejected";

/**
 * Demo enterprises: phones 13800000001 to 13800000009. Names, codes and people are invented
 * (codes and ID numbers are well-formed with valid check characters).
 */
export const demoCodes = (i: number) => ({ creditCode: demoCreditCode(i), idNumber: demoIdNumber(i) });

export const DEMO_ENTERPRISES: {
  phone: string;
  name: string;
  cert: DemoCert;
  city: [string, string];
  staff: string;
  revenueWan: string;
  industry: string;
  role: "manufacturer" | "provider";
}[] = [
  {
    name: "广西南宁示例机械制造有限公司",
    cert: "certified",
    city: ["450100", "450103"],
    staff: "350",
    revenueWan: "2500",
    industry: "通用设备制造业",
    role: "manufacturer",
  },
  {
    name: "柳州示例汽车零部件有限公司",
    cert: "certified",
    city: ["450200", "450204"],
    staff: "1200",
    revenueWan: "52000",
    industry: "汽车制造业",
    role: "manufacturer",
  },
  {
    name: "桂林示例电子科技有限公司",
    cert: "certified",
    city: ["450300", "450305"],
    staff: "80",
    revenueWan: "900",
    industry: "计算机、通信和其他电子设备制造业",
    role: "manufacturer",
  },
  {
    name: "梧州示例陶瓷制品有限公司",
    cert: "certified",
    city: ["450400", "450403"],
    staff: "15",
    revenueWan: "260",
    industry: "非金属矿物制品业",
    role: "manufacturer",
  },
  {
    name: "北海示例新材料股份有限公司",
    cert: "pending",
    city: ["450500", "450502"],
    staff: "120",
    revenueWan: "1800",
    industry: "化学原料和化学制品制造业",
    role: "manufacturer",
  },
  {
    name: "玉林示例动力设备有限公司",
    cert: "rejected",
    city: ["450900", "450902"],
    staff: "600",
    revenueWan: "8000",
    industry: "专用设备制造业",
    role: "manufacturer",
  },
  {
    name: "广西示例智能制造服务有限公司",
    cert: "certified",
    city: ["450100", "450107"],
    staff: "60",
    revenueWan: "1500",
    industry: "科学研究和技术服务业",
    role: "provider",
  },
  {
    name: "广西示例检验检测技术有限公司",
    cert: "certified",
    city: ["450100", "450105"],
    staff: "45",
    revenueWan: "1100",
    industry: "科学研究和技术服务业",
    role: "provider",
  },
  {
    name: "广西示例工业互联网科技有限公司",
    cert: "certified",
    city: ["450200", "450205"],
    staff: "70",
    revenueWan: "1300",
    industry: "信息传输、软件和信息技术服务业",
    role: "provider",
  },
].map((e, i) => ({
  ...e,
  city: e.city as [string, string],
  role: e.role as "manufacturer" | "provider",
  phone: `1380000000${i + 1}`,
  cert: e.cert as DemoCert,
}));

const demoCreditCode = (i: number) => {
  const first17 = `914501007${String(100000 + i).slice(1)}D000`.slice(0, 17);
  return first17 + creditCodeCheckChar(first17);
};
const demoIdNumber = (i: number) => {
  const first17 = `450102198001${10 + i}123`;
  return first17 + idNumberCheckChar(first17);
};
/** A one-page PDF standing in for a scanned business licence. */
const DEMO_LICENCE = new TextEncoder().encode(
  "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
);

/**
 * Loads the demo data once (it checks before creating, so every start may call it).
 * The configuration refuses demo data in production. `passwordHash`: the hash of DEMO_PASSWORD.
 */
export async function seedDemo(deps: Deps, opts: { passwordHash?: Promise<string> } = {}): Promise<{ created: number }> {
  if (deps.config.env === "production") throw new Error("demo data is never loaded in production");
  let created = 0;
  // One hash for every demo account (the same password; scrypt takes a while), made only when one
  // is created, or begun early by the caller (src/start.ts, while the database is restored).
  let hashing = opts.passwordHash;
  const hash = () => (hashing ??= deps.passwords.hash(DEMO_PASSWORD));
  for (const a of DEMO_ADMINS) {
    const res = await deps.identity.seedAdmin({ ...a, password: DEMO_PASSWORD, passwordHash: hash });
    if (res.ok) created++;
  }
  for (const e of DEMO_ENTERPRISES) {
    const res = await deps.identity.seedAccount({ phone: e.phone, name: e.name, passwordHash: hash });
    if (res.created) created++;
  }
  await certifyDemo(deps);
  await paymentAccountsDemo(deps);
  await vouchersDemo(deps);
  await providersDemo(deps);
  await productsDemo(deps);
  await demandsDemo(deps);
  await messagesDemo(deps);
  await contentDemo(deps);
  await ordersDemo(deps);
  // A year of past enterprises, vouchers and orders for 数据看板 (src/demo-history.ts).
  if (deps.config.demoHistory) created += (await historyDemo(deps, hash)).created;
  if (created) deps.log.info({ created }, "demo data loaded");
  return { created };
}

/**
 * 支付认证 of the certified demo enterprises (1-4 and 7-9), through the use case, once: the account
 * an enterprise pays 定金 and 尾款 from, and a provider's receiving account. Demo numbers only.
 */
async function paymentAccountsDemo(deps: Deps) {
  for (const [i, e] of DEMO_ENTERPRISES.entries()) {
    if (![1, 2, 3, 4, 7, 8, 9].includes(i + 1)) continue;
    const [row] = await deps.db.query<{ account_id: string }>("select id as account_id from accounts where phone = $1", [e.phone]);
    if (!row) continue;
    if ((await deps.enterprises.bankAccount(row.account_id)).current) continue;
    const res = await deps.enterprises.saveBankAccount(row.account_id, {
      accountName: e.name,
      bankName: "中国工商银行",
      bankCityCode: "450100",
      branchName: "南宁演示支行",
      accountNumber: `62220202${String(10_000_000 + i + 1)}`,
    });
    if (!res.ok) throw new Error(`demo 支付认证 failed for ${e.phone}: ${JSON.stringify(res.errors)}`);
  }
}

/** Walks the demo enterprises through the real certification use cases (once). */
async function certifyDemo(deps: Deps) {
  const [reviewer] = await deps.db.query<{ id: string }>("select id from admin_users where username = 'reviewer'");
  if (!reviewer) return;
  const staff = { id: reviewer.id, role: "reviewer" };
  for (const [i, e] of DEMO_ENTERPRISES.entries()) {
    const [row] = await deps.db.query<{ account_id: string; n: number }>(
      `select a.id as account_id, (select count(*)::int from enterprise_certifications c where c.enterprise_id = en.id) as n
         from accounts a join enterprises en on en.account_id = a.id where a.phone = $1`,
      [e.phone],
    );
    if (!row || row.n > 0) continue;
    const accountId = row.account_id;
    const must = (r: { ok: boolean; errors?: unknown }, what: string) => {
      if (!r.ok) throw new Error(`demo ${what} failed for ${e.phone}: ${JSON.stringify(r.errors)}`);
    };
    must(await deps.enterprises.saveStep1(accountId, { identityRole: e.role, enterpriseType: "llc" }), "step 1");
    must(
      await deps.enterprises.saveStep2(
        accountId,
        {
          name: e.name,
          creditCode: demoCreditCode(i + 1),
          staffCount: e.staff,
          revenueWan: e.revenueWan,
          sizeDeclared: "",
          industry: e.industry,
          cityCode: e.city[0],
          districtCode: e.city[1],
          address: `示例路${i + 1}号`,
          legalName: ["张伟", "王芳", "李娜", "刘强", "陈静", "杨洋", "黄磊", "赵敏", "周杰"][i]!,
          legalIdNumber: demoIdNumber(i + 1),
          legalPhone: e.phone,
          agree: "yes",
        },
        { name: "营业执照.pdf", bytes: DEMO_LICENCE },
      ),
      "step 2",
    );
    must(await deps.enterprises.submit(accountId, {}), "submit");
    if (e.cert === "pending") continue;
    const [app] = await deps.db.query<{ id: string }>(
      "select c.id from enterprise_certifications c join enterprises en on en.id = c.enterprise_id where en.account_id = $1 and c.status = 'pending'",
      [accountId],
    );
    must(
      await deps.enterprises.decide(
        staff,
        app!.id,
        e.cert === "certified"
          ? { decision: "approve", reason: "" }
          : { decision: "reject", reason: "营业执照照片不清晰，请上传清晰的扫描件（演示数据）" },
      ),
      "review",
    );
  }
}

/** The demo year's 通用券 and 设备更新专项券 (example values, marked as such) and a few applications. */
async function vouchersDemo(deps: Deps) {
  const existing = await deps.vouchers.programmes();
  if (existing.length) return;
  const [admin] = await deps.db.query<{ id: string }>("select id from admin_users where username = 'admin'");
  const [reviewer] = await deps.db.query<{ id: string }>("select id from admin_users where username = 'reviewer'");
  if (!admin || !reviewer) return;
  const year = shanghaiYear(deps.clock.now());
  const must = <T>(r: { ok: true; value: T } | { ok: false; errors: unknown }, what: string): T => {
    if (!r.ok) throw new Error(`demo ${what} failed: ${JSON.stringify(r.errors)}`);
    return r.value;
  };
  const general = must(
    await deps.vouchers.saveProgramme({ id: admin.id, role: "super_admin" }, null, {
      year,
      kind: "general",
      name: `${year}年度通用券`,
      status: "open",
      isExample: true,
      requiresDocuments: false,
      description: "按企业划型发放的年度通用服务券，可抵扣数字化改造、工业互联网、检验检测、管理咨询等服务。额度与比例为示例数值。",
      subsidyRateBp: 3000,
      perOrderCapFen: 5_000_000,
      quotaLargeFen: 10_000_000,
      quotaMediumFen: 6_000_000,
      quotaSmallFen: 3_000_000,
      quotaMicroFen: 1_000_000,
      applyFrom: `${year}-01-01`,
      applyTo: `${year}-12-31`,
      validFrom: `${year}-01-01`,
      validTo: `${year}-12-31`,
      categories:
        "digital,iiot,smart-mfg,cloud,data-gov,green,testing,quality,supply-chain,market,specialized,tech,standards,ip,consulting,training,legal-finance".split(
          ",",
        ),
    }),
    "general programme",
  );
  must(
    await deps.vouchers.saveProgramme({ id: admin.id, role: "super_admin" }, null, {
      year,
      kind: "special",
      name: `${year}年度设备更新专项券`,
      status: "open",
      isExample: true,
      requiresDocuments: true,
      description: "支持企业设备更新改造的专项服务券，按申领额度和设备购置合同凭证核定。额度与比例为示例数值。",
      subsidyRateBp: 5000,
      perOrderCapFen: 20_000_000,
      specialMinFen: 1_000_000,
      specialMaxFen: 50_000_000,
      applyFrom: `${year}-01-01`,
      applyTo: `${year}-12-31`,
      validFrom: `${year}-01-01`,
      validTo: `${year}-12-31`,
      categories: ["equipment", "smart-mfg", "digital"],
    }),
    "special programme",
  );
  const staff = { id: reviewer.id, role: "reviewer" };
  for (const [phone, approve] of [
    ["13800000001", true],
    ["13800000002", true],
    ["13800000003", false],
    ["13800000004", true],
  ] as const) {
    const [acc] = await deps.db.query<{ id: string }>("select id from accounts where phone = $1", [phone]);
    if (!acc) continue;
    const applied = must(await deps.vouchers.apply(acc.id, general.id, {}), `quota application of ${phone}`);
    if (approve) must(await deps.vouchers.decide(staff, applied.applicationId, { decision: "approve", reason: "" }), "quota approval");
  }
}

/** The three demo service organisations (enterprises 7-9) go through 申请成为服务商 and are approved. */
async function providersDemo(deps: Deps) {
  const [reviewer] = await deps.db.query<{ id: string }>("select id from admin_users where username = 'reviewer'");
  if (!reviewer) return;
  const staff = { id: reviewer.id, role: "reviewer" };
  const plans: Record<string, { categories: string[]; intro: string }> = {
    "13800000007": {
      categories: ["smart-mfg", "digital", "equipment"],
      intro: "专注制造业智能化改造，提供产线数字化诊断、智能制造系统集成与设备更新方案设计服务，累计服务区内制造企业百余家（演示数据）。",
    },
    "13800000008": {
      categories: ["testing", "quality", "standards"],
      intro: "具备CMA资质的第三方检验检测机构，提供材料检测、产品质量检验、质量管理体系咨询与标准制定服务（演示数据）。",
    },
    "13800000009": {
      categories: ["iiot", "cloud", "data-gov"],
      intro: "工业互联网平台服务商，提供设备上云、工业数据采集与治理、生产管理系统部署与运维服务（演示数据）。",
    },
  };
  for (const [phone, plan] of Object.entries(plans)) {
    const [acc] = await deps.db.query<{ id: string }>("select id from accounts where phone = $1", [phone]);
    if (!acc) continue;
    const state = await deps.catalog.myProviderState(acc.id);
    if (!state.certified || state.application) continue;
    const res = await deps.catalog.applyAsProvider(
      acc.id,
      {
        categories: plan.categories,
        regions: ["450000"],
        introduction: plan.intro,
        qualifications: "演示资质证书",
        contactName: "演示联系人",
        contactPhone: phone,
      },
      { qualifications: [{ name: "资质证书.pdf", bytes: DEMO_LICENCE }], contracts: [{ name: "上年度服务合同.pdf", bytes: DEMO_LICENCE }] },
    );
    if (!res.ok) throw new Error(`demo provider application failed for ${phone}: ${JSON.stringify(res.errors)}`);
    const decided = await deps.catalog.decideApplication(staff, res.value.applicationId, { decision: "approve", reason: "" });
    if (!decided.ok) throw new Error(`demo provider approval failed for ${phone}`);
  }
}

/** Demo products of the three providers, submitted (pre-reviewed) and listed by the reviewer. */
const DEMO_PRODUCTS: Record<
  string,
  {
    title: string;
    category: string;
    kinds: string[];
    price: string;
    unit: string;
    duration: string;
    content: string;
    deliverables: string;
    acceptance: string;
  }[]
> = {
  "13800000007": [
    {
      title: "智能制造能力成熟度诊断服务",
      category: "smart-mfg",
      kinds: ["general"],
      price: "60000",
      unit: "项",
      duration: "30天",
      content: "依据智能制造能力成熟度模型，对企业设计、生产、物流、销售、服务等环节开展现场诊断，评估当前成熟度等级，提出分阶段提升路径和重点项目建议。",
      deliverables: "成熟度诊断报告一份；提升路径图一份；重点项目清单一份",
      acceptance: "企业组织评审会确认诊断报告；报告覆盖全部约定环节",
    },
    {
      title: "产线数字化改造方案设计",
      category: "digital",
      kinds: ["general", "special"],
      price: "120000",
      unit: "套",
      duration: "45天",
      content: "针对企业一条主要产线，梳理工艺流程与数据流，设计设备联网、数据采集、MES对接与可视化看板方案，给出软硬件配置清单和投资估算。",
      deliverables: "改造方案设计书；设备联网清单；投资估算表",
      acceptance: "方案通过企业技术评审；清单与现场设备一致",
    },
    {
      title: "数控设备更新选型与实施咨询",
      category: "equipment",
      kinds: ["special"],
      price: "80000",
      unit: "项",
      duration: "60天",
      content: "结合企业产品与产能规划，提供数控设备更新的需求分析、选型比对、招标技术参数编制和安装调试监理服务，帮助企业用好设备更新政策。",
      deliverables: "选型比对报告；技术参数文件；调试监理记录",
      acceptance: "设备按技术参数通过验收；监理记录经企业签字确认",
    },
  ],
  "13800000008": [
    {
      title: "金属材料力学性能检测",
      category: "testing",
      kinds: ["general"],
      price: "8000",
      unit: "批",
      duration: "7天",
      content: "依据国家标准开展金属材料拉伸、冲击、硬度等力学性能检测，出具具有CMA标识的检测报告，可用于产品质量控制和客户验厂。",
      deliverables: "CMA检测报告",
      acceptance: "报告项目与委托单一致，数据可追溯",
    },
    {
      title: "ISO 9001 质量管理体系建设辅导",
      category: "quality",
      kinds: ["general"],
      price: "45000",
      unit: "项",
      duration: "90天",
      content: "按ISO 9001:2015标准帮助企业建立质量管理体系，开展现状调研、文件编写、内审员培训、内部审核和管理评审，直至通过第三方认证审核。",
      deliverables: "体系文件一套；内审员培训记录；内审与管理评审报告",
      acceptance: "企业通过认证机构第一阶段与第二阶段审核",
    },
  ],
  "13800000009": [
    {
      title: "设备上云与工业数据采集部署",
      category: "cloud",
      kinds: ["general", "special"],
      price: "98000",
      unit: "套",
      duration: "40天",
      content: "为企业关键设备部署边缘网关与数据采集模块，接入工业互联网平台，实现设备状态、能耗和产量数据的实时采集、存储与可视化。",
      deliverables: "采集网关及接入配置；设备数据看板；运维手册",
      acceptance: "约定设备全部接入并连续稳定采集7天以上",
    },
    {
      title: "企业数据治理与主数据梳理",
      category: "data-gov",
      kinds: ["general"],
      price: "70000",
      unit: "项",
      duration: "60天",
      content: "梳理企业物料、客户、供应商等主数据，制定编码规则和数据标准，清洗历史数据，建立数据质量检查机制，为ERP和MES集成打好基础。",
      deliverables: "数据标准文件；清洗后的主数据；数据质量检查规则",
      acceptance: "主数据重复率与缺失率达到约定指标",
    },
  ],
};

/** A simple drawn cover (the kind of SVG a provider would upload): a tinted card with a gear and the product's category. */
function demoCover(label: string, hue: number): string {
  const teeth = Array.from({ length: 8 }, (_, i) => `<rect x="150" y="38" width="20" height="24" rx="3" transform="rotate(${i * 45} 160 80)"/>`).join("");
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 180"><defs><linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">` +
    `<stop offset="0" stop-color="hsl(${hue} 60% 32%)"/><stop offset="1" stop-color="hsl(${hue} 55% 52%)"/></linearGradient></defs>` +
    `<rect width="320" height="180" fill="url(#bg)"/><g fill="#ffffff" fill-opacity="0.9">${teeth}<circle cx="160" cy="80" r="32"/></g>` +
    `<circle cx="160" cy="80" r="13" fill="hsl(${hue} 60% 40%)"/>` +
    `<text x="160" y="156" text-anchor="middle" font-size="18" fill="#ffffff" font-family="sans-serif">${label}</text></svg>`
  );
}

async function productsDemo(deps: Deps) {
  const [reviewer] = await deps.db.query<{ id: string }>("select id from admin_users where username = 'reviewer'");
  const [{ n }] = (await deps.db.query<{ n: number }>("select count(*)::int as n from products")) as [{ n: number }];
  if (!reviewer || n > 0) return;
  const categories = await deps.catalog.categories();
  let index = 0;
  for (const [phone, list] of Object.entries(DEMO_PRODUCTS)) {
    const [acc] = await deps.db.query<{ id: string }>("select id from accounts where phone = $1", [phone]);
    if (!acc) continue;
    for (const p of list) {
      const saved = await deps.products.saveProduct(
        acc.id,
        null,
        {
          title: p.title,
          category: p.category,
          voucherKinds: p.kinds,
          price: p.price,
          unit: p.unit,
          duration: p.duration,
          content: p.content,
          deliverables: p.deliverables,
          acceptance: p.acceptance,
          regions: ["450000"],
        },
        index++ % 4 === 3 ? undefined : { svg: demoCover(categories.find((c) => c.code === p.category)?.name ?? "", (index * 47) % 360) },
      );
      if (!saved.ok) throw new Error(`demo product failed: ${JSON.stringify(saved.errors)}`);
      await deps.products.submit(acc.id, saved.value.productId);
      await deps.products.decideProduct({ id: reviewer.id, role: "reviewer" }, saved.value.productId, { decision: "approve", reason: "" });
      // The first product of each provider is picked for the home page's 推荐服务.
      if (p === list[0]) await deps.products.setFeatured({ id: reviewer.id, role: "reviewer" }, saved.value.productId, true);
    }
  }
}

/** 政策资讯: the voucher measures (slug voucher-measures, linked from the programme cards) and two notices. Once. */
export async function contentDemo(deps: Deps) {
  const [operator] = await deps.db.query<{ id: string }>("select id from admin_users where username = 'operator'");
  if (!operator) return;
  const staff = { id: operator.id, role: "operator" };
  const listed = await deps.content.adminList(staff, {}, 1);
  if (!listed.ok || listed.value.total > 0) return;
  const at = deps.clock.now().getTime();
  const year = shanghaiYear(new Date(at));
  const shanghai = (daysAgo: number) => `${shanghaiDate(new Date(at - daysAgo * 86400_000))}T09:00`;
  const articles = [
    {
      kind: "policy",
      slug: "voucher-measures",
      daysAgo: 30,
      pinned: "",
      title: "广西制造业企业培优育强服务券管理办法",
      summary: "服务券分为通用券和专项券，以电子券形式记名申领发放，专项用于优质制造业企业购买约定的社会化服务事项，不得转让。本文为要点摘要。",
      body: [
        "本文是《广西制造业企业培优育强服务券管理办法》的要点摘要（演示数据），具体以主管部门正式发布的文本为准。",
        "## 服务券是什么",
        "服务券以**电子券**的形式实行**记名**申领发放、登记备案管理，专项用于优质制造业企业购买约定的社会化服务事项，**不得转让、流通和挪作他用**。",
        "## 券种",
        "- **通用券**：按企业划型确定企业的年度额度，可用于购买数字化改造、工业互联网、检验检测、管理咨询等约定服务。\n- **专项券**：如设备更新专项券，企业按需申领额度并提交相关合同凭证，经审核后核定。",
        "## 抵扣规则",
        "企业购买服务时，服务券按补贴比例抵扣订单金额，其余部分由企业自付。本平台演示环境中的示例数值为：\n- 通用券：补贴比例30%，单笔订单最多抵扣50,000元；\n- 设备更新专项券：补贴比例50%，单笔订单最多抵扣200,000元。",
        "## 申领与使用",
        "1. 企业完成注册和企业信息认证；\n2. 在个人中心进行[服务券配额申请](/me/quota)，平台审核通过后即可去使用；\n3. 在[通用券服务](/services/general)或[专项券服务](/services/special)中选择服务机构的服务产品下单，服务券自动抵扣。",
      ].join("\n\n"),
    },
    {
      kind: "notice",
      slug: "",
      daysAgo: 2,
      pinned: "yes",
      title: `关于开展${year}年度服务券申领工作的通知`,
      summary: `${year}年度通用券和设备更新专项券已开放申领，已完成企业信息认证的企业可在个人中心申请。`,
      body: [
        `各有关制造业企业：${year}年度服务券申领工作现已开始，通用券和设备更新专项券均已开放申请。`,
        "## 申领方式",
        "1. 登录平台，完成企业信息认证（尚未认证的企业请先在个人中心“去企业信息认证”）；\n2. 进入个人中心“服务券配额申请”，通用券点击“服务券配额申请”后“确定配额申请”；专项券填写申领额度并上传合同凭证后“确定申领”；\n3. 申请状态为“待审核”，平台审核通过后变为“去使用”。",
        "通用券额度按企业划型确定，专项券额度按申领金额和合同凭证核定。具体规则见[《广西制造业企业培优育强服务券管理办法》](/news/p/voucher-measures)。如有疑问，请通过页面右上角“我要留言”联系平台。",
      ].join("\n\n"),
    },
    {
      kind: "notice",
      slug: "",
      daysAgo: 7,
      pinned: "",
      title: "关于开展服务机构入库申报工作的通知",
      summary: "面向能为制造业企业提供数字化改造、检验检测、管理咨询等服务的机构，常态化受理入库申报。",
      body: [
        "为丰富服务券可购买的服务供给，平台常态化受理服务机构入库申报。能为制造业企业提供数字化改造、工业互联网、检验检测、质量提升、管理咨询等服务的机构均可申报。",
        "## 申报流程",
        "1. 注册平台账号并完成企业信息认证；\n2. 在个人中心“[申请成为服务商](/me/provider-application)”，选择服务类别和服务区域，填写机构简介，上传资质证书和上年度服务合同；\n3. 平台审核通过后即入库，可在服务机构中心发布服务产品，产品经审核后上架。",
        "服务产品应写明服务内容、**交付清单**和**验收标准**。旅游、游学、代办等不属于约定服务事项的内容不予上架。",
      ].join("\n\n"),
    },
  ];
  for (const { daysAgo, ...fields } of articles) {
    const saved = await deps.content.save(staff, null, { ...fields, publishedAt: shanghai(daysAgo) }, [], []);
    if (!saved.ok) throw new Error(`demo article failed: ${JSON.stringify(saved.errors)}`);
    const published = await deps.content.publish(staff, saved.value.id);
    if (!published.ok) throw new Error(`demo article publish failed: ${JSON.stringify(published.errors)}`);
  }
}

/** 我要留言: two messages of enterprise 13800000001 (one answered by the operator, one waiting) and one anonymous. Once. */
export async function messagesDemo(deps: Deps) {
  const [operator] = await deps.db.query<{ id: string }>("select id from admin_users where username = 'operator'");
  const [acc] = await deps.db.query<{ id: string }>("select id from accounts where phone = '13800000001'");
  if (!operator || !acc || (await deps.messages.count()) > 0) return;
  const author = { accountId: acc.id };
  const asked = await deps.messages.seedMessage(author, {
    category: "question",
    contactPhone: "13800000001",
    content: "我公司已获批通用券，请问购买服务时，服务券抵扣后剩余部分如何支付？可以开具发票吗？（演示数据）",
  });
  const replied = await deps.messages.reply(
    { id: operator.id, role: "operator" },
    asked.id,
    "您好！服务券按补贴比例抵扣后，剩余金额由企业在订单中分定金和尾款线上支付，发票由服务机构按订单全额开具。（演示数据）",
  );
  if (!replied.ok) throw new Error("demo message reply failed");
  await deps.messages.seedMessage(author, {
    category: "suggestion",
    contactPhone: "13800000001",
    content: "建议在服务产品列表中增加按服务机构所在城市筛选的功能，方便就近选择服务。（演示数据）",
  });
  await deps.messages.seedMessage(null, {
    category: "question",
    contactPhone: "13900000000",
    content: "我们是尚未注册的制造企业，请问申请服务券需要准备哪些材料？（演示数据）",
  });
}

/** 企业需求: four demands of demo enterprises 1 and 2 (待处理, two 已发布, 已驳回) and one provider response. Once. */
export async function demandsDemo(deps: Deps) {
  const [reviewer] = await deps.db.query<{ id: string }>("select id from admin_users where username = 'reviewer'");
  const [{ n }] = (await deps.db.query<{ n: number }>("select count(*)::int as n from demands")) as [{ n: number }];
  if (!reviewer || n > 0) return;
  const staff = { id: reviewer.id, role: "reviewer" };
  const account = async (phone: string) => (await deps.db.query<{ id: string }>("select id from accounts where phone = $1", [phone]))[0]?.id;
  const inDays = (d: number) => new Date(deps.clock.now().getTime() + (8 + 24 * d) * 3600_000).toISOString().slice(0, 10);
  const plans = [
    {
      phone: "13800000001",
      decision: "approve",
      title: "注塑车间MES系统建设",
      category: "digital",
      budgetMin: "300000",
      budgetMax: "500000",
      cityCode: "450100",
      districtCode: "450103",
      deadline: inDays(60),
      contactName: "张伟",
      description:
        "我司注塑车间现有注塑机32台，生产计划靠Excel排产，报工靠纸质单据。希望建设MES系统，实现工单下达、设备数据自动采集、质量追溯和产量看板，并与现有金蝶ERP对接。期望3个月内上线（演示数据）。",
    },
    {
      phone: "13800000002",
      decision: "approve",
      title: "汽车零部件尺寸与材料性能检验检测",
      category: "testing",
      budgetMin: "50000",
      budgetMax: "80000",
      cityCode: "450200",
      districtCode: "450204",
      deadline: inDays(45),
      contactName: "王芳",
      description:
        "为配套主机厂新车型，需对冲压件、铸铝件共12个零件开展三坐标尺寸检测和材料力学性能检测，出具CMA报告，每季度一批，服务期一年（演示数据）。",
    },
    {
      phone: "13800000001",
      decision: null,
      title: "空压站能耗监测与节能诊断",
      category: "green",
      budgetMin: "",
      budgetMax: "",
      budgetNegotiable: "yes",
      cityCode: "450100",
      districtCode: "",
      deadline: inDays(90),
      contactName: "张伟",
      description: "厂区空压站有4台螺杆空压机，电费占车间用电约三成。希望安装能耗监测，并由专业机构开展节能诊断，提出改造方案和投资回收测算（演示数据）。",
    },
    {
      phone: "13800000002",
      decision: "reject",
      title: "员工团建拓展活动组织",
      category: "training",
      budgetMin: "20000",
      budgetMax: "30000",
      cityCode: "450200",
      districtCode: "",
      deadline: inDays(30),
      contactName: "王芳",
      description: "组织公司中层管理人员赴北部湾开展为期两天的团建拓展活动，包括拓展训练和参观交流（演示数据）。",
    },
  ];
  const ids: string[] = [];
  for (const p of plans) {
    const acc = await account(p.phone);
    if (!acc) return;
    const res = await deps.demands.submit(acc, { budgetNegotiable: "", contactPhone: p.phone, ...p });
    if (!res.ok) throw new Error(`demo demand failed: ${JSON.stringify(res.errors)}`);
    ids.push(res.value.id);
    if (p.decision) {
      const reason = p.decision === "reject" ? "团建、旅游类活动不属于服务券支持的服务事项（演示数据）" : "";
      const decided = await deps.demands.decide(staff, res.value.id, { decision: p.decision, reason });
      if (!decided.ok) throw new Error(`demo demand review failed: ${JSON.stringify(decided.errors)}`);
    }
  }
  // 广西示例智能制造服务有限公司 answers the MES demand with its 产线数字化改造方案设计.
  const provider = await account("13800000007");
  const p = provider && (await deps.catalog.providerOfAccount(provider));
  if (!provider || !p) return;
  const product = (await deps.products.listings({ providerId: p.id })).rows.find((r) => r.title === "产线数字化改造方案设计");
  const answered = await deps.demands.respond(provider, ids[0]!, {
    proposal:
      "我司可提供注塑行业MES实施服务：先用两周完成现场调研和方案设计，再分两期上线工单、报工、设备采集和质量追溯模块，并完成与金蝶ERP的接口对接，上线后驻场一个月（演示数据）。",
    quotedPrice: "420000",
    productId: product?.productId ?? "",
  });
  if (!answered.ok) throw new Error(`demo demand response failed: ${JSON.stringify(answered.errors)}`);
}

/**
 * Orders in each state the platform reaches so far, between demo enterprises 3 (no voucher: its
 * quota application is still 待审核) and 4 (an approved 通用券) and the three demo providers, walked
 * through the real use cases (so the ledger, money lines, events, contract versions and notices are
 * what a user would have produced). Once: skipped when any order exists.
 */
export async function ordersDemo(deps: Deps) {
  const [{ n }] = (await deps.db.query<{ n: number }>("select count(*)::int as n from orders")) as [{ n: number }];
  if (n > 0) return;
  const account = async (phone: string) => (await deps.db.query<{ id: string }>("select id from accounts where phone = $1", [phone]))[0]?.id;
  const product = async (title: string) =>
    (await deps.db.query<{ product_id: string }>("select product_id from product_listings where title = $1", [title]))[0]?.product_id;
  const must = <T>(r: { ok: true; value: T } | { ok: false; errors: unknown }, what: string): T => {
    if (!r.ok) throw new Error(`demo ${what} failed: ${JSON.stringify(r.errors)}`);
    return r.value;
  };
  const [e3, e4, p7, p8, p9] = await Promise.all(["13800000003", "13800000004", "13800000007", "13800000008", "13800000009"].map(account));
  if (!e3 || !e4 || !p7 || !p8 || !p9) return;
  const order = async (enterprise: string, title: string) => {
    const productId = await product(title);
    if (!productId) throw new Error(`demo product ${title} is missing`);
    const page = must(await deps.orders.orderPage(enterprise, productId), `order page of ${title}`);
    const voucher = page.accounts.find((a) => a.availableFen > 0);
    const placed = must(
      await deps.orders.submit(enterprise, { productId, useVoucher: !!voucher, voucherAccountId: voucher?.accountId, submissionKey: page.submissionKey }),
      `order of ${title}`,
    );
    return placed.order;
  };
  const day = (d: number) => shanghaiDate(new Date(deps.clock.now().getTime() + d * 86_400_000));
  const terms = (o: { contractFen: number; snapshot: { content: string; deliverables: string; acceptance: string } }, contractFen = o.contractFen) => ({
    serviceContent: o.snapshot.content,
    deliverables: o.snapshot.deliverables,
    acceptance: o.snapshot.acceptance,
    contractFen,
    depositFen: Math.floor(contractFen / 10 / 100) * 100,
    serviceFrom: day(7),
    serviceTo: day(97),
    paymentTerms: "合同签订后，甲方支付定金（合同金额的10%）；乙方完成服务并经甲方验收合格后，甲方支付尾款。服务券抵扣部分由平台兑付给乙方。（演示数据）",
    liability: "任何一方未按本合同约定履行义务的，应承担违约责任，并赔偿由此给对方造成的直接损失。（演示数据）",
    disputeResolution: "因本合同引起的争议，双方协商解决；协商不成的，向甲方所在地人民法院提起诉讼。（演示数据）",
    otherTerms: "",
  });

  // 待确认合同: version 1 with a lower 合同金额 (the reservation shrinks with it)
  const review = await order(e4, "设备上云与工业数据采集部署");
  must(await deps.orders.accept(p9, review.id, undefined), "接单");
  must(await deps.orders.saveContract(p9, review.id, terms(review, 9_000_000)), "制定合同");
  must(await deps.orders.submitContract(p9, review.id, 1, undefined), "提交企业确认");
  // 待制定合同 and 待接单 (with what is left on the voucher, if anything)
  const drafting = await order(e4, "ISO 9001 质量管理体系建设辅导");
  must(await deps.orders.accept(p8, drafting.id, undefined), "接单");
  await order(e4, "智能制造能力成熟度诊断服务");
  // 待签合同: version 1 returned with a reason, version 2 agreed
  const signing = await order(e3, "产线数字化改造方案设计");
  must(await deps.orders.accept(p7, signing.id, undefined), "接单");
  must(await deps.orders.saveContract(p7, signing.id, terms(signing)), "制定合同");
  must(await deps.orders.submitContract(p7, signing.id, 1, undefined), "提交企业确认");
  must(await deps.orders.returnContract(e3, signing.id, 1, "请把服务期限延长到四个月，并在交付清单中写明培训次数。（演示数据）", undefined), "退回修改");
  const revised = { ...terms(signing), serviceTo: day(127), deliverables: `${signing.snapshot.deliverables}；现场培训2次` };
  must(await deps.orders.saveContract(p7, signing.id, revised), "修改合同");
  must(await deps.orders.submitContract(p7, signing.id, 2, undefined), "提交企业确认");
  must(await deps.orders.agreeContract(e3, signing.id, 2, undefined), "同意");
  // 订单取消 and 已拒单
  const cancelled = await order(e3, "企业数据治理与主数据梳理");
  must(await deps.orders.cancel(e3, cancelled.id, "采购计划调整，暂不需要。（演示数据）"), "取消订单");
  const declined = await order(e3, "金属材料力学性能检测");
  must(await deps.orders.decline(p8, declined.id, "本月检测排期已满，请下月再下单。（演示数据）", undefined), "拒单");
}
