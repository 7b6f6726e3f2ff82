import { Eta } from "eta";
import { fileURLToPath } from "node:url";

export const VIEWS_DIR = fileURLToPath(new URL("../../views/", import.meta.url));

export function createViews(opts: { cache: boolean }) {
  return new Eta({ views: VIEWS_DIR, cache: opts.cache, autoEscape: true, autoTrim: [false, "nl"] });
}
export type Views = ReturnType<typeof createViews>;

const money = new Intl.NumberFormat("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const dateTime = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hour12: false,
});
const date = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" });

/** Formatting helpers every template gets as `it.fmt`. */
export const fmt = {
  /** Integer fen -> ¥12,345.00 */
  fen(fen: number): string {
    const sign = fen < 0 ? "-" : "";
    return `${sign}¥${money.format(Math.abs(fen) / 100)}`;
  },
  dateTime(d: Date | string | null | undefined): string {
    return d ? dateTime.format(new Date(d)).replace(/\//g, "-") : "";
  },
  date(d: Date | string | null | undefined): string {
    return d ? date.format(new Date(d)).replace(/\//g, "-") : "";
  },
  maskPhone(p: string): string {
    return p && p.length === 11 ? `${p.slice(0, 3)}****${p.slice(7)}` : "***";
  },
};
