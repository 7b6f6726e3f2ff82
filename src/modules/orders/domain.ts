/**
 * Pure rules of orders (订单) and contracts (合同): statuses with their one Chinese label, the tabs,
 * the transition table (state x action x actor), the order arithmetic shared with the product page,
 * quantities, order numbers, the product snapshot, contract versions and reasons. See docs/orders.md.
 */
import { MONEY_MAX_FEN, yuan } from "../../lib/money.ts";
import { shanghaiDate } from "../../lib/shanghai.ts";
import { deduction } from "../vouchers/domain.ts";

// ---- statuses ----

/** Every order status: the English code stored in the database and its one Chinese label. */
export const ORDER_STATUS_TEXT = {
  pending_acceptance: "待接单",
  cancelled: "订单取消",
  declined: "已拒单",
  closed: "已关闭",
  contract_drafting: "待制定合同",
  contract_review: "待确认合同",
  contract_signing: "待签合同",
  awaiting_deposit: "待支付定金",
  awaiting_start: "待开始服务",
  in_service: "服务中",
  awaiting_balance: "待支付尾款",
  disputed: "争议处理中",
  awaiting_review: "待评价",
  completed: "已完成",
  terminated: "已终止",
} as const;
export type OrderStatus = keyof typeof ORDER_STATUS_TEXT;
export const ORDER_STATUSES = Object.keys(ORDER_STATUS_TEXT) as OrderStatus[];
/** The status 提交订单 creates. */
export const INITIAL_STATUS: OrderStatus = "pending_acceptance";
/** Statuses no action leaves (兑付 is a status beside 已完成, not a main status). */
export const FINAL_STATUSES: readonly OrderStatus[] = ["cancelled", "declined", "closed", "completed", "terminated"];

/** Whether `v` is one of the map's own keys (never `v in map`, which accepts `constructor` or `__proto__`). */
const isKey = <K extends string>(map: Readonly<Record<K, unknown>>, v: unknown): v is K => typeof v === "string" && Object.hasOwn(map, v);
export const isOrderStatus = (v: unknown): v is OrderStatus => isKey(ORDER_STATUS_TEXT, v);

// ---- tabs of 我购买的服务 and 订单管理 ----

export const ORDER_TABS = {
  all: { label: "全部", statuses: ORDER_STATUSES },
  pending: { label: "待接单", statuses: ["pending_acceptance"] },
  contract: { label: "待签合同", statuses: ["contract_drafting", "contract_review", "contract_signing"] },
  payment: { label: "待支付", statuses: ["awaiting_deposit", "awaiting_balance"] },
  service: { label: "服务中", statuses: ["awaiting_start", "in_service", "disputed"] },
  review: { label: "待评价", statuses: ["awaiting_review"] },
  completed: { label: "已完成", statuses: ["completed"] },
  cancelled: { label: "已取消", statuses: ["cancelled", "declined", "closed", "terminated"] },
} as const satisfies Record<string, { label: string; statuses: readonly OrderStatus[] }>;
export type OrderTab = keyof typeof ORDER_TABS;
export const isOrderTab = (v: unknown): v is OrderTab => isKey(ORDER_TABS, v);

/** The tab (other than 全部) that shows an order in this status. */
export function tabOf(status: OrderStatus): Exclude<OrderTab, "all"> {
  const tab = (Object.keys(ORDER_TABS) as OrderTab[]).find((t) => t !== "all" && (ORDER_TABS[t].statuses as readonly string[]).includes(status));
  return tab as Exclude<OrderTab, "all">;
}

// ---- actors and actions ----

export const ACTOR_TEXT = { enterprise: "企业", provider: "服务机构", operator: "平台运营人员", system: "系统" } as const;
export type Actor = keyof typeof ACTOR_TEXT;
export const ACTORS = Object.keys(ACTOR_TEXT) as Actor[];

