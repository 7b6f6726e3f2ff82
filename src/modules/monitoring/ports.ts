import type { Db } from "../../ports/db.ts";
import type { Party, PartyKind } from "./domain.ts";

/** One 暂停交易 of a party: live while `resumedAt` is null. */
export type Suspension = {
  id: string;
  partyKind: PartyKind;
  partyId: string;
  reason: string;
  suspendedBy: string;
  suspendedAt: Date;
  resumedBy: string | null;
  resumedAt: Date | null;
  resumeReason: string | null;
};

/** A suspension in the operators' list, with the party's current name (from the published directories). */
export type SuspensionRow = Suspension & { partyName: string | null };

/** A party found by name for 暂停交易. */
export type FoundParty = { kind: PartyKind; id: string; name: string };

/** A reminder to claim: the account, the validity end it is for, its enterprise and usage at the time. */
export type ReminderClaim = { accountId: string; validTo: string; enterpriseId: string; usageBp: number };

export interface MonitoringRepository {
  /**
   * Claims reminders in one statement: rows of (account, validity end) not claimed before are
   * written; answers the account ids written now (a claim made by another run is not among them).
   */
  claimReminders(claims: ReminderClaim[], at: Date): Promise<string[]>;
  /** Whether a reminder was claimed for this account and validity end. */
  reminded(accountId: string, validTo: string): Promise<boolean>;
  /** The live suspensions of these parties. */
  live(parties: Party[]): Promise<Suspension[]>;
  /** A new live suspension; throws UniqueViolation (party_suspensions_live_key) when the party already has one. */
  insert(s: { party: Party; reason: string; by: string; at: Date }): Promise<Suspension>;
  /** Ends the live suspension of a party; undefined when it has none (ended meanwhile). */
  end(party: Party, v: { by: string; at: Date; reason: string }): Promise<Suspension | undefined>;
  /** Every suspension of a party, newest first. */
  history(party: Party): Promise<Suspension[]>;
  /** Suspensions, newest first: live only or all; a page with the count. */
  list(liveOnly: boolean, limit: number, offset: number): Promise<{ rows: SuspensionRow[]; total: number }>;
  /** Enterprises and providers whose current name contains `keyword` (at most `limit` of each kind). */
  findParties(keyword: string, limit: number): Promise<FoundParty[]>;
}

export type MonitoringRepositoryFactory = (db: Db) => MonitoringRepository;
