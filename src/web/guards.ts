import type { MiddlewareHandler } from "hono";
import type { AdminRole } from "../modules/identity/domain.ts";
import { type AppEnv, render } from "./http.ts";

/** Signed-in enterprise account required; otherwise to the login page and back afterwards. */
export const requireAccount: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.var.viewer.account) {
    const back = c.req.method === "GET" ? c.req.path + (new URL(c.req.url).search || "") : "/me";
    return c.redirect(`/login?next=${encodeURIComponent(back)}`, 303);
  }
  await next();
};

/** Signed-in staff required, optionally with one of the given roles. */
export function requireAdmin(...roles: AdminRole[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const admin = c.var.viewer.admin;
    if (!admin) {
      const back = c.req.method === "GET" ? c.req.path : "/admin";
      return c.redirect(`/admin/login?next=${encodeURIComponent(back)}`, 303);
    }
    if (roles.length && !roles.includes(admin.role as AdminRole)) {
      return render(c, "errors/403", { title: "无权访问", message: "您的角色无权进行此操作。" }, 403);
    }
    await next();
  };
}
