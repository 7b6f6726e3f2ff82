/**
 * npm run bench:startup [-- --runs N] [-- --deno]
 *
 * Start-up time of the embedded default (`npm start` on a fresh machine): spawn
 * `node_modules/.bin/tsx src/main.ts` with a fresh temporary DATA_DIR (PGlite, memory cache, demo
 * data on) on a free port and measure the milliseconds from spawn until `GET /` answers 200
 * ("cold": creates the database, migrates, loads the demo data). Then stop it and start it again on
 * the same DATA_DIR ("warm": opens the existing database; nothing to migrate or load).
 * With --deno, the same for `deno run -A --node-modules-dir=manual src/main.deno.ts`.
 *
 * DATABASE_URL, REDIS_URL and the other settings of this shell are not passed on: the children
 * always run the embedded default. Every child runs in its own process group and is stopped
 * (SIGTERM, then SIGKILL) before the next starts; the script leaves no process and no temp folder.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const TIMEOUT_MS = 120_000;

const { values } = parseArgs({
  options: { runs: { type: "string", default: process.env.BENCH_RUNS ?? "3" }, deno: { type: "boolean", default: false } },
});
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);

type Runtime = { name: string; cmd: string; args: string[] };
const runtimes: Runtime[] = [{ name: "node + tsx", cmd: join(ROOT, "node_modules/.bin/tsx"), args: ["src/main.ts"] }];
if (values.deno) {
  runtimes.push({
    name: "deno",
    cmd: join(ROOT, "node_modules/.bin/deno"),
    args: ["run", "-A", "--node-modules-dir=manual", "src/main.deno.ts"],
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // gone
  }
}

/** The child currently running, so an interrupted benchmark still stops it. */
let current: ChildProcess | undefined;
const tempDirs: string[] = [];

async function stop(child: ChildProcess) {
  const pid = child.pid;
  if (pid === undefined) return;
  signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + 10_000;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(50);
  if (groupAlive(pid)) signalGroup(pid, "SIGKILL");
  while (groupAlive(pid)) await sleep(20);
  current = undefined;
}

function childEnv(port: number, dataDir: string): NodeJS.ProcessEnv {
  const keep = ["PATH", "HOME", "TMPDIR", "LANG", "TZ", "DENO_DIR"];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  // LOG_LEVEL=warn: one log line per request would only add pipe traffic to the measurement.
  return { ...env, PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "warn" };
}

/** Spawns the server and returns the milliseconds until GET / answered 200; the server is stopped again. */
async function timeStart(rt: Runtime, dataDir: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(rt.cmd, rt.args, { cwd: ROOT, env: childEnv(port, dataDir), detached: true, stdio: ["ignore", "pipe", "pipe"] });
  current = child;
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d));
  child.stderr!.on("data", (d: Buffer) => (output += d));
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${rt.name} exited (${child.exitCode ?? child.signalCode}) before it answered:\n${output}`);
      }
      if (performance.now() - started > TIMEOUT_MS) throw new Error(`${rt.name} did not answer within ${TIMEOUT_MS} ms:\n${output}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer();
        if (res.status === 200) return Math.round(performance.now() - started);
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
  } finally {
    await stop(child);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
};

async function main() {
  console.log(`Start-up until GET / answers 200, embedded default (PGlite + demo data), ${RUNS} run(s) each.`);
  console.log(`Machine: ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ""}, node ${process.version}\n`);
  const rows: Array<{ label: string; ms: number[] }> = [];
  for (const rt of runtimes) {
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 1; i <= RUNS; i++) {
      const dir = await mkdtemp(join(tmpdir(), "gxv-bench-"));
      tempDirs.push(dir);
      const c = await timeStart(rt, dir);
      const w = await timeStart(rt, dir);
      cold.push(c);
      warm.push(w);
      console.log(`  ${rt.name} run ${i}: cold ${c} ms, warm ${w} ms`);
      await rm(dir, { recursive: true, force: true });
      tempDirs.splice(tempDirs.indexOf(dir), 1);
    }
    rows.push({ label: `${rt.name}, cold (fresh DATA_DIR)`, ms: cold }, { label: `${rt.name}, warm (same DATA_DIR)`, ms: warm });
  }
  const width = Math.max(...rows.map((r) => r.label.length));
  console.log(`\n| ${"start".padEnd(width)} | runs | min ms | median ms | max ms |`);
  console.log(`|${"-".repeat(width + 2)}|-----:|-------:|----------:|-------:|`);
  for (const r of rows) {
    const cells = [Math.min(...r.ms), median(r.ms), Math.max(...r.ms)].map((n, i) => String(n).padStart([6, 9, 6][i]!));
    console.log(`| ${r.label.padEnd(width)} | ${String(r.ms.length).padStart(4)} | ${cells.join(" | ")} |`);
  }
}

async function cleanup() {
  if (current) await stop(current);
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
}

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    void cleanup().finally(() => process.exit(130));
  });
}

main().then(
  async () => {
    await cleanup();
    process.exit(0);
  },
  async (err) => {
    console.error(err);
    await cleanup();
    process.exit(1);
  },
);
