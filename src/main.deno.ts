import { buildApp } from "./app.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { type StartSteps, lifecycleOf, start, startJobsWhileServing, stepTimer, welcomeText } from "./start.ts";

/**
 * Deno entry point, the twin of src/main.ts: configuration -> adapters -> app -> Deno.serve, then
 * the job engine, and the graceful stop of src/lifecycle.ts on SIGTERM / SIGINT.
 *
 *   node_modules/.bin/deno run -A --node-modules-dir=manual src/main.deno.ts   (npm run start:deno)
 *
 * This file is excluded from tsconfig.json (the project type-checks against @types/node), so the
 * few parts of the Deno namespace it uses are declared here.
 */
declare const Deno: {
  env: { toObject(): Record<string, string> };
  serve(
    options: { port: number; hostname: string; onListen?: (addr: { port: number; hostname: string }) => void },
    handler: (req: Request, info: { remoteAddr: { hostname: string; port: number } }) => Response | Promise<Response>,
  ): { shutdown(): Promise<void>; finished: Promise<void> };
  addSignalListener(signal: "SIGINT" | "SIGTERM", handler: () => void): void;
  exit(code?: number): never;
};

async function main() {
  let config;
  try {
    config = loadConfig(Deno.env.toObject());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      Deno.exit(1);
    }
    throw err;
  }
  const steps: StartSteps = { boot: Math.round(performance.now()) };
  const deps = await start(config, {}, steps);
  const mark = stepTimer(steps);
  // Deno.exit drops what pino has not written yet: a moment for its last lines first.
  const lifecycle = lifecycleOf(deps, (code) => setTimeout(() => Deno.exit(code), 100));
  const app = buildApp(deps, { draining: lifecycle.draining, ready: lifecycle.ready });
  // The requests in flight (until the app's Response is made), for the shutdown's log.
  const active = new Map<object, { method: string; path: string; since: number }>();
  const server = Deno.serve(
    {
      port: config.port,
      hostname: config.host,
      onListen: (addr) => {
        mark("listen");
        const total = Object.values(steps).reduce((a, b) => a + b, 0);
        deps.log.info({ host: config.host, port: addr.port, runtime: "deno", ms: total, steps }, "listening");
        console.log(
          welcomeText({
            host: config.host,
            port: addr.port,
            loopbackOnly: config.loopbackOnly,
            demo: config.demoData,
            outbox: config.devSmsOutbox,
            runtime: "Deno",
          }),
        );
        // The job engine once listening (the first page does not wait for it; /readyz does).
        void startJobsWhileServing(deps, lifecycle, (code) => setTimeout(() => Deno.exit(code), 100));
      },
    },
    // The app reads the client address from c.env.remoteAddr.hostname (src/web/http.ts clientIp).
    async (req, info) => {
      const key = {};
      active.set(key, { method: req.method, path: new URL(req.url).pathname, since: Date.now() });
      try {
        return await app.fetch(req, { remoteAddr: info.remoteAddr });
      } finally {
        active.delete(key);
        if (!active.size) quiet?.();
      }
    },
  );
  // Deno's shutdown() stops accepting, closes idle connections and waits for the requests in flight,
  // but on Deno 2.9 it also makes the body of a request still being received unreadable
  // (denoland/deno#36809): the app's requests in flight are let finish first (bounded by
  // SHUTDOWN_TIMEOUT_MS), while the draining answers end their connections.
  let quiet: (() => void) | undefined;
  lifecycle.attach({
    close: async () => {
      while (active.size) await new Promise<void>((resolve) => (quiet = resolve));
      await server.shutdown();
    },
    inFlight: () => [...active.values()].map((a) => `${a.method} ${a.path} ${Date.now() - a.since} ms`),
  });
  Deno.addSignalListener("SIGINT", () => lifecycle.signal("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => lifecycle.signal("SIGTERM"));
}

main().catch((err) => {
  console.error(err);
  Deno.exit(1);
});
