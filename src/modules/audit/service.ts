import type { Db } from "../../ports/db.ts";
import { type Result, fail, ok } from "../../lib/result.ts";
import { pageOf } from "../../lib/paging.ts";
import { shanghaiMidnight } from "../../lib/shanghai.ts";
import { checkDateRange, defineExport } from "../exports/domain.ts";
import type { ActorType, AuditFilter, AuditRepository, AuditRow } from "./ports.ts";

export type { ActorType, AuditEvent, AuditFilter, AuditRow } from "./ports.ts";

/**
 * The entity type of staff reads of an enterprise's protected data (full ID numbers, licences and
 * other certification files, bank account details): entity id the enterprise, action what was read.
 * Kept apart from "enterprise" so the enterprise's timeline shows its changes, not every look.
 */
export const PROTECTED_DATA_READ = "enterprise_data";

/**
 * What other modules receive to write their events: `record(tx, event)` in the caller's transaction
 * (and `forEntity` for timelines).
 */
export type Audit = AuditRepository;

/** Who may browse the audit log (审计日志). */
export const AUDIT_READERS = ["super_admin", "reviewer"] as const;

/** Who acted, as 审计日志 names it. */
export const ACTOR_TYPE_TEXT: Record<ActorType, string> = { account: "企业账号", admin: "平台人员", system: "系统", provider_callback: "服务机构回调" };

/** 审计日志's query as its route parsed it: codes, an id, dates YYYY-MM-DD (both ends included, Asia/Shanghai). */
export type AuditQuery = { entityType?: string; entityId?: string; action?: string; actorType?: ActorType; from?: string; to?: string };

/** The repository's filter of a query: the dates as Asia/Shanghai day bounds (the whole `to` day included). */
export function auditFilter(q: AuditQuery): AuditFilter {
  const day = (s: string | undefined, plus = 0) => (s && /^\d{4}-\d{2}-\d{2}$/.test(s) ? shanghaiMidnight(s, plus) : undefined);
  return { entityType: q.entityType, entityId: q.entityId, action: q.action, actorType: q.actorType, from: day(q.from), to: day(q.to, 1) };
}

/** The 审计日志 use cases: staff browse the trail, filtered and paged, and export it. */
export function auditLogService(deps: { db: Db; auditRepo: AuditRepository }) {
  /**
   * 审计日志 as an export (docs/exports.md): the same filters and order; the trail grows with every
   * action, so an export needs a date range of at most `maxRangeDays` days.
   */
  const exportSource = defineExport<AuditQuery, AuditRow & { cursor_at?: string }>({
    key: "audit",
    title: "审计日志",
    listPath: "/admin/audit",
    readers: AUDIT_READERS,
    columns: [
      { header: "时间", kind: "time", value: (r) => r.occurred_at },
      { header: "操作人类型", kind: "text", value: (r) => ACTOR_TYPE_TEXT[r.actor_type] ?? r.actor_type, width: 12 },
      { header: "操作人编号", kind: "text", value: (r) => r.actor_id, width: 38 },
      { header: "对象类型", kind: "text", value: (r) => r.entity_type, width: 16 },
      { header: "对象编号", kind: "text", value: (r) => r.entity_id, width: 38 },
      { header: "操作", kind: "text", value: (r) => r.action, width: 28 },
      { header: "原状态", kind: "text", value: (r) => r.from_status, width: 14 },
      { header: "新状态", kind: "text", value: (r) => r.to_status, width: 14 },
      { header: "原因", kind: "text", value: (r) => r.reason, width: 40 },
      { header: "请求编号", kind: "text", value: (r) => r.request_id, width: 24 },
    ],
    check: (q, limits) => checkDateRange(q.from, q.to, { required: true, maxDays: limits.maxRangeDays }),
    count: (q, asOf) => deps.auditRepo.count(deps.db, atOrBefore(auditFilter(q), asOf)),
    async rows(q, asOf, limit, cursor) {
      const [at, id] = cursor ? (JSON.parse(cursor) as [string, number]) : [];
      const rows = await deps.auditRepo.batch(deps.db, atOrBefore(auditFilter(q), asOf), at && id ? { at, id } : undefined, limit);
      const last = rows.at(-1);
      return { rows, cursor: last && rows.length === limit ? JSON.stringify([last.cursor_at, last.id]) : undefined };
    },
  });
  return {
    exportSource,
    async browse(
      staff: { role: string },
      f: AuditFilter,
      page: number,
      pageSize: number,
    ): Promise<Result<{ rows: AuditRow[]; total: number; page: number }>> {
      if (!(AUDIT_READERS as readonly string[]).includes(staff.role)) return fail({ _form: "无权查看审计日志" }, 403);
      const p = pageOf(page);
      const { rows, total } = await deps.auditRepo.browse(deps.db, f, pageSize, (p - 1) * pageSize);
      return ok({ rows, total, page: p });
    },
  };
}
/** Only events recorded by `asOf` (an export leaves out what happens while it runs). */
function atOrBefore(f: AuditFilter, asOf: Date): AuditFilter {
  const end = new Date(asOf.getTime() + 1);
  return { ...f, to: f.to && f.to < end ? f.to : end };
}
export type AuditLogService = ReturnType<typeof auditLogService>;
