import type { Deps } from "./deps.ts";

export const DEMO_PASSWORD = "Demo#2026";

export const DEMO_ADMINS = [
  { username: "admin", displayName: "平台超级管理员", role: "super_admin" },
  { username: "reviewer", displayName: "审核员", role: "reviewer" },
  { username: "finance", displayName: "财务人员", role: "finance" },
  { username: "operator", displayName: "运营人员", role: "operator" },
] as const;

/** Demo enterprises: phones 13800000001 to 13800000009. Names are invented. */
export const DEMO_ENTERPRISES = [
  "广西南宁示例机械制造有限公司",
  "柳州示例汽车零部件有限公司",
  "桂林示例电子科技有限公司",
  "梧州示例陶瓷制品有限公司",
  "北海示例新材料股份有限公司",
  "玉林示例动力设备有限公司",
  "广西示例智能制造服务有限公司",
  "广西示例检验检测技术有限公司",
  "广西示例工业互联网科技有限公司",
].map((name, i) => ({ phone: `1380000000${i + 1}`, name }));

/**
 * Loads the demo data once (it checks before creating, so every start may call it).
 * The configuration refuses demo data in production.
 */
export async function seedDemo(deps: Deps): Promise<{ created: number }> {
  if (deps.config.env === "production") throw new Error("demo data is never loaded in production");
  let created = 0;
  for (const a of DEMO_ADMINS) {
    const res = await deps.identity.createAdmin({ ...a, password: DEMO_PASSWORD, actor: "cli" });
    if (res.ok) created++;
  }
  // One hash for every demo account: the same password, and start-up stays fast.
  let hash: string | undefined;
  for (const e of DEMO_ENTERPRISES) {
    hash ??= await deps.passwords.hash(DEMO_PASSWORD);
    const res = await deps.identity.seedAccount({ phone: e.phone, name: e.name, passwordHash: hash });
    if (res.created) created++;
  }
  if (created) deps.log.info({ created }, "demo data loaded");
  return { created };
}
