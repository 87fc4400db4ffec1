import { randomUUID } from 'node:crypto';
import type { AuthorityThing, BrokerAuthority, CertificateStatus } from '../authority.js';
import { invalid } from '../api-error.js';
import { Attachments } from './attachments.js';
import { CaCertificates, type RegisterCaInput } from './ca-certificates.js';
import { Certificates } from './certificates.js';
import { ChangeEmitter, type ChangeListener, type RegistryChange } from './changes.js';
import { Policies, withVersions } from './policies.js';
import { Registration } from './registration.js';
import { Relation } from './relation.js';
import { ResourceTags } from './resource-tags.js';
import { parseNewTags, parseTagKeys, parseTagList } from '../tags.js';
import { ThingGroups, type ThingGroupProperties } from './thing-groups.js';
import { ThingTypes } from './thing-types.js';
import { Things, type ThingUpdate } from './things.js';
import { arn, type MarkerPaging, type RegistryOptions, type RegistrySnapshot, type RegistryState, type TokenPaging } from './types.js';

export type { ChangeListener, ChangeOp, RegistryChange } from './changes.js';
export { CERTIFICATE_STATUSES, type CertificateRecord, type MarkerPaging, type PolicyRecord, type RegistryOptions, type RegistrySnapshot, type RegistryThing, type ThingTypeRecord, type TokenPaging } from './types.js';

/**
 * The stand-in's registry: things, certificates, policies and their attachments, with the state rules
 * of AWS IoT (docs/aws-iot-facts.md#state-rules-and-the-deletion-order). Pure state: no disk, no network;
 * the clock and id source are injected. Every method validates completely before it changes anything,
 * so a call that throws changed nothing. A facade over one module per resource (things.ts,
 * certificates.ts, policies.ts, attachments.ts) sharing one RegistryState; every mutation is reported
 * to onChange listeners. Implements the broker's BrokerAuthority contract.
 */
export class Registry implements BrokerAuthority {
  readonly region: string;
  readonly account: string;
  private readonly s: RegistryState;
  private readonly things: Things;
  private readonly thingTypes: ThingTypes;
  private readonly groups: ThingGroups;
  private readonly certs: Certificates;
  private readonly policies: Policies;
  private readonly attachments: Attachments;
  private readonly cas: CaCertificates;
  private readonly registration: Registration;
  private readonly tags: ResourceTags;
  private readonly trustChanges = new ChangeEmitter<void>();
  private readonly changes = new ChangeEmitter<RegistryChange>();
  private readonly certificateChanges = new ChangeEmitter<string>();

  constructor(opts: RegistryOptions) {
    this.region = opts.region;
    this.account = opts.account;
    this.s = {
      region: opts.region,
      account: opts.account,
      now: opts.now ?? Date.now,
      newId: opts.newId ?? randomUUID,
      things: new Map(),
      certificates: new Map(),
      policies: new Map(),
      thingTypes: new Map(),
      thingGroups: new Map(),
      groupThings: new Relation(),
      policyTargets: new Relation(),
      thingPrincipals: new Relation(),
      changed: (c) => this.changed(c),
    };
    this.thingTypes = new ThingTypes(this.s, opts.thingTypeDeleteDelayMs);
    this.things = new Things(this.s, this.thingTypes);
    this.certs = new Certificates(this.s);
    this.policies = new Policies(this.s);
    this.cas = new CaCertificates({ now: this.s.now, newId: this.s.newId, arn: (region, resource) => arn(this, region, resource), snapshot: opts.snapshot?.ca });
    this.registration = new Registration(this.s, this.certs, this.cas);
    this.groups = new ThingGroups(this.s);
    this.attachments = new Attachments(this.s, this.things, this.certs, this.policies, this.groups);
    this.tags = new ResourceTags(this.s, (id) => this.cas.arnOf(id));
    if (opts.snapshot) this.restore(opts.snapshot);
  }

  // ---- persistence -------------------------------------------------------------------------

  snapshot(): RegistrySnapshot {
    return {
      format: 'elf-registry/1',
      things: [...this.s.things.values()],
      certificates: [...this.s.certificates.values()],
      policies: [...this.s.policies.values()],
      policyTargets: this.s.policyTargets.pairs(),
      thingPrincipals: this.s.thingPrincipals.pairs(),
      thingTypes: [...this.s.thingTypes.values()],
      ca: this.cas.snapshot(),
      thingGroups: [...this.s.thingGroups.values()],
      thingGroupMembers: this.s.groupThings.pairs(),
      tags: this.tags.snapshot(),
    };
  }

