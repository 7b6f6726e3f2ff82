import { describe, expect, it } from "vitest";
import {
  CAPTCHA,
  LOGIN_BACKOFF,
  SMS_CODE,
  backoffSeconds,
  checkCaptchaFormat,
  checkEnterpriseName,
  checkNewPassword,
  checkPhone,
  checkSmsCodeFormat,
  checkUsername,
  maskPhone,
  normaliseName,
  normalisePhone,
  smsText,
  waitText,
} from "../../src/modules/identity/domain.ts";

describe("phone numbers", () => {
  it.each(["13800000001", "19912345678", "15000000000", "17612345678"])("accepts %s", (p) => {
    expect(checkPhone(p)).toBeNull();
  });
  it.each([
    ["", "请输入手机号"],
    ["1380000000", "请输入正确的11位手机号"],
    ["138000000011", "请输入正确的11位手机号"],
    ["12800000001", "请输入正确的11位手机号"],
    ["23800000001", "请输入正确的11位手机号"],
    ["1380000000a", "请输入正确的11位手机号"],
    ["+8613800000001", "请输入正确的11位手机号"],
  ])("refuses %j", (p, msg) => {
    expect(checkPhone(p)).toBe(msg);
  });
  it("normalises spaces and dashes", () => {
    expect(normalisePhone(" 138-0000 0001 ")).toBe("13800000001");
  });
  it("masks the middle four digits", () => {
    expect(maskPhone("13800000001")).toBe("138****0001");
    expect(maskPhone("123")).toBe("***");
  });
});

describe("enterprise names", () => {
  it("accepts a normal name and normalises whitespace", () => {
    expect(normaliseName("  广西  示例 有限公司 ")).toBe("广西 示例 有限公司");
    expect(checkEnterpriseName("广西示例机械制造有限公司")).toBeNull();
  });
  it("counts characters, not UTF-16 units, at the 100 limit", () => {
    expect(checkEnterpriseName("测".repeat(100))).toBeNull();
    expect(checkEnterpriseName("测".repeat(101))).toBe("企业名称不能超过100个字");
    expect(checkEnterpriseName("𠀀".repeat(100))).toBeNull();
  });
  it.each([
    ["", "请输入企业名称"],
    ["测", "企业名称至少2个字"],
    ["测试<script>", "企业名称含有不允许的字符"],
    ["测试\u0000公司", "企业名称含有不允许的字符"],
  ])("refuses %j", (n, msg) => {
    expect(checkEnterpriseName(n)).toBe(msg);
  });
});

describe("password policy", () => {
  it("accepts the demo password and long passphrases", () => {
    expect(checkNewPassword("Demo#2026")).toBeNull();
    expect(checkNewPassword("我的密码很长很长很长")).toBeNull();
    expect(checkNewPassword(`${"a".repeat(63)}b`)).toBeNull();
  });
  it.each([
    ["", "请输入密码"],
    ["Abc#123", "密码至少8位"],
    [`${"a".repeat(64)}b`, "密码不能超过64位"],
    ["12345678", "密码过于常见，请换一个"],
    ["Password1", "密码过于常见，请换一个"],
    ["aaaaaaaaa", "密码不能由同一个字符组成"],
  ])("refuses %j", (p, msg) => {
    expect(checkNewPassword(p)).toBe(msg);
  });
  it("refuses a password containing the account's phone", () => {
    expect(checkNewPassword("x13800000001", { phone: "13800000001" })).toBe("密码不能包含手机号");
  });
});

describe("one-time codes", () => {
  it("SMS codes are 6 digits, 5 minutes, 5 tries, 60 s apart", () => {
    expect(SMS_CODE).toEqual({ length: 6, ttlSeconds: 300, maxTries: 5, resendSeconds: 60 });
  });
  it("captchas live 2 minutes", () => {
    expect(CAPTCHA.ttlSeconds).toBe(120);
    expect(CAPTCHA.alphabet).not.toMatch(/[01OIL5S8B2Z]/);
  });
  it.each([
    ["", "请输入手机验证码"],
    ["12345", "手机验证码为6位数字"],
    ["1234567", "手机验证码为6位数字"],
    ["12345a", "手机验证码为6位数字"],
  ])("refuses SMS code %j", (c, msg) => {
    expect(checkSmsCodeFormat(c)).toBe(msg);
  });
  it("accepts a 6-digit SMS code", () => {
    expect(checkSmsCodeFormat("012345")).toBeNull();
  });
  it("checks the captcha answer's shape", () => {
    expect(checkCaptchaFormat("")).toBe("请输入图形验证码");
    expect(checkCaptchaFormat("x".repeat(11))).toBe("图形验证码不正确");
    expect(checkCaptchaFormat("AB3D")).toBeNull();
  });
  it("names the purpose and the validity in the SMS text", () => {
    const text = smsText("register", "123456");
    expect(text).toContain("注册验证码为123456");
    expect(text).toContain("5分钟内有效");
  });
});

describe("login back-off", () => {
  it("allows the first failures freely, then doubles the wait up to 15 minutes", () => {
    expect(backoffSeconds(0)).toBe(0);
    expect(backoffSeconds(LOGIN_BACKOFF.freeFailures - 1)).toBe(0);
    expect(backoffSeconds(5)).toBe(30);
    expect(backoffSeconds(6)).toBe(60);
    expect(backoffSeconds(7)).toBe(120);
    expect(backoffSeconds(9)).toBe(480);
    expect(backoffSeconds(10)).toBe(900);
    expect(backoffSeconds(50)).toBe(900);
  });
  it("speaks of waits in seconds or whole minutes", () => {
    expect(waitText(30)).toBe("30秒");
    expect(waitText(61)).toBe("2分钟");
  });
});

describe("admin usernames", () => {
  it.each(["admin", "reviewer", "li.ming_2", "Abc"])("accepts %s", (u) => expect(checkUsername(u)).toBeNull());
  it.each(["", "ab", "1admin", "管理员", "a b c", "x".repeat(33)])("refuses %j", (u) => expect(checkUsername(u)).not.toBeNull());
});
