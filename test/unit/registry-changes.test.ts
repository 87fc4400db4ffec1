import { describe, expect, it } from 'vitest';
import { Registry, type RegistryChange } from '../../src/local/registry/index.js';

const POLICY = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] });
const ID = 'a'.repeat(64);

/** A compact line per change: kind op name [target] */
const line = (c: RegistryChange): string => {
  switch (c.kind) {
    case 'thing':
    case 'policy':
      return `${c.kind} ${c.op} ${c.name}`;
    case 'certificate':
      return `certificate ${c.op} ${c.id.slice(0, 4)}`;
    case 'attachment':
      return `attachment ${c.op} ${c.attachment} ${c.name} ${c.certificateId?.slice(0, 4)}`;
    default:
      return `${c.kind} ${c.op} ${c.name}`;
  }
};

describe('Registry.onChange', () => {
  it('reports every mutation, in order, after the state changed; failed calls and no-ops report nothing', () => {
    const reg = new Registry({ region: 'us-east-1', account: '123456789012' });
    const seen: string[] = [];
    const certEvents: string[] = [];
    reg.onCertificateChange((id) => certEvents.push(id.slice(0, 4)));
    reg.onChange((c) => {
      seen.push(line(c));
      // the state is already changed when the listener runs
      if (c.kind === 'thing' && c.op === 'created') expect(reg.describeThing(c.name).thingName).toBe(c.name);
    });
    const arn = reg.addCertificate({ certificateId: ID, certificatePem: 'PEM', active: true, notBefore: 0, notAfter: 1 }).certificateArn;
    reg.createThing({ thingName: 't1', attributes: { a: '1' } });
    reg.createThing({ thingName: 't1', attributes: { a: '1' } }); // idempotent: no change
    reg.createPolicy({ policyName: 'p', policyDocument: POLICY });
    reg.attachPolicy('p', arn);
    reg.attachPolicy('p', arn); // no-op
    reg.attachThingPrincipal('t1', arn);
    expect(() => reg.deleteThing('t1')).toThrow(); // still attached: nothing changed
    reg.detachThingPrincipal('t1', arn);
    reg.deleteThing('t1');
    reg.updateCertificate(ID, 'INACTIVE');
    reg.deleteCertificate(ID, true); // forceDelete detaches the policy first
    reg.deletePolicy('p');
    expect(seen).toEqual([
      'certificate created aaaa',
      'thing created t1',
      'policy created p',
      'attachment created policy p aaaa',
      'attachment created thing-principal t1 aaaa',
      'attachment deleted thing-principal t1 aaaa',
      'thing deleted t1',
      'certificate updated aaaa',
      'attachment deleted policy p aaaa',
      'certificate deleted aaaa',
      'policy deleted p',
    ]);
    // the broker's narrower view is derived from the same changes: everything about a certificate but its creation
    expect(certEvents).toEqual(['aaaa', 'aaaa', 'aaaa', 'aaaa', 'aaaa', 'aaaa']);
  });

  it('carries copies: a listener cannot change the registry through an event', () => {
    const reg = new Registry({ region: 'us-east-1', account: '123456789012' });
    reg.onChange((c) => {
      if (c.kind === 'thing') c.thing.attributes.x = 'changed';
    });
    reg.createThing({ thingName: 't', attributes: { x: '1' } });
    expect(reg.describeThing('t').attributes).toEqual({ x: '1' });
  });

  it('a throwing listener neither fails the call nor starves the others; unsubscribe stops delivery', () => {
    const reg = new Registry({ region: 'us-east-1', account: '123456789012' });
    const seen: string[] = [];
    reg.onChange(() => {
      throw new Error('listener bug');
    });
    const off = reg.onChange((c) => seen.push(line(c)));
    reg.createThing({ thingName: 'a' });
    off();
    reg.createThing({ thingName: 'b' });
    expect(seen).toEqual(['thing created a']);
  });
});
