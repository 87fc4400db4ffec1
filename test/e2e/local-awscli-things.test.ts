import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsIot, awsSkipReason, cliError, hasAws } from '../helpers/awscli.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * The things side of the control plane through the official AWS CLI: UpdateThing, thing types,
 * ListThings filters, DescribeEndpoint's types and AWS's error texts
 * (https://docs.aws.amazon.com/iot/latest/apireference/API_UpdateThing.html and its siblings).
 */
describe.skipIf(!hasAws)(`things and thing types through the AWS CLI${awsSkipReason}`, () => {
  let s: StandInProcess;
  const aws = awsIot(() => s.endpointUrl);
  const names = (r: { json: Record<string, unknown> }) => (r.json.things as { thingName: string }[]).map((t) => t.thingName);

  beforeAll(async () => {
    s = await startStandInProcess();
  });
  afterAll(() => s?.stop());

  // each `aws` start costs a second or more of CPU: independent calls run side by side, with a generous bound
  it('UpdateThing merges and removes attributes, checks expectedVersion, and gives a thing type', { timeout: 240_000 }, async () => {
    const [type, thing] = await Promise.all([
      aws('create-thing-type', '--thing-type-name', 'Lamp', '--thing-type-properties', JSON.stringify({ thingTypeDescription: 'lights', searchableAttributes: ['model'] })),
      aws('create-thing', '--thing-name', 'lamp_0', '--attribute-payload', JSON.stringify({ attributes: { a: '1', b: '2' } })),
    ]);
    expect(type.code, type.stderr).toBe(0);
    expect(type.json).toMatchObject({ thingTypeName: 'Lamp', thingTypeArn: 'arn:aws:iot:us-west-2:123456789012:thingtype/Lamp' });
    expect(thing.code, thing.stderr).toBe(0);

    const merged = await aws('update-thing', '--thing-name', 'lamp_0', '--expected-version', '1', '--attribute-payload', JSON.stringify({ attributes: { b: '', c: '3' }, merge: true }));
    expect(merged.code, merged.stderr).toBe(0);
    const [stale, typed] = await Promise.all([
      aws('update-thing', '--thing-name', 'lamp_0', '--expected-version', '1', '--attribute-payload', JSON.stringify({ attributes: { x: '1' } })),
      aws('describe-thing', '--thing-name', 'lamp_0'),
    ]);
    expect(stale.stderr).toMatch(cliError('VersionConflictException', 'UpdateThing'));
    expect(typed.json).toMatchObject({ attributes: { a: '1', c: '3' }, version: 2 });

    const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, `${i}`]));
    const [withType, tooMany] = await Promise.all([
      aws('update-thing', '--thing-name', 'lamp_0', '--thing-type-name', 'Lamp', '--attribute-payload', JSON.stringify({ attributes: many })),
      aws('create-thing', '--thing-name', 'lamp_1', '--attribute-payload', JSON.stringify({ attributes: many })),
    ]);
    expect(withType.code, withType.stderr).toBe(0);
    expect(tooMany.stderr).toMatch(cliError('InvalidRequestException', 'CreateThing', /.*at most 3 attributes/));
    const [described, byType] = await Promise.all([aws('describe-thing', '--thing-name', 'lamp_0'), aws('list-things', '--thing-type-name', 'Lamp')]);
    expect(described.json).toMatchObject({ thingTypeName: 'Lamp', attributes: many, version: 3 });
    expect(names(byType)).toEqual(['lamp_0']);
  });

  it('thing types: describe, list, deprecate (no new things), undeprecate, and delete only after the wait', { timeout: 240_000 }, async () => {
    expect((await aws('create-thing-type', '--thing-type-name', 'Meter')).code).toBe(0);
    const deprecated = await aws('deprecate-thing-type', '--thing-type-name', 'Meter');
    expect(deprecated.code, deprecated.stderr).toBe(0);
    const [desc, list, refused, early] = await Promise.all([
      aws('describe-thing-type', '--thing-type-name', 'Meter'),
      aws('list-thing-types'),
      aws('create-thing', '--thing-name', 'meter_0', '--thing-type-name', 'Meter'),
      aws('delete-thing-type', '--thing-type-name', 'Meter'),
    ]);
    expect(desc.json).toMatchObject({ thingTypeName: 'Meter', thingTypeMetadata: { deprecated: true } });
    expect((desc.json.thingTypeMetadata as { deprecationDate: number }).deprecationDate).toBeGreaterThan(0);
    expect((list.json.thingTypes as { thingTypeName: string }[]).map((t) => t.thingTypeName)).toContain('Meter');
    expect(refused.stderr).toMatch(cliError('InvalidRequestException', 'CreateThing', /.*deprecated thing type: Meter/));
    // AWS: a deprecated type can be deleted five minutes after its deprecation; the stand-in keeps that wait
    expect(early.stderr).toMatch(cliError('InvalidRequestException', 'DeleteThingType', /.*less than 5 minutes ago/));

    expect((await aws('deprecate-thing-type', '--thing-type-name', 'Meter', '--undo-deprecate')).code).toBe(0);
    const [made, notDeprecated, missing] = await Promise.all([
      aws('create-thing', '--thing-name', 'meter_0', '--thing-type-name', 'Meter'),
      aws('delete-thing-type', '--thing-type-name', 'Meter'),
      aws('describe-thing-type', '--thing-type-name', 'Nope'),
    ]);
    expect(made.code, made.stderr).toBe(0);
    expect(notDeprecated.stderr).toMatch(cliError('InvalidRequestException', 'DeleteThingType', /.*must be deprecated/));
    expect(missing.stderr).toMatch(cliError('ResourceNotFoundException', 'DescribeThingType'));
  });

  it('ListThings filters as AWS does; ListThingPrincipals and DescribeEndpoint answer as AWS does', { timeout: 240_000 }, async () => {
    await Promise.all([
      aws('create-thing', '--thing-name', 'room_a', '--attribute-payload', JSON.stringify({ attributes: { room: 'kitchen' } })),
      aws('create-thing', '--thing-name', 'room_b', '--attribute-payload', JSON.stringify({ attributes: { room: 'kit' } })),
    ]);
    const [exact, prefix, both, principals, jobs, creds, data] = await Promise.all([
      aws('list-things', '--attribute-name', 'room', '--attribute-value', 'kit'),
      aws('list-things', '--attribute-name', 'room', '--attribute-value', 'kit', '--use-prefix-attribute-value'),
      aws('list-things', '--attribute-name', 'room', '--thing-type-name', 'Lamp'),
      aws('list-thing-principals', '--thing-name', 'ghost'),
      aws('describe-endpoint', '--endpoint-type', 'iot:Jobs'),
      aws('describe-endpoint', '--endpoint-type', 'iot:CredentialProvider'),
      aws('describe-endpoint', '--endpoint-type', 'iot:Data-ATS'),
    ]);
    expect(names(exact)).toEqual(['room_b']);
    expect(names(prefix)).toEqual(['room_a', 'room_b']);
    expect(both.stderr).toMatch(cliError('InvalidRequestException', 'ListThings', 'Listing things by the combination of attribute and thing type is not supported'));
    expect(principals.stderr).toMatch(cliError('ResourceNotFoundException', 'ListThingPrincipals', 'Failed to list principals for thing ghost because the thing does not exist in your account'));
    expect(jobs.json.endpointAddress).toBe(`127.0.0.1:${s.port}`);
    expect(creds.json.endpointAddress).toBe(`127.0.0.1:${s.port}`);
    expect(data.json.endpointAddress).toBe(`127.0.0.1:${s.mqttPort}`);
  });
});
