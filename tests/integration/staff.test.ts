import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp, testClock } from "../support/app.ts";
import { Browser } from "../support/client.ts";
import { signInAdmin } from "../support/flows.ts";

/** 工作人员管理 (super admin only) and the staff's TOTP second factor. */
let t: TestApp;
const clock = testClock();
beforeAll(async () => {
  t = await makeTestApp({ demo: true, clock });
});
afterAll(async () => t?.close());

let ipSeq = 0;
const fresh = () => new Browser(t, "http://localhost", `10.50.0.${++ipSeq}`);
const idOf = async (username: string) => (await t.deps.db.query<{ id: string }>("select id from admin_users where username = $1", [username]))[0]!.id;
const auditOf = (id: string) =>
  t.deps.db.query<{ action: string; actor_id: string | null; from_status: string | null; to_status: string | null; data: Record<string, unknown> }>(
    "select action, actor_id, from_status, to_status, data from audit_events where entity_type = 'admin_user' and entity_id = $1 order by id",
    [id],
  );

async function createStaff(admin: Browser, username: string, role = "operator", password = "Staff#Pass2026") {
  await admin.get("/admin/staff");
  const res = await admin.post("/admin/staff", { username, displayName: `${username}姓名`, role, password });
  expect(res.status, admin.lastHtml.match(/<div class="error-summary"[\s\S]*?<\/div>/)?.[0]).toBe(303);
  return idOf(username);
}

/** Password step; returns the browser and where it was sent. */
async function passwordStep(username: string, password = "Staff#Pass2026") {
  const b = fresh();
  await b.get("/admin/login");
  const res = await b.post("/admin/login", { username, password });
  expect(res.status).toBe(303);
  return { b, location: res.headers.get("Location") };
}

const totpCode = (secret: string, at = clock.now().getTime()) =>
  new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" }).generate({ timestamp: at });

/** Enrols the signed-in (or enrolment-pending) browser; returns the secret and the recovery codes shown. */
async function enrol(b: Browser) {
  await b.get("/admin/two-factor");
  const secret = b.lastHtml.match(/<code class="secret"[^>]*>([^<]+)<\/code>/)![1]!.replace(/\s/g, "");
  expect(b.lastHtml).toContain("<svg");
  const res = await b.post("/admin/two-factor", { code: totpCode(secret) });
  expect(res.status).toBe(303);
  expect(res.headers.get("Location")).toBe("/admin/two-factor/recovery-codes");
  await b.get("/admin/two-factor/recovery-codes");
  const codes = [...b.lastHtml.matchAll(/<li><code>([a-z0-9-]+)<\/code><\/li>/g)].map((m) => m[1]!);
  return { secret, codes };
}

