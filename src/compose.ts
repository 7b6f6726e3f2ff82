import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import pino, { type Logger } from "pino";
import type { Config } from "./config.ts";
import type { Deps } from "./deps.ts";
import { memoryCache } from "./adapters/memory-cache.ts";
import { outboxSms } from "./adapters/outbox-sms.ts";
import { openPglite, pgliteInstance } from "./adapters/pglite.ts";
import {
  clearDataDir,
  defaultImageDir,
  ensureImage,
  freshDataDir,
  imageKey,
  makeSpare,
  openFromImage,
  readImage,
  takeSpare,
} from "./adapters/pglite-image.ts";
import { loadMigrations } from "./adapters/migrate.ts";
import { pgBossJobs } from "./adapters/pgboss-jobs.ts";
import { scryptPasswords } from "./adapters/scrypt-passwords.ts";
import { unavailableSms } from "./adapters/unavailable-sms.ts";
import type { Cache } from "./ports/cache.ts";
import { type Clock, systemClock } from "./ports/clock.ts";
import type { Db } from "./ports/db.ts";
import type { Jobs } from "./ports/jobs.ts";
import type { PasswordHasher } from "./ports/passwords.ts";
import type { SmsOutbox, SmsSender } from "./ports/sms.ts";
import { pgAudit as audit } from "./modules/audit/pg.ts";
import { auditLogService } from "./modules/audit/service.ts";
import { pgBankAccounts, pgCertifications, pgEnterprises, pgFieldSealing } from "./modules/enterprises/pg.ts";
import { pgFiles } from "./modules/files/pg.ts";
import { fileService } from "./modules/files/service.ts";
import { fsFiles } from "./adapters/fs-files.ts";
import { embeddedKeys } from "./adapters/key-file.ts";
import { webCryptoCipher } from "./adapters/webcrypto-cipher.ts";
import { mockEsign } from "./adapters/mock-esign/mock-esign.ts";
import { embeddedMockSecret } from "./adapters/mock-esign/secret.ts";
import { unavailableEsign } from "./adapters/unavailable-esign.ts";
import { mockPay } from "./adapters/mock-pay/mock-pay.ts";
import { embeddedMockPayKeys, keysOf } from "./adapters/mock-pay/key.ts";
import { unavailablePay } from "./adapters/unavailable-pay.ts";
import type { PaymentGateway } from "./ports/payments.ts";
import type { ESignature } from "./ports/esignature.ts";
import type { FieldCipher } from "./ports/crypto.ts";
import { pgLedger, pgProgrammes, pgQuota } from "./modules/vouchers/pg.ts";
import { pgCatalog } from "./modules/catalog/pg.ts";
import { catalogService } from "./modules/catalog/service.ts";
import { pgProducts } from "./modules/products/pg.ts";
import { productService } from "./modules/products/service.ts";
import { pgDemands } from "./modules/demands/pg.ts";
import { demandService } from "./modules/demands/service.ts";
import { voucherService } from "./modules/vouchers/service.ts";
import type { FileStore } from "./ports/files.ts";
import { enterpriseService } from "./modules/enterprises/service.ts";
import { pgAccounts, pgAdmins } from "./modules/identity/pg.ts";
import { identityService } from "./modules/identity/service.ts";
import { pgArticles } from "./modules/content/pg.ts";
import { contentService } from "./modules/content/service.ts";
import { pgMessages } from "./modules/messages/pg.ts";
import { messageService } from "./modules/messages/service.ts";
import { portalService } from "./modules/portal/service.ts";
import { pgMonitoring } from "./modules/monitoring/pg.ts";
import { monitoringService } from "./modules/monitoring/service.ts";
import { pgOrders } from "./modules/orders/pg.ts";
import { pgOrderAdmin } from "./modules/orders/admin-pg.ts";
import { orderService } from "./modules/orders/service.ts";
import { signingService } from "./modules/signing/service.ts";
import { paymentService } from "./modules/payments/service.ts";
import { pgPaymentLedger, pgPayments, pgReconciliations, pgRefunds } from "./modules/payments/pg.ts";
import { pgTerminations } from "./modules/orders/termination-pg.ts";
import { settlementService } from "./modules/settlement/service.ts";
import { pgSettlements } from "./modules/settlement/pg.ts";
import { pgSigning } from "./modules/signing/pg.ts";
import { pgDashboard } from "./modules/dashboard/pg.ts";
import { pgEnterpriseHistory } from "./modules/enterprises/history-pg.ts";
import { enterpriseHistoryService } from "./modules/enterprises/history-service.ts";
import { pgVoucherHistory } from "./modules/vouchers/history-pg.ts";
import { voucherHistoryService } from "./modules/vouchers/history-service.ts";
import { pgSettlementHistory } from "./modules/settlement/history-pg.ts";
import { settlementHistoryService } from "./modules/settlement/history-service.ts";
import { pgOrderHistory } from "./modules/orders/history-pg.ts";
import { orderHistoryService } from "./modules/orders/history-service.ts";
import { dashboardService } from "./modules/dashboard/service.ts";
import type { ContractDocuments } from "./ports/documents.ts";
import { pgExportJobs } from "./modules/exports/pg.ts";
import { exportService } from "./modules/exports/service.ts";
import { versionService } from "./modules/versions/service.ts";
import { pgVersions } from "./modules/versions/pg.ts";
import { pageCache } from "./web/page-cache.ts";
import { xlsxSpreadsheets } from "./adapters/xlsx-writer.ts";
import type { Spreadsheets } from "./ports/spreadsheets.ts";
import { loadAssets } from "./web/assets.ts";
import { createViews } from "./web/views.ts";

