import { ConfigError, loadConfig } from "./config.ts";
import { serveNode } from "./serve-node.ts";
import { start, startJobs, welcomeText } from "./start.ts";

/** Node.js entry point: configuration -> adapters -> app -> listen (and the graceful stop, src/lifecycle.ts). */
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
  serveNode(deps, {
    onListening: (port) => {
      deps.log.info({ host: config.host, port }, "listening");
      console.log(welcomeText({ host: config.host, port, loopbackOnly: config.loopbackOnly, demo: config.demoData, outbox: config.devSmsOutbox }));
    },
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
