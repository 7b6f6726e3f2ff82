import { Hono } from "hono";
import { z } from "zod";
import { type AppEnv, type Ctx, clientIp, formUploads, render } from "../../web/http.ts";
import { form } from "../../web/validate.ts";
import { MAX_UPLOAD_BYTES, sniffType } from "../files/domain.ts";
import { parseOrderNumber } from "../orders/domain.ts";
import { PARTY_TEXT, type SigningService } from "./service.ts";

/**
 * 合同验真 (public, no sign-in): whether a PDF is a contract signed on this platform and unchanged
 * since, by uploading it or by typing its 合同编号 (the order number) and its SHA-256. Nothing is
 * stored and nothing changes, so a verdict is the POST's own answer (200), not a redirect; a reload
 * asks again and gets the same answer. Only a file whose SHA-256 is recorded for a completed sign
 * flow (the holder's own document) shows the contract's details; a changed or unknown file shows
 * the verdict alone (docs/decisions.md).
 */

type Verdict = Awaited<ReturnType<SigningService["verifyDocument"]>>;

/** Verifications per client address and hour (both forms together); a real provider's verify may be billed per call. */
export const VERIFY_PER_HOUR = 60;
const RATE_WINDOW_SECONDS = 3600;

/** A form value as one string with every space removed (a digest or number pasted across lines). */
const compact = (v: unknown) => {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === "string" ? x.replace(/\s+/g, "") : "";
};

const numberForm = z.object({
  number: z.preprocess(compact, z.string()).transform((s, ctx) => {
    const n = s.toUpperCase();
    if (!n) ctx.addIssue({ code: "custom", message: "请输入合同编号" });
    else if (!parseOrderNumber(n)) ctx.addIssue({ code: "custom", message: "合同编号格式不正确，应为DD加8位日期和序号，如 DD20261127000042" });
    else return n;
    return z.NEVER;
  }),
  sha256: z.preprocess(compact, z.string()).transform((s, ctx) => {
    const h = s.toLowerCase();
    if (!h) ctx.addIssue({ code: "custom", message: "请输入文件摘要（SHA-256）" });
    else if (!/^[0-9a-f]{64}$/.test(h)) ctx.addIssue({ code: "custom", message: "文件摘要应为64位十六进制字符（0-9、a-f）" });
    else return h;
    return z.NEVER;
  }),
});

/** What the page says about one verdict. Details only when the checked bytes are a file recorded for the flow. */
function shown(v: Verdict, by: "file" | "number") {
  const what = by === "file" ? "该文件" : "该摘要对应的文件";
  if (!v.found) return { tone: "fail", heading: "未找到匹配的已签署合同", detail: v.reason, sha256: v.sha256, details: null };
  if (v.kind === "modified") {
    return {
      tone: "fail",
      heading: "验证未通过：文件签署后已被修改",
      detail: `${what}带有${v.provider}的签署记录，但内容与签署完成时的文件不一致，不能作为有效的签署合同。请向签署方索取签署完成的文件后重新验证。`,
      sha256: v.sha256,
      provider: v.provider,
      details: null,
    };
  }
  const completedAt = v.flow.endedAt;
  const details = {
    orderNumber: v.orderNumber,
    fileKind: { signed: "已签署版本（含双方签章和签署信息页）", vendor: "签署服务商出具的签署文件", original: "合同原件（未签署）" }[v.kind],
    signers: [...v.signers].sort((a, b) => a.signOrder - b.signOrder).map((s) => ({ party: PARTY_TEXT[s.party], name: s.name, signedAt: s.signedAt })),
    provider: v.provider,
    flowId: v.flow.externalFlowId ?? "",
    completedAt,
    recorded: [
      { label: "合同原件", sha256: v.flow.documentSha256 },
      { label: "已签署版本", sha256: v.flow.signedSha256 ?? "" },
      { label: "签署服务商文件", sha256: v.flow.vendorSha256 ?? "" },
    ].map((r) => ({ ...r, match: r.sha256 === v.sha256 })),
  };
  if (v.kind === "original") {
    return {
      tone: "partial",
      heading: "该文件是合同原件（未签署版本）",
      detail: `原件未签署：${what}是发起签署时生成的合同原件，不含双方的电子签章。该合同已由双方签署完成，请以签署完成的文件为准（可向签署方索取）。`,
      sha256: v.sha256,
      details,
    };
  }
  return {
    tone: "pass",
    heading: "验证通过：该文件是本平台签署的合同，签署后未被修改",
    detail:
      v.kind === "signed" ? `${what}是双方下载的已签署版本，与签署完成时平台记录的文件完全一致。` : `${what}是${v.provider}出具的签署文件，未被修改。`,
    sha256: v.sha256,
    details,
  };
}

export function signingVerifyRoutes() {
  const r = new Hono<AppEnv>();

  const page = (
    c: Ctx,
    data: { values?: Record<string, string>; errors?: Record<string, string>; result?: ReturnType<typeof shown> } = {},
    status: 200 | 422 | 429 = 200,
  ) => {
    if (c.req.method === "POST") c.header("Cache-Control", "no-store");
    return render(c, "public/verify", { title: "合同验真", values: data.values ?? {}, errors: data.errors ?? {}, result: data.result ?? null }, status);
  };

  /** One more verification from this address, or the 429 message once the hour's are used. */
  const limited = async (c: Ctx): Promise<string | null> => {
    const key = `signing-verify:ip:${clientIp(c)}`;
    const n = await c.var.deps.cache.incr(key, RATE_WINDOW_SECONDS);
    if (n <= VERIFY_PER_HOUR) return null;
    const left = await c.var.deps.cache.ttl(key);
    return `验证过于频繁，请${Math.max(1, Math.ceil((left > 0 ? left : RATE_WINDOW_SECONDS) / 60))}分钟后再试`;
  };

  r.get("/verify", (c) => page(c));

  r.post("/verify", async (c) => {
    const [upload] = await formUploads(c, "document");
    let error: string | null = null;
    if (!upload) error = "请选择要验证的合同文件（PDF）";
    else if (upload.bytes.length > MAX_UPLOAD_BYTES) error = `文件不能超过${MAX_UPLOAD_BYTES / 1024 / 1024}MB`;
    else if (sniffType(upload.bytes) !== "application/pdf") error = "只能验证PDF文件，请选择合同的PDF文件";
    if (error || !upload) return page(c, { errors: { document: error ?? "" } }, 422);
    const busy = await limited(c);
    if (busy) return page(c, { errors: { _form: busy } }, 429);
    return page(c, { result: shown(await c.var.deps.signing.verifyDocument(upload.bytes), "file") });
  });

  r.post(
    "/verify/number",
    form(numberForm, (c: Ctx, errors, values) => page(c, { values, errors }, 422)),
    async (c) => {
      const f = c.req.valid("form");
      const values = { number: f.number, sha256: f.sha256 };
      const busy = await limited(c);
      if (busy) return page(c, { values, errors: { _form: busy } }, 429);
      return page(c, { values, result: shown(await c.var.deps.signing.verifyByNumber(f.number, f.sha256), "number") });
    },
  );

  return r;
}
