import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, childEnv, run } from "../support/processes.ts";

/**
 * The rolling-restart benchmark in its short form (issue 15, item 6): `npm run bench:rolling --
 * --seconds 5 --rounds 1 --clients 4` starts its own PostgreSQL cluster and Redis (never the
 * shared ones), two app instances behind the benchmarks' balancer, and restarts A then B with
 * SIGTERM under a mixed load of GETs, signed-in pages, order submissions and messages. Its own
 * checks decide (every request answered, no 5xx, exit 0 on every SIGTERM, every confirmed order and
 * message stored once, the ledger's checks); this test reads its verdict.
 */
describe("bench:rolling, short form", () => {
  it("A then B restarted under load: nothing lost, no 5xx, every instance exits 0", async () => {
    const r = await run(join(ROOT, "node_modules/.bin/tsx"), ["scripts/bench-rolling.ts", "--seconds", "5", "--rounds", "1", "--clients", "4"], {
      env: childEnv({}),
      timeoutMs: 280_000,
    });
    const out = r.stdout + r.stderr;
    expect(out, out).toContain("All checks passed");
    expect(r.code, out).toBe(0);
    expect(out).toMatch(/round 1: A exited with 0 after/);
    expect(out).toMatch(/round 1: B exited with 0 after/);
    expect(out).toContain("Lost requests: 0; 5xx: 0");
    expect(out).not.toContain("FAIL");
  }, 300_000);
});
