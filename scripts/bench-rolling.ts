import { parseArgs } from "node:util";
import { openPostgres } from "../src/adapters/postgres.ts";
import { submissionKey } from "../src/modules/orders/domain.ts";
import { type Server, freePort } from "../tests/support/processes.ts";
import { startBalancer } from "./lib/balancer.ts";
import { intOption, quantile, until } from "./lib/bench-args.ts";
import { type Answer, Client, formOf, signIn as signInAs } from "./lib/bench-http.ts";
import { checkOrdersAgainstLedger } from "./lib/order-ledger-checks.ts";
import { type Cleanups, runCleanups, startCluster } from "./lib/cluster.ts";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "60" }, rounds: { type: "string", default: "2" }, clients: { type: "string", default: "8" } },
});
const SECONDS = intOption("seconds", values.seconds, 1, 3600);
const ROUNDS = intOption("rounds", values.rounds, 1, 20);
const CLIENTS = intOption("clients", values.clients, 1, 64);
const CAPTCHA = "ROLLING";
const PASSWORD = "Demo#2026";
const PRODUCT = "金属材料力学性能检测";
const ORDER_PHONES = ["13800000001", "13800000002", "13800000003", "13800000004"];
const MESSAGE_PHONES = ["13800000005", "13800000006", "13800000007", "13800000008", "13800000009"];
const MESSAGES_PER_ACCOUNT = 10; // RATE_LIMITS.accountPerHour

