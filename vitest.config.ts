import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration, contract and browser tests each boot databases; two workers fit a 2-core machine.
    maxWorkers: 2,
    pool: "forks",
    reporters: ["default"],
  },
});
