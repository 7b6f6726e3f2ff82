import type { Cache } from "../../ports/cache.ts";
import type { Clock } from "../../ports/clock.ts";
import type { CatalogService } from "../catalog/service.ts";
import type { ProductService } from "../products/service.ts";
import type { EnterpriseService } from "../enterprises/service.ts";
import type { VoucherService } from "../vouchers/service.ts";
import type { DemandService } from "../demands/service.ts";
import type { MessageService } from "../messages/service.ts";

/** The platform figures (平台数据) shown on the public home page. */
export type PlatformFigures = {
  certifiedEnterprises: number;
  providers: number;
  listedProducts: number;
  /** Enterprises holding at least one voucher account, and the total granted on them. */
  voucherEnterprises: number;
  grantedFen: number;
  computedAt: string;
};

/** How long the figures are reused: counting at scale costs tens of milliseconds, the home page is the busiest page. */
export const FIGURES_TTL_SECONDS = 60;
const FIGURES_KEY = "portal:figures";

export type PortalDeps = {
  cache: Cache;
  clock: Clock;
  enterprises: EnterpriseService;
  catalog: CatalogService;
  products: ProductService;
  vouchers: VoucherService;
  demands: DemandService;
  messages: MessageService;
};

/** One queue on the admin home page: where it is and how many items wait in it. */
export type Todo = { href: string; label: string; waiting: number };
type Staff = { id: string; role: string };
const total = (r: { ok: true; value: { total: number } } | { ok: false }) => (r.ok ? r.value.total : null);

/** Use cases of the public portal that combine several modules, through their services only. */
export function portalService(deps: PortalDeps) {
  return {
    /**
     * 平台数据 from the database, shared by every app instance through the cache port for one
     * minute, so a burst of visitors costs one set of counts per minute rather than one per view.
     */
    async figures(): Promise<PlatformFigures> {
      const hit = await deps.cache.get(FIGURES_KEY);
      if (hit) {
        try {
          return JSON.parse(hit) as PlatformFigures;
        } catch {
          // A damaged entry is recomputed below.
        }
      }
      const [certifiedEnterprises, providers, listedProducts, vouchers] = await Promise.all([
        deps.enterprises.countCertified(),
        deps.catalog.countActiveProviders(),
        deps.products.countListed(),
        deps.vouchers.grantedTotals(),
      ]);
      const figures: PlatformFigures = {
        certifiedEnterprises,
        providers,
        listedProducts,
        voucherEnterprises: vouchers.enterprises,
        grantedFen: vouchers.grantedFen,
        computedAt: deps.clock.now().toISOString(),
      };
      await deps.cache.set(FIGURES_KEY, JSON.stringify(figures), FIGURES_TTL_SECONDS);
      return figures;
    },

    /**
     * 待办 on the admin home page: the waiting items of every queue this staff member may work,
     * asked of each module's own queue use case, which also decides who may see it.
     */
    async todo(staff: Staff): Promise<Todo[]> {
      const queues: [string, string, () => Promise<number | null>][] = [
        ["/admin/certifications", "企业认证审核", async () => total(await deps.enterprises.reviewQueue(staff, { status: "pending" }, 1, 1))],
        ["/admin/quota", "服务券配额审核", async () => total(await deps.vouchers.reviewQueue(staff, { status: "pending" }, 1, 1))],
        ["/admin/providers", "服务商审核与管理", async () => total(await deps.catalog.applicationQueue(staff, "pending", 1, 1))],
        ["/admin/products", "服务产品审核", async () => total(await deps.products.productQueue(staff, 1))],
        ["/admin/demands", "企业需求审核", async () => total(await deps.demands.queue(staff, "pending", 1))],
        ["/admin/messages", "留言管理", async () => total(await deps.messages.queue(staff, { status: "pending" }, 1))],
      ];
      const counts = await Promise.all(queues.map(([, , count]) => count()));
      return queues.flatMap(([href, label], i) => (counts[i] === null ? [] : [{ href, label, waiting: counts[i]! }]));
    },
  };
}
export type PortalService = ReturnType<typeof portalService>;
