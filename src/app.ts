import { DatabaseUnavailable } from "./ports/db.ts";
import { CacheUnavailable } from "./ports/cache.ts";
import { Hono } from "hono";
import { compress } from "hono/compress";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import type { Deps } from "./deps.ts";
import { randomToken } from "./lib/random.ts";
import { auditRoutes } from "./modules/audit/routes.ts";
import { enterpriseRoutes } from "./modules/enterprises/routes.ts";
import { voucherRoutes } from "./modules/vouchers/routes.ts";
import { catalogRoutes } from "./modules/catalog/routes.ts";
import { orderRoutes } from "./modules/orders/routes.ts";
import { contractRoutes } from "./modules/orders/contract-routes.ts";
import { orderAdminRoutes } from "./modules/orders/admin-routes.ts";
import { monitoringRoutes } from "./modules/monitoring/routes.ts";
import { terminationRoutes } from "./modules/orders/termination-routes.ts";
import { settlementRoutes } from "./modules/settlement/routes.ts";
import { productRoutes } from "./modules/products/routes.ts";
import { demandRoutes } from "./modules/demands/routes.ts";
import { identityRoutes } from "./modules/identity/routes.ts";
import { portalRoutes } from "./modules/portal/routes.ts";
import { messageRoutes } from "./modules/messages/routes.ts";
import { contentRoutes } from "./modules/content/routes.ts";
import { signingCallbackRoutes } from "./modules/signing/callback-routes.ts";
import { signingRoutes } from "./modules/signing/sign-routes.ts";
import { paymentRoutes } from "./modules/payments/routes.ts";
import { paymentAdminRoutes } from "./modules/payments/admin-routes.ts";
import { sealRoutes } from "./modules/signing/seal-routes.ts";
import { signingVerifyRoutes } from "./modules/signing/verify-routes.ts";
import { exportRoutes } from "./modules/exports/routes.ts";
import { dashboardRoutes } from "./modules/dashboard/routes.ts";
import { mockEsignRoutes } from "./adapters/mock-esign/routes.ts";
import { mockPayRoutes } from "./adapters/mock-pay/routes.ts";
import { type AppEnv, formFields, render } from "./web/http.ts";
import { type BodyState, PayloadTooLarge, announcesBody, boundaryOf, firstFieldComplete, firstMultipartField, meterBody } from "./web/body.ts";
import { webManifest } from "./web/manifest.ts";
import { getSession, sessions } from "./web/session.ts";
import { cachedPublicPages } from "./web/page-cache.ts";

const FORM_BODY_LIMIT = 256 * 1024;
const UPLOAD_BODY_LIMIT = 11 * 1024 * 1024;
/** How far into a multipart body the CSRF check reads for the `_csrf` field (forms put it first). */
const CSRF_PEEK_BYTES = 8 * 1024;

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Every module's router with the file that defines it, mounted in this order under its prefix (for one
 * method and path the first wins). docs/architecture.md lists every route and its file, generated from
 * this list by `npm run routes:doc` and kept true by tests/unit/route-table.test.ts.
 */
