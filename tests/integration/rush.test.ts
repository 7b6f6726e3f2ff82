import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, childEnv, run } from "../support/processes.ts";

/**
 * The application rush in its short form (issue 15, item 3): `npm run bench:rush -- --enterprises
 * 200 --orders 100` runs the same code as the full benchmark — its own PostgreSQL cluster and Redis
 * (never the shared ones), two instances behind the balancer, the window opened through 新建券种,
 * every enterprise applying over HTTP with some second applications on purpose, the reviewer's
 * approvals, the order race with two tabs and double clicks — and its SQL checks decide (nothing
 * overspent, no duplicate application, every confirmed order once). This test reads its verdict.
 */
describe("bench:rush, short form", () => {
  it("200 enterprises apply, 100 submissions race: every check passes", async () => {
    const r = await run(
      join(ROOT, "node_modules/.bin/tsx"),
      ["scripts/bench-rush.ts", "--enterprises", "200", "--orders", "100", "--concurrency", "16", "--window", "5"],
      {
        env: childEnv({}),
        timeoutMs: 280_000,
      },
    );
    const out = r.stdout + r.stderr;
    expect(out, out).toContain("All checks passed");
    expect(r.code, out).toBe(0);
    expect(out).not.toContain("FAIL");
    expect(out).toMatch(/ok {3}every second application refused with 409 请勿重复申请: 8 of 8/);
    expect(out).toMatch(/ok {3}the second tab refused with 422 服务券可用额度已用完: (\d+) of \1/);
    expect(out).toMatch(/ok {3}a double click answers the same order twice: (\d+) of \1/);
    expect(out).toMatch(/ok {3}no voucher account overspent/);
  }, 300_000);
});
