import { buildApp } from "./app.ts";
import { closeDeps } from "./compose.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { start, startJobs, welcomeText } from "./start.ts";

/**
 * Deno entry point, the twin of src/main.ts: configuration -> adapters -> app -> Deno.serve.
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
  const deps = await start(config);
  await startJobs(deps);
  const app = buildApp(deps);
  const server = Deno.serve(
    {
      port: config.port,
      hostname: config.host,
      onListen: (addr) => {
        deps.log.info({ host: config.host, port: addr.port, runtime: "deno" }, "listening");
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
      },
    },
    // The app reads the client address from c.env.remoteAddr.hostname (src/web/http.ts clientIp).
    (req, info) => app.fetch(req, { remoteAddr: info.remoteAddr }),
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.shutdown();
    await closeDeps(deps);
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

main().catch((err) => {
  console.error(err);
  Deno.exit(1);
});
