import { Hono } from "hono";
import { ADMIN_ROLE_TEXT, type AdminRole } from "../identity/domain.ts";
import { ARTICLE_KIND_TEXT } from "../content/domain.ts";
import { categoryNamer } from "../catalog/domain.ts";
import { requireAccount, requireAdmin } from "../../web/guards.ts";
import { type AppEnv, render } from "../../web/http.ts";
import { publicPage } from "../../web/page-cache.ts";

/** The four portal shells: public home, provider center, admin home, and the development SMS outbox. */
export function portalRoutes() {
  const r = new Hono<AppEnv>();

  r.get("/", publicPage(["products", "catalog", "programmes", "content", "demands"]), async (c) => {
    const { deps } = c.var;
    const [general, special, categories, featured, figures, programmes, news, demands] = await Promise.all([
      deps.products.latest("general", 4),
      deps.products.latest("special", 4),
      deps.catalog.categories(),
      deps.products.featured(4),
      deps.portal.figures(),
      deps.vouchers.openProgrammes(),
      deps.content.latestForHome(6),
      deps.demands.latestPublished(5),
    ]);
    const name = categoryNamer(categories);
    return render(c, "public/home", {
      title: "首页",
      figures,
      programmes,
      news,
      newsKinds: ARTICLE_KIND_TEXT,
      demands,
      featured,
      general,
      special,
      categoryName: name,
    });
  });

  // 服务机构端: only for enterprises whose 服务商 application was approved.
  r.use("/provider", requireAccount);
  r.use("/provider/*", requireAccount);
  r.get("/provider", async (c) => {
    const account = c.var.viewer.account!;
    if (!account.isProvider) {
      return render(
        c,
        "errors/403",
        {
          title: "服务机构中心",
          message: "服务机构中心仅对审核通过的服务商开放。请先在个人中心申请成为服务商。",
          link: { href: "/me/provider-application", text: "申请成为服务商" },
        },
        403,
      );
    }
    const provider = await c.var.deps.catalog.providerOfAccount(account.id);
    return render(c, "provider/home", { title: "服务机构中心", account, provider });
  });

  // 管理端
  r.use("/admin", requireAdmin());
  r.get("/admin", async (c) => {
    const admin = c.var.viewer.admin!;
    const todo = await c.var.deps.portal.todo(admin);
    return render(c, "admin/home", { title: "管理端首页", admin, roleText: ADMIN_ROLE_TEXT[admin.role as AdminRole], todo });
  });

  // Development only: the SMS outbox (never mounted in production; the config refuses it there).
  r.get("/dev/sms", async (c) => {
    const { deps } = c.var;
    if (!deps.config.devSmsOutbox || !deps.smsOutbox) return c.notFound();
    const messages = await deps.smsOutbox.latest(50);
    c.header("Cache-Control", "no-store");
    return render(c, "dev/sms", { title: "短信发件箱（开发）", messages });
  });
  return r;
}
