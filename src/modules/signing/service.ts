/**
 * Seals and electronic signatures (docs/signing.md): 我的签章 (制作签章 after the provider's face
 * check), the sign flow of an agreed contract (both parties, enterprise first), the hand-off to
 * the phone by a short signed link, the provider's callbacks through one inbox, the reconciler,
 * and the signed contract's documents and 合同验真.
 *
 * Calls to the provider (the ESignature port) are never made inside a database transaction: the
 * provider is another system (and the mock shares the embedded database's single connection).
 * Every state change is idempotent on the state itself (a signer signs once, a flow ends once), and
 * each provider event is claimed by its id in the transaction of its change, so a duplicate, a
 * replay or the reconciler's answer for the same change does nothing.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Cache } from "../../ports/cache.ts";
import type { Clock } from "../../ports/clock.ts";
import type { FieldCipher } from "../../ports/crypto.ts";
import type { Db } from "../../ports/db.ts";
import type { ContractDocuments, PartySignature, SigningParty } from "../../ports/documents.ts";
import { type Acknowledgement, type CallbackRequest, type ESignature, ESignatureError, type FlowStatus, type SignEvent } from "../../ports/esignature.ts";
import type { Jobs } from "../../ports/jobs.ts";
import { type Result, fail, ok } from "../../lib/result.ts";
import type { EnterpriseService } from "../enterprises/service.ts";
import type { FileService } from "../files/service.ts";
import type { SuspensionCheck } from "../monitoring/service.ts";
import { ORDER_READERS, type OrderService } from "../orders/service.ts";
import type { FlowRow, Party, SealRow, SignerRow, SigningRepositoryFactory } from "./ports.ts";
import { sealLayout } from "./seal-domain.ts";
import { renderSealSvg } from "./seal-svg.ts";

/** A sign flow is open this long; then the provider expires it and the parties 重新发起签署. */
export const FLOW_DAYS = 7;
/** The phone link (QR code) is valid this long, and opens once. */
export const LINK_MINUTES = 10;
/** The reconciler asks the provider about flows still open this long after they were created. */
export const RECONCILE_AFTER_MINUTES = 10;
export const START_JOB = "signing-start";
export const RECONCILE_JOB = "signing-reconcile";
export const RECONCILE_CRON = "*/5 * * * *";
/** The provider's name as shown to people on the 签署信息 page and 合同验真. */
const PROVIDER_TEXT: Record<string, string> = { mock: "模拟电子签章服务" };
export const PARTY_TEXT: Record<Party, string> = { enterprise: "甲方（服务需求方）", provider: "乙方（服务提供方）" };
const PDF_PARTY: Record<Party, SigningParty> = { enterprise: "甲方", provider: "乙方" };
export const SEAL_STATUS_TEXT: Record<SealRow["status"], string> = { making: "制作中", active: "已生效", disabled: "已停用", failed: "制作失败" };
export const FLOW_STATUS_TEXT: Record<FlowRow["status"], string> = {
  open: "签署中",
  completed: "签署完成",
  refused: "已拒签",
  revoked: "已撤销",
  expired: "已过期",
};
export const SIGNER_STATUS_TEXT: Record<SignerRow["status"], string> = { waiting: "待签署", signed: "已签署", refused: "已拒签" };

export type SigningDeps = {
  db: Db;
  clock: Clock;
  esign: ESignature;
  signingRepo: SigningRepositoryFactory;
  documents: ContractDocuments;
  files: FileService;
  orders: OrderService;
  enterprises: EnterpriseService;
  /**
   * 暂停交易 (the monitoring module): while the ordering enterprise or the provider is suspended the
   * flow does not start, the signing pages refuse and the phone link mints no signing link
   * (the measures' 暂停签订电子合同).
   */
  suspensions?: SuspensionCheck;
  jobs: Jobs;
  cache: Cache;
  cipher: FieldCipher;
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
};

