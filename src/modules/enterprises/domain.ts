export const CERTIFICATION_STATUSES = ["uncertified", "pending", "certified", "rejected"] as const;
export type CertificationStatus = (typeof CERTIFICATION_STATUSES)[number];

/** The one place each status gets its Chinese label. */
export const CERTIFICATION_STATUS_TEXT: Record<CertificationStatus, string> = {
  uncertified: "未认证",
  pending: "待审核",
  certified: "已认证",
  rejected: "已驳回",
};

export type Enterprise = {
  id: string;
  accountId: string;
  name: string;
  certificationStatus: CertificationStatus;
  isProvider: boolean;
  createdAt: Date;
};
