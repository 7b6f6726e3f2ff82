/**
 * npm run seed:scale [-- --schema NAME] [-- --providers 5000] [-- --products 50000] [-- --seed N]
 *                    [-- --enterprises 100000 --orders 1000000 --ledger 10000000]
 * npm run seed:scale -- --pglite DIR --enterprises 2000 --orders 20000 --ledger 0
 *
 * Fills a database with data at scale: 5,000 certified provider enterprises (account, enterprise,
 * approved 服务商 application, active provider) and 50,000 listed service products (product,
 * approved revision, public listing with the same search terms the app computes); then 100,000
 * certified manufacturing enterprises with a 通用券 account for last year and this year, 1,000,000
 * orders over those two years on the listed products, and about 10,000,000 voucher ledger rows
 * (scripts/lib/seed-scale-orders.ts); the dashboard's rollups are rebuilt from the ledger at the end.
 * `--enterprises 0` seeds the catalog only (as before).
 *
 * PostgreSQL at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test): the data goes into
 * the schema --schema NAME (created if missing) or into a fresh `scale_<timestamp>` schema, which
 * is kept and printed (drop it with `drop schema NAME cascade`). The migrations run first.
 * With --pglite DIR the embedded database in DIR is used instead (slower).
 * Running again into the same schema adds as many again.
 */
import { parseArgs } from "node:util";
import { migrate } from "../src/adapters/migrate.ts";
import { openPglite } from "../src/adapters/pglite.ts";
import { openPostgres } from "../src/adapters/postgres.ts";
import type { Db } from "../src/ports/db.ts";
import { seedScale } from "./lib/seed-scale.ts";
import { intOption } from "./lib/bench-args.ts";

const { values } = parseArgs({
  options: {
    schema: { type: "string" },
    pglite: { type: "string" },
    providers: { type: "string", default: "5000" },
    products: { type: "string", default: "50000" },
    enterprises: { type: "string", default: "100000" },
    orders: { type: "string", default: "1000000" },
    ledger: { type: "string", default: "10000000" },
    seed: { type: "string", default: "20261128" },
  },
});
const providers = intOption("providers", values.providers, 1, 1_000_000);
const products = intOption("products", values.products, 0, 10_000_000);
const seed = intOption("seed", values.seed, 0, 2 ** 31);
const enterprises = intOption("enterprises", values.enterprises, 0, 10_000_000);
const orders = intOption("orders", values.orders, 0, 100_000_000);
const ledger = intOption("ledger", values.ledger, 0, 1_000_000_000);
if (orders > 0 && (enterprises === 0 || products === 0)) {
  console.error("--orders needs --enterprises and --products");
  process.exit(2);
}
const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = values.schema ?? `scale_${Date.now()}`;
if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
  console.error("--schema must be a lower-case SQL identifier (a-z, 0-9, _)");
  process.exit(2);
}

let db: Db;
let where: string;
if (values.pglite) {
  db = await openPglite(values.pglite);
  where = `PGlite in ${values.pglite}`;
} else {
  const admin = await openPostgres(url, { max: 1 });
  await admin.exec(`create schema if not exists ${schema}`);
  await admin.close();
  db = await openPostgres(url, { searchPath: schema, max: 2, statementTimeoutMs: 600_000 });
  const u = new URL(url);
  where = `PostgreSQL ${u.hostname}:${u.port || 5432}${u.pathname}, schema ${schema}`;
}
console.log(`Database: ${where}`);
try {
  const t = performance.now();
  const applied = await migrate(db);
  if (applied.length) console.log(`Applied migrations: ${applied.join(", ")} (${(performance.now() - t).toFixed(0)} ms)`);
  const r = await seedScale(db, { providers, products, enterprises, orders, ledger, seed, log: (l) => console.log(`  ${l}`) });
  const [c] = await db.query<{ providers: number; products: number; listings: number; revisions: number }>(
    `select (select count(*)::int from providers where status = 'active') as providers, (select count(*)::int from products where status = 'listed') as products,
            (select count(*)::int from product_listings) as listings, (select count(*)::int from product_revisions) as revisions`,
  );
  console.log(
    `Seeded ${r.providers} providers and ${r.products} listed products in ${(r.ms / 1000).toFixed(1)} s ` +
      `(providers ${(r.providersMs / 1000).toFixed(1)} s, products ${(r.productsMs / 1000).toFixed(1)} s, vacuum analyze ${(r.vacuumMs / 1000).toFixed(1)} s).`,
  );
  console.log(
    `Now in the database: ${c!.providers} active providers, ${c!.products} listed products, ${c!.revisions} revisions, ${c!.listings} listings.`,
  );
  if (r.orders) {
    const [o] = await db.query<{ enterprises: number; accounts: number; orders: number; ledger: number }>(
      `select (select count(*)::int from enterprises where not is_provider) as enterprises, (select count(*)::int from voucher_accounts) as accounts,
              (select count(*)::int from orders) as orders, (select count(*)::int from voucher_ledger) as ledger`,
    );
    console.log(
      `Seeded ${r.orders.enterprises} enterprises (${r.orders.accounts} voucher accounts) in ${(r.orders.enterprisesMs / 1000).toFixed(1)} s, ` +
        `${r.orders.orders} orders and their ledger in ${(r.orders.ordersMs / 1000).toFixed(1)} s, dashboard rebuild ${(r.orders.rebuildMs / 1000).toFixed(1)} s.`,
    );
    console.log(
      `Now in the database: ${o!.enterprises} enterprises that are not providers, ${o!.accounts} voucher accounts, ${o!.orders} orders, ${o!.ledger} ledger rows.`,
    );
  }
  if (!values.pglite) console.log(`Schema kept: ${schema}  (DATABASE_URL=${url} with search_path=${schema}; drop with: drop schema ${schema} cascade)`);
} finally {
  await db.close();
}
