import { parseArgs } from "node:util";
import { openPostgres } from "../src/adapters/postgres.ts";
import { submissionKey } from "../src/modules/orders/domain.ts";
import { type Server, processTree } from "../tests/support/processes.ts";
import { until } from "./lib/bench-args.ts";
import { type Answer, Client, formOf, signIn as signInAs } from "./lib/bench-http.ts";
import { checkConfirmedOrders, checkOrdersAgainstLedger } from "./lib/order-ledger-checks.ts";
import { type Cleanups, runCleanups, startCluster } from "./lib/cluster.ts";

const { values } = parseArgs({ options: { orders: { type: "string", default: "80" } } });
const ORDERS = Number(values.orders);
if (!Number.isInteger(ORDERS) || ORDERS < 4 || ORDERS > 2000) throw new Error("--orders must be an integer between 4 and 2000");
const CAPTCHA = "FAULTS";
const PASSWORD = "Demo#2026";
const PRODUCT = "金属材料力学性能检测";

const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  console.log(`  ${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};
const cleanups: Cleanups = [];

/** Sends the request; a refused or reset connection (the instance is gone) answers null. */
async function attempt(p: Promise<Answer>): Promise<Answer | null> {
  try {
    return await p;
  } catch {
    return null;
  }
}

const signIn = (base: string, phone: string) => signInAs(base, phone, PASSWORD, CAPTCHA);

/** A client on the other instance with the same cookies (the session is in the shared Redis). */
function twin(c: Client, base: string): Client {
  const t = new Client(base);
  t.cookies = c.cookies;
  return t;
}

const started = performance.now();
try {
  const { pg, redis, start } = await startCluster("bench-faults", cleanups, { captcha: CAPTCHA, timeoutMs: 120_000 });
  console.log(`Own PostgreSQL on port ${pg.port}, own Redis on port ${redis.port}`);
  // A first (migrations, demo data, generated keys in the shared data directory), then B.
  const A: Server = await start();
  const B: Server = await start();
  console.log(`Two instances: A ${A.url}, B ${B.url}`);
  const db = await openPostgres(pg.url, { max: 2 });
  cleanups.push(() => db.close());

  // ---- 1. kill -9 of B in the middle of order submissions ----
  console.log(`\n1. ${ORDERS} submissions through A and B in turn; kill -9 of B when half are confirmed`);
  const [product] = await db.query<{ product_id: string }>("select product_id from product_listings where title = $1", [PRODUCT]);
  const phones = ["13800000001", "13800000002"];
  const enterprises = await Promise.all(phones.map((p) => signIn(A.url, p)));
  const confirmed = new Map<string, string>(); // phone/submission key -> order id
  let retriedOnA = 0;
  let killedAt = -1;
  const seenStatuses: number[] = [];
  const submit = async (k: number) => {
    const ent = enterprises[k % 2]!;
    const via = k % 2 === 0 || killedAt >= 0 ? ent : twin(ent, B.url);
    const page =
      (await attempt(via.get(`/me/orders/new?product=${product!.product_id}`))) ?? (await ent.get(`/me/orders/new?product=${product!.product_id}`));
    const form = formOf(page.html, "/me/orders");
    if (!form) throw new Error(`no 提交订单 form (${page.status})`);
    // Each submission its own form key (one person's one form; parallel page loads would share one).
    form.submissionKey = submissionKey(product!.product_id, 1_000 + k);
    let res = await attempt(via.post("/me/orders", form));
    if (!res || res.status >= 500) {
      if (res) seenStatuses.push(res.status);
      retriedOnA++;
      res = await ent.post("/me/orders", form);
    }
    seenStatuses.push(res.status);
    const id = res.status === 303 ? res.location?.match(/\/me\/orders\/([0-9a-f-]{36})$/)?.[1] : undefined;
    if (id) confirmed.set(`${phones[k % 2]}/${form.submissionKey}`, id);
  };
  const inFlight = 8;
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < ORDERS) {
        const k = next++;
        if (killedAt < 0 && confirmed.size >= ORDERS / 2) {
          killedAt = confirmed.size;
          for (const pid of processTree(B.child.pid)) {
            try {
              process.kill(pid, "SIGKILL");
            } catch {
              // gone already
            }
          }
        }
        await submit(k);
      }
    }),
  );
  check(killedAt >= 0, `B killed (SIGKILL of its process tree) after ${killedAt} confirmed submissions`);
  check(
    confirmed.size === ORDERS,
    `every submission confirmed in the end: ${confirmed.size} of ${ORDERS} (${retriedOnA} posted again to A after B was gone)`,
  );
  // Every order of the two enterprises (the demo gives them none) against what the client saw confirmed.
  const seen = [...confirmed].map(([key, id]) => ({ key, id }));
  for (const c of await checkConfirmedOrders(db, seen, phones)) check(c.failures.length === 0, c.name);
  check(!seenStatuses.some((s) => s === 500), `no 500 answer (statuses seen: ${[...new Set(seenStatuses)].sort().join(", ")})`);
  for (const c of await checkOrdersAgainstLedger(db)) check(c.failures.length === 0, `ledger: ${c.name}`);
  const after = await enterprises[0]!.get("/me/orders");
  check(after.status === 200, "A carries on: 我购买的服务 answers 200");

  // ---- 2. Redis killed, started again empty ----
  console.log("\n2. Redis killed (SIGKILL) and started again empty");
  const signedIn = enterprises[1]!;
  await redis.kill();
  const down = await signedIn.get("/me/vouchers");
  const anon = await new Client(A.url).get("/");
  check(down.status === 503 && down.html.includes("服务暂时不可用"), `a signed-in page while Redis is down: ${down.status} 服务暂时不可用`);
  check(anon.status === 200 || anon.status === 503, `首页 while Redis is down: ${anon.status} (not 500)`);
  const ready = await fetch(`${A.url}/readyz`);
  check(ready.status === 503, `/readyz while Redis is down: ${ready.status} ${JSON.stringify(await ready.json())}`);
  await redis.start();
  const back = await until("the signed-in page after Redis is back", async () => {
    const r = await signedIn.get("/me/vouchers");
    return r.status === 503 ? undefined : r;
  });
  check(back.status === 303 && (back.location ?? "").includes("/login"), `after the restart the session is gone: ${back.status} to ${back.location}`);
  const again = await signIn(A.url, "13800000002");
  check((await again.get("/me/vouchers")).status === 200, "signing in again works: 我的服务券 200");
  const guess = new Client(A.url);
  const login = await guess.get("/login");
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) {
    const f = formOf((i ? await guess.get("/login") : login).html, "/login/password")!;
    statuses.push((await guess.post("/login/password", { ...f, phone: "13800000003", password: `wrong-${i}-x`, captcha: CAPTCHA })).status);
  }
  check(statuses.slice(5).includes(429), `the login back-off counts again in the new Redis: ${statuses.join(", ")}`);

  // ---- 3. PostgreSQL stopped and started ----
  console.log("\n3. PostgreSQL stopped (pg_ctl stop -m fast) and started again");
  const [before] = await db.query<{ folded_at: Date }>("select folded_at from dashboard_state");
  await pg.stop();
  const r1 = await fetch(`${A.url}/readyz`);
  const page = await new Client(A.url).get("/services");
  check(r1.status === 503, `/readyz while PostgreSQL is down: ${r1.status} ${JSON.stringify(await r1.json())}`);
  check(page.status === 503 && page.html.includes("服务暂时不可用"), `服务产品 while PostgreSQL is down: ${page.status}, the Chinese 503 page`);
  await pg.start();
  const t0 = performance.now();
  const home = await until("首页 after PostgreSQL is back", async () => {
    const r = await new Client(A.url).get("/");
    return r.status === 200 ? r : undefined;
  });
  check(
    home.status === 200,
    `首页 answers 200 again ${((performance.now() - t0) / 1000).toFixed(1)} s after the server was back, without restarting the app`,
  );
  check((await again.get("/me/vouchers")).status === 200, "the session (in Redis) survived PostgreSQL's restart");
  const folded = await until(
    "数据看板's fold after the restart",
    async () => {
      const [s] = await db.query<{ folded_at: Date }>("select folded_at from dashboard_state");
      return s && before && s.folded_at > before.folded_at ? s : undefined;
    },
    150_000,
  );
  check(!!folded, `the job engine runs its recurring jobs again (数据看板 folded at ${folded.folded_at.toISOString()})`);
} finally {
  await runCleanups(cleanups);
}
console.log(`\n${failures.length ? `${failures.length} check(s) failed` : "All checks passed"} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
process.exit(failures.length ? 1 : 0);
