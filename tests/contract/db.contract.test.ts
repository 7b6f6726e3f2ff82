import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMigrations, migrate } from "../../src/adapters/migrate.ts";
import { openPglite } from "../../src/adapters/pglite.ts";
import { type Db, UniqueViolation } from "../../src/ports/db.ts";
import { pgAccounts, pgAdmins } from "../../src/modules/identity/pg.ts";
import { webCryptoCipher } from "../../src/adapters/webcrypto-cipher.ts";
import { pgEnterprises } from "../../src/modules/enterprises/pg.ts";
import { DATABASE_URL, freshPostgres } from "../support/db.ts";
import { pgAudit as audit } from "../../src/modules/audit/pg.ts";

/**
 * The same migrations and repositories on the embedded PGlite and on a real PostgreSQL
 * (when DATABASE_URL is set, as in CI).
 */
const databases: [string, () => Promise<{ db: Db; cleanup: () => Promise<void> }>][] = [
  [
    "pglite",
    async () => {
      const db = await openPglite();
      return { db, cleanup: () => db.close() };
    },
  ],
];
if (DATABASE_URL) databases.push(["postgres", () => freshPostgres()]);

describe.each(databases)("database contract: %s", (_name, open) => {
  let db: Db;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ db, cleanup } = await open());
  });
  afterAll(async () => cleanup?.());

  it("applies every migration once, records it, and applies nothing the second time", async () => {
    const all = await loadMigrations();
    expect(all.length).toBeGreaterThan(0);
    expect(await migrate(db)).toEqual(all.map((m) => m.version));
    expect(await migrate(db)).toEqual([]);
    const rows = await db.query<{ version: string }>("select version from schema_migrations order by version");
    expect(rows.map((r) => r.version)).toEqual(all.map((m) => m.version));
  });

  it("two instances migrating at once apply each migration exactly once", async () => {
    const extra = [{ version: "9999_contract_probe", sql: "create table contract_probe (id int primary key);" }];
    const results = await Promise.all([migrate(db, extra), migrate(db, extra)]);
    expect(results.flat()).toEqual(["9999_contract_probe"]);
    await db.exec("drop table contract_probe; delete from schema_migrations where version = '9999_contract_probe';");
  });

  it("a failing migration leaves nothing behind", async () => {
    const bad = [
      { version: "9998_half", sql: "create table half_done (id int);" },
      { version: "9999_broken", sql: "create table broken (id int; -- syntax error" },
    ];
    await expect(migrate(db, bad)).rejects.toThrow();
    expect(await db.query("select 1 from information_schema.tables where table_name = 'half_done'")).toEqual([]);
    expect(await db.query("select 1 from schema_migrations where version like '999%'")).toEqual([]);
  });

  it("account repository: create, find by phone and id, set password, unique phone", async () => {
    const accounts = pgAccounts(db);
    const a = await accounts.create({ phone: "13800001111" });
    expect(a).toMatchObject({ phone: "13800001111", passwordHash: null, status: "active" });
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.createdAt).toBeInstanceOf(Date);
    expect((await accounts.byPhone("13800001111"))?.id).toBe(a.id);
    expect((await accounts.byId(a.id))?.phone).toBe("13800001111");
    expect(await accounts.byPhone("13800002222")).toBeUndefined();
    await accounts.setPasswordHash(a.id, "scrypt$x");
    expect((await accounts.byId(a.id))?.passwordHash).toBe("scrypt$x");
    await expect(accounts.create({ phone: "13800001111" })).rejects.toBeInstanceOf(UniqueViolation);
  });

  it("enterprise repository: one enterprise per account, uncertified at first", async () => {
    const account = await pgAccounts(db).create({ phone: "13800003333" });
    const e = await pgEnterprises(db).create({ accountId: account.id, name: "契约测试有限公司" });
    expect(e).toMatchObject({ accountId: account.id, name: "契约测试有限公司", certificationStatus: "uncertified", isProvider: false });
    expect((await pgEnterprises(db).byAccount(account.id))?.id).toBe(e.id);
    await expect(pgEnterprises(db).create({ accountId: account.id, name: "重复" })).rejects.toBeInstanceOf(UniqueViolation);
  });

  it("admin repository: roles are constrained, usernames unique", async () => {
    const admins = pgAdmins(db, await webCryptoCipher([{ id: "k1", key: new Uint8Array(32).fill(7) }]));
    const a = await admins.create({ username: "contract", displayName: "契约", passwordHash: "h", role: "reviewer" });
    expect(a.role).toBe("reviewer");
    expect((await admins.byUsername("contract"))?.id).toBe(a.id);
    await expect(admins.create({ username: "contract", displayName: "x", passwordHash: "h", role: "finance" })).rejects.toBeInstanceOf(UniqueViolation);
    await expect(admins.create({ username: "other", displayName: "x", passwordHash: "h", role: "king" as never })).rejects.toThrow();
  });

  it("admin repository: a TOTP secret is sealed in its row, opens for its own account only, and an unreadable one matches no code", async () => {
    const cipher = await webCryptoCipher([{ id: "k1", key: new Uint8Array(32).fill(7) }]);
    const admins = pgAdmins(db, cipher);
    const a = await admins.create({ username: "sealed", displayName: "密", passwordHash: "h", role: "finance" });
    const b = await admins.create({ username: "sealed2", displayName: "密", passwordHash: "h", role: "finance" });
    await admins.setTotp(a.id, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
    const [row] = await db.query<{ totp_secret: string }>("select totp_secret from admin_users where id = $1", [a.id]);
    expect(row!.totp_secret).not.toContain("JBSWY3DP");
    expect(row!.totp_secret).toMatch(/^v1\./);
    expect((await admins.byId(a.id))?.totpSecret).toBe("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
    // The sealed value copied onto another account does not open there: enrolled, but with a secret nobody knows.
    await db.query("update admin_users set totp_secret = $2 where id = $1", [b.id, row!.totp_secret]);
    const moved = (await admins.byId(b.id))?.totpSecret;
    expect(moved).toMatch(/^[A-Z2-7]{32}$/);
    expect(moved).not.toBe("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
    await admins.setTotp(a.id, null);
    expect((await admins.byId(a.id))?.totpSecret).toBeNull();
  });

  it("transactions roll back as a whole", async () => {
    await expect(
      db.transaction(async (tx) => {
        await pgAccounts(tx).create({ phone: "13800004444" });
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(await pgAccounts(db).byPhone("13800004444")).toBeUndefined();
  });

  it("runs afterCommit callbacks once the outermost transaction commits, and afterRollback ones when it rolls back", async () => {
    const seen: string[] = [];
    const out = await db.transaction(async (tx) => {
      tx.afterCommit(async () => {
        // The change is visible to other handles when the callback runs.
        seen.push(`commit:${(await pgAccounts(db).byPhone("13800004445")) ? "visible" : "missing"}`);
      });
      tx.afterRollback(async () => void seen.push("rollback"));
      await tx.transaction(async (inner) => {
        inner.afterCommit(async () => void seen.push("inner-commit"));
        await pgAccounts(inner).create({ phone: "13800004445" });
      });
      expect(seen).toEqual([]);
      return "done";
    });
    expect(out).toBe("done");
    expect(seen).toEqual(["commit:visible", "inner-commit"]);

    seen.length = 0;
    await expect(
      db.transaction(async (tx) => {
        tx.afterCommit(async () => void seen.push("commit"));
        tx.afterRollback(async () => void seen.push(`rollback:${(await pgAccounts(db).byPhone("13800004446")) ? "visible" : "gone"}`));
        await pgAccounts(tx).create({ phone: "13800004446" });
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(seen).toEqual(["rollback:gone"]);

    // A failing callback does not undo or fail a committed transaction.
    await expect(
      db.transaction(async (tx) => {
        tx.afterCommit(async () => {
          throw new Error("late");
        });
        return 1;
      }),
    ).resolves.toBe(1);
    expect(() => db.afterCommit(async () => {})).toThrow("transaction");
  });

  it("audit events can be written but never changed or deleted", async () => {
    await db.query("insert into audit_events (actor_type, entity_type, action) values ('system', 'probe', 'written')");
    await expect(db.query("update audit_events set action = 'changed' where entity_type = 'probe'")).rejects.toThrow(/append-only/);
    await expect(db.query("delete from audit_events where entity_type = 'probe'")).rejects.toThrow(/append-only/);
    expect(await db.query("select action from audit_events where entity_type = 'probe'")).toEqual([{ action: "written" }]);
  });

  it("audit data is stored as a JSON object on both databases", async () => {
    await audit.record(db, { actorType: "system", entityType: "probe2", action: "json", data: { username: "张三", n: 1 } });
    const rows = await db.query<{ u: string; kind: string }>(
      "select data->>'username' as u, jsonb_typeof(data) as kind from audit_events where entity_type = 'probe2'",
    );
    expect(rows).toEqual([{ u: "张三", kind: "object" }]);
  });

  it("returns counts and bigints as numbers and timestamps as Dates", async () => {
    const [row] = await db.query<{ n: number; big: number; at: Date }>("select count(*) as n, 9007199254740::bigint as big, now() as at from accounts");
    expect(typeof row!.n).toBe("number");
    expect(row!.big).toBe(9007199254740);
    expect(row!.at).toBeInstanceOf(Date);
  });
});