describe("工作人员管理", () => {
  it("is for super admins only: other roles get 403 on every page and action", async () => {
    const target = await idOf("operator");
    for (const role of ["reviewer", "finance", "operator"]) {
      const b = await signInAdmin(t, role);
      expect((await b.get("/admin/staff")).status, role).toBe(403);
      await b.get("/admin");
      expect(b.lastHtml).not.toContain('href="/admin/staff"');
      expect((await b.get(`/admin/staff/${target}`)).status).toBe(403);
      const posts: [string, Record<string, string>][] = [
        ["/admin/staff", { username: "sneaky", displayName: "x", role: "super_admin", password: "Sneaky#2026x" }],
        [`/admin/staff/${target}/role`, { role: "super_admin" }],
        [`/admin/staff/${target}/status`, { status: "disabled" }],
        [`/admin/staff/${target}/password`, { password: "Sneaky#2026x", confirm: "Sneaky#2026x" }],
        [`/admin/staff/${target}/two-factor/reset`, {}],
      ];
      for (const [path, fields] of posts) expect((await b.post(path, fields)).status, `${role} ${path}`).toBe(403);
    }
    expect(await t.deps.db.query("select 1 from admin_users where username = 'sneaky'")).toHaveLength(0);
    expect((await t.deps.identity.staffList({ adminId: target, role: "operator" })).ok).toBe(false);
  });

  it("the super admin lists staff from the admin home and creates an account, audited", async () => {
    const admin = await signInAdmin(t, "admin");
    await admin.get("/admin");
    expect(admin.lastHtml).toContain('href="/admin/staff"');
    expect(admin.lastHtml).toContain("待办");
    await admin.get("/admin/staff");
    for (const u of ["admin", "reviewer", "finance", "operator"]) expect(admin.lastHtml).toContain(`>${u}</a>`);

    const bad = await admin.post("/admin/staff", { username: "9x", displayName: "", role: "constructor", password: "short" });
    expect(bad.status).toBe(422);
    expect(admin.lastHtml).toContain("请选择角色");
    await admin.post("/admin/staff", { username: "9x", displayName: "", role: "operator", password: "short" });
    expect(admin.lastHtml).toContain("用户名为3-32位字母、数字或 _ . -，以字母开头");
    expect(admin.lastHtml).toContain("密码至少8位");

    const id = await createStaff(admin, "newops");
    const rows = await auditOf(id);
    expect(rows.map((r) => r.action)).toEqual(["created"]);
    expect(rows[0]!.actor_id).toBe(await idOf("admin"));
    const dup = await admin.post("/admin/staff", { username: "newops", displayName: "重复", role: "operator", password: "Staff#Pass2026" });
    expect(dup.status).toBe(409);
    expect(admin.lastHtml).toContain("该用户名已存在");
    const { location } = await passwordStep("newops");
    expect(location).toBe("/admin");
  });

  it("停用 ends the person's session at once and blocks sign-in; 启用 lets them back", async () => {
    const admin = await signInAdmin(t, "admin");
    const id = await createStaff(admin, "leaver");
    const { b: person } = await passwordStep("leaver");
    expect((await person.get("/admin")).status).toBe(200);

    await admin.get(`/admin/staff/${id}`);
    expect((await admin.post(`/admin/staff/${id}/status`, { status: "disabled" })).status).toBe(303);
    const after = await person.get("/admin");
    expect(after.status).toBe(303);
    expect(after.headers.get("Location")).toMatch(/^\/admin\/login/);
    const again = fresh();
    await again.get("/admin/login");
    expect((await again.post("/admin/login", { username: "leaver", password: "Staff#Pass2026" })).status).toBe(422);

    await admin.get(`/admin/staff/${id}`);
    expect(admin.lastHtml).toContain("停用");
    expect((await admin.post(`/admin/staff/${id}/status`, { status: "active" })).status).toBe(303);
    expect((await passwordStep("leaver")).location).toBe("/admin");
    const rows = await auditOf(id);
    expect(rows.map((r) => [r.action, r.from_status, r.to_status])).toEqual([
      ["created", null, "active"],
      ["disabled", "active", "disabled"],
      ["enabled", "disabled", "active"],
    ]);
  });

  it("重置密码 ends the person's open sessions; 修改角色 takes effect in the open session; both audited", async () => {
    const admin = await signInAdmin(t, "admin");
    const id = await createStaff(admin, "mover");
    const { b: person } = await passwordStep("mover");
    expect((await person.get("/admin/audit")).status).toBe(403);

    await admin.get(`/admin/staff/${id}`);
    const mismatch = await admin.post(`/admin/staff/${id}/password`, { password: "Fresh#Pass2026", confirm: "Other#Pass2026" });
    expect(mismatch.status).toBe(422);
    expect(admin.lastHtml).toContain("两次输入的密码不一致");
    clock.advance(1000);
    expect((await admin.post(`/admin/staff/${id}/password`, { password: "Fresh#Pass2026", confirm: "Fresh#Pass2026" })).status).toBe(303);
    const old = fresh();
    await old.get("/admin/login");
    expect((await old.post("/admin/login", { username: "mover", password: "Staff#Pass2026" })).status).toBe(422);
    // The session signed in with the old password is over at its next request.
    const ended = await person.get("/admin");
    expect(ended.status).toBe(303);
    expect(ended.headers.get("Location")).toMatch(/^\/admin\/login/);
    const { b: renewed, location } = await passwordStep("mover", "Fresh#Pass2026");
    expect(location).toBe("/admin");
    expect((await renewed.get("/admin/audit")).status).toBe(403);

    expect((await admin.post(`/admin/staff/${id}/role`, { role: "__proto__" })).status).toBe(422);
    expect((await admin.post(`/admin/staff/${id}/role`, { role: "reviewer" })).status).toBe(303);
    // The role is read again at each request: the open session now has the reviewer's pages.
    expect((await renewed.get("/admin/audit")).status).toBe(200);
    const rows = await auditOf(id);
    expect(rows.map((r) => r.action)).toEqual(["created", "password_reset", "role_changed"]);
    expect(rows[2]!.data).toEqual({ from: "operator", to: "reviewer" });
  });

  it("keeps an active super admin: no self-disable, the last one cannot be demoted or disabled", async () => {
    const admin = await signInAdmin(t, "admin");
    const me = await idOf("admin");
    await admin.get(`/admin/staff/${me}`);
    const demote = await admin.post(`/admin/staff/${me}/role`, { role: "operator" });
    expect(demote.status).toBe(409);
    expect(admin.lastHtml).toContain("至少需要保留一名启用的超级管理员");
    const disable = await admin.post(`/admin/staff/${me}/status`, { status: "disabled" });
    expect(disable.status).toBe(409);
    expect(admin.lastHtml).toContain("不能停用自己的账号");

    const second = await createStaff(admin, "boss2", "super_admin");
    const { b: boss2 } = await passwordStep("boss2");
    await boss2.get(`/admin/staff/${me}`);
    // Two super admins: one may be demoted, then the remaining one is the last.
    expect((await boss2.post(`/admin/staff/${me}/role`, { role: "reviewer" })).status).toBe(303);
    await boss2.get(`/admin/staff/${second}`);
    expect((await boss2.post(`/admin/staff/${second}/role`, { role: "operator" })).status).toBe(409);
    expect((await boss2.post(`/admin/staff/${me}/role`, { role: "super_admin" })).status).toBe(303);
    expect((await t.deps.db.query<{ role: string }>("select role from admin_users where id = $1", [me]))[0]!.role).toBe("super_admin");
  });
});

