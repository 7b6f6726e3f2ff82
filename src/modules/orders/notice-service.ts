/**
 * Sends the SMS notices of `notice-domain.ts` (ORDER_NOTICES) to the other party of an order, after
 * the transaction of the change commits. The phones are read through the other modules' services:
 * the enterprise's account phone; the provider's contact phone when it is a mobile number, else the
 * account phone of the provider's enterprise. A failure to send is logged and never undoes the change.
 */
import type { Db } from "../../ports/db.ts";
import type { SmsSender } from "../../ports/sms.ts";
import type { CatalogService } from "../catalog/service.ts";
import type { EnterpriseService } from "../enterprises/service.ts";
import { PHONE_RE } from "../identity/domain.ts";
import type { IdentityService } from "../identity/service.ts";
import { type NoticeAction, type NoticeParty, noticesFor } from "./notice-domain.ts";
import type { Order } from "./ports.ts";

export type NoticeDeps = {
  sms: SmsSender;
  enterprises: Pick<EnterpriseService, "byId">;
  catalog: Pick<CatalogService, "provider">;
  identity: Pick<IdentityService, "account">;
  log?: { warn(obj: object, msg?: string): void };
};

type Noticed = Pick<Order, "id" | "number" | "enterpriseId" | "providerId">;

export function orderNotices(deps: NoticeDeps) {
  /** The account phone of an enterprise (undefined when its account is gone or disabled). */
  async function accountPhone(enterpriseId: string): Promise<string | undefined> {
    const e = await deps.enterprises.byId(enterpriseId);
    return e ? (await deps.identity.account(e.accountId))?.phone : undefined;
  }

  async function phoneOf(order: Noticed, party: NoticeParty): Promise<string | undefined> {
    if (party === "enterprise") return accountPhone(order.enterpriseId);
    const provider = await deps.catalog.provider(order.providerId);
    if (!provider) return undefined;
    return PHONE_RE.test(provider.contactPhone) ? provider.contactPhone : accountPhone(provider.enterpriseId);
  }

  /** Sends the notices of one action now, one recipient at a time; a failure is logged and the others still go. */
  async function send(order: Noticed, action: NoticeAction): Promise<void> {
    for (const n of noticesFor(action, order.number)) {
      try {
        const phone = await phoneOf(order, n.to);
        if (!phone) {
          deps.log?.warn({ orderId: order.id, action, to: n.to }, "order notice not sent: the party has no phone");
          continue;
        }
        await deps.sms.send(phone, n.text);
      } catch (err) {
        deps.log?.warn({ orderId: order.id, action, to: n.to, err: String(err) }, "order notice SMS not sent");
      }
    }
  }

  return {
    send,
    /** Sends the notices of `action` on this order once the transaction `tx` has committed (nothing if it rolls back). */
    afterCommit(tx: Db, order: Noticed, action: NoticeAction): void {
      if (!noticesFor(action, order.number).length) return;
      const o = { id: order.id, number: order.number, enterpriseId: order.enterpriseId, providerId: order.providerId };
      tx.afterCommit(() => send(o, action));
    },
  };
}
export type OrderNotices = ReturnType<typeof orderNotices>;
