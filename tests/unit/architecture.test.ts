import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The hexagonal rules of DESIGN.md section 2, checked on every import in src/:
 * - domain code imports nothing but other pure domain code;
 * - use cases (service.ts) and ports never import adapters, Hono or the web layer;
 * - a module reaches another module only through its service.ts (or its pure domain.ts);
 * - only the composition root picks adapters.
 */
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

type Import = { from: string; spec: string; target: string };
const imports: Import[] = files(SRC).flatMap((file) => {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']/gm)].map((m) => {
    const spec = m[1]!;
    const target = spec.startsWith(".") ? relative(SRC, resolve(dirname(file), spec)) : spec;
    return { from: relative(SRC, file), spec, target };
  });
});

const moduleOf = (p: string) => p.match(/^modules\/([^/]+)\//)?.[1];
/** Pure rule files: domain types and rules, code checks, captcha drawing. */
const PURE = /^modules\/[^/]+\/(domain|codes|captcha-svg)\.ts$/;
const COMPOSITION_ROOT = [/^compose\.ts$/, /^start\.ts$/, /^main(\.deno)?\.ts$/, /^cli\//];

describe("architecture", () => {
  it("finds the imports it checks", () => {
    expect(imports.length).toBeGreaterThan(50);
    expect(imports.some((i) => i.from === "modules/identity/service.ts")).toBe(true);
  });

  it("relative imports name their file with its extension (Node and Deno resolve them alike)", () => {
    const bad = imports.filter((i) => i.spec.startsWith(".") && !/\.(ts|json)$/.test(i.spec));
    expect(bad).toEqual([]);
  });

  it("domain code is pure: no I/O, no framework, no adapters, no other layer", () => {
    const bad = imports.filter((i) => PURE.test(i.from) && !PURE.test(i.target) && !/^(lib|reference)\//.test(i.target));
    expect(bad).toEqual([]);
  });

  it("use cases and ports do not import adapters, Hono or the web layer", () => {
    const bad = imports.filter(
      (i) =>
        /^modules\/[^/]+\/(service|ports)\.ts$|^ports\//.test(i.from) &&
        (/^adapters\//.test(i.target) || /^web\//.test(i.target) || /^hono/.test(i.target) || /^@hono\//.test(i.target) || /(^|\/)pg\.ts$/.test(i.target)),
    );
    expect(bad).toEqual([]);
  });

  it("a module uses another module only through its service (or pure domain)", () => {
    const bad = imports.filter((i) => {
      const a = moduleOf(i.from);
      const b = moduleOf(i.target);
      return a && b && a !== b && !/\/(service|domain|codes)\.ts$/.test(i.target);
    });
    expect(bad).toEqual([]);
  });

  it("only the composition root chooses adapters", () => {
    const bad = imports.filter(
      (i) => /^adapters\//.test(i.target) && !i.from.startsWith("adapters/") && !COMPOSITION_ROOT.some((r) => r.test(i.from)),
    );
    expect(bad).toEqual([]);
  });

  it("database drivers are imported only by their adapters", () => {
    const bad = imports.filter(
      (i) => /^(postgres|@electric-sql\/pglite|redis)$/.test(i.target) && !i.from.startsWith("adapters/"),
    );
    expect(bad).toEqual([]);
  });
});
