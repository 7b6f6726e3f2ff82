import { ConfigError, loadConfig } from "./config.ts";
import { serveNode } from "./serve-node.ts";
import { type StartSteps, start, startJobsWhileServing, stepTimer, welcomeText } from "./start.ts";

/**
 * Node.js entry point: configuration -> adapters -> app -> listen, then the job engine (the first
 * page does not wait for it; /readyz does), and the graceful stop (src/lifecycle.ts).
 */
async function main() {
  // performance.now() counts from the process's start: Node, the tsx loader and the imports.
  const steps: StartSteps = { boot: Math.round(performance.now()) };
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
  const deps = await start(config, {}, steps);
  const mark = stepTimer(steps);
  const { lifecycle } = serveNode(deps, {
    onListening: (port) => {
      mark("listen");
      const total = Object.values(steps).reduce((a, b) => a + b, 0);
      // CPU time of the whole process so far (every thread): what a busy machine inflates least.
      const cpu = process.cpuUsage();
      deps.log.info({ host: config.host, port, ms: total, cpuMs: Math.round((cpu.user + cpu.system) / 1000), steps }, "listening");
      console.log(welcomeText({ host: config.host, port, loopbackOnly: config.loopbackOnly, demo: config.demoData, outbox: config.devSmsOutbox }));
      void startJobsWhileServing(deps, lifecycle, (code) => process.exit(code));
    },
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