describe("两步验证", () => {
  it("enrols with a QR code and a confirming code, shows 10 recovery codes once, audited", async () => {
    const admin = await signInAdmin(t, "admin");
    const id = await createStaff(admin, "enroller");
    const { b } = await passwordStep("enroller");
    await b.get("/admin");
    expect(b.lastHtml).toContain('href="/admin/two-factor"');
    await b.get("/admin/two-factor");
    const wrong = await b.post("/admin/two-factor", { code: "12345" });
    expect(wrong.status).toBe(422);
    expect(b.lastHtml).toContain("验证码为6位数字");
    const { codes } = await enrol(b);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    await b.get("/admin/two-factor/recovery-codes");
    expect(b.lastHtml).toContain("现已不再显示");
    await b.get("/admin/two-factor");
    expect(b.lastHtml).toContain("已启用");
    expect(b.lastHtml).toContain("未使用的恢复码：10 个");
    const stored = await t.deps.db.query<{ code_hash: string }>("select code_hash from admin_recovery_codes where admin_id = $1", [id]);
    expect(stored).toHaveLength(10);
    for (const c of codes) expect(stored.map((s) => s.code_hash)).not.toContain(c);
    expect((await auditOf(id)).map((r) => r.action)).toEqual(["created", "two_factor_enrolled"]);
  });

  it("signs in with the 6-digit code after the password; the session is an admin one only after it; a code is not accepted twice", async () => {
    const admin = await signInAdmin(t, "admin");
    await createStaff(admin, "totpuser");
    const { b: first } = await passwordStep("totpuser");
    const { secret } = await enrol(first);

    clock.advance(30_000);
    const { b, location } = await passwordStep("totpuser");
    expect(location).toBe("/admin/login/code");
    // Between the steps nothing of the admin portal opens.
    const early = await b.get("/admin");
    expect(early.status).toBe(303);
    expect(early.headers.get("Location")).toMatch(/^\/admin\/login/);
    await b.get("/admin/login/code");
    expect(b.lastHtml).toContain("验证码或恢复码");
    const code = totpCode(secret);
    const ok = await b.post("/admin/login/code", { code });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("Location")).toBe("/admin");
    expect((await b.get("/admin")).status).toBe(200);

    // The same code again (still inside its window): refused.
    const { b: replay } = await passwordStep("totpuser");
    await replay.get("/admin/login/code");
    const res = await replay.post("/admin/login/code", { code });
    expect(res.status).toBe(422);
    expect(replay.lastHtml).toContain("验证码不正确或已使用");
    // A code of the previous step (inside the ±1 window, but not later than the used one): refused too.
    expect((await replay.post("/admin/login/code", { code: totpCode(secret, clock.now().getTime() - 30_000) })).status).toBe(422);
    // The next step's code, within the ±1 window: accepted.
    expect((await replay.post("/admin/login/code", { code: totpCode(secret, clock.now().getTime() + 30_000) })).status).toBe(303);
  });

  it("a recovery code works once; wrong codes are rate-limited", async () => {
    const admin = await signInAdmin(t, "admin");
    const id = await createStaff(admin, "recoverer");
    const { b: first } = await passwordStep("recoverer");
    const { codes } = await enrol(first);

    const { b } = await passwordStep("recoverer");
    await b.get("/admin/login/code");
    const used = await b.post("/admin/login/code", { code: codes[3]!.toUpperCase() });
    expect(used.status).toBe(303);
    await b.get("/admin");
    expect(b.lastHtml).toContain("已使用一个恢复码，还剩9个");

    const { b: again } = await passwordStep("recoverer");
    await again.get("/admin/login/code");
    const res = await again.post("/admin/login/code", { code: codes[3]! });
    expect(res.status).toBe(422);
    expect(again.lastHtml).toContain("恢复码不正确或已使用");
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await again.post("/admin/login/code", { code: "000000" })).status);
    expect(statuses).toEqual([422, 422, 422, 422, 429]);
    expect(again.lastHtml).toContain("验证码错误次数过多");
    expect((await auditOf(id)).map((r) => r.action)).toEqual(["created", "two_factor_enrolled", "recovery_code_used"]);
    clock.advance(16 * 60_000);
  });

  it("the super admin resets someone's second factor (audited); they sign in with the password again", async () => {
    const admin = await signInAdmin(t, "admin");
    const id = await createStaff(admin, "lostphone");
    const { b: first } = await passwordStep("lostphone");
    await enrol(first);
    expect((await passwordStep("lostphone")).location).toBe("/admin/login/code");

    await admin.get(`/admin/staff/${id}`);
    expect(admin.lastHtml).toContain("已启用（剩余恢复码10个）");
    clock.advance(1000);
    expect((await admin.post(`/admin/staff/${id}/two-factor/reset`, {})).status).toBe(303);
    expect(await t.deps.db.query("select 1 from admin_recovery_codes where admin_id = $1", [id])).toHaveLength(0);
    // The session that enrolled the lost phone is over.
    expect((await first.get("/admin")).headers.get("Location")).toMatch(/^\/admin\/login/);
    expect((await passwordStep("lostphone")).location).toBe("/admin");
    expect((await auditOf(id)).map((r) => r.action)).toEqual(["created", "two_factor_enrolled", "two_factor_reset"]);
    expect((await admin.post(`/admin/staff/${id}/two-factor/reset`, {})).status).toBe(409);
  });
});

