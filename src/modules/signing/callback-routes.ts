import { Hono } from "hono";
import { type AppEnv, providerRequest } from "../../web/http.ts";

/**
 * POST /callbacks/esign: the e-signature provider's server-to-server callbacks. No session and no
 * CSRF token (the provider has neither): the adapter authenticates each request by its signature
 * and timestamp window (`parseCallback`), after the raw request was stored in the inbox. The
 * answer is the adapter's acknowledgement, in the provider's format.
 */
export function signingCallbackRoutes() {
  const r = new Hono<AppEnv>();
  r.post("/callbacks/esign", async (c) => {
    const { ack } = await c.var.deps.signing.receiveCallback(await providerRequest(c));
    c.header("Cache-Control", "no-store");
    return c.body(ack.body, ack.status as 200, { "Content-Type": ack.contentType });
  });
  return r;
}
