import { describe, expect, it } from 'vitest';
import { evaluate, globMatches, parsePolicy, PolicyParseError, type PolicyContext } from '../../src/local/policy.js';

const R = 'us-east-1';
const A = '123456789012';
const arn = (rest: string) => `arn:aws:iot:${R}:${A}:${rest}`;

function policy(...statements: object[]) {
  return parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }));
}
const decide = (docs: ReturnType<typeof policy>[], action: string, resource: string, ctx: PolicyContext = {}) =>
  evaluate(docs, action, resource, ctx).decision;

const thing0: PolicyContext = {
  clientId: 'thing_0',
  certificateId: 'abc123',
  thing: { thingName: 'thing_0', thingTypeName: 'sensor', attributes: { floor: '3' } },
};

describe('policy evaluation: AWS examples', () => {
  it("ELF's own policy: Connect/Publish/Receive/Subscribe on arn:aws:iot:<region>:*:*", () => {
    const elf = policy({ Effect: 'Allow', Action: ['iot:Connect', 'iot:Publish', 'iot:Receive', 'iot:Subscribe'], Resource: ['arn:aws:iot:us-east-1:*:*'] });
    expect(decide([elf], 'iot:Connect', arn('client/anything'))).toBe('allow');
    expect(decide([elf], 'iot:Publish', arn('topic/elf/thing_0'))).toBe('allow');
    expect(decide([elf], 'iot:Subscribe', arn('topicfilter/elf/#'))).toBe('allow');
    expect(decide([elf], 'iot:Receive', arn('topic/elf'))).toBe('allow');
    // another region does not match; an action not listed is implicitly denied
    expect(decide([elf], 'iot:Publish', `arn:aws:iot:eu-west-1:${A}:topic/elf`)).toBe('implicitDeny');
    expect(decide([elf], 'iot:UpdateThingShadow', arn('thing/t'))).toBe('implicitDeny');
  });

  it('Subscribe is checked against the literal topic filter: + and # in a policy are plain characters', () => {
    const p = policy({ Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn('topicfilter/some/+/topic') });
    expect(decide([p], 'iot:Subscribe', arn('topicfilter/some/+/topic'))).toBe('allow');
    expect(decide([p], 'iot:Subscribe', arn('topicfilter/some/sensor/topic'))).toBe('implicitDeny');
    const hash = policy({ Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn('topicfilter/a/#') });
    expect(decide([hash], 'iot:Subscribe', arn('topicfilter/a/#'))).toBe('allow');
    expect(decide([hash], 'iot:Subscribe', arn('topicfilter/a/b'))).toBe('implicitDeny');
  });

  it('Allow Subscribe a/* + Deny Subscribe a/restricted/* does not stop a/#; a Receive NotResource does', () => {
    const p = policy(
      { Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn('topicfilter/a/*') },
      { Effect: 'Deny', Action: 'iot:Subscribe', Resource: arn('topicfilter/a/restricted/*') },
      { Effect: 'Allow', Action: 'iot:Receive', NotResource: arn('topic/a/restricted/*') },
    );
    expect(decide([p], 'iot:Subscribe', arn('topicfilter/a/#'))).toBe('allow');
    expect(decide([p], 'iot:Subscribe', arn('topicfilter/a/restricted/x'))).toBe('explicitDeny');
    expect(decide([p], 'iot:Receive', arn('topic/a/open/x'))).toBe('allow');
    expect(decide([p], 'iot:Receive', arn('topic/a/restricted/x'))).toBe('implicitDeny');
  });

  it('* crosses / and :, ? is exactly one character', () => {
    expect(globMatches(arn('topic/a/*'), arn('topic/a/b/c/d'))).toBe(true);
    expect(globMatches('arn:aws:iot:*', arn('client/x'))).toBe(true);
    expect(globMatches(arn('topic/sensor/?????/temp'), arn('topic/sensor/room1/temp'))).toBe(true);
    expect(globMatches(arn('topic/sensor/?????/temp'), arn('topic/sensor/room10/temp'))).toBe(false);
    expect(globMatches(arn('topic/a.b'), arn('topic/aXb'))).toBe(false); // regex metacharacters are literal
    expect(globMatches(arn('topic/Elf'), arn('topic/elf'))).toBe(false); // resources are case-sensitive
  });

  it('explicit Deny wins over any Allow, in the same or another policy', () => {
    const allowAll = policy({ Effect: 'Allow', Action: 'iot:*', Resource: '*' });
    const denyX = policy({ Effect: 'Deny', Action: 'iot:Publish', Resource: arn('topic/x') });
    expect(decide([allowAll, denyX], 'iot:Publish', arn('topic/x'))).toBe('explicitDeny');
    expect(decide([denyX, allowAll], 'iot:Publish', arn('topic/x'))).toBe('explicitDeny');
    expect(decide([allowAll, denyX], 'iot:Publish', arn('topic/y'))).toBe('allow');
    expect(decide([], 'iot:Publish', arn('topic/y'))).toBe('implicitDeny');
    const r = evaluate([allowAll, denyX], 'iot:Publish', arn('topic/x'), {});
    expect(r.decision === 'explicitDeny' && r.statement.effect).toBe('Deny');
  });

  it('action names are case-insensitive and take wildcards', () => {
    const p = policy({ Effect: 'Allow', Action: 'IOT:publish', Resource: '*' });
    expect(decide([p], 'iot:Publish', arn('topic/x'))).toBe('allow');
    const star = policy({ Effect: 'Allow', Action: 'iot:*', Resource: '*' });
    expect(decide([star], 'iot:Connect', arn('client/c'))).toBe('allow');
    const notAction = policy({ Effect: 'Allow', NotAction: 'iot:Publish', Resource: '*' });
    expect(decide([notAction], 'iot:Publish', arn('topic/x'))).toBe('implicitDeny');
    expect(decide([notAction], 'iot:Subscribe', arn('topicfilter/x'))).toBe('allow');
  });
});

