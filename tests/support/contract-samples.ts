import type { ContractContent } from "../../src/modules/orders/domain.ts";
import { sealLayout } from "../../src/modules/signing/seal-domain.ts";
import { createHash } from "node:crypto";
import type { ContractDocumentInput, ContractDocuments, PartySignature, SealDrawing } from "../../src/ports/documents.ts";

/** A contract version as the orders module stores it, for the documents port's tests and bench. */
export function sampleContract(overrides: Partial<ContractContent> = {}): ContractContent {
  return {
    partyA: {
      name: "广西柳州精工机械制造有限公司",
      creditCode: "91450200MA5KXXXX1Q",
      legalName: "韦建国",
      address: "广西壮族自治区柳州市柳南区航岭路18号",
    },
    partyB: {
      name: "南宁智造咨询服务有限公司",
      creditCode: "91450100MA5LYYYY2R",
      legalName: "黄晓梅",
      address: "广西壮族自治区南宁市青秀区民族大道136号华润大厦B座2201室",
    },
    serviceContent:
      "乙方为甲方提供智能制造能力成熟度诊断服务：\n1. 现场调研甲方的生产、质量、设备与信息化管理现状，访谈关键岗位人员不少于20人次；\n2. 依据GB/T 39116-2020《智能制造能力成熟度模型》进行评估，形成诊断报告；\n3. 提出分阶段的改进路线图和投资估算；\n4. Wi-Fi and fiber network survey（车间无线与光纤网络测试）。",
    deliverables:
      "《智能制造能力成熟度诊断报告》一份（纸质版三份、电子版一份）；《改进路线图》一份（含车间Wi-Fi覆盖与光纤网络评估）；诊断启动会与成果汇报会各一次。",
    acceptance: "甲方在收到交付物之日起10个工作日内组织验收；交付物内容完整、符合第一条约定即为验收合格。逾期未提出书面异议的，视为验收合格。",
    contractFen: 12_345_600,
    depositFen: 3_000_000,
    serviceFrom: "2025-03-01",
    serviceTo: "2025-06-30",
    paymentTerms: "合同签署后5个工作日内，甲方支付定金；验收合格后5个工作日内，甲方支付尾款。服务券抵扣部分由平台按规定与乙方结算。",
    liability: "任何一方违反本合同约定的，应向守约方承担违约责任，赔偿因此造成的直接损失。乙方逾期交付的，每逾期一日按合同金额的0.5‰支付违约金。",
    disputeResolution: "因本合同引起的争议，双方协商解决；协商不成的，提交甲方所在地人民法院诉讼解决。",
    otherTerms: "",
    ...overrides,
  };
}

export function sampleInput(overrides: Partial<ContractDocumentInput> = {}): ContractDocumentInput {
  return {
    number: "FW20250215000123",
    version: 2,
    content: sampleContract(),
    amounts: { deductionFen: 6_172_800, selfPayFen: 6_172_800, balanceFen: 3_172_800 },
    contentSha256: "3f1d0c8e5b9a4c7d2e6f8a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d",
    issuedAt: new Date("2025-02-16T03:04:05Z"),
    ...overrides,
  };
}

/**
 * The round seal the signing module lays out for this name (modules/signing/seal-domain.ts), as the
 * documents port takes it: a `SealLayout` is a `SealDrawing` as it is.
 */
export function sampleSeal(name: string, label: string | null = "合同专用章"): SealDrawing {
  const seal = sealLayout(name, { label });
  if (!seal.ok) throw new Error(seal.message);
  return seal.layout;
}

/** Both parties' signatures on the sample contract: 甲方 10:10 and 乙方 00:45 the next day, Shanghai time. */
export function sampleSignatures(c: ContractContent = sampleContract()): PartySignature[] {
  return [
    {
      party: "甲方",
      name: c.partyA.name,
      signer: c.partyA.legalName,
      verification: "人脸识别",
      signedAt: new Date("2025-02-17T02:10:00Z"),
      seal: sampleSeal(c.partyA.name),
    },
    {
      party: "乙方",
      name: c.partyB.name,
      signer: c.partyB.legalName,
      verification: "人脸识别",
      signedAt: new Date("2025-02-17T16:45:30Z"),
      seal: sampleSeal(c.partyB.name, null),
    },
  ];
}

/** The sample contract rendered, and stamped with both signatures. */
export async function sampleRender(docs: ContractDocuments, input: ContractDocumentInput = sampleInput()) {
  const original = await docs.renderContract(input);
  const documentSha256 = createHash("sha256").update(original).digest("hex");
  const signed = await docs.stampSignatures(original, sampleSignatures(input.content), {
    provider: "模拟电子签章服务",
    flowId: "MOCK-FLOW-0001",
    documentSha256,
  });
  return { original, signed };
}
