import { describe, expect, it } from "vitest";
import {
  checkCreditCode,
  checkIdNumber,
  creditCodeCheckChar,
  idNumberCheckChar,
  maskAccountNumber,
  maskIdNumber,
} from "../../src/modules/enterprises/codes.ts";

describe("统一社会信用代码 (GB 32100)", () => {
  // The standard's sample code and the published codes of well-known companies.
  it.each(["91350100M000100Y43", "914403001922038216", "9144030071526726XG", "91330100716105852F"])("accepts %s", (code) => {
    expect(checkCreditCode(code)).toEqual({ ok: true, code });
  });
  it("computes the check character by weights 3^(i-1) mod 31", () => {
    expect(creditCodeCheckChar("91350100M000100Y4")).toBe("3");
  });
  it("normalises case and spaces", () => {
    expect(checkCreditCode(" 91350100m000100y43 ")).toEqual({ ok: true, code: "91350100M000100Y43" });
  });
  it("reports a code of the right shape whose check character disagrees (some genuine early codes do)", () => {
    // A well-formed code with a wrong check character: the case the wizard asks the user to confirm.
    expect(checkCreditCode("91350100M000100Y44")).toEqual({ ok: false, code: "91350100M000100Y44", reason: "checksum" });
  });
  it.each([
    ["", "empty"],
    ["91350100M000100Y4", "length"],
    ["91350100M000100Y433", "length"],
    ["91350100M000100I43", "charset"],
    ["91350100M000100O43", "charset"],
    ["9135010OM000100Z43", "charset"],
  ])("refuses %j (%s)", (code, reason) => {
    expect(checkCreditCode(code)).toMatchObject({ ok: false, reason });
  });
  it("every single-character change of a valid code is caught", () => {
    const valid = "91350100M000100Y43";
    const charset = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    for (let i = 0; i < 18; i++) {
      for (const ch of charset) {
        if (ch === valid[i]) continue;
        const changed = valid.slice(0, i) + ch + valid.slice(i + 1);
        expect(checkCreditCode(changed).ok).toBe(false);
      }
    }
  });
});

describe("居民身份证号码 (GB 11643)", () => {
  const today = new Date("2026-11-27T00:00:00Z");
  const make = (first17: string) => first17 + idNumberCheckChar(first17);
  it("accepts the standard's sample and computed valid numbers", () => {
    expect(checkIdNumber("11010519491231002X", today)).toEqual({ ok: true, id: "11010519491231002X", birthDate: "1949-12-31" });
    const nanning = make("45010219800229123");
    expect(checkIdNumber(nanning, today)).toMatchObject({ ok: true, birthDate: "1980-02-29" });
    expect(checkIdNumber(nanning.toLowerCase(), today).ok).toBe(true);
  });
  it.each([
    ["", "empty"],
    ["1101051949123100", "format"],
    ["11010519491231002Y", "format"],
    ["99010519491231002X", "region"],
    [make("45010219810229123"), "birth"], // 1981 is not a leap year
    [make("45010219801301123"), "birth"],
    [make("45010218991231123"), "birth"],
    [make("45010220301231123"), "birth"], // in the future
    ["110105194912310021", "checksum"],
  ])("refuses %j (%s)", (id, reason) => {
    expect(checkIdNumber(id, today)).toMatchObject({ ok: false, reason });
  });
});

describe("masking", () => {
  it("keeps only what a reader needs", () => {
    expect(maskIdNumber("11010519491231002X")).toBe("110************02X");
    expect(maskAccountNumber("6222020200112233445")).toBe("**** **** 3445");
    expect(maskAccountNumber("123")).toBe("****");
  });
});
