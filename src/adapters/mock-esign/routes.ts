import { Hono } from "hono";
import { z } from "zod";
import { type AppEnv, type Ctx, formUploads } from "../../web/http.ts";
import { form, params } from "../../web/validate.ts";
import { fmt } from "../../web/views.ts";
import { safeEqual } from "../../lib/random.ts";
import { type FaceInput, type MockESignature, type PageAnswer, asMockEsign } from "./mock-esign.ts";
import { MOCK_CSS } from "./pages-css.ts";

/**
 * The mock e-signature provider's hosted pages, the way a vendor serves them on its own site:
 * 实名认证 / 人脸认证 (`/mock-esign/identity/<token>`), the signing page (`/mock-esign/sign/<token>`,
 * the login-free link of one signer) and a review console for image seals (`/mock-esign/review`).
 * Phone-sized, no JavaScript, their own layout and stylesheet. They do not use the platform's
 * session or CSRF token (a vendor's pages would not): each form carries the mock's own token
 * (`_mt`, an HMAC of the page's token with the mock's secret), and the platform's origin check
 * still applies. Everything answers 404 unless the composition root chose the mock (never in
 * production), the way /dev/sms answers only with the development outbox.
 */
const TOKEN = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/) });
const SEAL = z.object({ sealId: z.string().regex(/^seal_[0-9a-f]{32}$/) });

const faceForm = z.object({
  _mt: z.string().max(100).catch(""),
  outcome: z.string().max(20).catch(""),
  name: z.string().max(100).catch(""),
  idNumber: z.string().max(40).catch(""),
});
const confirmForm = z.object({ _mt: z.string().max(100).catch("") });
const refuseForm = z.object({ _mt: z.string().max(100).catch(""), reason: z.string().max(2000).catch("") });
const reviewForm = z.object({
  _mt: z.string().max(100).catch(""),
  decision: z.enum(["approve", "reject"]).catch("approve"),
  reason: z.string().max(2000).catch(""),
});

type Status = 200 | 400 | 403 | 404 | 409 | 410 | 422;

function page(c: Ctx, view: string, data: Record<string, unknown>, status: Status = 200) {
  const html = c.var.deps.views.render(`mock-esign/${view}`, { errors: {}, values: {}, ...data, fmt });
  c.header("Cache-Control", "no-store");
  // The page's token is in its address: never send it on in a Referer.
  c.header("Referrer-Policy", "no-referrer");
  c.header("X-Robots-Tag", "noindex");
  return c.html(html, status);
}

const message = (c: Ctx, title: string, text: string, status: Status, back?: string) => page(c, "message", { title, text, back }, status);
const missing = (c: Ctx) => message(c, "页面不存在", "链接无效或已失效，请回到业务系统重新获取。", 404);

/** A page action's answer as HTTP: a redirect, or a page saying why nothing happened. */
function answer(c: Ctx, a: PageAnswer, again: (errors: Record<string, string>, status: Status) => Response | Promise<Response>) {
  switch (a.kind) {
    case "redirect":
      return c.redirect(a.to, 303);
    case "missing":
      return missing(c);
    case "forbidden":
      return message(c, "页面已过期", "页面已过期，请返回上一页刷新后重试。", 403);
    case "expired":
      return message(c, "链接已过期", "该链接已过期，请回到业务系统重新获取。", 410, a.returnUrl);
    case "invalid":
      return again(a.errors, 422);
    case "refused":
      return again({ _form: a.message }, 409);
  }
}

const mockOf = (c: Ctx) => asMockEsign(c.var.deps.esign) as MockESignature;

async function faceInput(c: Ctx, f: z.output<typeof faceForm>): Promise<FaceInput> {
  const [selfie] = await formUploads(c, "selfie");
  return { formToken: f._mt, outcome: f.outcome, name: f.name, idNumber: f.idNumber, selfie };
}

