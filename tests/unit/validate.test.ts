import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseYuanToFen, readYuan, yuan } from "../../src/lib/money.ts";
import {
  MAX_PAGE,
  checkbox,
  dateFilter,
  oneOf,
  oneOfFilter,
  optionalEnum,
  paging,
  enumFilter,
  enumFilterOr,
  enumList,
  enumOf,
  form,
  pageNo,
  params,
  query,
  searchText,
  text,
  uuid,
  yuanFen,
} from "../../src/web/validate.ts";

const LABELS = { draft: "草稿", listed: "已上架" } as const;
const PROTOTYPE_KEYS = ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"];

describe("money (one parser for the project)", () => {
  it("reads yuan into integer fen exactly", () => {
    expect(parseYuanToFen("12,345.6")).toBe(1_234_560);
    expect(parseYuanToFen("¥800")).toBe(80_000);
    expect(parseYuanToFen("￥0.01")).toBe(1);
    expect(parseYuanToFen("0.1")).toBe(10);
    expect(parseYuanToFen("19.99")).toBe(1999);
    expect(parseYuanToFen("1e5")).toBeNull();
    expect(parseYuanToFen("1.234")).toBeNull();
    expect(parseYuanToFen("Infinity")).toBeNull();
    expect(readYuan("-5")).toEqual({ problem: "negative" });
    expect(readYuan("")).toEqual({ problem: "empty" });
    expect(readYuan("99999999999")).toEqual({ problem: "too_large" });
  });
  it("formats fen as ¥12,345.00", () => {
    expect(yuan(1_234_500)).toBe("¥12,345.00");
    expect(yuan(5)).toBe("¥0.05");
    expect(yuan(100_000_000_000)).toBe("¥1,000,000,000.00");
  });
});

describe("edge schemas", () => {
  it("enums refuse prototype keys", () => {
    const s = enumOf(LABELS, "请选择状态");
    expect(s.safeParse("draft").success).toBe(true);
    for (const k of PROTOTYPE_KEYS) expect(s.safeParse(k).success).toBe(false);
    expect(enumFilter(LABELS).parse("constructor")).toBeUndefined();
    expect(enumList(LABELS, "类型不正确").safeParse(["draft", "__proto__"]).success).toBe(false);
    expect(enumList(LABELS, "类型不正确").parse(["draft", "draft", "listed"])).toEqual(["draft", "listed"]);
    expect(enumList(LABELS, "类型不正确").parse(undefined)).toEqual([]);
  });
  it("page numbers are integers 1..MAX_PAGE, clamped", () => {
    const cases: [unknown, number][] = [
      ["1", 1],
      ["7", 7],
      ["0", 1],
      ["-1", 1],
      ["abc", 1],
      ["1e400", 1],
      ["1e18", 1],
      ["1000000000000000000", MAX_PAGE],
      ["99999", MAX_PAGE],
      ["2.5", 1],
      [undefined, 1],
      [["3", "4"], 3],
      ["Infinity", 1],
      ["NaN", 1],
    ];
    for (const [input, page] of cases) expect(pageNo.parse(input), String(input)).toBe(page);
    // A list opened without ?page= is page 1 (the key is absent, not undefined).
    expect(paging.parse({})).toEqual({ page: 1 });
  });
  it("a list query without page or status is page 1 of the default queue", () => {
    expect(z.object({ page: pageNo, status: enumFilterOr(LABELS, "draft") }).parse({})).toEqual({ page: 1, status: "draft" });
    expect(z.object({ status: enumFilterOr(LABELS, "draft") }).parse({ status: "" })).toEqual({ status: "" });
    expect(z.object({ status: enumFilterOr(LABELS, "draft") }).parse({ status: "constructor" })).toEqual({ status: "" });
  });
  it("text is trimmed, NUL-free and bounded", () => {
    const s = text({ max: 5, label: "标题", required: "请输入标题" });
    expect(s.parse("  ab\u0000c ")).toBe("abc");
    expect(s.safeParse("   ").error?.issues[0]?.message).toBe("请输入标题");
    expect(s.safeParse("123456").error?.issues[0]?.message).toBe("标题不能超过5个字");
    expect(s.parse(["x", "y"])).toBe("x");
    expect(searchText(3).parse("abcdef")).toBe("abc");
  });
  it("amounts become fen with worded messages", () => {
    const s = yuanFen("价格", { required: "请输入价格" });
    expect(s.parse("1,000.5")).toBe(100_050);
    expect(s.safeParse("").error?.issues[0]?.message).toBe("请输入价格");
    expect(s.safeParse("-1").error?.issues[0]?.message).toBe("价格不能为负数");
    expect(s.safeParse("abc").error?.issues[0]?.message).toBe("价格应为金额（元），最多两位小数");
    expect(yuanFen("预算").parse("")).toBeUndefined();
  });
  it("optional enums, fixed lists and date filters refuse prototype keys and impossible dates", () => {
    const size = optionalEnum(LABELS, "请选择");
    expect(size.parse("")).toBeUndefined();
    expect(size.parse("listed")).toBe("listed");
    for (const k of PROTOTYPE_KEYS) expect(size.safeParse(k).error?.issues[0]?.message).toBe("请选择");
    const city = oneOf(["450100", "450200"], "请选择所在城市");
    expect(city.parse(" 450100 ")).toBe("450100");
    for (const k of [...PROTOTYPE_KEYS, "", "4501"]) expect(city.safeParse(k).success).toBe(false);
    expect(oneOfFilter(["450100"]).parse("constructor")).toBeUndefined();
    expect(dateFilter.parse("2026-02-28")).toBe("2026-02-28");
    for (const d of ["2026-02-30", "2026-13-45", "x", undefined]) expect(dateFilter.parse(d)).toBeUndefined();
    expect(yuanFen("核定额度", { invalid: "核定额度应为大于0的金额", minFen: 1 }).safeParse("0").error?.issues[0]?.message).toBe(
      "核定额度应为大于0的金额",
    );
  });
  it("uuids and checkboxes", () => {
    expect(uuid().safeParse("8d7c4a7e-7c1e-4f6e-9f1a-2b3c4d5e6f70").success).toBe(true);
    expect(uuid().safeParse("1' or '1'='1").success).toBe(false);
    expect(checkbox.parse("on")).toBe(true);
    expect(checkbox.parse(undefined)).toBe(false);
  });
});

