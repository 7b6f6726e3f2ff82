import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { routers } from "../../src/app.ts";
import { DOC, END, START, routeRows, withRouteTable } from "../../scripts/lib/route-table.ts";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

describe("route table in docs/architecture.md", () => {
  it("matches the routers the app mounts", () => {
    const doc = readFileSync(join(ROOT, DOC), "utf8");
    expect(doc).toContain(START);
    expect(doc).toContain(END);
    expect(doc === withRouteTable(doc), `the route table in ${DOC} is out of date: run \`npm run routes:doc\``).toBe(true);
  });

  it("lists each handler with the file that defines it", () => {
    const rows = routeRows();
    expect(rows.length).toBeGreaterThan(50);
    expect(rows).toContainEqual({ method: "POST", path: "/login/password", file: "src/modules/identity/routes.ts" });
    expect(rows).toContainEqual({ method: "GET", path: "/", file: "src/modules/portal/routes.ts" });
    expect(rows.every((r) => r.method !== "ALL")).toBe(true);
    expect(new Set(rows.map((r) => `${r.method} ${r.path} ${r.file}`)).size).toBe(rows.length);
  });

  it("names each router's real source file", async () => {
    for (const r of routers) {
      expect(existsSync(join(ROOT, r.file)), r.file).toBe(true);
      const mod = (await import(join(ROOT, r.file))) as Record<string, unknown>;
      expect(mod[r.build.name], `${r.file} exports ${r.build.name}`).toBe(r.build);
    }
  });

  it("mounts every module's (and hosted-pages adapter's) routes file, and only through the routers list", () => {
    const app = readFileSync(join(ROOT, "src/app.ts"), "utf8");
    expect(app.match(/\bapp\.route\(/g), "mount routers by adding them to `routers` in src/app.ts").toHaveLength(1);
    const routesFiles = ["src/modules", "src/adapters"]
      .flatMap((dir) =>
        readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
          .filter((f) => /(^|\/)(?:[a-z0-9]+-)*routes\.ts$/.test(f))
          .map((f) => `${dir}/${f}`),
      )
      .sort();
    expect(routers.map((r) => r.file).sort()).toEqual(routesFiles);
  });
});
