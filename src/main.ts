import { serve } from "@hono/node-server";
import { buildApp } from "./app.ts";
import { closeDeps } from "./compose.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { start, startJobs, welcomeText } from "./start.ts";

/** Node.js entry point: configuration -> adapters -> app -> listen. */
async function main() {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const deps = await start(config);
  await startJobs(deps);
  const app = buildApp(deps);
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    deps.log.info({ host: config.host, port: info.port }, "listening");
    console.log(
      welcomeText({ host: config.host, port: info.port, loopbackOnly: config.loopbackOnly, demo: config.demoData, outbox: config.devSmsOutbox }),
    );
  });
  const stop = async () => {
    server.close();
    await closeDeps(deps);
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
