import { MAX_POLICY_VERSIONS } from '../../aws/limits.js';
import { ApiError, invalid, notFound } from '../api-error.js';

/**
 * The state rules of policy versions, AWS IoT's way (docs/aws-iot-facts.md#policy-versions;
 * https://docs.aws.amazon.com/iot/latest/developerguide/iot-policies.html, "Named policies are
 * versioned"): CreatePolicy makes version 1, the default; CreatePolicyVersion adds one (at most
 * MAX_POLICY_VERSIONS), optionally as the new default; version ids keep counting up and are never
 * reused; the default version cannot be deleted, and a policy with versions besides its default
 * cannot be deleted. Pure: the clock and the id source are passed in; every function validates
 * completely before it changes anything.
 */

export interface PolicyVersion {
  versionId: string;
  document: string;
  /** epoch milliseconds */
  creationDate: number;
  generationId: string;
}

/** The versions of one policy. */
export interface PolicyVersions {
  versions: PolicyVersion[];
  defaultVersionId: string;
  /** the id the next CreatePolicyVersion gets */
  nextVersionId: number;
}

const VERSION_ID = /^[0-9]{1,10}$/;

export function firstVersion(document: string, now: number, generationId: string): PolicyVersions {
  return { versions: [{ versionId: '1', document, creationDate: now, generationId }], defaultVersionId: '1', nextVersionId: 2 };
}

export function defaultVersion(p: PolicyVersions): PolicyVersion {
  return p.versions.find((v) => v.versionId === p.defaultVersionId)!;
}

/** The version with this id, or ResourceNotFoundException (a malformed id is an InvalidRequestException). */
export function versionOf(p: PolicyVersions, policyName: string, versionId: string): PolicyVersion {
  if (!VERSION_ID.test(versionId)) {
    throw invalid(`1 validation error detected: Value '${versionId.slice(0, 50)}' at 'policyVersionId' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9]+`);
  }
  const v = p.versions.find((x) => x.versionId === String(Number(versionId)));
  if (!v) throw notFound(`Version ${versionId} of policy ${policyName} does not exist`);
  return v;
}

/** CreatePolicyVersion: the new version (the caller has validated the document). */
export function addVersion(p: PolicyVersions, policyName: string, document: string, setAsDefault: boolean, now: number, generationId: string): PolicyVersion {
  if (p.versions.length >= MAX_POLICY_VERSIONS) {
    throw new ApiError('VersionsLimitExceededException', `The policy ${policyName} already has the maximum number of versions (${MAX_POLICY_VERSIONS})`);
  }
  const v: PolicyVersion = { versionId: String(p.nextVersionId), document, creationDate: now, generationId };
  p.versions.push(v);
  p.nextVersionId += 1;
  if (setAsDefault) p.defaultVersionId = v.versionId;
  return v;
}

/** SetDefaultPolicyVersion: true when the default changed. */
export function setDefault(p: PolicyVersions, policyName: string, versionId: string): boolean {
  const v = versionOf(p, policyName, versionId);
  if (v.versionId === p.defaultVersionId) return false;
  p.defaultVersionId = v.versionId;
  return true;
}

/** DeletePolicyVersion: the default version cannot be deleted (DeletePolicy deletes it). */
export function deleteVersion(p: PolicyVersions, policyName: string, versionId: string): void {
  const v = versionOf(p, policyName, versionId);
  if (v.versionId === p.defaultVersionId) {
    throw new ApiError('DeleteConflictException', `Cannot delete the default version of a policy (policy ${policyName}, version ${v.versionId}); make another version the default first, or delete the policy`);
  }
  p.versions = p.versions.filter((x) => x !== v);
}

/** DeletePolicy is refused while the policy has versions besides its default (AWS's words, typo included). */
export function checkPolicyDeletable(p: PolicyVersions): void {
  if (p.versions.length > 1) {
    throw new ApiError('DeleteConflictException', 'The policy cannot be deleted as versions other than than default version exist');
  }
}

/** ListPolicyVersions' items, in the order they were created (AWS does not document an order). */
export function listVersions(p: PolicyVersions): { versionId: string; isDefaultVersion: boolean; createDate: number }[] {
  return p.versions.map((v) => ({ versionId: v.versionId, isDefaultVersion: v.versionId === p.defaultVersionId, createDate: v.creationDate }));
}