describe('policy variables', () => {
  it('${iot:ClientId} in Connect and Publish', () => {
    const p = policy(
      { Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client/${iot:ClientId}') },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: arn('topic/elf/${iot:ClientId}') },
    );
    expect(decide([p], 'iot:Publish', arn('topic/elf/c1'), { clientId: 'c1' })).toBe('allow');
    expect(decide([p], 'iot:Publish', arn('topic/elf/c2'), { clientId: 'c1' })).toBe('implicitDeny');
    // substituted values are literal: a client id with * is no wildcard
    expect(decide([p], 'iot:Publish', arn('topic/elf/abc'), { clientId: '*' })).toBe('implicitDeny');
    expect(decide([p], 'iot:Publish', arn('topic/elf/*'), { clientId: '*' })).toBe('allow');
  });

  it('thing variables resolve from the attached thing, and not at all without one', () => {
    const p = policy(
      { Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client/${iot:Connection.Thing.ThingName}') },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: arn('topic/${iot:Connection.Thing.ThingTypeName}/${iot:Connection.Thing.Attributes[floor]}') },
    );
    expect(decide([p], 'iot:Connect', arn('client/thing_0'), thing0)).toBe('allow');
    expect(decide([p], 'iot:Publish', arn('topic/sensor/3'), thing0)).toBe('allow');
    // unresolved variable → the element cannot match
    expect(decide([p], 'iot:Connect', arn('client/thing_0'), { clientId: 'thing_0' })).toBe('implicitDeny');
    expect(decide([p], 'iot:Publish', arn('topic/sensor/'), { ...thing0, thing: { thingName: 'thing_0', thingTypeName: 'sensor', attributes: {} } })).toBe(
      'implicitDeny',
    );
  });

  it('an unresolved variable makes a Deny element unable to match, so it does not deny', () => {
    const p = policy(
      { Effect: 'Allow', Action: 'iot:Publish', Resource: '*' },
      { Effect: 'Deny', Action: 'iot:Publish', Resource: arn('topic/${iot:Connection.Thing.ThingName}') },
    );
    expect(decide([p], 'iot:Publish', arn('topic/thing_0'), thing0)).toBe('explicitDeny');
    expect(decide([p], 'iot:Publish', arn('topic/thing_0'), { clientId: 'thing_0' })).toBe('allow');
  });

  it('${iot:CertificateId} and the fixed ${*} ${?} ${$}', () => {
    const p = policy(
      { Effect: 'Allow', Action: 'iot:Publish', Resource: arn('topic/certs/${iot:CertificateId}') },
      { Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn('topicfilter/${$}aws/literal/${*}/${?}') },
    );
    expect(decide([p], 'iot:Publish', arn('topic/certs/abc123'), thing0)).toBe('allow');
    expect(decide([p], 'iot:Publish', arn('topic/certs/other'), thing0)).toBe('implicitDeny');
    expect(decide([p], 'iot:Subscribe', arn('topicfilter/$aws/literal/*/?'))).toBe('allow');
    expect(decide([p], 'iot:Subscribe', arn('topicfilter/$aws/literal/x/y'))).toBe('implicitDeny');
  });

  it('Condition on iot:Connection.Thing.IsAttached and friends', () => {
    const p = policy({
      Effect: 'Allow',
      Action: 'iot:Connect',
      Resource: '*',
      Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
    });
    expect(decide([p], 'iot:Connect', arn('client/thing_0'), thing0)).toBe('allow');
    expect(decide([p], 'iot:Connect', arn('client/x'), { clientId: 'x' })).toBe('implicitDeny');
    const eq = policy({ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { StringEquals: { 'iot:ClientId': '${iot:Connection.Thing.ThingName}' } } });
    expect(decide([eq], 'iot:Connect', arn('client/thing_0'), thing0)).toBe('allow');
    const like = policy({ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { StringLike: { 'iot:ClientId': 'thing_*' } } });
    expect(decide([like], 'iot:Connect', arn('client/thing_0'), thing0)).toBe('allow');
    expect(decide([like], 'iot:Connect', arn('client/other'), { clientId: 'other' })).toBe('implicitDeny');
    const unknown = policy({ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } });
    expect(decide([unknown], 'iot:Connect', arn('client/thing_0'), thing0)).toBe('implicitDeny');
  });
});

describe('policy parsing', () => {
  it('accepts a single statement object and string or array fields', () => {
    const p = parsePolicy('{"Statement":{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}}');
    expect(p.statements).toEqual([{ effect: 'Allow', action: ['iot:Connect'], resource: ['*'] }]);
  });

  it.each([
    ['not json', 'not valid JSON'],
    ['[]', 'must be a JSON object'],
    ['{}', 'no Statement'],
    ['{"Statement":[{"Effect":"Maybe","Action":"iot:Connect","Resource":"*"}]}', 'Effect'],
    ['{"Statement":[{"Effect":"Allow","Resource":"*"}]}', 'Action'],
    ['{"Statement":[{"Effect":"Allow","Action":"iot:Connect"}]}', 'Resource'],
    ['{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}', 'Action'],
    ['{"Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*","NotResource":"*"}]}', 'exactly one'],
  ])('refuses %s', (text, message) => {
    expect(() => parsePolicy(text)).toThrow(PolicyParseError);
    expect(() => parsePolicy(text)).toThrow(message);
  });
});
