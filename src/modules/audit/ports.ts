import type { Db } from "../../ports/db.ts";

export type ActorType = "account" | "admin" | "system" | "provider_callback";

export type AuditEvent = {
  actorType: ActorType;
  actorId?: string | null;
  entityType: string;
  entityId?: string | null;
  action: string;
  fromStatus?: string | null;
  toStatus?: string | null;
  reason?: string | null;
  requestId?: string | null;
  data?: Record<string, unknown>;
};

export type AuditFilter = {
  entityType?: string;
  entityId?: string;
  action?: string;
  actorType?: ActorType;
  from?: Date;
  to?: Date;
};

export type AuditRow = {
  id: number;
  occurred_at: Date;
  actor_type: ActorType;
  actor_id: string | null;
  entity_type: string;
  entity_id: string | null;
  action: string;
  from_status: string | null;
  to_status: string | null;
  reason: string | null;
  request_id: string | null;
};

/**
 * The append-only audit trail's repository. Callers pass their transaction handle so the event
 * commits or rolls back together with the change it records.
 */
export interface AuditRepository {
  record(db: Db, e: AuditEvent): Promise<void>;
  forEntity(db: Db, entityType: string, entityId: string): Promise<AuditRow[]>;
  /** Newest first, filtered in SQL, one page at a time. */
  browse(db: Db, f: AuditFilter, limit: number, offset: number): Promise<{ rows: AuditRow[]; total: number }>;
  /** How many events match (an export's total). */
  count(db: Db, f: AuditFilter): Promise<number>;
  /**
   * The next `limit` matching events in the log's order (newest first) after the one the cursor names
   * (its time as exact database text and its id), for exports.
   */
  batch(db: Db, f: AuditFilter, after: { at: string; id: number } | undefined, limit: number): Promise<(AuditRow & { cursor_at: string })[]>;
}
