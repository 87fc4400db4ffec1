import { randomUUID } from 'node:crypto';
import { MAX_POLICIES_PER_CERTIFICATE } from '../aws/limits.js';
import type { AuthorityThing, BrokerAuthority, CertificateStatus } from './authority.js';
import { ApiError, invalid, notFound } from './api-error.js';
import { page, pageSize } from './page.js';
import * as valid from './validate.js';

const MAX_ATTRIBUTES_WITHOUT_TYPE = 3;

/**
 * The stand-in's registry: things, certificates, policies and their attachments, with the state rules
 * of AWS IoT (docs/aws-iot-facts.md#state-rules-and-the-deletion-order). Pure state: no disk, no network; the clock and id source are
 * injected. Every method validates completely before it changes anything, so a call that throws
 * changed nothing. Implements the broker's BrokerAuthority contract.
 */

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
}

export interface PolicyRecord {
  policyName: string;
  policyArn: string;
  policyDocument: string;
  creationDate: number;
  lastModifiedDate: number;
  generationId: string;
}

/** What registry.json holds. Lists, not objects, so that names like "123" keep their order. */
export interface RegistrySnapshot {
  format: 'elf-registry/1';
  things: RegistryThing[];
  certificates: CertificateRecord[];
  policies: PolicyRecord[];
  /** [policyName, target (certificate ARN)] */
  policyTargets: [string, string][];
  /** [thingName, principal (certificate ARN)] */
  thingPrincipals: [string, string][];
}

export interface RegistryOptions {
  region: string;
  account: string;
  now?: () => number;
  newId?: () => string;
  snapshot?: RegistrySnapshot;
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

/** A many-to-many relation kept in both directions, in insertion order. */
class Relation {
  private readonly fwd = new Map<string, Set<string>>();
  private readonly back = new Map<string, Set<string>>();

  add(a: string, b: string): boolean {
    if (this.has(a, b)) return false;
    let f = this.fwd.get(a);
    if (!f) this.fwd.set(a, (f = new Set()));
    f.add(b);
    let r = this.back.get(b);
    if (!r) this.back.set(b, (r = new Set()));
    r.add(a);
    return true;
  }

  delete(a: string, b: string): boolean {
    const f = this.fwd.get(a);
    if (!f?.delete(b)) return false;
    if (f.size === 0) this.fwd.delete(a);
    const r = this.back.get(b)!;
    r.delete(a);
    if (r.size === 0) this.back.delete(b);
    return true;
  }

  has(a: string, b: string): boolean {
    return this.fwd.get(a)?.has(b) ?? false;
  }

  /** the b's related to a */
  of(a: string): string[] {
    return [...(this.fwd.get(a) ?? [])];
  }

  /** the a's related to b */
  to(b: string): string[] {
    return [...(this.back.get(b) ?? [])];
  }

