import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPglite } from "../../src/adapters/pglite.ts";
import { openPostgres } from "../../src/adapters/postgres.ts";
import type { Db } from "../../src/ports/db.ts";
import { DATABASE_URL } from "../support/db.ts";
import { ROOT, childEnv, freshDatabase, run, tempDir } from "../support/processes.ts";

/**
 * The operator scripts (npm run migrate, npm run admin:create) run as real child processes, the way
 * an operator runs them, against the embedded PGlite in a temporary DATA_DIR and, when DATABASE_URL
 * is set (CI), against a freshly created PostgreSQL database.
 */
const TSX = join(ROOT, "node_modules/.bin/tsx");
const SLOW = 90_000; // a child process: tsx start-up plus opening (or creating) the database

type Target = {
  name: string;
  setup: () => Promise<{ env: Record<string, string>; open: () => Promise<Db>; cleanup: () => Promise<void> }>;
};

const targets: Target[] = [
  {
    name: "PGlite in DATA_DIR",
    setup: async () => {
      const data = await tempDir("gxv-cli-");
      // Opened only after the child processes have exited: PGlite allows one process per folder.
      return { env: { DATA_DIR: data.dir }, open: () => openPglite(join(data.dir, "pglite")), cleanup: data.remove };
    },
  },
];
if (DATABASE_URL) {
  const serverUrl = DATABASE_URL;
  targets.push({
    name: "PostgreSQL (fresh database)",
    setup: async () => {
      const data = await tempDir("gxv-cli-");
      const db = await freshDatabase(serverUrl, "cli_test");
      return {
        env: { DATABASE_URL: db.url, DATA_DIR: data.dir },
        open: () => openPostgres(db.url, { max: 1 }),
        cleanup: async () => {
          await db.drop();
          await data.remove();
        },
      };
    },
  });
}

describe.each(targets)("CLI scripts on $name", (target) => {
  let env: NodeJS.ProcessEnv;
  let open: () => Promise<Db>;
  let cleanup = async () => {};
  beforeAll(async () => {
    const t = await target.setup();
    env = childEnv({ ...t.env, LOG_LEVEL: "warn" });
    open = t.open;
    cleanup = t.cleanup;
  }, SLOW);
  afterAll(() => cleanup(), SLOW);

  const cli = (script: string, args: string[] = [], extraEnv: Record<string, string> = {}) =>
    run(TSX, [`src/cli/${script}.ts`, ...args], { env: { ...env, ...extraEnv }, timeoutMs: SLOW });

  async function adminRows(username: string) {
    const db = await open();
    try {
      const admins = await db.query<{ id: string; display_name: string; role: string; password_hash: string; status: string }>(
        "select id, display_name, role, password_hash, status from admin_users where username = $1",
        [username],
      );
      const audits = await db.query<{ actor_type: string; action: string }>(
        "select actor_type, action from audit_events where entity_type = 'admin_user' and entity_id = $1",
        [admins[0]?.id ?? "00000000-0000-0000-0000-000000000000"],
      );
      return { admins, audits };
    } finally {
      await db.close();
    }
  }

  it(
    "npm run migrate applies the migrations once and reports them",
    async () => {
      const first = await cli("migrate");
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toContain("Applied");
      expect(first.stdout).toContain("0001_identity");

      const second = await cli("migrate");
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toContain("up to date");
      expect(second.stdout).not.toContain("0001_identity");
    },
    SLOW * 2,
  );

  it(
    "npm run admin:create creates the admin with ADMIN_PASSWORD, hashed and audited",
    async () => {
      const res = await cli("admin-create", ["--username", "ops.lead", "--name", "运维负责人", "--role", "operator"], {
        ADMIN_PASSWORD: "Ops#Lead2026",
      });
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain('Created admin "ops.lead"');
      expect(res.stdout + res.stderr).not.toContain("Ops#Lead2026");

      const { admins, audits } = await adminRows("ops.lead");
      expect(admins).toHaveLength(1);
      expect(admins[0]).toMatchObject({ display_name: "运维负责人", role: "operator", status: "active" });
      expect(admins[0]!.password_hash).toMatch(/^scrypt\$/);
      expect(admins[0]!.password_hash).not.toContain("Ops#Lead2026");
      expect(audits).toEqual([{ actor_type: "system", action: "created" }]);
    },
    SLOW,
  );

  it(
    "a second admin:create with the same username fails with exit code 1 and a clear message",
    async () => {
      const res = await cli("admin-create", ["--username", "ops.lead"], { ADMIN_PASSWORD: "Another#2026x" });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('admin "ops.lead" was not created');
      expect(res.stderr).toContain("该用户名已存在");
      expect(res.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace

      const { admins } = await adminRows("ops.lead");
      expect(admins).toHaveLength(1);
      expect(admins[0]!.role).toBe("operator");
    },
    SLOW,
  );

  it(
    "admin:create refuses to run without a password when there is no terminal to ask on",
    async () => {
      const res = await cli("admin-create", ["--username", "nopass"]);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain("ADMIN_PASSWORD");
      const { admins } = await adminRows("nopass");
      expect(admins).toHaveLength(0);
    },
    SLOW,
  );
});
