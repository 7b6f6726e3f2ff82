import { z } from "zod";
import { type FieldKey, parseKeyList } from "./lib/field-keys.ts";
import { type TrustProxy, parseTrustProxy } from "./lib/proxy.ts";

/** Every setting of the platform, read from the environment in one place. */
const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Interface to listen on; unset: 127.0.0.1 while demo data or the SMS outbox is on, else 0.0.0.0. */
  HOST: z.string().trim().optional(),
  DATA_DIR: z.string().default("./data"),
  DATABASE_URL: z.string().optional(),
  /** Where the migrated, empty embedded database image is kept (src/adapters/pglite-image.ts); default node_modules/.cache/<package name>. */
  PGLITE_IMAGE_DIR: z.string().trim().optional(),
  REDIS_URL: z.string().optional(),
  /** Where uploaded and generated files live: "disk" (DATA_DIR/files) or "postgres" (the database of DATABASE_URL, shared by every instance). */
  FILE_STORE: z.enum(["disk", "postgres"]).default("disk"),
  /** Origin the platform is reached at (used for CSRF origin checks behind proxies). */
  PUBLIC_ORIGIN: z.string().optional(),
  CAPTCHA_TEST_ANSWER: z.string().optional(),
  /** "true" loads demo data on start (default outside production on the embedded database). */
  DEMO_DATA: z.enum(["true", "false"]).optional(),
  /** "false" leaves out the demo's year of history (past enterprises, vouchers and orders for 数据看板); default "true". */
  DEMO_HISTORY: z.enum(["true", "false"]).default("true"),
  /** "true" mounts /dev/sms (default outside production). */
  DEV_SMS_OUTBOX: z.enum(["true", "false"]).optional(),
  /** After SIGTERM: ms the server keeps serving while /readyz says draining (the balancer takes it out) before it stops accepting. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(2_000),
  /** The most ms a shutdown may take (grace, in-flight requests, running jobs, pools); then it exits 1, logging what still ran. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Trusted reverse proxies in front of the app: a number of hops, or a comma list of addresses / CIDR networks. */
  TRUST_PROXY: z.string().default("0"),
  /** Size cap of the in-memory cache (embedded default): entries, and megabytes of keys and values. */
  CACHE_MAX_ENTRIES: z.coerce.number().int().min(100).default(100_000),
  CACHE_MAX_MB: z.coerce.number().int().min(1).default(64),
  /** "false": templates are read and compiled at every render (`npm run dev`, to edit them live); default: compiled once. */
  VIEW_CACHE: z.enum(["true", "false"]).default("true"),
  /** "false" turns the anonymous page cache off (docs/page-cache.md). */
  PAGE_CACHE: z.enum(["true", "false"]).default("true"),
  /** How long (ms) an instance reuses the data versions it read: a change shows on cached pages within this time (0: read them on every view). */
  PAGE_CACHE_VERSIONS_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  SESSION_IDLE_MINUTES: z.coerce.number().int().positive().default(30),
  SESSION_ABSOLUTE_HOURS: z.coerce.number().int().positive().default(12),
  ADMIN_SESSION_IDLE_MINUTES: z.coerce.number().int().positive().default(15),
  ADMIN_SESSION_ABSOLUTE_HOURS: z.coerce.number().int().positive().default(8),
  SMS_DAILY_CAP_PER_PHONE: z.coerce.number().int().positive().default(10),
  SMS_DAILY_CAP_PER_IP: z.coerce.number().int().positive().default(50),
  /** Days an order may stay 待接单 before the closing job closes it (超时关闭). */
  ORDER_ACCEPT_DAYS: z.coerce.number().int().min(1).max(365).default(7),
  // 兑付: the days an approved application is published (兑付公示) before it may be paid out.
  SETTLEMENT_PUBLICITY_DAYS: z.coerce.number().int().min(0).max(60).default(5),
  // 兑付: a provider's yearly cap of 通用券 settlement in yuan (500万元 by the 管理办法).
  SETTLEMENT_GENERAL_CAP_YUAN: z.coerce.number().int().min(1).max(1_000_000_000).default(5_000_000),
  /** 使用率提醒: days before a voucher's validity ends that a low-usage enterprise gets its SMS (0: off). */
  VOUCHER_REMINDER_DAYS: z.coerce.number().int().min(0).max(365).default(30),
  /** 使用率提醒: the usage (consumed / granted, percent) below which the reminder goes out. */
  VOUCHER_REMINDER_USAGE_PERCENT: z.coerce.number().int().min(1).max(100).default(70),
  /** 额度收回: days after approval after which an account with no order gives its quota back (0: off). */
  VOUCHER_RECALL_DAYS: z.coerce.number().int().min(0).max(3650).default(0),
  /** Exports (docs/exports.md): up to this many rows download at once; more run as a background job. */
  EXPORT_DIRECT_MAX_ROWS: z.coerce.number().int().min(0).max(1_000_000).default(2_000),
  /** The most rows one export may have (refused above, nothing queued). */
  EXPORT_MAX_ROWS: z.coerce.number().int().min(1).max(1_000_000).default(200_000),
  /** The longest date range (days) of a list whose export requires one (审计日志). */
  EXPORT_MAX_RANGE_DAYS: z.coerce.number().int().min(1).max(3_660).default(366),
  /** Hours a background export's file is kept for download. */
  EXPORT_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(24),
  /** Rows read per batch by an export (and between two progress updates). */
  EXPORT_BATCH_ROWS: z.coerce.number().int().min(1).max(10_000).default(500),
  /** The mock e-signature provider's own secret (callback signatures); unset outside production: generated into DATA_DIR. */
  MOCK_ESIGN_SECRET: z.string().optional(),
  /** Where the mock e-signature provider posts its callbacks (default: this server's /callbacks/esign). */
  MOCK_ESIGN_CALLBACK_URL: z.string().optional(),
  /** The mock payment gateway's RSA private key (PKCS#8 PEM); unset outside production: generated into DATA_DIR. */
  MOCK_PAY_PRIVATE_KEY: z.string().optional(),
  /** Where the mock payment gateway posts its notifications (default: this server's /callbacks/pay). */
  MOCK_PAY_NOTIFY_URL: z.string().optional(),
  /**
   * Field encryption keys, `id:base64key[,id:base64key...]` (32 random bytes each): the first seals
   * new values, all open old ones. Required in production; elsewhere a key is generated in DATA_DIR.
   */
  ENCRYPTION_KEYS: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (!s?.trim()) return undefined;
      try {
        return parseKeyList(s);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
        return z.NEVER;
      }
    }),
});

