import type { Db } from "../../ports/db.ts";

/** 制作中 / 已生效 / 已停用, or failed (face check failed, image rejected). */
export type SealRowStatus = "making" | "active" | "disabled" | "failed";
export type SealRow = {
  id: string;
  enterpriseId: string;
  provider: string;
  externalPartyId: string;
  externalSealId: string | null;
  identityCheckId: string | null;
  source: "template" | "image";
  status: SealRowStatus;
  failureReason: string | null;
  name: string;
  imageFileId: string | null;
  createdAt: Date;
  activatedAt: Date | null;
  disabledAt: Date | null;
};
export type NewSeal = Pick<SealRow, "enterpriseId" | "provider" | "externalPartyId" | "identityCheckId" | "source" | "name" | "imageFileId"> & {
  at: Date;
};

export type FlowRowStatus = "open" | "completed" | "refused" | "revoked" | "expired";
export type FlowRow = {
  id: string;
  orderId: string;
  contractVersion: number;
  provider: string;
  externalFlowId: string | null;
  documentFileId: string;
  documentSha256: string;
  status: FlowRowStatus;
  signedFileId: string | null;
  /** The platform's copy with both seals stamped and a 签署信息 page: what the parties download. */
  signedSha256: string | null;
  /** The provider's signed file as downloaded (what its verify recognises). */
  vendorFileId: string | null;
  vendorSha256: string | null;
  expiresAt: Date;
  createdAt: Date;
  endedAt: Date | null;
};
export type Party = "enterprise" | "provider";
export type SignerRow = {
  flowId: string;
  party: Party;
  enterpriseId: string;
  sealId: string;
  signOrder: number;
  status: "waiting" | "signed" | "refused";
  signedAt: Date | null;
  refuseReason: string | null;
};
export type NewFlow = Pick<FlowRow, "orderId" | "contractVersion" | "provider" | "documentFileId" | "documentSha256" | "expiresAt"> & {
  at: Date;
  signers: Pick<SignerRow, "party" | "enterpriseId" | "sealId" | "signOrder">[];
};

export type InboxRequest = { provider: string; receivedAt: Date; headers: Record<string, string>; rawBody: Uint8Array };

export interface SigningRepository {
  // ---- seals ----
  insertSeal(s: NewSeal): Promise<SealRow>;
  sealById(id: string, forUpdate?: boolean): Promise<SealRow | undefined>;
  /** The seal being made for an identity check of this provider (the check's callback finds its seal). */
  sealByCheck(provider: string, checkId: string, forUpdate?: boolean): Promise<SealRow | undefined>;
  activeSeal(enterpriseId: string): Promise<SealRow | undefined>;
  makingSeal(enterpriseId: string): Promise<SealRow | undefined>;
  seals(enterpriseId: string): Promise<SealRow[]>;
  /** Makes a seal active with the provider's id, retiring (已停用) the enterprise's previously active one. False when it was not 制作中. */
  activateSeal(id: string, externalSealId: string, at: Date): Promise<boolean>;
  /** A seal being made that failed (face check failed, image rejected). False when it was not 制作中. */
  failSeal(id: string, reason: string): Promise<boolean>;

  // ---- sign flows ----
  insertFlow(f: NewFlow): Promise<FlowRow>;
  setExternalFlowId(id: string, externalFlowId: string): Promise<void>;
  flowById(id: string, forUpdate?: boolean): Promise<FlowRow | undefined>;
  flowByExternal(provider: string, externalFlowId: string, forUpdate?: boolean): Promise<FlowRow | undefined>;
  /** The order's open flow, if any (at most one: a partial unique index). */
  openFlow(orderId: string): Promise<FlowRow | undefined>;
  flowsOfOrder(orderId: string): Promise<FlowRow[]>;
  signers(flowId: string): Promise<SignerRow[]>;
  /** A waiting signer signs (false when not waiting: a duplicate or a refused signer). */
  signerSigned(flowId: string, party: Party, at: Date): Promise<boolean>;
  signerRefused(flowId: string, party: Party, reason: string): Promise<boolean>;
  /** Ends an open flow (false when it had already ended), with the signed document when completed. */
  endFlow(
    id: string,
    status: Exclude<FlowRowStatus, "open">,
    at: Date,
    signed?: { fileId: string; sha256: string; vendor: { fileId: string; sha256: string } },
  ): Promise<boolean>;
  /** Completed flows whose original, provider's signed file or stamped copy has this SHA-256 (合同验真), newest first. */
  completedFlowsBySha256(sha256: string): Promise<FlowRow[]>;
  /** Open flows created before `cutoff`, oldest first (the reconciler). */
  openFlowsBefore(cutoff: Date, limit: number): Promise<FlowRow[]>;

  // ---- the callback inbox ----
  /** Stores a request as it arrived, before anything else; its id. */
  storeRequest(r: InboxRequest): Promise<number>;
  markRequest(id: number, v: { verified: boolean; refusal?: "signature" | "stale" | "malformed"; events: number; at: Date }): Promise<void>;
  /**
   * Claims one provider event for handling in the caller's transaction: true the first time, false
   * when it was already handled (a duplicate). The row commits or rolls back with the state change.
   */
  claimEvent(e: {
    provider: string;
    eventId: string;
    inboxId: number | null;
    eventType: string;
    outcome: string;
    at: Date;
    ref?: string | null;
  }): Promise<boolean>;
  /**
   * The claimed events of one provider about these objects (`ref`) or handled in [from, to): what
   * the payment channel's notifications and queries did (对账), oldest first.
   */
  claimedEvents(provider: string, q: { refs: readonly string[]; from: Date; to: Date }): Promise<ClaimedEvent[]>;
  inboxRow(id: number): Promise<{ id: number; verified: boolean | null; refusal: string | null; events: number | null; rawBody: Uint8Array } | undefined>;
}
/** One claimed provider event: a notification's (inboxId set) or a query's answer fed through the same handler (inboxId null). */
export type ClaimedEvent = { eventId: string; ref: string | null; inboxId: number | null; eventType: string; outcome: string; handledAt: Date };
export type SigningRepositoryFactory = (db: Db) => SigningRepository;