describe("edge middleware", () => {
  const app = new Hono();
  app.get("/list", query(z.object({ page: pageNo, status: enumFilter(LABELS), q: searchText() })), (c) => c.json(c.req.valid("query")));
  app.post(
    "/form",
    form(z.object({ title: text({ max: 10, label: "标题", required: "请输入标题" }), status: enumOf(LABELS, "请选择状态") }), (c, errors, values) =>
      c.json({ errors, values }, 422),
    ),
    (c) => c.json(c.req.valid("form")),
  );
  app.get(
    "/items/:id",
    params(z.object({ id: uuid() }), (c) => c.text("not found", 404)),
    (c) => c.text(c.req.valid("param").id),
  );

  it("query: bad values fall back to defaults", async () => {
    const res = await app.request("/list?page=1e400&status=constructor&q=%20x%20");
    expect(await res.json()).toEqual({ page: 1, q: "x" });
  });
  it("form: failures come back per field, with what was typed", async () => {
    const res = await app.request("/form", {
      method: "POST",
      body: new URLSearchParams({ title: "", status: "__proto__", _csrf: "t" }),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ errors: { title: "请输入标题", status: "请选择状态" }, values: { title: "", status: "__proto__" } });
    const good = await app.request("/form", { method: "POST", body: new URLSearchParams({ title: " 好 ", status: "listed" }) });
    expect(await good.json()).toEqual({ title: "好", status: "listed" });
  });
  it("params: a malformed id is a 404", async () => {
    expect((await app.request("/items/abc")).status).toBe(404);
    expect(await (await app.request("/items/8d7c4a7e-7c1e-4f6e-9f1a-2b3c4d5e6f70")).text()).toBe("8d7c4a7e-7c1e-4f6e-9f1a-2b3c4d5e6f70");
  });
});
