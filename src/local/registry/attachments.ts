import { MAX_POLICIES_PER_CERTIFICATE } from '../../aws/limits.js';
import { ApiError, notFound } from '../api-error.js';
import { page, pageSize } from '../page.js';
import * as valid from '../validate.js';
import type { Certificates } from './certificates.js';
import type { Policies } from './policies.js';
import type { ThingGroups } from './thing-groups.js';
import type { Things } from './things.js';
import { byName, type MarkerPaging, type RegistryState, type TokenPaging } from './types.js';

/** The relations: policies attached to targets, principals attached to things. */
export class Attachments {
  constructor(
    private readonly s: RegistryState,
    private readonly things: Things,
    private readonly certificates: Certificates,
    private readonly policies: Policies,
    private readonly groups: ThingGroups,
  ) {}

  /** A policy target: a certificate ARN or a thing-group ARN (https://docs.aws.amazon.com/iot/latest/apireference/API_AttachPolicy.html). */
  private target(target: unknown): { arn: string; certificateId?: string; group?: string } {
    const g = typeof target === 'string' ? this.groups.byArn(target) : undefined;
    if (g) return { arn: g.thingGroupArn, group: g.thingGroupName };
    const c = this.certificates.principal(target, 'target');
    return { arn: c.certificateArn, certificateId: c.certificateId };
  }

  attachPolicy(policyName: string, target: unknown): void {
    const p = this.policies.get(policyName);
    const t = this.target(target);
    if (this.s.policyTargets.has(p.policyName, t.arn)) return; // attaching twice is a no-op
    if (this.s.policyTargets.to(t.arn).length >= MAX_POLICIES_PER_CERTIFICATE) {
      throw new ApiError('LimitExceededException', `The number of attached policies to the principal cannot exceed ${MAX_POLICIES_PER_CERTIFICATE}`);
    }
    this.s.policyTargets.add(p.policyName, t.arn);
    this.s.changed({ kind: 'attachment', op: 'created', attachment: 'policy', name: p.policyName, target: t.arn, ...(t.certificateId ? { certificateId: t.certificateId } : {}) });
  }

  detachPolicy(policyName: string, target: unknown): void {
    const p = this.policies.get(policyName);
    const t = this.target(target);
    if (!this.s.policyTargets.delete(p.policyName, t.arn)) {
      throw notFound(`The policy ${p.policyName} is not attached to ${t.arn}`);
    }
    this.s.changed({ kind: 'attachment', op: 'deleted', attachment: 'policy', name: p.policyName, target: t.arn, ...(t.certificateId ? { certificateId: t.certificateId } : {}) });
  }

  /** ListAttachedPolicies; for a thing group, `recursive` adds the policies of its ancestors. */
  listAttachedPolicies(target: unknown, q: MarkerPaging & { recursive?: boolean } = {}) {
    const t = this.target(target);
    const arns = t.group !== undefined && q.recursive ? [t.arn, ...this.groups.ancestors(t.group).map((g) => g.thingGroupArn)] : [t.arn];
    return this.policies.page([...new Set(arns.flatMap((a) => this.s.policyTargets.to(a)))], q);
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