const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  console.log(`  ${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};
const cleanups: Cleanups = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const signIn = (base: string, phone: string) => signInAs(base, phone, PASSWORD, CAPTCHA);

/** What the clients saw. */
const seen = {
  requests: 0,
  noAnswer: [] as string[],
  byStatus: new Map<number, number>(),
  fiveXx: [] as string[],
  /** Signed-in pages that did not answer 200 (a lost session would show here). */
  unexpected: [] as string[],
  ms: [] as number[],
};
async function send(what: string, p: Promise<Answer>): Promise<Answer | null> {
  seen.requests++;
  try {
    const a = await p;
    seen.byStatus.set(a.status, (seen.byStatus.get(a.status) ?? 0) + 1);
    seen.ms.push(a.ms);
    if (a.status >= 500) seen.fiveXx.push(`${what}: ${a.status}${a.status === 502 ? ` ${a.html.slice(0, 40)}` : ""}`);
    return a;
  } catch (err) {
    seen.noAnswer.push(`${what}: ${(err as Error).message}`);
    return null;
  }
}

const started = performance.now();
try {
  const cluster = await startCluster("bench-rolling", cleanups, {
    captcha: CAPTCHA,
    settings: { TRUST_PROXY: "127.0.0.1", SHUTDOWN_GRACE_MS: "1000", SHUTDOWN_TIMEOUT_MS: "30000" },
    timeoutMs: 120_000,
  });
  const { pg, redis } = cluster;
  console.log(`Own PostgreSQL on port ${pg.port}, own Redis on port ${redis.port}`);
  const instances: { name: string; port: number; server: Server; exits: (number | null)[]; drainMs: number[]; startMs: number[] }[] = [];
  // A first (migrations, demo data, generated keys in the shared data directory), then B.
  for (const name of ["A", "B"]) {
    const port = await freePort();
    instances.push({ name, port, server: await cluster.start(port), exits: [], drainMs: [], startMs: [] });
  }
  const lb = await startBalancer({ backends: instances.map((i) => i.server.url), checkMs: 200 });
  cleanups.push(() => lb.close());
  console.log(`Two instances: ${instances.map((i) => `${i.name} ${i.server.url}`).join(", ")}; balancer ${lb.url}`);
  const db = await openPostgres(pg.url, { max: 2 });
  cleanups.push(() => db.close());

  const [product] = await db.query<{ product_id: string }>("select product_id from product_listings where title = $1", [PRODUCT]);
  if (!product) throw new Error(`no product ${PRODUCT} in the demo data`);
  const orderers = await Promise.all(ORDER_PHONES.map((p) => signIn(lb.url, p)));
  const writers = await Promise.all(MESSAGE_PHONES.map((p) => signIn(lb.url, p)));
  const phones = [...ORDER_PHONES, ...MESSAGE_PHONES];
  const countOf = async (table: "orders" | "messages") => {
    const [r] = await db.query<{ n: number }>(
      table === "orders"
        ? "select count(*)::int as n from orders o join enterprises e on e.id = o.enterprise_id join accounts a on a.id = e.account_id where a.phone = any($1::text[])"
        : "select count(*)::int as n from messages m join accounts a on a.id = m.account_id where a.phone = any($1::text[])",
      [`{${phones.join(",")}}`],
    );
    return r!.n;
  };
  const before = { orders: await countOf("orders"), messages: await countOf("messages") };

  // ---- the load ----
  const confirmedOrders = new Map<string, string>(); // phone/submission key -> order id
  const confirmedMessages: string[] = []; // 留言编号
  const postsUnconfirmed: string[] = [];
  const messagesLeft = MESSAGE_PHONES.map(() => MESSAGES_PER_ACCOUNT);
  let stop = false;
  let n = 0;
  const step = async (client: number, k: number) => {
    const kind = k % 8;
    if (kind <= 2) {
      const path = ["/", "/services", "/news"][kind]!;
      await send(`GET ${path}`, new Client(lb.url).get(path));
    } else if (kind <= 4) {
      const c = orderers[k % orderers.length]!;
      const path = kind === 3 ? "/me/vouchers" : "/me/orders";
      const a = await send(`GET ${path}`, c.get(path));
      if (a && a.status !== 200) seen.unexpected.push(`GET ${path} (signed in): ${a.status}`);
    } else if (kind <= 6) {
      const i = (client + k) % orderers.length;
      const c = orderers[i]!;
      const page = await send("GET 提交订单 form", c.get(`/me/orders/new?product=${product.product_id}`));
      const form = page && formOf(page.html, "/me/orders");
      if (!form) return;
      form.submissionKey = submissionKey(product.product_id, 10_000 + k);
      let res = await send("POST /me/orders", c.post("/me/orders", form));
      if (res?.status === 422 && form.useVoucher && res.html.includes("服务券可用额度已用完")) {
        // Other submissions used up the voucher since the page was shown: untick 使用补贴券 and submit again.
        delete form.useVoucher;
        res = await send("POST /me/orders (without the voucher)", c.post("/me/orders", form));
      }
      const id = res?.status === 303 ? res.location?.match(/\/me\/orders\/([0-9a-f-]{36})$/)?.[1] : undefined;
      if (id) confirmedOrders.set(`${ORDER_PHONES[i]}/${form.submissionKey}`, id);
      else postsUnconfirmed.push(`POST /me/orders: ${res?.status ?? "no answer"}`);
    } else {
      const i = messagesLeft.findIndex((left) => left > 0);
      if (i < 0) {
        await send("GET /news", new Client(lb.url).get("/news"));
        return;
      }
      messagesLeft[i]!--;
      const c = writers[i]!;
      const page = await send("GET 我要留言 form", c.get("/messages/new"));
      const form = page && formOf(page.html, "/messages");
      if (!form) return;
      const res = await send(
        "POST /messages",
        c.post("/messages", { ...form, category: "suggestion", content: `滚动重启测试留言，第${k}条`, contactPhone: MESSAGE_PHONES[i]! }),
      );
      const ref = res?.status === 303 ? new URL(res.location ?? "", lb.url).searchParams.get("ref") : null;
      if (ref) confirmedMessages.push(ref);
      else postsUnconfirmed.push(`POST /messages: ${res?.status ?? "no answer"}`);
    }
  };
  const load = Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      while (!stop) await step(client, n++);
    }),
  );

  // ---- the rolling restarts ----
  const loadStarted = performance.now();
  console.log(`\nLoad: ${CLIENTS} clients for at least ${SECONDS} s; ${ROUNDS} round(s) of restarting A, then B`);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const inst of instances) {
      // Let the load run on both for a moment before each restart.
      await sleep(Math.min(3000, (SECONDS * 1000) / (2 * ROUNDS + 1)));
      const exited = new Promise<number | null>((r) =>
        inst.server.child.exitCode !== null ? r(inst.server.child.exitCode) : inst.server.child.once("exit", (code) => r(code)),
      );
      const t0 = performance.now();
      inst.server.child.kill("SIGTERM");
      const code = await exited;
      await inst.server.stop(); // every process of its tree gone
      inst.exits.push(code);
      inst.drainMs.push(performance.now() - t0);
      const t1 = performance.now();
      inst.server = await cluster.start(inst.port);
      await until(`the balancer to send to ${inst.name} again`, async () => {
        await lb.check();
        return lb.backends.find((b) => b.url === inst.server.url)?.ready ? true : undefined;
      });
      inst.startMs.push(performance.now() - t1);
      console.log(
        `  round ${round}: ${inst.name} exited with ${code} after ${(inst.drainMs.at(-1)! / 1000).toFixed(1)} s, ready again after ${(inst.startMs.at(-1)! / 1000).toFixed(1)} s`,
      );
    }
  }
  const rest = SECONDS * 1000 - (performance.now() - loadStarted);
  if (rest > 0) await sleep(rest);
  stop = true;
  await load;
  const loadSeconds = (performance.now() - loadStarted) / 1000;

  // ---- what the clients saw ----
  const sorted = [...seen.ms].sort((a, b) => a - b);
  const statuses = [...seen.byStatus].sort((a, b) => a[0] - b[0]).map(([s, c]) => `${s}: ${c}`);
  console.log(
    `\n${seen.requests} requests in ${loadSeconds.toFixed(1)} s (${(seen.requests / loadSeconds).toFixed(0)}/s), p50 ${quantile(sorted, 0.5).toFixed(0)} ms, p99 ${quantile(sorted, 0.99).toFixed(0)} ms; statuses ${statuses.join(", ")}`,
  );
  console.log(
    `Balancer: ${lb.stats.requests} requests, ${lb.stats.retried} retried on the other instance (never answered by the first), ${lb.stats.failed} failed`,
  );
  console.log(`${confirmedOrders.size} orders and ${confirmedMessages.length} messages confirmed\n`);
  for (const inst of instances) {
    check(
      inst.exits.every((c) => c === 0),
      `${inst.name} exited 0 on every SIGTERM (${inst.exits.join(", ")}); drains ${inst.drainMs.map((ms) => (ms / 1000).toFixed(1)).join(", ")} s, starts ${inst.startMs.map((ms) => (ms / 1000).toFixed(1)).join(", ")} s`,
    );
  }
  check(seen.noAnswer.length === 0, `every request answered: ${seen.noAnswer.length} without an answer ${seen.noAnswer.slice(0, 3).join("; ")}`);
  check(seen.fiveXx.length === 0, `no 5xx (nor 502 from the balancer): ${seen.fiveXx.length} ${seen.fiveXx.slice(0, 3).join("; ")}`);
  check(seen.unexpected.length === 0, `every signed-in page 200 (sessions kept): ${seen.unexpected.length} not ${seen.unexpected.slice(0, 3).join("; ")}`);
  check(postsUnconfirmed.length === 0, `every POST confirmed: ${postsUnconfirmed.length} not ${postsUnconfirmed.slice(0, 3).join("; ")}`);

  // ---- the database against what the clients were told ----
  const orders = (
    await db.query<{ id: string; phone: string; submission_key: string }>(
      `select o.id, a.phone, o.submission_key from orders o join enterprises e on e.id = o.enterprise_id join accounts a on a.id = e.account_id
        where a.phone = any($1::text[])`,
      [`{${ORDER_PHONES.join(",")}}`],
    )
  ).map((o) => ({ id: o.id, key: `${o.phone}/${o.submission_key}` }));
  const byKey = new Map<string, number>();
  for (const o of orders) byKey.set(o.key, (byKey.get(o.key) ?? 0) + 1);
  check(
    [...confirmedOrders].every(([key, id]) => orders.some((o) => o.id === id && o.key === key)),
    `every confirmed order exists (${confirmedOrders.size})`,
  );
  const afterOrders = await countOf("orders");
  check(
    afterOrders - before.orders === confirmedOrders.size,
    `no order nobody was told of: ${afterOrders - before.orders} new orders for ${confirmedOrders.size} confirmations`,
  );
  check(
    [...byKey.values()].every((c) => c === 1),
    "one order per submission key",
  );
  const msgs = await db.query<{ reference: string }>("select reference from messages where reference = any($1::text[])", [
    `{${confirmedMessages.join(",")}}`,
  ]);
  const afterMessages = await countOf("messages");
  check(
    msgs.length === confirmedMessages.length && new Set(msgs.map((m) => m.reference)).size === msgs.length,
    `every confirmed message exists once (${confirmedMessages.length})`,
  );
  check(
    afterMessages - before.messages === confirmedMessages.length,
    `no message nobody was told of: ${afterMessages - before.messages} new messages for ${confirmedMessages.length} confirmations`,
  );
  for (const c of await checkOrdersAgainstLedger(db)) check(c.failures.length === 0, `ledger: ${c.name}`);
  const lost = seen.noAnswer.length + seen.fiveXx.length + seen.unexpected.length + postsUnconfirmed.length;
  console.log(`\nLost requests: ${lost}; 5xx: ${seen.fiveXx.length}`);
} finally {
  await runCleanups(cleanups);
}
console.log(`\n${failures.length ? `${failures.length} check(s) failed` : "All checks passed"} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
process.exit(failures.length ? 1 : 0);
