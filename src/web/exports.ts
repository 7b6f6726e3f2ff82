import type { Hono } from "hono";
import type { z } from "zod";
import type { AdminRole } from "../modules/identity/domain.ts";
import { contentDisposition } from "../modules/exports/domain.ts";
import type { ExportFile } from "../modules/exports/service.ts";
import type { Failure } from "../lib/result.ts";
import { requireAdmin } from "./guards.ts";
import { type AppEnv, type Ctx, render } from "./http.ts";
import { query } from "./validate.ts";

/**
 * 导出 CSV / 导出 Excel for a staff list, in a few lines of its router (docs/exports.md):
 *
 *   listExport(r, { path: "/admin/orders/export", source: "orders", roles: ORDER_READERS, schema: listQuery, toQuery });
 *
 * `GET path?format=csv|xlsx&<the list's filters>` answers the file at once when it is small, or a
 * confirmation (开始导出) when it is large; `POST` of that confirmation queues the background export
 * and redirects (303) to its progress page. The list's own query schema parses the filters, so the
 * export holds exactly the rows the list shows. A refusal (role, format, range, size) is a page with
 * the Chinese message, its status (400, 403, 422, 429) and a link back to the list.
 */
export function listExport<S extends z.ZodType>(
  r: Hono<AppEnv>,
  o: { path: string; source: string; roles: readonly AdminRole[]; schema: S; toQuery: (q: z.output<S>) => Record<string, unknown> },
): void {
  const handle = async (c: Ctx, queue: boolean) => {
    const staff = c.var.viewer.admin!;
    const parsed = (c.req.valid as (target: "query") => z.output<S>)("query");
    const q = o.toQuery(parsed);
    const format = c.req.query("format");
    const exports = c.var.deps.exports;
    if (queue) {
      const res = await exports.queue(staff, o.source, format, q, c.var.requestId);
      if (!res.ok) return refused(c, res, listLink(c, exports.listPath(o.source)));
      return c.redirect(`/admin/exports/${res.value.id}`, 303);
    }
    const res = await exports.prepare(staff, o.source, format, q, c.var.requestId);
    if (!res.ok) return refused(c, res, listLink(c, exports.listPath(o.source)));
    const p = res.value;
    if (p.kind === "file") return sendExport(c, p);
    return render(c, "admin/export-confirm", {
      ...p,
      listTitle: p.title,
      keep: keepText(c.var.deps.config.exports.ttlHours),
      title: `导出${p.title}`,
      format: format === "xlsx" ? "Excel" : "CSV",
      action: `${o.path}${new URL(c.req.url).search}`,
      back: listLink(c, p.listPath),
    });
  };
  r.get(o.path, requireAdmin(...o.roles), query(o.schema), (c) => handle(c, false));
  r.post(o.path, requireAdmin(...o.roles), query(o.schema), (c) => handle(c, true));
}

/** How long a background export's file is kept, as the pages say it: "1 天", "36 小时". */
export const keepText = (hours: number) => (hours % 24 === 0 ? `${hours / 24} 天` : `${hours} 小时`);

/** The list's page with the filters of this request (without the export's own `format` and the page number). */
function listLink(c: Ctx, listPath: string): string {
  const params = new URL(c.req.url).searchParams;
  params.delete("format");
  params.delete("page");
  const qs = params.toString();
  return qs ? `${listPath}?${qs}` : listPath;
}

function refused(c: Ctx, res: Failure, back: string) {
  const status = res.status === 404 ? 404 : res.status === 403 ? 403 : res.status === 400 ? 400 : res.status === 429 ? 429 : 422;
  return render(c, "admin/export-refused", { title: status === 403 ? "无权导出" : "无法导出", message: res.errors._form, back }, status);
}

/** An export as a download: its Chinese name in UTF-8 (RFC 5987), never cached, never sniffed. */
export function sendExport(c: Ctx, f: ExportFile) {
  return c.body(f.bytes as Uint8Array<ArrayBuffer>, 200, {
    "Content-Type": f.contentType === "text/csv" ? "text/csv; charset=utf-8" : f.contentType,
    "Content-Disposition": contentDisposition(f.name, f.fallbackName),
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
  });
}
