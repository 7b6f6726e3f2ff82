import { Hono } from "hono";
import { z } from "zod";
import { requireAdmin } from "../../web/guards.ts";
import { type AppEnv, type Ctx, render } from "../../web/http.ts";
import { keepText, sendExport } from "../../web/exports.ts";
import { params, uuid } from "../../web/validate.ts";
import { EXPORT_FORMATS, EXPORT_STATUS_TEXT } from "./domain.ts";

const idParam = z.object({ id: uuid("导出记录不存在") });
const labels = { status: EXPORT_STATUS_TEXT, format: EXPORT_FORMATS };

/**
 * A staff member's background exports (docs/exports.md): 我的导出, each export's progress page
 * (polled by htmx, 刷新 without JavaScript) and its download. Only the staff member who asked sees
 * an export; anyone else gets 404. The buttons that start exports are on each list (web/exports.ts).
 */
export function exportRoutes() {
  const r = new Hono<AppEnv>();
  const missing = (c: Ctx) => render(c, "errors/404", { title: "导出记录不存在" }, 404);

  r.get("/admin/exports", requireAdmin(), async (c) => {
    const jobs = await c.var.deps.exports.mine(c.var.viewer.admin!);
    return render(c, "admin/exports", { title: "我的导出", jobs, labels, keep: keepText(c.var.deps.config.exports.ttlHours) });
  });

  r.get("/admin/exports/:id", requireAdmin(), params(idParam, missing), async (c) => {
    const res = await c.var.deps.exports.job(c.var.viewer.admin!, c.req.valid("param").id);
    if (!res.ok) return missing(c);
    return render(c, "admin/export", { title: `导出${res.value.title}`, job: res.value, labels });
  });

  r.get("/admin/exports/:id/download", requireAdmin(), params(idParam, missing), async (c) => {
    const res = await c.var.deps.exports.download(c.var.viewer.admin!, c.req.valid("param").id);
    if (!res.ok) {
      if (res.status === 404) return missing(c);
      const status = res.status === 410 ? 410 : res.status === 403 ? 403 : 409;
      return render(
        c,
        "admin/export-refused",
        { title: "无法下载", message: res.errors._form, back: `/admin/exports/${c.req.valid("param").id}` },
        status,
      );
    }
    return sendExport(c, res.value);
  });

  return r;
}
