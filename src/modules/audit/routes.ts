import { Hono } from "hono";
import { z } from "zod";
import { requireAdmin } from "../../web/guards.ts";
import { type AppEnv, render } from "../../web/http.ts";
import { listExport } from "../../web/exports.ts";
import { dateFilter, enumFilter, pageNo, query, uuidFilter } from "../../web/validate.ts";
import { pagesOf } from "../../lib/paging.ts";
import { ACTOR_TYPE_TEXT, AUDIT_READERS, type AuditQuery, auditFilter } from "./service.ts";

const PAGE_SIZE = 50;
/** A code-like filter (entity type, action): anything else is ignored. */
const code = (max: number) =>
  z
    .string()
    .regex(new RegExp(`^[a-z_]{1,${max}}$`))
    .optional()
    .catch(undefined);

const auditQuery = z.object({
  entityType: code(40),
  entityId: uuidFilter,
  action: code(60),
  actorType: enumFilter(ACTOR_TYPE_TEXT),
  from: dateFilter,
  to: dateFilter,
  page: pageNo,
});

/** The use cases' query of the parsed one (the page number left out). */
const auditQueryOf = (q: z.output<typeof auditQuery>): AuditQuery => ({
  entityType: q.entityType,
  entityId: q.entityId,
  action: q.action,
  actorType: q.actorType,
  from: q.from,
  to: q.to,
});

/** 审计日志: staff browse the append-only audit trail with filters. */
export function auditRoutes() {
  const r = new Hono<AppEnv>();
  // 导出 CSV / 导出 Excel of the filtered log (docs/exports.md); a date range of at most EXPORT_MAX_RANGE_DAYS is required.
  listExport(r, { path: "/admin/audit/export", source: "audit", roles: AUDIT_READERS, schema: auditQuery, toQuery: auditQueryOf });
  r.get("/admin/audit", requireAdmin(...AUDIT_READERS), query(auditQuery), async (c) => {
    const q = c.req.valid("query");
    const res = await c.var.deps.auditLog.browse(c.var.viewer.admin!, auditFilter(auditQueryOf(q)), q.page, PAGE_SIZE);
    if (!res.ok) return render(c, "errors/403", { title: "无权访问" }, 403);
    const { rows, total } = res.value;
    const shown = {
      entityType: q.entityType ?? "",
      entityId: q.entityId ?? "",
      action: q.action ?? "",
      actorType: q.actorType ?? "",
      from: q.from ?? "",
      to: q.to ?? "",
    };
    const link = new URLSearchParams();
    for (const [k, v] of Object.entries(shown)) if (v) link.set(k, v);
    return render(c, "admin/audit", {
      title: "审计日志",
      rows,
      total,
      pageNo: q.page,
      pages: pagesOf(total, PAGE_SIZE),
      q: shown,
      query: link.toString(),
      exportRangeDays: c.var.deps.config.exports.maxRangeDays,
    });
  });
  return r;
}
