import type { Db } from "../../ports/db.ts";
import type { OrderTermination, TerminationStatus } from "./termination-domain.ts";

export type NewTermination = Omit<OrderTermination, "id" | "status" | "responderId" | "response" | "endedAt">;

/** 协商终止 proposals and decisions of orders (table order_terminations). */
export interface TerminationRepository {
  /** Inserts an open proposal (status proposed) or a decision (status decided, ended); a second open one throws UniqueViolation. */
  insert(t: NewTermination, decided?: { at: Date }): Promise<OrderTermination>;
  /** The order's open proposal, if any (locked with forUpdate). */
  open(orderId: string, forUpdate?: boolean): Promise<OrderTermination | undefined>;
  /** Every proposal and decision of the order, oldest first. */
  ofOrder(orderId: string): Promise<OrderTermination[]>;
  /** Ends an open proposal; false when it was no longer open. */
  end(id: string, status: Exclude<TerminationStatus, "proposed">, by: { responderId: string | null; response: string | null; at: Date }): Promise<boolean>;
}
export type TerminationRepositoryFactory = (db: Db) => TerminationRepository;
