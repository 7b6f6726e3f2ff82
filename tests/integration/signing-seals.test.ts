import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "../support/client.ts";
import { pathOf } from "../support/esign.ts";
import { certify, pendingApplicationId, registerNew, signIn, signInAdmin } from "../support/flows.ts";
import { accountOf } from "../support/orders.ts";
import { type SigningWorld, legalOf, passFace, signingWorld } from "../support/signing.ts";

/**
 * 我的签章 (/me/seal, /provider/seal) through the pages: the gate before certification, 制作签章
 * through the mock provider's face check and its callback, a failed check, 重新制作 (the old seal
 * retired, history kept), the same seal in 服务机构中心, each enterprise its own, the 经办人, bad
 * input refused with nothing changed, and callback replays that change nothing.
 */

let w: SigningWorld;
beforeAll(async () => {
  w = await signingWorld();
});
afterAll(async () => w?.t.close());

const sealRows = async (accountId: string) =>
  w.t.deps.db.query<{ id: string; status: string; activated_at: Date | null; disabled_at: Date | null; failure_reason: string | null }>(
    "select s.id, s.status, s.activated_at, s.disabled_at, s.failure_reason from seals s join enterprises e on e.id = s.enterprise_id where e.account_id = $1 order by s.created_at, s.id",
    [accountId],
  );
const statuses = async (accountId: string) => (await sealRows(accountId)).map((r) => r.status);

/** The page's 签章记录 rows as their 状态 texts, newest first. */
const historyOn = (html: string) => [...html.matchAll(/<td data-label="状态"><span class="status">([^<]+)<\/span>/g)].map((m) => m[1]);