  private restore(s: RegistrySnapshot): void {
    if (s?.format !== 'elf-registry/1') throw new Error(`unknown registry format ${JSON.stringify(s?.format)}`);
    for (const t of s.things) this.s.things.set(t.thingName, { ...t });
    for (const c of s.certificates) this.s.certificates.set(c.certificateId, { ...c });
    for (const p of s.policies) this.s.policies.set(p.policyName, withVersions(p));
    for (const [a, b] of s.policyTargets) this.s.policyTargets.add(a, b);
    for (const [a, b] of s.thingPrincipals) this.s.thingPrincipals.add(a, b);
    for (const t of s.thingTypes ?? []) this.s.thingTypes.set(t.thingTypeName, { ...t });
    for (const g of s.thingGroups ?? []) this.s.thingGroups.set(g.thingGroupName, { ...g });
    for (const [a, b] of s.thingGroupMembers ?? []) this.s.groupThings.add(a, b);
    this.tags.restore(s.tags);
  }

  // ---- changes -------------------------------------------------------------------------------

  arn(region: string, resource: string): string {
    return arn(this, region, resource);
  }

  /** Every mutation, after it happened. Returns an unsubscribe. */
  onChange(listener: ChangeListener): () => void {
    return this.changes.on(listener);
  }

  private changed(c: RegistryChange): void {
    if (c.op === 'deleted') this.tags.deleted(c.kind === 'thingType' ? c.thingType.thingTypeArn : c.kind === 'thingGroup' ? c.thingGroup.thingGroupArn : c.kind === 'policy' ? c.policy.policyArn : '');
    this.changes.emit(c);
    // the broker's view: a certificate stopped being usable, or its policies or things changed
    if (c.kind === 'certificate' && c.certificate.certificateMode === 'SNI_ONLY' && c.certificate.caCertificateId === undefined && c.op !== 'updated') this.trustChanges.emit();
    if (c.kind === 'certificate' && c.op !== 'created') this.certificateChanges.emit(c.id);
    else if (c.kind === 'attachment' && c.certificateId !== undefined) this.certificateChanges.emit(c.certificateId);
    else if (c.kind === 'attachment' && c.attachment === 'policy') this.groupChanged(c.target);
    else if (c.kind === 'thingGroupMembership') this.thingChanged(c.thingName);
    else if (c.kind === 'thing' && c.op === 'updated') this.thingChanged(c.name);
    else if (c.kind === 'policy' && c.defaultVersionChanged) {
      // another document is in force for every certificate the policy is attached to
      for (const target of this.s.policyTargets.of(c.name)) {
        const id = /:cert\/([0-9a-f]{64})$/.exec(target)?.[1];
        if (id !== undefined) this.certificateChanges.emit(id);
        else this.groupChanged(target);
      }
    }
  }

  /** A thing's groups, type or attributes changed: the certificates attached to it decide afresh. */
  private thingChanged(thingName: string): void {
    for (const certArn of this.s.thingPrincipals.of(thingName)) {
      const id = /:cert\/([0-9a-f]{64})$/.exec(certArn)?.[1];
      if (id !== undefined) this.certificateChanges.emit(id);
    }
  }

  /** A group's policies changed: every thing in it or below it is affected. */
  private groupChanged(groupArn: string): void {
    const g = [...this.s.thingGroups.values()].find((x) => x.thingGroupArn === groupArn);
    if (!g) return;
    for (const name of this.groups.subtree(g.thingGroupName)) for (const thing of this.s.groupThings.of(name)) this.thingChanged(thing);
  }

  // ---- things --------------------------------------------------------------------------------

  createThing(input: { thingName: string; thingTypeName?: string; billingGroupName?: string; attributes?: Record<string, string> }, region = this.region) {
    return this.things.create(input, region);
  }
  updateThing(name: string, update: ThingUpdate): void {
    this.things.update(name, update);
  }
  describeThing(name: string) {
    return this.things.describe(name);
  }
  deleteThing(name: string, expectedVersion?: number): void {
    this.things.delete(name, expectedVersion);
  }
  listThings(q: TokenPaging & { attributeName?: string; attributeValue?: string; thingTypeName?: string; usePrefixAttributeValue?: boolean } = {}) {
    return this.things.list(q);
  }

  // ---- thing types ---------------------------------------------------------------------------

  createThingType(name: string, properties: unknown, region = this.region, tags?: unknown) {
    const t = parseNewTags(tags);
    const out = this.thingTypes.create(name, properties, region);
    this.tags.created(out.thingTypeArn, t);
    return out;
  }
  describeThingType(name: string) {
    return this.thingTypes.describe(name);
  }
  listThingTypes(q: TokenPaging & { thingTypeName?: string } = {}) {
    return this.thingTypes.list(q);
  }
  deprecateThingType(name: string, undo = false): void {
    this.thingTypes.deprecate(name, undo);
  }
  deleteThingType(name: string): void {
    this.thingTypes.delete(name);
  }

