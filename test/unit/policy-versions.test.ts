import { describe, expect, it } from 'vitest';
import { Registry } from '../../src/local/registry/index.js';
import { addVersion, checkPolicyDeletable, defaultVersion, deleteVersion, firstVersion, listVersions, setDefault, versionOf } from '../../src/local/registry/policy-versions.js';
import { errorOf } from '../helpers/api-errors.js';


describe('policy versions', () => {
  it('starts at version 1, the default; a new version becomes the default only with setAsDefault', () => {
    const p = firstVersion('doc1', 10, 'g1');
    expect(defaultVersion(p)).toEqual({ versionId: '1', document: 'doc1', creationDate: 10, generationId: 'g1' });
    expect(addVersion(p, 'P', 'doc2', false, 20, 'g2').versionId).toBe('2');
    expect(defaultVersion(p).document).toBe('doc1');
    expect(addVersion(p, 'P', 'doc3', true, 30, 'g3').versionId).toBe('3');
    expect(defaultVersion(p).document).toBe('doc3');
    expect(listVersions(p)).toEqual([
      { versionId: '1', isDefaultVersion: false, createDate: 10 },
      { versionId: '2', isDefaultVersion: false, createDate: 20 },
      { versionId: '3', isDefaultVersion: true, createDate: 30 },
    ]);
  });

  it('keeps at most five versions: the sixth is VersionsLimitExceededException (409) and changes nothing', () => {
    const p = firstVersion('d', 0, 'g');
    for (let i = 2; i <= 5; i++) addVersion(p, 'P', `d${i}`, false, i, 'g');
    const e = errorOf(() => addVersion(p, 'P', 'd6', true, 6, 'g'));
    expect(e.errorName).toBe('VersionsLimitExceededException');
    expect(e.status).toBe(409);
    expect(p.versions).toHaveLength(5);
    expect(p.defaultVersionId).toBe('1');
  });

  it('never reuses a version id after a deletion', () => {
    const p = firstVersion('d', 0, 'g');
    addVersion(p, 'P', 'd2', false, 1, 'g');
    deleteVersion(p, 'P', '2');
    expect(addVersion(p, 'P', 'd3', false, 2, 'g').versionId).toBe('3');
    expect(listVersions(p).map((v) => v.versionId)).toEqual(['1', '3']);
  });

  it('refuses to delete the default version (DeleteConflictException) and an unknown one (ResourceNotFoundException)', () => {
    const p = firstVersion('d', 0, 'g');
    addVersion(p, 'P', 'd2', true, 1, 'g');
    expect(errorOf(() => deleteVersion(p, 'P', '2')).errorName).toBe('DeleteConflictException');
    expect(errorOf(() => deleteVersion(p, 'P', '9')).errorName).toBe('ResourceNotFoundException');
    expect(errorOf(() => versionOf(p, 'P', 'x1')).errorName).toBe('InvalidRequestException');
    deleteVersion(p, 'P', '1');
    expect(listVersions(p)).toEqual([{ versionId: '2', isDefaultVersion: true, createDate: 1 }]);
  });

  it('SetDefaultPolicyVersion says whether the default changed', () => {
    const p = firstVersion('d', 0, 'g');
    addVersion(p, 'P', 'd2', false, 1, 'g');
    expect(setDefault(p, 'P', '1')).toBe(false);
    expect(setDefault(p, 'P', '2')).toBe(true);
    expect(defaultVersion(p).document).toBe('d2');
    expect(errorOf(() => setDefault(p, 'P', '7')).errorName).toBe('ResourceNotFoundException');
  });

  it('a policy with versions besides its default cannot be deleted', () => {
    const p = firstVersion('d', 0, 'g');
    expect(() => checkPolicyDeletable(p)).not.toThrow();
    addVersion(p, 'P', 'd2', false, 1, 'g');
    const e = errorOf(() => checkPolicyDeletable(p));
    expect(e.errorName).toBe('DeleteConflictException');
    expect(e.message).toContain('versions other than');
    deleteVersion(p, 'P', '2');
    expect(() => checkPolicyDeletable(p)).not.toThrow();
  });
});

describe('policy versions in the registry', () => {
  const POLICY = (n: number) => JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: `client/${n}` }] });
  const hex = (n: number) => n.toString(16).padStart(64, '0');

  it('the broker hears of a new default for every certificate the policy is attached to, and only then', () => {
    const reg = new Registry({ region: 'us-east-1', account: '123456789012' });
    const certArn = reg.addCertificate({ certificateId: hex(1), certificatePem: 'PEM', active: true, notBefore: 0, notAfter: 1 }).certificateArn;
    reg.createPolicy({ policyName: 'p', policyDocument: POLICY(1) });
    reg.attachPolicy('p', certArn);
    const heard: string[] = [];
    reg.onCertificateChange((id) => heard.push(id));
    reg.createPolicyVersion('p', POLICY(2));
    expect(heard).toEqual([]);
    expect(reg.policyDocuments(certArn)).toEqual([POLICY(1)]);
    reg.setDefaultPolicyVersion('p', '2');
    expect(heard).toEqual([hex(1)]);
    expect(reg.policyDocuments(certArn)).toEqual([POLICY(2)]);
    reg.createPolicyVersion('p', POLICY(3), true);
    expect(heard).toEqual([hex(1), hex(1)]);
    expect(reg.policyDocuments(certArn)).toEqual([POLICY(3)]);
  });

  it('versions survive a snapshot; a policy saved before versions existed comes back as version 1', () => {
    const reg = new Registry({ region: 'us-east-1', account: '123456789012' });
    reg.createPolicy({ policyName: 'p', policyDocument: POLICY(1) });
    reg.createPolicyVersion('p', POLICY(2), true);
    const again = new Registry({ region: 'us-east-1', account: '123456789012', snapshot: JSON.parse(JSON.stringify(reg.snapshot())) });
    expect(again.listPolicyVersions('p').policyVersions.map((v) => [v.versionId, v.isDefaultVersion])).toEqual([
      ['1', false],
      ['2', true],
    ]);
    const old = { ...reg.snapshot(), policies: [{ policyName: 'q', policyArn: 'arn:aws:iot:us-east-1:123456789012:policy/q', policyDocument: POLICY(7), creationDate: 5000, lastModifiedDate: 5000, generationId: 'g' }] };
    const restored = new Registry({ region: 'us-east-1', account: '123456789012', snapshot: old });
    expect(restored.getPolicy('q')).toMatchObject({ defaultVersionId: '1', policyDocument: POLICY(7) });
    expect(restored.createPolicyVersion('q', POLICY(8)).policyVersionId).toBe('2');
  });
});