/** 制作签章 on the page (who: legal by default): the 303 to the provider's face-check page, whose path it answers. */
async function startOnPage(b: Browser, page: string, fields: Record<string, string> = { who: "legal" }) {
  await b.get(page);
  const res = await b.post(page, fields);
  expect(res.status, b.lastHtml.match(/<div class="error-summary"[\s\S]*?<\/div>/)?.[0]).toBe(303);
  const location = res.headers.get("Location")!;
  expect(pathOf(location)).toMatch(/^\/mock-esign\/identity\//);
  return location;
}

describe("我的签章: not certified", () => {
  it("a freshly registered enterprise sees the gate with 去企业信息认证, and 制作签章 is refused (403, nothing made)", async () => {
    const { b } = await registerNew(w.t, "签章未认证测试有限公司");
    const res = await b.get("/me/seal");
    expect(res.status).toBe(200);
    expect(b.lastHtml).toContain("企业信息认证通过后才能制作签章");
    expect(b.lastHtml).toMatch(/<a class="button primary" href="\/me\/certification">去企业信息认证<\/a>/);
    expect(b.lastHtml).not.toContain('name="who"');
    expect(b.lastHtml).toMatch(/<a href="\/me\/seal" aria-current="page">我的签章<\/a>/);
    const before = await w.t.deps.db.query<{ n: number }>("select count(*)::int as n from seals");
    const post = await b.post("/me/seal", { who: "legal" });
    expect(post.status).toBe(403);
    expect(b.lastHtml).toContain("企业信息认证通过后才能制作签章");
    expect(await w.t.deps.db.query<{ n: number }>("select count(*)::int as n from seals")).toEqual(before);
  });

  it("signed out: to the login page and back", async () => {
    const res = await w.t.app.request("http://localhost/me/seal?next=/me/orders");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe(`/login?next=${encodeURIComponent("/me/seal?next=/me/orders")}`);
  });
});

describe("我的签章: 制作签章 through the page", () => {
  let b: Browser;
  beforeAll(async () => {
    b = await signIn(w.t, "13800000001");
  });

  it("the form offers the legal representative (no 经办人 in the demo certification)", async () => {
    const res = await b.get("/me/seal");
    expect(res.status).toBe(200);
    const legal = await legalOf(w.t, w.ent);
    expect(b.lastHtml).toMatch(/<h2 id="seal-new-title">制作签章<\/h2>/);
    expect(b.lastHtml).toContain("<legend>认证人</legend>");
    expect(b.lastHtml).toContain(`法定代表人（${legal.name}）`);
    expect(b.lastHtml).not.toContain("经办人（");
    expect(b.lastHtml).toMatch(/<button type="submit" class="primary">制作签章<\/button>/);
    expect(b.lastHtml).toContain('name="_csrf"');
  });

  it("a bad 认证人 (unknown value, or 经办人 when there is none) is refused with a message (422) and nothing changes", async () => {
    for (const who of ["boss", "", "constructor"]) {
      const res = await b.post("/me/seal", { who });
      expect(res.status, who).toBe(422);
      expect(b.lastHtml).toContain("请选择认证人");
      expect(b.lastHtml).toContain('href="#f-who"');
    }
    await b.get("/me/seal");
    const res = await b.post("/me/seal", { who: "agent" });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain("企业认证信息中没有经办人，请由法定代表人认证");
    expect(await statuses(w.ent)).toEqual([]);
    expect(await w.mock.events()).toEqual([]);
  });

  it("without a CSRF token nothing starts", async () => {
    await b.get("/me/seal");
    const res = await b.post("/me/seal", { who: "legal" }, { csrf: "wrong" });
    expect(res.status).toBe(403);
    expect(await statuses(w.ent)).toEqual([]);
  });

  it("POST -> 303 to the face check, 制作中 meanwhile (刷新状态 asks the provider: still pending), then 认证成功 and the callback: 已生效 with the seal", async () => {
    const url = await startOnPage(b, "/me/seal");
    expect(await statuses(w.ent)).toEqual(["making"]);
    await b.get("/me/seal");
    expect(b.lastHtml).toContain("制作中");
    expect(b.lastHtml).toContain("正在等待认证结果");
    expect(b.lastHtml).toMatch(/<form method="get" action="\/me\/seal">[\s\S]*name="refresh" value="1"[\s\S]*刷新状态/);
    expect(b.lastHtml).toContain("重新发起认证");
    expect(b.lastHtml).toContain('hx-get="/me/seal/status"');
    const refresh = await b.get("/me/seal?refresh=1");
    expect(refresh.status).toBe(303);
    expect(refresh.headers.get("Location")).toBe("/me/seal");
    expect(await statuses(w.ent)).toEqual(["making"]);
    // The polling fragment while 制作中 (htmx), and without htmx the page.
    const poll = await b.request("/me/seal/status", { headers: { "HX-Request": "true" } });
    expect(poll.status).toBe(200);
    expect(await poll.text()).toContain('id="seal-making"');
    expect((await b.get("/me/seal/status")).headers.get("Location")).toBe("/me/seal");

    const face = await passFace(w.t, url, await legalOf(w.t, w.ent));
    expect(face.status).toBe(303);
    expect(pathOf(face.headers.get("Location")!)).toBe("/me/seal");
    expect(await w.mock.deliverDue()).toBeGreaterThan(0);
    expect(await statuses(w.ent)).toEqual(["active"]);

    const res = await b.get("/me/seal");
    expect(res.status).toBe(200);
    const enterprise = await w.t.deps.enterprises.ofAccount(w.ent);
    expect(b.lastHtml).toMatch(new RegExp(`<svg [^>]*role="img" aria-label="${enterprise!.name}电子签章"`));
    expect(b.lastHtml).toContain("已生效");
    expect(b.lastHtml).toContain("生效时间：");
    expect(b.lastHtml).toContain("签章制作完成后可用于所有合同签署，不需要重复制作签章。");
    expect(b.lastHtml).toMatch(/<button type="submit">重新制作签章<\/button>/);
    expect(b.lastHtml).toContain("签章记录");
    expect(historyOn(b.lastHtml)).toEqual(["已生效"]);
    expect(b.lastHtml).not.toContain("返回签署合同");
    // The poll once it is no longer 制作中: the page reloads.
    const done = await b.request("/me/seal/status", { headers: { "HX-Request": "true" } });
    expect(done.status).toBe(204);
    expect(done.headers.get("HX-Refresh")).toBe("true");
  });

  it("callback replays (delivered again, a stored one re-posted) and 刷新状态 do not make a second active seal", async () => {
    const before = await sealRows(w.ent);
    expect(await w.mock.deliverDue()).toBe(0);
    const stored = await w.t.deps.db.query<{ headers: Record<string, string>; raw: string }>(
      "select headers, encode(raw_body, 'base64') as raw from callback_inbox where verified order by id",
    );
    expect(stored.length).toBeGreaterThan(0);
    for (const s of stored) {
      const res = await w.t.app.request("http://platform.test/callbacks/esign", {
        method: "POST",
        headers: { "content-type": "application/json", ...Object.fromEntries(Object.entries(s.headers).filter(([k]) => k.startsWith("x-mock-esign"))) },
        body: Buffer.from(s.raw, "base64"),
      });
      expect(res.status).toBe(200);
    }
    // The same event once more, as a provider's retry would send it.
    w.mock.setDelivery({ duplicates: true });
    await w.mock.deliverDue();
    w.mock.setDelivery({ duplicates: false });
    await b.get("/me/seal?refresh=1");
    expect(await sealRows(w.ent)).toEqual(before);
    const active = await w.t.deps.db.query<{ n: number }>(
      "select count(*)::int as n from seals s join enterprises e on e.id = s.enterprise_id where e.account_id = $1 and s.status = 'active'",
      [w.ent],
    );
    expect(active[0]!.n).toBe(1);
  });

  it("重新制作签章: the new seal 制作中 beside the active one, then active; the old one 已停用, history kept", async () => {
    await b.get("/me/seal");
    const url = await startOnPage(b, "/me/seal");
    await b.get("/me/seal");
    // While re-making, the active seal still shows and still signs.
    expect(b.lastHtml).toContain("重新制作中的签章");
    expect(b.lastHtml).toMatch(/<svg [^>]*role="img"/);
    expect(historyOn(b.lastHtml)).toEqual(["制作中", "已生效"]);
    expect((await passFace(w.t, url, await legalOf(w.t, w.ent))).status).toBe(303);
    await w.mock.deliverDue();
    const rows = await sealRows(w.ent);
    expect(rows.map((r) => r.status)).toEqual(["disabled", "active"]);
    expect(rows[0]!.disabled_at).toBeTruthy();
    await b.get("/me/seal");
    expect(historyOn(b.lastHtml)).toEqual(["已生效", "已停用"]);
    expect(b.lastHtml).toContain("停用时间");
  });

  it("next=: carried through the provider's page and offered as 返回签署合同 once active; another site's is dropped", async () => {
    const next = "/me/orders/00000000-0000-4000-8000-000000000000/sign";
    await b.get(`/me/seal?next=${encodeURIComponent(next)}`);
    expect(b.lastHtml).toContain(`<a class="button primary" href="${next}">返回签署合同</a>`);
    expect(b.lastHtml).toContain(`name="next" value="${next}"`);
    for (const bad of ["https://evil.example/x", "//evil.example", "/\\evil.example", "javascript:alert(1)"]) {
      await b.get(`/me/seal?next=${encodeURIComponent(bad)}`);
      expect(b.lastHtml, bad).not.toContain("返回签署合同");
      expect(b.lastHtml, bad).not.toContain("evil");
    }
    // The provider sends the person back to the page with the next kept.
    const url = await startOnPage(b, `/me/seal?next=${encodeURIComponent(next)}`, { who: "legal", next });
    const face = await passFace(w.t, url, await legalOf(w.t, w.ent));
    expect(face.headers.get("Location")).toBe(`/me/seal?next=${encodeURIComponent(next)}`);
    await w.mock.deliverDue();
    const refresh = await b.get(`/me/seal?refresh=1&next=${encodeURIComponent(next)}`);
    expect(refresh.headers.get("Location")).toBe(`/me/seal?next=${encodeURIComponent(next)}`);
    await b.get(refresh.headers.get("Location")!);
    expect(b.lastHtml).toContain("返回签署合同");
  });
});

describe("我的签章: a failed face check", () => {
  it("制作失败 with the reason on the page; 制作签章 again works", async () => {
    const account = await accountOf(w.t, "13800000002");
    const b = await signIn(w.t, "13800000002");
    const url = await startOnPage(b, "/me/seal");
    expect((await passFace(w.t, url, await legalOf(w.t, account), "failed")).status).toBe(303);
    await w.mock.deliverDue();
    const [row] = await sealRows(account);
    expect(row!.status).toBe("failed");
    expect(row!.failure_reason).toBeTruthy();
    await b.get("/me/seal");
    expect(b.lastHtml).toContain("制作失败");
    expect(b.lastHtml).toContain(row!.failure_reason!);
    expect(historyOn(b.lastHtml)).toEqual(["制作失败"]);
    expect(b.lastHtml).toMatch(/<button type="submit" class="primary">制作签章<\/button>/);
    const again = await startOnPage(b, "/me/seal");
    expect((await passFace(w.t, again, await legalOf(w.t, account))).status).toBe(303);
    await w.mock.deliverDue();
    expect(await statuses(account)).toEqual(["failed", "active"]);
    await b.get("/me/seal");
    expect(historyOn(b.lastHtml)).toEqual(["已生效", "制作失败"]);
  });

  it("重新发起认证 while 制作中: the pending attempt is retired as failed, the new one made (its callbacks posted twice: one active seal)", async () => {
    const account = await accountOf(w.t, "13800000003");
    const b = await signIn(w.t, "13800000003");
    await startOnPage(b, "/me/seal");
    await b.get("/me/seal");
    expect(b.lastHtml).toContain("重新发起认证");
    const url = await startOnPage(b, "/me/seal");
    const rows = await sealRows(account);
    expect(rows.map((r) => r.status)).toEqual(["failed", "making"]);
    expect(rows[0]!.failure_reason).toBe("已重新发起制作");
    // The provider posts every event twice this time, and the delivery runs twice.
    const inbox = async () => (await w.t.deps.db.query<{ n: number }>("select count(*)::int as n from callback_inbox"))[0]!.n;
    const received = await inbox();
    w.mock.setDelivery({ duplicates: true });
    try {
      expect((await passFace(w.t, url, await legalOf(w.t, account))).status).toBe(303);
      await w.mock.deliverDue();
      await w.mock.deliverDue();
    } finally {
      w.mock.setDelivery({ duplicates: false });
    }
    expect(await inbox()).toBeGreaterThanOrEqual(received + 2);
    expect(await statuses(account)).toEqual(["failed", "active"]);
  });
});

describe("我的签章 in 服务机构中心, and each enterprise its own", () => {
  it("the provider's seal made in 个人中心 is the one /provider/seal shows (linked from 服务机构中心)", async () => {
    const b = await signIn(w.t, "13800000008");
    await b.get("/provider");
    expect(b.lastHtml).toContain('<a class="button" href="/provider/seal">我的签章</a>');
    await b.get("/provider/seal");
    expect(b.lastHtml).toContain('action="/provider/seal"');
    expect(b.lastHtml).toContain('<a href="/provider">← 服务机构中心</a>');
    const url = await startOnPage(b, "/me/seal");
    expect((await passFace(w.t, url, await legalOf(w.t, w.pro))).status).toBe(303);
    await w.mock.deliverDue();
    const [seal] = await sealRows(w.pro);
    const me = await b.get("/me/seal");
    expect(me.status).toBe(200);
    const mine = b.lastHtml.match(/<svg[\s\S]*?<\/svg>/)?.[0];
    const res = await b.get("/provider/seal");
    expect(res.status).toBe(200);
    expect(b.lastHtml.match(/<svg[\s\S]*?<\/svg>/)?.[0]).toBe(mine);
    expect(historyOn(b.lastHtml)).toEqual(["已生效"]);
    expect(await sealRows(w.pro)).toEqual([seal]);
    // 重新制作 from 服务机构中心 comes back there.
    const again = await startOnPage(b, "/provider/seal");
    const face = await passFace(w.t, again, await legalOf(w.t, w.pro));
    expect(face.headers.get("Location")).toBe("/provider/seal");
    await w.mock.deliverDue();
    expect(await statuses(w.pro)).toEqual(["disabled", "active"]);
  });

  it("an enterprise that is not a provider cannot open /provider/seal (403), nor start there", async () => {
    const b = await signIn(w.t, "13800000004");
    const res = await b.get("/provider/seal");
    expect(res.status).toBe(403);
    expect(b.lastHtml).toContain("服务机构中心仅对审核通过的服务商开放");
    await b.get("/me/seal");
    expect((await b.post("/provider/seal", { who: "legal" })).status).toBe(403);
    expect(await statuses(await accountOf(w.t, "13800000004"))).toEqual([]);
  });

  it("each enterprise sees its own seals only", async () => {
    const other = await signIn(w.t, "13800000004");
    await other.get("/me/seal");
    expect(other.lastHtml).toMatch(/<h2 id="seal-new-title">制作签章<\/h2>/);
    expect(other.lastHtml).not.toContain("<svg");
    expect(other.lastHtml).not.toContain("签章记录");
    const ent = (await w.t.deps.enterprises.ofAccount(w.ent))!.name;
    const pro = (await w.t.deps.enterprises.ofAccount(w.pro))!.name;
    const b = await signIn(w.t, "13800000001");
    await b.get("/me/seal");
    expect(b.lastHtml).toContain(`aria-label="${ent}电子签章"`);
    expect(b.lastHtml).not.toContain(pro);
  });
});

describe("我的签章: the 经办人", () => {
  it("a certification naming a 经办人 offers 经办人（name）; the face check is the 经办人's and makes the seal", async () => {
    const name = "签章经办人测试有限公司";
    const { b, phone } = await registerNew(w.t, name);
    await certify(b, { name, creditCode: "91330100716105852F" }, { agentName: "李四", agentIdNumber: "450102199001011231", agentPhone: "13900000000" });
    const id = await pendingApplicationId(w.t, phone);
    const r = await signInAdmin(w.t, "reviewer");
    await r.get(`/admin/certifications/${id}`);
    expect((await r.post(`/admin/certifications/${id}/decision`, { decision: "approve", reason: "" })).status).toBe(303);
    const account = await accountOf(w.t, phone);

    await b.get("/me/seal");
    expect(b.lastHtml).toContain("法定代表人（张三）");
    expect(b.lastHtml).toContain('value="agent"> 经办人（李四）');
    const url = await startOnPage(b, "/me/seal", { who: "agent" });
    // The legal representative is not the person of this check.
    await passFace(w.t, url, { name: "张三", idNumber: "11010519491231002X" });
    expect(await statuses(account)).toEqual(["making"]);
    expect((await passFace(w.t, url, { name: "李四", idNumber: "450102199001011231" })).status).toBe(303);
    await w.mock.deliverDue();
    expect(await statuses(account)).toEqual(["active"]);
    await b.get("/me/seal");
    expect(b.lastHtml).toContain(`aria-label="${name}电子签章"`);
  });
});
