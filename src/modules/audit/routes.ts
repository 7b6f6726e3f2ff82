import { Hono } from "hono";
import { z } from "zod";
import { requireAdmin } from "../../web/guards.ts";
import { type AppEnv, render } from "../../web/http.ts";
import { dateFilter, enumFilter, pageNo, query, uuidFilter } from "../../web/validate.ts";
import { pagesOf } from "../../lib/paging.ts";
import { AUDIT_READERS, type AuditFilter } from "./service.ts";
import { shanghaiMidnight } from "../../lib/shanghai.ts";

const PAGE_SIZE = 50;
const ACTOR_TYPES = { account: "企业账号", admin: "平台人员", system: "系统", provider_callback: "服务机构回调" } as const;
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
  actorType: enumFilter(ACTOR_TYPES),
  from: dateFilter,
  to: dateFilter,
  page: pageNo,
});

/** 审计日志: staff browse the append-only audit trail with filters. */
export function auditRoutes() {
  const r = new Hono<AppEnv>();
  r.get("/admin/audit", requireAdmin(...AUDIT_READERS), query(auditQuery), async (c) => {
    const q = c.req.valid("query");
    const day = (s: string | undefined, plus = 0) => (s ? shanghaiMidnight(s, plus) : undefined);
    const f: AuditFilter = {
      entityType: q.entityType,
      entityId: q.entityId,
      action: q.action,
      actorType: q.actorType,
      from: day(q.from),
      to: day(q.to, 1),
    };
    const res = await c.var.deps.auditLog.browse(c.var.viewer.admin!, f, q.page, PAGE_SIZE);
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
    });
  });
  return r;
}
