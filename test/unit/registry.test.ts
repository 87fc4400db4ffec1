import { describe, expect, it } from 'vitest';
import { Registry } from '../../src/local/registry/index.js';
import { errorOf } from '../helpers/api-errors.js';

const POLICY = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] });
const hex = (n: number) => n.toString(16).padStart(64, '0');

function setup() {
  let clock = 1_700_000_000_000;
  let ids = 0;
  const reg = new Registry({ region: 'us-east-1', account: '123456789012', now: () => clock, newId: () => `id-${++ids}` });
  const events: string[] = [];
  reg.onCertificateChange((id) => events.push(id));
  const addCert = (n: number, active = true) => reg.addCertificate({ certificateId: hex(n), certificatePem: `PEM ${n}`, active, notBefore: 0, notAfter: 1 });
  return { reg, events, addCert, tick: (ms: number) => (clock += ms) };
}

describe('Registry', () => {
  it('creates things with AWS ARN shapes; CreateThing is idempotent for the same config', () => {
    const { reg } = setup();
    const a = reg.createThing({ thingName: 't1', attributes: { k: 'v' } });
    expect(a).toEqual({ thingName: 't1', thingArn: 'arn:aws:iot:us-east-1:123456789012:thing/t1', thingId: 'id-1' });
    expect(reg.createThing({ thingName: 't1', attributes: { k: 'v' } })).toEqual(a);
    const e = errorOf(() => reg.createThing({ thingName: 't1', attributes: { k: 'w' } }));
    expect(e.errorName).toBe('ResourceAlreadyExistsException');
    expect(e.extra).toEqual({ resourceId: 'id-1', resourceArn: a.thingArn });
    expect(reg.createThing({ thingName: 't2' }, 'eu-west-1').thingArn).toBe('arn:aws:iot:eu-west-1:123456789012:thing/t2');
  });

  it('enforces name patterns and lengths', () => {
    const { reg } = setup();
    for (const bad of ['', 'a/b', '..', 'x'.repeat(129), 'sp ace']) expect(errorOf(() => reg.createThing({ thingName: bad })).errorName).toBe('InvalidRequestException');
    expect(errorOf(() => reg.createPolicy({ policyName: 'a/b', policyDocument: POLICY })).errorName).toBe('InvalidRequestException');
    expect(errorOf(() => reg.describeCertificate('abc')).errorName).toBe('InvalidRequestException');
    expect(errorOf(() => reg.createThing({ thingName: 'ok', attributes: { k: 'bad value with spaces' } })).errorName).toBe('InvalidRequestException');
  });

  it('rejects malformed policy documents with MalformedPolicyException', () => {
    const { reg } = setup();
    for (const doc of ['nope', '[]', '{}', '{"Statement":[]}', '{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}', '{"Statement":{"Effect":"allow","Action":"a","Resource":"*"}}']) {
      expect(errorOf(() => reg.createPolicy({ policyName: 'p', policyDocument: doc })).errorName).toBe('MalformedPolicyException');
    }
    expect(errorOf(() => reg.createPolicy({ policyName: 'p', policyDocument: undefined })).errorName).toBe('InvalidRequestException');
    expect(reg.createPolicy({ policyName: 'p', policyDocument: '{"Statement":{"Effect":"Deny","NotAction":"a","Resource":["*"]}}' }).policyVersionId).toBe('1');
  });

  it('applies the deletion rules of certificates, policies and things', () => {
    const { reg, addCert } = setup();
    const c = addCert(1);
    reg.createThing({ thingName: 't' });
    reg.createPolicy({ policyName: 'p', policyDocument: POLICY });
    reg.attachPolicy('p', c.certificateArn);
    reg.attachThingPrincipal('t', c.certificateArn);
    expect(errorOf(() => reg.deletePolicy('p')).errorName).toBe('DeleteConflictException');
    expect(errorOf(() => reg.deleteCertificate(c.certificateId)).errorName).toBe('CertificateStateException');
    expect(errorOf(() => reg.deleteThing('t')).errorName).toBe('InvalidRequestException');
    reg.updateCertificate(c.certificateId, 'INACTIVE');
    expect(errorOf(() => reg.deleteCertificate(c.certificateId, true)).errorName).toBe('DeleteConflictException'); // things attached
    reg.detachThingPrincipal('t', c.certificateArn);
    expect(errorOf(() => reg.deleteCertificate(c.certificateId)).errorName).toBe('DeleteConflictException'); // policies attached
    reg.deleteCertificate(c.certificateId, true);
    reg.deletePolicy('p');
    reg.deleteThing('t');
    reg.deleteThing('t'); // missing: succeeds
    expect(reg.counts()).toEqual({ things: 0, certificates: 0, policies: 0 });
  });

  it('a failed call changes nothing', () => {
    const { reg, addCert } = setup();
    const c = addCert(1);
    reg.createPolicy({ policyName: 'p', policyDocument: POLICY });
    const before = JSON.stringify(reg.snapshot());
    errorOf(() => reg.attachPolicy('nope', c.certificateArn));
    errorOf(() => reg.attachPolicy('p', 'arn:aws:iot:us-east-1:123456789012:cert/' + hex(9)));
    errorOf(() => reg.deleteCertificate(c.certificateId, true));
    errorOf(() => reg.createThing({ thingName: 'x', thingTypeName: 'T' }));
    errorOf(() => reg.updateCertificate(c.certificateId, 'PENDING_TRANSFER'));
    expect(JSON.stringify(reg.snapshot())).toBe(before);
  });

  it('limits a certificate to 10 policies; attach twice is a no-op; detach of a non-attached pair is ResourceNotFound', () => {
    const { reg, addCert } = setup();
    const c = addCert(1);
    for (let i = 0; i < 11; i++) reg.createPolicy({ policyName: `p${i}`, policyDocument: POLICY });
    for (let i = 0; i < 10; i++) reg.attachPolicy(`p${i}`, c.certificateArn);
    reg.attachPolicy('p0', c.certificateArn);
    expect(errorOf(() => reg.attachPolicy('p10', c.certificateArn)).errorName).toBe('LimitExceededException');
    expect(errorOf(() => reg.detachPolicy('p10', c.certificateArn)).errorName).toBe('ResourceNotFoundException');
    expect(reg.listAttachedPolicies(c.certificateArn, { pageSize: 250 }).policies).toHaveLength(10);
  });

  it('UpdateCertificate: REVOKED is final; DeleteThing checks expectedVersion', () => {
    const { reg, addCert } = setup();
    const c = addCert(1, false);
    reg.updateCertificate(c.certificateId, 'REVOKED');
    expect(errorOf(() => reg.updateCertificate(c.certificateId, 'ACTIVE')).errorName).toBe('CertificateStateException');
    expect(errorOf(() => reg.updateCertificate(c.certificateId, 'NOPE')).errorName).toBe('InvalidRequestException');
    reg.createThing({ thingName: 't' });
    expect(errorOf(() => reg.deleteThing('t', 2)).errorName).toBe('VersionConflictException');
  });

  it('pages stably with tokens, even when items are removed between pages', () => {
    const { reg, addCert, tick } = setup();
    for (let i = 0; i < 5; i++) reg.createThing({ thingName: `t${i}` });
    const p1 = reg.listThings({ maxResults: 2 });
    expect(p1.things.map((t) => t.thingName)).toEqual(['t0', 't1']);
    reg.deleteThing('t0');
    const p2 = reg.listThings({ maxResults: 2, nextToken: p1.nextToken });
    expect(p2.things.map((t) => t.thingName)).toEqual(['t2', 't3']);
    const p3 = reg.listThings({ maxResults: 2, nextToken: p2.nextToken });
    expect(p3.things.map((t) => t.thingName)).toEqual(['t4']);
    expect(p3.nextToken).toBeUndefined();
    expect(errorOf(() => reg.listThings({ maxResults: 0 })).errorName).toBe('InvalidRequestException');
    for (let i = 0; i < 3; i++) {
      addCert(i + 1);
      tick(1000);
    }
    const asc = reg.listCertificates({ pageSize: 2 });
    const asc2 = reg.listCertificates({ pageSize: 2, marker: asc.nextMarker });
    expect([...asc.certificates, ...asc2.certificates].map((c) => c.certificateId)).toEqual([hex(1), hex(2), hex(3)]);
    const desc = reg.listCertificates({ pageSize: 2, ascendingOrder: false });
    const desc2 = reg.listCertificates({ pageSize: 2, ascendingOrder: false, marker: desc.nextMarker });
    expect([...desc.certificates, ...desc2.certificates].map((c) => c.certificateId)).toEqual([hex(3), hex(2), hex(1)]);
    expect(asc.certificates[0]!.creationDate).toBe(1_700_000_000);
  });

  it('serves the broker: certificates, policy documents, things, and change events', () => {
    const { reg, events, addCert } = setup();
    const c = addCert(1);
    reg.createThing({ thingName: 't', attributes: { a: 'b' } });
    reg.createPolicy({ policyName: 'p', policyDocument: POLICY });
    reg.attachPolicy('p', c.certificateArn);
    reg.attachThingPrincipal('t', c.certificateArn);
    expect(reg.certificate(hex(1).toUpperCase())).toEqual({ certificateArn: c.certificateArn, status: 'ACTIVE' });
    expect(reg.certificate(hex(2))).toBeUndefined();
    expect(reg.policyDocuments(c.certificateArn)).toEqual([POLICY]);
    expect(reg.thingsOf(c.certificateArn)).toEqual([{ thingName: 't', attributes: { a: 'b' } }]);
    events.length = 0;
    reg.attachPolicy('p', c.certificateArn); // no-op: no event
    reg.detachPolicy('p', c.certificateArn);
    reg.updateCertificate(c.certificateId, 'INACTIVE');
    reg.updateCertificate(c.certificateId, 'INACTIVE'); // unchanged: no event
    reg.detachThingPrincipal('t', c.certificateArn);
    reg.deleteCertificate(c.certificateId);
    expect(events).toEqual([hex(1), hex(1), hex(1), hex(1)]);
    expect(reg.certificate(hex(1))).toBeUndefined();
  });

  it('round-trips through a snapshot', () => {
    const { reg, addCert } = setup();
    const c = addCert(1);
    reg.createThing({ thingName: '123' });
    reg.createThing({ thingName: '45' });
    reg.createPolicy({ policyName: 'p', policyDocument: POLICY });
    reg.attachPolicy('p', c.certificateArn);
    reg.attachThingPrincipal('123', c.certificateArn);
    const copy = new Registry({ region: 'us-east-1', account: '123456789012', snapshot: JSON.parse(JSON.stringify(reg.snapshot())) });
    expect(copy.snapshot()).toEqual(reg.snapshot());
    expect(copy.listThingPrincipals('123').principals).toEqual([c.certificateArn]);
    expect(() => new Registry({ region: 'r', account: 'a', snapshot: { format: 'other' } as never })).toThrow(/unknown registry format/);
  });
});