/** Every action on an order: its button or event text, and whether it takes a reason. */
export const ORDER_ACTIONS = {
  cancel: { label: "取消订单", reason: "optional" },
  accept: { label: "接单", reason: "none" },
  decline: { label: "拒单", reason: "required" },
  expire: { label: "超时关闭", reason: "none" },
  close: { label: "关闭订单", reason: "required" },
  submit_contract: { label: "提交企业确认", reason: "none" },
  return_contract: { label: "退回修改", reason: "required" },
  agree_contract: { label: "同意", reason: "none" },
  signed: { label: "签署完成", reason: "none" },
  sign_refused: { label: "拒签", reason: "required" },
  deposit_paid: { label: "定金到账", reason: "none" },
  start_service: { label: "开始服务", reason: "none" },
  complete_service: { label: "完成服务", reason: "none" },
  dispute: { label: "提出异议", reason: "required" },
  resume: { label: "继续履约", reason: "required" },
  balance_paid: { label: "尾款到账", reason: "none" },
  review: { label: "提交评价", reason: "none" },
  terminate: { label: "协商终止", reason: "required" },
} as const satisfies Record<string, { label: string; reason: "none" | "optional" | "required" }>;
export type OrderAction = keyof typeof ORDER_ACTIONS;
export const ACTIONS = Object.keys(ORDER_ACTIONS) as OrderAction[];
export const isOrderAction = (v: unknown): v is OrderAction => isKey(ORDER_ACTIONS, v);

/** One allowed cell: from a status, an action by one of these actors leads to `to`; `issue` implements it. */
export type Transition = { from: OrderStatus; action: OrderAction; actors: readonly Actor[]; to: OrderStatus; issue: 11 | 12 | 13 };

const PAID_OR_SERVING: OrderStatus[] = ["awaiting_start", "in_service", "awaiting_balance", "disputed", "awaiting_review"];
const AFTER_ACCEPTANCE: OrderStatus[] = ["contract_drafting", "contract_review", "contract_signing", "awaiting_deposit", ...PAID_OR_SERVING];

/** The transition table of DESIGN.md ("orders"): every allowed (status, action) and who may do it. Everything else is refused. */
export const TRANSITIONS: readonly Transition[] = [
  { from: "pending_acceptance", action: "cancel", actors: ["enterprise"], to: "cancelled", issue: 11 },
  { from: "pending_acceptance", action: "accept", actors: ["provider"], to: "contract_drafting", issue: 11 },
  { from: "pending_acceptance", action: "decline", actors: ["provider"], to: "declined", issue: 11 },
  { from: "pending_acceptance", action: "expire", actors: ["system"], to: "closed", issue: 11 },
  { from: "pending_acceptance", action: "close", actors: ["operator"], to: "closed", issue: 11 },
  { from: "contract_drafting", action: "submit_contract", actors: ["provider"], to: "contract_review", issue: 11 },
  { from: "contract_review", action: "return_contract", actors: ["enterprise"], to: "contract_drafting", issue: 11 },
  { from: "contract_review", action: "agree_contract", actors: ["enterprise"], to: "contract_signing", issue: 11 },
  ...(["contract_drafting", "contract_review", "contract_signing"] as const).map(
    (from): Transition => ({ from, action: "close", actors: ["operator"], to: "terminated", issue: 11 }),
  ),
  { from: "contract_signing", action: "signed", actors: ["system"], to: "awaiting_deposit", issue: 12 },
  { from: "contract_signing", action: "sign_refused", actors: ["system"], to: "contract_drafting", issue: 12 },
  { from: "awaiting_deposit", action: "close", actors: ["operator"], to: "terminated", issue: 12 },
  { from: "awaiting_deposit", action: "deposit_paid", actors: ["system"], to: "awaiting_start", issue: 13 },
  { from: "awaiting_start", action: "start_service", actors: ["provider"], to: "in_service", issue: 13 },
  { from: "in_service", action: "complete_service", actors: ["provider"], to: "awaiting_balance", issue: 13 },
  { from: "awaiting_balance", action: "balance_paid", actors: ["system"], to: "awaiting_review", issue: 13 },
  { from: "awaiting_balance", action: "dispute", actors: ["enterprise"], to: "disputed", issue: 13 },
  { from: "disputed", action: "resume", actors: ["operator"], to: "awaiting_balance", issue: 13 },
  { from: "awaiting_review", action: "review", actors: ["enterprise"], to: "completed", issue: 13 },
  ...PAID_OR_SERVING.map((from): Transition => ({ from, action: "close", actors: ["operator"], to: "terminated", issue: 13 })),
  ...AFTER_ACCEPTANCE.map((from): Transition => ({ from, action: "terminate", actors: ["enterprise", "provider"], to: "terminated", issue: 13 })),
];

