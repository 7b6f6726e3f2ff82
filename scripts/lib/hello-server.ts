/**
 * The bare Hono hello-world that bench:pages:load measures beside the app: one route answering
 * "ok", served by @hono/node-server as the app is, in a process of its own started the way
 * `npm start` starts the app (node --import tsx). PORT and HOST from the environment.
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono().get("/", (c) => c.text("ok"));
const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: process.env.HOST ?? "127.0.0.1" });
process.on("SIGTERM", () => server.close(() => process.exit(0)));
