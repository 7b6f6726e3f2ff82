import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.ts";
import { loadMigrations, migrate } from "../../src/adapters/migrate.ts";
import { memoryCache } from "../../src/adapters/memory-cache.ts";
import { outboxSms } from "../../src/adapters/outbox-sms.ts";
import { scryptPasswords } from "../../src/adapters/scrypt-passwords.ts";
import { buildDeps, openCipher, sealStoredFields } from "../../src/compose.ts";
import { loadConfig } from "../../src/config.ts";
import { demoCodes } from "../../src/demo.ts";
import type { Deps } from "../../src/deps.ts";
import { toBase64 } from "../../src/lib/field-keys.ts";
import { idNumberCheckChar, maskIdNumber } from "../../src/modules/enterprises/codes.ts";
import type { Db } from "../../src/ports/db.ts";
import { start } from "../../src/start.ts";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { freshDb } from "../support/db.ts";
import { STEP2, certify, pendingApplicationId, registerNew, signInAdmin } from "../support/flows.ts";

/**
 * Deliverable: ID numbers and bank account numbers are sealed at rest (AES-256-GCM, key id in each
 * value, bound to table, column and owner), keyed hashes serve the ID-number search, old plaintext
 * is sealed at start-up, keys rotate, the embedded default keeps its generated key in DATA_DIR,
 * and staff reads of these data are audited.
 */
