import type { Db } from "../../ports/db.ts";
import type { MoneyLineKind, OrderTermination } from "./termination-domain.ts";
import type { Actor, ContractContent, ContractVersionStatus, OrderStatus, ProductSnapshot, StoredContractVersion } from "./domain.ts";

/** One order as stored: the current terms (integer fen), the snapshot, the key it was submitted with. */
export type Order = {
  id: string;
  number: string;
  enterpriseId: string;
  providerId: string;
  productId: string;
  status: OrderStatus;
  quantity: number;
  unitPriceFen: number;
  orderFen: number;
  contractFen: number;
  deductionFen: number;
  selfPayFen: number;
  depositFen: number;
  voucherAccountId: string | null;
  snapshot: ProductSnapshot;
  submissionKey: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
};

/** The row of a list (tabs of 我购买的服务 and 订单管理). */
export type OrderSummary = Pick<
  Order,
  | "id"
  | "number"
  | "enterpriseId"
  | "providerId"
  | "productId"
  | "status"
  | "quantity"
  | "contractFen"
  | "deductionFen"
  | "selfPayFen"
  | "createdAt"
  | "updatedAt"
> & { title: string; providerName: string; enterpriseName: string };

/** The action of an event: every transition's action, or `submit` for the order's creation (提交订单). */
export type OrderEvent = {
  id: number;
  orderId: string;
  at: Date;
  actorType: Actor;
  actorId: string | null;
  action: string;
  fromStatus: OrderStatus | null;
  toStatus: OrderStatus;
  reason: string | null;
  requestId: string | null;
};
export type EventInput = Omit<OrderEvent, "id" | "orderId" | "at">;

export type { MoneyLineKind };
export type MoneyLine = { id: number; orderId: string; kind: MoneyLineKind; amountFen: number; ref: string | null; at: Date };

export type NewOrder = Omit<Order, "id" | "status" | "version" | "createdAt" | "updatedAt"> & { status: OrderStatus; at: Date };

/** Whose orders a list shows. */
export type OrderParty = { enterpriseId: string } | { providerId: string };

/** 评价 of one order, with the provider's reply (回复评价, once) and an operator's hiding of the comment (隐藏评价). */
export type OrderReview = {
  orderId: string;
  productId: string;
  providerId: string;
  enterpriseId: string;
  quality: number;
  timeliness: number;
  attitude: number;
  comment: string;
  createdAt: Date;
  reply: string | null;
  repliedAt: Date | null;
  hiddenAt: Date | null;
  hiddenReason: string | null;
};
export type NewReview = Omit<OrderReview, "reply" | "repliedAt" | "hiddenAt" | "hiddenReason">;

/**
 * A review as public pages show it: a hidden one keeps its scores but not its text or its reply
 * (comment '' and reply null, `hidden` true), so they never leave the database for a public page.
 */
export type PublicReview = {
  orderId: string;
  productId: string;
  /** The product's title as ordered (the order's snapshot). */
  title: string;
  quality: number;
  timeliness: number;
  attitude: number;
  comment: string;
  reply: string | null;
  hidden: boolean;
  createdAt: Date;
};
/** 服务评价 of a product or of a provider (all its products). */
export type ProductRatings = {
  count: number;
  /** Averages over the reviews (0 when there are none), one decimal. */
  quality: number;
  timeliness: number;
  attitude: number;
  /** The average of all three scores over all reviews, one decimal: the value the catalog's 评分 sort uses. */
  overall: number;
  latest: PublicReview[];
};
/** Whose reviews a rating summary covers. */
export type RatingScope = { productId: string } | { providerId: string };

/** The provider's 服务成果 of an order. */
export type OrderDelivery = { orderId: string; summary: string; fileIds: string[]; createdBy: string; createdAt: Date };

/** An order with what its page shows from the orders module's own tables (OrderRepository.view). */
export type OrderView = {
  order: Order;
  enterpriseName: string;
  events: OrderEvent[];
  moneyLines: MoneyLine[];
  delivery: OrderDelivery | undefined;
  review: OrderReview | undefined;
  terminations: OrderTermination[];
};

