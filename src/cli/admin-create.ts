import { parseArgs } from "node:util";
import { migrate } from "../adapters/migrate.ts";
import { buildDeps, closeDeps } from "../compose.ts";
import { ADMIN_ROLES } from "../modules/identity/domain.ts";
import { CliError, cliConfig, describeDatabase, runCli } from "./common.ts";

const USAGE = `Usage: npm run admin:create -- --username NAME [--name 显示名] [--role ${ADMIN_ROLES.join("|")}]

Creates a platform staff account (default role super_admin) in the configured database
(DATABASE_URL, else the embedded PGlite in DATA_DIR), migrating it first if needed.
The password is read from the ADMIN_PASSWORD environment variable, or asked for on the terminal.
In production a super_admin or finance account enrols a TOTP second factor at its first sign-in;
further staff are managed in the admin portal (工作人员管理, /admin/staff).`;

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (err?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return finish();
        if (ch === "\u0003" || ch === "\u0004") return finish(new CliError("cancelled")); // Ctrl-C, Ctrl-D
        if (ch === "\u007f" || ch === "\b") value = [...value].slice(0, -1).join("");
        else if (ch === "\u0015")
          value = ""; // Ctrl-U
        else if (ch >= " ") value += ch;
      }
    };
    process.stderr.write(question);
    stdin.setEncoding("utf8");
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
  });
}

async function readPassword(): Promise<string> {
  const fromEnv = process.env.ADMIN_PASSWORD;
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY) {
    throw new CliError("no password: set ADMIN_PASSWORD, or run in a terminal to be asked for it");
  }
  const first = await promptHidden("Password: ");
  const second = await promptHidden("Repeat password: ");
  if (first !== second) throw new CliError("the two passwords differ");
  return first;
}

runCli("admin:create", async () => {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        username: { type: "string" },
        name: { type: "string" },
        role: { type: "string", default: "super_admin" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.username) throw new CliError(`--username is required\n\n${USAGE}`);
  if (!(ADMIN_ROLES as readonly string[]).includes(values.role)) {
    throw new CliError(`unknown role "${values.role}" (one of ${ADMIN_ROLES.join(", ")})`);
  }

  const config = cliConfig();
  const password = await readPassword();
  console.log(`Database: ${describeDatabase(config)}`);
  const deps = await buildDeps(config);
  try {
    const applied = await migrate(deps.db);
    if (applied.length) console.log(`Applied migrations: ${applied.join(", ")}`);
    const res = await deps.identity.createAdmin({
      username: values.username,
      displayName: values.name ?? "",
      password,
      role: values.role,
      actor: "cli",
    });
    if (!res.ok) {
      const reasons = Object.entries(res.errors).map(([field, message]) => (field === "_form" ? message : `${field}: ${message}`));
      throw new CliError(`admin "${values.username}" was not created: ${reasons.join("; ")}`);
    }
    console.log(`Created admin "${values.username.trim()}" (role ${values.role}, id ${res.value.adminId}).`);
  } finally {
    await closeDeps(deps);
  }
});
