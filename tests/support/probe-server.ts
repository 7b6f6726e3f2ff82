/**
 * The server process exactly as src/main.ts starts it (configuration, start, the job engine,
 * serveNode with its graceful stop), plus one job of the test's own, for tests/integration/shutdown.test.ts:
 * with PROBE_JOB_URL set it queues one `lifecycle-probe` job whose handler asks GET
 * {PROBE_JOB_URL}/started, which the test answers when it likes (so the job is running for as long
 * as the test wants), then POSTs {PROBE_JOB_URL}/done.
 */
import { loadConfig } from "../../src/config.ts";
import { serveNode } from "../../src/serve-node.ts";
import { start, startJobs } from "../../src/start.ts";

export const PROBE_JOB = "lifecycle-probe";

const config = loadConfig(process.env);
const deps = await start(config);
await startJobs(deps);
const probe = process.env.PROBE_JOB_URL;
if (probe) {
  await deps.jobs.work(PROBE_JOB, async () => {
    const res = await fetch(`${probe}/started`);
    await res.arrayBuffer();
    await (await fetch(`${probe}/done`, { method: "POST" })).arrayBuffer();
  });
  await deps.jobs.send(PROBE_JOB, {});
}
serveNode(deps, { onListening: (port) => deps.log.info({ port }, "listening") });