export type TransitionRefusal = { ok: false; code: "unknown" | "wrong_actor" | "wrong_state"; message: string };
export type TransitionResult = { ok: true; to: OrderStatus } | TransitionRefusal;

const actorsOf = (action: OrderAction) => [...new Set(TRANSITIONS.filter((t) => t.action === action).flatMap((t) => t.actors))];

/**
 * The next status after `action` by `actor` on an order in `from`, or a refusal with a Chinese
 * message: `wrong_actor` (this party may not do it here: 403) or `wrong_state` (not in this
 * status, e.g. a second tab or an old button: 409). `unknown` for a code that is no status/action/actor.
 */
export function transition(from: OrderStatus, action: OrderAction, actor: Actor): TransitionResult {
  if (!isOrderStatus(from)) return { ok: false, code: "unknown", message: "订单状态不正确" };
  if (!isOrderAction(action)) return { ok: false, code: "unknown", message: "不支持的订单操作" };
  if (!isKey(ACTOR_TEXT, actor)) return { ok: false, code: "unknown", message: "无权操作该订单" };
  const label = ORDER_ACTIONS[action].label;
  const cell = TRANSITIONS.find((t) => t.from === from && t.action === action);
  if (cell?.actors.includes(actor)) return { ok: true, to: cell.to };
  const who = cell ? cell.actors : actorsOf(action);
  if (!who.includes(actor)) {
    return { ok: false, code: "wrong_actor", message: `“${label}”只能由${who.map((a) => ACTOR_TEXT[a]).join("或")}操作` };
  }
  return { ok: false, code: "wrong_state", message: `订单当前状态为“${ORDER_STATUS_TEXT[from]}”，不能${label}；请刷新页面查看最新状态` };
}

/** The actions this actor may take on an order in this status (the buttons to show). */
export function actionsFor(from: OrderStatus, actor: Actor): OrderAction[] {
  return TRANSITIONS.filter((t) => t.from === from && t.actors.includes(actor)).map((t) => t.action);
}

/** Whether leaving this status gives the voucher reservation back (取消, 拒单, 关闭, 终止). */
export const releasesReservation = (to: OrderStatus) => to === "cancelled" || to === "declined" || to === "closed" || to === "terminated";

// ---- reasons ----

export const REASON_MIN = 2;
export const REASON_MAX = 200;

/** The reason of an action, cleaned, or its message: required ones need 2..200 characters, optional ones may be empty. */
export function checkReason(action: OrderAction, raw: string | undefined): { reason: string | null } | { error: string } {
  const rule = ORDER_ACTIONS[action].reason;
  const reason = (raw ?? "").normalize("NFC").replace(/\r\n/g, "\n").trim();
  const n = [...reason].length;
  if (rule === "none") return { reason: null };
  if (!n) return rule === "required" ? { error: `请填写${ORDER_ACTIONS[action].label}原因` } : { reason: null };
  if (n < REASON_MIN) return { error: `${ORDER_ACTIONS[action].label}原因至少${REASON_MIN}个字` };
  if (n > REASON_MAX) return { error: `${ORDER_ACTIONS[action].label}原因不能超过${REASON_MAX}个字` };
  return { reason };
}

// ---- quantity ----

/** Units that count repeatable work: a quantity above 1 makes sense. Any other unit (项, 年, ...) is one whole service. */
export const QUANTITY_UNITS: readonly string[] = ["次", "人次", "人", "人天", "天", "小时", "课时", "场", "期", "台", "套", "件", "个", "份", "批"];
export const QUANTITY_MAX = 999;

export const quantityAllowed = (unit: string) => QUANTITY_UNITS.includes(unit.trim());

