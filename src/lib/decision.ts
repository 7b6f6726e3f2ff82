import { type Result, fail, ok } from "./result.ts";

/**
 * A reviewer's 通过 / 驳回 as every review form posts it: a reason is required to reject, and
 * is at most 500 characters either way.
 */
export function readDecision(f: { decision: string; reason: string }): Result<{ approve: boolean; reason: string }> {
  if (f.decision !== "approve" && f.decision !== "reject") return fail({ decision: "请选择通过或驳回" });
  const reason = f.reason.trim().replace(/\s+/g, " ");
  if (f.decision === "reject" && [...reason].length < 2) return fail({ reason: "驳回时请填写驳回原因（至少2个字）" });
  if ([...reason].length > 500) return fail({ reason: "原因不能超过500个字" });
  return ok({ approve: f.decision === "approve", reason });
}