export function createLogger(config: Pick<Config, "logLevel">): Logger {
  return pino({
    level: config.logLevel,
    base: undefined,
    redact: { paths: ["password", "*.password", "smsCode", "*.smsCode", "req.headers.cookie"], censor: "[redacted]" },
  });
}

/** The PostgreSQL adapter (postgres.js, with TLS), loaded only when DATABASE_URL is set. */
const postgresAdapter = () => import("./adapters/postgres.ts");

/**
 * Opens the database the configuration names: PostgreSQL when DATABASE_URL is set, else PGlite in
 * DATA_DIR. With `image`, a fresh DATA_DIR starts from the migrated, empty database image
 * (src/adapters/pglite-image.ts) instead of a new cluster: its spare moved into place when there is
 * one, else the image restored (built and kept in PGLITE_IMAGE_DIR first when missing); the next
 * spare is then made through `later`.
 */
export async function openDatabase(
  config: Pick<Config, "databaseUrl" | "dataDir" | "pgliteImageDir">,
  opts: {
    image?: boolean;
    log?: Logger;
    /** Takes work for once the start is over (src/start.ts): the next spare. Without it no spare is made. */
    later?: (task: () => Promise<void>) => void;
  } = {},
): Promise<Db> {
  if (config.databaseUrl) return (await postgresAdapter()).openPostgres(config.databaseUrl);
  const dir = resolve(config.dataDir, "pglite");
  if (opts.image && (await freshDataDir(dir))) {
    const t0 = Date.now();
    const imageDir = config.pgliteImageDir ?? defaultImageDir();
    const migrations = await loadMigrations();
    const key = imageKey(migrations);
    await clearDataDir(dir);
    const taken = await takeSpare(imageDir, key, dir).catch((err) => {
      opts.log?.warn({ err, key }, "the spare of the migrated database image could not be moved into place");
      return "none" as const;
    });
    // The next fresh DATA_DIR's spare, made once this start is over, while the process serves (errors are only logged).
    const replenish = (bytes?: Uint8Array) => {
      if (taken === "elsewhere" || !opts.later) return;
      opts.later(async () => {
        try {
          const image = bytes ?? (await readImage(imageDir, key));
          if (image && (await makeSpare(imageDir, key, image))) opts.log?.debug({ key }, "made the next spare of the migrated database image");
        } catch (err) {
          opts.log?.warn({ err, key }, "the next spare of the migrated database image was not made");
        }
      });
    };
    if (taken === "taken") {
      const db = await openPglite(dir);
      opts.log?.info({ key, ms: Date.now() - t0, spare: true }, "embedded database restored from the migrated image");
      replenish();
      return db;
    }
    const image = await ensureImage({ dir: imageDir, migrations });
    if (image.built) opts.log?.info({ key: image.key, file: image.path }, "built the migrated database image");
    if (image.saveError)
      opts.log?.warn({ err: image.saveError, key: image.key }, "the migrated database image could not be saved: the next fresh DATA_DIR builds it again");
    try {
      const db = await openFromImage(dir, image.bytes);
      opts.log?.info({ key: image.key, ms: Date.now() - t0, spare: false }, "embedded database restored from the migrated image");
      if (!image.saveError) replenish(image.bytes);
      return db;
    } catch (err) {
      // openFromImage left the folder empty: PGlite creates a new cluster in it.
      opts.log?.warn({ err, key: image.key }, "the migrated database image did not restore: creating a new database instead");
    }
  }
  await mkdir(dir, { recursive: true });
  return openPglite(dir);
}