/** The quantity as typed, for a product with this unit: 1 for a whole service, 1..999 otherwise. */
export function checkQuantity(unit: string, raw: string | number | undefined): { quantity: number } | { error: string } {
  const text = String(raw ?? "").trim();
  if (!text) return { quantity: 1 };
  if (!/^\d{1,6}$/.test(text)) return { error: "数量应为正整数" };
  const quantity = Number(text);
  if (quantity < 1) return { error: "数量应为正整数" };
  if (!quantityAllowed(unit)) return quantity === 1 ? { quantity } : { error: `该服务按“${unit.trim()}”计价，数量只能为1` };
  if (quantity > QUANTITY_MAX) return { error: `数量不能超过${QUANTITY_MAX}` };
  return { quantity };
}

// ---- money ----

/** A voucher account's terms as they apply to one order. `availableFen` includes this order's own reservation when recomputing. */
export type VoucherTerms = { rateBp: number; capFen: number; availableFen: number };

export type OrderAmounts = {
  /** 订单金额 = 单价 x 数量. */
  orderFen: number;
  /** 合同金额: the order amount until the provider sets another. */
  contractFen: number;
  /** 补贴券抵扣. */
  deductionFen: number;
  /** 企业自付 = 合同金额 - 补贴券抵扣. */
  selfPayFen: number;
  /** 定金. */
  depositFen: number;
  /** 尾款 = 企业自付 - 定金. */
  balanceFen: number;
};

export type AmountsInput = {
  unitPriceFen: number;
  quantity: number;
  /** 合同金额 when the provider set one; otherwise the order amount. */
  contractFen?: number;
  /** The voucher used, or none (使用补贴券 not ticked). */
  voucher?: VoucherTerms | null;
  depositFen?: number;
};

const fenOk = (n: number) => Number.isSafeInteger(n) && n >= 0 && n <= MONEY_MAX_FEN;

/**
 * The one arithmetic of an order's money, used by the product page (quantity 1, no contract) and by
 * the order and its contract. Integer fen: 补贴券抵扣 = min(合同金额 x rate, per-order cap, available)
 * rounded down and never negative (vouchers' `deduction`); 企业自付 = 合同金额 - 补贴券抵扣;
 * 0 <= 定金 <= 企业自付; 尾款 = 企业自付 - 定金. Refuses (with the field and a Chinese message)
 * amounts that are not whole fen in 0..MONEY_MAX_FEN.
 */
export function orderAmounts(input: AmountsInput): { ok: true; value: OrderAmounts } | { ok: false; field: string; error: string } {
  const { unitPriceFen, quantity } = input;
  if (!fenOk(unitPriceFen)) return { ok: false, field: "unitPrice", error: "单价不正确" };
  if (!Number.isSafeInteger(quantity) || quantity < 1) return { ok: false, field: "quantity", error: "数量应为正整数" };
  const orderFen = unitPriceFen * quantity;
  if (!fenOk(orderFen)) return { ok: false, field: "quantity", error: `订单金额不能超过${yuan(MONEY_MAX_FEN)}` };
  const contractFen = input.contractFen ?? orderFen;
  if (!fenOk(contractFen) || contractFen === 0) return { ok: false, field: "contractAmount", error: `合同金额应在¥0.01至${yuan(MONEY_MAX_FEN)}之间` };
  const v = input.voucher;
  if (
    v &&
    (!Number.isSafeInteger(v.rateBp) || v.rateBp < 0 || v.rateBp > 10_000 || !Number.isSafeInteger(v.capFen) || !Number.isSafeInteger(v.availableFen))
  ) {
    return { ok: false, field: "voucher", error: "服务券规则不正确" };
  }
  const deductionFen = v ? Math.min(deduction(contractFen, v.rateBp, v.capFen, v.availableFen), contractFen) : 0;
  const selfPayFen = contractFen - deductionFen;
  const depositFen = input.depositFen ?? 0;
  if (!Number.isSafeInteger(depositFen) || depositFen < 0) return { ok: false, field: "deposit", error: "定金应为不小于0的金额" };
  if (depositFen > selfPayFen) return { ok: false, field: "deposit", error: `定金不能超过企业自付金额${yuan(selfPayFen)}` };
  return { ok: true, value: { orderFen, contractFen, deductionFen, selfPayFen, depositFen, balanceFen: selfPayFen - depositFen } };
}

// ---- order numbers ----

