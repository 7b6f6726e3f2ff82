import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Listener, type LifecycleOptions, createLifecycle } from "../../src/lifecycle.ts";

/**
 * The shutdown sequence of src/lifecycle.ts on fake timers, with a listener, a job engine and the
 * pools of the test's own that record what happened when (tests/integration/shutdown.test.ts runs
 * it in real server processes).
 */
type Gate = { promise: Promise<void>; open: () => void };
const gate = (): Gate => {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
};

function harness(o: { graceMs?: number; timeoutMs?: number; jobOutlivesStop?: boolean; background?: Promise<unknown>[] } = {}) {
  const events: string[] = [];
  const logs: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const exits: number[] = [];
  const connections = gate();
  const job = gate();
  let running = [{ id: "j1", name: "probe", sinceMs: 5 }];
  const listener: Listener = {
    close: async () => {
      events.push("close");
      await connections.promise;
      events.push("closed");
    },
    inFlight: () => ["POST /me/orders 1200 ms"],
  };
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) => logs.push({ level, obj, msg });
  const opts: LifecycleOptions = {
    graceMs: o.graceMs ?? 2000,
    timeoutMs: o.timeoutMs ?? 30_000,
    log: { info: at("info"), warn: at("warn"), error: at("error") } as unknown as LifecycleOptions["log"],
    jobs: {
      stop: async (s) => {
        events.push(`jobs.stop ${s?.timeoutMs}`);
        await job.promise;
        if (!o.jobOutlivesStop) running = [];
      },
      running: () => running,
    },
    background: () => o.background ?? [],
    closeDeps: async () => {
      events.push("closeDeps");
    },
    exit: (code) => exits.push(code),
  };
  const lc = createLifecycle(opts);
  lc.attach(listener);
  return { lc, events, logs, exits, connections, job };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("graceful stop", () => {
  it("SIGTERM: draining at once, the server closed after the grace period, then the jobs, then the pools; exit 0", async () => {
    const h = harness();
    expect(h.lc.draining()).toBe(false);
    h.lc.signal("SIGTERM");
    expect(h.lc.draining()).toBe(true);
    expect(h.lc.phase()).toBe("draining");
    await vi.advanceTimersByTimeAsync(1999);
    expect(h.events).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.events).toEqual(["close"]);
    expect(h.lc.phase()).toBe("closing");
    h.connections.open();
    await vi.advanceTimersByTimeAsync(0);
    // What is left of the 30 s, less a second for the pools.
    expect(h.events).toEqual(["close", "closed", "jobs.stop 27000"]);
    expect(h.lc.phase()).toBe("jobs");
    h.job.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.events).toEqual(["close", "closed", "jobs.stop 27000", "closeDeps"]);
    expect(h.exits).toEqual([0]);
    expect(h.lc.phase()).toBe("done");
    expect(h.logs.at(-1)?.msg).toBe("shut down");
    // The hard limit was cleared: nothing more happens.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.exits).toEqual([0]);
  });

  it("SIGINT skips the grace period", async () => {
    const h = harness();
    h.lc.signal("SIGINT");
    await vi.advanceTimersByTimeAsync(0);
    expect(h.events).toEqual(["close"]);
  });

  it("a second signal exits 1 at once", async () => {
    const h = harness();
    h.lc.signal("SIGTERM");
    await vi.advanceTimersByTimeAsync(100);
    h.lc.signal("SIGTERM");
    expect(h.exits).toEqual([1]);
    expect(h.logs.at(-1)).toMatchObject({ level: "warn", msg: "second signal: exiting at once", obj: { phase: "draining" } });
  });

  it("the hard limit: exit 1, logging the phase, the requests and the jobs still running", async () => {
    const h = harness({ graceMs: 1000, timeoutMs: 5000 });
    h.lc.signal("SIGTERM");
    await vi.advanceTimersByTimeAsync(4999);
    expect(h.exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.exits).toEqual([1]);
    expect(h.logs.at(-1)).toMatchObject({
      level: "error",
      msg: "shutdown timed out: exiting with what was still running",
      obj: { phase: "closing", requests: ["POST /me/orders 1200 ms"], jobs: [{ id: "j1", name: "probe" }] },
    });
  });

  it("the job engine starting after the server listens: not ready until it runs", async () => {
    const h = harness();
    expect(h.lc.ready()).toBe(true);
    const engine = gate();
    h.lc.starting(engine.promise);
    expect(h.lc.ready()).toBe(false);
    expect(h.lc.draining()).toBe(false);
    engine.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.lc.ready()).toBe(true);
    h.lc.signal("SIGTERM");
    expect(h.lc.ready()).toBe(false);
  });

  it("SIGTERM while the job engine is starting: the engine is let finish starting, then stopped", async () => {
    const h = harness({ graceMs: 0 });
    const engine = gate();
    h.lc.starting(engine.promise);
    h.lc.signal("SIGTERM");
    h.connections.open();
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.events).toEqual(["close", "closed"]);
    expect(h.lc.phase()).toBe("jobs");
    engine.open();
    h.job.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.events).toEqual(["close", "closed", `jobs.stop ${30_000 - 1000 - 1000}`, "closeDeps"]);
    expect(h.exits).toEqual([0]);
  });

  it("a job engine that failed to start does not hold up the shutdown", async () => {
    const h = harness({ graceMs: 0 });
    const failed = Promise.reject(new Error("no engine"));
    h.lc.starting(failed);
    expect(h.lc.ready()).toBe(false);
    const code = h.lc.shutdown({ reason: "test" });
    h.connections.open();
    h.job.open();
    expect(await code).toBe(0);
    expect(h.events).toEqual(["close", "closed", "jobs.stop 29000", "closeDeps"]);
  });

  it("work the start left in the background is let finish before the pools close, within the hard limit", async () => {
    const spare = gate();
    const h = harness({ graceMs: 0, timeoutMs: 10_000, background: [spare.promise] });
    const code = h.lc.shutdown({ reason: "test" });
    h.connections.open();
    h.job.open();
    await vi.advanceTimersByTimeAsync(3000);
    expect(h.events).not.toContain("closeDeps");
    spare.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.events.at(-1)).toBe("closeDeps");
    expect(await code).toBe(0);

    // Never past the hard limit (less a second for the pools).
    const h2 = harness({ graceMs: 0, timeoutMs: 10_000, background: [new Promise(() => undefined)] });
    const code2 = h2.lc.shutdown({ reason: "test" });
    h2.connections.open();
    h2.job.open();
    await vi.advanceTimersByTimeAsync(8999);
    expect(h2.events).not.toContain("closeDeps");
    await vi.advanceTimersByTimeAsync(1);
    expect(h2.events.at(-1)).toBe("closeDeps");
    expect(await code2).toBe(0);
  });

  it("a job the engine's stop left running (pg-boss failed it, to be retried): logged, exit 1", async () => {
    const h = harness({ graceMs: 0, jobOutlivesStop: true });
    const code = h.lc.shutdown({ reason: "test" });
    h.connections.open();
    h.job.open();
    expect(await code).toBe(1);
    expect(h.events).toContain("closeDeps");
    expect(h.logs.find((l) => l.level === "warn")).toMatchObject({ obj: { jobs: [{ id: "j1", name: "probe" }] } });
  });
});
