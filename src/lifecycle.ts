import type { Server as HttpServer, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Jobs } from "./ports/jobs.ts";

/**
 * Graceful stop of a server process (issue 15: a rolling restart loses nothing). On SIGTERM:
 *
 * 1. draining: /readyz answers 503 {"status":"draining"} at once, so the balancer's next health
 *    check takes the instance out; it keeps serving what it is sent for the grace period
 *    (SHUTDOWN_GRACE_MS), and every answer now says `Connection: close`;
 * 2. closing: the server stops accepting connections, its idle keep-alive connections are closed,
 *    and it waits until every request in flight has been answered;
 * 3. jobs: the job engine stops taking jobs and waits for the running ones (what is still running
 *    when the time is up is failed by the engine and retried, by whichever instance takes it); an
 *    engine still starting (it starts once the server listens) is let finish starting first;
 * 4. dependencies: work the start left in the background is let finish (the embedded database
 *    image's next spare), then the pools and the cache are closed; exit 0.
 *
 * SHUTDOWN_TIMEOUT_MS bounds all of it: then the process logs what was still running and exits 1.
 * A second signal exits 1 at once. SIGINT (Ctrl-C at a terminal, no balancer in front) skips the
 * grace period. The runtime's server comes in as a `Listener` (Node: `nodeListener`; Deno: its
 * `Deno.serve` handle in src/main.deno.ts).
 */

export type Phase = "serving" | "draining" | "closing" | "jobs" | "dependencies" | "done";

/** The HTTP server as the shutdown sees it, whatever the runtime. */
export type Listener = {
  /** Stops accepting connections; resolves when every connection has ended (the answers in flight sent). */
  close(): Promise<void>;
  /** The requests being served now ("POST /me/orders 1200 ms"), for the log at the hard limit. */
  inFlight(): string[];
};

export type LifecycleOptions = {
  graceMs: number;
  timeoutMs: number;
  log: Pick<Logger, "info" | "warn" | "error">;
  jobs: Pick<Jobs, "stop" | "running">;
  /** Work the start left running (the database image's next spare), let finish before the pools close; it never throws. */
  background?: () => Promise<unknown>[];
  /** Closes the pools, the cache and the file store (src/compose.ts closeDeps). */
  closeDeps: () => Promise<void>;
  exit: (code: number) => void;
};

export type Lifecycle = {
  draining(): boolean;
  /** Serving and not shutting down, with the job engine started (see `starting`): what /readyz reports. */
  ready(): boolean;
  /**
   * The job engine starts after the server listens: until `work` settles the instance is not ready,
   * and a shutdown meanwhile waits for it (bounded by the hard limit) before stopping the engine.
   */
  starting(work: Promise<unknown>): void;
  phase(): Phase;
  /** The server to close at the end of the grace period (set once it listens). */
  attach(listener: Listener): void;
  /** A signal: the first starts the shutdown and exits when it is done; a second exits 1 at once. */
  signal(name: string): void;
  /** The shutdown itself (idempotent); resolves with the exit code. */
  shutdown(opts: { reason: string; graceMs?: number }): Promise<number>;
};

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createLifecycle(opts: LifecycleOptions): Lifecycle {
  const { log, jobs } = opts;
  let phase: Phase = "serving";
  let listener: Listener | undefined;
  let running: Promise<number> | undefined;
  let startedAt = 0;
  let startingWork: Promise<unknown> | undefined;
  let started = true;

  const still = () => ({ phase, afterMs: Date.now() - startedAt, requests: listener?.inFlight() ?? [], jobs: jobs.running?.() ?? [] });

  async function run(reason: string, graceMs: number): Promise<number> {
    startedAt = Date.now();
    const deadline = startedAt + opts.timeoutMs;
    phase = "draining";
    log.info({ reason, graceMs, timeoutMs: opts.timeoutMs }, "shutting down: draining (/readyz 503)");
    const hard = setTimeout(() => {
      log.error(still(), "shutdown timed out: exiting with what was still running");
      opts.exit(1);
    }, opts.timeoutMs);
    try {
      if (graceMs > 0) await wait(graceMs);
      phase = "closing";
      log.info({ requests: listener?.inFlight().length ?? 0 }, "shutting down: no new connections, waiting for the requests in flight");
      await listener?.close();
      phase = "jobs";
      // A job engine still starting is let finish first, so that stopping it leaves nothing running.
      if (startingWork) await startingWork;
      // What is left of the budget, less a second for the pools, goes to the running jobs.
      const budget = Math.max(1000, deadline - Date.now() - 1000);
      log.info({ jobs: jobs.running?.() ?? [], timeoutMs: budget }, "shutting down: stopping the job engine");
      await jobs.stop({ timeoutMs: budget }).catch((err) => log.error({ err }, "the job engine did not stop cleanly"));
      const left = jobs.running?.() ?? [];
      if (left.length) log.warn({ jobs: left }, "jobs still running when the job engine stopped: failed by the engine, to be retried");
      const unfinished = opts.background?.() ?? [];
      if (unfinished.length) {
        log.info({ tasks: unfinished.length }, "shutting down: letting the start's background work finish");
        let timer: ReturnType<typeof setTimeout> | undefined;
        const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now() - 1000))));
        await Promise.race([Promise.allSettled(unfinished), limit]);
        clearTimeout(timer);
      }
      phase = "dependencies";
      log.info({}, "shutting down: closing the pools and the cache");
      await opts.closeDeps();
      phase = "done";
      log.info({ ms: Date.now() - startedAt }, "shut down");
      return left.length ? 1 : 0;
    } catch (err) {
      log.error({ err, ...still() }, "shutdown failed");
      return 1;
    } finally {
      clearTimeout(hard);
    }
  }

  const lifecycle: Lifecycle = {
    draining: () => phase !== "serving",
    ready: () => phase === "serving" && started,
    starting(work) {
      started = false;
      // A failure is the entry point's to handle (src/start.ts startJobsWhileServing): here it only stays not ready.
      startingWork = work.then(
        () => {
          started = true;
        },
        () => undefined,
      );
    },
    phase: () => phase,
    attach(l) {
      listener = l;
    },
    shutdown({ reason, graceMs = opts.graceMs }) {
      running ??= run(reason, graceMs);
      return running;
    },
    signal(name) {
      if (running) {
        log.warn({ signal: name, ...still() }, "second signal: exiting at once");
        opts.exit(1);
        return;
      }
      void lifecycle.shutdown({ reason: name, graceMs: name === "SIGINT" ? 0 : opts.graceMs }).then((code) => opts.exit(code));
    },
  };
  return lifecycle;
}

/**
 * A Node.js http server as a Listener: it counts the requests in flight (until their answer is
 * written) and, once closing, closes each connection that goes idle (an answer whose headers went
 * out before draining began still said keep-alive).
 */
export function nodeListener(server: HttpServer): Listener {
  const active = new Map<ServerResponse, { method: string; path: string; since: number }>();
  let closing = false;
  server.on("request", (req, res: ServerResponse) => {
    active.set(res, { method: req.method ?? "", path: (req.url ?? "").split("?")[0]!, since: Date.now() });
    res.once("close", () => {
      active.delete(res);
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
    inFlight: () => {
      const now = Date.now();
      return [...active.values()].map((a) => `${a.method} ${a.path} ${now - a.since} ms`);
    },
  };
}