/** `DD` + the Asia/Shanghai date (YYYYMMDD) + a sequence of at least 6 digits. */
export function formatOrderNumber(at: Date, sequence: number): string {
  if (!Number.isSafeInteger(sequence) || sequence < 1) throw new RangeError("order sequence must be a positive integer");
  return `DD${shanghaiDate(at).replaceAll("-", "")}${String(sequence).padStart(6, "0")}`;
}

/** The date (YYYY-MM-DD) and sequence of an order number, or undefined when the text is not one (used by search). */
export function parseOrderNumber(raw: string): { date: string; sequence: number } | undefined {
  const m = raw
    .trim()
    .toUpperCase()
    .match(/^DD(\d{4})(\d{2})(\d{2})(\d{6,15})$/);
  if (!m) return undefined;
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  const d = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== date) return undefined;
  const sequence = Number(m[4]);
  if (!Number.isSafeInteger(sequence) || sequence < 1) return undefined;
  if (m[4]!.length > 6 && m[4]!.startsWith("0")) return undefined; // one spelling per number
  return { date, sequence };
}

// ---- idempotent submission ----

/**
 * The hidden key of an 订单详情 form: the product and how many orders this enterprise already has
 * for it. Every tab and replay of one intent carries the same key; the next order gets n + 1.
 */
export const submissionKey = (productId: string, existingOrders: number) => `${productId.toLowerCase()}#${existingOrders}`;

export function parseSubmissionKey(raw: string): { productId: string; n: number } | undefined {
  const m = raw.match(/^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})#(0|[1-9]\d{0,8})$/);
  return m ? { productId: m[1]!, n: Number(m[2]) } : undefined;
}

// ---- the product snapshot ----

/** The product as it was when the order was submitted; kept with the order, never read back from the catalog. */
export type ProductSnapshot = {
  productId: string;
  revisionId: string;
  title: string;
  category: string;
  provider: { id: string; name: string };
  unitPriceFen: number;
  unit: string;
  content: string;
  deliverables: string;
  acceptance: string;
  duration: string;
};

/** The snapshot of a listed product, copying only its ordering-relevant fields (a new object: later edits of the source change nothing). */
export function snapshotOf(p: {
  productId: string;
  revisionId: string;
  title: string;
  category: string;
  providerId: string;
  providerName: string;
  priceFen: number;
  unit: string;
  content: string;
  deliverables: string;
  acceptance: string;
  duration: string;
}): ProductSnapshot {
  return {
    productId: p.productId,
    revisionId: p.revisionId,
    title: p.title,
    category: p.category,
    provider: { id: p.providerId, name: p.providerName },
    unitPriceFen: p.priceFen,
    unit: p.unit,
    content: p.content,
    deliverables: p.deliverables,
    acceptance: p.acceptance,
    duration: p.duration,
  };
}

// ---- contracts ----

export type ContractParty = { name: string; creditCode: string; legalName: string; address: string };

/** The content of one contract version (what is hashed when agreed). */
export type ContractContent = {
  partyA: ContractParty;
  partyB: ContractParty;
  serviceContent: string;
  deliverables: string;
  acceptance: string;
  contractFen: number;
  depositFen: number;
  serviceFrom: string;
  serviceTo: string;
  paymentTerms: string;
  liability: string;
  disputeResolution: string;
  otherTerms: string;
};

export const CONTRACT_FIELD_TEXT: Record<string, string> = {
  "partyA.name": "甲方名称",
  "partyA.creditCode": "甲方统一社会信用代码",
  "partyA.legalName": "甲方法定代表人",
  "partyA.address": "甲方地址",
  "partyB.name": "乙方名称",
  "partyB.creditCode": "乙方统一社会信用代码",
  "partyB.legalName": "乙方法定代表人",
  "partyB.address": "乙方地址",
  serviceContent: "服务内容",
  deliverables: "交付清单",
  acceptance: "验收标准",
  contractFen: "合同金额",
  depositFen: "定金",
  serviceFrom: "服务期限开始",
  serviceTo: "服务期限结束",
  paymentTerms: "付款方式",
  liability: "违约责任",
  disputeResolution: "争议解决",
  otherTerms: "其他约定",
};