export type Config = {
  env: "development" | "production" | "test";
  port: number;
  host: string;
  /** True when HOST was not set and the server keeps to the loopback interface (fail closed). */
  loopbackOnly: boolean;
  dataDir: string;
  databaseUrl?: string;
  /** The embedded database image's folder (PGLITE_IMAGE_DIR); unset: node_modules/.cache/<package name>. */
  pgliteImageDir?: string;
  redisUrl?: string;
  /** The FileStore adapter: files on disk under DATA_DIR/files, or in the PostgreSQL database (several instances). */
  fileStore: "disk" | "postgres";
  publicOrigin?: string;
  captchaTestAnswer?: string;
  demoData: boolean;
  /** With the demo data: also a year of history for the dashboard (src/demo-history.ts). */
  demoHistory: boolean;
  devSmsOutbox: boolean;
  logLevel: string;
  /** Graceful stop (src/lifecycle.ts): the draining grace period after SIGTERM and the hard limit of the whole shutdown. */
  shutdown: { graceMs: number; timeoutMs: number };
  trustProxy: TrustProxy;
  memoryCache: { maxEntries: number; maxBytes: number };
  /** The anonymous page cache (src/web/page-cache.ts) and how long versions are reused. */
  pageCache: { enabled: boolean; versionsMs: number };
  /** Eta compiles each template once (false: at every render, for editing templates live). */
  viewCache: boolean;
  session: { idleSeconds: number; absoluteSeconds: number };
  adminSession: { idleSeconds: number; absoluteSeconds: number };
  sms: { dailyCapPerPhone: number; dailyCapPerIp: number };
  /** Days an order may stay 待接单 before 超时关闭. */
  orderAcceptDays: number;
  settlement: { publicityDays: number; generalCapFen: number };
  /** Monitoring (docs/monitoring.md): the low-usage reminder and 额度收回; 0 days is off. */
  monitoring: { reminderDays: number; reminderUsagePercent: number; recallDays: number };
  /** Exports (docs/exports.md). */
  exports: { directMaxRows: number; maxRows: number; maxRangeDays: number; ttlHours: number; batchRows: number; maxOpenPerStaff: number };
  /** Unset: the embedded default's generated key in DATA_DIR (never in production). */
  encryptionKeys?: FieldKey[];
  /**
   * The mock e-signature provider (src/adapters/mock-esign/), outside production only (undefined
   * there). `secret` unset: generated once into DATA_DIR/mock-esign-secret.
   */
  mockEsign?: { secret?: string; callbackUrl: string };
  /**
   * The mock payment gateway (src/adapters/mock-pay/), outside production only. `privateKey` unset:
   * an RSA key pair generated once into DATA_DIR/mock-pay-key.pem.
   */
  mockPay?: { privateKey?: string; notifyUrl: string };
};

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`Invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === "production";
  const devSmsOutbox = e.DEV_SMS_OUTBOX ? e.DEV_SMS_OUTBOX === "true" : !production;
  const captchaTestAnswer = e.CAPTCHA_TEST_ANSWER || undefined;
  if (production && captchaTestAnswer) {
    throw new ConfigError("CAPTCHA_TEST_ANSWER must not be set when NODE_ENV=production");
  }
  if (production && devSmsOutbox) {
    throw new ConfigError("DEV_SMS_OUTBOX (the /dev/sms outbox) must not be enabled when NODE_ENV=production");
  }
  const demoData = e.DEMO_DATA ? e.DEMO_DATA === "true" : !production && !e.DATABASE_URL;
  if (production && demoData) {
    throw new ConfigError("DEMO_DATA must not be enabled when NODE_ENV=production");
  }
  if (production && !e.ENCRYPTION_KEYS) {
    throw new ConfigError("ENCRYPTION_KEYS must be set when NODE_ENV=production (id:base64key, 32 random bytes; e.g. `k1:$(openssl rand -base64 32)`)");
  }
  const mockSecret = e.MOCK_ESIGN_SECRET?.trim() || undefined;
  const mockCallback = e.MOCK_ESIGN_CALLBACK_URL?.trim() || undefined;
  if (production && (mockSecret || mockCallback)) {
    throw new ConfigError(
      "MOCK_ESIGN_SECRET / MOCK_ESIGN_CALLBACK_URL must not be set when NODE_ENV=production (the mock e-signature provider runs only outside production)",
    );
  }
  if (mockSecret && mockSecret.length < 32) throw new ConfigError("MOCK_ESIGN_SECRET must be at least 32 characters (e.g. `openssl rand -hex 32`)");
  if (mockCallback && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(mockCallback)) {
    throw new ConfigError("MOCK_ESIGN_CALLBACK_URL must be an http(s) URL (e.g. http://127.0.0.1:3000/callbacks/esign)");
  }
  const mockPayKey = e.MOCK_PAY_PRIVATE_KEY?.trim() || undefined;
  const mockNotify = e.MOCK_PAY_NOTIFY_URL?.trim() || undefined;
  if (production && (mockPayKey || mockNotify)) {
    throw new ConfigError(
      "MOCK_PAY_PRIVATE_KEY / MOCK_PAY_NOTIFY_URL must not be set when NODE_ENV=production (the mock payment gateway runs only outside production)",
    );
  }
  if (mockNotify && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(mockNotify)) {
    throw new ConfigError("MOCK_PAY_NOTIFY_URL must be an http(s) URL (e.g. http://127.0.0.1:3000/callbacks/pay)");
  }
  if (e.FILE_STORE === "postgres" && !e.DATABASE_URL) {
    throw new ConfigError("FILE_STORE=postgres needs DATABASE_URL (the embedded database serves one instance, whose files stay on disk)");
  }
  if (e.SHUTDOWN_GRACE_MS >= e.SHUTDOWN_TIMEOUT_MS) {
    throw new ConfigError("SHUTDOWN_GRACE_MS must be less than SHUTDOWN_TIMEOUT_MS (the hard limit of the whole shutdown includes the grace period)");
  }
  const trustProxy = parseTrustProxy(e.TRUST_PROXY);
  if (typeof trustProxy === "string") throw new ConfigError(`Invalid configuration: ${trustProxy}`);
  // Fail closed: public demo passwords and the live SMS outbox stay on this machine unless HOST says otherwise.
  const loopbackOnly = !e.HOST && (demoData || devSmsOutbox);
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST || (loopbackOnly ? "127.0.0.1" : "0.0.0.0"),
    loopbackOnly,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL || undefined,
    pgliteImageDir: e.PGLITE_IMAGE_DIR || undefined,
    redisUrl: e.REDIS_URL || undefined,
    fileStore: e.FILE_STORE,
    publicOrigin: e.PUBLIC_ORIGIN,
    captchaTestAnswer,
    demoData,
    demoHistory: e.DEMO_HISTORY === "true",
    devSmsOutbox,
    logLevel: e.LOG_LEVEL,
    shutdown: { graceMs: e.SHUTDOWN_GRACE_MS, timeoutMs: e.SHUTDOWN_TIMEOUT_MS },
    trustProxy,
    memoryCache: { maxEntries: e.CACHE_MAX_ENTRIES, maxBytes: e.CACHE_MAX_MB * 1024 * 1024 },
    pageCache: { enabled: e.PAGE_CACHE === "true", versionsMs: e.PAGE_CACHE_VERSIONS_MS },
    viewCache: e.VIEW_CACHE === "true",
    session: { idleSeconds: e.SESSION_IDLE_MINUTES * 60, absoluteSeconds: e.SESSION_ABSOLUTE_HOURS * 3600 },
    adminSession: {
      idleSeconds: e.ADMIN_SESSION_IDLE_MINUTES * 60,
      absoluteSeconds: e.ADMIN_SESSION_ABSOLUTE_HOURS * 3600,
    },
    sms: { dailyCapPerPhone: e.SMS_DAILY_CAP_PER_PHONE, dailyCapPerIp: e.SMS_DAILY_CAP_PER_IP },
    orderAcceptDays: e.ORDER_ACCEPT_DAYS,
    settlement: { publicityDays: e.SETTLEMENT_PUBLICITY_DAYS, generalCapFen: e.SETTLEMENT_GENERAL_CAP_YUAN * 100 },
    monitoring: {
      reminderDays: e.VOUCHER_REMINDER_DAYS,
      reminderUsagePercent: e.VOUCHER_REMINDER_USAGE_PERCENT,
      recallDays: e.VOUCHER_RECALL_DAYS,
    },
    exports: {
      directMaxRows: e.EXPORT_DIRECT_MAX_ROWS,
      maxRows: e.EXPORT_MAX_ROWS,
      maxRangeDays: e.EXPORT_MAX_RANGE_DAYS,
      ttlHours: e.EXPORT_TTL_HOURS,
      batchRows: e.EXPORT_BATCH_ROWS,
      maxOpenPerStaff: 3,
    },
    encryptionKeys: e.ENCRYPTION_KEYS,
    mockEsign: production
      ? undefined
      : { secret: mockSecret, callbackUrl: mockCallback ?? `${(e.PUBLIC_ORIGIN || `http://127.0.0.1:${e.PORT}`).replace(/\/+$/, "")}/callbacks/esign` },
    mockPay: production
      ? undefined
      : { privateKey: mockPayKey, notifyUrl: mockNotify ?? `${(e.PUBLIC_ORIGIN || `http://127.0.0.1:${e.PORT}`).replace(/\/+$/, "")}/callbacks/pay` },
  };
}