export async function openCache(config: Pick<Config, "redisUrl" | "memoryCache">): Promise<Cache> {
  if (!config.redisUrl) return memoryCache(Date.now, config.memoryCache);
  // Loaded only when used: the Redis client is a good part of the embedded default's import time.
  const { redisCache } = await import("./adapters/redis-cache.ts");
  return redisCache(config.redisUrl);
}

/**
 * The contract documents (pdf-lib, fontkit and the CJK fonts), loaded at their first use: most
 * starts never render a contract, and these libraries are the heaviest imports of the server.
 */
export function lazyContractDocuments(): ContractDocuments {
  let loading: Promise<ContractDocuments> | undefined;
  const docs = () => (loading ??= import("./adapters/pdf-contract-documents.ts").then((m) => m.pdfContractDocuments()));
  return {
    renderContract: async (input) => (await docs()).renderContract(input),
    stampSignatures: async (original, signatures, record) => (await docs()).stampSignatures(original, signatures, record),
    signatureFields: async (pdf) => (await docs()).signatureFields(pdf),
    unsupportedCharacters: async (texts) => (await docs()).unsupportedCharacters(texts),
  };
}

/**
 * The file store FILE_STORE names: files on disk under DATA_DIR/files (one instance), or in the
 * PostgreSQL database (table file_store_chunks), which every instance on it shares. The database
 * store has a small pool of its own: the files service writes an upload's bytes while the caller's
 * transaction holds a connection of the app's pool, so sharing that pool could exhaust it.
 */
export async function openFileStore(config: Pick<Config, "fileStore" | "databaseUrl" | "dataDir">): Promise<FileStore> {
  if (config.fileStore === "disk") return fsFiles(join(resolve(config.dataDir), "files"));
  if (!config.databaseUrl) throw new Error("FILE_STORE=postgres needs DATABASE_URL");
  const pool = await (await postgresAdapter()).openPostgres(config.databaseUrl, { max: 4 });
  const { pgFileStore } = await import("./adapters/pg-files.ts");
  return { ...pgFileStore(pool), close: () => pool.close() };
}

/**
 * The job engine (pg-boss) on the database the app uses: the embedded PGlite instance itself, or
 * its own pool from DATABASE_URL. Nothing connects until the server process starts it.
 */
export function openJobs(config: Pick<Config, "databaseUrl">, db: Db, log?: Logger): Jobs {
  const pglite = pgliteInstance(db);
  if (pglite) return pgBossJobs({ pglite }, { log });
  if (db.kind === "postgres" && config.databaseUrl) return pgBossJobs({ connectionString: config.databaseUrl }, { log });
  const unavailable = async (): Promise<never> => {
    throw new Error("the job engine needs the embedded database or DATABASE_URL");
  };
  return { start: unavailable, send: unavailable, schedule: unavailable, schedules: unavailable, work: unavailable, stop: async () => {} };
}

/**
 * The field cipher (AES-256-GCM on Web Crypto) with the configured ENCRYPTION_KEYS, else (never in
 * production: the configuration refuses it) the key generated once and kept in DATA_DIR.
 * Refused values are logged with their field, reason and key id, never the value.
 */
export async function openCipher(config: Pick<Config, "encryptionKeys" | "dataDir" | "env">, log?: Logger): Promise<FieldCipher> {
  let keys = config.encryptionKeys;
  if (!keys) {
    if (config.env === "production") throw new Error("ENCRYPTION_KEYS is required in production");
    const local = await embeddedKeys(config.dataDir);
    if (local.created) log?.info({ file: local.path }, "generated the field encryption key (keep DATA_DIR; set ENCRYPTION_KEYS in production)");
    if (local.looseMode) log?.warn({ file: local.path }, "the field encryption key file is readable by others: chmod 600 it");
    keys = local.keys;
  }
  return webCryptoCipher(keys, {
    onRefused: (err) => log?.error({ table: err.field.table, column: err.field.column, reason: err.reason, keyId: err.keyId }, "sealed field refused"),
  });
}

