import { createHash, createHmac, randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Clock } from "../../ports/clock.ts";
import type { Db } from "../../ports/db.ts";
import {
  type ESignature,
  ESignatureError,
  type FlowStatus,
  type IdentityCheck,
  type IdentityStatus,
  type Seal,
  type SigningLink,
  type VerifyResult,
} from "../../ports/esignature.ts";
import type { Jobs } from "../../ports/jobs.ts";
import { randomToken, safeEqual } from "../../lib/random.ts";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, callbackSignature, parseMockCallback, type MockEventType } from "./callback.ts";
import { appendRecord, looksLikePdf, readRecord, sha256Hex, type SigningRecord } from "./document.ts";
import { type CheckRow, type FlowRow, type LinkRow, type SignerRow, mockStore } from "./store.ts";

/**
 * The mock e-signature provider: the ESignature port implemented like a vendor we do not run, with
 * its own secret, its own state (the `mock_esign_*` tables), its own hosted pages (routes.ts, under
 * /mock-esign/*) and signed callbacks to the platform over real HTTP, retried with back-off through
 * the Jobs port. Outside production only (src/compose.ts). docs/signing.md "The mock as built".
 */

/** The job that delivers a batch of callbacks (or retries one). */
export const DELIVER_JOB = "mock-esign-deliver";
/** Once a minute: expires what is due and re-sends callbacks a lost job left behind. */
export const TICK_JOB = "mock-esign-tick";
export const TICK_CRON = "* * * * *";
/** Back-off between delivery attempts after a non-2xx answer (or no answer): 6 attempts in all. */
export const RETRY_DELAYS_MS = [10_000, 30_000, 60_000, 300_000, 1_800_000] as const;
/** A signing link and an identity-check page are valid this long. */
export const LINK_MINUTES = 30;
export const CHECK_MINUTES = 30;
/** A flow may run at most this long (e签宝's limit). */
export const MAX_FLOW_DAYS = 90;
/** Upload limits of the hosted pages and of createSeal / createSignFlow. */
export const MAX_SELFIE_BYTES = 5 * 1024 * 1024;
export const MAX_SEAL_IMAGE_BYTES = 2 * 1024 * 1024;
export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;
/** How long a worker holds events it is sending before another may take them. */
const LEASE_MS = 60_000;
const POST_TIMEOUT_MS = 10_000;

export type MockDelivery = { duplicates: boolean; outOfOrder: boolean };

export type MockEsignOptions = {
  db: Db;
  clock: Clock;
  jobs: Jobs;
  log?: Logger;
  /** The mock's own secret: callback signatures, keyed hashes of ID numbers, page tokens. */
  secret: string;
  /** Where callbacks are posted (the platform's /callbacks/esign). */
  callbackUrl: string;
  /** Prefix of the hosted pages' URLs: "" (root-relative, this server) or an origin. */
  pageBase?: string;
  /** Tests shorten the back-off; the default is RETRY_DELAYS_MS. */
  retryDelaysMs?: readonly number[];
  /**
   * How a callback is posted: the global fetch (real HTTP) by default. A test of the platform may
   * pass the app's own `request` to deliver into an app that listens on no port.
   */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
};

/** What the hosted pages show and do (routes.ts renders these). */
export type IdentityView =
  | { kind: "missing" }
  | { kind: "expired"; returnUrl: string }
  | { kind: "done"; status: "passed" | "failed"; returnUrl: string }
  | { kind: "open"; partyName: string; bizRef: string; expiresAt: Date; formToken: string };
export type SigningView =
  | { kind: "missing" }
  | { kind: "expired"; returnUrl: string }
  | { kind: "closed"; message: string; returnUrl: string }
  | {
      kind: "open";
      title: string;
      sha256: string;
      flowId: string;
      partyName: string;
      legalName: string;
      facePassed: boolean;
      expiresAt: Date;
      formToken: string;
      myTurn: boolean;
    };
export type FaceInput = { formToken: string; outcome: string; name: string; idNumber: string; selfie?: { bytes: Uint8Array } };
export type PageAnswer =
  | { kind: "missing" }
  | { kind: "forbidden" }
  | { kind: "expired"; returnUrl: string }
  | { kind: "invalid"; errors: Record<string, string> }
  | { kind: "refused"; message: string }
  | { kind: "redirect"; to: string };

