import type { Server as HttpServer } from "node:http";
import { serve } from "@hono/node-server";
import { buildApp } from "./app.ts";
import type { Deps } from "./deps.ts";
import { type Lifecycle, nodeListener } from "./lifecycle.ts";
import { lifecycleOf } from "./start.ts";

/**
 * The Node.js server of a started process: the app on @hono/node-server, with the graceful stop of
 * src/lifecycle.ts on SIGTERM and SIGINT (draining, then closing, the job engine, the pools).
 */
export function serveNode(deps: Deps, opts: { onListening?: (port: number) => void } = {}): { lifecycle: Lifecycle; server: HttpServer } {
  const { config } = deps;
  const lifecycle = lifecycleOf(deps, (code) => process.exit(code));
  const app = buildApp(deps, { draining: lifecycle.draining, ready: lifecycle.ready });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => opts.onListening?.(info.port)) as HttpServer;
  lifecycle.attach(nodeListener(server));
  process.on("SIGTERM", () => lifecycle.signal("SIGTERM"));
  process.on("SIGINT", () => lifecycle.signal("SIGINT"));
  return { lifecycle, server };
}