  // ---- thing groups --------------------------------------------------------------------------

  createThingGroup(name: string, parentGroupName: string | undefined, props: ThingGroupProperties = {}, region = this.region, tags?: unknown) {
    const t = parseNewTags(tags);
    const out = this.groups.create(name, parentGroupName, props, region);
    this.tags.created(out.thingGroupArn, t);
    return out;
  }
  describeThingGroup(name: string) {
    return this.groups.describe(name);
  }
  updateThingGroup(name: string, props: ThingGroupProperties, expectedVersion?: number) {
    return this.groups.update(name, props, expectedVersion);
  }
  deleteThingGroup(name: string, expectedVersion?: number): void {
    this.groups.delete(name, expectedVersion);
  }
  listThingGroups(q: TokenPaging & { parentGroup?: string; namePrefixFilter?: string; recursive?: boolean } = {}) {
    return this.groups.list(q);
  }
  /** AddThingToThingGroup: the group and the thing each by name or by ARN. */
  addThingToThingGroup(group: { name?: unknown; arn?: unknown }, thing: { name?: unknown; arn?: unknown }): void {
    this.groups.addThing(this.groups.named(group.name, group.arn), this.thingNamed(thing).thingName);
  }
  removeThingFromThingGroup(group: { name?: unknown; arn?: unknown }, thing: { name?: unknown; arn?: unknown }): void {
    this.groups.removeThing(this.groups.named(group.name, group.arn), this.thingNamed(thing).thingName);
  }
  listThingsInThingGroup(name: string, q: TokenPaging & { recursive?: boolean } = {}) {
    return this.groups.listThings(name, q);
  }
  listThingGroupsForThing(thingName: string, q: TokenPaging = {}) {
    return this.groups.groupsOf(this.things.get(thingName).thingName, q);
  }

  private thingNamed(t: { name?: unknown; arn?: unknown }) {
    if (typeof t.name === 'string' && t.name !== '') return this.things.get(t.name);
    const m = typeof t.arn === 'string' ? /:thing\/([^/]+)$/.exec(t.arn) : null;
    if (m) return this.things.get(m[1]!);
    throw invalid('thingName or thingArn is required');
  }

  // ---- certificates ----------------------------------------------------------------------------

  addCertificate(input: { certificateId: string; certificatePem: string; active: boolean; notBefore: number; notAfter: number }, region = this.region) {
    return this.certs.add(input, region);
  }
  describeCertificate(id: string) {
    return this.certs.describe(id);
  }
  updateCertificate(id: string, newStatus: string | undefined): void {
    this.certs.update(id, newStatus);
  }
  deleteCertificate(id: string, forceDelete = false): void {
    this.certs.delete(id, forceDelete);
  }
  listCertificates(q: MarkerPaging = {}) {
    return this.certs.list(q);
  }

  // ---- CA certificates and certificates registered from elsewhere (registration.ts, ca-certificates.ts)

  getRegistrationCode() {
    return this.cas.registrationCode();
  }
  registerCaCertificate(input: RegisterCaInput, region = this.region, tags?: unknown) {
    const t = parseNewTags(tags);
    const out = this.cas.register(input, region);
    this.tags.created(out.certificateArn, t);
    this.trustChanges.emit();
    return out;
  }
  describeCaCertificate(id: string) {
    return this.cas.describe(id);
  }
  listCaCertificates(q: MarkerPaging = {}) {
    return this.cas.list(q);
  }
  updateCaCertificate(id: string, q: { newStatus?: string; newAutoRegistrationStatus?: string }): void {
    this.cas.update(id, q);
  }
  deleteCaCertificate(id: string): void {
    const caArn = this.cas.arnOf(id);
    this.cas.delete(id, (caId) => this.certs.signedBy(caId));
    if (caArn !== undefined) this.tags.deleted(caArn);
    this.trustChanges.emit();
  }
  registerCertificate(input: { certificatePem: unknown; caCertificatePem?: unknown; status?: unknown; setAsActive?: boolean }, region = this.region) {
    return this.registration.registerCertificate(input, region);
  }
  registerCertificateWithoutCa(input: { certificatePem: unknown; status?: unknown }, region = this.region) {
    return this.registration.registerWithoutCa(input, region);
  }

  // ---- policies and attachments ----------------------------------------------------------------