export interface MockESignature extends ESignature {
  readonly provider: "mock";
  /** The test switch: deliver every event twice, and/or swap the events made together (signer.signed / flow.completed). */
  setDelivery(d: Partial<MockDelivery>): void;
  /** The review step of an image seal (the vendor's staff): pending_review -> active, or rejected with a reason. */
  reviewSeal(sealId: string, decision: { approve: true } | { reject: string }): Promise<Seal>;
  /** Expires open flows and identity checks past their time (once each, with their event). */
  expireDue(): Promise<{ flows: number; checks: number }>;
  /** Sends due callbacks of one batch (or one event); what the delivery job runs. */
  deliver(key: { batchId?: string; eventId?: string }): Promise<void>;
  /** Sends every due callback left behind (a lost job, an engine that was not running). */
  deliverDue(): Promise<number>;
  /** Registers the delivery worker and the minute tick on the job engine (the composition root calls it). */
  startWorkers(): Promise<void>;
  /** The outbox as sent (tests and the review console). */
  events(filter?: {
    batchId?: string;
    eventId?: string;
  }): Promise<{ id: string; type: string; attempts: number; deliveries: number; delivered: boolean; gaveUp: boolean; body: string }[]>;
  readonly pages: {
    identity(token: string): Promise<IdentityView>;
    submitIdentity(token: string, input: FaceInput): Promise<PageAnswer>;
    signing(token: string): Promise<SigningView>;
    document(token: string): Promise<{ bytes: Uint8Array; title: string } | undefined>;
    face(token: string, input: FaceInput): Promise<PageAnswer>;
    confirm(token: string, formToken: string): Promise<PageAnswer>;
    refuse(token: string, formToken: string, reason: string): Promise<PageAnswer>;
    pendingSeals(): Promise<{ sealId: string; partyName: string; imageType: string; imageSha256: string; bizRef: string; createdAt: Date }[]>;
    consoleToken(): string;
  };
}

