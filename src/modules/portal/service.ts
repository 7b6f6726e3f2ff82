import type { Cache } from "../../ports/cache.ts";
import type { Clock } from "../../ports/clock.ts";
import type { CatalogService } from "../catalog/service.ts";
import type { EnterpriseService } from "../enterprises/service.ts";
import type { VoucherService } from "../vouchers/service.ts";

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

export type PortalDeps = { cache: Cache; clock: Clock; enterprises: EnterpriseService; catalog: CatalogService; vouchers: VoucherService };

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
      const [certifiedEnterprises, catalog, vouchers] = await Promise.all([
        deps.enterprises.countCertified(),
        deps.catalog.figures(),
        deps.vouchers.grantedTotals(),
      ]);
      const figures: PlatformFigures = {
        certifiedEnterprises,
        providers: catalog.providers,
        listedProducts: catalog.listedProducts,
        voucherEnterprises: vouchers.enterprises,
        grantedFen: vouchers.grantedFen,
        computedAt: deps.clock.now().toISOString(),
      };
      await deps.cache.set(FIGURES_KEY, JSON.stringify(figures), FIGURES_TTL_SECONDS);
      return figures;
    },
  };
}
export type PortalService = ReturnType<typeof portalService>;