/** A well-formed (valid check character) invented ID number, distinct for each n < 1000. */
const idNo = (n: number) => {
  const first17 = `4501021980${String(1 + (n % 12)).padStart(2, "0")}${String(10 + (n % 18)).padStart(2, "0")}${String(n).padStart(3, "0")}`;
  return first17 + idNumberCheckChar(first17);
};
const newKey = (id: string) => `${id}:${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
const LEGAL_ID = idNo(21);
const AGENT_ID = idNo(20);
const ACCOUNT_NO = "6222020200198765432";

type LogLine = { msg?: string; table?: string; column?: string; reason?: string; keyId?: string };
const lines: string[] = [];
const capture = pino({ level: "info" }, { write: (s: string) => void lines.push(s) });
const logged = () => lines.map((l) => JSON.parse(l) as LogLine);

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp({ demo: true, log: capture });
});
afterAll(async () => t?.close());

async function enterpriseOf(phone: string) {
  const [row] = await t.deps.db.query<{ enterprise_id: string; account_id: string }>(
    "select e.id as enterprise_id, a.id as account_id from enterprises e join accounts a on a.id = e.account_id where a.phone = $1",
    [phone],
  );
  return row!;
}

let applicants = 0;
/** A pending application with a legal representative, an agent and a bank account, made through the pages. */
async function applicant(name: string, legalId = LEGAL_ID, agentId = AGENT_ID, accountNo = ACCOUNT_NO) {
  const { b, phone } = await registerNew(t, name);
  const res = await certify(
    b,
    { name, creditCode: demoCodes(60 + ++applicants).creditCode, legalIdNumber: legalId },
    {
      agentName: "李四",
      agentIdNumber: agentId,
      agentPhone: "13900000002",
    },
  );
  expect(res.status).toBe(303);
  await b.get("/me/payment-account");
  const saved = await b.post("/me/payment-account", {
    accountName: name,
    bankName: "中国工商银行",
    bankCityCode: "450100",
    branchName: "南宁分行",
    accountNumber: accountNo,
  });
  expect(saved.status).toBe(303);
  const ids = await enterpriseOf(phone);
  return { b, phone, ...ids, applicationId: await pendingApplicationId(t, phone) };
}

describe("sensitive personal data at rest", () => {
  it("the tables hold no plaintext ID or account numbers; owner pages stay masked, the reviewer sees full values", async () => {
    const a = await applicant("密文测试有限公司");
    const certRows = await t.deps.db.query<{ j: string }>("select row_to_json(c)::text as j from enterprise_certifications c");
    const bankRows = await t.deps.db.query<{ j: string }>("select row_to_json(x)::text as j from enterprise_bank_accounts x");
    expect(certRows.length).toBeGreaterThan(9); // the demo enterprises' applications too
    expect(bankRows.length).toBeGreaterThan(0);
    const everything = [...certRows, ...bankRows].map((r) => r.j).join("\n");
    for (const secret of [LEGAL_ID, AGENT_ID, ACCOUNT_NO, STEP2.legalIdNumber, ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => demoCodes(i).idNumber)]) {
      expect(everything).not.toContain(secret);
    }
    const [mine] = await t.deps.db.query<{
      legal_id_number: string | null;
      legal_id_number_enc: string;
      agent_id_number_enc: string;
      legal_id_number_hash: string;
    }>("select legal_id_number, legal_id_number_enc, agent_id_number_enc, legal_id_number_hash from enterprise_certifications where id = $1", [
      a.applicationId,
    ]);
    expect(mine!.legal_id_number).toBeNull();
    expect(mine!.legal_id_number_enc).toMatch(/^v1\.local-[A-Za-z0-9]+\./);
    expect(mine!.agent_id_number_enc).toMatch(/^v1\./);
    expect(mine!.legal_id_number_hash).toMatch(/^h1\./);
    const audit = await t.deps.db.query<{ j: string }>("select data::text as j from audit_events");
    expect(audit.map((r) => r.j).join("\n")).not.toContain(ACCOUNT_NO);

    // Owner: masked on the overview, full only in the owner's own edit forms (as before).
    await a.b.get("/me/certification");
    expect(a.b.lastHtml).toContain(maskIdNumber(LEGAL_ID));
    expect(a.b.lastHtml).toContain(maskIdNumber(AGENT_ID));
    expect(a.b.lastHtml).not.toContain(LEGAL_ID);
    await a.b.get("/me/payment-account");
    expect(a.b.lastHtml).toContain("**** **** 5432");
    expect(a.b.lastHtml).toContain(`value="${ACCOUNT_NO}"`);

    // Reviewer: the full numbers on the review page; the ID-number search finds the application through the keyed hash.
    const r = await signInAdmin(t, "reviewer");
    await r.get(`/admin/certifications/${a.applicationId}`);
    expect(r.lastStatus).toBe(200);
    expect(r.lastHtml).toContain(`身份证 ${LEGAL_ID}`);
    expect(r.lastHtml).toContain(`身份证 ${AGENT_ID}`);
    for (const id of [LEGAL_ID, AGENT_ID.toLowerCase()]) {
      await r.get(`/admin/certifications?status=pending&q=${id}`);
      expect(r.lastHtml).toContain("密文测试有限公司");
    }
    await r.get(`/admin/certifications?status=pending&q=${idNo(23)}`);
    expect(r.lastHtml).not.toContain("密文测试有限公司");
  });

  it("a tampered value or one moved to another field is refused: the page says so (no 500) and the log names the field", async () => {
    const a = await applicant("篡改测试有限公司", idNo(24), idNo(25), "6222020200100001111");
    // Move the legal representative's sealed ID into the agent column, and tamper with the bank account number.
    await t.deps.db.query("update enterprise_certifications set agent_id_number_enc = legal_id_number_enc where id = $1", [a.applicationId]);
    const [bank] = await t.deps.db.query<{ id: string; account_number_enc: string }>(
      "select id, account_number_enc from enterprise_bank_accounts where enterprise_id = $1",
      [a.enterprise_id],
    );
    const enc = bank!.account_number_enc;
    const flipped = enc.slice(0, -6) + (enc.at(-6) === "A" ? "B" : "A") + enc.slice(-5);
    await t.deps.db.query("update enterprise_bank_accounts set account_number_enc = $2 where id = $1", [bank!.id, flipped]);
    lines.length = 0;

    const r = await signInAdmin(t, "reviewer");
    await r.get(`/admin/certifications/${a.applicationId}`);
    expect(r.lastStatus).toBe(200);
    expect(r.lastHtml).toContain(`身份证 ${idNo(24)}`);
    expect(r.lastHtml).toContain("身份证 无法读取（数据校验未通过，已记录日志，请联系平台技术支持）");
    expect(r.lastHtml).not.toContain(idNo(25));

    await a.b.get("/me/payment-account");
    expect(a.b.lastStatus).toBe(200);
    expect(a.b.lastHtml).toContain("银行账号无法读取，请重新填写并保存");
    await a.b.get("/me/certification");
    expect(a.b.lastStatus).toBe(200);
    expect(a.b.lastHtml).toContain("身份证号无法读取，请重新填写");

    const refusals = logged().filter((l) => l.msg === "sealed field refused");
    expect(refusals).toContainEqual(expect.objectContaining({ table: "enterprise_certifications", column: "agent_id_number", reason: "integrity" }));
    expect(refusals).toContainEqual(expect.objectContaining({ table: "enterprise_bank_accounts", column: "account_number", reason: "integrity" }));
    expect(lines.join("\n")).not.toContain(idNo(24));

    // Saving the account again repairs it.
    await a.b.post("/me/payment-account", {
      accountName: "篡改测试有限公司",
      bankName: "中国工商银行",
      bankCityCode: "450100",
      branchName: "南宁分行",
      accountNumber: "6222020200100001111",
    });
    await a.b.get("/me/payment-account");
    expect(a.b.lastHtml).toContain("当前账户：中国工商银行 **** **** 1111");
  });
});

describe("staff reads of ID numbers, certification files and bank details are audited", () => {
  const reads = (enterpriseId: string) =>
    t.deps.db.query<{ action: string; actor_type: string; actor_id: string; request_id: string; data: Record<string, unknown> }>(
      "select action, actor_type, actor_id, request_id, data from audit_events where entity_type = 'enterprise_data' and entity_id = $1 order by id",
      [enterpriseId],
    );

  it("the reviewer's detail page and licence download write an audit row each; the owner's own reads write none", async () => {
    const a = await applicant("审计读取有限公司", idNo(26), idNo(27), "6222020200100002222");
    const [licence] = await t.deps.db.query<{ id: string }>("select licence_file_id as id from enterprise_certifications where id = $1", [
      a.applicationId,
    ]);

    // The owner reads everything of its own: no read events.
    for (const path of ["/me/certification", "/me/certification/step1", "/me/payment-account"]) expect((await a.b.get(path)).status).toBeLessThan(400);
    expect((await a.b.request(`/files/${licence!.id}`)).status).toBe(200);
    expect(await reads(a.enterprise_id)).toEqual([]);

    const r = await signInAdmin(t, "reviewer");
    const [reviewer] = await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'reviewer'");
    const page = await r.get(`/admin/certifications/${a.applicationId}`);
    const download = await r.request(`/admin/files/${licence!.id}`);
    expect(download.status).toBe(200);
    const rows = await reads(a.enterprise_id);
    expect(rows.map((x) => x.action)).toEqual(["certification_viewed", "file_downloaded"]);
    expect(rows.every((x) => x.actor_type === "admin" && x.actor_id === reviewer!.id)).toBe(true);
    expect(rows[0]!.request_id).toBe(page.headers.get("X-Request-Id"));
    expect(rows[0]!.data).toEqual({ applicationId: a.applicationId, fields: ["legalIdNumber", "agentIdNumber"] });
    expect(rows[1]!.request_id).toBe(download.headers.get("X-Request-Id"));
    expect(rows[1]!.data).toMatchObject({ fileId: licence!.id, purpose: "business_licence" });
    expect(JSON.stringify(rows)).not.toContain(idNo(26));

    // Refused reads record nothing; reads stay out of the enterprise's own timeline.
    const finance = await signInAdmin(t, "finance");
    expect((await finance.request(`/admin/files/${licence!.id}`)).status).toBe(404);
    expect(await reads(a.enterprise_id)).toHaveLength(2);
    await a.b.get("/me/certification");
    expect(a.b.lastHtml).not.toContain("certification_viewed");
  });

  it("finance staff reading the bank account details is audited; other roles are refused and leave no row", async () => {
    const a = await applicant("银行读取有限公司", idNo(28), idNo(29), "6222020200100003333");
    const [finance] = await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'finance'");
    const [reviewer] = await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'reviewer'");
    const refused = await t.deps.enterprises.bankAccountForStaff({ id: reviewer!.id, role: "reviewer" }, a.enterprise_id, "req-refused-1");
    expect(refused.ok).toBe(false);
    expect(await reads(a.enterprise_id)).toEqual([]);
    const read = await t.deps.enterprises.bankAccountForStaff({ id: finance!.id, role: "finance" }, a.enterprise_id, "req-bank-read-1");
    expect(read.ok && read.value.current?.accountNumber).toBe("6222020200100003333");
    const rows = await reads(a.enterprise_id);
    expect(rows).toEqual([expect.objectContaining({ action: "bank_account_viewed", actor_id: finance!.id, request_id: "req-bank-read-1" })]);
    const missing = await t.deps.enterprises.bankAccountForStaff({ id: finance!.id, role: "finance" }, "not-a-uuid");
    expect(missing.ok ? 200 : missing.status).toBe(404);
  });
});

// ---- the same database and DATA_DIR seen by several builds of the app (restarts, rotation) ----

type Build = { deps: Deps; app: ReturnType<typeof buildApp> };
async function build(db: Db, dataDir: string, env: Record<string, string> = {}): Promise<Build> {
  const config = loadConfig({ NODE_ENV: "test", DATA_DIR: dataDir, LOG_LEVEL: "silent", DEMO_DATA: "false", ...env });
  const deps = await buildDeps(config, {
    db,
    cache: memoryCache(),
    sms: outboxSms(),
    passwords: scryptPasswords({ logN: 10, r: 8, p: 1 }),
    log: pino({ level: "silent" }),
  });
  return { deps, app: buildApp(deps) };
}

let seq = 0;
/** An account with a submitted application (legal and agent ID) and a bank account, through the use cases. */
async function seedApplicant(deps: Deps, legalId: string, agentId: string, accountNo: string) {
  const n = ++seq;
  const phone = `1470${String(process.pid % 1000).padStart(3, "0")}${String(n).padStart(4, "0")}`;
  const { accountId } = await deps.identity.seedAccount({ phone, name: `轮换测试${n}有限公司`, passwordHash: await deps.passwords.hash("Demo#2026") });
  const ok = (r: { ok: boolean; errors?: unknown }) => expect(r.ok, JSON.stringify(r.errors)).toBe(true);
  ok(await deps.enterprises.saveStep1(accountId, { identityRole: "manufacturer", enterpriseType: "llc" }));
  ok(
    await deps.enterprises.saveStep2(
      accountId,
      { ...STEP2, name: `轮换测试${n}有限公司`, creditCode: demoCodes(100 + n).creditCode, legalIdNumber: legalId },
      { name: "营业执照.pdf", bytes: new TextEncoder().encode("%PDF-1.4\n%%EOF\n") },
    ),
  );
  ok(await deps.enterprises.submit(accountId, { agentName: "李四", agentIdNumber: agentId, agentPhone: "13900000002" }));
  ok(
    await deps.enterprises.saveBankAccount(accountId, {
      accountName: "开户名",
      bankName: "中国银行",
      bankCityCode: "450100",
      branchName: "南宁分行",
      accountNumber: accountNo,
    }),
  );
  return accountId;
}

async function readBack(deps: Deps, accountId: string) {
  const { current } = await deps.enterprises.wizardValues(accountId);
  const { current: bank } = await deps.enterprises.bankAccount(accountId);
  return { legal: current?.legalIdNumber, agent: current?.agentIdNumber, account: bank?.accountNumber, unreadable: current?.unreadable };
}

const keyIds = (db: Db) =>
  db.query<{ l: string; a: string; lh: string; n: string }>(
    `select split_part(c.legal_id_number_enc, '.', 2) as l, split_part(c.agent_id_number_enc, '.', 2) as a,
            split_part(c.legal_id_number_hash, '.', 2) as lh, split_part(x.account_number_enc, '.', 2) as n
       from enterprise_certifications c join enterprise_bank_accounts x on x.enterprise_id = c.enterprise_id order by c.created_at, x.created_at`,
  );

describe("keys: rotation, the embedded default's key file, production", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  async function world() {
    const { db, cleanup } = await freshDb();
    const dataDir = await mkdtemp(join(tmpdir(), "gxv-keys-"));
    cleanups.push(cleanup, () => rm(dataDir, { recursive: true, force: true }));
    await migrate(db);
    return { db, dataDir };
  }

  it("a value sealed under key 1 is read after key 2 is added first; the sealing step moves everything to key 2", async () => {
    const { db, dataDir } = await world();
    const k1 = newKey("k1");
    const k2 = newKey("k2");
    const one = await build(db, dataDir, { ENCRYPTION_KEYS: k1 });
    const acc = await seedApplicant(one.deps, idNo(31), idNo(32), "6222000011112222");
    expect(await keyIds(db)).toEqual([{ l: "k1", a: "k1", lh: "k1", n: "k1" }]);

    const two = await build(db, dataDir, { ENCRYPTION_KEYS: `${k2},${k1}` });
    expect(await readBack(two.deps, acc)).toEqual({ legal: idNo(31), agent: idNo(32), account: "6222000011112222", unreadable: undefined });
    // The search still finds the application hashed under key 1.
    const staff = { id: "00000000-0000-0000-0000-000000000001", role: "reviewer" };
    const found = await two.deps.enterprises.reviewQueue(staff, { keyword: idNo(31) }, 1);
    expect(found.ok && found.value.total).toBe(1);
    // New values are sealed under key 2.
    const acc2 = await seedApplicant(two.deps, idNo(33), idNo(34), "6222000033334444");
    expect((await keyIds(db))[1]).toEqual({ l: "k2", a: "k2", lh: "k2", n: "k2" });

    // The sealing step (start-up, npm run migrate) re-seals the key-1 values, once.
    expect(await sealStoredFields(db, two.deps.cipher)).toEqual({ sealed: 0, resealed: 3, unreadable: 0 });
    expect(await sealStoredFields(db, two.deps.cipher)).toEqual({ sealed: 0, resealed: 0, unreadable: 0 });
    expect(await keyIds(db)).toEqual([
      { l: "k2", a: "k2", lh: "k2", n: "k2" },
      { l: "k2", a: "k2", lh: "k2", n: "k2" },
    ]);
    // Key 1 can now be retired.
    const three = await build(db, dataDir, { ENCRYPTION_KEYS: k2 });
    expect((await readBack(three.deps, acc)).legal).toBe(idNo(31));
    expect((await readBack(three.deps, acc2)).account).toBe("6222000033334444");
    const again = await three.deps.enterprises.reviewQueue(staff, { keyword: idNo(31) }, 1);
    expect(again.ok && again.value.total).toBe(1);
  });

  it("the embedded default generates a key once, keeps it in DATA_DIR (0600) and a second build on that DATA_DIR reads the data", async () => {
    const { db, dataDir } = await world();
    const first = await build(db, dataDir);
    const file = join(dataDir, "encryption-keys");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const content = await readFile(file, "utf8");
    expect(content).toMatch(/^local-[A-Za-z0-9]+:[A-Za-z0-9+/]{43}=\n$/);
    const acc = await seedApplicant(first.deps, idNo(35), idNo(36), "6222000055556666");

    const restarted = await build(db, dataDir);
    expect(await readFile(file, "utf8")).toBe(content);
    expect(await readBack(restarted.deps, acc)).toEqual({ legal: idNo(35), agent: idNo(36), account: "6222000055556666", unreadable: undefined });

    // Another DATA_DIR means another key: the values do not open (refused, not a crash).
    const other = await mkdtemp(join(tmpdir(), "gxv-keys-"));
    cleanups.push(() => rm(other, { recursive: true, force: true }));
    const stranger = await build(db, other);
    expect(await readBack(stranger.deps, acc)).toEqual({ legal: null, agent: null, account: "", unreadable: ["legalIdNumber", "agentIdNumber"] });
  });

  it("production refuses to start without ENCRYPTION_KEYS and does not generate a key file", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "gxv-keys-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    expect(() => loadConfig({ NODE_ENV: "production", DATA_DIR: dataDir, DATABASE_URL: "postgres://x/y" })).toThrow(/ENCRYPTION_KEYS/);
    // The composition root refuses too, should a configuration object be built by other means.
    await expect(openCipher({ env: "production", dataDir })).rejects.toThrow(/ENCRYPTION_KEYS/);
    await expect(stat(join(dataDir, "encryption-keys"))).rejects.toThrow(/ENOENT/);
    await openCipher({ env: "development", dataDir });
    expect((await stat(join(dataDir, "encryption-keys"))).isFile()).toBe(true);
  });

  it("plaintext written before migration 0013 is sealed by the start-up step, the plaintext columns emptied and refused from then on", async () => {
    const { db, cleanup } = await freshDb();
    const dataDir = await mkdtemp(join(tmpdir(), "gxv-keys-"));
    cleanups.push(cleanup, () => rm(dataDir, { recursive: true, force: true }));
    const all = await loadMigrations();
    await migrate(
      db,
      all.filter((m) => m.version < "0013"),
    );
    const [account] = await db.query<{ id: string }>("insert into accounts (phone) values ('14799990001') returning id");
    const [ent] = await db.query<{ id: string }>("insert into enterprises (account_id, name) values ($1, '旧数据有限公司') returning id", [account!.id]);
    await db.query(
      `insert into enterprise_certifications (enterprise_id, status, step, name, credit_code, legal_name, legal_id_number, agent_name, agent_id_number, submitted_at)
       values ($1, 'pending', 3, '旧数据有限公司', $2, '王五', $3, '赵六', $4, now())`,
      [ent!.id, demoCodes(37).creditCode, idNo(37), idNo(38)],
    );
    await db.query(
      `insert into enterprise_bank_accounts (enterprise_id, account_name, bank_name, bank_city_code, branch_name, account_number)
       values ($1, '旧数据有限公司', '中国银行', '450100', '南宁分行', '6222000077778888')`,
      [ent!.id],
    );

    const config = loadConfig({ NODE_ENV: "test", DATA_DIR: dataDir, LOG_LEVEL: "silent", DEMO_DATA: "false", ENCRYPTION_KEYS: newKey("k1") });
    const deps = await start(config, { db, cache: memoryCache(), sms: outboxSms(), log: pino({ level: "silent" }) });
    const dump = [
      ...(await db.query<{ j: string }>("select row_to_json(c)::text as j from enterprise_certifications c")),
      ...(await db.query<{ j: string }>("select row_to_json(x)::text as j from enterprise_bank_accounts x")),
    ]
      .map((r) => r.j)
      .join("\n");
    for (const secret of [idNo(37), idNo(38), "6222000077778888"]) expect(dump).not.toContain(secret);
    expect(await readBack(deps, account!.id)).toEqual({ legal: idNo(37), agent: idNo(38), account: "6222000077778888", unreadable: undefined });
    // Idempotent: nothing left to do.
    expect(await sealStoredFields(db, deps.cipher)).toEqual({ sealed: 0, resealed: 0, unreadable: 0 });
    // From migration 0013 on the database itself refuses a plaintext number.
    await expect(
      db.query(
        `insert into enterprise_bank_accounts (enterprise_id, account_name, bank_name, bank_city_code, branch_name, account_number)
         values ($1, 'x', 'y', '450100', 'z', '6222000099990000')`,
        [ent!.id],
      ),
    ).rejects.toThrow();
    await expect(
      db.query("update enterprise_certifications set legal_id_number = '110105194912310021' where enterprise_id = $1", [ent!.id]),
    ).rejects.toThrow();
  });
});
