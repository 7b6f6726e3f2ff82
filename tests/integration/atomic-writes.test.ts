import { utimes } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fsFiles } from "../../src/adapters/fs-files.ts";
import { pgCatalog } from "../../src/modules/catalog/pg.ts";
import { catalogService } from "../../src/modules/catalog/service.ts";
import { pgFiles } from "../../src/modules/files/pg.ts";
import { pgAudit as audit } from "../../src/modules/audit/pg.ts";
import type { FileStore, StoredKey } from "../../src/ports/files.ts";
import { randomToken } from "../../src/lib/random.ts";
import { SWEEP_CRON, SWEEP_JOB, startJobs } from "../../src/start.ts";
import { type TestApp, makeTestApp } from "../support/app.ts";
import { type Browser, SAMPLE_PDF } from "../support/client.ts";
import { signIn, signInAdmin } from "../support/flows.ts";

/** A change and its audit event commit together; uploaded bytes follow their row's transaction. */
let t: TestApp;
let store: FileStore;
beforeAll(async () => {
  t = await makeTestApp({ demo: true, jobs: "engine" });
  // The same folder the app's file store writes to.
  store = fsFiles(join(t.deps.config.dataDir, "files"));
});
afterAll(async () => t?.close());

const count = async (sql: string, params: unknown[] = []) => (await t.deps.db.query<{ n: number }>(sql, params))[0]!.n;
const listed = async () => {
  const out: StoredKey[] = [];
  for await (const k of store.list()) out.push(k);
  return out;
};
const HOUR = 3_600_000;
/** Makes a stored file (or temporary) look as if it was written two hours ago. */
const age = async (key: string, temporary = false) => {
  const path = temporary ? join(t.deps.config.dataDir, "files", "tmp", key) : join(t.deps.config.dataDir, "files", key.slice(0, 2), key);
  const then = new Date(Date.now() - 2 * HOUR);
  await utimes(path, then, then);
};