export const CONTRACT_VERSION_TEXT = { draft: "草稿", submitted: "待企业确认", returned: "已退回修改", agreed: "已同意" } as const;
export type ContractVersionStatus = keyof typeof CONTRACT_VERSION_TEXT;
export type ContractVersion = { version: number; status: ContractVersionStatus; content: ContractContent };

const TEXT_LIMITS: [keyof ContractContent, number, boolean][] = [
  ["serviceContent", 5000, true],
  ["deliverables", 2000, true],
  ["acceptance", 2000, true],
  ["paymentTerms", 1000, true],
  ["liability", 2000, true],
  ["disputeResolution", 1000, true],
  ["otherTerms", 2000, false],
];
const isDate = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;

/**
 * The rules across a contract's fields, with the order's price terms: texts present and within
 * limits, 服务期限 real dates in order, and the money through `orderAmounts` (合同金额 > 0,
 * 0 <= 定金 <= 企业自付 after the deduction is recomputed from 合同金额).
 */
export function checkContract(
  c: ContractContent,
  terms: { unitPriceFen: number; quantity: number; voucher?: VoucherTerms | null },
): { amounts?: OrderAmounts; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  for (const [field, max, required] of TEXT_LIMITS) {
    const n = [...String(c[field]).trim()].length;
    if (required && !n) errors[field] = `请填写${CONTRACT_FIELD_TEXT[field]}`;
    else if (n > max) errors[field] = `${CONTRACT_FIELD_TEXT[field]}不能超过${max}个字`;
  }
  for (const [side, party] of [
    ["partyA", c.partyA],
    ["partyB", c.partyB],
  ] as const) {
    if (!party.name.trim() || !party.creditCode.trim()) errors[side] = `${side === "partyA" ? "甲方" : "乙方"}信息不完整，请先完成企业信息认证`;
  }
  if (!isDate(c.serviceFrom)) errors.serviceFrom = "请填写服务期限开始日期";
  if (!isDate(c.serviceTo)) errors.serviceTo = "请填写服务期限结束日期";
  else if (isDate(c.serviceFrom) && c.serviceTo < c.serviceFrom) errors.serviceTo = "服务期限结束日期不能早于开始日期";
  const amounts = orderAmounts({ ...terms, contractFen: c.contractFen, depositFen: c.depositFen });
  if (!amounts.ok) errors[amounts.field === "deposit" ? "depositFen" : "contractFen"] = amounts.error;
  if (Object.keys(errors).length || !amounts.ok) return { errors };
  return { amounts: amounts.value, errors };
}

/**
 * Whether the provider may write the contract of an order in this status whose latest version is
 * `v`; otherwise the message (409). Writing never changes a returned or agreed version: it goes to
 * a new one (`nextVersion`).
 */
export function contractEditable(status: OrderStatus, v: Pick<ContractVersion, "status"> | undefined): { ok: true } | { ok: false; message: string } {
  if (status !== "contract_drafting") {
    if (v?.status === "agreed") return { ok: false, message: "合同已同意，不能修改" };
    return { ok: false, message: `订单当前状态为“${ORDER_STATUS_TEXT[status]}”，不能修改合同` };
  }
  if (v?.status === "submitted") return { ok: false, message: "该版本合同已提交，不能修改" };
  return { ok: true };
}

/**
 * The version the provider writes to: the current draft in place, or a new version n + 1 that
 * starts as a copy of a returned one (退回修改) or of an agreed one whose signing was refused (拒签).
 * A submitted or agreed version itself never changes.
 */
export function nextVersion(
  current: ContractVersion | undefined,
  initial: ContractContent,
): { create: boolean; version: number; content: ContractContent } {
  if (!current) return { create: true, version: 1, content: initial };
  if (current.status === "draft") return { create: false, version: current.version, content: current.content };
  if (current.status === "returned" || current.status === "agreed") {
    return { create: true, version: current.version + 1, content: structuredClone(current.content) };
  }
  throw new Error(`contract version ${current.version} is ${current.status} and cannot be edited`);
}

/** The contract's status change for an order action (提交企业确认, 退回修改, 同意), or a refusal. */
export function versionAfter(
  v: ContractVersionStatus,
  action: "submit_contract" | "return_contract" | "agree_contract",
): ContractVersionStatus | undefined {
  if (action === "submit_contract") return v === "draft" ? "submitted" : undefined;
  if (v !== "submitted") return undefined;
  return action === "agree_contract" ? "agreed" : "returned";
}

