import { ApiError, notFound } from '../api-error.js';
import { page, pageSize } from '../page.js';
import * as valid from '../validate.js';
import { arn, byName, seconds, type MarkerPaging, type PolicyRecord, type RegistryState } from './types.js';

const copy = (p: PolicyRecord): PolicyRecord => ({ ...p });

/** Policies: Create/Get/Delete/ListPolicies. */
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
    const p: PolicyRecord = { policyName: name, policyArn: arn(this.s, region, `policy/${name}`), policyDocument: doc, creationDate: now, lastModifiedDate: now, generationId: this.s.newId() };
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
      defaultVersionId: '1',
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
}
