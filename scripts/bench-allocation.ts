/**
 * npm run bench:allocation -- --enterprises 100000 [--keep]
 *
 * Seeds N certified enterprises (set-based) into a fresh schema of the PostgreSQL at DATABASE_URL
 * (default postgres://postgres@127.0.0.1:5432/test), opens a 通用券 programme and times the annual
 * allocation through the real use case (voucherService.allocate), then runs it again to show
 * it creates nothing twice. The schema is dropped at the end unless --keep is given.
 */
import pino from "pino";
import { migrate } from "../src/adapters/migrate.ts";
import { openPostgres } from "../src/adapters/postgres.ts";
import { memoryCache } from "../src/adapters/memory-cache.ts";
import { buildDeps } from "../src/compose.ts";
import { loadConfig } from "../src/config.ts";

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const N = Number(arg("enterprises", "100000"));
const keep = args.includes("--keep");
const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
if (!Number.isInteger(N) || N < 1 || N > 5_000_000) {
  console.error("--enterprises must be an integer between 1 and 5000000");
  process.exit(2);
}

const schema = `bench_alloc_${Date.now()}`;
const admin = await openPostgres(url, { max: 1, statementTimeoutMs: 600_000 });
await admin.exec(`create schema ${schema}`);
const db = await openPostgres(url, { searchPath: schema, max: 4, statementTimeoutMs: 600_000 });
const ms = (t: number) => `${(performance.now() - t).toFixed(0)} ms`;
try {
  await migrate(db);
  let t = performance.now();
  await db.exec(`
    insert into accounts (id, phone)
      select md5('bench' || g)::uuid, (15000000000 + g)::text from generate_series(1, ${N}) g;
    insert into enterprises (account_id, name, certification_status, size_class, city_code, credit_code, certified_at)
      select md5('bench' || g)::uuid, '基准测试企业' || g, 'certified',
             (array['large','medium','small','micro'])[1 + (g % 4)], '450100', 'BENCH' || g, now()
        from generate_series(1, ${N}) g;
    insert into admin_users (username, display_name, password_hash, role) values ('bench', '基准', 'x', 'super_admin');
    analyze;`);
  console.log(`seeded ${N} certified enterprises in ${ms(t)}`);

  const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", DEMO_DATA: "false", DATA_DIR: "/tmp/gxv-bench" });
  const deps = await buildDeps(config, { db, cache: memoryCache(), log: pino({ level: "silent" }) });
  const [{ id: adminId }] = (await db.query<{ id: string }>("select id from admin_users where username = 'bench'")) as [{ id: string }];
  const staff = { id: adminId, role: "super_admin" };
  const saved = await deps.vouchers.saveProgramme(staff, null, {
    year: 2026,
    kind: "general",
    name: "基准通用券",
    description: "",
    status: "open",
    subsidyRateBp: 3000,
    perOrderCapFen: 5_000_000,
    quotaLargeFen: 10_000_000,
    quotaMediumFen: 6_000_000,
    quotaSmallFen: 3_000_000,
    quotaMicroFen: 1_000_000,
    requiresDocuments: false,
    isExample: false,
    applyFrom: "2026-01-01",
    applyTo: "2099-12-31",
    validFrom: "2026-01-01",
    validTo: "2099-12-31",
    categories: ["digital"],
  });
  if (!saved.ok) throw new Error(JSON.stringify(saved.errors));

  t = performance.now();
  const first = await deps.vouchers.allocate(staff, saved.value.id);
  const firstMs = performance.now() - t;
  if (!first.ok) throw new Error(JSON.stringify(first.errors));
  t = performance.now();
  const second = await deps.vouchers.allocate(staff, saved.value.id);
  const secondMs = performance.now() - t;
  if (!second.ok) throw new Error(JSON.stringify(second.errors));
  const [{ n }] = (await db.query<{ n: number }>("select count(*)::int as n from quota_applications")) as [{ n: number }];

  console.log("");
  console.log("| run | eligible | created | time |");
  console.log("|---|---|---|---|");
  console.log(`| first | ${first.value.eligible} | ${first.value.created} | ${firstMs.toFixed(0)} ms |`);
  console.log(`| again | ${second.value.eligible} | ${second.value.created} | ${secondMs.toFixed(0)} ms |`);
  console.log("");
  console.log(`applications in the database: ${n} (expected ${N})`);
  if (n !== N || second.value.created !== 0) {
    console.error("allocation is not exact or not idempotent");
    process.exitCode = 1;
  }
} finally {
  await db.close();
  if (!keep) await admin.exec(`drop schema ${schema} cascade`);
  else console.log(`kept schema ${schema}`);
  await admin.close();
}
