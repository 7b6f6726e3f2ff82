import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";

const KEY1 = btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => i)));
const KEYS = `k1:${KEY1}`;

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
    const c = loadConfig({ NODE_ENV: "production", DATABASE_URL: "postgres://x/y", ENCRYPTION_KEYS: KEYS });
    expect(c.devSmsOutbox).toBe(false);
    expect(c.demoData).toBe(false);
    expect(() => loadConfig({ NODE_ENV: "production", CAPTCHA_TEST_ANSWER: "TEST" })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: "production", DEV_SMS_OUTBOX: "true" })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: "production", DEMO_DATA: "true" })).toThrow(ConfigError);
  });
  it("keeps files on disk unless FILE_STORE=postgres, which needs DATABASE_URL", () => {
    expect(loadConfig({}).fileStore).toBe("disk");
    expect(loadConfig({ DATABASE_URL: "postgres://x/y" }).fileStore).toBe("disk");
    expect(loadConfig({ DATABASE_URL: "postgres://x/y", FILE_STORE: "postgres" }).fileStore).toBe("postgres");
    expect(() => loadConfig({ FILE_STORE: "postgres" })).toThrow(/FILE_STORE=postgres needs DATABASE_URL/);
    expect(() => loadConfig({ FILE_STORE: "s3" })).toThrow(ConfigError);
  });
  it("production refuses to start without a field encryption key", () => {
    expect(() => loadConfig({ NODE_ENV: "production", DATABASE_URL: "postgres://x/y" })).toThrow(/ENCRYPTION_KEYS must be set/);
    expect(() => loadConfig({ NODE_ENV: "production", DATABASE_URL: "postgres://x/y", ENCRYPTION_KEYS: " " })).toThrow(ConfigError);
    expect(loadConfig({}).encryptionKeys).toBeUndefined(); // the embedded default generates one in DATA_DIR
  });
  it("reads ENCRYPTION_KEYS: the first key seals, every key opens; bad lists are refused without echoing a key", () => {
    const key2 = btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => 255 - i)));
    const c = loadConfig({ ENCRYPTION_KEYS: `k2:${key2}, ${KEYS}` });
    expect(c.encryptionKeys?.map((k) => k.id)).toEqual(["k2", "k1"]);
    expect(c.encryptionKeys?.[1]?.key).toEqual(Uint8Array.from({ length: 32 }, (_, i) => i));
    const refused = (v: string) => {
      try {
        loadConfig({ ENCRYPTION_KEYS: v });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as Error).message).toContain("ENCRYPTION_KEYS");
        expect((err as Error).message).not.toContain(KEY1.slice(0, 20));
        return (err as Error).message;
      }
      throw new Error(`accepted ${v}`);
    };
    expect(refused(`k1:${KEY1.slice(0, 20)}`)).toContain("must be 32 bytes");
    expect(refused(`${KEYS},${KEYS}`)).toContain("appears twice");
    expect(refused(KEY1)).toContain("expected id:base64key");
    expect(refused("k1:not*base64")).toContain("not valid base64");
    expect(refused(`bad id:${KEY1}`)).toContain("expected id:base64key");
  });
  it("fails closed: with demo data or the SMS outbox it listens on 127.0.0.1 unless HOST is set", () => {
    expect(loadConfig({})).toMatchObject({ host: "127.0.0.1", loopbackOnly: true });
    expect(loadConfig({ DATABASE_URL: "postgres://x/y" })).toMatchObject({ host: "127.0.0.1", loopbackOnly: true });
    expect(loadConfig({ DEMO_DATA: "false", DEV_SMS_OUTBOX: "false" })).toMatchObject({ host: "0.0.0.0", loopbackOnly: false });
    expect(loadConfig({ HOST: "0.0.0.0" })).toMatchObject({ host: "0.0.0.0", loopbackOnly: false, demoData: true });
    expect(loadConfig({ HOST: "::" })).toMatchObject({ host: "::", loopbackOnly: false });
    expect(loadConfig({ HOST: "" })).toMatchObject({ host: "127.0.0.1", loopbackOnly: true });
    expect(loadConfig({ NODE_ENV: "production", DATABASE_URL: "postgres://x/y", ENCRYPTION_KEYS: KEYS })).toMatchObject({
      host: "0.0.0.0",
      loopbackOnly: false,
    });
    expect(loadConfig({ NODE_ENV: "production", HOST: "10.0.0.5", ENCRYPTION_KEYS: KEYS }).host).toBe("10.0.0.5");
  });
  it("TRUST_PROXY: hops, true/false, trusted addresses; nonsense refused", () => {
    expect(loadConfig({}).trustProxy).toEqual({ hops: 0 });
    expect(loadConfig({ TRUST_PROXY: "false" }).trustProxy).toEqual({ hops: 0 });
    expect(loadConfig({ TRUST_PROXY: "true" }).trustProxy).toEqual({ hops: 1 });
    expect(loadConfig({ TRUST_PROXY: "2" }).trustProxy).toEqual({ hops: 2 });
    expect(loadConfig({ TRUST_PROXY: "10.0.0.0/8,172.16.0.1" }).trustProxy).toMatchObject({ networks: [{ bits: 8 }, { bits: 32 }] });
    expect(() => loadConfig({ TRUST_PROXY: "yes" })).toThrow(ConfigError);
    expect(() => loadConfig({ TRUST_PROXY: "10.0.0.0/99" })).toThrow(ConfigError);
  });
  it("caps the in-memory cache", () => {
    expect(loadConfig({}).memoryCache).toEqual({ maxEntries: 100_000, maxBytes: 64 * 1024 * 1024 });
    expect(loadConfig({ CACHE_MAX_ENTRIES: "5000", CACHE_MAX_MB: "8" }).memoryCache).toEqual({ maxEntries: 5000, maxBytes: 8 * 1024 * 1024 });
    expect(() => loadConfig({ CACHE_MAX_ENTRIES: "0" })).toThrow(ConfigError);
  });
  it("ORDER_ACCEPT_DAYS: 7 days by default, whole days from 1 to 365", () => {
    expect(loadConfig({}).orderAcceptDays).toBe(7);
    expect(loadConfig({ ORDER_ACCEPT_DAYS: "3" }).orderAcceptDays).toBe(3);
    for (const bad of ["0", "-1", "1.5", "366", "week"]) expect(() => loadConfig({ ORDER_ACCEPT_DAYS: bad }), bad).toThrow(/ORDER_ACCEPT_DAYS/);
  });
  it("the mock e-signature provider: outside production only, its callback URL this server's /callbacks/esign by default", () => {
    expect(loadConfig({}).mockEsign).toEqual({ secret: undefined, callbackUrl: "http://127.0.0.1:3000/callbacks/esign" });
    expect(loadConfig({ PORT: "8080" }).mockEsign?.callbackUrl).toBe("http://127.0.0.1:8080/callbacks/esign");
    expect(loadConfig({ PUBLIC_ORIGIN: "https://vouchers.example.cn/" }).mockEsign?.callbackUrl).toBe("https://vouchers.example.cn/callbacks/esign");
    const secret = "s".repeat(32);
    expect(loadConfig({ MOCK_ESIGN_SECRET: secret, MOCK_ESIGN_CALLBACK_URL: "http://10.0.0.2:3000/cb" }).mockEsign).toEqual({
      secret,
      callbackUrl: "http://10.0.0.2:3000/cb",
    });
    expect(() => loadConfig({ MOCK_ESIGN_SECRET: "short" })).toThrow(/at least 32 characters/);
    expect(() => loadConfig({ MOCK_ESIGN_CALLBACK_URL: "ftp://x" })).toThrow(/MOCK_ESIGN_CALLBACK_URL/);
    expect(loadConfig({ NODE_ENV: "production", ENCRYPTION_KEYS: KEYS }).mockEsign).toBeUndefined();
    expect(() => loadConfig({ NODE_ENV: "production", ENCRYPTION_KEYS: KEYS, MOCK_ESIGN_SECRET: secret })).toThrow(/only outside production/);
  });
  it("the mock payment gateway: outside production only, its notify URL this server's /callbacks/pay by default", () => {
    expect(loadConfig({}).mockPay).toEqual({ privateKey: undefined, notifyUrl: "http://127.0.0.1:3000/callbacks/pay" });
    expect(loadConfig({ PUBLIC_ORIGIN: "https://vouchers.example.cn" }).mockPay?.notifyUrl).toBe("https://vouchers.example.cn/callbacks/pay");
    expect(loadConfig({ MOCK_PAY_NOTIFY_URL: "http://10.0.0.2:3000/pay" }).mockPay?.notifyUrl).toBe("http://10.0.0.2:3000/pay");
    expect(() => loadConfig({ MOCK_PAY_NOTIFY_URL: "ftp://x" })).toThrow(/MOCK_PAY_NOTIFY_URL/);
    expect(loadConfig({ NODE_ENV: "production", ENCRYPTION_KEYS: KEYS }).mockPay).toBeUndefined();
    expect(() => loadConfig({ NODE_ENV: "production", ENCRYPTION_KEYS: KEYS, MOCK_PAY_PRIVATE_KEY: "x" })).toThrow(/only outside production/);
  });
  it("shutdown: a 2 s grace period and a 30 s hard limit by default; the grace must end before the limit", () => {
    expect(loadConfig({}).shutdown).toEqual({ graceMs: 2000, timeoutMs: 30000 });
    expect(loadConfig({ SHUTDOWN_GRACE_MS: "0", SHUTDOWN_TIMEOUT_MS: "5000" }).shutdown).toEqual({ graceMs: 0, timeoutMs: 5000 });
    expect(() => loadConfig({ SHUTDOWN_GRACE_MS: "5000", SHUTDOWN_TIMEOUT_MS: "5000" })).toThrow(
      /SHUTDOWN_GRACE_MS must be less than SHUTDOWN_TIMEOUT_MS/,
    );
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: "10" })).toThrow(ConfigError);
    expect(() => loadConfig({ SHUTDOWN_GRACE_MS: "-1" })).toThrow(ConfigError);
  });
  it("refuses nonsense", () => {
    expect(() => loadConfig({ PORT: "http" })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: "staging" })).toThrow(ConfigError);
  });
});
