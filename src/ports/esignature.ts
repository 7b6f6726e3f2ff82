/**
 * E-signature provider port (电子签章服务): the vendor-neutral verbs the signing module needs from a
 * provider we do not run (e签宝, 法大大, 腾讯电子签, ...). docs/signing.md maps each verb to those
 * vendors' calls. The mock adapter (src/adapters/mock-esign/) implements it like a vendor, and every
 * adapter must pass tests/contract/esignature.contract.test.ts.
 *
 * Ids of the vendor's objects (parties, checks, seals, flows) are opaque strings. Verbs that create
 * something are idempotent on their natural key (a party by 统一社会信用代码, a flow by `bizRef`).
 */

/** An enterprise as the vendor registers it (its legal representative signs for it). */
export type PartyInput = {
  kind: "org";
  creditCode: string;
  name: string;
  legalName: string;
  legalIdNumber: string;
};

export type IdentityCheckInput = {
  partyId: string;
  /** The person who passes the face check: the legal representative or an authorised 经办人. */
  person: { name: string; idNumber: string };
  /** Where the vendor's page sends the person back to when done. */
  returnUrl: string;
  /** Our reference, echoed in the callback (e.g. the seal being made). */
  bizRef: string;
};
export type IdentityCheck = { checkId: string; url: string; expiresAt: Date };
export type IdentityStatus = { checkId: string; status: "pending" | "passed" | "failed"; reason?: string };

export type SealInput =
  | { partyId: string; from: "template"; name: string; bizRef: string }
  | { partyId: string; from: "image"; bytes: Uint8Array; contentType: "image/png" | "image/jpeg"; bizRef: string };
export type SealStatus = "pending_review" | "active" | "rejected" | "disabled";
export type Seal = { sealId: string; status: SealStatus };

export type SignerInput = {
  partyId: string;
  sealId: string;
  /** 1 signs first; signers with the same number may sign in parallel. */
  order: number;
  /** Where the seal goes: page (1-based) and position in PDF points from the bottom left. */
  field: { page: number; x: number; y: number };
};
export type SignFlowInput = {
  title: string;
  document: Uint8Array;
  /** SHA-256 (hex) of `document`; the vendor refuses a document whose bytes do not match. */
  sha256: string;
  signers: SignerInput[];
  expiresAt: Date;
  /** Our reference (order id and contract version), unique per flow and echoed in callbacks; creating twice with it answers the same flow. */
  bizRef: string;
};
export type SignerState = { partyId: string; order: number; status: "waiting" | "signed" | "refused"; at?: Date; reason?: string };
export type FlowStatus = {
  flowId: string;
  bizRef: string;
  status: "open" | "completed" | "refused" | "revoked" | "expired";
  signers: SignerState[];
};

export type SigningLinkInput = { flowId: string; partyId: string; returnUrl: string };
/** Minted at the moment of use and never stored: login-free and short-lived. */
export type SigningLink = { url: string; expiresAt: Date };

export type VerifyResult =
  | { known: false }
  | { known: true; intact: boolean; flowId: string; bizRef: string; signers: { partyId: string; name: string; at: Date }[]; sha256: string };

/** A provider event after verification, in the platform's words. `eventId` is stable across the vendor's retries. */
export type SignEvent = { eventId: string; occurredAt: Date } & (
  | { type: "identity.passed"; checkId: string; bizRef: string }
  | { type: "identity.failed"; checkId: string; bizRef: string; reason: string }
  | { type: "seal.active"; sealId: string; bizRef: string }
  | { type: "seal.rejected"; sealId: string; bizRef: string; reason: string }
  | { type: "signer.signed"; flowId: string; bizRef: string; partyId: string }
  | { type: "signer.refused"; flowId: string; bizRef: string; partyId: string; reason: string }
  | { type: "flow.completed"; flowId: string; bizRef: string }
  | { type: "flow.revoked"; flowId: string; bizRef: string }
  | { type: "flow.expired"; flowId: string; bizRef: string }
  | { type: "unknown"; vendorType: string }
);

/** What the HTTP route answers the vendor with (its format, not ours). */
export type Acknowledgement = { status: number; contentType: string; body: string };

export type CallbackRequest = { headers: Record<string, string>; rawBody: Uint8Array; receivedAt: Date };
export type ParsedCallback =
  | { ok: true; events: SignEvent[]; ack: Acknowledgement }
  | { ok: false; reason: "signature" | "stale" | "malformed"; ack: Acknowledgement };

/** A refusal of the vendor (bad input, unknown object, wrong state), with a Chinese message for the user. */
export class ESignatureError extends Error {
  constructor(
    readonly code: "invalid" | "not_found" | "conflict" | "unavailable",
    message: string,
  ) {
    super(message);
    this.name = "ESignatureError";
  }
}

export interface ESignature {
  /** The adapter's name as stored beside its ids (e.g. "mock", "esign", "fadada"). */
  readonly provider: string;
  ensureParty(input: PartyInput): Promise<{ partyId: string }>;
  startIdentityCheck(input: IdentityCheckInput): Promise<IdentityCheck>;
  identityStatus(checkId: string): Promise<IdentityStatus>;
  createSeal(input: SealInput): Promise<Seal>;
  sealStatus(sealId: string): Promise<Seal>;
  createSignFlow(input: SignFlowInput): Promise<{ flowId: string }>;
  signingLink(input: SigningLinkInput): Promise<SigningLink>;
  flowStatus(flowId: string): Promise<FlowStatus>;
  revoke(input: { flowId: string; reason: string }): Promise<void>;
  /** The signed PDF; refused (conflict) before the flow completed. */
  download(flowId: string): Promise<{ bytes: Uint8Array; sha256: string }>;
  verify(bytes: Uint8Array): Promise<VerifyResult>;
  /** Verifies (signature, 5-minute timestamp window) and normalises one callback request. Never throws for bad input. */
  parseCallback(req: CallbackRequest): Promise<ParsedCallback>;
}
