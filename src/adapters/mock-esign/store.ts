import type { Db } from "../../ports/db.ts";

/**
 * The mock provider's own tables (migration 0019, `mock_esign_*`): its parties, identity checks,
 * seals, flows, signers, signing links and the callback outbox. Only this adapter reads or writes
 * them (tests/unit/architecture.test.ts). Documents travel as base64 text, the same on postgres.js
 * and PGlite.
 */

export type PartyRow = {
  id: string;
  credit_code: string;
  name: string;
  legal_name: string;
  legal_id_hash: string;
  legal_id_masked: string;
};
export type CheckRow = {
  id: string;
  party_id: string;
  person_name: string;
  person_id_hash: string;
  person_id_masked: string;
  biz_ref: string;
  return_url: string;
  status: "pending" | "passed" | "failed";
  reason: string | null;
  expires_at: Date;
  created_at: Date;
  decided_at: Date | null;
};
export type SealRow = {
  id: string;
  party_id: string;
  source: "template" | "image";
  name: string | null;
  image_type: string | null;
  image_sha256: string | null;
  biz_ref: string;
  status: "pending_review" | "active" | "rejected" | "disabled";
  reason: string | null;
  created_at: Date;
};
export type FlowRow = {
  id: string;
  biz_ref: string;
  title: string;
  document_sha256: string;
  status: "open" | "completed" | "refused" | "revoked" | "expired";
  expires_at: Date;
  created_at: Date;
  ended_at: Date | null;
  signed_sha256: string | null;
};
export type SignerRow = {
  flow_id: string;
  party_id: string;
  seal_id: string;
  sign_order: number;
  field: { page: number; x: number; y: number };
  status: "waiting" | "signed" | "refused";
  signed_at: Date | null;
  reason: string | null;
  party_name: string;
  legal_name: string;
  legal_id_hash: string;
  legal_id_masked: string;
};
export type LinkRow = {
  token_hash: string;
  flow_id: string;
  party_id: string;
  return_url: string;
  expires_at: Date;
  face_passed_at: Date | null;
};
export type EventRow = {
  id: string;
  seq: number;
  batch_id: string;
  type: string;
  body: string;
  duplicate: boolean;
  out_of_order: boolean;
  attempts: number;
  deliveries: number;
  next_attempt_at: Date;
  delivered_at: Date | null;
  given_up_at: Date | null;
  last_status: number | null;
};

const FLOW = "id, biz_ref, title, document_sha256, status, expires_at, created_at, ended_at, signed_sha256";
const CHECK = "id, party_id, person_name, person_id_hash, person_id_masked, biz_ref, return_url, status, reason, expires_at, created_at, decided_at";
const SEAL = "id, party_id, source, name, image_type, image_sha256, biz_ref, status, reason, created_at";
const EVENT = "id, seq, batch_id, type, body, duplicate, out_of_order, attempts, deliveries, next_attempt_at, delivered_at, given_up_at, last_status";

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

