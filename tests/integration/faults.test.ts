import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OwnPostgres, type OwnRedis, startOwnPostgres, startOwnRedis } from "../../scripts/lib/own-services.ts";
import { TEST_CAPTCHA, type TestApp, makeTestApp } from "../support/app.ts";
import { Browser } from "../support/client.ts";
import { signIn } from "../support/flows.ts";

/**
 * Faults of the services the app depends on (issue 15, item 4, in its short form): a PostgreSQL
 * cluster and a Redis server of this test's own (scripts/lib/own-services.ts, other ports; the
 * machine's shared ones are never touched) are stopped and started again under a running app.
 * While one is down, pages answer 503 with a Chinese page and /readyz says which is down, never
 * 500; once it is back everything answers again without restarting the app; Redis restarted empty
 * loses the sessions (people sign in again) and its counters start again; the job engine takes new
 * jobs after PostgreSQL's restart.
 */
let pg: OwnPostgres;
let redis: OwnRedis;
let t: TestApp;

beforeAll(async () => {
  [pg, redis] = await Promise.all([startOwnPostgres(), startOwnRedis()]);
  t = await makeTestApp({ demo: true, own: { postgresUrl: pg.url, redisUrl: redis.url }, jobs: "engine" });
  await t.deps.jobs.start();
}, 120_000);
afterAll(async () => {
  await t?.close();
  await Promise.all([pg?.close(), redis?.close()]);
});

/** Waits (up to 30 s) until the request answers the status. */
async function until(get: () => Response | Promise<Response>, status: number): Promise<Response> {
  const end = Date.now() + 30_000;
  for (;;) {
    const res = await get();
    if (res.status === status || Date.now() > end) return res;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ready = async () => (await t.app.request("/readyz")).json() as Promise<{ status: string; database: string; cache: string }>;

describe("faults", () => {
  it("PostgreSQL stopped: /readyz 503 and pages a Chinese 503 page, not 500; started again: the same app answers", async () => {
    const ent = await signIn(t, "13800000001");
    expect((await ent.get("/me/vouchers")).status).toBe(200);
    await pg.stop();
    try {
      const anon = new Browser(t);
      for (const path of ["/", "/services", "/news"]) {
        const res = await anon.get(path);
        expect(res.status, path).toBe(503);
        expect(res.headers.get("Retry-After")).toBe("5");
        expect(anon.lastHtml).toContain("<h1>服务暂时不可用</h1>");
        expect(anon.lastHtml).toContain('lang="zh-CN"');
      }
      const page = await ent.get("/me/vouchers");
      expect(page.status).toBe(503);
      // A form post while it is down: 503, and nothing half-written once it is back (checked below).
      const res = await t.app.request("/readyz");
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: "unavailable", database: "down", cache: "ok" });
    } finally {
      await pg.start();
    }
    expect((await until(() => new Browser(t).get("/"), 200)).status).toBe(200);
    expect(await ready()).toMatchObject({ status: "ok", database: "ok" });
    // The session lives in Redis: still signed in.
    expect((await ent.get("/me/vouchers")).status).toBe(200);
    expect(ent.lastHtml).toContain("我的服务券");
  });

  it("the job engine takes new jobs after PostgreSQL's restart", async () => {
    const ran: string[] = [];
    await t.deps.jobs.work("faults-probe", async (job) => {
      ran.push(String(job.data.n));
    });
    await t.deps.jobs.send("faults-probe", { n: "before" });
    await expect.poll(() => ran, { timeout: 30_000 }).toContain("before");
    await pg.stop();
    await pg.start();
    await until(() => t.app.request("/readyz"), 200);
    // The engine's own connection comes back too: a job sent now runs.
    const end = Date.now() + 30_000;
    let sent = false;
    while (!sent && Date.now() < end) {
      try {
        await t.deps.jobs.send("faults-probe", { n: "after" });
        sent = true;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect(sent).toBe(true);
    await expect.poll(() => ran, { timeout: 30_000 }).toContain("after");
  }, 90_000);

  it("Redis killed: 503 where a page needs it, never 500; started again empty: signed out, sign in again, counters count again", async () => {
    const ent = await signIn(t, "13800000002");
    expect((await ent.get("/me/vouchers")).status).toBe(200);
    await redis.kill();
    try {
      const page = await ent.get("/me/vouchers");
      expect(page.status).toBe(503);
      expect(ent.lastHtml).toContain("服务暂时不可用");
      for (const path of ["/", "/login", "/services"]) {
        const res = await new Browser(t).get(path);
        expect([200, 503], path).toContain(res.status);
      }
      const res = await t.app.request("/readyz");
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ database: "ok", cache: "down" });
    } finally {
      await redis.start();
    }
    await until(() => t.app.request("/readyz"), 200);
    // The session was in Redis: gone. The page sends the person to sign in again, which works.
    const back = await until(() => ent.get("/me/vouchers"), 303);
    expect(back.status).toBe(303);
    expect(back.headers.get("Location")).toContain("/login");
    const again = await signIn(t, "13800000002");
    expect((await again.get("/me/vouchers")).status).toBe(200);
    // The login back-off counts in Redis again: wrong passwords are refused, then held back.
    const guess = new Browser(t, "http://localhost", "10.9.9.9");
    await guess.get("/login");
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await guess.post("/login/password", {
        phone: "13800000003",
        password: `wrong-${i}-password`,
        captcha: TEST_CAPTCHA,
        captchaId: guess.captchaId(),
      });
      statuses.push(r.status);
    }
    expect(statuses.slice(0, 5)).toEqual([422, 422, 422, 422, 422]);
    expect(statuses.slice(5)).toContain(429);
  }, 90_000);
});
