import { MAX_POLICIES_PER_CERTIFICATE } from '../../aws/limits.js';
import { ApiError, notFound } from '../api-error.js';
import { page, pageSize } from '../page.js';
import * as valid from '../validate.js';
import type { Certificates } from './certificates.js';
import type { Policies } from './policies.js';
import type { Things } from './things.js';
import { byName, type MarkerPaging, type RegistryState, type TokenPaging } from './types.js';

/** The relations: policies attached to targets, principals attached to things. */
export class Attachments {
  constructor(
    private readonly s: RegistryState,
    private readonly things: Things,
    private readonly certificates: Certificates,
    private readonly policies: Policies,
  ) {}

  attachPolicy(policyName: string, target: unknown): void {
    const p = this.policies.get(policyName);
    const c = this.certificates.principal(target, 'target');
    if (this.s.policyTargets.has(p.policyName, c.certificateArn)) return; // attaching twice is a no-op
    if (this.s.policyTargets.to(c.certificateArn).length >= MAX_POLICIES_PER_CERTIFICATE) {
      throw new ApiError('LimitExceededException', `The number of attached policies to the principal cannot exceed ${MAX_POLICIES_PER_CERTIFICATE}`);
    }
    this.s.policyTargets.add(p.policyName, c.certificateArn);
    this.s.changed({ kind: 'attachment', op: 'created', attachment: 'policy', name: p.policyName, target: c.certificateArn, certificateId: c.certificateId });
  }

  detachPolicy(policyName: string, target: unknown): void {
    const p = this.policies.get(policyName);
    const c = this.certificates.principal(target, 'target');
    if (!this.s.policyTargets.delete(p.policyName, c.certificateArn)) {
      throw notFound(`The policy ${p.policyName} is not attached to ${c.certificateArn}`);
    }
    this.s.changed({ kind: 'attachment', op: 'deleted', attachment: 'policy', name: p.policyName, target: c.certificateArn, certificateId: c.certificateId });
  }

  listAttachedPolicies(target: unknown, q: MarkerPaging = {}) {
    const c = this.certificates.principal(target, 'target');
    return this.policies.page(this.s.policyTargets.to(c.certificateArn), q);
  }

  attachThingPrincipal(thingName: string, principal: unknown): void {
    const t = this.things.get(thingName);
    const c = this.certificates.principal(principal);
    if (this.s.thingPrincipals.add(t.thingName, c.certificateArn)) {
      this.s.changed({ kind: 'attachment', op: 'created', attachment: 'thing-principal', name: t.thingName, target: c.certificateArn, certificateId: c.certificateId });
    }
  }

  detachThingPrincipal(thingName: string, principal: unknown): void {
    const t = this.things.get(thingName);
    const c = this.certificates.principal(principal);
    if (!this.s.thingPrincipals.delete(t.thingName, c.certificateArn)) {
      throw notFound(`The principal ${c.certificateArn} is not attached to thing ${t.thingName}`);
    }
    this.s.changed({ kind: 'attachment', op: 'deleted', attachment: 'thing-principal', name: t.thingName, target: c.certificateArn, certificateId: c.certificateId });
  }

  listThingPrincipals(thingName: string, q: TokenPaging = {}) {
    const t = this.s.things.get(valid.thingName(thingName));
    // AWS's own words, which scripts match on
    if (!t) throw notFound(`Failed to list principals for thing ${thingName} because the thing does not exist in your account`);
    const limit = pageSize(q.maxResults);
    const p = page(this.s.thingPrincipals.of(t.thingName).sort(byName), (a) => a, q.nextToken, limit);
    return { principals: p.items, nextToken: p.next };
  }

  listPrincipalThings(principal: unknown, q: TokenPaging = {}) {
    const c = this.certificates.principal(principal);
    const limit = pageSize(q.maxResults);
    const p = page(this.s.thingPrincipals.to(c.certificateArn).sort(byName), (a) => a, q.nextToken, limit);
    return { things: p.items, nextToken: p.next };
  }
}
