/**
 * Monitoring from the peers' rules (docs/monitoring.md): the daily low-usage reminder (使用率提醒),
 * the daily recall of unused quota (额度收回), and the operators' 暂停交易 / 恢复交易 of a party for
 * fraud, whose refusals the orders and signing modules ask for through `refusal`.
 */
import type { Clock } from "../../ports/clock.ts";
import { type Db, UniqueViolation } from "../../ports/db.ts";
import type { SmsSender } from "../../ports/sms.ts";
import { pageOf, pagesOf } from "../../lib/paging.ts";
import { type Result, fail, ok } from "../../lib/result.ts";
import type { Audit } from "../audit/service.ts";
import type { CatalogService } from "../catalog/service.ts";
import type { EnterpriseService } from "../enterprises/service.ts";
import { PHONE_RE } from "../identity/domain.ts";
import type { IdentityService } from "../identity/service.ts";
import type { VoucherService } from "../vouchers/service.ts";
import {
  type Party,
  type PartyKind,
  type RefusalUse,
  canReadSuspensions,
  canSuspend,
  checkReason,
  recallText,
  refusalFor,
  reminderWindow,
  suspensionText,
  usageBp,
  usageReminderText,
} from "./domain.ts";
import type { MonitoringRepositoryFactory, Suspension } from "./ports.ts";

export type { Suspension };

/** The settings (src/config.ts): VOUCHER_REMINDER_DAYS, VOUCHER_REMINDER_USAGE_PERCENT, VOUCHER_RECALL_DAYS; 0 days is off. */
export type MonitoringSettings = { reminderDays: number; reminderUsagePercent: number; recallDays: number };

export type MonitoringDeps = {
  db: Db;
  clock: Clock;
  monitoringRepo: MonitoringRepositoryFactory;
  vouchers: VoucherService;
  enterprises: Pick<EnterpriseService, "byId">;
  catalog: Pick<CatalogService, "provider">;
  identity: Pick<IdentityService, "account">;
  sms: SmsSender;
  audit: Audit;
  settings: MonitoringSettings;
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
};

export type Staff = { id: string; role: string };

const DAY_MS = 86_400_000;
const BATCH = 200;
export const SUSPENSION_PAGE_SIZE = 20;
/** The audit entity of each party kind: the enterprise's timeline (企业认证详情) and the provider's record. */
const ENTITY: Record<PartyKind, string> = { enterprise: "enterprise", provider: "provider" };

