import { describe, expect, it } from "vitest";
import {
  MESSAGE_STATUS_TEXT,
  type MessageStatus,
  REFERENCE_RE,
  checkMessage,
  checkReply,
  messageReference,
  normaliseReference,
  normaliseText,
  replyNotice,
  transition,
} from "../../src/modules/messages/domain.ts";

const good = { category: "question", content: "请问服务券的有效期是多久？", contactPhone: "13912345678" };

describe("留言 validation", () => {
  it("accepts a valid message and normalises it", () => {
    const r = checkMessage({ category: "complaint", content: "  第一行\r\n第二行\u0007  ", contactPhone: "139 1234-5678" });
    expect(r).toEqual({ ok: true, value: { category: "complaint", content: "第一行\n第二行", contactPhone: "13912345678" } });
  });

  it.each([
    [{ content: "" }, "content", "请输入留言内容"],
    [{ content: "   \n  " }, "content", "请输入留言内容"],
    [{ content: "四个字呢" }, "content", "留言内容至少5个字"],
    [{ content: "长".repeat(2001) }, "content", "留言内容不能超过2000个字（当前2001个字）"],
    [{ category: "" }, "category", "请选择留言类别"],
    [{ category: "praise" }, "category", "请选择留言类别"],
    [{ category: "toString" }, "category", "请选择留言类别"],
    [{ contactPhone: "" }, "contactPhone", "请输入联系电话"],
    [{ contactPhone: "1391234567" }, "contactPhone", "联系电话应为11位手机号，用于接收回复通知"],
    [{ contactPhone: "0771-1234567" }, "contactPhone", "联系电话应为11位手机号，用于接收回复通知"],
    [{ contactPhone: "12912345678" }, "contactPhone", "联系电话应为11位手机号，用于接收回复通知"],
  ])("refuses %j", (patch, field, message) => {
    const r = checkMessage({ ...good, ...patch });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.status).toBe(422);
      expect(r.errors).toEqual({ [field]: message });
    }
  });

  it("counts characters, not UTF-16 units: 2000 Chinese characters or emoji pass", () => {
    expect(checkMessage({ ...good, content: "字".repeat(2000) }).ok).toBe(true);
    expect(checkMessage({ ...good, content: "😀".repeat(2000) }).ok).toBe(true);
    expect(checkMessage({ ...good, content: "😀".repeat(5) }).ok).toBe(true);
  });

  it("reports every bad field at once", () => {
    const r = checkMessage({ category: "x", content: "", contactPhone: "1" });
    expect(r.ok || Object.keys(r.errors).sort()).toEqual(["category", "contactPhone", "content"]);
  });

  it("a reply has 1-2000 characters", () => {
    expect(checkReply("  好的\r\n")).toEqual({ ok: true, value: "好的" });
    expect(checkReply(" \n ")).toEqual({ ok: false, status: 422, errors: { content: "请输入回复内容" } });
    expect(checkReply("答".repeat(2000)).ok).toBe(true);
    expect(checkReply("答".repeat(2001)).ok).toBe(false);
  });

  it("keeps line breaks and tabs, drops other control characters", () => {
    expect(normaliseText("a\tb\r\nc\rd\u0000e\u001bf\u007f")).toBe("a\tb\nc\nd" + "ef");
  });
});

describe("状态: 待回复 -> 已回复 -> 已关闭", () => {
  it("has exactly the three Chinese statuses", () => {
    expect(MESSAGE_STATUS_TEXT).toEqual({ pending: "待回复", replied: "已回复", closed: "已关闭" });
  });

  it("reply moves 待回复 and 已回复 to 已回复; close moves both to 已关闭", () => {
    for (const s of ["pending", "replied"] as MessageStatus[]) {
      expect(transition(s, "reply")).toEqual({ ok: true, value: "replied" });
      expect(transition(s, "close")).toEqual({ ok: true, value: "closed" });
    }
  });

  it("a closed message refuses a reply and a second close with 409", () => {
    expect(transition("closed", "reply")).toEqual({ ok: false, status: 409, errors: { _form: "该留言已关闭，不能回复" } });
    expect(transition("closed", "close")).toEqual({ ok: false, status: 409, errors: { _form: "该留言已关闭，无需重复关闭" } });
  });
});

describe("留言编号 and the SMS notice", () => {
  it("is LY and 8 digits; typed references are normalised", () => {
    expect(messageReference("01234567")).toBe("LY01234567");
    expect(REFERENCE_RE.test("LY01234567")).toBe(true);
    expect(REFERENCE_RE.test("LY0123456")).toBe(false);
    expect(normaliseReference(" ly0123 4567 ")).toBe("LY01234567");
  });

  it("tells a signed-in author to open 我的留言, an anonymous one to look the reference up", () => {
    expect(replyNotice("LY01234567", true)).toBe("【服务券平台】您的留言（编号LY01234567）已有回复，请登录平台在“个人中心-我的留言”查看。");
    expect(replyNotice("LY01234567", false)).toContain("凭留言编号和联系电话查看");
  });
});
