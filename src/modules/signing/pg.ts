import type { Db } from "../../ports/db.ts";
import { camelRow, pgArray } from "../../lib/rows.ts";
import type { ClaimedEvent, FlowRow, InboxRequest, NewFlow, NewSeal, Party, SealRow, SignerRow, SigningRepository } from "./ports.ts";

const SEAL_COLUMNS = `id, enterprise_id, provider, external_party_id, external_seal_id, identity_check_id, source, status, failure_reason, name,
  image_file_id, created_at, activated_at, disabled_at`;
const FLOW_COLUMNS = `id, order_id, contract_version, provider, external_flow_id, document_file_id, document_sha256, status, signed_file_id,
  signed_sha256, vendor_file_id, vendor_sha256, expires_at, created_at, ended_at`;
const SIGNER_COLUMNS = "flow_id, party, enterprise_id, seal_id, sign_order, status, signed_at, refuse_reason";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const lock = (forUpdate: boolean) => (forUpdate ? " for update" : "");

/** Bytes travel as base64 text (decode/encode in SQL), the same on postgres.js and PGlite. */
const toBase64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");

export function pgSigning(db: Db): SigningRepository {
  const seal = async (sql: string, params: unknown[]) => {
    const [r] = await db.query(sql, params);
    return r && camelRow<SealRow>(r);
  };
  const flow = async (sql: string, params: unknown[]) => {
    const [r] = await db.query(sql, params);
    return r && camelRow<FlowRow>(r);
  };

  return {
    async insertSeal(s: NewSeal): Promise<SealRow> {
      const [r] = await db.query(
        `insert into seals (enterprise_id, provider, external_party_id, identity_check_id, source, name, image_file_id, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning ${SEAL_COLUMNS}`,
        [s.enterpriseId, s.provider, s.externalPartyId, s.identityCheckId, s.source, s.name, s.imageFileId, s.at],
      );
      return camelRow<SealRow>(r!);
    },
    async sealById(id, forUpdate = false) {
      if (!UUID.test(id)) return undefined;
      return seal(`select ${SEAL_COLUMNS} from seals where id = $1${lock(forUpdate)}`, [id]);
    },
    async sealByCheck(provider, checkId, forUpdate = false) {
      return seal(`select ${SEAL_COLUMNS} from seals where provider = $1 and identity_check_id = $2${lock(forUpdate)}`, [provider, checkId]);
    },
    async activeSeal(enterpriseId) {
      return seal(`select ${SEAL_COLUMNS} from seals where enterprise_id = $1 and status = 'active'`, [enterpriseId]);
    },
    async makingSeal(enterpriseId) {
      return seal(`select ${SEAL_COLUMNS} from seals where enterprise_id = $1 and status = 'making'`, [enterpriseId]);
    },
    async seals(enterpriseId) {
      const rows = await db.query(`select ${SEAL_COLUMNS} from seals where enterprise_id = $1 order by created_at desc, id desc limit 50`, [enterpriseId]);
      return rows.map((r) => camelRow<SealRow>(r));
    },
    async activateSeal(id, externalSealId, at) {
      const [s] = await db.query<{ enterprise_id: string }>("select enterprise_id from seals where id = $1 and status = 'making' for update", [id]);
      if (!s) return false;
      await db.query("update seals set status = 'disabled', disabled_at = $2 where enterprise_id = $1 and status = 'active'", [s.enterprise_id, at]);
      await db.query("update seals set status = 'active', external_seal_id = $2, activated_at = $3 where id = $1", [id, externalSealId, at]);
      return true;
    },
    async failSeal(id, reason) {
      const rows = await db.query("update seals set status = 'failed', failure_reason = $2 where id = $1 and status = 'making' returning id", [
        id,
        reason,
      ]);
      return rows.length === 1;
    },

    async insertFlow(f: NewFlow): Promise<FlowRow> {
      const [r] = await db.query(
        `insert into sign_flows (order_id, contract_version, provider, document_file_id, document_sha256, expires_at, created_at)
         values ($1, $2, $3, $4, $5, $6, $7) returning ${FLOW_COLUMNS}`,
        [f.orderId, f.contractVersion, f.provider, f.documentFileId, f.documentSha256, f.expiresAt, f.at],
      );
      const row = camelRow<FlowRow>(r!);
      for (const s of f.signers) {
        await db.query("insert into sign_flow_signers (flow_id, party, enterprise_id, seal_id, sign_order) values ($1, $2, $3, $4, $5)", [
          row.id,
          s.party,
          s.enterpriseId,
          s.sealId,
          s.signOrder,
        ]);
      }
      return row;
    },
    async setExternalFlowId(id, externalFlowId) {
      await db.query("update sign_flows set external_flow_id = $2 where id = $1", [id, externalFlowId]);
    },
    async flowById(id, forUpdate = false) {
      if (!UUID.test(id)) return undefined;
      return flow(`select ${FLOW_COLUMNS} from sign_flows where id = $1${lock(forUpdate)}`, [id]);
    },
    async flowByExternal(provider, externalFlowId, forUpdate = false) {
      return flow(`select ${FLOW_COLUMNS} from sign_flows where provider = $1 and external_flow_id = $2${lock(forUpdate)}`, [provider, externalFlowId]);
    },
    async openFlow(orderId) {
      if (!UUID.test(orderId)) return undefined;
      return flow(`select ${FLOW_COLUMNS} from sign_flows where order_id = $1 and status = 'open'`, [orderId]);
    },
    async flowsOfOrder(orderId) {
      if (!UUID.test(orderId)) return [];
      const rows = await db.query(`select ${FLOW_COLUMNS} from sign_flows where order_id = $1 order by created_at, id`, [orderId]);
      return rows.map((r) => camelRow<FlowRow>(r));
    },
    async signers(flowId) {
      const rows = await db.query(`select ${SIGNER_COLUMNS} from sign_flow_signers where flow_id = $1 order by sign_order, party`, [flowId]);
      return rows.map((r) => camelRow<SignerRow>(r));
    },
    async signerSigned(flowId, party: Party, at) {
      const rows = await db.query(
        "update sign_flow_signers set status = 'signed', signed_at = $3 where flow_id = $1 and party = $2 and status = 'waiting' returning party",
        [flowId, party, at],
      );
      return rows.length === 1;
    },
    async signerRefused(flowId, party: Party, reason) {
      const rows = await db.query(
        "update sign_flow_signers set status = 'refused', refuse_reason = $3 where flow_id = $1 and party = $2 and status = 'waiting' returning party",
        [flowId, party, reason],
      );
      return rows.length === 1;
    },
    async endFlow(id, status, at, signed) {
      const rows = await db.query(
        `update sign_flows set status = $2, ended_at = $3, signed_file_id = $4, signed_sha256 = $5, vendor_file_id = $6, vendor_sha256 = $7
         where id = $1 and status = 'open' returning id`,
        [id, status, at, signed?.fileId ?? null, signed?.sha256 ?? null, signed?.vendor.fileId ?? null, signed?.vendor.sha256 ?? null],
      );
      return rows.length === 1;
    },
    async completedFlowsBySha256(sha256) {
      if (!/^[0-9a-f]{64}$/.test(sha256)) return [];
      const rows = await db.query(
        `select ${FLOW_COLUMNS} from sign_flows where status = 'completed' and (signed_sha256 = $1 or vendor_sha256 = $1 or document_sha256 = $1)
         order by ended_at desc, id limit 10`,
        [sha256],
      );
      return rows.map((r) => camelRow<FlowRow>(r));
    },
    async openFlowsBefore(cutoff, limit) {
      const rows = await db.query(`select ${FLOW_COLUMNS} from sign_flows where status = 'open' and created_at < $1 order by created_at, id limit $2`, [
        cutoff,
        limit,
      ]);
      return rows.map((r) => camelRow<FlowRow>(r));
    },

    async storeRequest(r: InboxRequest): Promise<number> {
      const [row] = await db.query<{ id: number }>(
        "insert into callback_inbox (provider, received_at, headers, raw_body) values ($1, $2, $3::text::jsonb, decode($4, 'base64')) returning id",
        [r.provider, r.receivedAt, JSON.stringify(r.headers), toBase64(r.rawBody)],
      );
      return Number(row!.id);
    },
    async markRequest(id, v) {
      await db.query("update callback_inbox set verified = $2, refusal = $3, events = $4, processed_at = $5 where id = $1", [
        id,
        v.verified,
        v.refusal ?? null,
        v.events,
        v.at,
      ]);
    },
    async claimEvent(e) {
      const rows = await db.query(
        `insert into callback_events (provider, event_id, inbox_id, event_type, handled_at, outcome, ref) values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (provider, event_id) do nothing returning event_id`,
        [e.provider, e.eventId, e.inboxId, e.eventType, e.at, e.outcome, e.ref?.slice(0, 64) || null],
      );
      return rows.length === 1;
    },
    async claimedEvents(provider, q) {
      const rows = await db.query(
        `select event_id, ref, inbox_id, event_type, outcome, handled_at from callback_events
         where provider = $1 and (ref = any($2::text[]) or (handled_at >= $3 and handled_at < $4)) order by handled_at, event_id`,
        [provider, pgArray(q.refs), q.from, q.to],
      );
      return rows.map((r) => {
        const e = camelRow<ClaimedEvent>(r);
        return { ...e, inboxId: e.inboxId === null ? null : Number(e.inboxId) };
      });
    },
    async inboxRow(id) {
      const [r] = await db.query<{ id: number; verified: boolean | null; refusal: string | null; events: number | null; raw: string }>(
        "select id, verified, refusal, events, encode(raw_body, 'base64') as raw from callback_inbox where id = $1",
        [id],
      );
      if (!r) return undefined;
      return { id: Number(r.id), verified: r.verified, refusal: r.refusal, events: r.events, rawBody: new Uint8Array(Buffer.from(r.raw, "base64")) };
    },
  };
}
