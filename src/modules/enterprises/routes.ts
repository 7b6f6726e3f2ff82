import { Hono } from "hono";
import { requireAccount } from "../../web/guards.ts";
import { type AppEnv, render } from "../../web/http.ts";
import { CERTIFICATION_STATUS_TEXT, type CertificationStatus } from "./domain.ts";

/** 个人中心 menu entries whose features land with later issues. */
export const ME_COMING_SOON: Record<string, string> = {
  certification: "企业信息认证",
  "payment-account": "支付认证",
  quota: "服务券配额申请",
  vouchers: "我的服务券",
  orders: "我购买的服务",
  demands: "我的需求管理",
  messages: "我的留言",
  "provider-application": "申请成为服务商",
};

export function enterpriseRoutes() {
  const r = new Hono<AppEnv>();
  r.use("/me", requireAccount);
  r.use("/me/*", requireAccount);

  // 个人中心 / 基本信息
  r.get("/me", async (c) => {
    const account = c.var.viewer.account!;
    const status = account.certificationStatus as CertificationStatus;
    return render(c, "me/profile", {
      title: "基本信息",
      menu: "profile",
      account,
      statusText: CERTIFICATION_STATUS_TEXT[status],
      certified: status === "certified",
    });
  });

  r.get("/me/:section{[a-z-]+}", async (c, next) => {
    const name = ME_COMING_SOON[c.req.param("section")];
    if (!name) return next();
    return render(c, "me/coming-soon", { title: name, menu: c.req.param("section"), feature: name });
  });
  return r;
}
