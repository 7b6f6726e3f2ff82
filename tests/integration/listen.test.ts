import { readdir } from "node:fs/promises";
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { welcomeText } from "../../src/start.ts";
import { childEnv, freePort, startServer, tempDir } from "../support/processes.ts";

// As npm start runs it. A fresh DATA_DIR creates and seeds the database, which on a busy machine
// takes longer than the default test timeout: each test waits as long as startServer does.
const NODE = process.execPath;
const START = ["--import", "tsx", "src/main.ts"];

/** The child's environment without any HOST of this shell. */
const env = (set: Record<string, string>) => {
  const e = childEnv(set);
  if (!("HOST" in set)) delete e.HOST;
  return e;
};

/** Whether something answers HTTP at this address (127.0.0.2 is loopback too, but not 127.0.0.1). */
async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** Waits until GET url answers `status` (the job engine starts after the server listens). */
async function until(url: string, status: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) }).catch(() => undefined);
    await res?.arrayBuffer();
    if (res?.status === status) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last ${res?.status})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the image folder holds a finished spare. */
async function untilSpare(dir: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await readdir(dir)).some((f) => f.endsWith(".spare"))) {
    if (Date.now() > deadline) throw new Error(`no spare in ${dir} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The pino lines of a server's output with this message. */
const logLines = (output: string, msg: string) =>
  output
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { msg: string; [k: string]: unknown })
    .filter((l) => l.msg === msg);

describe("fail closed: where npm start listens", () => {
  it("on the embedded default with demo data: 127.0.0.1 only, and the banner says so; a fresh DATA_DIR starts from the database image and serves the demo", async () => {
    const port = await freePort();
    const dir = await tempDir();
    const server = await startServer(NODE, START, {
      env: env({ PORT: String(port), DATA_DIR: dir.dir, LOG_LEVEL: "info" }),
      port,
      timeoutMs: 120_000,
    });
    try {
      expect(await answers(`http://127.0.0.1:${port}/healthz`)).toBe(true);
      // A server bound to every interface would answer on 127.0.0.2 as well.
      expect(await answers(`http://127.0.0.2:${port}/healthz`)).toBe(false);
      expect(server.output()).toContain("Listening on 127.0.0.1 only");
      expect(server.output()).toContain("Set HOST");
      expect(server.output()).toContain("Demo logins");
      // The first page, with the demo data, as soon as it listens; ready once the job engine runs.
      const home = await fetch(`http://127.0.0.1:${port}/`);
      expect(home.status).toBe(200);
      expect(await home.text()).toContain("智能制造能力成熟度诊断服务");
      await until(`http://127.0.0.1:${port}/readyz`, 200);
      const out = server.output();
      expect(logLines(out, "embedded database restored from the migrated image")).toHaveLength(1);
      const [listening] = logLines(out, "listening");
      expect(Object.keys(listening?.steps as object)).toEqual(["boot", "database", "adapters", "migrate", "seal", "demo", "listen"]);
      expect(logLines(out, "ready: the job engine is running")).toHaveLength(1);
    } finally {
      await server.stop();
      await dir.remove();
    }
  }, 150_000);

  it("HOST=0.0.0.0 opens it to every interface", async () => {
    const port = await freePort();
    const dir = await tempDir();
    const server = await startServer(NODE, START, {
      env: env({ PORT: String(port), DATA_DIR: dir.dir, LOG_LEVEL: "warn", HOST: "0.0.0.0", DEMO_DATA: "false" }),
      port,
      timeoutMs: 120_000,
    });
    try {
      expect(await answers(`http://127.0.0.2:${port}/healthz`)).toBe(true);
      expect(server.output()).toContain("Listening on 0.0.0.0 (every interface)");
    } finally {
      await server.stop();
      await dir.remove();
    }
  }, 150_000);

  it("without a database image (PGLITE_IMAGE_DIR empty): the first start builds and keeps it and its spare, the next fresh DATA_DIR takes the spare", async () => {
    const images = await tempDir("gxv-images-");
    const dirs = [await tempDir(), await tempDir()];
    try {
      const outputs: string[] = [];
      for (const dir of dirs) {
        const port = await freePort();
        const server = await startServer(NODE, START, {
          env: env({ PORT: String(port), DATA_DIR: dir.dir, LOG_LEVEL: "info", DEMO_DATA: "false", PGLITE_IMAGE_DIR: images.dir }),
          port,
          timeoutMs: 120_000,
        });
        try {
          await until(`http://127.0.0.1:${port}/readyz`, 200);
          // The next fresh DATA_DIR's spare is made in the background once the start is over.
          await untilSpare(images.dir);
          outputs.push(server.output());
        } finally {
          await server.stop();
        }
      }
      const [first, second] = outputs as [string, string];
      const [built] = logLines(first, "built the migrated database image");
      expect(built?.file).toMatch(/pglite-[\d.]+-[0-9a-f]{20}\.tar$/);
      const image = basename(built!.file as string);
      expect((await readdir(images.dir)).sort()).toEqual([image.replace(/\.tar$/, ".spare"), image]);
      expect(logLines(second, "built the migrated database image")).toHaveLength(0);
      expect(logLines(first, "embedded database restored from the migrated image")).toMatchObject([{ spare: false }]);
      expect(logLines(second, "embedded database restored from the migrated image")).toMatchObject([{ spare: true }]);
      for (const out of outputs) expect(logLines(out, "migrations applied")).toHaveLength(0);
    } finally {
      for (const d of [...dirs, images]) await d.remove();
    }
  }, 300_000);

  it("the banner names the interface", () => {
    const local = welcomeText({ host: "127.0.0.1", port: 3000, loopbackOnly: true, demo: true, outbox: true });
    expect(local).toContain("http://localhost:3000");
    expect(local).toContain("Listening on 127.0.0.1 only");
    expect(local).toContain("/dev/sms");
    const open = welcomeText({ host: "0.0.0.0", port: 8080, loopbackOnly: false, demo: false, outbox: false });
    expect(open).toContain("Listening on 0.0.0.0 (every interface)");
    expect(open).not.toContain("Demo logins");
    expect(welcomeText({ host: "10.0.0.5", port: 80, loopbackOnly: false, demo: false, outbox: false })).toContain("http://10.0.0.5:80");
  });
});
