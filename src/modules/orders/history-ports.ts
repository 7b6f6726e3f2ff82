import type { Db } from "../../ports/db.ts";
import type { OrderStatus, ProductSnapshot } from "./domain.ts";

/** An order of the demo's history with its timeline and money lines, written with their times. */
export type HistoryOrder = {
  id: string;
  enterpriseId: string;
  providerId: string;
  productId: string;
  status: OrderStatus;
  unitPriceFen: number;
  deductionFen: number;
  depositFen: number;
  voucherAccountId: string | null;
  snapshot: ProductSnapshot;
  createdAt: string;
  updatedAt: string;
  /** After 提交订单 (written first): the transitions, in order. */
  events: {
    at: string;
    actorType: "enterprise" | "provider" | "operator" | "system";
    action: string;
    from: OrderStatus;
    to: OrderStatus;
    reason?: string;
  }[];
  lines: {
    kind: "voucher_reserved" | "voucher_released" | "voucher_consumed" | "voucher_settled" | "deposit_paid" | "balance_paid";
    amountFen: number;
    at: string;
  }[];
};

/** The demo's history (src/demo.ts `historyDemo`): past orders, set-based. */
export interface OrderHistoryRepository {
  insert(rows: HistoryOrder[]): Promise<void>;
}
export type OrderHistoryRepositoryFactory = (db: Db) => OrderHistoryRepository;
