import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, TEST_CAPTCHA, makeTestApp, testClock } from "../support/app.ts";
import { Browser, latestCode } from "../support/client.ts";
import { signIn, signInAdmin } from "../support/flows.ts";
import { OPEN_REDIRECT_PAYLOADS, staysOn } from "../support/redirect-payloads.ts";

/**
 * Every place that redirects to a target the visitor supplies (`next` on the login pages, `back` on
 * the article actions) gets every known open-redirect payload: the Location is always on our
 * origin, printable ASCII, and nothing answers 500.
 */
const ORIGIN = "http://localhost";
let t: TestApp;
const clock = testClock();
beforeAll(async () => {
  t = await makeTestApp({ demo: true, clock, env: { SMS_DAILY_CAP_PER_PHONE: "1000", SMS_DAILY_CAP_PER_IP: "10000" } });
});
afterAll(async () => t?.close());

const q = (payload: string) => encodeURIComponent(payload);
const expectSafe = (res: Response, payload: string, inAddress = false) => {
  const where = `${JSON.stringify(payload).slice(0, 80)} -> ${res.status} ${res.headers.get("Location")}`;
  if (inAddress && payload.includes("\u0000")) {
    // A NUL in the address is refused before any route runs.
    expect(res.status, where).toBe(400);
    expect(res.headers.get("Location")).toBeNull();
    return;
  }
  expect(res.status, where).toBe(303);
  expect(staysOn(ORIGIN, res.headers.get("Location")), where).toBe(true);
};
const addressable = (payload: string) => !payload.includes("\u0000");

describe("open-redirect payloads never leave the site", () => {
  it("GET /login?next=... for a signed-in enterprise (the reported tab and newline cases among them)", async () => {
    const b = await signIn(t, "13800000001");
    for (const payload of OPEN_REDIRECT_PAYLOADS) expectSafe(await b.get(`/login?next=${q(payload)}`), payload, true);
    // As typed into the address bar: the server decodes %09 and %0a itself.
    for (const raw of [
      "/%09/evil.example",
      "/%0a/x",
      "/%0d%0a/x",
      "%2F%2Fevil.example",
      "/%5Cevil.example",
      "/%E2%80%A8/evil.example",
      "%09//evil.example",
    ]) {
      const res = await b.get(`/login?next=${raw}`);
      expectSafe(res, raw);
      expect(res.headers.get("Location")).toBe("/me");
    }
  });

  it("POST /login/password with next (signing in)", async () => {
    for (const payload of OPEN_REDIRECT_PAYLOADS) {
      const b = new Browser(t);
      await b.get(addressable(payload) ? `/login?next=${q(payload)}` : "/login");
      expect(b.lastStatus).toBe(200);
      const res = await b.post("/login/password", {
        phone: "13800000002",
        password: "Demo#2026",
        captcha: TEST_CAPTCHA,
        captchaId: b.captchaId(),
        next: payload,
      });
      expectSafe(res, payload);
    }
  });

  it("POST /login/send-code and /login/sms with next (验证码登录)", async () => {
    for (const payload of OPEN_REDIRECT_PAYLOADS) {
      const b = new Browser(t);
      await b.get("/login?tab=sms");
      const sent = await b.post("/login/send-code", { phone: "13800000006", captcha: TEST_CAPTCHA, captchaId: b.captchaId(), next: payload });
      expectSafe(sent, payload);
      await b.get(sent.headers.get("Location")!);
      expect(b.lastStatus).toBe(200);
      const res = await b.post("/login/sms", {
        phone: "13800000006",
        smsCode: await latestCode(t, "13800000006"),
        captcha: "",
        captchaId: "",
        next: payload,
      });
      expectSafe(res, payload);
      clock.advance(61_000); // past the resend wait
    }
  });

  it("POST /admin/login with next", async () => {
    for (const payload of OPEN_REDIRECT_PAYLOADS) {
      const b = new Browser(t);
      await b.get(addressable(payload) ? `/admin/login?next=${q(payload)}` : "/admin/login");
      expect(b.lastStatus).toBe(200);
      const res = await b.post("/admin/login", { username: "operator", password: "Demo#2026", next: payload });
      expectSafe(res, payload);
    }
  });

  it("POST /admin/articles/:id/pin|unpin with back", async () => {
    const [article] = await t.deps.db.query<{ id: string }>("select id from articles limit 1");
    const b = await signInAdmin(t, "operator");
    await b.get(`/admin/articles/${article!.id}`);
    const csrf = b.csrf();
    let pin = true;
    for (const payload of OPEN_REDIRECT_PAYLOADS) {
      const res = await b.post(`/admin/articles/${article!.id}/${pin ? "pin" : "unpin"}`, { back: payload }, { csrf });
      expectSafe(res, payload);
      pin = !pin;
    }
  });
});
