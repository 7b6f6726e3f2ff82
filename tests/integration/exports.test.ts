import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, makeTestApp, testClock } from "../support/app.ts";
import type { Browser } from "../support/client.ts";
import { signInAdmin } from "../support/flows.ts";
import { parseCsv, readXlsx } from "../support/exports.ts";
import { exportService } from "../../src/modules/exports/service.ts";
import { pgExportJobs } from "../../src/modules/exports/pg.ts";
import { pgAudit } from "../../src/modules/audit/pg.ts";
import { xlsxSpreadsheets } from "../../src/adapters/xlsx-writer.ts";

/**
 * 导出 CSV / 导出 Excel through HTTP on the demo data (six orders, all submitted at the same instant,
 * so the export's keyset walks ties by id), with a real job engine: up to 3 rows download at once,
 * more run as a background job read 2 rows per batch. The clock follows real time (the audit trail is
 * stamped by the database) until the expiry test moves it a day on.
 */
const clock = testClock(new Date());
let t: TestApp;
let operator: Browser;
let finance: Browser;
const now = () => clock.set(new Date());
const jobCount = async () => (await t.deps.db.query<{ n: number }>("select count(*)::int as n from export_jobs"))[0]!.n;
const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer());
/** The order numbers the admin's list shows (every page) for a query. */
async function listed(b: Browser, qs: string): Promise<string[]> {
  const numbers: string[] = [];
  for (let p = 1; p < 20; p++) {
    await b.get(`/admin/orders?${qs}&page=${p}`);
    numbers.push(...[...b.lastHtml.matchAll(/data-label="订单编号">(DD\d{14})</g)].map((m) => m[1]!));
    if (!b.lastHtml.includes(">下一页<")) break;
  }
  return numbers;
}

beforeAll(async () => {
  t = await makeTestApp({
    demo: true,
    clock,
    jobs: "engine",
    env: { EXPORT_DIRECT_MAX_ROWS: "3", EXPORT_BATCH_ROWS: "2", EXPORT_MAX_RANGE_DAYS: "31" },
  });
  // The engine runs (sends are accepted) but no export worker yet: a queued export waits where the test can see it.
  await t.deps.jobs.start();
  operator = await signInAdmin(t, "operator");
  finance = await signInAdmin(t, "finance");
}, 120_000);
afterAll(async () => t?.close());

