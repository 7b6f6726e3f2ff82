import type { Db } from "../../ports/db.ts";
import type {
  ApplicationStatus,
  BankAccountInput,
  CertificationStatus,
  Enterprise,
  EnterpriseType,
  IdentityRole,
  SizeClass,
  Step2,
  Step3,
} from "./domain.ts";

export type Certification = {
  id: string;
  enterpriseId: string;
  status: ApplicationStatus | "superseded";
  step: number;
  identityRole: IdentityRole | null;
  enterpriseType: EnterpriseType | null;
  name: string | null;
  creditCode: string | null;
  creditCodeValid: boolean | null;
  creditCodeConfirmed: boolean;
  staffCount: number | null;
  revenueFen: number | null;
  sizeProposed: SizeClass | null;
  sizeDeclared: SizeClass | null;
  industry: string | null;
  cityCode: string | null;
  districtCode: string | null;
  address: string | null;
  legalName: string | null;
  legalIdNumber: string | null;
  legalPhone: string | null;
  licenceFileId: string | null;
  agreedAt: Date | null;
  agentName: string | null;
  agentIdNumber: string | null;
  agentPhone: string | null;
  submittedAt: Date | null;
  decidedAt: Date | null;
  decidedBy: string | null;
  decisionReason: string | null;
  createdAt: Date;
  /**
   * Sealed fields that could not be opened (tampered with, moved from another field, or sealed
   * under a key no longer configured): read as null, logged, shown as unreadable.
   */
  unreadable?: SealedCertificationField[];
};
export type SealedCertificationField = "legalIdNumber" | "agentIdNumber";

export type QueueFilter = {
  status?: ApplicationStatus;
  cityCode?: string;
  size?: SizeClass;
  submittedFrom?: Date;
  submittedTo?: Date;
  keyword?: string;
};

export type QueueRow = Pick<
  Certification,
  "id" | "enterpriseId" | "status" | "name" | "creditCode" | "creditCodeValid" | "sizeDeclared" | "sizeProposed" | "cityCode" | "submittedAt"
>;

export interface CertificationRepository {
  /** The open (draft or pending) application, locked when forUpdate. */
  open(enterpriseId: string, forUpdate?: boolean): Promise<Certification | undefined>;
  latest(enterpriseId: string): Promise<Certification | undefined>;
  /** The application that certified the enterprise as it stands now (the newest approved one). */
  certified(enterpriseId: string): Promise<Certification | undefined>;
  byId(id: string, forUpdate?: boolean): Promise<Certification | undefined>;
  createDraft(enterpriseId: string, from?: Certification): Promise<Certification>;
  saveStep1(id: string, v: { identityRole: IdentityRole; enterpriseType: EnterpriseType }): Promise<void>;
  setLicence(id: string, fileId: string): Promise<void>;
  saveStep2(id: string, v: Step2, agreedAt: Date): Promise<void>;
  submit(id: string, v: Step3, at: Date): Promise<void>;
  decide(id: string, v: { status: "certified" | "rejected"; adminId: string; reason: string | null; at: Date }): Promise<void>;
  supersede(enterpriseId: string, exceptId: string): Promise<void>;
  /** Another enterprise's application with this credit code: certified, or pending review. */
  codeClaims(creditCode: string, exceptEnterpriseId: string): Promise<{ certified: number; pending: number }>;
  queue(f: QueueFilter, limit: number, offset: number): Promise<{ rows: QueueRow[]; total: number }>;
  history(enterpriseId: string): Promise<Certification[]>;
}

/** An account number that could not be opened reads as "" with unreadable set (see Certification). */
export type BankAccount = BankAccountInput & { id: string; enterpriseId: string; createdAt: Date; unreadable?: boolean };

export interface BankAccountRepository {
  current(enterpriseId: string): Promise<BankAccount | undefined>;
  history(enterpriseId: string): Promise<BankAccount[]>;
  add(enterpriseId: string, v: BankAccountInput, accountId: string): Promise<BankAccount>;
}

export interface EnterpriseRepository {
  create(input: { accountId: string; name: string }): Promise<Enterprise>;
  byAccount(accountId: string): Promise<Enterprise | undefined>;
  byId(id: string, forUpdate?: boolean): Promise<Enterprise | undefined>;
  setStatus(id: string, status: CertificationStatus): Promise<void>;
  setProvider(id: string, isProvider: boolean): Promise<void>;
  applyCertification(id: string, v: { name: string; creditCode: string; sizeClass: SizeClass; cityCode: string; at: Date }): Promise<void>;
  countCertified(): Promise<number>;
}

/** The start-up step that seals plaintext left by older versions and re-seals values under a retired key. */
export interface FieldSealingRepository {
  resealAll(): Promise<{ sealed: number; resealed: number; unreadable: number }>;
}

export type EnterpriseRepositoryFactory = (db: Db) => EnterpriseRepository;
export type CertificationRepositoryFactory = (db: Db) => CertificationRepository;
export type BankAccountRepositoryFactory = (db: Db) => BankAccountRepository;
