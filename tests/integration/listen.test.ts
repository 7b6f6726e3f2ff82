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

describe("fail closed: where npm start listens", () => {
  it("on the embedded default with demo data: 127.0.0.1 only, and the banner says so", async () => {
    const port = await freePort();
    const dir = await tempDir();
    const server = await startServer(NODE, START, {
      env: env({ PORT: String(port), DATA_DIR: dir.dir, LOG_LEVEL: "warn" }),
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