describe("两步验证 in production", () => {
  let p: TestApp;
  const pclock = testClock();
  beforeAll(async () => {
    p = await makeTestApp({
      clock: pclock,
      captchaTestAnswer: null,
      env: { NODE_ENV: "production", DEV_SMS_OUTBOX: "false", ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 9).toString("base64")}` },
    });
    for (const [username, role] of [
      ["chief", "super_admin"],
      ["cashier", "finance"],
      ["helper", "operator"],
    ] as const) {
      await p.deps.identity.createAdmin({ username, displayName: username, password: "Prod#Pass2026", role, actor: "cli" });
    }
  });
  afterAll(async () => p?.close());

  const login = async (username: string) => {
    const b = new Browser(p, "http://localhost", `10.51.0.${++ipSeq}`);
    await b.get("/admin/login");
    const res = await b.post("/admin/login", { username, password: "Prod#Pass2026" });
    return { b, status: res.status, location: res.headers.get("Location") };
  };

  it("sends super_admin and finance without a second factor to enrolment, and nothing else opens until enrolled", async () => {
    for (const username of ["chief", "cashier"]) {
      const { b, location } = await login(username);
      expect(location).toBe("/admin/two-factor");
      for (const path of ["/admin", "/admin/staff", "/admin/audit"]) {
        const res = await b.get(path);
        expect(res.status, path).toBe(303);
        expect(res.headers.get("Location")).toMatch(/^\/admin\/login/);
      }
      await b.get("/admin/two-factor");
      expect(b.lastHtml).toContain("您的角色须启用两步验证后才能使用管理端");
      const secret = b.lastHtml.match(/<code class="secret"[^>]*>([^<]+)<\/code>/)![1]!.replace(/\s/g, "");
      const code = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate({ timestamp: pclock.now().getTime() });
      expect((await b.post("/admin/two-factor", { code })).status).toBe(303);
      expect((await b.get("/admin/two-factor/recovery-codes")).status).toBe(200);
      expect(b.lastHtml).toContain("只显示这一次");
      expect((await b.get("/admin")).status).toBe(200);
      pclock.advance(30_000);
      expect((await login(username)).location).toBe("/admin/login/code");
    }
    // Other roles may sign in without one.
    expect((await login("helper")).location).toBe("/admin");
  });

  it("a reset second factor ends the super admin's session at the next request", async () => {
    const { b, location } = await login("cashier");
    expect(location).toBe("/admin/login/code");
    // The secret is sealed in its row; the test opens it with the app's own cipher.
    const row = (await p.deps.db.query<{ id: string; totp_secret: string }>("select id, totp_secret from admin_users where username = 'cashier'"))[0]!;
    expect(row.totp_secret).toMatch(/^v1\./);
    const secret = await p.deps.cipher.open(row.totp_secret, { table: "admin_users", column: "totp_secret", owner: row.id });
    pclock.advance(30_000);
    const code = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate({ timestamp: pclock.now().getTime() });
    await b.get("/admin/login/code");
    expect((await b.post("/admin/login/code", { code })).status).toBe(303);
    expect((await b.get("/admin")).status).toBe(200);
    const chief = (await p.deps.db.query<{ id: string }>("select id from admin_users where username = 'chief'"))[0]!.id;
    const cashier = (await p.deps.db.query<{ id: string }>("select id from admin_users where username = 'cashier'"))[0]!.id;
    expect((await p.deps.identity.resetStaffTwoFactor({ adminId: chief, role: "super_admin" }, cashier)).ok).toBe(true);
    expect((await b.get("/admin")).status).toBe(303);
    expect((await login("cashier")).location).toBe("/admin/two-factor");
  });
});
