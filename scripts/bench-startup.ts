/**
 * npm run bench:startup [-- --runs N] [-- --deno]
 *
 * Start-up time of the embedded default (`npm start` on a fresh machine): spawn exactly what
 * `npm start` runs, `node --import tsx src/main.ts`, with a fresh temporary DATA_DIR (PGlite,
 * memory cache, demo data on) on a free port and measure the milliseconds from spawn until `GET /`
 * answers 200 ("cold": restores the migrated database image, or creates the database when there is
 * none, migrates, loads the demo data). Then stop it and start it again on the same DATA_DIR
 * ("warm": opens the existing database; nothing to migrate or load). Prints each run with the
 * server's own step times (its "listening" log line: boot = Node, tsx and the imports; database;
 * adapters; migrate; seal; demo; listen; and the process's CPU time until then, which a busy
 * machine inflates much less than the wall time), then min / median / max of cold and warm and the
 * median of each step. With --deno, the same for `deno run -A --node-modules-dir=manual src/main.deno.ts`.
 *
 * The image of the migrated database (node_modules/.cache/<package name>/, `npm run db:image`) is
 * used as `npm start` would use it; --no-image points PGLITE_IMAGE_DIR at an empty temporary
 * folder on every cold start, so each one builds the image first (what a first start without
 * `npm run db:image` costs).
 *
 * DATABASE_URL, REDIS_URL and the other settings of this shell are not passed on: the children
 * always run the embedded default. Every child runs in its own process group and is stopped
 * (SIGTERM, then SIGKILL) before the next starts; the script leaves no process and no temp folder.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, alive, freePort } from "../tests/support/processes.ts";

const TIMEOUT_MS = 120_000;

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: process.env.BENCH_RUNS ?? "3" },
    deno: { type: "boolean", default: false },
    "no-image": { type: "boolean", default: false },
  },
});
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);

type Runtime = { name: string; cmd: string; args: string[] };
// As package.json's "start" and the Dockerfile: one node process with tsx as its loader.
const runtimes: Runtime[] = [{ name: "node --import tsx", cmd: process.execPath, args: ["--import", "tsx", "src/main.ts"] }];
if (values.deno) {
  runtimes.push({
    name: "deno",
    cmd: join(ROOT, "node_modules/.bin/deno"),
    args: ["run", "-A", "--node-modules-dir=manual", "src/main.deno.ts"],
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  while (alive(-pid) && Date.now() < deadline) await sleep(50);
  if (alive(-pid)) signalGroup(pid, "SIGKILL");
  while (alive(-pid)) await sleep(20);
  current = undefined;
}

function childEnv(port: number, dataDir: string, imageDir?: string): NodeJS.ProcessEnv {
  const keep = ["PATH", "HOME", "TMPDIR", "LANG", "TZ", "DENO_DIR"];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  // The default log level, as npm start: the "listening" line carries the step times.
  return { ...env, PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, ...(imageDir ? { PGLITE_IMAGE_DIR: imageDir } : {}) };
}

type Timing = { ms: number; steps: Record<string, number>; cpuMs?: number };

/** The step times (and the CPU time until then) of the server's "listening" log line (pino JSON on stdout). */
function stepsOf(output: string): { steps: Record<string, number>; cpuMs?: number } {
  for (const line of output.split("\n")) {
    if (!line.includes('"listening"')) continue;
    try {
      const o = JSON.parse(line) as { msg?: string; steps?: Record<string, number>; cpuMs?: number };
      if (o.msg === "listening" && o.steps) return { steps: o.steps, cpuMs: o.cpuMs };
    } catch {
      // not a log line
    }
  }
  return { steps: {} };
}

/** Spawns the server and returns the milliseconds until GET / answered 200 (and its steps); the server is stopped again. */
async function timeStart(rt: Runtime, dataDir: string, imageDir?: string): Promise<Timing> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(rt.cmd, rt.args, { cwd: ROOT, env: childEnv(port, dataDir, imageDir), detached: true, stdio: ["ignore", "pipe", "pipe"] });
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
        if (res.status === 200) {
          const ms = Math.round(performance.now() - started);
          return { ms, ...stepsOf(output) };
        }
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

const stepLine = (steps: Record<string, number>) =>
  Object.entries(steps)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");

async function main() {
  console.log(`Start-up until GET / answers 200, embedded default (PGlite + demo data), ${RUNS} run(s) each.`);
  console.log(
    `Machine: ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ""}, node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  console.log(values["no-image"] ? "Database image: none (each cold start builds it first)\n" : "Database image: as npm start finds it\n");
  const rows: Array<{ label: string; runs: Timing[] }> = [];
  for (const rt of runtimes) {
    const cold: Timing[] = [];
    const warm: Timing[] = [];
    for (let i = 1; i <= RUNS; i++) {
      const dir = await mkdtemp(join(tmpdir(), "gxv-bench-"));
      tempDirs.push(dir);
      const imageDir = values["no-image"] ? join(dir, "image") : undefined;
      const c = await timeStart(rt, join(dir, "data"), imageDir);
      const w = await timeStart(rt, join(dir, "data"), imageDir);
      cold.push(c);
      warm.push(w);
      const cpu = (t: Timing) => (t.cpuMs === undefined ? "" : `; CPU ${t.cpuMs} ms`);
      const detail = (t: Timing) => (Object.keys(t.steps).length ? ` (${stepLine(t.steps)}${cpu(t)})` : "");
      console.log(`  ${rt.name} run ${i}: cold ${c.ms} ms${detail(c)}, warm ${w.ms} ms${detail(w)}`);
      await rm(dir, { recursive: true, force: true });
      tempDirs.splice(tempDirs.indexOf(dir), 1);
    }
    rows.push({ label: `${rt.name}, cold (fresh DATA_DIR)`, runs: cold }, { label: `${rt.name}, warm (same DATA_DIR)`, runs: warm });
  }
  const width = Math.max(...rows.map((r) => r.label.length));
  console.log(`\n| ${"start".padEnd(width)} | runs | min ms | median ms | max ms |`);
  console.log(`|${"-".repeat(width + 2)}|-----:|-------:|----------:|-------:|`);
  for (const r of rows) {
    const ms = r.runs.map((t) => t.ms);
    const cells = [Math.min(...ms), median(ms), Math.max(...ms)].map((n, i) => String(n).padStart([6, 9, 6][i]!));
    console.log(`| ${r.label.padEnd(width)} | ${String(ms.length).padStart(4)} | ${cells.join(" | ")} |`);
  }
  // The median of each step the server reported (its own clock, from process start to listening).
  const names = [...new Set(rows.flatMap((r) => r.runs.flatMap((t) => Object.keys(t.steps))))];
  if (rows.some((r) => r.runs.some((t) => t.cpuMs !== undefined))) {
    names.push("CPU");
    for (const r of rows) for (const t of r.runs) if (t.cpuMs !== undefined) t.steps.CPU = t.cpuMs;
  }
  if (!names.length) return;
  console.log(`\n| ${"median ms of each step".padEnd(width)} | ${names.join(" | ")} |`);
  console.log(`|${"-".repeat(width + 2)}|${names.map((n) => `${"-".repeat(Math.max(n.length, 3) + 1)}:`).join("|")}|`);
  for (const r of rows) {
    const cells = names.map((n) => {
      const xs = r.runs.map((t) => t.steps[n]).filter((x): x is number => x !== undefined);
      return (xs.length ? String(median(xs)) : "-").padStart(Math.max(n.length, 3));
    });
    console.log(`| ${r.label.padEnd(width)} | ${cells.join(" | ")} |`);
  }
  console.log(
    `\nload average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
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