/** Flattens a contract into "path" -> text, the form both the canonical text and the diff use. */
function flatten(c: ContractContent): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(c)) {
    if (v && typeof v === "object") for (const [pk, pv] of Object.entries(v)) out.push([`${k}.${pk}`, String(pv)]);
    else out.push([k, String(v)]);
  }
  return out;
}

/** The canonical text of a version (keys sorted, strings NFC, line ends LF): what SHA-256 is taken of at 同意. */
export function canonicalContract(c: ContractContent): string {
  const sorted = Object.fromEntries(
    flatten(c)
      .map(([k, v]) => [k, v.normalize("NFC").replace(/\r\n/g, "\n")] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return JSON.stringify(sorted);
}

/** What changed from one version to the next, field by field, in the form's order, with money shown as ¥. */
export function diffContract(prev: ContractContent, next: ContractContent): { field: string; label: string; before: string; after: string }[] {
  const show = (k: string, v: string) => (k === "contractFen" || k === "depositFen" ? yuan(Number(v)) : v);
  const before = new Map(flatten(prev));
  // In the form's order (CONTRACT_FIELD_TEXT), whatever order the stored JSON keeps its keys in.
  const order = Object.keys(CONTRACT_FIELD_TEXT);
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  return flatten(next)
    .sort(([a], [b]) => rank(a) - rank(b))
    .filter(([k, v]) => before.get(k) !== v)
    .map(([k, v]) => ({ field: k, label: CONTRACT_FIELD_TEXT[k] ?? k, before: show(k, before.get(k) ?? ""), after: show(k, v) }));
}

/** The standard clauses a new contract starts with; the provider may change every one of them. */
export const DEFAULT_CONTRACT_TERMS = {
  paymentTerms:
    "合同签订后，甲方按本合同约定向乙方支付定金；乙方完成服务并经甲方验收合格后，甲方支付尾款（企业自付金额扣除定金）。补贴券抵扣部分由平台按服务券管理规定向乙方兑付，甲方无需支付。",
  liability:
    "任何一方未按本合同约定履行义务的，应承担违约责任，并赔偿由此给对方造成的直接损失。乙方未按期完成服务或服务成果未通过验收的，甲方有权要求乙方限期整改；整改后仍不合格的，甲方有权解除合同。",
  disputeResolution: "因本合同引起的或与本合同有关的争议，双方应友好协商解决；协商不成的，任何一方可向甲方所在地有管辖权的人民法院提起诉讼。",
} as const;

/**
 * The first version of an order's contract: both parties as their certifications name them, the
 * service as the order's snapshot describes it, the order's current money terms, the service
 * period from the day of drafting (left for the provider to set) and the standard clauses.
 */
export function initialContract(
  order: { contractFen: number; depositFen: number; snapshot: Pick<ProductSnapshot, "content" | "deliverables" | "acceptance"> },
  partyA: ContractParty,
  partyB: ContractParty,
): ContractContent {
  return {
    partyA,
    partyB,
    serviceContent: order.snapshot.content,
    deliverables: order.snapshot.deliverables,
    acceptance: order.snapshot.acceptance,
    contractFen: order.contractFen,
    depositFen: order.depositFen,
    serviceFrom: "",
    serviceTo: "",
    ...DEFAULT_CONTRACT_TERMS,
    otherTerms: "",
  };
}

/** The parts of a contract the provider writes (the parties always come from the certifications). */
export type ContractTerms = Omit<ContractContent, "partyA" | "partyB">;

/** A version as the enterprise and the provider read it, with what the repository keeps beside the content. */
export type StoredContractVersion = ContractVersion & {
  returnReason: string | null;
  submittedAt: Date | null;
  decidedAt: Date | null;
  sha256: string | null;
  createdAt: Date;
  updatedAt: Date;
};

/**
 * The versions the enterprise may read: every one the provider submitted (待企业确认, 已退回修改,
 * 已同意), never a draft the provider is still writing.
 */
export const visibleToEnterprise = (v: Pick<ContractVersion, "status">) => v.status !== "draft";