export interface OrderRepository {
  /** The next value of the order-number sequence (atomic across instances; a rolled-back one leaves a gap). */
  nextSequence(): Promise<number>;
  /** Inserts an order with its first event. A second order with the same (enterprise, submission key) throws UniqueViolation. */
  insert(order: NewOrder, event: EventInput): Promise<Order>;
  byId(id: string, forUpdate?: boolean): Promise<Order | undefined>;
  /**
   * One order as its page shows it, in one statement: the order, the ordering enterprise's name (the
   * enterprise_directory view), its events and money lines (oldest first), its 服务成果, its 评价 and
   * its 协商终止 proposals (oldest first); each equal to what the single reads return.
   */
  view(id: string): Promise<OrderView | undefined>;
  bySubmissionKey(enterpriseId: string, key: string): Promise<Order | undefined>;
  /** How many orders this enterprise has for this product (the n of the next submission key). */
  countForProduct(enterpriseId: string, productId: string): Promise<number>;
  /**
   * Applies a transition to an order locked by `byId(id, true)`: the new status (and optional money
   * changes), `version + 1`, one event. Refuses (returns undefined) when the row's version is not `expectedVersion`.
   */
  transition(
    id: string,
    expectedVersion: number,
    to: OrderStatus,
    at: Date,
    event: EventInput,
    patch?: Partial<Pick<Order, "contractFen" | "deductionFen" | "selfPayFen" | "depositFen">>,
  ): Promise<Order | undefined>;
  events(orderId: string): Promise<OrderEvent[]>;
  addMoneyLine(orderId: string, kind: MoneyLineKind, amountFen: number, ref: string | null, at: Date): Promise<MoneyLine>;
  /** 服务成果 of 完成服务: the summary and the files in order (once per order). */
  addDelivery(orderId: string, d: { summary: string; fileIds: string[]; by: string; at: Date }): Promise<void>;
  delivery(orderId: string): Promise<OrderDelivery | undefined>;
  /** 评价, once per order (a second insert throws UniqueViolation). */
  addReview(r: NewReview): Promise<void>;
  review(orderId: string): Promise<OrderReview | undefined>;
  /** 回复评价: writes the reply only if the review has none yet (atomic); false when it had one (nothing written). */
  replyToReview(orderId: string, reply: string, by: string, at: Date): Promise<boolean>;
  /** 隐藏评价: marks the review hidden only if it is not yet (atomic); false otherwise (nothing written). */
  hideReview(orderId: string, reason: string, by: string, at: Date): Promise<boolean>;
  /** A product's or a provider's ratings: the count, the averages and the latest reviews (at most `latest`, newest first). */
  ratings(scope: RatingScope, latest: number): Promise<ProductRatings>;
  moneyLines(orderId: string): Promise<MoneyLine[]>;
  /**
   * The lines of money through the payment channel (deposit_paid, balance_paid, refund) whose ref is
   * one of `refs` or written in [from, to), oldest first (the payments module's 对账).
   */
  channelLines(q: { refs: readonly string[]; from?: Date; to?: Date }): Promise<MoneyLine[]>;
  /** One page of a party's orders in these statuses (newest first) and how many there are. Limit and offset are bound as parameters. */
  list(party: OrderParty, statuses: readonly OrderStatus[] | null, limit: number, offset: number): Promise<{ rows: OrderSummary[]; total: number }>;
  /** The page of `list` alone, without counting (a caller that has the per-status counts adds them up). */
  listRows(party: OrderParty, statuses: readonly OrderStatus[] | null, limit: number, offset: number): Promise<OrderSummary[]>;
  /** How many of a party's orders are in each status (statuses without orders are absent). */
  countByStatus(party: OrderParty): Promise<Partial<Record<OrderStatus, number>>>;

  // ---- contracts (one per order) and their versions ----

  /** Every version of an order's contract, oldest first (empty before 制定合同). */
  contractVersions(orderId: string): Promise<StoredContractVersion[]>;
  /** Writes version 1 (with the order's contract row) or a further version as a new row, in draft. */
  createVersion(orderId: string, version: number, content: ContractContent, at: Date): Promise<void>;
  /** Rewrites a draft version's content; false when that version is not a draft (nothing written). */
  updateDraft(orderId: string, version: number, content: ContractContent, at: Date): Promise<boolean>;
  /**
   * Moves one version from `from` to `to` (提交企业确认, 退回修改 with its reason, 同意 with the
   * SHA-256 of its canonical content; the last agreed version is the contract's agreed one); false when
   * the version was not in `from` (nothing written).
   */
  setVersionStatus(
    orderId: string,
    version: number,
    from: ContractVersionStatus,
    to: ContractVersionStatus,
    at: Date,
    extra?: { returnReason?: string; sha256?: string },
  ): Promise<boolean>;
  /**
   * The closing job's candidates: ids of orders in 待接单 created before `cutoff`, oldest first, at
   * most `limit`, after the order `afterId` in that order (keyset paging; null for the first page).
   * Read without locks: each is locked and re-checked in its own transaction.
   */
  unacceptedBefore(cutoff: Date, afterId: string | null, limit: number): Promise<string[]>;
  /**
   * Orders in `status` whose last transition (updated_at) was before `before`, oldest first, at most
   * `limit`, after the order `afterId` (keyset paging): the reminders' candidates, read without locks.
   */
  inStatusSince(
    status: OrderStatus,
    before: Date,
    afterId: string | null,
    limit: number,
  ): Promise<{ id: string; number: string; enterpriseId: string; providerId: string; since: Date }[]>;
}
export type OrderRepositoryFactory = (db: Db) => OrderRepository;
