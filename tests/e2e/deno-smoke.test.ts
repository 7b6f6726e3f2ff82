import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_URL, REDIS_URL } from "../support/db.ts";
import { ROOT, type Server, childEnv, freePort, freshDatabase, alive, startServer, tempDir } from "../support/processes.ts";

/**
 * The platform runs on Deno too (DESIGN.md section 3): boot src/main.deno.ts exactly as
 * `npm run start:deno` does and browse a few pages. Embedded default always; when DATABASE_URL is
 * set (CI) also on a fresh PostgreSQL database with Redis, which exercises postgres.js and
 * node-redis under Deno.
 */
const DENO = join(ROOT, "node_modules/.bin/deno");
const ARGS = ["run", "-A", "--node-modules-dir=manual", "src/main.deno.ts"];
// Deno plus a fresh PGlite (3-4 s to create) start in about 6-15 s on a 2-core machine.
const BOOT_MS = 90_000;

type Variant = { name: string; env: () => Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }> };

const variants: Variant[] = [
  {
    name: "embedded default (PGlite in DATA_DIR, memory cache)",
    env: async () => ({ env: {}, cleanup: async () => {} }),
  },
];
if (DATABASE_URL) {
  const serverUrl = DATABASE_URL;
  variants.push({
    name: "PostgreSQL (fresh database) and Redis",
    env: async () => {
      const db = await freshDatabase(serverUrl, "deno_test");
      return { env: { DATABASE_URL: db.url, ...(REDIS_URL ? { REDIS_URL } : {}) }, cleanup: db.drop };
    },
  });
}

describe.each(variants)("Deno: $name", (variant) => {
  let server: Server | undefined;
  let cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    const data = await tempDir("gxv-deno-");
    cleanups.push(data.remove);
    const extra = await variant.env();
    cleanups.push(extra.cleanup);
    const port = await freePort();
    server = await startServer(DENO, ARGS, {
      port,
      timeoutMs: BOOT_MS,
      // Ready once its job engine runs (the server listens before it; /readyz says "starting" till then).
      readyPath: "/readyz",
      // CAPTCHA_TEST_ANSWER is left unset (childEnv removes it): the real captcha is on.
      env: childEnv({ PORT: String(port), DATA_DIR: data.dir, DEMO_DATA: "false", LOG_LEVEL: "warn", ...extra.env }),
    });
  }, BOOT_MS + 30_000);

  afterAll(async () => {
    await server?.stop();
    const pids = server?.pids() ?? [];
    // Cleanups in reverse: the database is dropped after the server that used it has exited.
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
    expect(pids.filter(alive)).toEqual([]); // no process of the server's tree is left
  }, 30_000);

  const get = (path: string, init?: RequestInit) => fetch(server!.url + path, init);

  it("answers /healthz and /readyz", async () => {
    const health = await get("/healthz");
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await get("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ok", database: "ok", cache: "ok" });
  });

  it("renders the home page in Chinese", async () => {
    const res = await get("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(res.headers.get("X-Request-Id")).toBeTruthy();
    const html = await res.text();
    expect(html).toContain('lang="zh-CN"');
    expect(html).toContain("立即注册");
  });

  it("renders the registration page with a graphic captcha", async () => {
    const res = await get("/register");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("立即注册");
    expect(html).toContain("图形验证码");
    expect(html).toMatch(/name="captchaId" value="[^"]+"/);
    expect(html).toMatch(/name="_csrf" value="[^"]+"/);
  });

  it("serves the content-hashed assets, gzip-compressed on request", async () => {
    const html = await (await get("/")).text();
    const css = html.match(/\/static\/app\.[0-9a-f]{12}\.css/)?.[0];
    expect(css).toBeTruthy();
    const res = await get(css!);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/css/);
    expect(res.headers.get("Cache-Control")).toContain("immutable");
    expect((await res.text()).length).toBeGreaterThan(100);
  });

  it("serves the mock e-signature provider's review console (its own tables and views)", async () => {
    const res = await get("/mock-esign/review");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("印章审核");
    expect(html).toContain("暂无待审核的印章");
  });

  it("stops cleanly on SIGTERM", async () => {
    const s = server!;
    await s.stop(10_000);
    expect(s.child.exitCode, s.output()).toBe(0);
    expect(s.pids().length).toBeGreaterThan(0);
    expect(s.pids().filter(alive)).toEqual([]);
  });
});