export const routers: { prefix: string; file: string; build: () => Hono<AppEnv> }[] = [
  { prefix: "/", file: "src/modules/identity/routes.ts", build: identityRoutes },
  { prefix: "/", file: "src/modules/enterprises/routes.ts", build: enterpriseRoutes },
  { prefix: "/", file: "src/modules/audit/routes.ts", build: auditRoutes },
  { prefix: "/", file: "src/modules/vouchers/routes.ts", build: voucherRoutes },
  { prefix: "/", file: "src/modules/catalog/routes.ts", build: catalogRoutes },
  { prefix: "/", file: "src/modules/products/routes.ts", build: productRoutes },
  { prefix: "/", file: "src/modules/orders/routes.ts", build: orderRoutes },
  { prefix: "/", file: "src/modules/orders/contract-routes.ts", build: contractRoutes },
  { prefix: "/", file: "src/modules/orders/admin-routes.ts", build: orderAdminRoutes },
  { prefix: "/", file: "src/modules/orders/termination-routes.ts", build: terminationRoutes },
  { prefix: "/", file: "src/modules/settlement/routes.ts", build: settlementRoutes },
  { prefix: "/", file: "src/modules/monitoring/routes.ts", build: monitoringRoutes },
  { prefix: "/", file: "src/modules/demands/routes.ts", build: demandRoutes },
  { prefix: "/", file: "src/modules/content/routes.ts", build: contentRoutes },
  { prefix: "/", file: "src/modules/messages/routes.ts", build: messageRoutes },
  { prefix: "/", file: "src/modules/portal/routes.ts", build: portalRoutes },
  { prefix: "/", file: "src/modules/signing/callback-routes.ts", build: signingCallbackRoutes },
  { prefix: "/", file: "src/modules/signing/sign-routes.ts", build: signingRoutes },
  { prefix: "/", file: "src/modules/payments/routes.ts", build: paymentRoutes },
  { prefix: "/", file: "src/modules/payments/admin-routes.ts", build: paymentAdminRoutes },
  { prefix: "/", file: "src/modules/signing/seal-routes.ts", build: sealRoutes },
  { prefix: "/", file: "src/modules/signing/verify-routes.ts", build: signingVerifyRoutes },
  { prefix: "/", file: "src/modules/exports/routes.ts", build: exportRoutes },
  { prefix: "/", file: "src/modules/dashboard/routes.ts", build: dashboardRoutes },
  // The mock e-signature provider's hosted pages (a vendor's site on the same server; 404 unless it is the provider).
  { prefix: "/", file: "src/adapters/mock-esign/routes.ts", build: mockEsignRoutes },
  // The mock payment gateway's cashier (a bank's site on the same server; 404 unless it is the channel).
  { prefix: "/", file: "src/adapters/mock-pay/routes.ts", build: mockPayRoutes },
];

/**
 * Paths outside the platform's session CSRF token (layer 2; the origin check still applies): the
 * mock e-signature provider's and the mock cashier's pages, which like a vendor's carry their own per-page token, and the
 * providers' server-to-server callbacks, which the adapter authenticates by their signature.
 */
const CSRF_OWN_TOKEN_PREFIXES = ["/mock-esign/", "/mock-pay/", "/callbacks/"];

/**
 * A header on the answer once it exists. `c.header()` after the handler rebuilds the response from
 * its body (on Node a full Response with a stream, a quarter of a cached page's cost); setting it on
 * the answer's own headers does not. Headers of a response that cannot change fall back to it.
 */
function setHeader(c: { res: Response; header: (name: string, value: string) => void }, name: string, value: string) {
  try {
    c.res.headers.set(name, value);
  } catch {
    c.header(name, value);
  }
}

/**
 * Request ids: unique per process start (a random prefix) and counted, not drawn per request; they
 * only need to be unique in the logs, and a draw of randomness per request showed in profiles.
 */
const REQUEST_ID_PREFIX = randomToken(6);
let requestCount = 0;
const nextRequestId = () => `${REQUEST_ID_PREFIX}${(++requestCount).toString(36).padStart(4, "0")}`;

/** Masks mainland mobile numbers wherever they appear in a logged string. */
export const maskPhonesIn = (s: string) => s.replace(/(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)/g, "$1****$2");

/** What the process entry point tells the app about its own lifecycle (src/lifecycle.ts). */
export type AppLifecycle = {
  /** True once the process got SIGTERM: /readyz answers 503 draining and every answer ends its connection. */
  draining: () => boolean;
  /** False until the process has started everything (the job engine starts once it listens): /readyz answers 503 starting. */
  ready?: () => boolean;
};

