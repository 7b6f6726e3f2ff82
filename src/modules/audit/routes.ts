import { Hono } from "hono";
import { requireAdmin } from "../../web/guards.ts";
import { type AppEnv, render } from "../../web/http.ts";
import { type ActorType, type AuditFilter, audit } from "./service.ts";

const PAGE_SIZE = 50;
const ACTOR_TYPES: ActorType[] = ["account", "admin", "system", "provider_callback"];

/** 审计日志: staff browse the append-only audit trail with filters. */
export function auditRoutes() {
  const r = new Hono<AppEnv>();
  r.get("/admin/audit", requireAdmin("super_admin", "reviewer"), async (c) => {
    const q = c.req.query();
    const f: AuditFilter = {};
    if (q.entityType && /^[a-z_]{1,40}$/.test(q.entityType)) f.entityType = q.entityType;
    if (q.entityId && /^[0-9a-f-]{36}$/i.test(q.entityId)) f.entityId = q.entityId;
    if (q.action && /^[a-z_]{1,60}$/.test(q.action)) f.action = q.action;
    if (q.actorType && (ACTOR_TYPES as string[]).includes(q.actorType)) f.actorType = q.actorType as ActorType;
    const day = (s: string | undefined, plus = 0) =>
      s && /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00+08:00`))
        ? new Date(Date.parse(`${s}T00:00:00+08:00`) + plus * 86400_000)
        : undefined;
    f.from = day(q.from);
    f.to = day(q.to, 1);
    const page = Math.max(1, Math.floor(Number(q.page)) || 1);
    const { rows, total } = await audit.browse(c.var.deps.db, f, PAGE_SIZE, (page - 1) * PAGE_SIZE);
    const params = new URLSearchParams();
    for (const k of ["entityType", "entityId", "action", "actorType", "from", "to"]) if (q[k]) params.set(k, q[k]!);
    return render(c, "admin/audit", {
      title: "审计日志",
      rows,
      total,
      pageNo: page,
      pages: Math.max(1, Math.ceil(total / PAGE_SIZE)),
      q,
      query: params.toString(),
    });
  });
  return r;
}
