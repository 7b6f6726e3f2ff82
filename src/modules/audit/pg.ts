import type { Db } from "../../ports/db.ts";
import type { AuditEvent, AuditFilter, AuditRepository, AuditRow } from "./ports.ts";

/** The where clause of a filter (`w`, empty without conditions), its conditions and parameters. */
function whereOf(f: AuditFilter) {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (col: string, op: string, v: unknown) => {
    params.push(v);
    where.push(`${col} ${op} $${params.length}`);
  };
  if (f.entityType) add("entity_type", "=", f.entityType);
  if (f.entityId) add("entity_id", "=", f.entityId);
  if (f.action) add("action", "=", f.action);
  if (f.actorType) add("actor_type", "=", f.actorType);
  if (f.from) add("occurred_at", ">=", f.from);
  if (f.to) add("occurred_at", "<", f.to);
  return { where, params, w: where.length ? `where ${where.join(" and ")}` : "" };
}

/** The audit trail in SQL: one append-only table (a trigger refuses updates and deletes). */
export const pgAudit: AuditRepository = {
  async record(db: Db, e: AuditEvent): Promise<void> {
    await db.query(
      `insert into audit_events (actor_type, actor_id, entity_type, entity_id, action, from_status, to_status, reason, request_id, data)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb)`,
      [
        e.actorType,
        e.actorId ?? null,
        e.entityType,
        e.entityId ?? null,
        e.action,
        e.fromStatus ?? null,
        e.toStatus ?? null,
        e.reason ?? null,
        e.requestId ?? null,
        JSON.stringify(e.data ?? {}),
      ],
    );
  },
  async forEntity(db: Db, entityType: string, entityId: string): Promise<AuditRow[]> {
    return db.query<AuditRow>(
      `select id, occurred_at, actor_type, actor_id, entity_type, entity_id, action, from_status, to_status, reason, request_id
         from audit_events where entity_type = $1 and entity_id = $2 order by occurred_at, id`,
      [entityType, entityId],
    );
  },
  /** Newest first, filtered in SQL, one page at a time. */
  async browse(db: Db, f: AuditFilter, limit: number, offset: number): Promise<{ rows: AuditRow[]; total: number }> {
    const { w, params } = whereOf(f);
    const rows = await db.query<AuditRow>(
      `select id, occurred_at, actor_type, actor_id, entity_type, entity_id, action, from_status, to_status, reason, request_id
         from audit_events ${w} order by occurred_at desc, id desc limit $${params.length + 1} offset $${params.length + 2}`,
      [...params, limit, offset],
    );
    const [count] = await db.query<{ n: number }>(`select count(*)::int as n from audit_events ${w}`, params);
    return { rows, total: count!.n };
  },
  async count(db: Db, f: AuditFilter): Promise<number> {
    const { w, params } = whereOf(f);
    const [count] = await db.query<{ n: number }>(`select count(*)::int as n from audit_events ${w}`, params);
    return count!.n;
  },
  async batch(db: Db, f: AuditFilter, after: { at: string; id: number } | undefined, limit: number) {
    const { where, params } = whereOf(f);
    if (after) {
      params.push(after.at, after.id);
      where.push(`(occurred_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::bigint)`);
    }
    params.push(limit);
    return db.query<AuditRow & { cursor_at: string }>(
      `select id, occurred_at, actor_type, actor_id, entity_type, entity_id, action, from_status, to_status, reason, request_id,
              occurred_at::text as cursor_at
         from audit_events ${where.length ? `where ${where.join(" and ")}` : ""} order by occurred_at desc, id desc limit $${params.length}`,
      params,
    );
  },
};