/** Builds the whole HTTP application from its dependencies. Tests call this with their own adapters. */
export function buildApp(deps: Deps, lifecycle?: AppLifecycle) {
  const app = new Hono<AppEnv>();
  const production = deps.config.env === "production";

  // Request id, dependencies and one JSON log line per request.
  app.use("*", async (c, next) => {
    const incoming = c.req.header("X-Request-Id");
    const requestId = incoming && /^[A-Za-z0-9._-]{8,64}$/.test(incoming) ? incoming : nextRequestId();
    c.set("requestId", requestId);
    c.set("deps", deps);
    c.set("viewer", {});
    const body: BodyState = { present: !SAFE_METHODS.has(c.req.method) && announcesBody(c), finished: false, tooLarge: false };
    c.set("body", body);
    const started = performance.now();
    await next();
    // An early answer of the page cache carries it already (setting it here would cost that answer a third of its time).
    if (!c.var.answeredEarly) setHeader(c, "X-Request-Id", requestId);
    // An answer given before the body was read (a refusal: 413, 403, 400) ends the connection, so
    // the client does not send its next request into the unread rest of this one.
    if (body.present && !body.finished) setHeader(c, "Connection", "close");
    // Draining: no keep-alive, so the client (or balancer) opens its next request elsewhere and the
    // server's connections end as their last answers go out.
    else if (lifecycle?.draining()) setHeader(c, "Connection", "close");
    const url = new URL(c.req.url);
    deps.log.info(
      {
        reqId: requestId,
        method: c.req.method,
        path: maskPhonesIn(url.pathname + url.search),
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      },
      "request",
    );
  });

  const security = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      manifestSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    strictTransportSecurity: production ? "max-age=31536000; includeSubDomains" : false,
    referrerPolicy: "same-origin",
    crossOriginEmbedderPolicy: false,
    // A handler may set a stricter header of its own (SVG covers send a sandboxing policy).
    overwrite: false,
  });
  // Anonymous views of public pages this instance holds a current render of are answered here, with
  // the same security headers (taken once from the middleware itself), before the rest (web/page-cache.ts).
  app.use(
    "*",
    cachedPublicPages(async () => {
      const probe = new Hono().use(security).get("/", (c) => c.body(null, 204));
      return Object.fromEntries((await probe.request("/")).headers);
    }),
  );
  app.use("*", security);
  app.use("*", compress());

  // Content-hashed static files: cached for a year, pre-compressed.
  app.get("/static/:file", (c) => {
    const asset = deps.assets.byPath.get(c.req.path);
    if (!asset) return c.text("Not Found", 404);
    const gz = /\bgzip\b/.test(c.req.header("Accept-Encoding") ?? "");
    const headers: Record<string, string> = {
      "Content-Type": asset.type,
      "Cache-Control": "public, max-age=31536000, immutable",
      Vary: "Accept-Encoding",
    };
    if (gz) headers["Content-Encoding"] = "gzip";
    return c.body((gz ? asset.gzip : asset.body) as Uint8Array<ArrayBuffer>, 200, headers);
  });

  // The web app manifest (add to home screen): a fixed address, so cached for an hour only.
  const manifest = JSON.stringify(webManifest(deps.assets));
  app.get("/manifest.webmanifest", (c) =>
    c.body(manifest, 200, { "Content-Type": "application/manifest+json; charset=utf-8", "Cache-Control": "public, max-age=3600" }),
  );

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    // Shutting down: the balancer takes this instance out while it still serves what it was sent.
    if (lifecycle?.draining()) return c.json({ status: "draining" }, 503);
    if (lifecycle?.ready && !lifecycle.ready()) return c.json({ status: "starting" }, 503);
    const checks = await Promise.allSettled([deps.db.query("select 1"), deps.cache.ping()]);
    const [db, cache] = checks.map((r) => (r.status === "fulfilled" ? "ok" : "down"));
    const ready = db === "ok" && cache === "ok";
    return c.json({ status: ready ? "ok" : "unavailable", database: db, cache }, ready ? 200 : 503);
  });

  // Body size limits before anything reads the body: from Content-Length, and while the body streams.
  const tooLarge = (c: Parameters<typeof render>[0]) =>
    render(c, "errors/error", { title: "提交的内容过大", message: "提交的内容超过了允许的大小，请减小后重试。" }, 413);
  const peekers = new WeakMap<object, ReturnType<typeof meterBody>>();
  app.use("*", async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const multipart = /^multipart\/form-data/i.test(c.req.header("Content-Type") ?? "");
    const max = multipart ? UPLOAD_BODY_LIMIT : FORM_BODY_LIMIT;
    const length = c.req.header("Content-Length");
    if (length !== undefined && (!/^\d{1,15}$/.test(length) || Number(length) > max)) return tooLarge(c);
    peekers.set(c.req, meterBody(c, max, c.var.body));
    return next();
  });
  // A NUL character in the address is never legitimate and PostgreSQL text cannot hold one:
  // refuse it here rather than in every route that reads a query parameter.
  app.use("*", async (c, next) => {
    if (/%00/.test(c.req.url)) return render(c, "errors/error", { title: "请求参数不正确", message: "请求地址中含有不允许的字符，请检查后重试。" }, 400);
    return next();
  });

  app.use(
    "*",
    sessions({
      cache: deps.cache,
      site: deps.config.session,
      admin: deps.config.adminSession,
      secureCookies: production,
      now: () => deps.clock.now().getTime(),
    }),
  );

  // CSRF, layer 1: the browser says the request comes from our own origin.
  const allowedOrigins = new Set([deps.config.publicOrigin].filter(Boolean) as string[]);
  app.use("*", csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin || allowedOrigins.has(origin) }));
  // CSRF, layer 2: the synchronizer token of the session (or, with no one signed in, the browser's
  // anonymous token) in the X-CSRF-Token header or the `_csrf` field. Checked before a large body is
  // read: a multipart body is read only as far as its first field, which every form makes `_csrf`.
  const expired = (c: Parameters<typeof render>[0]) =>
    render(c, "errors/error", { title: "页面已过期", message: "页面已过期或请求来源无法验证，请返回上一页刷新后重试。" }, 403);
  app.use("*", async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    if (CSRF_OWN_TOKEN_PREFIXES.some((p) => c.req.path.startsWith(p))) return next();
    const session = getSession(c);
    let sent = c.req.header("X-CSRF-Token") ?? "";
    if (!sent) {
      const type = c.req.header("Content-Type") ?? "";
      const boundary = /^multipart\/form-data/i.test(type) ? boundaryOf(type) : null;
      if (boundary) {
        const peeker = peekers.get(c.req);
        const ahead = peeker ? await peeker.peek(CSRF_PEEK_BYTES, firstFieldComplete(boundary)) : new Uint8Array(0);
        const first = firstMultipartField(ahead, boundary);
        sent = first?.name === "_csrf" ? first.value : "";
      } else if (/^application\/x-www-form-urlencoded/i.test(type)) {
        sent = (await formFields(c))._csrf ?? "";
      }
    }
    if (!(await session.checkCsrf(sent))) return expired(c);
    await next();
  });

  // Who is signed in (enterprise account and/or staff), loaded once per request and passed on: routes
  // give the use cases the ids and flags they need from it instead of loading them again.
  app.use("*", async (c, next) => {
    const session = getSession(c);
    const data = session.data;
    if (data?.accountId) {
      // The account and its enterprise side by side (both keyed by the session's account id).
      const [account, enterprise] = await Promise.all([deps.identity.account(data.accountId), deps.enterprises.ofAccount(data.accountId)]);
      if (account && enterprise) {
        c.set("viewer", {
          account: {
            id: account.id,
            phone: account.phone,
            hasPassword: account.hasPassword,
            enterpriseId: enterprise.id,
            enterpriseName: enterprise.name,
            isProvider: enterprise.isProvider,
            certificationStatus: enterprise.certificationStatus,
          },
        });
      } else {
        session.destroy();
      }
    } else if (data?.adminId) {
      const admin = await deps.identity.admin(data.adminId, data.createdAt);
      if (admin) c.set("viewer", { admin });
      else session.destroy();
    }
    await next();
  });

  for (const r of routers) app.route(r.prefix, r.build());

  app.notFound((c) => render(c, "errors/404", { title: "页面不存在" }, 404));
  app.onError((err, c) => {
    if (err instanceof PayloadTooLarge || c.var.body?.tooLarge) return tooLarge(c);
    if (err instanceof HTTPException && err.status === 403) {
      return render(c, "errors/error", { title: "请求被拒绝", message: "请求来源无法验证，请返回上一页刷新后重试。" }, 403);
    }
    if (err instanceof HTTPException && err.status < 500) {
      return render(c, "errors/error", { title: "请求有误", message: "请求格式不正确，请返回上一页重试。" }, 400);
    }
    // The database or the shared cache is down (restarting, failing over): 503 with a Chinese page
    // and Retry-After, never a 500; the adapters reconnect by themselves.
    if (err instanceof DatabaseUnavailable || err instanceof CacheUnavailable) {
      deps.log.warn({ reqId: c.var.requestId, err: { message: err.message } }, "dependency unavailable");
      c.header("Retry-After", "5");
      c.header("Cache-Control", "no-store");
      try {
        return render(c, "errors/503", { title: "服务暂时不可用" }, 503);
      } catch {
        return c.text("服务暂时不可用，请稍后刷新重试", 503);
      }
    }
    deps.log.error({ reqId: c.var.requestId, err: { message: err.message, stack: err.stack } }, "unhandled error");
    try {
      return render(c, "errors/500", { title: "系统繁忙", requestId: c.var.requestId }, 500);
    } catch {
      return c.text("系统繁忙，请稍后再试", 500);
    }
  });
  return app;
}
export type App = ReturnType<typeof buildApp>;