describe("catalog settings (服务类别与负面清单)", () => {
  const superAdminId = async () => (await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'admin'"))[0]!.id;

  it("a change and its audit event commit together", async () => {
    const admin = await signInAdmin(t, "admin");
    await admin.get("/admin/catalog-settings");
    const res = await admin.post("/admin/catalog-settings", { action: "add_word", word: "原子写入" });
    expect(res.status).toBe(303);
    expect(await count("select count(*)::int as n from negative_words where word = '原子写入'")).toBe(1);
    expect(await count("select count(*)::int as n from audit_events where action = 'negative_word_added' and data->>'word' = '原子写入'")).toBe(1);
  });

  it("when the audit event cannot be written, the change is not made either", async () => {
    const failingAudit = {
      ...audit,
      async record() {
        throw new Error("audit store unavailable");
      },
    };
    const d = t.deps;
    const catalog = catalogService({
      db: d.db,
      clock: d.clock,
      catalogRepo: pgCatalog,
      enterprises: d.enterprises,
      files: d.files,
      audit: failingAudit,
    });
    const staff = { id: await superAdminId(), role: "super_admin" };
    await expect(catalog.changeSettings(staff, { action: "add_word", word: "不应留下" })).rejects.toThrow("audit store unavailable");
    await expect(catalog.changeSettings(staff, { action: "add_category", code: "half-written", name: "半写类别" })).rejects.toThrow(
      "audit store unavailable",
    );
    expect(await count("select count(*)::int as n from negative_words where word = '不应留下'")).toBe(0);
    expect(await count("select count(*)::int as n from service_categories where code = 'half-written'")).toBe(0);
  });
});

describe("uploads follow their transaction", () => {
  async function apply(b: Browser) {
    await b.get("/me/provider-application");
    const body = new FormData();
    body.set("_csrf", b.csrf());
    for (const [k, v] of Object.entries({
      categories: "testing",
      regions: "450100",
      introduction: "我们是一家专业的检验检测机构，拥有CMA资质和二十年经验。",
      qualifications: "CMA",
      contactName: "王五",
      contactPhone: "13812345678",
    }))
      body.append(k, v);
    body.append("qualificationFiles", new File([SAMPLE_PDF as Uint8Array<ArrayBuffer>], "资质.pdf"));
    body.append("contractFiles", new File([SAMPLE_PDF as Uint8Array<ArrayBuffer>], "合同.pdf"));
    return b.request("/me/provider-application", { method: "POST", body, headers: { Origin: "http://localhost" } });
  }

  it("a committed upload is in place (no temporary left); a rolled-back one leaves no bytes, no file row and no audit row", async () => {
    const b = await signIn(t, "13800000004");
    expect((await apply(b)).status).toBe(303);
    const filesAfterFirst = await count("select count(*)::int as n from files");
    const auditAfterFirst = await count("select count(*)::int as n from audit_events where action = 'provider_applied'");
    const keysAfterFirst = await listed();
    expect(keysAfterFirst.filter((k) => k.temporary)).toEqual([]);
    expect(keysAfterFirst).toHaveLength(filesAfterFirst);

    // A second application while the first is pending: both files are stored, then the insert
    // hits the one-open-application rule and the transaction rolls back.
    expect((await apply(b)).status).toBe(303);
    await b.get("/me/provider-application");
    expect(b.lastHtml).toContain("贵企业已有待审核的服务商申请，请勿重复提交");
    expect(await count("select count(*)::int as n from files")).toBe(filesAfterFirst);
    expect(await count("select count(*)::int as n from audit_events where action = 'provider_applied'")).toBe(auditAfterFirst);
    expect((await listed()).map((k) => k.key).sort()).toEqual(keysAfterFirst.map((k) => k.key).sort());
  });

  it("a transaction that throws after storing removes the bytes", async () => {
    const before = (await listed()).length;
    await expect(
      t.deps.db.transaction(async (tx) => {
        const stored = await t.deps.files.store(tx, { name: "a.pdf", bytes: SAMPLE_PDF, ownerEnterpriseId: null, purpose: "article", accountId: null });
        expect(stored.ok).toBe(true);
        expect((await listed()).filter((k) => k.temporary)).toHaveLength(1);
        throw new Error("later step fails");
      }),
    ).rejects.toThrow("later step fails");
    expect(await listed()).toHaveLength(before);
  });
});

describe("orphan sweep", () => {
  it("removes old orphans and stale temporaries, keeps referenced and young files, moves a committed temporary into place", async () => {
    const stored = await t.deps.files.store(null, { name: "kept.pdf", bytes: SAMPLE_PDF, ownerEnterpriseId: null, purpose: "article", accountId: null });
    if (!stored.ok) throw new Error(stored.message);
    const kept = stored.file.storageKey;
    await age(kept);
    const [orphan, young, staleTemp, committedTemp] = [randomToken(24), randomToken(24), randomToken(24), randomToken(24)];
    await store.put(orphan, new Uint8Array([1]));
    await age(orphan);
    await store.put(young, new Uint8Array([2]));
    await store.putTemporary(staleTemp, new Uint8Array([3]));
    await age(staleTemp, true);
    // The process died between the commit and the move: the row exists, the bytes are a temporary.
    await store.putTemporary(committedTemp, SAMPLE_PDF);
    await age(committedTemp, true);
    const row = await pgFiles(t.deps.db).insert({
      ownerEnterpriseId: null,
      purpose: "article",
      originalName: "crash.pdf",
      contentType: "application/pdf",
      sizeBytes: SAMPLE_PDF.length,
      sha256: "0".repeat(64),
      storageKey: committedTemp,
      uploadedByAccount: null,
    });

    const swept = await t.deps.files.sweepOrphans({ now: new Date() });
    expect(swept.removed).toBe(2);
    expect(swept.promoted).toBe(1);
    expect(await store.get(orphan)).toBeNull();
    expect(await store.get(young)).toEqual(new Uint8Array([2]));
    expect((await listed()).some((k) => k.key === staleTemp)).toBe(false);
    expect(await store.get(kept)).toEqual(SAMPLE_PDF);
    expect((await t.deps.files.readChecked(row.id))?.bytes).toEqual(SAMPLE_PDF);
    // Run again: nothing more to do.
    expect((await t.deps.files.sweepOrphans({ now: new Date() })).removed).toBe(0);
  });

  it("runs as a scheduled job on the job engine", async () => {
    const jobs = t.deps.jobs;
    try {
      await startJobs(t.deps);
      expect((await jobs.schedules()).filter((s) => s.name === SWEEP_JOB)).toEqual([{ name: SWEEP_JOB, cron: SWEEP_CRON }]);
      const orphan = randomToken(24);
      await store.put(orphan, new Uint8Array([9]));
      await age(orphan);
      await jobs.send(SWEEP_JOB);
      const end = Date.now() + 20_000;
      while ((await store.get(orphan)) !== null) {
        if (Date.now() > end) throw new Error("the sweep job did not run");
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await jobs.stop();
    }
  });
});
