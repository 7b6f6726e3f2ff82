/**
 * The server process exactly as src/main.ts starts it (configuration, start, serveNode with its
 * graceful stop, then the job engine while it serves), plus one job of the test's own, for tests/integration/shutdown.test.ts:
 * with PROBE_JOB_URL set it queues one `lifecycle-probe` job whose handler asks GET
 * {PROBE_JOB_URL}/started, which the test answers when it likes (so the job is running for as long
 * as the test wants), then POSTs {PROBE_JOB_URL}/done.
 */
import { loadConfig } from "../../src/config.ts";
import { serveNode } from "../../src/serve-node.ts";
import { start, startJobs, startJobsWhileServing } from "../../src/start.ts";

export const PROBE_JOB = "lifecycle-probe";

const config = loadConfig(process.env);
const deps = await start(config);
const probe = process.env.PROBE_JOB_URL;
/** The server's own jobs, then the probe: ready (/readyz 200) once both run. */
async function jobs() {
  await startJobs(deps);
  if (!probe) return;
  await deps.jobs.work(PROBE_JOB, async () => {
    const res = await fetch(`${probe}/started`);
    await res.arrayBuffer();
    await (await fetch(`${probe}/done`, { method: "POST" })).arrayBuffer();
  });
  await deps.jobs.send(PROBE_JOB, {});
}
const { lifecycle } = serveNode(deps, {
  onListening: (port) => {
    deps.log.info({ port }, "listening");
    void startJobsWhileServing(deps, lifecycle, (code) => process.exit(code), jobs);
  },
});