/**
 * The data step of migration 0013 and of key rotation: seals plaintext ID and account numbers left
 * by older versions and re-seals values under a key that is no longer first in ENCRYPTION_KEYS.
 * Run at every start and by `npm run migrate`; idempotent.
 */
export async function sealStoredFields(db: Db, cipher: FieldCipher) {
  return pgFieldSealing(db, cipher).resealAll();
}

/**
 * The e-signature provider. Outside production: the mock provider (its secret from
 * MOCK_ESIGN_SECRET, else generated once into DATA_DIR). In production no real adapter exists yet:
 * the platform starts and signing is refused with a clear message (`unavailableEsign`), like SMS
 * without a gateway; a province's adapter is chosen here once it is written.
 */
export async function openEsign(
  config: Pick<Config, "mockEsign" | "dataDir" | "publicOrigin">,
  db: Db,
  clock: Clock,
  jobs: Jobs,
  log: Logger,
): Promise<ESignature> {
  if (!config.mockEsign) {
    log.warn("no e-signature provider is configured: signing is unavailable");
    return unavailableEsign(log);
  }
  let secret = config.mockEsign.secret;
  if (!secret) {
    const local = await embeddedMockSecret(config.dataDir);
    if (local.created) log.info({ file: local.path }, "generated the mock e-signature provider's secret");
    if (local.looseMode) log.warn({ file: local.path }, "the mock e-signature secret file is readable by others: chmod 600 it");
    secret = local.secret;
  }
  return mockEsign({ db, clock, jobs, log, secret, callbackUrl: config.mockEsign.callbackUrl, pageBase: config.publicOrigin ?? "" });
}

/**
 * The payment channel. Outside production: the mock cashier (its RSA key from MOCK_PAY_PRIVATE_KEY,
 * else generated once into DATA_DIR). In production no real adapter exists yet: payments are
 * refused with a clear message (`unavailablePay`); a province's adapter is chosen here once written.
 */
export async function openPay(
  config: Pick<Config, "mockPay" | "dataDir" | "publicOrigin">,
  db: Db,
  clock: Clock,
  jobs: Jobs,
  log: Logger,
  localKeys?: ReturnType<typeof embeddedMockPayKeys>,
): Promise<PaymentGateway> {
  if (!config.mockPay) {
    log.warn("no payment channel is configured: online payment is unavailable");
    return unavailablePay(log);
  }
  let keys: ReturnType<typeof keysOf>;
  if (config.mockPay.privateKey) keys = keysOf(config.mockPay.privateKey);
  else {
    const local = await (localKeys ?? embeddedMockPayKeys(config.dataDir));
    if (local.created) log.info({ file: local.path }, "generated the mock payment gateway's key pair");
    if (local.looseMode) log.warn({ file: local.path }, "the mock payment gateway's key file is readable by others: chmod 600 it");
    keys = local;
  }
  return mockPay({ db, clock, jobs, log, keys, notifyUrl: config.mockPay.notifyUrl, pageBase: config.publicOrigin ?? "" });
}

export type Overrides = Partial<{
  db: Db;
  cache: Cache;
  sms: SmsSender & Partial<SmsOutbox>;
  clock: Clock;
  passwords: PasswordHasher;
  log: Logger;
  files: FileStore;
  jobs: Jobs;
  cipher: FieldCipher;
  esign: ESignature;
  pay: PaymentGateway;
  documents: ContractDocuments;
  spreadsheets: Spreadsheets;
}>;

/**
 * Local files a start needs before the adapters, begun early so that their work (an RSA key on the
 * thread pool) runs while the database opens: the mock payment gateway's key pair in DATA_DIR.
 */