export function mockStore(db: Db) {
  return {
    // Parties ------------------------------------------------------------------------------------
    /** Creates the party of a credit code, or updates its registered details: one id per credit code. */
    async upsertParty(p: Omit<PartyRow, "id"> & { id: string }, at: Date): Promise<string> {
      const [row] = await db.query<{ id: string }>(
        `insert into mock_esign_parties (id, credit_code, name, legal_name, legal_id_hash, legal_id_masked, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $7)
         on conflict (credit_code) do update set name = excluded.name, legal_name = excluded.legal_name,
           legal_id_hash = excluded.legal_id_hash, legal_id_masked = excluded.legal_id_masked, updated_at = excluded.updated_at
         returning id`,
        [p.id, p.credit_code, p.name, p.legal_name, p.legal_id_hash, p.legal_id_masked, at],
      );
      return row!.id;
    },
    async party(id: string): Promise<PartyRow | undefined> {
      const [row] = await db.query<PartyRow>(
        "select id, credit_code, name, legal_name, legal_id_hash, legal_id_masked from mock_esign_parties where id = $1",
        [id],
      );
      return row;
    },

    // Identity checks ----------------------------------------------------------------------------
    async insertCheck(c: Omit<CheckRow, "status" | "reason" | "decided_at"> & { token_hash: string }): Promise<void> {
      await db.query(
        `insert into mock_esign_checks (id, party_id, person_name, person_id_hash, person_id_masked, biz_ref, return_url, token_hash, status, expires_at, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10)`,
        [c.id, c.party_id, c.person_name, c.person_id_hash, c.person_id_masked, c.biz_ref, c.return_url, c.token_hash, c.expires_at, c.created_at],
      );
    },
    async check(id: string): Promise<CheckRow | undefined> {
      const [row] = await db.query<CheckRow>(`select ${CHECK} from mock_esign_checks where id = $1`, [id]);
      return row;
    },
    async checkByToken(tokenHash: string): Promise<CheckRow | undefined> {
      const [row] = await db.query<CheckRow>(`select ${CHECK} from mock_esign_checks where token_hash = $1`, [tokenHash]);
      return row;
    },
    /** Decides a pending check (once: a decided one is left as it is); the row when this call decided it. */
    async decideCheck(
      id: string,
      d: { status: "passed" | "failed"; reason: string | null; selfieSha256: string | null; selfieBytes: number | null },
      at: Date,
    ): Promise<CheckRow | undefined> {
      const [row] = await db.query<CheckRow>(
        `update mock_esign_checks set status = $2, reason = $3, selfie_sha256 = $4, selfie_bytes = $5, decided_at = $6
         where id = $1 and status = 'pending' returning ${CHECK}`,
        [id, d.status, d.reason, d.selfieSha256, d.selfieBytes, at],
      );
      return row;
    },
    async expiredCheckIds(at: Date, limit: number): Promise<string[]> {
      const rows = await db.query<{ id: string }>(
        "select id from mock_esign_checks where status = 'pending' and expires_at <= $1 order by expires_at limit $2",
        [at, limit],
      );
      return rows.map((r) => r.id);
    },

    // Seals --------------------------------------------------------------------------------------
    /** Inserts a seal unless the party already has one with this bizRef; the seal either way. */
    async insertSeal(s: Omit<SealRow, "reason">): Promise<SealRow> {
      await db.query(
        `insert into mock_esign_seals (id, party_id, source, name, image_type, image_sha256, biz_ref, status, created_at, decided_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, case when $8 = 'active' then $9::timestamptz end)
         on conflict on constraint mock_esign_seals_biz_ref_key do nothing`,
        [s.id, s.party_id, s.source, s.name, s.image_type, s.image_sha256, s.biz_ref, s.status, s.created_at],
      );
      const [row] = await db.query<SealRow>(`select ${SEAL} from mock_esign_seals where party_id = $1 and biz_ref = $2`, [s.party_id, s.biz_ref]);
      return row!;
    },
    async seal(id: string): Promise<SealRow | undefined> {
      const [row] = await db.query<SealRow>(`select ${SEAL} from mock_esign_seals where id = $1`, [id]);
      return row;
    },
    async pendingSeals(limit: number): Promise<(SealRow & { party_name: string })[]> {
      return db.query<SealRow & { party_name: string }>(
        `select s.id, s.party_id, s.source, s.name, s.image_type, s.image_sha256, s.biz_ref, s.status, s.reason, s.created_at, p.name as party_name
         from mock_esign_seals s join mock_esign_parties p on p.id = s.party_id
         where s.status = 'pending_review' order by s.created_at limit $1`,
        [limit],
      );
    },
    /** Decides a seal waiting for review (once); the row when this call decided it. */
    async decideSeal(id: string, status: "active" | "rejected", reason: string | null, at: Date): Promise<SealRow | undefined> {
      const [row] = await db.query<SealRow>(
        `update mock_esign_seals set status = $2, reason = $3, decided_at = $4 where id = $1 and status = 'pending_review' returning ${SEAL}`,
        [id, status, reason, at],
      );
      return row;
    },

    // Flows --------------------------------------------------------------------------------------
    /** Inserts a flow unless one has this bizRef; true when this call inserted it. */
    async insertFlow(f: Omit<FlowRow, "status" | "ended_at" | "signed_sha256"> & { document: Uint8Array }): Promise<boolean> {
      const rows = await db.query(
        `insert into mock_esign_flows (id, biz_ref, title, document, document_sha256, status, expires_at, created_at)
         values ($1, $2, $3, decode($4, 'base64'), $5, 'open', $6, $7)
         on conflict (biz_ref) do nothing returning id`,
        [f.id, f.biz_ref, f.title, b64(f.document), f.document_sha256, f.expires_at, f.created_at],
      );
      return rows.length === 1;
    },
    async insertSigner(s: Pick<SignerRow, "flow_id" | "party_id" | "seal_id" | "sign_order" | "field">): Promise<void> {
      await db.query(
        `insert into mock_esign_signers (flow_id, party_id, seal_id, sign_order, field, status) values ($1, $2, $3, $4, $5::jsonb, 'waiting')`,
        [s.flow_id, s.party_id, s.seal_id, s.sign_order, JSON.stringify(s.field)],
      );
    },
    async flow(id: string, opts: { lock?: boolean } = {}): Promise<FlowRow | undefined> {
      const [row] = await db.query<FlowRow>(`select ${FLOW} from mock_esign_flows where id = $1${opts.lock ? " for update" : ""}`, [id]);
      return row;
    },
    async flowByBizRef(bizRef: string): Promise<FlowRow | undefined> {
      const [row] = await db.query<FlowRow>(`select ${FLOW} from mock_esign_flows where biz_ref = $1`, [bizRef]);
      return row;
    },
    async flowBySignedSha256(sha256: string): Promise<FlowRow | undefined> {
      const [row] = await db.query<FlowRow>(`select ${FLOW} from mock_esign_flows where signed_sha256 = $1`, [sha256]);
      return row;
    },
    async document(flowId: string, which: "original" | "signed"): Promise<Uint8Array | undefined> {
      const column = which === "signed" ? "signed_document" : "document";
      const [row] = await db.query<{ b: string | null }>(`select encode(${column}, 'base64') as b from mock_esign_flows where id = $1`, [flowId]);
      return row?.b ? fromB64(row.b) : undefined;
    },
    async signers(flowId: string): Promise<SignerRow[]> {
      return db.query<SignerRow>(
        `select s.flow_id, s.party_id, s.seal_id, s.sign_order, s.field, s.status, s.signed_at, s.reason,
           p.name as party_name, p.legal_name, p.legal_id_hash, p.legal_id_masked
         from mock_esign_signers s join mock_esign_parties p on p.id = s.party_id
         where s.flow_id = $1 order by s.sign_order, s.party_id`,
        [flowId],
      );
    },
    async signerSigned(flowId: string, partyId: string, at: Date): Promise<boolean> {
      const rows = await db.query(
        "update mock_esign_signers set status = 'signed', signed_at = $3 where flow_id = $1 and party_id = $2 and status = 'waiting' returning party_id",
        [flowId, partyId, at],
      );
      return rows.length === 1;
    },
    async signerRefused(flowId: string, partyId: string, reason: string, at: Date): Promise<boolean> {
      const rows = await db.query(
        "update mock_esign_signers set status = 'refused', signed_at = $3, reason = $4 where flow_id = $1 and party_id = $2 and status = 'waiting' returning party_id",
        [flowId, partyId, at, reason],
      );
      return rows.length === 1;
    },
    /** Ends an open flow (once); true when this call ended it. */
    async endFlow(
      id: string,
      status: "completed" | "refused" | "revoked" | "expired",
      at: Date,
      extra: { revokeReason?: string; signed?: { bytes: Uint8Array; sha256: string } } = {},
    ): Promise<boolean> {
      const rows = await db.query(
        `update mock_esign_flows set status = $2, ended_at = $3, revoke_reason = $4,
           signed_document = case when $5::text is null then null else decode($5, 'base64') end, signed_sha256 = $6
         where id = $1 and status = 'open' returning id`,
        [id, status, at, extra.revokeReason ?? null, extra.signed ? b64(extra.signed.bytes) : null, extra.signed?.sha256 ?? null],
      );
      return rows.length === 1;
    },
    async expiredFlowIds(at: Date, limit: number): Promise<string[]> {
      const rows = await db.query<{ id: string }>(
        "select id from mock_esign_flows where status = 'open' and expires_at <= $1 order by expires_at limit $2",
        [at, limit],
      );
      return rows.map((r) => r.id);
    },

    // Signing links ------------------------------------------------------------------------------
    async insertLink(l: Omit<LinkRow, "face_passed_at"> & { created_at: Date }): Promise<void> {
      await db.query("insert into mock_esign_links (token_hash, flow_id, party_id, return_url, expires_at, created_at) values ($1, $2, $3, $4, $5, $6)", [
        l.token_hash,
        l.flow_id,
        l.party_id,
        l.return_url,
        l.expires_at,
        l.created_at,
      ]);
    },
    async link(tokenHash: string): Promise<LinkRow | undefined> {
      const [row] = await db.query<LinkRow>(
        "select token_hash, flow_id, party_id, return_url, expires_at, face_passed_at from mock_esign_links where token_hash = $1",
        [tokenHash],
      );
      return row;
    },
    async facePassed(tokenHash: string, at: Date): Promise<void> {
      await db.query("update mock_esign_links set face_passed_at = $2 where token_hash = $1 and face_passed_at is null", [tokenHash, at]);
    },

    // Callback outbox ----------------------------------------------------------------------------
    async insertEvent(e: Pick<EventRow, "id" | "batch_id" | "type" | "body" | "duplicate" | "out_of_order" | "next_attempt_at">, at: Date) {
      await db.query(
        `insert into mock_esign_events (id, batch_id, type, body, duplicate, out_of_order, next_attempt_at, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [e.id, e.batch_id, e.type, e.body, e.duplicate, e.out_of_order, e.next_attempt_at, at],
      );
    },
    /**
     * Takes the due, undelivered events of a batch (or one event) for delivery: leased until
     * `leaseUntil`, so another instance's worker does not send them at the same time.
     */
    async claimEvents(key: { batchId?: string; eventId?: string }, at: Date, leaseUntil: Date): Promise<EventRow[]> {
      return db.query<EventRow>(
        `update mock_esign_events set lease_until = $4
         where (batch_id = $1 or id = $2) and delivered_at is null and given_up_at is null
           and next_attempt_at <= $3 and (lease_until is null or lease_until < $3)
         returning ${EVENT}`,
        [key.batchId ?? null, key.eventId ?? null, at, leaseUntil],
      );
    },
    async delivered(id: string, status: number, deliveries: number, at: Date): Promise<void> {
      await db.query(
        `update mock_esign_events set delivered_at = $4, attempts = attempts + 1, deliveries = deliveries + $3, last_status = $2,
           last_error = null, lease_until = null where id = $1`,
        [id, status, deliveries, at],
      );
    },
    async failed(id: string, f: { status: number | null; error: string; nextAttemptAt: Date | null }, at: Date): Promise<void> {
      await db.query(
        `update mock_esign_events set attempts = attempts + 1, last_status = $2, last_error = $3, lease_until = null,
           next_attempt_at = coalesce($4, next_attempt_at), given_up_at = case when $4::timestamptz is null then $5::timestamptz end
         where id = $1`,
        [id, f.status, f.error.slice(0, 500), f.nextAttemptAt, at],
      );
    },
    async dueBatches(at: Date, limit: number): Promise<string[]> {
      const rows = await db.query<{ batch_id: string }>(
        `select batch_id from mock_esign_events
         where delivered_at is null and given_up_at is null and next_attempt_at <= $1 and (lease_until is null or lease_until < $1)
         group by batch_id order by min(seq) limit $2`,
        [at, limit],
      );
      return rows.map((r) => r.batch_id);
    },
    async events(filter: { batchId?: string; eventId?: string } = {}): Promise<EventRow[]> {
      return db.query<EventRow>(
        `select ${EVENT} from mock_esign_events where ($1::text is null or batch_id = $1) and ($2::text is null or id = $2) order by seq`,
        [filter.batchId ?? null, filter.eventId ?? null],
      );
    },
  };
}
export type MockStore = ReturnType<typeof mockStore>;
