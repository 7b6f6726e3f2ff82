import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, childEnv, run } from "../support/processes.ts";

/**
 * The faults benchmark in its short form (issue 15, item 4): `npm run bench:faults -- --orders 20`
 * starts its own PostgreSQL cluster and Redis (never the shared ones) and two app instances, kills
 * one with SIGKILL in the middle of order submissions, restarts Redis empty and PostgreSQL, and
 * checks that every confirmed order exists once, the ledger holds, there is no 500, sessions and
 * counters behave, and the job engine runs again. Its own checks decide; this test reads its verdict.
 */
describe("bench:faults, short form", () => {
  it("one kill -9 of an instance, one Redis restart, one PostgreSQL restart: every check passes", async () => {
    const r = await run(join(ROOT, "node_modules/.bin/tsx"), ["scripts/bench-faults.ts", "--orders", "20"], {
      env: childEnv({}),
      timeoutMs: 280_000,
    });
    const out = r.stdout + r.stderr;
    expect(out, out).toContain("All checks passed");
    expect(r.code, out).toBe(0);
    expect(out).toMatch(/ok {3}B killed \(SIGKILL of its process tree\) after 1\d confirmed submissions/);
    expect(out).not.toContain("FAIL");
  }, 300_000);
});
