import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { randomToken } from "../../src/lib/random.ts";

/** Helpers for tests that run the platform (or its CLI scripts) as separate processes. */

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A TCP port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function tempDir(prefix = "gxv-test-"): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * The environment a child process gets: this process's environment without the settings that
 * would point it at shared services or change its behaviour, plus `set`.
 */
export function childEnv(set: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ["DATABASE_URL", "REDIS_URL", "CAPTCHA_TEST_ANSWER", "DEMO_DATA", "DEV_SMS_OUTBOX", "NODE_ENV", "PORT", "DATA_DIR", "ENCRYPTION_KEYS"]) {
    delete env[k];
  }
  // vitest marks its workers; the child is not a vitest worker.
  for (const k of Object.keys(env)) if (k.startsWith("VITEST")) delete env[k];
  // No draining grace period (src/lifecycle.ts) unless the test asks for one: no balancer in front.
  env.SHUTDOWN_GRACE_MS = "0";
  for (const [k, v] of Object.entries(set)) if (v !== undefined) env[k] = v;
  return env;
}

export type RunResult = { code: number | null; stdout: string; stderr: string };

/** Runs a command to completion (killing its process tree after timeoutMs). */
export function run(cmd: string, args: string[], opts: { env: NodeJS.ProcessEnv; timeoutMs?: number; input?: string }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: opts.env, stdio: ["pipe", "pipe", "pipe"] });
    const untrack = track(child);
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin!.end(opts.input ?? "");
    const timer = setTimeout(() => signalTree(processTree(child.pid), "SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      untrack();
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      untrack();
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The pid and every descendant of it, from /proc (Linux). Elsewhere just the pid.
 * Children stay in the test runner's process group, so Ctrl-C on the runner reaches them too.
 */
export function processTree(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return [pid];
  }
  for (const e of entries) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may contain spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e));
      children.set(ppid, list);
    } catch {
      // exited meanwhile
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalTree(pids: number[], signal: NodeJS.Signals) {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Children still running when this test worker exits are killed with it. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) signalTree(processTree(child.pid), "SIGKILL");
});
function track(child: ChildProcess): () => void {
  running.add(child);
  return () => running.delete(child);
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

export type Server = {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Every pid of the server's process tree seen so far. */
  pids: () => number[];
  /**
   * SIGTERM to the server (tsx passes it on to its node child; the app closes and exits), SIGKILL to
   * every process of its tree still alive after graceMs; resolves when all of them are gone.
   */
  stop: (graceMs?: number) => Promise<void>;
};

/**
 * Starts a long-running server command and waits until GET {url}{readyPath} answers 200.
 * Fails early (with the output) when the process exits first. `output()` holds what it wrote to
 * stdout and stderr (only stderr with `discardStdout`).
 */
export async function startServer(
  cmd: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; port: number; readyPath?: string; timeoutMs?: number; discardStdout?: boolean },
): Promise<Server> {
  // discardStdout: a server logging every request under load (a benchmark) writes to nowhere instead of this process's memory.
  const child = spawn(cmd, args, { cwd: ROOT, env: opts.env, stdio: ["ignore", opts.discardStdout ? "ignore" : "pipe", "pipe"] });
  const untrack = track(child);
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
  const seen = new Set<number>();
  const remember = () => {
    for (const p of processTree(child.pid)) seen.add(p);
    return [...seen];
  };
  const url = `http://127.0.0.1:${opts.port}`;
  const server: Server = {
    url,
    child,
    output: () => out,
    pids: () => [...seen],
    async stop(graceMs = 5000) {
      // After exit the pid may in theory be reused: only the pids seen while it ran count then.
      const pids = exited(child) ? [...seen] : remember();
      if (!exited(child)) child.kill("SIGTERM");
      const deadline = Date.now() + graceMs;
      while (pids.some(alive) && Date.now() < deadline) await sleep(50);
      signalTree(pids.filter(alive), "SIGKILL");
      while (pids.some(alive)) await sleep(20);
      if (!exited(child)) await closed;
      untrack();
    },
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    remember();
    if (exited(child)) {
      await server.stop();
      throw new Error(`${cmd} exited with ${child.exitCode ?? child.signalCode} before it was ready:\n${out}`);
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${cmd} was not ready after ${opts.timeoutMs ?? 60_000} ms:\n${out}`);
    }
    try {
      const res = await fetch(url + (opts.readyPath ?? "/healthz"), { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) {
        remember();
        return server;
      }
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A fresh, empty PostgreSQL database on the server of `url` (for processes that run their own
 * migrations on the public schema), dropped by `drop`.
 */
export async function freshDatabase(url: string, prefix = "cli_test"): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomToken(9)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    async drop() {
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
  };
}