  pairs(): [string, string][] {
    const out: [string, string][] = [];
    for (const [a, bs] of this.fwd) for (const b of bs) out.push([a, b]);
    return out;
  }
}

const CERT_ARN = /^arn:aws[a-z-]*:iot:[^:]*:[^:]*:cert\/([0-9a-fA-F]{64})$/;

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const seconds = (ms: number): number => ms / 1000;

function sameAttributes(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

export class Registry implements BrokerAuthority {
  readonly region: string;
  readonly account: string;
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly things = new Map<string, RegistryThing>();
  private readonly certificates = new Map<string, CertificateRecord>();
  private readonly policies = new Map<string, PolicyRecord>();
  /** policyName → target (certificate ARN) */
  private readonly policyTargets = new Relation();
  /** thingName → principal (certificate ARN) */
  private readonly thingPrincipals = new Relation();
  private readonly listeners = new Set<(certificateId: string) => void>();

  constructor(opts: RegistryOptions) {
    this.region = opts.region;
    this.account = opts.account;
    this.now = opts.now ?? Date.now;
    this.newId = opts.newId ?? randomUUID;
    if (opts.snapshot) this.restore(opts.snapshot);
  }

  // ---- persistence -------------------------------------------------------------------------

  snapshot(): RegistrySnapshot {
    return {
      format: 'elf-registry/1',
      things: [...this.things.values()],
      certificates: [...this.certificates.values()],
      policies: [...this.policies.values()],
      policyTargets: this.policyTargets.pairs(),
      thingPrincipals: this.thingPrincipals.pairs(),
    };
  }

  private restore(s: RegistrySnapshot): void {
    if (s?.format !== 'elf-registry/1') throw new Error(`unknown registry format ${JSON.stringify(s?.format)}`);
    for (const t of s.things) this.things.set(t.thingName, { ...t });
    for (const c of s.certificates) this.certificates.set(c.certificateId, { ...c });
    for (const p of s.policies) this.policies.set(p.policyName, { ...p });
    for (const [a, b] of s.policyTargets) this.policyTargets.add(a, b);
    for (const [a, b] of s.thingPrincipals) this.thingPrincipals.add(a, b);
  }

  // ---- helpers -------------------------------------------------------------------------------

  arn(region: string, resource: string): string {
    return `arn:aws:iot:${region}:${this.account}:${resource}`;
  }

  private emit(certificateId: string): void {
    for (const l of this.listeners) {
      try {
        l(certificateId);
      } catch {
        // a listener's failure is its own business; the registry's state is already consistent
      }
    }
  }

  private thing(name: string): RegistryThing {
    const t = this.things.get(valid.thingName(name));
    if (!t) throw notFound(`Thing ${name} cannot be found.`);
    return t;
  }

  private cert(id: string): CertificateRecord {
    const c = this.certificates.get(valid.certificateId(id));
    if (!c) throw notFound(`The certificate given in the resource id is not registered: ${id}`);
    return c;
  }

  private policy(name: string): PolicyRecord {
    const p = this.policies.get(valid.policyName(name));
    if (!p) throw notFound(`The policy given in the resource id does not exist: ${name}`);
    return p;
  }

  /** A principal/target given as a certificate ARN → the registered certificate. */
  private principal(arn: unknown, what = 'principal'): CertificateRecord {
    if (typeof arn !== 'string' || arn === '') throw invalid(`${what} is required`);
    const m = CERT_ARN.exec(arn);
    if (!m) {
      if (arn.startsWith('arn:')) throw notFound(`The ${what} does not exist: ${arn}`);
      throw invalid(`Invalid ${what}: ${arn.slice(0, 200)}; the stand-in accepts certificate ARNs`);
    }
    const c = this.certificates.get(m[1]!.toLowerCase());
    if (!c) throw notFound(`The certificate given in the ${what} does not exist: ${arn}`);
    return c;
  }

  // ---- things --------------------------------------------------------------------------------

  createThing(input: { thingName: string; thingTypeName?: string; billingGroupName?: string; attributes?: Record<string, string> }, region = this.region) {
    const name = valid.thingName(input.thingName);
    if (input.thingTypeName !== undefined) valid.thingTypeName(input.thingTypeName);
    if (input.billingGroupName !== undefined) valid.billingGroupName(input.billingGroupName);
    const attributes = valid.attributes(input.attributes);
    // AWS: at most 3 attributes on a thing without a thing type (API_CreateThing.html, AttributePayload);
    // the stand-in has no thing types
    const count = Object.keys(attributes).length;
    if (count > MAX_ATTRIBUTES_WITHOUT_TYPE) throw invalid(`A thing without a thing type can have at most ${MAX_ATTRIBUTES_WITHOUT_TYPE} attributes; ${count} were given`);
    const existing = this.things.get(name);
    if (existing) {
      // idempotent with the same configuration (model doc of CreateThing)
      if (existing.thingTypeName === input.thingTypeName && existing.billingGroupName === input.billingGroupName && sameAttributes(existing.attributes, attributes)) {
        return { thingName: name, thingArn: existing.thingArn, thingId: existing.thingId };
      }
      throw new ApiError('ResourceAlreadyExistsException', `Thing ${name} already exists in account with different attributes`, {
        resourceId: existing.thingId,
        resourceArn: existing.thingArn,
      });
    }
    // the stand-in has no thing types or billing groups, so any named one does not exist
    if (input.thingTypeName !== undefined) throw notFound(`Thing type ${input.thingTypeName} does not exist`);
    if (input.billingGroupName !== undefined) throw notFound(`Billing group ${input.billingGroupName} does not exist`);
    const t: RegistryThing = { thingName: name, thingId: this.newId(), thingArn: this.arn(region, `thing/${name}`), attributes, version: 1, creationDate: this.now() };
    this.things.set(name, t);
    return { thingName: name, thingArn: t.thingArn, thingId: t.thingId };
  }

  describeThing(name: string) {
    const t = this.thing(name);
    return {
      defaultClientId: t.thingName,
      thingName: t.thingName,
      thingId: t.thingId,
      thingArn: t.thingArn,
      thingTypeName: t.thingTypeName,
      attributes: { ...t.attributes },
      version: t.version,
      billingGroupName: t.billingGroupName,
    };
  }

  /** Model doc: "Returns successfully with no error if … you specify a thing that doesn't exist." */
  deleteThing(name: string, expectedVersion?: number): void {
    const n = valid.thingName(name);
    const t = this.things.get(n);
    if (!t) return;
    if (expectedVersion !== undefined && expectedVersion !== t.version) {
      throw new ApiError('VersionConflictException', `The version for thing ${n} does not match the expected version.`);
    }
    if (this.thingPrincipals.of(n).length > 0) {
      throw invalid(`Cannot delete. Thing ${n} is still attached to one or more principals`);
    }
    this.things.delete(n);
  }

  listThings(q: TokenPaging & { attributeName?: string; attributeValue?: string; thingTypeName?: string; usePrefixAttributeValue?: boolean } = {}) {
    const limit = pageSize(q.maxResults);
    let all = [...this.things.values()].sort((a, b) => byName(a.thingName, b.thingName));
    if (q.thingTypeName !== undefined) all = all.filter((t) => t.thingTypeName === q.thingTypeName);
    if (q.attributeName !== undefined) {
      const name = q.attributeName;
      const value = q.attributeValue;
      all = all.filter((t) => {
        const v = t.attributes[name];
        if (v === undefined) return false;
        if (value === undefined) return true;
        return q.usePrefixAttributeValue ? v.startsWith(value) : v === value;
      });
    }
    const p = page(all, (t) => t.thingName, q.nextToken, limit);
    return {
      things: p.items.map((t) => ({ thingName: t.thingName, thingTypeName: t.thingTypeName, thingArn: t.thingArn, attributes: { ...t.attributes }, version: t.version })),
      nextToken: p.next,
    };
  }

  // ---- certificates ----------------------------------------------------------------------------

  /** Registers a certificate the CA has just issued (CreateKeysAndCertificate). */
  addCertificate(input: { certificateId: string; certificatePem: string; active: boolean; notBefore: number; notAfter: number }, region = this.region) {
    const id = valid.certificateId(input.certificateId);
    if (this.certificates.has(id)) throw new ApiError('ResourceAlreadyExistsException', `The certificate is already provisioned or registered`, { resourceId: id, resourceArn: this.certificates.get(id)!.certificateArn });
    const now = this.now();
    const c: CertificateRecord = {
      certificateId: id,
      certificateArn: this.arn(region, `cert/${id}`),
      status: input.active ? 'ACTIVE' : 'INACTIVE',
      certificatePem: input.certificatePem,
      creationDate: now,
      lastModifiedDate: now,
      customerVersion: 1,
      generationId: this.newId(),
      notBefore: input.notBefore,
      notAfter: input.notAfter,
    };
    this.certificates.set(id, c);
    return { certificateArn: c.certificateArn, certificateId: id, certificatePem: c.certificatePem };
  }

  describeCertificate(id: string) {
    const c = this.cert(id);
    return {
      certificateDescription: {
        certificateArn: c.certificateArn,
        certificateId: c.certificateId,
        status: c.status,
        certificatePem: c.certificatePem,
        ownedBy: this.account,
        creationDate: seconds(c.creationDate),
        lastModifiedDate: seconds(c.lastModifiedDate),
        customerVersion: c.customerVersion,
        transferData: {},
        generationId: c.generationId,
        validity: { notBefore: seconds(c.notBefore), notAfter: seconds(c.notAfter) },
        certificateMode: 'DEFAULT',
      },
    };
  }

  updateCertificate(id: string, newStatus: string | undefined): void {
    if (newStatus === undefined || newStatus === '') throw invalid('newStatus is required');
    if (!(CERTIFICATE_STATUSES as readonly string[]).includes(newStatus)) {
      throw invalid(`1 validation error detected: Value '${newStatus.slice(0, 100)}' at 'newStatus' failed to satisfy constraint: Member must satisfy enum value set: [${CERTIFICATE_STATUSES.join(', ')}]`);
    }
    const c = this.cert(id);
    // model doc: PENDING_TRANSFER and PENDING_ACTIVATION "are not meant to be used by developers"
    if (newStatus === 'PENDING_TRANSFER' || newStatus === 'PENDING_ACTIVATION') throw invalid(`Setting the status to ${newStatus} is not allowed`);
    if (c.status === 'REVOKED' || c.status === 'PENDING_TRANSFER') {
      throw new ApiError('CertificateStateException', `Certificate ${c.certificateId} is ${c.status}; its status cannot be changed`);
    }
    if (c.status === newStatus) return;
    c.status = newStatus as CertificateStatus;
    c.lastModifiedDate = this.now();
    this.emit(c.certificateId);
  }

  deleteCertificate(id: string, forceDelete = false): void {
    const c = this.cert(id);
    if (c.status === 'ACTIVE') {
      throw new ApiError('CertificateStateException', `Certificate must be deactivated (not ACTIVE) before deletion. Id: ${c.certificateId}`);
    }
    // forceDelete waives only the attached-policy check (model doc of DeleteCertificate)
    if (this.thingPrincipals.to(c.certificateArn).length > 0) {
      throw new ApiError('DeleteConflictException', `Things must be detached before deletion (arn: ${c.certificateArn})`);
    }
    const policies = this.policyTargets.to(c.certificateArn);
    if (policies.length > 0 && !forceDelete) {
      throw new ApiError('DeleteConflictException', `Certificate policies must be detached before deletion (arn: ${c.certificateArn})`);
    }
    for (const p of policies) this.policyTargets.delete(p, c.certificateArn);
    this.certificates.delete(c.certificateId);
    this.emit(c.certificateId);
  }

  listCertificates(q: MarkerPaging = {}) {
    const limit = pageSize(q.pageSize, 'pageSize');
    const key = (c: CertificateRecord) => `${String(c.creationDate).padStart(16, '0')}:${c.certificateId}`;
    const desc = q.ascendingOrder === false;
    const all = [...this.certificates.values()].sort((a, b) => byName(key(a), key(b)) * (desc ? -1 : 1));
    const p = page(all, key, q.marker, limit, desc, 'marker');
    return {
      certificates: p.items.map((c) => ({ certificateArn: c.certificateArn, certificateId: c.certificateId, status: c.status, creationDate: seconds(c.creationDate), certificateMode: 'DEFAULT' })),
      nextMarker: p.next,
    };
  }

  // ---- policies ----------------------------------------------------------------------------------

  createPolicy(input: { policyName: string; policyDocument: unknown }, region = this.region) {
    const name = valid.policyName(input.policyName);
    const existing = this.policies.get(name);
    if (existing) {
      throw new ApiError('ResourceAlreadyExistsException', `Policy cannot be created - name already exists (name=${name})`, { resourceId: name, resourceArn: existing.policyArn });
    }
    const doc = valid.policyDocument(input.policyDocument);
    const now = this.now();
    const p: PolicyRecord = { policyName: name, policyArn: this.arn(region, `policy/${name}`), policyDocument: doc, creationDate: now, lastModifiedDate: now, generationId: this.newId() };
    this.policies.set(name, p);
    return { policyName: name, policyArn: p.policyArn, policyDocument: doc, policyVersionId: '1' };
  }

  getPolicy(name: string) {
    const p = this.policy(name);
    return {
      policyName: p.policyName,
      policyArn: p.policyArn,
      policyDocument: p.policyDocument,
      defaultVersionId: '1',
      creationDate: seconds(p.creationDate),
      lastModifiedDate: seconds(p.lastModifiedDate),
      generationId: p.generationId,
    };
  }

  deletePolicy(name: string): void {
    const p = this.policy(name);
    if (this.policyTargets.of(p.policyName).length > 0) {
      throw new ApiError('DeleteConflictException', `The policy cannot be deleted as the policy is attached to one or more principals (name=${p.policyName})`);
    }
    this.policies.delete(p.policyName);
  }

  private policyPage(names: string[], q: MarkerPaging) {
    const limit = pageSize(q.pageSize, 'pageSize');
    const desc = q.ascendingOrder === false;
    const sorted = names.sort((a, b) => byName(a, b) * (desc ? -1 : 1));
    const p = page(sorted, (n) => n, q.marker, limit, desc, 'marker');
    return { policies: p.items.map((n) => ({ policyName: n, policyArn: this.policies.get(n)!.policyArn })), nextMarker: p.next };
  }

  listPolicies(q: MarkerPaging = {}) {
    return this.policyPage([...this.policies.keys()], q);
  }

  attachPolicy(policyName: string, target: unknown): void {
    const p = this.policy(policyName);
    const c = this.principal(target, 'target');
    if (this.policyTargets.has(p.policyName, c.certificateArn)) return; // attaching twice is a no-op
    if (this.policyTargets.to(c.certificateArn).length >= MAX_POLICIES_PER_CERTIFICATE) {
      throw new ApiError('LimitExceededException', `The number of attached policies to the principal cannot exceed ${MAX_POLICIES_PER_CERTIFICATE}`);
    }
    this.policyTargets.add(p.policyName, c.certificateArn);
    this.emit(c.certificateId);
  }

  detachPolicy(policyName: string, target: unknown): void {
    const p = this.policy(policyName);
    const c = this.principal(target, 'target');
    if (!this.policyTargets.delete(p.policyName, c.certificateArn)) {
      throw notFound(`The policy ${p.policyName} is not attached to ${c.certificateArn}`);
    }
    this.emit(c.certificateId);
  }

  listAttachedPolicies(target: unknown, q: MarkerPaging = {}) {
    const c = this.principal(target, 'target');
    return this.policyPage(this.policyTargets.to(c.certificateArn), q);
  }

  // ---- thing principals ------------------------------------------------------------------------

  attachThingPrincipal(thingName: string, principal: unknown): void {
    const t = this.thing(thingName);
    const c = this.principal(principal);
    if (this.thingPrincipals.add(t.thingName, c.certificateArn)) this.emit(c.certificateId);
  }

  detachThingPrincipal(thingName: string, principal: unknown): void {
    const t = this.thing(thingName);
    const c = this.principal(principal);
    if (!this.thingPrincipals.delete(t.thingName, c.certificateArn)) {
      throw notFound(`The principal ${c.certificateArn} is not attached to thing ${t.thingName}`);
    }
    this.emit(c.certificateId);
  }

  listThingPrincipals(thingName: string, q: TokenPaging = {}) {
    const t = this.thing(thingName);
    const limit = pageSize(q.maxResults);
    const p = page(this.thingPrincipals.of(t.thingName).sort(byName), (a) => a, q.nextToken, limit);
    return { principals: p.items, nextToken: p.next };
  }

  listPrincipalThings(principal: unknown, q: TokenPaging = {}) {
    const c = this.principal(principal);
    const limit = pageSize(q.maxResults);
    const p = page(this.thingPrincipals.to(c.certificateArn).sort(byName), (a) => a, q.nextToken, limit);
    return { things: p.items, nextToken: p.next };
  }

  // ---- BrokerAuthority -------------------------------------------------------------------------

  certificate(certificateId: string): { certificateArn: string; status: CertificateStatus } | undefined {
    const c = this.certificates.get(certificateId.toLowerCase());
    return c ? { certificateArn: c.certificateArn, status: c.status } : undefined;
  }

  policyDocuments(certificateArn: string): string[] {
    return this.policyTargets.to(certificateArn).map((n) => this.policies.get(n)!.policyDocument);
  }

  thingsOf(certificateArn: string): AuthorityThing[] {
    return this.thingPrincipals.to(certificateArn).map((n) => {
      const t = this.things.get(n)!;
      return t.thingTypeName === undefined ? { thingName: t.thingName, attributes: { ...t.attributes } } : { thingName: t.thingName, thingTypeName: t.thingTypeName, attributes: { ...t.attributes } };
    });
  }

  onCertificateChange(listener: (certificateId: string) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** counts, for logs and /elf/info */
  counts(): { things: number; certificates: number; policies: number } {
    return { things: this.things.size, certificates: this.certificates.size, policies: this.policies.size };
  }
}
