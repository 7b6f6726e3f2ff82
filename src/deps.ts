import type { Logger } from "pino";
import type { Config } from "./config.ts";
import type { Cache } from "./ports/cache.ts";
import type { Clock } from "./ports/clock.ts";
import type { FieldCipher } from "./ports/crypto.ts";
import type { Db } from "./ports/db.ts";
import type { PaymentGateway } from "./ports/payments.ts";
import type { ESignature } from "./ports/esignature.ts";
import type { FileStore } from "./ports/files.ts";
import type { Jobs } from "./ports/jobs.ts";
import type { PasswordHasher } from "./ports/passwords.ts";
import type { SmsOutbox, SmsSender } from "./ports/sms.ts";
import type { EnterpriseService } from "./modules/enterprises/service.ts";
import type { FileService } from "./modules/files/service.ts";
import type { VoucherService } from "./modules/vouchers/service.ts";
import type { CatalogService } from "./modules/catalog/service.ts";
import type { ProductService } from "./modules/products/service.ts";
import type { DemandService } from "./modules/demands/service.ts";
import type { IdentityService } from "./modules/identity/service.ts";
import type { ContentService } from "./modules/content/service.ts";
import type { MessageService } from "./modules/messages/service.ts";
import type { PortalService } from "./modules/portal/service.ts";
import type { OrderService } from "./modules/orders/service.ts";
import type { SigningService } from "./modules/signing/service.ts";
import type { PaymentService } from "./modules/payments/service.ts";
import type { SettlementService } from "./modules/settlement/service.ts";
import type { MonitoringService } from "./modules/monitoring/service.ts";
import type { DashboardService } from "./modules/dashboard/service.ts";
import type { EnterpriseHistoryService } from "./modules/enterprises/history-service.ts";
import type { VoucherHistoryService } from "./modules/vouchers/history-service.ts";
import type { SettlementHistoryService } from "./modules/settlement/history-service.ts";
import type { OrderHistoryService } from "./modules/orders/history-service.ts";
import type { Assets } from "./web/assets.ts";
import type { Views } from "./web/views.ts";
import type { AuditLogService } from "./modules/audit/service.ts";
import type { ExportService } from "./modules/exports/service.ts";
import type { VersionService } from "./modules/versions/service.ts";
import type { PageCache } from "./web/page-cache.ts";

/** Everything the app needs, built by the composition root (src/compose.ts) and by tests. */
export type Deps = {
  config: Config;
  log: Logger;
  db: Db;
  cache: Cache;
  /** The bytes behind the files service (reached only through it); closed by closeDeps. */
  fileStore: FileStore;
  /** The job engine; started only by the server process (start.ts startJobs). */
  jobs: Jobs;
  /** The e-signature provider (the mock outside production; unavailable in production until a real adapter is configured). */
  esign: ESignature;
  /** The payment channel (the mock cashier outside production; unavailable in production until a real adapter is configured). */
  pay: PaymentGateway;
  sms: SmsSender;
  smsOutbox?: SmsOutbox;
  clock: Clock;
  passwords: PasswordHasher;
  /** Seals and opens sensitive personal data at rest (ID and bank account numbers). */
  cipher: FieldCipher;
  views: Views;
  assets: Assets;
  auditLog: AuditLogService;
  identity: IdentityService;
  enterprises: EnterpriseService;
  files: FileService;
  vouchers: VoucherService;
  catalog: CatalogService;
  products: ProductService;
  demands: DemandService;
  content: ContentService;
  messages: MessageService;
  orders: OrderService;
  /** Seals (我的签章), sign flows of agreed contracts, the callback inbox, 合同验真. */
  signing: SigningService;
  /** 支付定金 / 支付尾款 through the payment channel, its notifications, the reconciler. */
  payments: PaymentService;
  settlement: SettlementService;
  /** 使用率提醒, 额度收回 and 暂停交易 (docs/monitoring.md). */
  monitoring: MonitoringService;
  portal: PortalService;
  /** The versions of the data public pages show (migration 0039), and values cached per version of them. */
  versions: VersionService;
  /** The anonymous page cache; null when PAGE_CACHE=false. */
  pageCache: PageCache | null;
  /** 导出 CSV / 导出 Excel of staff lists: direct downloads and background export jobs. */
  exports: ExportService;
  /** 数据看板: figures from the rollups of the ledger and the orders, and the fold job that keeps them up to date. */
  dashboard: DashboardService;
  /** Demo data only: set-based writes of a year of history (src/demo.ts historyDemo), each in its owning module. */
  demoHistory: {
    enterprises: EnterpriseHistoryService;
    vouchers: VoucherHistoryService;
    orders: OrderHistoryService;
    settlements: SettlementHistoryService;
  };
};