export type Side = Party;
export type SealView = SealRow & { statusText: string; svg: string | null };
const sha256Hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
/** A UUID as 22 base64url characters (its 16 bytes), and back (null when it is not one). */
export const compactId = (uuid: string) => Buffer.from(uuid.replace(/-/g, ""), "hex").toString("base64url");
export function uuidOf(compact: string): string | null {
  if (!/^[A-Za-z0-9_-]{22}$/.test(compact)) return null;
  const hex = Buffer.from(compact, "base64url").toString("hex");
  return hex.length === 32 ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` : null;
}

/** A refusal of the provider as the user reads it (its message is Chinese), other errors rethrown. */
function providerFailure(err: unknown, status: 409 | 422 | 404 = 409) {
  if (err instanceof ESignatureError) return fail({ _form: err.message }, err.code === "unavailable" ? 409 : status);
  throw err;
}

export function signingService(deps: SigningDeps) {
  const { db, esign } = deps;
  const now = () => deps.clock.now();
  const repo = (d: Db = db) => deps.signingRepo(d);
  const providerText = PROVIDER_TEXT[esign.provider] ?? esign.provider;

  // ---- the link key: derived from the field keys, so every instance has the same one ----
  let linkKey: Promise<Uint8Array> | undefined;
  const keyOf = () => {
    linkKey ??= deps.cipher.keyedHash("sign-link-key", "signing-link").then((h) => new TextEncoder().encode(h));
    return linkKey;
  };

  const sealView = (s: SealRow): SealView => {
    const layout = sealLayout(s.name);
    return { ...s, statusText: SEAL_STATUS_TEXT[s.status], svg: layout.ok ? renderSealSvg(layout.layout) : null };
  };

  /** The enterprise of a signed-in account (the same seal serves 个人中心 and 服务机构中心). */
  async function enterpriseOf(accountId: string) {
    return deps.enterprises.ofAccount(accountId);
  }

  // ================================================================ seals (我的签章)

  /** 我的签章: whether the enterprise may make one (certified), its active and pending seal, the history and who may pass the face check. */
  async function mySeals(accountId: string) {
    const enterprise = await enterpriseOf(accountId);
    if (!enterprise) return fail({ _form: "请先登录企业账号" }, 403);
    const signatory = await deps.enterprises.signatory(enterprise.id);
    const seals = (await repo().seals(enterprise.id)).map(sealView);
    return ok({
      enterprise: { id: enterprise.id, name: signatory?.name ?? enterprise.name },
      certified: !!signatory,
      signers: signatory ? { legal: signatory.legal.name, agent: signatory.agent?.name ?? null } : null,
      active: seals.find((s) => s.status === "active") ?? null,
      making: seals.find((s) => s.status === "making") ?? null,
      history: seals,
    });
  }

  /**
   * 制作签章: registers the enterprise with the provider, starts the face check of the legal
   * representative (or the 经办人) and records the seal as 制作中; answers the provider's page to
   * send the person to. A pending seal of an earlier attempt is retired as failed first.
   */
  async function startSeal(accountId: string, input: { who: "legal" | "agent"; returnUrl: string }): Promise<Result<{ url: string }>> {
    const enterprise = await enterpriseOf(accountId);
    if (!enterprise) return fail({ _form: "请先登录企业账号" }, 403);
    const signatory = await deps.enterprises.signatory(enterprise.id);
    if (!signatory) return fail({ _form: "企业信息认证通过后才能制作签章" }, 403);
    const person = input.who === "agent" ? signatory.agent : signatory.legal;
    if (!person) return fail({ who: "企业认证信息中没有经办人，请由法定代表人认证" }, 422);
    const name = sealLayout(signatory.name);
    if (!name.ok) return fail({ _form: name.message }, 422);
    try {
      const { partyId } = await esign.ensureParty({
        kind: "org",
        creditCode: signatory.creditCode,
        name: signatory.name,
        legalName: signatory.legal.name,
        legalIdNumber: signatory.legal.idNumber,
      });
      const check = await esign.startIdentityCheck({
        partyId,
        person,
        returnUrl: input.returnUrl,
        bizRef: `seal:${enterprise.id}:${randomUUID()}`,
      });
      await db.transaction(async (tx) => {
        const r = repo(tx);
        const pending = await r.makingSeal(enterprise.id);
        if (pending) await r.failSeal(pending.id, "已重新发起制作");
        await r.insertSeal({
          enterpriseId: enterprise.id,
          provider: esign.provider,
          externalPartyId: partyId,
          identityCheckId: check.checkId,
          source: "template",
          name: signatory.name,
          imageFileId: null,
          at: now(),
        });
      });
      return ok({ url: check.url });
    } catch (err) {
      return providerFailure(err, 422);
    }
  }

  /**
   * After the face check: the seal is made from the provider's template (active at once), the
   * previously active one retired; a failed check fails the seal. The provider's call is made first
   * (idempotent on the bizRef), then the change and the event's claim in one transaction.
   */
  async function identityOutcome(e: Extract<SignEvent, { type: "identity.passed" | "identity.failed" }>, inboxId: number | null): Promise<string> {
    const seal = await repo().sealByCheck(esign.provider, e.checkId);
    if (!seal) return claimOnly(e, inboxId, "unknown identity check");
    let made: { sealId: string; status: string } | undefined;
    if (e.type === "identity.passed" && seal.status === "making") {
      made = await esign.createSeal({ partyId: seal.externalPartyId, from: "template", name: seal.name, bizRef: `seal:${seal.id}` });
    }
    let activated = false;
    const outcome = await applyEvent(esign.provider, e, inboxId, async (tx, done) => {
      const r = repo(tx);
      let outcome: string;
      if (e.type === "identity.failed") outcome = (await r.failSeal(seal.id, e.reason.slice(0, 200))) ? "seal failed" : "seal not pending";
      else if (made?.status === "active") {
        activated = await r.activateSeal(seal.id, made.sealId, e.occurredAt);
        outcome = activated ? "seal active" : "seal not pending";
      } else outcome = made ? `seal ${made.status}` : "seal not pending";
      return done(outcome);
    });
    if (activated) await queueStartsFor(seal.enterpriseId);
    return outcome;
  }

  /** Asks the provider about a seal still 制作中 (the face check's callback may be late or lost) and applies the answer. */
  async function refreshSeal(accountId: string): Promise<void> {
    const enterprise = await enterpriseOf(accountId);
    const making = enterprise && (await repo().makingSeal(enterprise.id));
    if (!making?.identityCheckId) return;
    try {
      const st = await esign.identityStatus(making.identityCheckId);
      if (st.status === "pending") return;
      const base = { eventId: `poll:identity:${st.checkId}:${st.status}`, occurredAt: now(), checkId: st.checkId, bizRef: "" };
      await identityOutcome(
        st.status === "passed" ? { ...base, type: "identity.passed" } : { ...base, type: "identity.failed", reason: st.reason ?? "认证未通过" },
        null,
      );
    } catch (err) {
      deps.log?.warn({ err: String(err), sealId: making.id }, "identity status not available");
    }
  }

  // ================================================================ sign flows

  /** Queues the start of the sign flow of every order of this enterprise waiting in 待签合同 (its seal became active). */
  async function queueStartsFor(enterpriseId: string) {
    for (const orderId of await deps.orders.awaitingSigning(enterpriseId)) await queueStart(orderId);
  }
  async function queueStart(orderId: string) {
    try {
      await deps.jobs.send(START_JOB, { orderId });
    } catch (err) {
      deps.log?.warn({ err: String(err), orderId }, "signing start not queued (the order page's 发起签署 starts it)");
    }
  }

  /** Both parties' enterprise ids and active seals for an order's agreed contract. */
  async function partiesOf(orderId: string) {
    const terms = await deps.orders.signingTerms(orderId);
    if (!terms.ok) return terms;
    const ids: Record<Party, string> = { enterprise: terms.value.order.enterpriseId, provider: terms.value.providerEnterpriseId };
    const seals = {
      enterprise: await repo().activeSeal(ids.enterprise),
      provider: await repo().activeSeal(ids.provider),
    };
    return ok({ terms: terms.value, ids, seals });
  }

  /** The 暂停签订电子合同 refusal of an order while either party is suspended, or null. */
  async function suspended(order: { enterpriseId: string; providerId: string }): Promise<string | null> {
    return (await deps.suspensions?.refusal(db, order, "signing")) ?? null;
  }

  /**
   * Starts the sign flow of an order in 待签合同 (the job on 同意 or on a seal becoming active, the
   * reconciler, or 发起签署 / 重新发起签署): renders the agreed version as a PDF, stores it with its
   * SHA-256 and creates the provider's flow, enterprise first. Once per order while a flow is open:
   * an open flow without the provider's id (a crash between the two steps) is created again with
   * the same bizRef (the platform flow's id), which the provider answers with the same flow.
   */
  async function startFlow(orderId: string): Promise<Result<FlowRow>> {
    const parties = await partiesOf(orderId);
    if (!parties.ok) return parties;
    const { terms, ids, seals } = parties.value;
    const refusal = await suspended(terms.order);
    if (refusal) return fail({ _form: refusal }, 403);
    let flow = await repo().openFlow(orderId);
    if (flow?.externalFlowId) return ok(flow);
    if (!seals.enterprise || !seals.provider) return fail({ _form: "双方都制作签章后才能发起签署" }, 409);
    const done = (await repo().flowsOfOrder(orderId)).find((f) => f.status === "completed" && f.contractVersion === terms.contractVersion);
    if (done) return fail({ _form: "该合同已完成签署" }, 409);
    let document: Uint8Array;
    if (flow) {
      const stored = await deps.files.readChecked(flow.documentFileId);
      if (!stored) return fail({ _form: "合同文件不存在" }, 409);
      document = stored.bytes;
    } else {
      document = await deps.documents.renderContract({
        number: terms.order.number,
        version: terms.contractVersion,
        content: terms.content,
        amounts: {
          deductionFen: terms.order.deductionFen,
          selfPayFen: terms.order.selfPayFen,
          balanceFen: terms.order.selfPayFen - terms.order.depositFen,
        },
        contentSha256: terms.contentSha256,
        issuedAt: terms.agreedAt,
      });
      const sha256 = sha256Hex(document);
      const at = now();
      try {
        flow = await db.transaction(async (tx) => {
          const stored = await deps.files.store(tx, {
            name: `${terms.order.number}-v${terms.contractVersion}.pdf`,
            bytes: document,
            ownerEnterpriseId: ids.enterprise,
            purpose: "contract_original",
            accountId: null,
          });
          if (!stored.ok) throw new Error(`contract PDF not stored: ${stored.message}`);
          return repo(tx).insertFlow({
            orderId,
            contractVersion: terms.contractVersion,
            provider: esign.provider,
            documentFileId: stored.file.id,
            documentSha256: sha256,
            expiresAt: new Date(at.getTime() + FLOW_DAYS * 86_400_000),
            at,
            signers: [
              { party: "enterprise", enterpriseId: ids.enterprise, sealId: seals.enterprise!.id, signOrder: 1 },
              { party: "provider", enterpriseId: ids.provider, sealId: seals.provider!.id, signOrder: 2 },
            ],
          });
        });
      } catch (err) {
        // Another instance opened it first (one open flow per order): use that one.
        const other = await repo().openFlow(orderId);
        if (!other) throw err;
        if (other.externalFlowId) return ok(other);
        flow = other;
        const stored = await deps.files.readChecked(other.documentFileId);
        if (!stored) return fail({ _form: "合同文件不存在" }, 409);
        document = stored.bytes;
      }
    }
    const current = flow!;
    try {
      const fields = await deps.documents.signatureFields(document);
      const field = (p: Party) => {
        const f = fields.find((x) => x.party === PDF_PARTY[p]);
        return f ? { page: f.page, x: f.x, y: f.y } : { page: 1, x: 0, y: 0 };
      };
      const { flowId } = await esign.createSignFlow({
        title: `服务合同（${terms.order.number}）`,
        document,
        sha256: current.documentSha256,
        signers: [
          { partyId: seals.enterprise.externalPartyId, sealId: seals.enterprise.externalSealId!, order: 1, field: field("enterprise") },
          { partyId: seals.provider.externalPartyId, sealId: seals.provider.externalSealId!, order: 2, field: field("provider") },
        ],
        expiresAt: current.expiresAt,
        bizRef: current.id,
      });
      await repo().setExternalFlowId(current.id, flowId);
      await deps.orders.signingNotice(orderId, "sign_pending_enterprise");
      return ok({ ...current, externalFlowId: flowId });
    } catch (err) {
      if (err instanceof ESignatureError) {
        deps.log?.warn({ orderId, err: err.message }, "sign flow not created at the provider");
        return fail({ _form: err.message }, 409);
      }
      throw err;
    }
  }

  /** The platform's flow an event is about: by our bizRef (the flow id), else by the provider's flow id. */
  async function flowOf(tx: Db, e: { flowId: string; bizRef: string }): Promise<FlowRow | undefined> {
    const r = repo(tx);
    return (await r.flowById(e.bizRef, true)) ?? (await r.flowByExternal(esign.provider, e.flowId, true));
  }

  /** Which of the flow's signers a provider party id is (through the seal each signs with). */
  async function partyOf(tx: Db, flow: FlowRow, externalPartyId: string): Promise<Party | undefined> {
    for (const s of await repo(tx).signers(flow.id)) {
      const seal = await repo(tx).sealById(s.sealId);
      if (seal?.externalPartyId === externalPartyId) return s.party;
    }
    return undefined;
  }

  class Duplicate extends Error {}
  /**
   * Applies one provider event (e-signature, payments): `body` runs in one transaction and ends with
   * `done(outcome)`, which claims the event's id in that transaction; a duplicate rolls everything
   * back and answers "duplicate".
   */
  function applyEvent(
    provider: string,
    e: { eventId: string; type: string; ref?: string | null },
    inboxId: number | null,
    body: (tx: Db, done: (outcome: string) => Promise<string>) => Promise<string>,
  ): Promise<string> {
    return db
      .transaction((tx) =>
        body(tx, async (outcome) => {
          const first = await repo(tx).claimEvent({
            provider,
            eventId: e.eventId,
            inboxId,
            eventType: e.type,
            outcome: outcome.slice(0, 200),
            at: now(),
            ref: e.ref,
          });
          if (!first) throw new Duplicate("duplicate");
          return outcome;
        }),
      )
      .catch((err: unknown) => {
        if (err instanceof Duplicate) return "duplicate";
        throw err;
      });
  }
  const claimOnly = (e: SignEvent, inboxId: number | null, outcome: string) => applyEvent(esign.provider, e, inboxId, (_tx, done) => done(outcome));

  /** One signer signed (the enterprise: the provider is told it is its turn). */
  async function signerSigned(e: Extract<SignEvent, { type: "signer.signed" }>, inboxId: number | null): Promise<string> {
    return applyEvent(esign.provider, e, inboxId, async (tx, done) => {
      const flow = await flowOf(tx, e);
      if (!flow) return done("unknown flow");
      const party = await partyOf(tx, flow, e.partyId);
      let outcome = "unknown signer";
      if (party) {
        const changed = flow.status === "open" && (await repo(tx).signerSigned(flow.id, party, e.occurredAt));
        outcome = changed ? `${party} signed` : `${party} already signed`;
        if (changed && party === "enterprise") await deps.orders.signingNotice(flow.orderId, "sign_pending_provider", tx);
      }
      return done(outcome);
    });
  }

  /**
   * Both signed: the provider's signed file is downloaded, the platform's copy stamped with both
   * seals and a 签署信息 page, both stored with their SHA-256 beside the original, the signers
   * marked with the provider's times, the flow completed and the order moved to 待支付定金, in one
   * transaction with the event's claim.
   */
  async function flowCompleted(e: Extract<SignEvent, { type: "flow.completed" }>, inboxId: number | null): Promise<string> {
    const before = await db.transaction((tx) => flowOf(tx, e));
    if (!before) return claimOnly(e, inboxId, "unknown flow");
    if (before.status !== "open") return claimOnly(e, inboxId, `flow already ${before.status}`);
    const status = await esign.flowStatus(e.flowId);
    const vendor = await esign.download(e.flowId);
    const original = await deps.files.readChecked(before.documentFileId);
    if (!original) throw new Error(`the original of flow ${before.id} is missing`);
    const signers = await repo().signers(before.id);
    const times = new Map<Party, Date>();
    const signatures: PartySignature[] = [];
    for (const s of signers) {
      const seal = await repo().sealById(s.sealId);
      const at = status.signers.find((x) => x.partyId === seal?.externalPartyId)?.at ?? e.occurredAt;
      times.set(s.party, at);
      const layout = seal && sealLayout(seal.name);
      const signatory = await deps.enterprises.signatory(s.enterpriseId);
      if (!seal || !layout?.ok) throw new Error(`the seal of ${s.party} in flow ${before.id} cannot be drawn`);
      signatures.push({
        party: PDF_PARTY[s.party],
        name: seal.name,
        signer: signatory?.legal.name ?? null,
        verification: "人脸识别",
        signedAt: at,
        seal: layout.layout,
      });
    }
    const stamped = await deps.documents.stampSignatures(original.bytes, signatures, {
      provider: providerText,
      flowId: e.flowId,
      documentSha256: before.documentSha256,
    });
    const number = original.file.originalName.replace(/\.pdf$/, "");
    return applyEvent(esign.provider, e, inboxId, async (tx, done) => {
      const flow = await flowOf(tx, e);
      if (flow?.status !== "open") return done("flow already ended");
      const r = repo(tx);
      for (const [party, at] of times) await r.signerSigned(flow.id, party, at);
      const store = async (bytes: Uint8Array, suffix: string, purpose: string) => {
        const s = await deps.files.store(tx, {
          name: `${number}-${suffix}.pdf`,
          bytes,
          ownerEnterpriseId: original.file.ownerEnterpriseId,
          purpose,
          accountId: null,
        });
        if (!s.ok) throw new Error(`signed contract not stored: ${s.message}`);
        return s.file.id;
      };
      const signedId = await store(stamped, "已签署", "contract_signed");
      const vendorId = await store(vendor.bytes, "签署原件", "contract_vendor");
      await r.endFlow(flow.id, "completed", e.occurredAt, {
        fileId: signedId,
        sha256: sha256Hex(stamped),
        vendor: { fileId: vendorId, sha256: sha256Hex(vendor.bytes) },
      });
      const moved = await deps.orders.trySigningOutcome(tx, flow.orderId, { action: "signed", contractVersion: flow.contractVersion });
      const outcome = moved.ok ? "completed: order awaiting deposit" : `completed: order not moved (${moved.errors._form ?? ""})`;
      return done(outcome);
    });
  }

  /** 拒签 with a reason: the flow ends as refused and the order goes back to 待制定合同 for a new version. */
  async function signerRefused(e: Extract<SignEvent, { type: "signer.refused" }>, inboxId: number | null): Promise<string> {
    let refusedFlow: FlowRow | undefined;
    const outcome = await applyEvent(esign.provider, e, inboxId, async (tx, done) => {
      const flow = await flowOf(tx, e);
      if (!flow) return done("unknown flow");
      const party = await partyOf(tx, flow, e.partyId);
      let outcome = "unknown signer";
      if (party && flow.status === "open") {
        const reason = e.reason.slice(0, 200);
        await repo(tx).signerRefused(flow.id, party, reason);
        await repo(tx).endFlow(flow.id, "refused", e.occurredAt);
        const moved = await deps.orders.trySigningOutcome(tx, flow.orderId, {
          action: "sign_refused",
          contractVersion: flow.contractVersion,
          reason: `${party === "enterprise" ? "企业" : "服务机构"}拒签：${reason}`.slice(0, 200),
        });
        outcome = moved.ok ? `${party} refused: order back to drafting` : `${party} refused: order not moved`;
        refusedFlow = flow;
      } else if (party) outcome = `flow already ${flow.status}`;
      return done(outcome);
    });
    // The provider ends a refused flow itself; revoking it as well is harmless and covers a vendor that does not.
    if (refusedFlow?.externalFlowId) await esign.revoke({ flowId: refusedFlow.externalFlowId, reason: "签署方拒签" }).catch(() => undefined);
    return outcome;
  }

  /** The provider revoked or expired a flow: it ends (an expired one is told to both parties: 重新发起签署). */
  async function flowEnded(e: Extract<SignEvent, { type: "flow.revoked" | "flow.expired" }>, inboxId: number | null): Promise<string> {
    return applyEvent(esign.provider, e, inboxId, async (tx, done) => {
      const flow = await flowOf(tx, e);
      const status = e.type === "flow.expired" ? "expired" : "revoked";
      let outcome = flow ? `flow already ${flow.status}` : "unknown flow";
      if (flow && (await repo(tx).endFlow(flow.id, status, e.occurredAt))) {
        outcome = `flow ${status}`;
        if (status === "expired") await deps.orders.signingNotice(flow.orderId, "sign_expired", tx);
      }
      return done(outcome);
    });
  }

  /** One normalised event through its handler; an event already handled (same id) changes nothing. */
  async function handle(e: SignEvent, inboxId: number | null): Promise<string> {
    switch (e.type) {
      case "identity.passed":
      case "identity.failed":
        return identityOutcome(e, inboxId);
      case "signer.signed":
        return signerSigned(e, inboxId);
      case "signer.refused":
        return signerRefused(e, inboxId);
      case "flow.completed":
        return flowCompleted(e, inboxId);
      case "flow.revoked":
      case "flow.expired":
        return flowEnded(e, inboxId);
      case "seal.active":
      case "seal.rejected":
        // Image seals (reviewed by the provider) are not offered: the template seal is active at once.
        return claimOnly(e, inboxId, "ignored: image seals are not used");
      default:
        return claimOnly(e, inboxId, `ignored: unknown type ${e.vendorType}`.slice(0, 200));
    }
  }

  /**
   * POST /callbacks/esign: the request is stored as it came before anything else, then verified and
   * parsed by the adapter; each event is handled (claimed by its id with its change); the answer
   * is the adapter's acknowledgement. A handler that fails answers 500, so the provider retries
   * (and the reconciler covers a provider that gives up).
   */
  async function receiveCallback(req: CallbackRequest): Promise<{ ack: Acknowledgement; inboxId: number; outcomes: string[] }> {
    const inboxId = await repo().storeRequest({ provider: esign.provider, receivedAt: req.receivedAt, headers: req.headers, rawBody: req.rawBody });
    const parsed = await esign.parseCallback(req);
    if (!parsed.ok) {
      await repo().markRequest(inboxId, { verified: false, refusal: parsed.reason, events: 0, at: now() });
      deps.log?.warn({ inboxId, reason: parsed.reason }, "e-signature callback refused");
      return { ack: parsed.ack, inboxId, outcomes: [] };
    }
    const outcomes: string[] = [];
    try {
      for (const e of parsed.events) outcomes.push(await handle(e, inboxId));
    } catch (err) {
      deps.log?.error({ inboxId, err: String(err) }, "e-signature callback not handled; the provider will retry");
      return { ack: { status: 500, contentType: "application/json", body: '{"code":500}' }, inboxId, outcomes };
    }
    await repo().markRequest(inboxId, { verified: true, events: parsed.events.length, at: now() });
    return { ack: parsed.ack, inboxId, outcomes };
  }

  /** The provider's view of one flow as the events it implies (the reconciler's answer, through the same handlers). */
  function eventsOf(flow: FlowRow, st: FlowStatus): SignEvent[] {
    const at = now();
    const base = (kind: string) => ({ eventId: `reconcile:${st.flowId}:${kind}`, occurredAt: at, flowId: st.flowId, bizRef: flow.id });
    const out: SignEvent[] = [];
    for (const s of st.signers) {
      if (s.status === "signed" && st.status !== "completed")
        out.push({ ...base(`signed:${s.partyId}`), type: "signer.signed", partyId: s.partyId, occurredAt: s.at ?? at });
      if (s.status === "refused")
        out.push({ ...base(`refused:${s.partyId}`), type: "signer.refused", partyId: s.partyId, reason: s.reason ?? "（未填写原因）" });
    }
    if (st.status === "completed") out.push({ ...base("completed"), type: "flow.completed" });
    if (st.status === "revoked") out.push({ ...base("revoked"), type: "flow.revoked" });
    if (st.status === "expired") out.push({ ...base("expired"), type: "flow.expired" });
    return out;
  }

  /**
   * The reconciler (a job every 5 minutes, once across instances): flows still open some minutes
   * after they were created are asked about (flowStatus) and the answer fed through the handlers;
   * a flow the provider never created (a crash after the PDF) is created again.
   */
  async function reconcile(opts: { olderThanMinutes?: number } = {}): Promise<{ checked: number; changed: number }> {
    const cutoff = new Date(now().getTime() - (opts.olderThanMinutes ?? RECONCILE_AFTER_MINUTES) * 60_000);
    const flows = await repo().openFlowsBefore(cutoff, 200);
    let changed = 0;
    for (const flow of flows) {
      try {
        if (!flow.externalFlowId) {
          if ((await startFlow(flow.orderId)).ok) changed++;
          continue;
        }
        const st = await esign.flowStatus(flow.externalFlowId);
        for (const e of eventsOf(flow, st)) {
          const outcome = await handle(e, null);
          if (outcome !== "duplicate" && !outcome.includes("already")) changed++;
        }
      } catch (err) {
        deps.log?.warn({ flowId: flow.id, err: String(err) }, "sign flow not reconciled");
      }
    }
    return { checked: flows.length, changed };
  }

  // ================================================================ the order's signing, for its parties

  /** The order as its party sees it (404 for anyone else), through the orders service's own checks. */
  const partyOrder = (accountId: string, orderId: string, side: Side) => deps.orders.orderOfParty(accountId, orderId, side);

  /** What the order page's 签署合同 section shows: the latest flow, its signers, whose turn, the seals and what this party may do. */
  async function orderSigning(accountId: string, orderId: string, side: Side) {
    const order = await partyOrder(accountId, orderId, side);
    if (!order.ok) return order;
    if (order.value.status === "contract_signing") {
      const refusal = await suspended(order.value);
      if (refusal) return fail({ _form: refusal }, 403);
    }
    const flows = await repo().flowsOfOrder(order.value.id);
    const flow = flows.at(-1) ?? null;
    const signers = flow ? await repo().signers(flow.id) : [];
    const me = signers.find((s) => s.party === side) ?? null;
    const myTurn =
      !!flow &&
      flow.status === "open" &&
      !!flow.externalFlowId &&
      me?.status === "waiting" &&
      signers.every((s) => s.signOrder >= me.signOrder || s.status === "signed");
    const inSigning = order.value.status === "contract_signing";
    let seals: Record<Party, boolean> | null = null;
    if (inSigning) {
      const p = await partiesOf(order.value.id);
      if (p.ok) seals = { enterprise: !!p.value.seals.enterprise, provider: !!p.value.seals.provider };
    }
    const open = flow?.status === "open";
    return ok({
      order: order.value,
      side,
      flow,
      flows,
      signers,
      me,
      myTurn,
      seals,
      /** 制作签章 first: this party has no active seal while the contract waits to be signed. */
      needsSeal: inSigning && !!seals && !seals[side] && !(open && me?.status === "signed"),
      /** 发起签署 (no flow yet) or 重新发起签署 (the last one expired or was revoked), once both seals are active. */
      canStart: inSigning && !open && !!seals?.enterprise && !!seals.provider,
      restart: inSigning && !!flow && (flow.status === "expired" || flow.status === "revoked"),
      preparing: inSigning && open && !flow?.externalFlowId,
      completed: flows.find((f) => f.status === "completed") ?? null,
    });
  }

  /** 发起签署 / 重新发起签署 by either party of an order in 待签合同 without an open flow. */
  async function restartSigning(accountId: string, orderId: string, side: Side): Promise<Result<FlowRow>> {
    const order = await partyOrder(accountId, orderId, side);
    if (!order.ok) return order;
    if (order.value.status !== "contract_signing") return fail({ _form: "订单不在待签合同状态" }, 409);
    const open = await repo().openFlow(order.value.id);
    if (open?.externalFlowId) return fail({ _form: "签署流程进行中，请扫码签署" }, 409);
    return startFlow(order.value.id);
  }

  /**
   * The phone link of 签署合同 for this party only: a JWS (HS256 under the platform's key) naming
   * the flow, the party and its enterprise, valid LINK_MINUTES, opened once. Only while it is this
   * party's turn.
   */
  async function phoneLink(accountId: string, orderId: string, side: Side): Promise<Result<{ token: string; expiresAt: Date }>> {
    const s = await orderSigning(accountId, orderId, side);
    if (!s.ok) return s;
    if (s.value.needsSeal) return fail({ _form: "请先制作签章" }, 409);
    if (!s.value.flow || !s.value.me || !s.value.myTurn) return fail({ _form: s.value.me?.status === "signed" ? "您已完成签署" : "尚未轮到您签署" }, 409);
    const at = now();
    const expiresAt = new Date(at.getTime() + LINK_MINUTES * 60_000);
    // Compact claims keep the link (and so the QR code) short: the flow id as 22 base64url
    // characters, the party as one letter, a 12-character jti.
    const { SignJWT } = await jose();
    const token = await new SignJWT({ f: compactId(s.value.flow.id), p: side === "enterprise" ? "e" : "p" })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .setJti(randomBytes(9).toString("base64url"))
      .sign(await keyOf());
    return ok({ token, expiresAt });
  }

  /**
   * /s/<token> on the phone: the token verified (signature, expiry, once), then a provider signing
   * link minted at this moment for that party only. Forged, expired, replayed or no longer current:
   * a Chinese message and 4xx, nothing changed.
   */
  async function openPhoneLink(token: string, returnUrl: string): Promise<Result<{ url: string }>> {
    let claims: { f?: unknown; p?: unknown; jti?: string; exp?: number };
    const { jwtVerify } = await jose();
    try {
      ({ payload: claims } = await jwtVerify(token, await keyOf(), { algorithms: ["HS256"], currentDate: now() }));
    } catch (err) {
      const expired = (err as { code?: string }).code === "ERR_JWT_EXPIRED";
      return fail({ _form: expired ? "签署链接已过期，请在电脑上刷新二维码后重新扫码" : "签署链接无效" }, expired ? 410 : 404);
    }
    const flowId = typeof claims.f === "string" ? uuidOf(claims.f) : null;
    const party = claims.p === "e" ? "enterprise" : claims.p === "p" ? "provider" : null;
    if (!flowId || !party || !claims.jti) return fail({ _form: "签署链接无效" }, 404);
    const flow = await repo().flowById(flowId);
    const signer = flow && (await repo().signers(flow.id)).find((s) => s.party === party);
    if (!flow || !signer) return fail({ _form: "签署链接无效" }, 404);
    if (flow.status !== "open" || !flow.externalFlowId) return fail({ _form: `该合同${FLOW_STATUS_TEXT[flow.status]}，链接已失效` }, 409);
    if (signer.status !== "waiting") return fail({ _form: "您已完成签署操作，链接已失效" }, 409);
    const order = await deps.orders.orderForPayment(flow.orderId);
    const refusal = order ? await suspended(order) : null;
    if (refusal) return fail({ _form: refusal }, 403);
    const ttl = Math.max(60, (claims.exp ?? 0) - Math.floor(now().getTime() / 1000) + 60);
    if (!(await deps.cache.setIfAbsent(`sign-link:${claims.jti}`, "1", ttl))) {
      return fail({ _form: "该签署链接已使用过，请在电脑上刷新二维码后重新扫码" }, 410);
    }
    const seal = await repo().sealById(signer.sealId);
    try {
      const link = await esign.signingLink({ flowId: flow.externalFlowId, partyId: seal!.externalPartyId, returnUrl });
      return ok({ url: link.url });
    } catch (err) {
      return providerFailure(err);
    }
  }

  // ================================================================ the signed contract

  type Reader = { accountId: string; side: Side } | { adminRole: string };
  /** Downloads of an order's contract: the original, the stamped 已签署 copy, or the provider's signed file; parties and order staff only. */
  async function contractFile(reader: Reader, orderId: string, kind: "original" | "signed" | "vendor") {
    if ("adminRole" in reader) {
      if (!(ORDER_READERS as readonly string[]).includes(reader.adminRole)) return fail({ _form: "无权查看" }, 403);
    } else {
      const order = await partyOrder(reader.accountId, orderId, reader.side);
      if (!order.ok) return order;
    }
    const flows = await repo().flowsOfOrder(orderId);
    const flow = kind === "original" ? flows.at(-1) : flows.find((f) => f.status === "completed");
    const id = !flow ? null : kind === "original" ? flow.documentFileId : kind === "signed" ? flow.signedFileId : flow.vendorFileId;
    const file = id ? await deps.files.readChecked(id) : undefined;
    if (!file) return fail({ _form: kind === "original" ? "合同文件尚未生成" : "合同尚未完成签署" }, 404);
    return ok({ name: file.file.originalName, bytes: file.bytes });
  }

  type Verdict =
    | { found: false; sha256: string; reason: string }
    | {
        found: true;
        intact: boolean;
        sha256: string;
        /** Which file it is: the stamped copy, the provider's signed file, or the unsigned original. */
        kind: "signed" | "vendor" | "original" | "modified";
        orderNumber: string;
        flow: FlowRow;
        signers: (SignerRow & { name: string })[];
        provider: string;
      };

  async function describe(flow: FlowRow, sha256: string, kind: "signed" | "vendor" | "original" | "modified", intact: boolean): Promise<Verdict> {
    const terms = await deps.orders.orderNumberOf(flow.orderId);
    const signers = await Promise.all((await repo().signers(flow.id)).map(async (s) => ({ ...s, name: (await repo().sealById(s.sealId))?.name ?? "" })));
    return { found: true, intact, sha256, kind, orderNumber: terms ?? "", flow, signers, provider: providerText };
  }

  /** 合同验真 of an uploaded PDF: the platform's record by its SHA-256, else the provider's verify (which also knows a changed copy of its own file). */
  async function verifyDocument(bytes: Uint8Array): Promise<Verdict> {
    const sha256 = sha256Hex(bytes);
    const [flow] = await repo().completedFlowsBySha256(sha256);
    if (flow) {
      const kind = flow.signedSha256 === sha256 ? "signed" : flow.vendorSha256 === sha256 ? "vendor" : "original";
      return describe(flow, sha256, kind, kind !== "original");
    }
    const v = await esign.verify(bytes).catch(() => ({ known: false }) as const);
    if (v.known) {
      const ours = (await repo().flowById(v.bizRef)) ?? (await repo().flowByExternal(esign.provider, v.flowId));
      if (ours) return describe(ours, sha256, v.intact ? "vendor" : "modified", v.intact);
    }
    return { found: false, sha256, reason: "未找到与该文件一致的已签署合同：文件不是本平台签署的合同，或签署后已被修改" };
  }

  /** 合同验真 by 合同编号 (the order number) and a SHA-256 typed in. */
  async function verifyByNumber(orderNumber: string, sha256: string): Promise<Verdict> {
    const flows = await repo().completedFlowsBySha256(sha256);
    for (const flow of flows) {
      if ((await deps.orders.orderNumberOf(flow.orderId)) !== orderNumber) continue;
      const kind = flow.signedSha256 === sha256 ? "signed" : flow.vendorSha256 === sha256 ? "vendor" : "original";
      return describe(flow, sha256, kind, kind !== "original");
    }
    return { found: false, sha256, reason: "该合同编号下没有与此摘要一致的已签署合同" };
  }

  return {
    mySeals,
    startSeal,
    refreshSeal,
    startFlow,
    orderSigning,
    restartSigning,
    phoneLink,
    openPhoneLink,
    receiveCallback,
    reconcile,
    contractFile,
    verifyDocument,
    verifyByNumber,
    /** Handles one normalised event (tests of the handlers, and the reconciler). */
    handle,
    // The callback inbox for other providers' notifications (payments): the same tables, keyed by provider.
    /** Stores a provider request as it arrived, before anything else; its id. */
    storeRequest: (r: { provider: string; receivedAt: Date; headers: Record<string, string>; rawBody: Uint8Array }) => repo().storeRequest(r),
    markRequest: (id: number, v: { verified: boolean; refusal?: "signature" | "stale" | "malformed"; events: number; at: Date }) =>
      repo().markRequest(id, v),
    /** The claimed events of a provider about these objects or handled in [from, to) (the payments module's 对账). */
    claimedEvents: (provider: string, q: { refs: readonly string[]; from: Date; to: Date }) => repo().claimedEvents(provider, q),
    /** The SHA-256 of an order's signed contract (the completed flow's stamped copy), for 兑付's review. */
    async signedDigest(orderId: string): Promise<string | undefined> {
      const flows = await repo().flowsOfOrder(orderId);
      return flows.find((f) => f.status === "completed" && f.signedSha256)?.signedSha256 ?? undefined;
    },
    /** Applies a provider event in one transaction with its id claimed (a duplicate rolls back: "duplicate"). */
    applyEvent,
    /** The orders module's hook at 同意: the flow's start is queued once the transaction commits. */
    contractAgreed(tx: Db, orderId: string): void {
      tx.afterCommit(() => queueStart(orderId));
    },
    /** Registers the jobs: the flow's start and the reconciler. Called by startJobs. */
    async startWorkers(): Promise<void> {
      await deps.jobs.work(START_JOB, async (job) => {
        const orderId = String(job.data.orderId ?? "");
        const r = await startFlow(orderId);
        deps.log?.info({ orderId, started: r.ok, why: r.ok ? undefined : r.errors._form }, "sign flow start");
      });
      await deps.jobs.work(RECONCILE_JOB, async () => {
        const run = await reconcile();
        deps.log?.info(run, "sign flows reconciled");
      });
      await deps.jobs.schedule(RECONCILE_JOB, RECONCILE_CRON);
    },
  };
}
export type SigningService = ReturnType<typeof signingService>;

/** jose (46 modules) is loaded at the first phone signing link, not at every start. */
let joseLoading: Promise<typeof import("jose")> | undefined;
const jose = () => (joseLoading ??= import("jose"));
