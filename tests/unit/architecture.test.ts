import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The hexagonal rules of DESIGN.md section 2 and docs/architecture.md, checked on every file in src/:
 * - every file of a module has a role, read from its name (use case, repository, routes, ports, pure rules);
 * - pure rules import nothing but other pure rules;
 * - use cases and ports never import adapters, Hono, the web layer or a repository;
 * - a module reaches another module only through its use cases (or its pure rules);
 * - only the composition root picks adapters; database drivers live in their adapters;
 * - SQL is written only in repository files and the database adapters;
 * - routes never hold the database handle;
 * - each table is touched only by the module that owns it, and every table has an owner.
 * The few exceptions are listed below with their reasons, printed by the test, and fail it once stale.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SRC = join(ROOT, "src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

// ---------------------------------------------------------------------------------------------
// File roles, by name, so a new file of a known kind is covered without editing this test.

type Role = "service" | "repository" | "routes" | "ports" | "pure";
const ROLE_PATTERNS: Record<Role, RegExp> = {
  /** Use cases: `service.ts`, `ledger-service.ts`, `products-service.ts`. */
  service: /^(?:[a-z0-9]+-)*service\.ts$/,
  /** SQL repositories: `pg.ts`, `products-pg.ts`. */
  repository: /^(?:[a-z0-9]+-)*pg\.ts$/,
  /** Hono routers: `routes.ts`, `products-routes.ts`. */
  routes: /^(?:[a-z0-9]+-)*routes\.ts$/,
  /** What a module needs from outside: `ports.ts`. */
  ports: /^(?:[a-z0-9]+-)*ports\.ts$/,
  /** Pure rules: `domain.ts`, `codes.ts`, drawings such as `captcha-svg.ts` and `cover-svg.ts`. */
  pure: /^(?:(?:[a-z0-9]+-)*domain|codes|[a-z0-9-]+-svg)\.ts$/,
};
/** Pure rule files whose name does not say so (checked like every pure file: they import only pure code). */
const PURE_FILES: Record<string, string> = {
  "modules/content/markdown.ts": "the safe Markdown subset, source to HTML",
};

/** The role of a file under src/modules, or undefined. */
function roleOf(path: string): Role | undefined {
  if (!/^modules\/[^/]+\/[^/]+\.ts$/.test(path)) return undefined;
  if (path in PURE_FILES) return "pure";
  const name = basename(path);
  return (Object.keys(ROLE_PATTERNS) as Role[]).find((r) => ROLE_PATTERNS[r].test(name));
}
const is = (role: Role) => (path: string) => roleOf(path) === role;
const isPure = (p: string) => is("pure")(p) || /^(lib|reference)\//.test(p);

// ---------------------------------------------------------------------------------------------
// Sources: every file's imports, its string and template literals, and its code without literals or comments.

type Literal = { text: string; line: number };
type Source = { path: string; text: string; code: string; literals: Literal[] };

/** After one of these tokens a `/` starts a regular expression, not a division. */
const REGEX_AFTER_WORD = /\b(?:return|typeof|instanceof|in|of|new|delete|void|throw|case|do|else|yield|await)$/;

/**
 * A small JavaScript lexer: splits a source into literals (strings and the static parts of template
 * literals, each placeholder written as `?`) and code (literals blanked, comments removed). It knows
 * comments, escapes, nested template placeholders and regular-expression literals; that is enough
 * to tell SQL text from code without a parser dependency.
 */
function lex(text: string): { code: string; literals: Literal[] } {
  const literals: Literal[] = [];
  let code = "";
  let i = 0;
  const lineAt = (pos: number) => text.slice(0, pos).split("\n").length;
  const lastSignificant = () => code.replace(/\s+$/, "");

  function quoted(quote: string) {
    const start = i++;
    let s = "";
    while (i < text.length && text[i] !== quote) {
      if (text[i] === "\\") i++;
      s += text[i++];
    }
    i++;
    literals.push({ text: s, line: lineAt(start) });
    code += `${quote}${quote}`;
  }
  function template() {
    const start = i++;
    let s = "";
    while (i < text.length && text[i] !== "`") {
      if (text[i] === "\\") {
        s += text[i + 1];
        i += 2;
      } else if (text[i] === "$" && text[i + 1] === "{") {
        i += 2;
        s += "?";
        code += "`${";
        scan("}");
        code += "}`";
        i++;
      } else s += text[i++];
    }
    i++;
    literals.push({ text: s, line: lineAt(start) });
    code += "``";
  }
  function regex() {
    let inClass = false;
    i++;
    while (i < text.length) {
      const ch = text[i];
      if (ch === "\\") i++;
      else if (ch === "[") inClass = true;
      else if (ch === "]") inClass = false;
      else if (ch === "/" && !inClass) break;
      else if (ch === "\n") break;
      i++;
    }
    i++;
    while (/[a-z]/i.test(text[i] ?? "")) i++;
    code += "/re/";
  }
  /** Scans code until the closing character `end` at depth 0 (or the end of the text). */
  function scan(end?: string) {
    let depth = 0;
    while (i < text.length) {
      const ch = text[i]!;
      const next = text[i + 1];
      if (end && depth === 0 && ch === end) return;
      if (ch === "/" && next === "/") {
        while (i < text.length && text[i] !== "\n") i++;
      } else if (ch === "/" && next === "*") {
        const close = text.indexOf("*/", i + 2);
        i = close < 0 ? text.length : close + 2;
        code += " ";
      } else if (ch === '"' || ch === "'") quoted(ch);
      else if (ch === "`") template();
      else if (ch === "/") {
        const before = lastSignificant();
        if (before === "" || /[(,=:[!&|?{};+\-*%<>~^]$/.test(before) || REGEX_AFTER_WORD.test(before)) regex();
        else {
          code += ch;
          i++;
        }
      } else {
        if (ch === "{") depth++;
        if (ch === "}") depth--;
        code += ch;
        i++;
      }
    }
  }
  scan();
  return { code, literals };
}

const sources: Source[] = files(SRC).map((file) => {
  const text = readFileSync(file, "utf8");
  return { path: relative(SRC, file), text, ...lex(text) };
});

type Import = { from: string; spec: string; target: string };
const imports: Import[] = sources.flatMap(({ path, text }) =>
  [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']/gm)].map((m) => {
    const spec = m[1]!;
    const target = spec.startsWith(".") ? relative(SRC, resolve(dirname(join(SRC, path)), spec)) : spec;
    return { from: path, spec, target };
  }),
);

const moduleOf = (p: string) => p.match(/^modules\/([^/]+)\//)?.[1];
const COMPOSITION_ROOT = [/^compose\.ts$/, /^start\.ts$/, /^main(\.deno)?\.ts$/, /^cli\//];
const isAdapterCode = (p: string) => /^adapters\//.test(p);
const imported = (i: Import, re: RegExp) => re.test(i.target);

// ---------------------------------------------------------------------------------------------
// SQL: where it is written, and which tables it names.

const normalise = (s: string) => s.replace(/\s+/g, " ").trim();
const SQL_TEXT = [
  /\bselect\b.*\bfrom\s+[a-z_(]/i,
  /^select\s/i,
  /\binsert\s+into\s/i,
  /\bupdate\s+[a-z_][\w.]*(?:\s+[a-z_]\w*)?\s+set\s/i,
  /\bdelete\s+from\s/i,
  /\b(?:create|alter|drop)\s+(?:table|index|unique\s+index|view|schema|function|trigger|extension)\b/i,
  /\bpg_advisory\w*\(/i,
];
const isSql = (literal: string) => SQL_TEXT.some((re) => re.test(normalise(literal)));

/** Tables and views created by the migrations. */
const MIGRATIONS = join(ROOT, "migrations");
const migrationTables = new Set(
  readdirSync(MIGRATIONS)
    .filter((f) => f.endsWith(".sql"))
    .flatMap((f) => [
      ...readFileSync(join(MIGRATIONS, f), "utf8").matchAll(
        /\bcreate\s+(?:table|(?:materialized\s+)?view)\s+(?:if\s+not\s+exists\s+)?([a-z_][a-z0-9_]*)/gi,
      ),
    ])
    .map((m) => m[1]!.toLowerCase()),
);

type TableRef = { table: string; write: boolean };
const CLAUSE_END =
  /\b(?:where|join|on|using|group|order|limit|offset|left|right|inner|outer|cross|full|natural|union|returning|set|values|select|for|having|window|lateral|default|as)\b|[();]|$/i;
/** Tables named after from / join (reads) and into / update / delete from / alter table (writes), including `from a, b`. */
function tableRefs(literal: string): TableRef[] {
  const s = normalise(literal).toLowerCase();
  const refs: TableRef[] = [];
  for (const m of s.matchAll(/\b(delete from|from|join|into|update|alter table|truncate)\s+(?:only\s+)?/g)) {
    const rest = s.slice(m.index + m[0].length);
    const clause = rest.slice(0, rest.search(CLAUSE_END));
    const write = m[1] !== "from" && m[1] !== "join";
    const names = m[1] === "from" ? clause.split(",") : [clause];
    for (const item of names) {
      const table = item.trim().split(" ")[0];
      if (table && migrationTables.has(table)) refs.push({ table, write });
    }
  }
  return refs;
}

/**
 * Each module folder and the tables it owns; `reads` names another module's table it may read (never write), with the reason;
 * `planned` names tables its design note describes that no migration creates yet (one that exists must move to `owns`).
 */
type Ownership = { owns: string[]; reads?: Record<string, string>; hostedIn?: string; planned?: string[] };
const TABLES: Record<string, Ownership> = {
  identity: { owns: ["accounts", "admin_users", "admin_recovery_codes"] },
  enterprises: { owns: ["enterprises", "enterprise_certifications", "enterprise_bank_accounts", "enterprise_directory"] },
  files: { owns: ["files"] },
  audit: { owns: ["audit_events"] },
  vouchers: {
    owns: ["voucher_programmes", "quota_applications", "voucher_accounts", "voucher_ledger", "allocation_runs", "voucher_account_directory"],
    reads: { enterprise_directory: "the view enterprises publishes for other modules' lists and the annual allocation" },
  },
  catalog: {
    owns: ["service_categories", "negative_words", "provider_applications", "providers", "provider_directory"],
    reads: { enterprise_directory: "the view enterprises publishes for other modules' lists" },
  },
  products: {
    owns: ["products", "product_revisions", "product_listings"],
    reads: {
      provider_directory:
        "the view catalog publishes: public listings hide a suspended provider's products in the same query (a join on its status) instead of one service call per page",
    },
  },
  demands: { owns: ["demands", "demand_responses"] },
  messages: { owns: ["messages", "message_replies"] },
  content: { owns: ["articles", "article_attachments"] },
  portal: { owns: [] },
  versions: { owns: ["data_versions"] },
  orders: {
    owns: [
      "orders",
      "contracts",
      "contract_versions",
      "order_events",
      "order_money_lines",
      "order_deliveries",
      "order_delivery_files",
      "order_reviews",
      "order_terminations",
      "order_directory",
    ],
    reads: {
      enterprise_directory: "the view enterprises publishes: the ordering enterprise's name (and, for the admin, its city) in 订单管理 lists",
      provider_directory: "the view catalog publishes: the admin's 订单管理 names and searches each order's provider in its one list query",
      voucher_account_directory: "the view vouchers publishes: the admin's 订单管理 filters by the programme of each order's voucher account in SQL",
    },
  },
  dashboard: {
    owns: [
      "dashboard_ledger_deltas",
      "dashboard_rollup",
      "dashboard_account_usage",
      "dashboard_usage_buckets",
      "dashboard_order_deltas",
      "dashboard_order_counts",
      "dashboard_state",
    ],
    reads: {
      provider_directory: "the view catalog publishes: the names of the top providers, joined by id in the query that ranks them",
      enterprise_directory: "the view enterprises publishes: the names and cities of the voucher accounts on a page of usage rates",
    },
  },
  signing: { owns: ["seals", "sign_flows", "sign_flow_signers", "callback_inbox", "callback_events"] },
  payments: { owns: ["payments", "refunds", "payment_reconciliations"] },
  settlement: {
    owns: ["settlements", "settlement_orders", "settlement_files", "settlement_events", "settlement_year_totals", "payout_batches"],
    reads: {
      provider_directory: "the view catalog publishes: the provider's name in the 兑付 queue and the public 兑付公示",
      enterprise_directory: "the view enterprises publishes: the enterprise's (masked) name in the public 兑付公示",
      order_directory: "the view orders publishes: the order numbers of the demo's history of 兑付, joined by id as it is written",
    },
  },
  monitoring: {
    owns: ["usage_reminders", "party_suspensions"],
    reads: {
      enterprise_directory: "the view enterprises publishes: 暂停交易管理 names each suspended enterprise and finds one by name in SQL",
      provider_directory: "the view catalog publishes: 暂停交易管理 names each suspended provider and finds one by name in SQL",
    },
  },
  exports: { owns: ["export_jobs"] },
};
/**
 * Tables owned by an adapter rather than a module: the state of a provider we do not run, or the
 * storage behind a port, kept in our database only so that several app instances see one provider
 * (one file store). Each is named by its prefix, and only the adapter's own folder (or file) may name
 * it (no module reads it); the adapter names no other table.
 */
type AdapterTables = { prefix: string; reason: string };
const ADAPTER_TABLES: Record<string, AdapterTables> = {
  "adapters/mock-esign/": {
    prefix: "mock_esign_",
    reason: "the mock e-signature provider's own state (parties, checks, seals, flows, links, callback outbox), as a vendor keeps it on its side",
  },
  "adapters/mock-pay/": {
    prefix: "mock_pay_",
    reason: "the mock payment gateway's own state (cashier sessions, refunds, payouts, notification outbox), as a bank gateway keeps it on its side",
  },
  "adapters/pg-files.ts": {
    prefix: "file_store_",
    reason:
      "the bytes behind the FileStore port (FILE_STORE=postgres), as an object store keeps them; the files module keeps its rows in `files` and reaches the bytes through the port",
  },
};
const adapterOwnerOf = (table: string) => Object.entries(ADAPTER_TABLES).find(([, a]) => table.startsWith(a.prefix))?.[0];

const moduleFolders = readdirSync(join(SRC, "modules")).filter((f) => statSync(join(SRC, "modules", f)).isDirectory());
/** The folder whose files may touch a module's tables: its own, or its host while it has no folder yet. */
const folderOf = (module: string) => (moduleFolders.includes(module) ? module : (TABLES[module]!.hostedIn ?? module));
const ownerFolder = new Map(Object.entries(TABLES).flatMap(([m, o]) => o.owns.map((t) => [t, folderOf(m)] as const)));
const readsOf = (folder: string) =>
  Object.entries(TABLES)
    .filter(([m]) => folderOf(m) === folder)
    .flatMap(([, o]) => Object.keys(o.reads ?? {}));

// ---------------------------------------------------------------------------------------------
// Exceptions. Each one must still match something (a stale entry fails the test, so the list stays true).

type SqlException = { file: RegExp; sql?: RegExp; reason: string };
const SQL_EXCEPTIONS: SqlException[] = [
  {
    file: /^app\.ts$/,
    sql: /^select 1$/,
    reason: "the /readyz probe asks the database for `select 1`: it names no table, it only proves the connection answers",
  },
  {
    file: /^demo(-history)?\.ts$/,
    sql: /^select\s/i,
    reason:
      "the demo seed drives the real use cases and only looks up (select) the ids and counts of what it created; it writes through services. Debt: move the lookups behind use cases",
  },
];
/** Where SQL belongs: repository files, the database adapters and the Db port's own helpers. */
const SQL_HOME = (p: string) => is("repository")(p) || isAdapterCode(p) || p === "ports/db.ts";

/** Files outside the composition root that may import a named adapter file. */
type AdapterImportException = { file: RegExp; target: RegExp; reason: string };
const ADAPTER_IMPORT_EXCEPTIONS: AdapterImportException[] = [
  {
    file: /^app\.ts$/,
    target: /^adapters\/mock-esign\/routes\.ts$/,
    reason:
      "the routers list mounts the mock e-signature provider's hosted pages (a vendor's site on the same server); they answer 404 unless the composition root chose the mock",
  },
  {
    file: /^app\.ts$/,
    target: /^adapters\/mock-pay\/routes\.ts$/,
    reason:
      "the routers list mounts the mock payment gateway's cashier (a bank's site on the same server); it answers 404 unless the composition root chose the mock",
  },
];

type DbException = { file: RegExp; reason: string };
const DB_IN_ROUTES_EXCEPTIONS: DbException[] = [];

const used = new Set<object>();
/** The exception that allows this finding (marked as used, so a stale one can be reported). */
const exceptionFor = <T extends { file: RegExp }>(list: T[], path: string, match: (e: T) => boolean = () => true) => {
  const e = list.find((x) => x.file.test(path) && match(x));
  if (e) used.add(e);
  return e;
};
const sqlExceptionFor = (path: string, literal: string) => exceptionFor(SQL_EXCEPTIONS, path, (e) => !e.sql || e.sql.test(normalise(literal)));
/** `deps.db`, `c.var.deps.db`, or `{ db } = deps` in code (literals and comments removed). */
const DEPS_DB = /\bdeps\s*\.\s*db\b|\{[^{}]*\bdb\b[^{}]*\}\s*=\s*(?:c\.var\.)?deps\b/;

// ---------------------------------------------------------------------------------------------

describe("architecture", () => {
  it("finds the imports, literals and SQL it checks", () => {
    expect(imports.length).toBeGreaterThan(50);
    expect(imports.some((i) => i.from === "modules/identity/service.ts")).toBe(true);
    const repo = sources.find((s) => s.path === "modules/identity/pg.ts")!;
    expect(repo.literals.filter((l) => isSql(l.text)).length).toBeGreaterThan(3);
    expect(tableRefs(repo.literals.map((l) => l.text).join(" ")).map((r) => r.table)).toContain("accounts");
    expect(migrationTables.size).toBeGreaterThan(20);
  });

  it("its lexer tells SQL from code, comments and regular expressions", () => {
    const { code, literals } = lex(
      [
        "// select id from accounts",
        "const re = /['`]/g; const half = a / 2 / b;",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: this is source text for the lexer, not a template
        "/* insert into files */ const q = `select ${cols} from products p, providers v where ${w}`;",
        "db.query('update accounts set phone = $1', [x]);",
      ].join("\n"),
    );
    expect(literals.map((l) => l.text)).toEqual(["select ? from products p, providers v where ?", "update accounts set phone = $1"]);
    expect(code).toContain("/re/");
    expect(code).not.toMatch(/accounts|files/);
    expect(literals[1]!.line).toBe(4);
    expect(tableRefs(literals[0]!.text)).toEqual([
      { table: "products", write: false },
      { table: "providers", write: false },
    ]);
    expect(tableRefs("delete from demands where id = $1")).toEqual([{ table: "demands", write: true }]);
    expect(isSql("请选择 from 列表")).toBe(false);
  });

  it("every file of a module has a role its name declares", () => {
    const unmatched = sources.map((s) => s.path).filter((p) => p.startsWith("modules/") && !roleOf(p));
    expect(unmatched, `name these by role (${Object.values(ROLE_PATTERNS).join(" ")}) or list a pure file in PURE_FILES`).toEqual([]);
  });

  it("relative imports name their file with its extension (Node and Deno resolve them alike)", () => {
    const bad = imports.filter((i) => i.spec.startsWith(".") && !/\.(ts|json)$/.test(i.spec));
    expect(bad).toEqual([]);
  });

  it("pure rules are pure: no I/O, no framework, no adapters, no other layer", () => {
    const bad = imports.filter((i) => is("pure")(i.from) && !isPure(i.target));
    expect(bad).toEqual([]);
  });

  it("use cases and ports do not import adapters, Hono, the web layer or a repository", () => {
    const bad = imports.filter(
      (i) =>
        (is("service")(i.from) || is("ports")(i.from) || /^ports\//.test(i.from)) &&
        (imported(i, /^(adapters|web)\/|^hono|^@hono\//) || is("repository")(i.target)),
    );
    expect(bad).toEqual([]);
  });

  it("repositories import only ports, pure rules and src/lib", () => {
    const bad = imports.filter(
      (i) =>
        is("repository")(i.from) &&
        (imported(i, /^(adapters|web)\/|^hono|^@hono\//) ||
          is("service")(i.target) ||
          is("routes")(i.target) ||
          (moduleOf(i.target) && moduleOf(i.target) !== moduleOf(i.from))),
    );
    expect(bad).toEqual([]);
  });

  it("routes reach the database only through use cases", () => {
    const bad = imports.filter((i) => is("routes")(i.from) && (is("repository")(i.target) || imported(i, /^adapters\/|^ports\/db\.ts$/)));
    expect(bad).toEqual([]);
  });

  it("a module uses another module only through its use cases (or pure rules)", () => {
    const bad = imports.filter((i) => {
      const a = moduleOf(i.from);
      const b = moduleOf(i.target);
      return a && b && a !== b && !is("service")(i.target) && !is("pure")(i.target);
    });
    expect(bad).toEqual([]);
  });

  it("only the composition root chooses adapters", () => {
    const bad = imports.filter(
      (i) =>
        imported(i, /^adapters\//) &&
        !isAdapterCode(i.from) &&
        !COMPOSITION_ROOT.some((r) => r.test(i.from)) &&
        !exceptionFor(ADAPTER_IMPORT_EXCEPTIONS, i.from, (e) => e.target.test(i.target)),
    );
    expect(bad).toEqual([]);
  });

  it("database drivers are imported only by their adapters", () => {
    const bad = imports.filter((i) => imported(i, /^(postgres|@electric-sql\/pglite|redis|pg-boss)$/) && !isAdapterCode(i.from));
    expect(bad).toEqual([]);
  });

  it("SQL text is written only in repository files and the database adapters", () => {
    const bad = sources.flatMap((s) =>
      SQL_HOME(s.path)
        ? []
        : s.literals
            .filter((l) => isSql(l.text) && !sqlExceptionFor(s.path, l.text))
            .map((l) => `${s.path}:${l.line}: ${normalise(l.text).slice(0, 100)}`),
    );
    expect(bad, "move this SQL into the module's repository (pg.ts or *-pg.ts) behind a port").toEqual([]);
  });

  it("queries run only in repository files and the database adapters", () => {
    // Names bound to regular expressions anywhere in src (RegExp#exec is not a database call).
    const regexNames = new Set(
      sources.flatMap((s) => [...s.code.matchAll(/\b(?:const|let|var)\s+([\w$]+)\s*=\s*(?:\/re\/|new RegExp\b)/g)].map((m) => m[1]!)),
    );
    const bad = sources.flatMap((s) => {
      // A file with an SQL exception may run its (listed) statements; its SQL text is checked above.
      if (SQL_HOME(s.path) || SQL_EXCEPTIONS.some((e) => e.file.test(s.path))) return [];
      return [...s.code.matchAll(/([\w$.]+|\/re\/|\))\s*\.\s*(query|exec)\s*(?:<[^>()]*>)?\s*\(/g)]
        .filter((m) => {
          const receiver = m[1]!;
          const last = receiver.split(".").filter(Boolean).pop() ?? receiver;
          if (m[2] === "query") return last !== "req"; // c.req.query() reads the URL
          return receiver !== "/re/" && !regexNames.has(last);
        })
        .map((m) => `${s.path}: ${m[0]}`);
    });
    expect(bad, "run queries in the module's repository (pg.ts or *-pg.ts)").toEqual([]);
  });

  it("routes never hold the database handle (no deps.db)", () => {
    const bad = sources
      .filter((s) => is("routes")(s.path))
      .filter((s) => DEPS_DB.test(s.code))
      .filter((s) => !exceptionFor(DB_IN_ROUTES_EXCEPTIONS, s.path))
      .map((s) => s.path);
    expect(bad, "call a use case of the module's service instead").toEqual([]);
  });

  it("every table created by a migration belongs to exactly one module, and every listed table exists", () => {
    const listed = Object.values(TABLES).flatMap((o) => o.owns);
    expect(
      listed.filter((t) => adapterOwnerOf(t)),
      "a module cannot own an adapter's tables",
    ).toEqual([]);
    expect(
      [...migrationTables].filter((t) => !listed.includes(t) && !adapterOwnerOf(t)),
      "assign each new table to its module in TABLES",
    ).toEqual([]);
    expect(listed.filter((t) => !migrationTables.has(t))).toEqual([]);
    expect(listed.filter((t, i) => listed.indexOf(t) !== i)).toEqual([]);
    const reads = Object.values(TABLES).flatMap((o) => Object.keys(o.reads ?? {}));
    expect(reads.filter((t) => !migrationTables.has(t))).toEqual([]);
    const planned = Object.values(TABLES).flatMap((o) => o.planned ?? []);
    expect(
      planned.filter((t) => migrationTables.has(t)),
      "a migration creates these planned tables now: move them to the module's owns",
    ).toEqual([]);
    expect(planned.filter((t) => listed.includes(t))).toEqual([]);
  });

  it("an adapter's own tables are named only in that adapter, and it names no other table", () => {
    for (const [folder, a] of Object.entries(ADAPTER_TABLES)) {
      expect(existsSync(join(SRC, folder)), `${folder} exists`).toBe(true);
      expect(
        [...migrationTables].some((t) => t.startsWith(a.prefix)),
        `a migration creates ${a.prefix}* tables`,
      ).toBe(true);
    }
    const bad = sources.flatMap((s) =>
      s.literals.flatMap((l) =>
        tableRefs(l.text)
          .filter((r) => {
            const owner = adapterOwnerOf(r.table);
            const home = Object.keys(ADAPTER_TABLES).find((f) => s.path.startsWith(f));
            return owner ? !s.path.startsWith(owner) : home !== undefined;
          })
          .map((r) => `${s.path}:${l.line}: names ${r.table}`),
      ),
    );
    expect(bad, "an adapter's tables are its own; the platform reaches the provider through its port").toEqual([]);
  });

  it("the mock providers do not import the platform's modules (they stand for vendors outside it)", () => {
    const bad = imports.filter((i) => Object.keys(ADAPTER_TABLES).some((f) => i.from.startsWith(f)) && imported(i, /^modules\//));
    expect(bad).toEqual([]);
  });

  it("every module folder is in the table map (a module with no tables says so)", () => {
    expect(moduleFolders.filter((m) => !(m in TABLES))).toEqual([]);
    const hosts = Object.values(TABLES).flatMap((o) => (o.hostedIn ? [o.hostedIn] : []));
    expect(hosts.filter((h) => !(h in TABLES))).toEqual([]);
  });

  it("each table is touched only by the module that owns it (others read only what they are allowed to)", () => {
    const bad = sources.flatMap((s) => {
      const folder = moduleOf(s.path);
      if (!folder) return [];
      return s.literals.flatMap((l) =>
        tableRefs(l.text)
          .filter((r) => ownerFolder.get(r.table) !== folder && (r.write || !readsOf(folder).includes(r.table)))
          .map((r) => `${s.path}:${l.line}: ${r.write ? "writes" : "reads"} ${r.table} (owned by ${ownerFolder.get(r.table) ?? adapterOwnerOf(r.table)})`),
      );
    });
    expect(bad, "call the owning module's service instead").toEqual([]);
  });

  it("every exception still applies, and the list is printed", () => {
    const all = [...SQL_EXCEPTIONS, ...DB_IN_ROUTES_EXCEPTIONS, ...ADAPTER_IMPORT_EXCEPTIONS];
    console.info(
      [
        "Architecture exceptions:",
        ...SQL_EXCEPTIONS.map((e) => `  SQL outside a repository in ${e.file.source}${e.sql ? ` (${e.sql.source})` : ""}: ${e.reason}`),
        ...DB_IN_ROUTES_EXCEPTIONS.map((e) => `  deps.db in ${e.file.source}: ${e.reason}`),
        ...ADAPTER_IMPORT_EXCEPTIONS.map((e) => `  ${e.file.source} imports ${e.target.source}: ${e.reason}`),
        ...Object.entries(ADAPTER_TABLES).map(([f, a]) => `  ${a.prefix}* tables owned by ${f}: ${a.reason}`),
        ...Object.entries(TABLES).flatMap(([m, o]) => Object.entries(o.reads ?? {}).map(([t, why]) => `  ${m} reads ${t}: ${why}`)),
        ...Object.entries(PURE_FILES).map(([f, why]) => `  pure by listing, not by name: ${f} (${why})`),
      ].join("\n"),
    );
    // The checks above mark what they used; run them again here so this test stands alone.
    for (const s of sources) {
      for (const l of s.literals) if (!SQL_HOME(s.path) && isSql(l.text)) sqlExceptionFor(s.path, l.text);
      if (is("routes")(s.path) && DEPS_DB.test(s.code)) exceptionFor(DB_IN_ROUTES_EXCEPTIONS, s.path);
    }
    for (const i of imports) if (imported(i, /^adapters\//)) exceptionFor(ADAPTER_IMPORT_EXCEPTIONS, i.from, (e) => e.target.test(i.target));
    const stale = all.filter((e) => !used.has(e)).map((e) => `${e.file.source}: ${e.reason}`);
    expect(stale, "nothing matches these exceptions any more: remove them").toEqual([]);
    const missing = Object.keys(PURE_FILES).filter((f) => !existsSync(join(SRC, f)));
    expect(missing, "these pure files are gone: remove them from PURE_FILES").toEqual([]);
  });
});
