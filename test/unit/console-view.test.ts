import { describe, expect, it } from 'vitest';
import { buildView } from '../../src/local/console/view.js';
import type { RegistrySnapshot } from '../../src/local/registry/index.js';

const arn = (r: string) => `arn:aws:iot:us-east-1:123456789012:${r}`;
const registry: RegistrySnapshot = {
  format: 'elf-registry/1',
  things: [
    { thingName: 'thing_10', thingId: '10', thingArn: arn('thing/thing_10'), attributes: {}, version: 1, creationDate: 1 },
    { thingName: 'thing_2', thingId: '2', thingArn: arn('thing/thing_2'), thingTypeName: 'radar', attributes: { elf_fleet: 'x' }, version: 1, creationDate: 2 },
  ],
  certificates: [
    { certificateId: 'c2', certificateArn: arn('cert/c2'), status: 'ACTIVE', certificatePem: 'pem', creationDate: 3, lastModifiedDate: 3, customerVersion: 1, generationId: 'g', notBefore: 0, notAfter: 1 },
  ],
  policies: [{ policyName: 'p2', policyArn: arn('policy/p2'), policyDocument: '{"Version":"2012-10-17"}', creationDate: 0, lastModifiedDate: 0, generationId: 'g' }],
  policyTargets: [['p2', arn('cert/c2')]],
  thingPrincipals: [['thing_2', arn('cert/c2')]],
};

describe('the console view', () => {
  it('joins things with their certificates, policies, connection and shadows; other clients apart', () => {
    const flow = { in: { messages: 3, bytes: 30 }, out: { messages: 0, bytes: 0 } };
    const v = buildView({
      registry,
      shadows: [{ thingName: 'thing_2', document: { state: { reported: { v: 1 }, desired: { v: 2 }, delta: { v: 2 } }, version: 4 } }],
      clients: [
        { clientId: 'thing_2', connected: true, since: 5, ...flow },
        { clientId: 'elf-console', connected: true, since: 6, ...flow },
      ],
      traffic: flow,
      rules: { format: 'elf-topic-rules/1', rules: [{ ruleName: 'r', ruleArn: arn('rule/r'), createdAt: 7, payload: { sql: "SELECT * FROM 'elf'", actions: [{ s3: {} }], ruleDisabled: true } }] },
    });
    expect(v.things.map((t) => t.thingName)).toEqual(['thing_2', 'thing_10']);
    expect(v.things[0]).toMatchObject({
      thingTypeName: 'radar',
      attributes: { elf_fleet: 'x' },
      certificates: [{ certificateId: 'c2', status: 'ACTIVE', policies: ['p2'] }],
      connection: { clientId: 'thing_2', connected: true },
      shadows: [{ name: '(classic)', reported: { v: 1 }, desired: { v: 2 }, delta: { v: 2 }, version: 4 }],
    });
    expect(v.things[1]!.connection).toBeUndefined();
    expect(v.clients.map((c) => c.clientId)).toEqual(['elf-console']);
    expect(v.rules).toEqual([{ ruleName: 'r', sql: "SELECT * FROM 'elf'", enabled: false, actions: ['s3'], createdAt: 7 }]);
    expect(v.sinks).toEqual([]);
  });

  it("gives each rule its own counts, and the sinks' last rows", () => {
    const counters = { matched: 5, fired: 4, failed: 1, actionErrors: 2, dropped: 0 };
    const sinks = [{ kind: 's3' as const, name: 'b', delivered: 9, rows: [{ ruleName: 'r', time: 1, text: '{}', bytes: 2 }] }];
    const v = buildView({
      registry,
      shadows: [],
      clients: [],
      traffic: { in: { messages: 0, bytes: 0 }, out: { messages: 0, bytes: 0 } },
      rules: { format: 'elf-topic-rules/1', rules: [{ ruleName: 'r', ruleArn: arn('rule/r'), createdAt: 7, payload: { sql: "SELECT * FROM 'elf'", actions: [{ s3: {} }] } }] },
      ruleCounters: { r: counters, gone: { ...counters, matched: 1 } },
      sinks,
    });
    expect(v.rules.map((r) => [r.ruleName, r.counters])).toEqual([['r', counters]]);
    expect(v.sinks).toEqual(sinks);
  });
});