export type Prepared = { mockPayKeys?: ReturnType<typeof embeddedMockPayKeys> };
export function prepareLocalFiles(config: Pick<Config, "mockPay" | "dataDir">, overrides: Pick<Overrides, "pay"> = {}): Prepared {
  if (overrides.pay || !config.mockPay || config.mockPay.privateKey) return {};
  const mockPayKeys = embeddedMockPayKeys(config.dataDir);
  mockPayKeys.catch(() => undefined); // awaited (and its error thrown) by openPay
  return { mockPayKeys };
}

/** The composition root: the one place that decides which adapter serves each port. */
export async function buildDeps(config: Config, overrides: Overrides = {}, prepared: Prepared = {}): Promise<Deps> {
  const log = overrides.log ?? createLogger(config);
  const db = overrides.db ?? (await openDatabase(config, { image: true, log }));
  const cache = overrides.cache ?? (await openCache(config));
  const clock = overrides.clock ?? systemClock;
  const passwords = overrides.passwords ?? scryptPasswords();
  let sms: SmsSender;
  let smsOutbox: SmsOutbox | undefined;
  if (overrides.sms) {
    sms = overrides.sms;
    smsOutbox = overrides.sms.latest ? (overrides.sms as SmsOutbox) : undefined;
  } else if (config.devSmsOutbox) {
    const outbox = outboxSms();
    sms = outbox;
    smsOutbox = outbox;
  } else {
    sms = unavailableSms(log);
  }
  // Versions of the data public pages show: the page cache's keys and the reference data kept per version.
  const versions = versionService({ db, versionRepo: pgVersions, reuseMs: config.pageCache.versionsMs, now: () => clock.now().getTime() });
  const fileStore = overrides.files ?? (await openFileStore(config));
  const cipher = overrides.cipher ?? (await openCipher(config, log));
  const files = fileService({ db, store: fileStore, fileRepo: pgFiles, audit });
  const enterprises = enterpriseService({
    db,
    clock,
    enterpriseRepo: pgEnterprises,
    certificationRepo: (d) => pgCertifications(d, cipher),
    bankAccountRepo: (d) => pgBankAccounts(d, cipher),
    files,
    audit,
  });
  const vouchers = voucherService({
    db,
    clock,
    programmeRepo: pgProgrammes,
    quotaRepo: pgQuota,
    versions,
    ledgerRepo: pgLedger,
    enterprises,
    files,
    audit,
  });
  const content = contentService({ db, clock, articleRepo: pgArticles, files, audit });
  // The products module depends on the catalog; the catalog reaches back only through this hook,
  // bound once the products service exists (恢复 lists a provider's products in its transaction).
  const catalog = catalogService({
    db,
    clock,
    catalogRepo: pgCatalog,
    versions,
    enterprises,
    files,
    audit,
    providerRestored: (tx, provider, at) => products.restoreListings(tx, provider, at),
  });
  const products = productService({ db, clock, catalog, productRepo: pgProducts, enterprises, vouchers, audit });
  const demands = demandService({ db, clock, demandRepo: pgDemands, enterprises, catalog, products, audit });
  const identity = identityService({
    db,
    cache,
    sms,
    clock,
    passwords,
    accountRepo: pgAccounts,
    adminRepo: (d) => pgAdmins(d, cipher),
    enterprises,
    audit,
    captchaTestAnswer: config.captchaTestAnswer,
    smsCaps: config.sms,
    secondFactorRequiredFor: config.env === "production" ? ["super_admin", "finance"] : [],
    log,
  });
  // 使用率提醒, 额度收回 and 暂停交易 (docs/monitoring.md): orders and signing ask it whether a suspension refuses a step.
  const monitoring = monitoringService({
    db,
    clock,
    monitoringRepo: pgMonitoring,
    vouchers,
    enterprises,
    catalog,
    identity,
    sms,
    audit,
    settings: config.monitoring,
    log,
  });
  const orders = orderService({
    db,
    clock,
    orderRepo: pgOrders,
    orderAdminRepo: pgOrderAdmin,
    terminationRepo: pgTerminations,
    enterprises,
    products,
    vouchers,
    catalog,
    sms,
    identity,
    log,
    acceptDays: config.orderAcceptDays,
    suspensions: monitoring,
    audit,
    files,
    // Bound once the signing service exists (it needs the orders service): 同意 queues the sign flow's start.
    contractAgreed: (tx, orderId) => signing.contractAgreed(tx, orderId),
    // Bound likewise to the payments module: 已终止 with a refund writes the refunds in the same transaction.
    terminated: (tx, t) => payments.refundForTermination(tx, t),
  });
  const jobs = overrides.jobs ?? openJobs(config, db, log);
  const esign = overrides.esign ?? (await openEsign(config, db, clock, jobs, log));
  const pay = overrides.pay ?? (await openPay(config, db, clock, jobs, log, prepared.mockPayKeys));
  const signing = signingService({
    db,
    clock,
    esign,
    signingRepo: pgSigning,
    documents: overrides.documents ?? lazyContractDocuments(),
    files,
    orders,
    enterprises,
    suspensions: monitoring,
    jobs,
    cache,
    cipher,
    log,
  });
  const payments = paymentService({
    db,
    clock,
    gateway: pay,
    paymentRepo: pgPayments,
    refundRepo: pgRefunds,
    orders,
    enterprises,
    inbox: signing,
    jobs,
    ledgerRepo: pgPaymentLedger,
    reconciliationRepo: pgReconciliations,
    audit,
    // Bound once the settlement service exists (it needs this one): a payout's result settles its application.
    payoutOutcome: (tx, r) => settlement.payoutOutcome(tx, r),
    log,
  });
  const settlement = settlementService({
    db,
    clock,
    repo: pgSettlements,
    orders,
    vouchers,
    catalog,
    enterprises,
    files,
    signing,
    payments,
    suspensions: monitoring,
    audit,
    jobs,
    publicityDays: config.settlement.publicityDays,
    generalCapFen: config.settlement.generalCapFen,
    log,
  });
  const auditLog = auditLogService({ db, auditRepo: audit });
  const dashboard = dashboardService({ db, dashboardRepo: pgDashboard, vouchers, catalog, log });
  // Every list that can be exported (导出 CSV / 导出 Excel, docs/exports.md), declared by the module that owns it.
  const exports = exportService({
    db,
    clock,
    jobs,
    files,
    audit,
    spreadsheets: overrides.spreadsheets ?? xlsxSpreadsheets(),
    exportRepo: pgExportJobs,
    settings: config.exports,
    sources: [
      orders.adminExport,
      auditLog.exportSource,
      settlement.exportSource,
      settlement.batchExport,
      payments.exportSource,
      dashboard.summaryExport,
      dashboard.usageExport,
    ],
    log,
  });
  const messages = messageService({
    db,
    cache,
    clock,
    sms,
    messageRepo: pgMessages,
    identity,
    enterprises,
    files,
    audit,
    log,
    posted: (tx, m) => settlement.objectionFromMessage(tx, m),
  });
  return {
    config,
    log,
    db,
    cache,
    versions,
    pageCache: config.pageCache.enabled ? pageCache({ versions, cache, now: () => clock.now().getTime() }) : null,
    fileStore,
    jobs,
    esign,
    pay,
    sms,
    smsOutbox,
    clock,
    passwords,
    cipher,
    views: createViews({ cache: config.viewCache }),
    assets: await loadAssets(),
    auditLog,
    identity,
    enterprises,
    files,
    vouchers,
    catalog,
    products,
    demands,
    content,
    messages,
    orders,
    signing,
    settlement,
    payments,
    monitoring,
    dashboard,
    // Demo data only (src/demo.ts historyDemo): a year of past enterprises, vouchers and orders for the dashboard.
    demoHistory: {
      enterprises: enterpriseHistoryService({ db, historyRepo: pgEnterpriseHistory }),
      vouchers: voucherHistoryService({ db, historyRepo: pgVoucherHistory }),
      orders: orderHistoryService({ db, historyRepo: pgOrderHistory }),
      settlements: settlementHistoryService({ db, historyRepo: pgSettlementHistory, files, catalog, enterprises }),
    },
    portal: portalService({ cache, clock, enterprises, catalog, products, vouchers, demands, messages }),
    exports,
  };
}

export async function closeDeps(deps: Pick<Deps, "db" | "cache" | "jobs"> & Partial<Pick<Deps, "fileStore">>): Promise<void> {
  // The job engine first: on PGlite it runs on the same instance.
  await deps.jobs.stop().catch((err) => console.error(err));
  await Promise.allSettled([deps.db.close(), deps.cache.close(), deps.fileStore?.close?.()]);
}