describe("direct downloads", () => {
  it("downloads the filtered 订单管理 as CSV: the list's rows in its order, Chinese intact, money in yuan, times in Asia/Shanghai", async () => {
    now();
    const qs = "provider=检验检测";
    const shown = await listed(operator, qs);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThanOrEqual(3);
    expect(operator.lastHtml).toContain(`href="/admin/orders/export?format=csv&amp;provider=${encodeURIComponent("检验检测")}"`);
    const res = await operator.get(`/admin/orders/export?format=csv&${qs}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("Cache-Control")).toBe("private, no-store");
    const day = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10).replaceAll("-", "");
    expect(res.headers.get("Content-Disposition")).toBe(
      `attachment; filename="orders-${day}.csv"; filename*=UTF-8''${encodeURIComponent(`订单管理-${day}.csv`)}`,
    );
    const rows = parseCsv(await bytesOf(res));
    expect(rows[0]).toEqual([
      "订单编号",
      "服务产品",
      "下单企业",
      "企业所在城市",
      "服务商",
      "合同金额（元）",
      "补贴券抵扣（元）",
      "企业自付（元）",
      "订单状态",
      "提交时间",
    ]);
    expect(rows.slice(1).map((r) => r[0])).toEqual(shown);
    const [order] = await t.deps.db.query<{ contract_fen: number; created_at: Date }>("select contract_fen, created_at from orders where number = $1", [
      shown[0],
    ]);
    const first = rows[1]!;
    expect(first[4]).toBe("广西示例检验检测技术有限公司");
    expect(first[5]).toBe((order!.contract_fen / 100).toFixed(2));
    expect(first[9]).toBe(new Date(order!.created_at.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace("T", " "));
    expect(await jobCount()).toBe(0);
    const [audit] = await t.deps.db.query<{ data: { source: string; rows: number } }>(
      "select data from audit_events where action = 'list_exported' order by id desc limit 1",
    );
    expect(audit!.data).toMatchObject({ source: "orders", rows: shown.length, format: "csv" });
  });

  it("downloads the same rows as Excel, with money as numbers", async () => {
    now();
    const shown = await listed(finance, "provider=检验检测");
    const res = await finance.get(`/admin/orders/export?format=xlsx&provider=${encodeURIComponent("检验检测")}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    expect(res.headers.get("Content-Disposition")).toMatch(/filename\*=UTF-8''%E8%AE%A2%E5%8D%95%E7%AE%A1%E7%90%86-\d{8}\.xlsx$/);
    const book = readXlsx(await bytesOf(res));
    expect(book.sheetName).toBe("订单管理");
    expect(book.rows.slice(1).map((r) => r[0]!.value)).toEqual(shown);
    expect(book.rows[1]![4]!.value).toBe("广西示例检验检测技术有限公司");
    expect(typeof book.rows[1]![5]!.value).toBe("number");
  });
});

describe("a large export runs as a background job", () => {
  let id = "";

  it("asks first (nothing queued), then queues it and shows its progress without JavaScript", async () => {
    now();
    const all = await listed(operator, "");
    expect(all.length).toBe(6);
    const ask = await operator.get("/admin/orders/export?format=csv");
    expect(ask.status).toBe(200);
    expect(operator.lastHtml).toContain("符合条件的记录共 <strong>6</strong> 条");
    expect(operator.lastHtml).toContain('action="/admin/orders/export?format=csv"');
    expect(await jobCount()).toBe(0);
    const queued = await operator.post("/admin/orders/export?format=csv", {});
    expect(queued.status).toBe(303);
    id = queued.headers.get("Location")!.match(/^\/admin\/exports\/([0-9a-f-]{36})$/)![1]!;
    await operator.get(`/admin/exports/${id}`);
    expect(operator.lastStatus).toBe(200);
    const page = operator.lastHtml;
    expect(page).toContain("排队中");
    expect(page).toContain('<progress id="export-progress" max="6" value="0">0%</progress>');
    expect(page).toContain("已处理 0 / 6 行");
    expect(page).toContain(`hx-get="/admin/exports/${id}" hx-trigger="every 2s"`);
    expect(page).toContain(`<a href="/admin/exports/${id}">刷新</a>`);
    expect(page).not.toContain("/download");
    expect((await operator.get(`/admin/exports/${id}/download`)).status).toBe(409);
  });

  it("only the staff member who asked sees it; a visitor is sent to sign in", async () => {
    expect((await finance.get(`/admin/exports/${id}`)).status).toBe(404);
    expect((await finance.get(`/admin/exports/${id}/download`)).status).toBe(404);
    await finance.get("/admin/exports");
    expect(finance.lastHtml).not.toContain(id);
    const visitor = new (operator.constructor as typeof Browser)(t);
    const res = await visitor.get(`/admin/exports/${id}`);
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toMatch(/^\/admin\/login\?next=/);
  });

  it("runs on the job engine to 已完成, then downloads every row of the list", async () => {
    await t.deps.exports.startWorkers();
    let page = "";
    for (let i = 0; i < 200 && !page.includes("已完成"); i++) {
      await operator.get(`/admin/exports/${id}`);
      page = operator.lastHtml;
      if (!page.includes("已完成")) await new Promise((r) => setTimeout(r, 100));
    }
    expect(page).toContain("已完成");
    expect(page).toContain('<progress id="export-progress" max="6" value="6">100%</progress>');
    expect(page).not.toContain("hx-trigger");
    expect(page).toMatch(new RegExp(`href="/admin/exports/${id}/download">下载 订单管理-\\d{8}\\.csv</a>`));
    const res = await operator.get(`/admin/exports/${id}/download`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Disposition")).toMatch(/filename\*=UTF-8''%E8%AE%A2/);
    const rows = parseCsv(await bytesOf(res));
    now();
    expect(rows.slice(1).map((r) => r[0])).toEqual(await listed(operator, ""));
    await operator.get("/admin/exports");
    expect(operator.lastHtml).toContain(`/admin/exports/${id}/download`);
    // Its owner, once no longer allowed to read the list (another role), cannot download it either.
    const [me] = await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'operator'");
    expect(await t.deps.exports.download({ id: me!.id, role: "reviewer" }, id)).toMatchObject({ ok: false, status: 403 });
    const [job] = await t.deps.db.query<{ rows_done: number; file_id: string }>("select rows_done, file_id from export_jobs where id = $1", [id]);
    expect(job!.rows_done).toBe(6);
    const [file] = await t.deps.db.query<{ owner_enterprise_id: string | null; content_type: string }>(
      "select owner_enterprise_id, content_type from files where id = $1",
      [job!.file_id],
    );
    expect(file).toEqual({ owner_enterprise_id: null, content_type: "text/csv" });
  });

  it("exports the audit log for a date range as Excel in the background", async () => {
    now();
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const qs = `from=${today}&to=${today}`;
    const reviewer = await signInAdmin(t, "reviewer");
    await reviewer.get(`/admin/audit?${qs}`);
    expect(reviewer.lastHtml).toContain(`href="/admin/audit/export?format=xlsx&amp;from=${today}&amp;to=${today}"`);
    const total = Number(reviewer.lastHtml.match(/共 (\d+) 条/)![1]);
    expect(total).toBeGreaterThan(3);
    await reviewer.get(`/admin/audit/export?format=xlsx&${qs}`);
    expect(reviewer.lastStatus).toBe(200);
    const queued = await reviewer.post(`/admin/audit/export?format=xlsx&${qs}`, {});
    expect(queued.status).toBe(303);
    const jobId = queued.headers.get("Location")!.split("/").pop()!;
    for (let i = 0; i < 200; i++) {
      await reviewer.get(`/admin/exports/${jobId}`);
      if (reviewer.lastHtml.includes("已完成")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const res = await reviewer.get(`/admin/exports/${jobId}/download`);
    expect(res.status, reviewer.lastHtml).toBe(200);
    const book = readXlsx(await bytesOf(res));
    expect(book.sheetName).toBe("审计日志");
    expect(book.rows[0]!.map((c) => c.value)).toEqual([
      "时间",
      "操作人类型",
      "操作人编号",
      "对象类型",
      "对象编号",
      "操作",
      "原状态",
      "新状态",
      "原因",
      "请求编号",
    ]);
    // Every event recorded by the request, newest first (the export's own queueing event among them).
    expect(book.rows.length - 1).toBeGreaterThanOrEqual(total);
    expect(book.rows.some((r) => r.some((c) => c.value === "list_export_queued"))).toBe(true);
  });

  it("expires after a day: the download says so (410) and the sweep removes the file", async () => {
    clock.set(new Date(Date.now() + 25 * 3600_000));
    const again = await signInAdmin(t, "operator"); // the old session timed out on the moved clock
    const res = await again.get(`/admin/exports/${id}/download`);
    expect(res.status).toBe(410);
    expect(again.lastHtml).toContain("导出文件已过期，请重新导出");
    const [before] = await t.deps.db.query<{ file_id: string }>("select file_id from export_jobs where id = $1", [id]);
    const swept = await t.deps.exports.sweep();
    expect(swept.expired).toBeGreaterThanOrEqual(1);
    const [job] = await t.deps.db.query<{ status: string; file_id: string | null }>("select status, file_id from export_jobs where id = $1", [id]);
    expect(job).toEqual({ status: "expired", file_id: null });
    expect(await t.deps.db.query("select id from files where id = $1", [before!.file_id])).toEqual([]);
    await again.get(`/admin/exports/${id}`);
    expect(again.lastHtml).toContain("已过期");
    now();
  });
});

describe("who may export", () => {
  it("refuses a role that may not read the list (403) and sends a visitor to sign in", async () => {
    now();
    const reviewer = await signInAdmin(t, "reviewer");
    expect((await reviewer.get("/admin/orders/export?format=csv")).status).toBe(403);
    expect((await reviewer.post("/admin/orders/export?format=csv", {}, { csrf: reviewer.csrf() })).status).toBe(403);
    expect((await operator.get("/admin/audit/export?format=csv&from=2026-11-01&to=2026-11-30")).status).toBe(403);
    const visitor = new (operator.constructor as typeof Browser)(t);
    const res = await visitor.get("/admin/orders/export?format=csv");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toMatch(/^\/admin\/login/);
    // The use case checks the role itself, whatever the route does.
    const direct = await t.deps.exports.prepare({ id: "00000000-0000-4000-8000-000000000000", role: "reviewer" }, "orders", "csv", {});
    expect(direct).toMatchObject({ ok: false, status: 403 });
    expect(await jobCount()).toBe(2);
  });
});

describe("bad input: a clear message, a 4xx, nothing queued", () => {
  it("refuses an unknown format, a missing or too long range, a range that ends before it starts", async () => {
    now();
    const before = await jobCount();
    const reviewer = await signInAdmin(t, "reviewer");
    const cases: [Browser, string, number, string][] = [
      [operator, "/admin/orders/export?format=pdf", 400, "导出格式只能是 CSV 或 Excel"],
      [operator, "/admin/orders/export", 400, "导出格式只能是 CSV 或 Excel"],
      [operator, "/admin/orders/export?format=csv&from=2026-12-01&to=2026-11-01", 422, "开始日期不能晚于结束日期"],
      [reviewer, "/admin/audit/export?format=csv", 422, "导出前请选择起止日期（一次最多 31 天）"],
      [reviewer, "/admin/audit/export?format=xlsx&from=2020-01-01&to=2026-11-30", 422, "导出的日期范围为 2526 天，超过了一次最多 31 天"],
    ];
    for (const [b, path, status, message] of cases) {
      expect((await b.get(path)).status, path).toBe(status);
      expect(b.lastHtml, path).toContain(message);
      expect((await b.post(path, {}, { csrf: b.csrf() })).status, `POST ${path}`).toBe(status);
    }
    expect(operator.lastHtml).toContain('href="/admin/orders?from=2026-12-01&amp;to=2026-11-01"');
    expect(await jobCount()).toBe(before);
  });

  it("refuses more rows than the maximum, and more open exports than allowed (429)", async () => {
    now();
    const before = await jobCount();
    const settings = { ...t.deps.config.exports, maxRows: 5, directMaxRows: 1, maxOpenPerStaff: 1 };
    const tight = exportService({
      db: t.deps.db,
      clock,
      jobs: { ...t.deps.jobs, send: async () => "held" },
      files: t.deps.files,
      audit: pgAudit,
      spreadsheets: xlsxSpreadsheets(),
      exportRepo: pgExportJobs,
      settings,
      sources: [t.deps.orders.adminExport],
    });
    const [staff] = await t.deps.db.query<{ id: string }>("select id from admin_users where username = 'operator'");
    const op = { id: staff!.id, role: "operator" };
    const many = await tight.prepare(op, "orders", "csv", {});
    expect(many).toEqual({ ok: false, status: 422, errors: { _form: "符合条件的记录共 6 条，超过单次导出上限 5 条，请缩小筛选范围后再导出" } });
    expect(await tight.queue(op, "orders", "csv", {})).toMatchObject({ ok: false, status: 422 });
    expect(await jobCount()).toBe(before);
    // One open export per person here: the first stays queued (its engine holds it), the second is refused.
    const first = await tight.queue(op, "orders", "csv", { status: "cancelled" });
    expect(first.ok).toBe(true);
    expect(await tight.queue(op, "orders", "xlsx", { status: "declined" })).toEqual({
      ok: false,
      status: 429,
      errors: { _form: "您已有 1 个导出正在生成，请等待完成后再导出" },
    });
    expect(await jobCount()).toBe(before + 1);
  });
});