export function monitoringService(deps: MonitoringDeps) {
  const { db, settings } = deps;
  const now = () => deps.clock.now();
  const repo = (d: Db = db) => deps.monitoringRepo(d);

  /** The account phone of an enterprise (undefined when its account is gone or disabled). */
  async function enterprisePhone(enterpriseId: string): Promise<string | undefined> {
    const e = await deps.enterprises.byId(enterpriseId);
    return e ? (await deps.identity.account(e.accountId))?.phone : undefined;
  }
  /** A party's phone: the enterprise's account; a provider's mobile contact phone, else its enterprise's account. */
  async function phoneOf(party: Party): Promise<string | undefined> {
    if (party.kind === "enterprise") return enterprisePhone(party.id);
    const p = await deps.catalog.provider(party.id);
    if (!p) return undefined;
    return PHONE_RE.test(p.contactPhone) ? p.contactPhone : enterprisePhone(p.enterpriseId);
  }
  /** Sends one SMS; a missing phone or a failure is logged and answered false, never thrown. */
  async function tell(party: Party, text: string, what: string): Promise<boolean> {
    try {
      const phone = await phoneOf(party);
      if (!phone) {
        deps.log?.warn({ party, what }, "monitoring SMS not sent: the party has no phone");
        return false;
      }
      await deps.sms.send(phone, text);
      return true;
    } catch (err) {
      deps.log?.warn({ party, what, err: String(err) }, "monitoring SMS not sent");
      return false;
    }
  }

  /** The party as it is now (name, and for a provider its enterprise), or undefined for an unknown id. */
  async function partyOf(party: Party) {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(party.id)) return undefined;
    if (party.kind === "enterprise") {
      const e = await deps.enterprises.byId(party.id);
      return e ? { ...party, name: e.name, enterpriseId: e.id, provider: null } : undefined;
    }
    const p = await deps.catalog.provider(party.id);
    return p ? { ...party, name: p.name, enterpriseId: p.enterpriseId, provider: p } : undefined;
  }

  /**
   * The refusal of `use` (提交订单, an action on an open order, 签署合同) when the ordering enterprise
   * or the provider is suspended, or null. Read on the caller's handle (its transaction, if any).
   */
  async function refusal(tx: Db, parties: { enterpriseId?: string; providerId: string }, use: RefusalUse): Promise<string | null> {
    const live = await repo(tx).live([
      ...(parties.enterpriseId ? [{ kind: "enterprise" as const, id: parties.enterpriseId }] : []),
      { kind: "provider" as const, id: parties.providerId },
    ]);
    return refusalFor(
      live.map((s) => s.partyKind),
      use,
    );
  }

  return {
    settings,

    // ================================================================ 使用率提醒 (the daily job)

    /**
     * SMSes every enterprise whose voucher account's validity ends within VOUCHER_REMINDER_DAYS days
     * and whose usage (consumed / granted) is below VOUCHER_REMINDER_USAGE_PERCENT, with something
     * left to use. Once per account and validity end: each page of candidates is claimed in one
     * statement (usage_reminders), and only what this run claimed is sent, so a second run, or a
     * second instance at the same time, sends nothing again.
     */
    async remindLowUsage(): Promise<{ off?: true; checked: number; reminded: number; unsent: number }> {
      const run = { checked: 0, reminded: 0, unsent: 0 };
      if (settings.reminderDays <= 0) return { off: true, ...run };
      const { from, to } = reminderWindow(now(), settings.reminderDays);
      let after: string | null = null;
      for (;;) {
        const rows = await deps.vouchers.usageCandidates({ from, to, belowBp: settings.reminderUsagePercent * 100, after, limit: BATCH });
        run.checked += rows.length;
        const claimed = new Set(
          await repo().claimReminders(
            rows.map((r) => ({ accountId: r.accountId, validTo: r.validTo, enterpriseId: r.enterpriseId, usageBp: usageBp(r.consumedFen, r.grantedFen) })),
            now(),
          ),
        );
        for (const r of rows) {
          if (!claimed.has(r.accountId)) continue;
          const sent = await tell(
            { kind: "enterprise", id: r.enterpriseId },
            usageReminderText(r.validTo, settings.reminderUsagePercent),
            "usage_reminder",
          );
          if (sent) run.reminded++;
          else run.unsent++;
        }
        if (rows.length < BATCH) return run;
        after = rows[rows.length - 1]!.accountId;
      }
    },

    /** Whether the low-usage reminder of this account's validity end was sent (claimed). */
    async reminded(accountId: string, validTo: string): Promise<boolean> {
      return repo().reminded(accountId, validTo);
    },

    // ================================================================ 额度收回 (the daily job)

    /**
     * Recalls what is still available on every account approved more than VOUCHER_RECALL_DAYS days
     * ago with no order at all (nothing reserved, nothing consumed): one `recall` ledger entry each,
     * in its own transaction with its audit event, and an SMS to the enterprise after the commit.
     * Off (VOUCHER_RECALL_DAYS=0) it does nothing. A second run recalls nothing twice.
     */
    async recallUnused(): Promise<{ off?: true; recalled: number; recalledFen: number; skipped: number; failed: number }> {
      const run = { recalled: 0, recalledFen: 0, skipped: 0, failed: 0 };
      const days = settings.recallDays;
      if (days <= 0) return { off: true, ...run };
      const approvedBefore = new Date(now().getTime() - days * DAY_MS);
      let after: string | null = null;
      for (;;) {
        const ids = await deps.vouchers.ledger.recallCandidates(db, approvedBefore, after, BATCH);
        for (const accountId of ids) {
          try {
            const done = await db.transaction(async (tx) => {
              const r = await deps.vouchers.ledger.recall(tx, { accountId, approvedBefore });
              if (!r) return null;
              await deps.audit.record(tx, {
                actorType: "system",
                entityType: "voucher_account",
                entityId: accountId,
                action: "voucher_recalled",
                reason: `核定后${days}天内未下单使用`,
                data: { enterpriseId: r.account.enterpriseId, programmeId: r.programme.id, amountFen: r.entry.amountFen, ledgerEntryId: r.entry.id, days },
              });
              const enterprise = { kind: "enterprise" as const, id: r.account.enterpriseId };
              tx.afterCommit(async () => {
                await tell(enterprise, recallText(days), "voucher_recalled");
              });
              return r;
            });
            if (done) {
              run.recalled++;
              run.recalledFen += done.entry.amountFen;
            } else run.skipped++;
          } catch (err) {
            run.failed++;
            deps.log?.error({ accountId, err: String(err) }, "voucher recall failed; the next run tries again");
          }
        }
        if (ids.length < BATCH) return run;
        after = ids[ids.length - 1]!;
      }
    },

    // ================================================================ 暂停交易 / 恢复交易

    refusal,

    /** The 订单冻结 notice an order's pages show while either of its parties is suspended (the caller knows the order is open), or null. */
    async frozenNotice(parties: { enterpriseId?: string; providerId: string }): Promise<string | null> {
      return refusal(db, parties, "order");
    },

    /** The live suspension of each of these parties that has one (the admin lists' 已暂停交易 marks). */
    async liveAmong(parties: Party[]): Promise<Suspension[]> {
      return repo().live(parties);
    },

    /** 暂停交易 with a required reason (operator, super_admin): audited on the party's timeline; the party is told by SMS. */
    async suspend(staff: Staff, party: Party, reasonRaw: string | undefined, requestId?: string): Promise<Result<Suspension>> {
      if (!canSuspend(staff.role)) return fail({ _form: "只有平台运营人员或超级管理员可以暂停交易" }, 403);
      const reason = checkReason("suspend", reasonRaw);
      if ("error" in reason) return fail({ reason: reason.error });
      const found = await partyOf(party);
      if (!found) return fail({ _form: party.kind === "enterprise" ? "企业不存在" : "服务机构不存在" }, 404);
      try {
        return await db.transaction(async (tx) => {
          const s = await repo(tx).insert({ party, reason: reason.reason, by: staff.id, at: now() });
          await deps.audit.record(tx, {
            actorType: "admin",
            actorId: staff.id,
            entityType: ENTITY[party.kind],
            entityId: party.id,
            action: "trading_suspended",
            fromStatus: "active",
            toStatus: "suspended",
            reason: reason.reason,
            requestId,
            data: { suspensionId: s.id },
          });
          tx.afterCommit(async () => {
            await tell(party, suspensionText(true), "trading_suspended");
          });
          return ok(s);
        });
      } catch (err) {
        if (err instanceof UniqueViolation) return fail({ _form: "该单位已被暂停交易" }, 409);
        throw err;
      }
    },

    /** 恢复交易 with a required reason (operator, super_admin): the live suspension ends, audited; the party is told by SMS. */
    async resume(staff: Staff, party: Party, reasonRaw: string | undefined, requestId?: string): Promise<Result<Suspension>> {
      if (!canSuspend(staff.role)) return fail({ _form: "只有平台运营人员或超级管理员可以恢复交易" }, 403);
      const reason = checkReason("resume", reasonRaw);
      if ("error" in reason) return fail({ reason: reason.error });
      if (!(await partyOf(party))) return fail({ _form: party.kind === "enterprise" ? "企业不存在" : "服务机构不存在" }, 404);
      return db.transaction(async (tx) => {
        const s = await repo(tx).end(party, { by: staff.id, at: now(), reason: reason.reason });
        if (!s) return fail({ _form: "该单位未被暂停交易" }, 409);
        await deps.audit.record(tx, {
          actorType: "admin",
          actorId: staff.id,
          entityType: ENTITY[party.kind],
          entityId: party.id,
          action: "trading_resumed",
          fromStatus: "suspended",
          toStatus: "active",
          reason: reason.reason,
          requestId,
          data: { suspensionId: s.id },
        });
        tx.afterCommit(async () => {
          await tell(party, suspensionText(false), "trading_resumed");
        });
        return ok(s);
      });
    },

    /** A party's monitoring record: who it is, its live suspension, every suspension, and its audit timeline. */
    async partyRecord(staff: Staff, party: Party) {
      if (!canReadSuspensions(staff.role)) return fail({ _form: "您的角色无权查看交易监管记录" }, 403);
      const found = await partyOf(party);
      if (!found) return fail({ _form: party.kind === "enterprise" ? "企业不存在" : "服务机构不存在" }, 404);
      const [history, timeline] = await Promise.all([repo().history(party), deps.audit.forEntity(db, ENTITY[party.kind], party.id)]);
      return ok({
        party: found,
        live: history.find((s) => !s.resumedAt) ?? null,
        history,
        timeline,
        canSuspend: canSuspend(staff.role),
      });
    },

    /** 暂停交易管理: the suspensions (live ones, or all), newest first, and parties found by name. */
    async suspensions(staff: Staff, q: { scope: "live" | "all"; keyword: string; page: unknown }) {
      if (!canReadSuspensions(staff.role)) return fail({ _form: "您的角色无权查看交易监管记录" }, 403);
      const pageNo = pageOf(q.page);
      const keyword = q.keyword.trim().slice(0, 50);
      const [{ rows, total }, found] = await Promise.all([
        repo().list(q.scope === "live", SUSPENSION_PAGE_SIZE, (pageNo - 1) * SUSPENSION_PAGE_SIZE),
        keyword ? repo().findParties(keyword, 20) : Promise.resolve([]),
      ]);
      return ok({ rows, total, pageNo, pages: pagesOf(total, SUSPENSION_PAGE_SIZE), found, keyword, canSuspend: canSuspend(staff.role) });
    },
  };
}
export type MonitoringService = ReturnType<typeof monitoringService>;
/** What the orders and signing modules ask of monitoring: whether a suspension refuses what a party is about to do. */
export type SuspensionCheck = Pick<MonitoringService, "refusal">;
