import { describe, expect, it } from "vitest";
import { barChart, lineChart, niceMax, textWidth } from "../../src/modules/dashboard/chart-svg.ts";
import { USAGE_BUCKETS, compactYuan, monthDays, monthRange, monthText, percentText, usageBp, usageBucket } from "../../src/modules/dashboard/domain.ts";

describe("usage rates", () => {
  it("are consumed / granted in basis points, rounded down, 0 without a grant, never above 100%", () => {
    expect(usageBp(0, 1_000_000)).toBe(0);
    expect(usageBp(1, 3)).toBe(3333);
    expect(usageBp(2, 3)).toBe(6666);
    expect(usageBp(999_999, 1_000_000)).toBe(9999);
    expect(usageBp(1_000_000, 1_000_000)).toBe(10_000);
    expect(usageBp(5, 0)).toBe(0);
    expect(usageBp(-5, 100)).toBe(0);
    expect(usageBp(200, 100)).toBe(10_000);
    expect(percentText(6666)).toBe("66.6%");
    expect(percentText(0)).toBe("0.0%");
    expect(percentText(10_000)).toBe("100.0%");
  });

  it("fall in exactly one bucket: 未使用 for 0, then tenths, 100% in the last", () => {
    expect(usageBucket(0)).toBe(-1);
    expect(usageBucket(1)).toBe(0);
    expect(usageBucket(999)).toBe(0);
    expect(usageBucket(1000)).toBe(1);
    expect(usageBucket(6999)).toBe(6);
    expect(usageBucket(7000)).toBe(7);
    expect(usageBucket(10_000)).toBe(9);
    expect(USAGE_BUCKETS.map((b) => b.bucket)).toEqual([-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(USAGE_BUCKETS[0]!.label).toBe("未使用");
    expect(USAGE_BUCKETS.at(-1)!.label).toBe("90–100%");
  });
});

describe("months and amounts", () => {
  it("fills the months between the first and the last, across a year end, keeping the latest", () => {
    expect(monthRange("2025-11", "2026-02")).toEqual(["2025-11", "2025-12", "2026-01", "2026-02"]);
    expect(monthRange("2026-03", "2026-03")).toEqual(["2026-03"]);
    expect(monthRange("2026-04", "2026-03")).toEqual([]);
    expect(monthRange("2020-01", "2026-12", 3)).toEqual(["2026-10", "2026-11", "2026-12"]);
    expect(monthRange("bad", "2026-12")).toEqual([]);
    expect(monthText("2026-03")).toBe("2026年3月");
    expect(monthDays("2024-02")).toEqual(["2024-02-01", "2024-02-29"]);
    expect(monthDays("2026-12")).toEqual(["2026-12-01", "2026-12-31"]);
  });

  it("writes chart amounts short and never larger than the figure", () => {
    expect(compactYuan(95_000)).toBe("¥950");
    expect(compactYuan(999_900)).toBe("¥9,999");
    expect(compactYuan(1_299_900)).toBe("¥1.2万");
    expect(compactYuan(12_999_900)).toBe("¥12万");
    expect(compactYuan(3_456_789_000)).toBe("¥3,456万");
    expect(compactYuan(12_345_678_900)).toBe("¥1.23亿");
    expect(compactYuan(-1_200_000)).toBe("-¥1.2万");
    expect(compactYuan(0)).toBe("¥0");
  });
});

describe("charts", () => {
  const rows = [
    { label: "南宁市", values: [30, 20, 10, 40], valueText: "发放 ¥100" },
    { label: "柳州<市>", values: [0, 0, 0, 50], valueText: "发放 ¥50" },
  ];
  const series = [
    { name: "已兑付", fill: "solid" as const },
    { name: "已核销未兑付", fill: "hatch" as const },
    { name: "占用中", fill: "dots" as const },
    { name: "未使用", fill: "outline" as const },
  ];

  it("a bar chart is an image with its title and summary, labels escaped, one pattern per series and a legend", () => {
    const svg = barChart({ id: "c-x", title: "按城市", desc: "每行一个城市", series, rows });
    expect(svg).toMatch(/^<svg class="chart-svg" viewBox="0 0 340 \d+"[^>]* role="img" aria-labelledby="c-x-t c-x-d"/);
    expect(svg).toContain('<title id="c-x-t">按城市</title><desc id="c-x-d">每行一个城市</desc>');
    expect(svg).toContain("柳州&lt;市&gt;");
    expect(svg).not.toContain("柳州<市>");
    expect(svg).toContain('<pattern id="c-x-hatch"');
    expect(svg).toContain('<pattern id="c-x-dots"');
    for (const s of series) expect(svg).toContain(`>${s.name}</text>`);
    // Direct labels: every row carries its figure as text.
    expect(svg).toContain(">发放 ¥100</text>");
    expect(svg).toContain(">发放 ¥50</text>");
    // Bar lengths are proportional to the largest total (100 -> the full width).
    const widths = [...svg.matchAll(/<rect x="[\d.]+" y="\d+" width="([\d.]+)" height="14"/g)].map((m) => Number(m[1]));
    expect(widths.slice(0, 4).reduce((a, b) => a + b, 0)).toBeCloseTo(339, 0);
    expect(widths[4]).toBeCloseTo(169.5, 0);
    // No inline style (the Content-Security-Policy allows none) and no script.
    expect(svg).not.toMatch(/style=|<script/);
  });

  it("a single-series bar chart has no legend; an empty one says so", () => {
    const one = barChart({
      id: "c-o",
      title: "订单",
      desc: "d",
      series: [{ name: "订单数", fill: "solid" }],
      rows: [{ label: "待接单", values: [3], valueText: "3 个" }],
    });
    expect(one).not.toContain("<pattern");
    expect(one).not.toContain(">订单数</text>");
    const empty = barChart({ id: "c-e", title: "订单", desc: "d", series: [{ name: "订单数", fill: "solid" }], rows: [], empty: "暂无订单" });
    expect(empty).toContain(">暂无订单</text>");
  });

  it("a line chart draws each series with its own dash and marker and names it at its last point", () => {
    const svg = lineChart({
      id: "c-m",
      title: "按月",
      desc: "三条折线",
      xLabels: ["1月", "2月", "3月"],
      series: [
        { name: "发放", values: [100, 0, 0], stroke: "solid" },
        { name: "核销", values: [0, 40, 60], stroke: "dashed" },
        { name: "兑付", values: [0, 0, 60], stroke: "dotted" },
      ],
      format: (v) => String(v),
    });
    expect(svg).toContain('role="img"');
    expect((svg.match(/<path d="M/g) ?? []).length).toBe(3 + 3); // three lines and three triangle markers
    expect(svg).toContain('stroke-dasharray="7 4"');
    expect(svg).toContain('stroke-dasharray="2 3"');
    expect((svg.match(/<circle /g) ?? []).length).toBe(3);
    expect((svg.match(/<rect [^>]*width="7"/g) ?? []).length).toBe(3);
    for (const name of ["发放", "核销", "兑付"]) expect(svg).toContain(`>${name}</text>`);
    for (const m of ["1月", "2月", "3月"]) expect(svg).toContain(`>${m}</text>`);
    // 核销 and 兑付 end at the same value: their labels are pushed apart.
    const ys = ["核销", "兑付"].map((n) => Number(svg.match(new RegExp(`y="([\\d.]+)" font-size="13">${n}</text>`))![1]));
    expect(Math.abs(ys[0]! - ys[1]!)).toBeGreaterThanOrEqual(15);
    expect(niceMax(0)).toBe(1);
    expect(niceMax(130)).toBe(200);
    expect(niceMax(500)).toBe(500);
    expect(niceMax(501)).toBe(1000);
    expect(textWidth("南宁a")).toBeCloseTo(14 * 2 + 14 * 0.58);
  });
});
