import { ApiError, notFound } from '../api-error.js';
import { page, pageSize } from '../page.js';
import * as valid from '../validate.js';
import { addVersion, checkPolicyDeletable, defaultVersion, deleteVersion, firstVersion, listVersions, setDefault, versionOf } from './policy-versions.js';
import { arn, byName, seconds, type MarkerPaging, type PolicyRecord, type RegistryState, type StoredPolicyRecord } from './types.js';

const copy = (p: PolicyRecord): PolicyRecord => ({ ...p, versions: p.versions.map((v) => ({ ...v })) });

/** A policy from a snapshot written before policy versions: its one document is version 1. */
export function withVersions(p: StoredPolicyRecord): PolicyRecord {
  if (p.versions && p.defaultVersionId !== undefined && p.nextVersionId !== undefined) {
    return { ...p, versions: p.versions.map((v) => ({ ...v })), defaultVersionId: p.defaultVersionId, nextVersionId: p.nextVersionId };
  }
  return { ...p, ...firstVersion(p.policyDocument, p.creationDate, p.generationId) };
}

/** Policies: Create/Get/Delete/ListPolicies, their versions, and ListTargetsForPolicy. */
export class Policies {
  constructor(private readonly s: RegistryState) {}

  get(name: string): PolicyRecord {
    const p = this.s.policies.get(valid.policyName(name));
    if (!p) throw notFound(`The policy given in the resource id does not exist: ${name}`);
    return p;
  }

  create(input: { policyName: string; policyDocument: unknown }, region = this.s.region) {
    const name = valid.policyName(input.policyName);
    const existing = this.s.policies.get(name);
    if (existing) {
      throw new ApiError('ResourceAlreadyExistsException', `Policy cannot be created - name already exists (name=${name})`, { resourceId: name, resourceArn: existing.policyArn });
    }
    const doc = valid.policyDocument(input.policyDocument);
    const now = this.s.now();
    const generationId = this.s.newId();
    const p: PolicyRecord = { policyName: name, policyArn: arn(this.s, region, `policy/${name}`), policyDocument: doc, creationDate: now, lastModifiedDate: now, generationId, ...firstVersion(doc, now, generationId) };
    this.s.policies.set(name, p);
    this.s.changed({ kind: 'policy', op: 'created', name, policy: copy(p) });
    return { policyName: name, policyArn: p.policyArn, policyDocument: doc, policyVersionId: '1' };
  }

  describe(name: string) {
    const p = this.get(name);
    return {
      policyName: p.policyName,
      policyArn: p.policyArn,
      policyDocument: p.policyDocument,
      defaultVersionId: p.defaultVersionId,
      creationDate: seconds(p.creationDate),
      lastModifiedDate: seconds(p.lastModifiedDate),
      generationId: p.generationId,
    };
  }

  delete(name: string): void {
    const p = this.get(name);
    if (this.s.policyTargets.of(p.policyName).length > 0) {
      throw new ApiError('DeleteConflictException', `The policy cannot be deleted as the policy is attached to one or more principals (name=${p.policyName})`);
    }
    checkPolicyDeletable(p);
    this.s.policies.delete(p.policyName);
    this.s.changed({ kind: 'policy', op: 'deleted', name: p.policyName, policy: copy(p) });
  }

  /** One page of the named policies, by name (ListPolicies, ListAttachedPolicies). */
  page(names: string[], q: MarkerPaging) {
    const limit = pageSize(q.pageSize, 'pageSize');
    const desc = q.ascendingOrder === false;
    const sorted = names.sort((a, b) => byName(a, b) * (desc ? -1 : 1));
    const p = page(sorted, (n) => n, q.marker, limit, desc, 'marker');
    return { policies: p.items.map((n) => ({ policyName: n, policyArn: this.s.policies.get(n)!.policyArn })), nextMarker: p.next };
  }

  list(q: MarkerPaging = {}) {
    return this.page([...this.s.policies.keys()], q);
  }

  // ---- versions (https://docs.aws.amazon.com/iot/latest/apireference/API_CreatePolicyVersion.html and its siblings)

  createVersion(name: string, document: unknown, setAsDefault: boolean) {
    const p = this.get(name);
    const doc = valid.policyDocument(document);
    const now = this.s.now();
    const v = addVersion(p, p.policyName, doc, setAsDefault, now, this.s.newId());
    this.defaultChanged(p, now, setAsDefault);
    return { policyArn: p.policyArn, policyDocument: v.document, policyVersionId: v.versionId, isDefaultVersion: v.versionId === p.defaultVersionId };
  }

  getVersion(name: string, versionId: string) {
    const p = this.get(name);
    const v = versionOf(p, p.policyName, versionId);
    return {
      policyArn: p.policyArn,
      policyName: p.policyName,
      policyDocument: v.document,
      policyVersionId: v.versionId,
      isDefaultVersion: v.versionId === p.defaultVersionId,
      creationDate: seconds(v.creationDate),
      lastModifiedDate: seconds(v.creationDate),
      generationId: v.generationId,
    };
  }

  listVersions(name: string) {
    return { policyVersions: listVersions(this.get(name)).map((v) => ({ ...v, createDate: seconds(v.createDate) })) };
  }

  setDefaultVersion(name: string, versionId: string): void {
    const p = this.get(name);
    this.defaultChanged(p, this.s.now(), setDefault(p, p.policyName, versionId));
  }

  deleteVersion(name: string, versionId: string): void {
    const p = this.get(name);
    deleteVersion(p, p.policyName, versionId);
    p.lastModifiedDate = this.s.now();
    this.s.changed({ kind: 'policy', op: 'updated', name: p.policyName, policy: copy(p) });
  }

  /** ListTargetsForPolicy: the ARNs the policy is attached to. */
  targets(name: string, q: { marker?: string; pageSize?: number }) {
    const p = this.get(name);
    const limit = pageSize(q.pageSize, 'pageSize');
    const all = this.s.policyTargets.of(p.policyName).sort(byName);
    const pg = page(all, (t) => t, q.marker, limit, false, 'marker');
    return { targets: pg.items, nextMarker: pg.next };
  }

  /** A version was added or made the default: the record follows, and the change is reported (the broker re-evaluates on a new default). */
  private defaultChanged(p: PolicyRecord, now: number, isNewDefault: boolean): void {
    p.lastModifiedDate = now;
    if (isNewDefault) p.policyDocument = defaultVersion(p).document;
    this.s.changed({ kind: 'policy', op: 'updated', name: p.policyName, policy: copy(p), ...(isNewDefault ? { defaultVersionChanged: true } : {}) });
  }
}
