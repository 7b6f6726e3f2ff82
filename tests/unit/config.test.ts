import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";

describe("configuration", () => {
  it("defaults to the embedded platform on port 3000 with demo data and the SMS outbox", () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.dataDir).toBe("./data");
    expect(c.databaseUrl).toBeUndefined();
    expect(c.demoData).toBe(true);
    expect(c.devSmsOutbox).toBe(true);
    expect(c.session).toEqual({ idleSeconds: 1800, absoluteSeconds: 43200 });
    expect(c.adminSession).toEqual({ idleSeconds: 900, absoluteSeconds: 28800 });
  });
  it("reads PORT and DATA_DIR", () => {
    const c = loadConfig({ PORT: "8080", DATA_DIR: "/srv/data" });
    expect(c.port).toBe(8080);
    expect(c.dataDir).toBe("/srv/data");
  });
  it("does not load demo data into a real PostgreSQL unless asked", () => {
    expect(loadConfig({ DATABASE_URL: "postgres://x/y" }).demoData).toBe(false);
    expect(loadConfig({ DATABASE_URL: "postgres://x/y", DEMO_DATA: "true" }).demoData).toBe(true);
  });
  it("production: no outbox, no demo data, no captcha test answer", () => {
    const c = loadConfig({ NODE_ENV: "production", DATABASE_URL: "postgres://x/y" });
    expect(c.devSmsOutbox).toBe(false);
    expect(c.demoData).toBe(false);
    expect(() => loadConfig({ NODE_ENV: "production", CAPTCHA_TEST_ANSWER: "TEST" })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: "production", DEV_SMS_OUTBOX: "true" })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: "production", DEMO_DATA: "true" })).toThrow(ConfigError);
  });
  it("refuses nonsense", () => {
    expect(() => loadConfig({ PORT: "http" })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: "staging" })).toThrow(ConfigError);
  });
});
