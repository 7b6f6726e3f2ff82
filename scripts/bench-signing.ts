/**
 * npm run bench:signing [-- --orders 40] [-- --replays 500] [-- --concurrency 20]
 *
 * The signing path in one process, on PostgreSQL when DATABASE_URL is set (a schema of its own,
 * dropped at the end), else on PGlite: the demo platform with the mock e-signature provider
 * posting its signed callbacks into the app (no socket, as the tests do), both parties' seals made
 * through the provider's face-check page, then for `--orders` orders taken to 待签合同:
 *
 * 1. 发起签署 (`startFlow`): render the agreed version as a PDF, store it, create the flow at the
 *    provider; per order, one at a time: p50 / p99 / max;
 * 2. both signatures through the phone link and the provider's pages, each followed by its callbacks
 *    (signer.signed; signer.signed + flow.completed: download, stamp both seals, store two files,
 *    move the order to 待支付定金), timed per callback delivery;
 * 3. `--replays` replays of one stored callback, `--concurrency` in flight: requests/s through the
 *    inbox (stored, verified, claimed as a duplicate), then a check that nothing changed;
 * 4. the reconciler over the completed orders' flows (none open: the cost of one pass).
 *
 * Exits 1 when an order did not reach 待支付定金 or a replay changed anything.
 */
import { cpus, loadavg, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { makeTestApp } from "../tests/support/app.ts";
import { asMockEsign } from "../src/adapters/mock-esign/mock-esign.ts";
import { accountOf, productBy } from "../tests/support/orders.ts";
import { type SigningWorld, makeSeal, sign, signingOrder } from "../tests/support/signing.ts";
import { intOption } from "./lib/bench-args.ts";

const { values } = parseArgs({
  options: {
    orders: { type: "string", default: "40" },
    replays: { type: "string", default: "500" },
    concurrency: { type: "string", default: "20" },
  },
});
const ORDERS = intOption("orders", values.orders, 1, 2000);
const REPLAYS = intOption("replays", values.replays, 1, 100_000);
const CONCURRENCY = intOption("concurrency", values.concurrency, 1, 500);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const summary = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;

const t = await makeTestApp({ demo: true, mockCallbacks: true });
const failures: string[] = [];
try {
  const mock = asMockEsign(t.deps.esign)!;
  const w: SigningWorld = {
    t,
    mock,
    ent: await accountOf(t, "13800000001"),
    pro: await accountOf(t, "13800000008"),
    product: await productBy(t, "金属材料力学性能检测"),
  };
  console.log(
    `database: ${process.env.DATABASE_URL ? "PostgreSQL" : "PGlite"}; ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load ${loadavg()[0]!.toFixed(2)}`,
  );
  await makeSeal(w, w.ent);
  await makeSeal(w, w.pro);

  const ids: string[] = [];
  for (let i = 0; i < ORDERS; i++) ids.push(await signingOrder(w, { useVoucher: false }));

  const starts: number[] = [];
  for (const id of ids) {
    const t0 = performance.now();
    const r = await t.deps.signing.startFlow(id);
    starts.push(performance.now() - t0);
    if (!r.ok) failures.push(`start ${id}: ${JSON.stringify(r.errors)}`);
  }
  console.log(`发起签署 (render PDF, store, create flow): ${summary(starts)}`);

  // Time the callback handling alone: deliverDue() posts and handles the callbacks of one signature.
  const deliveries: number[] = [];
  const deliver = mock.deliverDue.bind(mock);
  mock.deliverDue = async () => {
    const t0 = performance.now();
    const n = await deliver();
    deliveries.push(performance.now() - t0);
    return n;
  };
  const t1 = performance.now();
  for (const id of ids) {
    await sign(w, w.ent, id, "enterprise");
    await sign(w, w.pro, id, "provider");
  }
  const signingMs = performance.now() - t1;
  mock.deliverDue = deliver;
  const ent = deliveries.filter((_, i) => i % 2 === 0);
  const done = deliveries.filter((_, i) => i % 2 === 1);
  console.log(`callbacks of the enterprise's signature (signer.signed): ${summary(ent)}`);
  console.log(`callbacks of the provider's signature (completed: download, stamp, store, 待支付定金): ${summary(done)}`);
  console.log(`both signatures through the pages, ${ORDERS} orders: ${(signingMs / 1000).toFixed(1)} s`);
  const [moved] = await t.deps.db.query<{ n: number }>(
    "select count(*)::int as n from orders where id = any($1::uuid[]) and status = 'awaiting_deposit'",
    [ids],
  );
  if (moved!.n !== ORDERS) failures.push(`${moved!.n} of ${ORDERS} orders reached 待支付定金`);

  // Replays of one stored callback through the inbox.
  const [row] = await t.deps.db.query<{ headers: Record<string, string>; raw: string }>(
    "select headers, encode(raw_body, 'escape') as raw from callback_inbox where verified and convert_from(raw_body, 'UTF8') like '%flow.completed%' order by id desc limit 1",
  );
  const before = await t.deps.db.query<{ events: number; orders: number }>(
    "select (select count(*)::int from callback_events) as events, (select count(*)::int from order_events) as orders",
  );
  let next = 0;
  const t2 = performance.now();
  let notOk = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REPLAYS) {
        next++;
        const res = await t.app.request("/callbacks/esign", { method: "POST", body: row!.raw, headers: { ...row!.headers } });
        if (res.status !== 200) notOk++;
        await res.arrayBuffer();
      }
    }),
  );
  const replayMs = performance.now() - t2;
  const after = await t.deps.db.query<{ events: number; orders: number }>(
    "select (select count(*)::int from callback_events) as events, (select count(*)::int from order_events) as orders",
  );
  console.log(
    `${REPLAYS} replays of one callback, ${CONCURRENCY} in flight: ${((REPLAYS / replayMs) * 1000).toFixed(0)} requests/s (${(replayMs / 1000).toFixed(1)} s); non-200: ${notOk}`,
  );
  if (after[0]!.events !== before[0]!.events || after[0]!.orders !== before[0]!.orders) failures.push("a replay changed something");

  const t3 = performance.now();
  const run = await t.deps.signing.reconcile({ olderThanMinutes: 0 });
  console.log(`reconciler pass: ${(performance.now() - t3).toFixed(1)} ms, ${run.checked} open flows checked`);
} finally {
  await t.close();
}
if (failures.length) {
  console.error(failures.join("\n"));
  process.exit(1);
}
