import { serve } from "@hono/node-server";
import { buildApp } from "./app.ts";
import { closeDeps } from "./compose.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { start } from "./start.ts";

/** Node.js entry point: configuration -> adapters -> app -> listen. */
async function main() {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const deps = await start(config);
  const app = buildApp(deps);
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    deps.log.info({ port: info.port }, "listening");
    printWelcome(config.port, deps.config.demoData, deps.config.devSmsOutbox);
  });
  const stop = async () => {
    server.close();
    await closeDeps(deps);
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

function printWelcome(port: number, demo: boolean, outbox: boolean) {
  const url = `http://localhost:${port}`;
  const lines = [
    "",
    `  广西制造业企业培优育强服务券管理平台 is running: ${url}`,
    `  Admin portal: ${url}/admin/login`,
  ];
  if (outbox) lines.push(`  SMS outbox (development): ${url}/dev/sms`);
  if (demo) {
    lines.push(
      "  Demo logins (password Demo#2026):",
      "    admin portal: admin (super_admin), reviewer, finance, operator",
      "    enterprises: phones 13800000001 ... 13800000009 (账号密码登录 or 验证码登录)",
    );
  }
  lines.push("");
  console.log(lines.join("\n"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
