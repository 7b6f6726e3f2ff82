import type { Db } from "../../ports/db.ts";
import { type Result, fail, ok } from "../../lib/result.ts";
import { pageOf } from "../../lib/paging.ts";
import type { AuditFilter, AuditRepository, AuditRow } from "./ports.ts";

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

/** The 审计日志 use cases: staff browse the trail, filtered and paged. */
export function auditLogService(deps: { db: Db; auditRepo: AuditRepository }) {
  return {
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
export type AuditLogService = ReturnType<typeof auditLogService>;