/** The mock behind an ESignature, when it is the mock (the hosted pages answer 404 otherwise). */
export function asMockEsign(e: ESignature | undefined): MockESignature | undefined {
  return e && e.provider === "mock" && "pages" in e ? (e as MockESignature) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Input rules (a vendor's own validation; the platform validates before it calls).

const CREDIT_CODE = /^[0-9A-HJ-NPQRTUWXY]{18}$/;
const ID_NUMBER = /^\d{17}[\dX]$/;
const normaliseId = (s: string) => s.trim().toUpperCase();
const normaliseName = (s: string) => s.normalize("NFKC").trim();
const maskId = (id: string) => `${id.slice(0, 3)}${"*".repeat(id.length - 7)}${id.slice(-4)}`;
const invalid = (message: string) => new ESignatureError("invalid", message);
const notFound = (message: string) => new ESignatureError("not_found", message);
const conflict = (message: string) => new ESignatureError("conflict", message);
const chars = (s: string) => [...s].length;

function text(v: unknown, max: number, message: string): string {
  if (typeof v !== "string") throw invalid(message);
  const t = v.trim();
  if (!t || chars(t) > max || /[\u0000-\u001f\u007f]/.test(t)) throw invalid(message);
  return t;
}

/** A return URL: http(s), or a path on this server (never `//host`). */
function returnUrl(v: unknown): string {
  if (typeof v !== "string" || v.length > 2000 || /[\u0000-\u001f\u007f\\\s]/.test(v)) throw invalid("返回地址不正确");
  if (v.startsWith("/") && !v.startsWith("//")) return v;
  try {
    const u = new URL(v);
    if (u.protocol === "http:" || u.protocol === "https:") return u.toString();
  } catch {
    // refused below
  }
  throw invalid("返回地址不正确");
}

const isPng = (b: Uint8Array) => b.length > 8 && [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((x, i) => b[i] === x);
const isJpeg = (b: Uint8Array) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
/** A photo as a phone camera sends it: JPEG, PNG, WebP or HEIC/HEIF, by its first bytes. */
const isPhoto = (b: Uint8Array) =>
  isJpeg(b) ||
  isPng(b) ||
  (b.length > 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP") ||
  (b.length > 12 && ascii(b, 4, 8) === "ftyp" && /^(heic|heix|hevc|heim|heis|mif1|msf1|avif)$/.test(ascii(b, 8, 12)));

/** The reason of a check nobody completed in time. */
const EXPIRED_CHECK = "认证链接已过期";
const newId = (prefix: string) => `${prefix}_${randomUUID().replace(/-/g, "")}`;
const tokenHash = (token: string) => createHash("sha256").update(token).digest("hex");
const PAGE_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function mockEsign(opts: MockEsignOptions): MockESignature {
  const { db, clock, jobs, log, secret } = opts;
  const pageBase = (opts.pageBase ?? "").replace(/\/+$/, "");
  const retryDelays = opts.retryDelaysMs ?? RETRY_DELAYS_MS;
  const send = opts.fetch ?? ((url: string, init: RequestInit) => fetch(url, init));
  const delivery: MockDelivery = { duplicates: false, outOfOrder: false };
  const now = () => clock.now();
  const keyed = (purpose: string, value: string) => createHmac("sha256", secret).update(`${purpose}:${value}`).digest("hex");
  const idHash = (id: string) => keyed("id-number", normaliseId(id));
  const formToken = (kind: string, hash: string) => createHmac("sha256", secret).update(`form:${kind}:${hash}`).digest("base64url");
  const formTokenOk = (kind: string, hash: string, sent: string) => typeof sent === "string" && safeEqual(sent, formToken(kind, hash));

  // Events -------------------------------------------------------------------------------------

  /** Records events made together (one batch) in the outbox and, once committed, queues their delivery. */
  async function emit(tx: Db, batch: { type: MockEventType; data: Record<string, string> }[], at: Date) {
    const batchId = newId("bat");
    for (const e of batch) {
      const id = newId("evt");
      const body = JSON.stringify({ eventId: id, type: e.type, occurredAt: at.toISOString(), data: e.data });
      await mockStore(tx).insertEvent(
        {
          id,
          batch_id: batchId,
          type: e.type,
          body,
          duplicate: delivery.duplicates,
          out_of_order: delivery.outOfOrder && batch.length > 1,
          next_attempt_at: at,
        },
        at,
      );
    }
    tx.afterCommit(() => queue({ batchId }));
  }

  async function queue(data: { batchId?: string; eventId?: string }, startAfter?: Date) {
    try {
      await jobs.send(DELIVER_JOB, data, startAfter ? { startAfter } : {});
    } catch (err) {
      // The engine is not running here (a CLI script, a test without jobs): the minute tick sends it later.
      log?.warn({ err: (err as Error).message, ...data }, "mock e-signature callback left for the next tick");
    }
  }

  async function post(body: string): Promise<{ ok: boolean; status: number | null; error: string }> {
    const timestamp = String(now().getTime());
    try {
      const res = await send(opts.callbackUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/json; charset=utf-8",
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: callbackSignature(secret, timestamp, body),
          "User-Agent": "mock-esign/1",
        },
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(POST_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      return { ok: res.status >= 200 && res.status < 300, status: res.status, error: res.status >= 300 ? `HTTP ${res.status}` : "" };
    } catch (err) {
      return { ok: false, status: null, error: (err as Error).message || "request failed" };
    }
  }

  async function deliver(key: { batchId?: string; eventId?: string }) {
    if (!key.batchId && !key.eventId) return;
    const at = now();
    const claimed = await mockStore(db).claimEvents(key, at, new Date(at.getTime() + LEASE_MS));
    if (!claimed.length) return;
    claimed.sort((a, b) => a.seq - b.seq);
    if (claimed.length > 1 && claimed.every((e) => e.out_of_order && e.attempts === 0)) claimed.reverse();
    for (const e of claimed) {
      const first = await post(e.body);
      if (first.ok) {
        let deliveries = 1;
        if (e.duplicate && e.deliveries === 0) {
          await post(e.body);
          deliveries = 2;
        }
        await mockStore(db).delivered(e.id, first.status!, deliveries, now());
        continue;
      }
      const delay = retryDelays[e.attempts];
      const next = delay === undefined ? null : new Date(now().getTime() + delay);
      await mockStore(db).failed(e.id, { status: first.status, error: first.error, nextAttemptAt: next }, now());
      if (next) await queue({ eventId: e.id }, next);
      else log?.warn({ eventId: e.id, type: e.type, attempts: e.attempts + 1 }, "mock e-signature callback given up");
    }
  }

  // Expiry -------------------------------------------------------------------------------------

  /** Ends an open flow past its time with flow.expired (once); true when this call expired it. */
  async function expireFlow(flowId: string): Promise<boolean> {
    return db.transaction(async (tx) => {
      const s = mockStore(tx);
      const flow = await s.flow(flowId, { lock: true });
      const at = now();
      if (flow?.status !== "open" || flow.expires_at > at) return false;
      if (!(await s.endFlow(flowId, "expired", at))) return false;
      await emit(tx, [{ type: "flow.expired", data: { flowId, bizRef: flow.biz_ref } }], at);
      return true;
    });
  }

  async function expireCheck(check: CheckRow): Promise<boolean> {
    return db.transaction(async (tx) => {
      const at = now();
      const decided = await mockStore(tx).decideCheck(check.id, { status: "failed", reason: EXPIRED_CHECK, selfieSha256: null, selfieBytes: null }, at);
      if (!decided) return false;
      await emit(tx, [{ type: "identity.failed", data: { checkId: check.id, bizRef: check.biz_ref, reason: EXPIRED_CHECK } }], at);
      return true;
    });
  }

  /** The flow as it is now: an open one past its time is expired first. */
  async function currentFlow(flowId: string): Promise<FlowRow | undefined> {
    const flow = await mockStore(db).flow(flowId);
    if (flow && flow.status === "open" && flow.expires_at <= now()) {
      await expireFlow(flowId);
      return mockStore(db).flow(flowId);
    }
    return flow;
  }

  async function currentCheck(check: CheckRow): Promise<CheckRow> {
    if (check.status === "pending" && check.expires_at <= now()) {
      await expireCheck(check);
      return (await mockStore(db).check(check.id)) ?? check;
    }
    return check;
  }

  // Signing ------------------------------------------------------------------------------------

  /** A signer may sign once every signer with a lower order has signed (same order: in parallel). */
  const myTurn = (signers: SignerRow[], me: SignerRow) => signers.every((s) => s.sign_order >= me.sign_order || s.status === "signed");

  const FLOW_CLOSED: Record<FlowRow["status"], string> = {
    open: "",
    completed: "本合同已签署完成。",
    refused: "本合同已被拒签，签署流程已结束。",
    revoked: "签署流程已撤销。",
    expired: "签署流程已过期。",
  };

  /** The live link of a page token: missing, expired, or the link. */
  async function liveLink(token: string): Promise<{ kind: "missing" } | { kind: "expired"; returnUrl: string } | { kind: "ok"; link: LinkRow }> {
    if (!PAGE_TOKEN.test(token)) return { kind: "missing" };
    const link = await mockStore(db).link(tokenHash(token));
    if (!link) return { kind: "missing" };
    if (link.expires_at <= now()) return { kind: "expired", returnUrl: link.return_url };
    return { kind: "ok", link };
  }

  /**
   * A signer's action on the signing page (确认签署, 拒签): the live link, the page's form token, then
   * in one transaction on the locked flow, the signer still waiting and its turn come; `act` does the
   * rest. Anything else answers the page's refusal.
   */
  async function signerAction(
    token: string,
    sent: string,
    act: (tx: Db, s: ReturnType<typeof mockStore>, flow: FlowRow, signers: SignerRow[], me: SignerRow, link: LinkRow) => Promise<PageAnswer>,
  ): Promise<PageAnswer> {
    const live = await liveLink(token);
    if (live.kind !== "ok") return live;
    const { link } = live;
    if (!formTokenOk("sign", link.token_hash, sent)) return { kind: "forbidden" };
    if (!(await currentFlow(link.flow_id))) return { kind: "missing" };
    return db.transaction(async (tx): Promise<PageAnswer> => {
      const s = mockStore(tx);
      const flow = (await s.flow(link.flow_id, { lock: true }))!;
      if (flow.status !== "open") return { kind: "refused", message: FLOW_CLOSED[flow.status] };
      const signers = await s.signers(flow.id);
      const me = signers.find((x) => x.party_id === link.party_id);
      if (me?.status !== "waiting") return { kind: "refused", message: "您已完成签署操作。" };
      if (!myTurn(signers, me)) return { kind: "refused", message: "尚未轮到您签署，请等待前一签署方完成签署。" };
      return act(tx, s, flow, signers, me, link);
    });
  }

  /** Checks the typed person and the selfie of a face step against the expected person. */
  function faceErrors(input: FaceInput, expected: { name: string; idHash: string }): Record<string, string> {
    const errors: Record<string, string> = {};
    const name = normaliseName(input.name ?? "");
    const id = normaliseId(input.idNumber ?? "");
    if (!name) errors.name = "请输入姓名";
    if (!id) errors.idNumber = "请输入身份证号";
    else if (!ID_NUMBER.test(id)) errors.idNumber = "身份证号格式不正确";
    if (!input.selfie || input.selfie.bytes.length === 0) errors.selfie = "请拍摄或上传本人照片";
    else if (input.selfie.bytes.length > MAX_SELFIE_BYTES) errors.selfie = "照片不能超过5MB";
    else if (!isPhoto(input.selfie.bytes)) errors.selfie = "请上传照片（JPG、PNG、WebP 或 HEIC 格式）";
    if (!errors.name && !errors.idNumber && (name !== normaliseName(expected.name) || idHash(id) !== expected.idHash)) {
      errors._form = "姓名或身份证号与认证信息不一致";
    }
    return errors;
  }

  const mock: MockESignature = {
    provider: "mock",

    async ensureParty(input) {
      if (input?.kind !== "org") throw invalid("仅支持企业签署方");
      const creditCode = text(input.creditCode, 18, "统一社会信用代码格式不正确").toUpperCase();
      if (!CREDIT_CODE.test(creditCode)) throw invalid("统一社会信用代码格式不正确");
      const name = text(input.name, 100, "企业名称不能为空");
      const legalName = normaliseName(text(input.legalName, 50, "法定代表人姓名不能为空"));
      const legalId = normaliseId(text(input.legalIdNumber, 18, "法定代表人身份证号格式不正确"));
      if (!ID_NUMBER.test(legalId)) throw invalid("法定代表人身份证号格式不正确");
      const partyId = await mockStore(db).upsertParty(
        {
          id: newId("org"),
          credit_code: creditCode,
          name,
          legal_name: legalName,
          legal_id_hash: idHash(legalId),
          legal_id_masked: maskId(legalId),
        },
        now(),
      );
      return { partyId };
    },

    async startIdentityCheck(input): Promise<IdentityCheck> {
      const party = await mockStore(db).party(String(input?.partyId ?? ""));
      if (!party) throw notFound("认证主体不存在");
      const name = normaliseName(text(input.person?.name, 50, "认证人姓名不能为空"));
      const id = normaliseId(text(input.person?.idNumber, 18, "认证人身份证号格式不正确"));
      if (!ID_NUMBER.test(id)) throw invalid("认证人身份证号格式不正确");
      const back = returnUrl(input.returnUrl);
      const bizRef = text(input.bizRef, 200, "业务编号不能为空");
      const token = randomToken(32);
      const at = now();
      const checkId = newId("chk");
      const expiresAt = new Date(at.getTime() + CHECK_MINUTES * 60_000);
      await mockStore(db).insertCheck({
        id: checkId,
        party_id: party.id,
        person_name: name,
        person_id_hash: idHash(id),
        person_id_masked: maskId(id),
        biz_ref: bizRef,
        return_url: back,
        token_hash: tokenHash(token),
        expires_at: expiresAt,
        created_at: at,
      });
      return { checkId, url: `${pageBase}/mock-esign/identity/${token}`, expiresAt };
    },

    async identityStatus(checkId): Promise<IdentityStatus> {
      const found = await mockStore(db).check(String(checkId));
      if (!found) throw notFound("认证记录不存在");
      const check = await currentCheck(found);
      return { checkId: check.id, status: check.status, ...(check.reason ? { reason: check.reason } : {}) };
    },

    async createSeal(input): Promise<Seal> {
      const party = await mockStore(db).party(String(input?.partyId ?? ""));
      if (!party) throw notFound("签章主体不存在");
      const bizRef = text(input.bizRef, 200, "业务编号不能为空");
      const at = now();
      if (input.from === "template") {
        const name = text(input.name, 100, "印章名称不能为空");
        const seal = await mockStore(db).insertSeal({
          id: newId("seal"),
          party_id: party.id,
          source: "template",
          name,
          image_type: null,
          image_sha256: null,
          biz_ref: bizRef,
          status: "active",
          created_at: at,
        });
        if (seal.source !== "template" || seal.name !== name) throw conflict("该业务编号已用于另一枚印章");
        return { sealId: seal.id, status: seal.status };
      }
      if (input.from !== "image") throw invalid("印章来源不正确");
      const bytes = input.bytes;
      if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw invalid("请上传印章图片");
      if (bytes.length > MAX_SEAL_IMAGE_BYTES) throw invalid("印章图片不能超过2MB");
      const type = input.contentType;
      if (!((type === "image/png" && isPng(bytes)) || (type === "image/jpeg" && isJpeg(bytes)))) throw invalid("印章图片须为 PNG 或 JPG 格式");
      const sha = sha256Hex(bytes);
      const seal = await mockStore(db).insertSeal({
        id: newId("seal"),
        party_id: party.id,
        source: "image",
        name: null,
        image_type: type,
        image_sha256: sha,
        biz_ref: bizRef,
        status: "pending_review",
        created_at: at,
      });
      if (seal.source !== "image" || seal.image_sha256 !== sha) throw conflict("该业务编号已用于另一枚印章");
      return { sealId: seal.id, status: seal.status };
    },

    async sealStatus(sealId): Promise<Seal> {
      const seal = await mockStore(db).seal(String(sealId));
      if (!seal) throw notFound("印章不存在");
      return { sealId: seal.id, status: seal.status };
    },

    async createSignFlow(input) {
      const title = text(input?.title, 200, "合同标题不能为空");
      const document = input.document;
      if (!(document instanceof Uint8Array) || !looksLikePdf(document)) throw invalid("签署文件须为 PDF");
      if (document.length > MAX_DOCUMENT_BYTES) throw invalid("签署文件不能超过20MB");
      const sha256 = typeof input.sha256 === "string" ? input.sha256.toLowerCase() : "";
      if (!/^[0-9a-f]{64}$/.test(sha256) || sha256Hex(document) !== sha256) throw invalid("文件摘要（SHA-256）与文件内容不一致");
      const bizRef = text(input.bizRef, 200, "业务编号不能为空");
      const at = now();
      const expiresAt = input.expiresAt instanceof Date ? input.expiresAt : new Date(Number.NaN);
      if (Number.isNaN(expiresAt.getTime()) || expiresAt <= at) throw invalid("签署截止时间须晚于当前时间");
      if (expiresAt.getTime() > at.getTime() + MAX_FLOW_DAYS * 86_400_000) throw invalid(`签署截止时间不能超过${MAX_FLOW_DAYS}天`);
      const signers = Array.isArray(input.signers) ? input.signers : [];
      if (signers.length < 1 || signers.length > 10) throw invalid("签署方须为1至10个");
      if (new Set(signers.map((s) => s.partyId)).size !== signers.length) throw invalid("签署方不能重复");
      for (const s of signers) {
        if (!Number.isInteger(s.order) || s.order < 1 || s.order > 50) throw invalid("签署顺序不正确");
        const f = s.field;
        if (!f || !Number.isInteger(f.page) || f.page < 1 || !Number.isFinite(f.x) || !Number.isFinite(f.y) || f.x < 0 || f.y < 0) {
          throw invalid("签署位置不正确");
        }
      }
      return db.transaction(async (tx) => {
        const s = mockStore(tx);
        const same = async () => {
          const existing = await s.flowByBizRef(bizRef);
          if (!existing) return undefined;
          if (existing.document_sha256 !== sha256) throw conflict("该业务编号已用于另一份文件的签署流程");
          return { flowId: existing.id };
        };
        const before = await same();
        if (before) return before;
        for (const signer of signers) {
          const party = await s.party(String(signer.partyId));
          if (!party) throw notFound("签署方不存在");
          const seal = await s.seal(String(signer.sealId));
          if (!seal || seal.party_id !== party.id) throw invalid("印章不属于该签署方");
          if (seal.status !== "active") throw conflict("签署方的印章尚未生效");
        }
        const flowId = newId("flow");
        if (!(await s.insertFlow({ id: flowId, biz_ref: bizRef, title, document, document_sha256: sha256, expires_at: expiresAt, created_at: at }))) {
          return (await same())!;
        }
        for (const signer of signers) {
          await s.insertSigner({
            flow_id: flowId,
            party_id: signer.partyId,
            seal_id: signer.sealId,
            sign_order: signer.order,
            field: { page: signer.field.page, x: signer.field.x, y: signer.field.y },
          });
        }
        return { flowId };
      });
    },

    async signingLink(input): Promise<SigningLink> {
      const flow = await currentFlow(String(input?.flowId ?? ""));
      if (!flow) throw notFound("签署流程不存在");
      if (flow.status !== "open") throw conflict(FLOW_CLOSED[flow.status]);
      const signers = await mockStore(db).signers(flow.id);
      const me = signers.find((s) => s.party_id === input.partyId);
      if (!me) throw notFound("该签署方不在此签署流程中");
      if (me.status !== "waiting") throw conflict("该签署方已完成签署操作");
      if (!myTurn(signers, me)) throw conflict("尚未轮到该签署方签署");
      const back = returnUrl(input.returnUrl);
      const token = randomToken(32);
      const at = now();
      const expiresAt = new Date(Math.min(at.getTime() + LINK_MINUTES * 60_000, flow.expires_at.getTime()));
      await mockStore(db).insertLink({
        token_hash: tokenHash(token),
        flow_id: flow.id,
        party_id: me.party_id,
        return_url: back,
        expires_at: expiresAt,
        created_at: at,
      });
      return { url: `${pageBase}/mock-esign/sign/${token}`, expiresAt };
    },

    async flowStatus(flowId): Promise<FlowStatus> {
      const flow = await currentFlow(String(flowId));
      if (!flow) throw notFound("签署流程不存在");
      const signers = await mockStore(db).signers(flow.id);
      return {
        flowId: flow.id,
        bizRef: flow.biz_ref,
        status: flow.status,
        signers: signers.map((s) => ({
          partyId: s.party_id,
          order: s.sign_order,
          status: s.status,
          ...(s.signed_at ? { at: s.signed_at } : {}),
          ...(s.reason ? { reason: s.reason } : {}),
        })),
      };
    },

    async revoke(input) {
      const reason = text(input?.reason, 200, "请填写撤销原因");
      const flow = await currentFlow(String(input.flowId ?? ""));
      if (!flow) throw notFound("签署流程不存在");
      if (flow.status === "completed") throw conflict("签署已完成的流程不能撤销");
      if (flow.status !== "open") return; // already ended (refused, revoked, expired): nothing more to end
      await db.transaction(async (tx) => {
        const at = now();
        if (!(await mockStore(tx).endFlow(flow.id, "revoked", at, { revokeReason: reason }))) return;
        await emit(tx, [{ type: "flow.revoked", data: { flowId: flow.id, bizRef: flow.biz_ref } }], at);
      });
      const after = await mockStore(db).flow(flow.id);
      if (after?.status === "completed") throw conflict("签署已完成的流程不能撤销");
    },

    async download(flowId) {
      const flow = await currentFlow(String(flowId));
      if (!flow) throw notFound("签署流程不存在");
      if (flow.status !== "completed" || !flow.signed_sha256) throw conflict("签署流程未完成，不能下载已签署文件");
      const bytes = await mockStore(db).document(flow.id, "signed");
      if (!bytes) throw conflict("签署流程未完成，不能下载已签署文件");
      return { bytes, sha256: flow.signed_sha256 };
    },

    async verify(bytes): Promise<VerifyResult> {
      if (!(bytes instanceof Uint8Array) || bytes.length === 0) return { known: false };
      const sha256 = sha256Hex(bytes);
      let flow = await mockStore(db).flowBySignedSha256(sha256);
      let intact = true;
      if (!flow) {
        const record = readRecord(bytes);
        const named = record && (await mockStore(db).flow(record.flowId));
        if (named?.status !== "completed" || !named.signed_sha256) return { known: false };
        flow = named;
        intact = false;
      }
      const signers = await mockStore(db).signers(flow.id);
      return {
        known: true,
        intact,
        flowId: flow.id,
        bizRef: flow.biz_ref,
        sha256: flow.signed_sha256!,
        signers: signers.map((s) => ({ partyId: s.party_id, name: s.party_name, at: s.signed_at! })),
      };
    },

    async parseCallback(req) {
      try {
        return parseMockCallback(secret, req);
      } catch {
        return { ok: false, reason: "malformed", ack: { status: 400, contentType: "application/json", body: '{"code":400,"message":"malformed"}' } };
      }
    },

    // Test and vendor-console controls -----------------------------------------------------------

    setDelivery(d) {
      if (d.duplicates !== undefined) delivery.duplicates = d.duplicates;
      if (d.outOfOrder !== undefined) delivery.outOfOrder = d.outOfOrder;
    },

    async reviewSeal(sealId, decision) {
      const reason = "reject" in decision ? text(decision.reject, 200, "请填写驳回原因") : null;
      return db.transaction(async (tx) => {
        const s = mockStore(tx);
        const seal = await s.seal(String(sealId));
        if (!seal) throw notFound("印章不存在");
        const at = now();
        const decided = await s.decideSeal(seal.id, reason === null ? "active" : "rejected", reason, at);
        if (!decided) throw conflict("该印章不在待审核状态");
        await emit(
          tx,
          [
            reason === null
              ? { type: "seal.active", data: { sealId: seal.id, bizRef: seal.biz_ref } }
              : { type: "seal.rejected", data: { sealId: seal.id, bizRef: seal.biz_ref, reason } },
          ],
          at,
        );
        return { sealId: decided.id, status: decided.status };
      });
    },

    async expireDue() {
      let flows = 0;
      let checks = 0;
      for (const id of await mockStore(db).expiredFlowIds(now(), 500)) if (await expireFlow(id)) flows++;
      for (const id of await mockStore(db).expiredCheckIds(now(), 500)) {
        const check = await mockStore(db).check(id);
        if (check && (await expireCheck(check))) checks++;
      }
      return { flows, checks };
    },

    deliver,

    async deliverDue() {
      const batches = await mockStore(db).dueBatches(now(), 100);
      for (const batchId of batches) await deliver({ batchId });
      return batches.length;
    },

    async startWorkers() {
      await jobs.work(DELIVER_JOB, async (job) => {
        const d = job.data as { batchId?: unknown; eventId?: unknown };
        await deliver({
          batchId: typeof d.batchId === "string" ? d.batchId : undefined,
          eventId: typeof d.eventId === "string" ? d.eventId : undefined,
        });
      });
      await jobs.work(TICK_JOB, async () => {
        const expired = await mock.expireDue();
        const resent = await mock.deliverDue();
        if (expired.flows || expired.checks || resent) log?.info({ ...expired, resent }, "mock e-signature tick");
      });
      await jobs.schedule(TICK_JOB, TICK_CRON);
    },

    async events(filter = {}) {
      return (await mockStore(db).events(filter)).map((e) => ({
        id: e.id,
        type: e.type,
        attempts: e.attempts,
        deliveries: e.deliveries,
        delivered: e.delivered_at !== null,
        gaveUp: e.given_up_at !== null,
        body: e.body,
      }));
    },

    // Hosted pages -------------------------------------------------------------------------------

    pages: {
      async identity(token) {
        if (!PAGE_TOKEN.test(token)) return { kind: "missing" };
        const hash = tokenHash(token);
        const found = await mockStore(db).checkByToken(hash);
        if (!found) return { kind: "missing" };
        const check = await currentCheck(found);
        if (check.status !== "pending") {
          return check.reason === EXPIRED_CHECK
            ? { kind: "expired", returnUrl: check.return_url }
            : { kind: "done", status: check.status, returnUrl: check.return_url };
        }
        const party = await mockStore(db).party(check.party_id);
        return { kind: "open", partyName: party?.name ?? "", bizRef: check.biz_ref, expiresAt: check.expires_at, formToken: formToken("identity", hash) };
      },

      async submitIdentity(token, input) {
        if (!PAGE_TOKEN.test(token)) return { kind: "missing" };
        const hash = tokenHash(token);
        const found = await mockStore(db).checkByToken(hash);
        if (!found) return { kind: "missing" };
        if (!formTokenOk("identity", hash, input.formToken)) return { kind: "forbidden" };
        const check = await currentCheck(found);
        if (check.status !== "pending") {
          return check.reason === EXPIRED_CHECK ? { kind: "expired", returnUrl: check.return_url } : { kind: "redirect", to: check.return_url };
        }
        let decision: { status: "passed" | "failed"; reason: string | null };
        let selfie: Uint8Array | undefined;
        if (input.outcome === "passed") {
          const errors = faceErrors(input, { name: check.person_name, idHash: check.person_id_hash });
          if (Object.keys(errors).length) return { kind: "invalid", errors };
          selfie = input.selfie!.bytes;
          decision = { status: "passed", reason: null };
        } else if (input.outcome === "failed") {
          selfie = input.selfie?.bytes.length ? input.selfie.bytes : undefined;
          decision = { status: "failed", reason: "人脸比对未通过" };
        } else {
          return { kind: "invalid", errors: { _form: "请选择认证结果" } };
        }
        await db.transaction(async (tx) => {
          const at = now();
          const decided = await mockStore(tx).decideCheck(
            check.id,
            { ...decision, selfieSha256: selfie ? sha256Hex(selfie) : null, selfieBytes: selfie?.length ?? null },
            at,
          );
          if (!decided) return;
          await emit(
            tx,
            [
              decision.status === "passed"
                ? { type: "identity.passed", data: { checkId: check.id, bizRef: check.biz_ref } }
                : { type: "identity.failed", data: { checkId: check.id, bizRef: check.biz_ref, reason: decision.reason! } },
            ],
            at,
          );
        });
        return { kind: "redirect", to: check.return_url };
      },

      async signing(token) {
        const live = await liveLink(token);
        if (live.kind !== "ok") return live;
        const { link } = live;
        const flow = await currentFlow(link.flow_id);
        if (!flow) return { kind: "missing" };
        if (flow.status !== "open") return { kind: "closed", message: FLOW_CLOSED[flow.status], returnUrl: link.return_url };
        const signers = await mockStore(db).signers(flow.id);
        const me = signers.find((s) => s.party_id === link.party_id);
        if (!me) return { kind: "missing" };
        if (me.status !== "waiting") return { kind: "closed", message: "您已完成签署操作。", returnUrl: link.return_url };
        return {
          kind: "open",
          title: flow.title,
          sha256: flow.document_sha256,
          flowId: flow.id,
          partyName: me.party_name,
          legalName: me.legal_name,
          facePassed: link.face_passed_at !== null,
          expiresAt: link.expires_at,
          formToken: formToken("sign", link.token_hash),
          myTurn: myTurn(signers, me),
        };
      },

      async document(token) {
        const live = await liveLink(token);
        if (live.kind !== "ok") return undefined;
        const flow = await mockStore(db).flow(live.link.flow_id);
        const bytes = flow && (await mockStore(db).document(flow.id, "original"));
        return flow && bytes ? { bytes, title: flow.title } : undefined;
      },

      async face(token, input) {
        const live = await liveLink(token);
        if (live.kind !== "ok") return live;
        const { link } = live;
        if (!formTokenOk("sign", link.token_hash, input.formToken)) return { kind: "forbidden" };
        const flow = await currentFlow(link.flow_id);
        if (flow?.status !== "open") return { kind: "refused", message: flow ? FLOW_CLOSED[flow.status] : "签署流程不存在" };
        const me = (await mockStore(db).signers(flow.id)).find((s) => s.party_id === link.party_id);
        if (me?.status !== "waiting") return { kind: "refused", message: "您已完成签署操作。" };
        if (input.outcome === "failed") return { kind: "refused", message: "人脸认证未通过，请重新认证。" };
        if (input.outcome !== "passed") return { kind: "invalid", errors: { _form: "请选择认证结果" } };
        const errors = faceErrors(input, { name: me.legal_name, idHash: me.legal_id_hash });
        if (Object.keys(errors).length) return { kind: "invalid", errors };
        await mockStore(db).facePassed(link.token_hash, now());
        return { kind: "redirect", to: `${pageBase}/mock-esign/sign/${token}` };
      },

      async confirm(token, sent) {
        return signerAction(token, sent, async (tx, s, flow, signers, me, link) => {
          if (!(await s.link(link.token_hash))?.face_passed_at) return { kind: "refused", message: "请先完成人脸认证，再确认签署。" };
          const at = now();
          await s.signerSigned(flow.id, me.party_id, at);
          const events: { type: MockEventType; data: Record<string, string> }[] = [
            { type: "signer.signed", data: { flowId: flow.id, bizRef: flow.biz_ref, partyId: me.party_id } },
          ];
          const after = signers.map((x) => (x.party_id === me.party_id ? { ...x, status: "signed" as const, signed_at: at } : x));
          if (after.every((x) => x.status === "signed")) {
            const record: SigningRecord = {
              flowId: flow.id,
              bizRef: flow.biz_ref,
              originalSha256: flow.document_sha256,
              completedAt: at.toISOString(),
              signers: after.map((x) => ({ partyId: x.party_id, name: x.party_name, at: x.signed_at!.toISOString() })),
            };
            const signed = appendRecord((await s.document(flow.id, "original"))!, record);
            await s.endFlow(flow.id, "completed", at, { signed: { bytes: signed, sha256: sha256Hex(signed) } });
            events.push({ type: "flow.completed", data: { flowId: flow.id, bizRef: flow.biz_ref } });
          }
          await emit(tx, events, at);
          return { kind: "redirect", to: link.return_url };
        });
      },

      async refuse(token, sent, reason) {
        const why = (reason ?? "").replace(/\r\n?/g, "\n").trim();
        return signerAction(token, sent, async (tx, s, flow, _signers, me, link) => {
          if (!why) return { kind: "invalid", errors: { reason: "请填写拒签原因" } };
          if (chars(why) > 200) return { kind: "invalid", errors: { reason: "拒签原因不能超过200个字" } };
          const at = now();
          await s.signerRefused(flow.id, me.party_id, why, at);
          await s.endFlow(flow.id, "refused", at);
          await emit(tx, [{ type: "signer.refused", data: { flowId: flow.id, bizRef: flow.biz_ref, partyId: me.party_id, reason: why } }], at);
          return { kind: "redirect", to: link.return_url };
        });
      },

      async pendingSeals() {
        return (await mockStore(db).pendingSeals(100)).map((s) => ({
          sealId: s.id,
          partyName: s.party_name,
          imageType: s.image_type ?? "",
          imageSha256: s.image_sha256 ?? "",
          bizRef: s.biz_ref,
          createdAt: s.created_at,
        }));
      },

      consoleToken: () => formToken("console", "review"),
    },
  };
  return mock;
}