export function mockEsignRoutes() {
  const r = new Hono<AppEnv>();

  r.use("/mock-esign/*", async (c, next) => {
    if (!asMockEsign(c.var.deps.esign)) return c.notFound();
    return next();
  });

  r.get("/mock-esign/static/mock.css", (c) =>
    c.body(MOCK_CSS, 200, { "Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=3600" }),
  );

  // 实名认证 / 人脸认证 --------------------------------------------------------------------------

  const identityPage = async (c: Ctx, token: string, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const v = await mockOf(c).pages.identity(token);
    if (v.kind === "missing") return missing(c);
    if (v.kind === "expired") return message(c, "认证链接已过期", "该认证链接已过期，请回到业务系统重新发起认证。", 410, v.returnUrl);
    if (v.kind === "done") {
      const text = v.status === "passed" ? "认证已通过。" : "认证未通过，请回到业务系统重新发起认证。";
      return message(c, "实名认证", text, status, v.returnUrl);
    }
    return page(c, "identity", { title: "实名认证", token, view: v, errors, values }, status);
  };

  r.get("/mock-esign/identity/:token", params(TOKEN, missing), (c) => identityPage(c, c.req.valid("param").token));
  r.post(
    "/mock-esign/identity/:token",
    params(TOKEN, missing),
    form(faceForm, (c: Ctx) => identityPage(c, c.req.param("token") ?? "", { _form: "请求有误" }, {}, 400)),
    async (c) => {
      const { token } = c.req.valid("param");
      const f = c.req.valid("form");
      const a = await mockOf(c).pages.submitIdentity(token, await faceInput(c, f));
      return answer(c, a, (errors, status) => identityPage(c, token, errors, { name: f.name, idNumber: f.idNumber }, status));
    },
  );

  // The signing page ----------------------------------------------------------------------------

  const signingPage = async (c: Ctx, token: string, errors: Record<string, string> = {}, values: Record<string, string> = {}, status: Status = 200) => {
    const v = await mockOf(c).pages.signing(token);
    if (v.kind === "missing") return missing(c);
    if (v.kind === "expired") return message(c, "签署链接已过期", "该签署链接已过期，请回到业务系统重新获取签署链接。", 410, v.returnUrl);
    // After a refused action (status 409) the page says why with that status; a plain visit is 200.
    if (v.kind === "closed") return message(c, "签署合同", v.message, status, v.returnUrl);
    return page(c, "sign", { title: "签署合同", token, view: v, errors, values }, status);
  };

  r.get("/mock-esign/sign/:token", params(TOKEN, missing), (c) => signingPage(c, c.req.valid("param").token));
  r.get("/mock-esign/sign/:token/document", params(TOKEN, missing), async (c) => {
    const doc = await mockOf(c).pages.document(c.req.valid("param").token);
    if (!doc) return missing(c);
    return c.body(doc.bytes as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": "application/pdf",
      "Content-Disposition": `inline; filename="contract.pdf"; filename*=UTF-8''${encodeURIComponent(`${doc.title}.pdf`)}`,
      "Cache-Control": "private, no-store",
      "Referrer-Policy": "no-referrer",
      "X-Content-Type-Options": "nosniff",
    });
  });
  r.post(
    "/mock-esign/sign/:token/face",
    params(TOKEN, missing),
    form(faceForm, (c: Ctx) => signingPage(c, c.req.param("token") ?? "", { _form: "请求有误" }, {}, 400)),
    async (c) => {
      const { token } = c.req.valid("param");
      const f = c.req.valid("form");
      const a = await mockOf(c).pages.face(token, await faceInput(c, f));
      return answer(c, a, (errors, status) => signingPage(c, token, errors, { name: f.name, idNumber: f.idNumber }, status));
    },
  );
  r.post(
    "/mock-esign/sign/:token/confirm",
    params(TOKEN, missing),
    form(confirmForm, (c: Ctx) => signingPage(c, c.req.param("token") ?? "", { _form: "请求有误" }, {}, 400)),
    async (c) => {
      const { token } = c.req.valid("param");
      const a = await mockOf(c).pages.confirm(token, c.req.valid("form")._mt);
      return answer(c, a, (errors, status) => signingPage(c, token, errors, {}, status));
    },
  );
  r.post(
    "/mock-esign/sign/:token/refuse",
    params(TOKEN, missing),
    form(refuseForm, (c: Ctx) => signingPage(c, c.req.param("token") ?? "", { _form: "请求有误" }, {}, 400)),
    async (c) => {
      const { token } = c.req.valid("param");
      const f = c.req.valid("form");
      const a = await mockOf(c).pages.refuse(token, f._mt, f.reason);
      return answer(c, a, (errors, status) => signingPage(c, token, errors, { reason: f.reason }, status));
    },
  );

  // The vendor's review console for image seals (development only, like the whole mock) ---------

  const reviewPage = async (c: Ctx, errors: Record<string, string> = {}, status: Status = 200) => {
    const mock = mockOf(c);
    return page(
      c,
      "review",
      { title: "印章审核（模拟电子签章服务）", seals: await mock.pages.pendingSeals(), formToken: mock.pages.consoleToken(), errors },
      status,
    );
  };
  r.get("/mock-esign/review", (c) => reviewPage(c));
  r.post(
    "/mock-esign/review/:sealId",
    params(SEAL, missing),
    form(reviewForm, (c: Ctx) => reviewPage(c, { _form: "请求有误" }, 400)),
    async (c) => {
      const mock = mockOf(c);
      const f = c.req.valid("form");
      if (!safeEqual(f._mt, mock.pages.consoleToken())) return message(c, "页面已过期", "页面已过期，请返回上一页刷新后重试。", 403);
      const reason = f.reason.trim();
      if (f.decision === "reject" && !reason) return reviewPage(c, { _form: "驳回时请填写原因" }, 422);
      try {
        await mock.reviewSeal(c.req.valid("param").sealId, f.decision === "approve" ? { approve: true } : { reject: reason });
      } catch (err) {
        return reviewPage(c, { _form: (err as Error).message }, 409);
      }
      return c.redirect("/mock-esign/review", 303);
    },
  );

  return r;
}