  createPolicy(input: { policyName: string; policyDocument: unknown }, region = this.region, tags?: unknown) {
    const t = parseNewTags(tags);
    const out = this.policies.create(input, region);
    this.tags.created(out.policyArn, t);
    return out;
  }

  // ---- tags (resource-tags.ts; topic rules keep their own) ---------------------------------------

  tagResource(resourceArn: unknown, tags: unknown): void {
    this.tags.tag(resourceArn, parseTagList(tags));
  }
  untagResource(resourceArn: unknown, tagKeys: unknown): void {
    this.tags.untag(resourceArn, parseTagKeys(tagKeys));
  }
  listTagsForResource(resourceArn: unknown) {
    return this.tags.list(resourceArn);
  }
  getPolicy(name: string) {
    return this.policies.describe(name);
  }
  deletePolicy(name: string): void {
    this.policies.delete(name);
  }
  listPolicies(q: MarkerPaging = {}) {
    return this.policies.list(q);
  }
  createPolicyVersion(name: string, policyDocument: unknown, setAsDefault = false) {
    return this.policies.createVersion(name, policyDocument, setAsDefault);
  }
  getPolicyVersion(name: string, versionId: string) {
    return this.policies.getVersion(name, versionId);
  }
  listPolicyVersions(name: string) {
    return this.policies.listVersions(name);
  }
  setDefaultPolicyVersion(name: string, versionId: string): void {
    this.policies.setDefaultVersion(name, versionId);
  }
  deletePolicyVersion(name: string, versionId: string): void {
    this.policies.deleteVersion(name, versionId);
  }
  listTargetsForPolicy(name: string, q: { marker?: string; pageSize?: number } = {}) {
    return this.policies.targets(name, q);
  }
  attachPolicy(policyName: string, target: unknown): void {
    this.attachments.attachPolicy(policyName, target);
  }
  detachPolicy(policyName: string, target: unknown): void {
    this.attachments.detachPolicy(policyName, target);
  }
  listAttachedPolicies(target: unknown, q: MarkerPaging & { recursive?: boolean } = {}) {
    return this.attachments.listAttachedPolicies(target, q);
  }
  attachThingPrincipal(thingName: string, principal: unknown): void {
    this.attachments.attachThingPrincipal(thingName, principal);
  }
  detachThingPrincipal(thingName: string, principal: unknown): void {
    this.attachments.detachThingPrincipal(thingName, principal);
  }
  listThingPrincipals(thingName: string, q: TokenPaging = {}) {
    return this.attachments.listThingPrincipals(thingName, q);
  }
  listPrincipalThings(principal: unknown, q: TokenPaging = {}) {
    return this.attachments.listPrincipalThings(principal, q);
  }

  // ---- BrokerAuthority -------------------------------------------------------------------------

  certificate(certificateId: string): { certificateArn: string; status: CertificateStatus } | undefined {
    const c = this.s.certificates.get(certificateId.toLowerCase());
    return c ? { certificateArn: c.certificateArn, status: c.status } : undefined;
  }

  /**
   * The certificate's policies, and when `clientId` is the name of a thing attached to the certificate,
   * the policies of that thing's groups and their ancestors: AWS applies a group's policies only when
   * "the clientId and the thing name" match (https://docs.aws.amazon.com/iot/latest/developerguide/thing-groups.html).
   */
  policyDocuments(certificateArn: string, clientId?: string): string[] {
    const names = new Set(this.s.policyTargets.to(certificateArn));
    if (clientId !== undefined && this.s.thingPrincipals.has(clientId, certificateArn)) {
      for (const g of this.groups.policyGroupsOf(clientId)) for (const n of this.s.policyTargets.to(g.thingGroupArn)) names.add(n);
    }
    return [...names].map((n) => this.s.policies.get(n)!.policyDocument);
  }

  thingsOf(certificateArn: string): AuthorityThing[] {
    return this.s.thingPrincipals.to(certificateArn).map((n) => {
      const t = this.s.things.get(n)!;
      return t.thingTypeName === undefined ? { thingName: t.thingName, attributes: { ...t.attributes } } : { thingName: t.thingName, thingTypeName: t.thingTypeName, attributes: { ...t.attributes } };
    });
  }

  onCertificateChange(listener: (certificateId: string) => void): () => void {
    return this.certificateChanges.on(listener);
  }

  trustedCertificates(): string[] {
    return this.registration.trusted();
  }

  onTrustChange(listener: () => void): () => void {
    return this.trustChanges.on(listener);
  }

  /** counts, for logs and /elf/info */
  counts(): { things: number; certificates: number; policies: number } {
    return { things: this.s.things.size, certificates: this.s.certificates.size, policies: this.s.policies.size };
  }
}
