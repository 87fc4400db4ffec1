import type { CertificateStatus } from '../authority.js';
import type { RegistryChange } from './changes.js';
import type { CaSnapshot } from './ca-certificates.js';
import type { CertificateMode } from './ca-rules.js';
import type { PolicyVersions } from './policy-versions.js';
import type { Relation } from './relation.js';

export interface RegistryThing {
  thingName: string;
  thingId: string;
  thingArn: string;
  thingTypeName?: string;
  billingGroupName?: string;
  attributes: Record<string, string>;
  version: number;
  /** epoch milliseconds */
  creationDate: number;
}

export interface CertificateRecord {
  certificateId: string;
  certificateArn: string;
  status: CertificateStatus;
  certificatePem: string;
  creationDate: number;
  lastModifiedDate: number;
  customerVersion: number;
  generationId: string;
  /** validity of the X.509 certificate, epoch milliseconds */
  notBefore: number;
  notAfter: number;
  /** the registered CA that signed it (RegisterCertificate); absent for the stand-in's own and CA-less ones */
  caCertificateId?: string;
  /** absent means DEFAULT; SNI_ONLY for RegisterCertificateWithoutCA and certificates of SNI_ONLY CAs */
  certificateMode?: CertificateMode;
}

/** A named policy; `policyDocument` is always its default version's document (policy-versions.ts). */
export interface PolicyRecord extends PolicyVersions {
  policyName: string;
  policyArn: string;
  policyDocument: string;
  creationDate: number;
  lastModifiedDate: number;
  generationId: string;
}

/** A policy as registry.json keeps it; files written before policy versions have none (see policies.ts withVersions). */
export type StoredPolicyRecord = Omit<PolicyRecord, keyof PolicyVersions> & Partial<PolicyVersions>;

export interface ThingTypeRecord {
  thingTypeName: string;
  thingTypeId: string;
  thingTypeArn: string;
  description?: string;
  /** attribute names the type makes searchable (kept and answered; ListThings filters on any attribute) */
  searchableAttributes: string[];
  /** kept as given and answered in DescribeThingType */
  mqtt5Configuration?: unknown;
  deprecated: boolean;
  /** epoch milliseconds */
  deprecationDate?: number;
  creationDate: number;
}

export interface ThingGroupRecord {
  thingGroupName: string;
  thingGroupId: string;
  thingGroupArn: string;
  /** fixed at creation (a group cannot be re-parented) */
  parentGroupName?: string;
  description?: string;
  attributes: Record<string, string>;
  version: number;
  creationDate: number;
}

/** What registry.json holds. Lists, not objects, so that names like "123" keep their order. */
export interface RegistrySnapshot {
  format: 'elf-registry/1';
  things: RegistryThing[];
  certificates: CertificateRecord[];
  policies: StoredPolicyRecord[];
  /** [policyName, target (certificate ARN)] */
  policyTargets: [string, string][];
  /** [thingName, principal (certificate ARN)] */
  thingPrincipals: [string, string][];
  /** absent in files written before thing types existed */
  thingTypes?: ThingTypeRecord[];
  /** registered CA certificates and the registration code (absent in files written before them) */
  ca?: CaSnapshot;
  /** absent in files written before thing groups existed */
  thingGroups?: ThingGroupRecord[];
  /** [thingGroupName, thingName] */
  thingGroupMembers?: [string, string][];
  /** [resource ARN, tags] of thing groups, thing types, policies and CA certificates (absent before tags) */
  tags?: [string, Record<string, string>][];
}

export interface RegistryOptions {
  region: string;
  account: string;
  now?: () => number;
  newId?: () => string;
  snapshot?: RegistrySnapshot;
  /** how long after DeprecateThingType a type can be deleted; AWS: 5 minutes */
  thingTypeDeleteDelayMs?: number;
}

export const CERTIFICATE_STATUSES: readonly CertificateStatus[] = ['ACTIVE', 'INACTIVE', 'REVOKED', 'PENDING_TRANSFER', 'REGISTER_INACTIVE', 'PENDING_ACTIVATION'];

export interface TokenPaging {
  nextToken?: string;
  maxResults?: number;
}
export interface MarkerPaging {
  marker?: string;
  pageSize?: number;
  ascendingOrder?: boolean;
}

/**
 * The state every resource module of the registry shares: the records, the relations between them,
 * the injected clock and id source, and where changes are reported.
 */
export interface RegistryState {
  readonly region: string;
  readonly account: string;
  readonly now: () => number;
  readonly newId: () => string;
  readonly things: Map<string, RegistryThing>;
  readonly certificates: Map<string, CertificateRecord>;
  readonly policies: Map<string, PolicyRecord>;
  readonly thingTypes: Map<string, ThingTypeRecord>;
  readonly thingGroups: Map<string, ThingGroupRecord>;
  /** thingGroupName → thingName (direct members) */
  readonly groupThings: Relation;
  /** policyName → target (certificate ARN or thing-group ARN) */
  readonly policyTargets: Relation;
  /** thingName → principal (certificate ARN) */
  readonly thingPrincipals: Relation;
  /** called after every mutation */
  readonly changed: (change: RegistryChange) => void;
}

export const arn = (s: Pick<RegistryState, 'account'>, region: string, resource: string): string => `arn:aws:iot:${region}:${s.account}:${resource}`;
export const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
export const seconds = (ms: number): number => ms / 1000;
