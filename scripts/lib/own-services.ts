/**
 * A PostgreSQL cluster and a Redis server of one's own, on free loopback ports in a temporary
 * folder, for tests and benchmarks that stop, kill and restart them (docs/scaling.md, the faults
 * benchmark). The machine's shared PostgreSQL and Redis are never touched.
 *
 * PostgreSQL: `initdb` and `pg_ctl` of the installed server (PATH, else /usr/lib/postgresql/<v>/bin);
 * run as the `postgres` user when this process is root (initdb refuses root). fsync off: the data
 * is thrown away.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../../tests/support/processes.ts";

const run = promisify(execFile);

function pgBin(name: string): string {
  for (const dir of (process.env.PATH ?? "").split(":")) if (dir && existsSync(join(dir, name))) return join(dir, name);
  const base = "/usr/lib/postgresql";
  if (existsSync(base)) {
    const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (existsSync(join(base, v, "bin", name))) return join(base, v, "bin", name);
  }
  throw new Error(`${name} not found: install the PostgreSQL server package`);
}

export type OwnPostgres = {
  url: string;
  port: number;
  /** pg_ctl stop -m fast (connections are closed; the data stays). */
  stop(): Promise<void>;
  /** pg_ctl start, waiting until it accepts connections. */
  start(): Promise<void>;
  /** Stops it (if running) and removes its folder. */
  close(): Promise<void>;
};

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dir = await mkdtemp(join(tmpdir(), "gxv-own-pg-"));
  const data = join(dir, "data");
  const root = process.getuid?.() === 0;
  if (root) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const as = (bin: string, args: string[]) => (root ? run("runuser", ["-u", "postgres", "--", bin, ...args]) : run(bin, args));
  await as(pgBin("initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100`;
  let running = false;
  const pg: OwnPostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      await as(pgBin("pg_ctl"), ["-D", data, "-o", opts, "-l", join(dir, "log"), "-w", "-t", "60", "start"]);
      running = true;
    },
    async stop() {
      await as(pgBin("pg_ctl"), ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"]);
      running = false;
    },
    async close() {
      if (running) await pg.stop().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
  await pg.start();
  return pg;
}

export type OwnRedis = {
  url: string;
  port: number;
  /** Kills it (SIGKILL: nothing is saved, as a crash). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  close(): Promise<void>;
};

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const up = async () => {
    const c = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    child = c;
    for (let i = 0; i < 200; i++) {
      try {
        const { stdout } = await run("redis-cli", ["-p", String(port), "ping"]);
        if (stdout.trim() === "PONG") return;
      } catch {
        // not up yet
      }
      if (c.exitCode !== null) throw new Error(`redis-server exited with ${c.exitCode}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("redis-server did not start");
  };
  const down = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      c.kill("SIGKILL");
    });
  };
  await up();
  return { url: `redis://127.0.0.1:${port}`, port, kill: down, start: up, close: down };
}
