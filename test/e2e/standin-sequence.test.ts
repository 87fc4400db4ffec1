import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsIot, awsSkipReason, hasAws } from '../helpers/awscli.js';
import { mosquitto, mosquittoArgs, type Files } from '../helpers/mqtt-clients.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * A CloudFormation-style sequence, each step through the AWS CLI as infrastructure-as-code would run
 * it: a thing type, a thing group, things of that type with attributes in the group, a certificate for
 * one of them, a policy with thing policy variables attached to the group, then a new default version
 * of it, and a real MQTT client (mosquitto_pub) held to whichever version is the default
 * (https://docs.aws.amazon.com/iot/latest/developerguide/thing-policy-variables.html,
 * https://docs.aws.amazon.com/iot/latest/developerguide/thing-groups.html).
 */
describe.skipIf(!hasAws)(`a CloudFormation-style sequence on the stand-in${awsSkipReason}`, () => {
  let s: StandInProcess;
  let dir: string;
  const aws = awsIot(() => s.endpointUrl);
  const ok = async (...args: string[]) => {
    const r = await aws(...args);
    expect(r.code, `aws iot ${args[0]}: ${r.stderr}`).toBe(0);
    return r.json;
  };

  beforeAll(async () => {
    [s, dir] = await Promise.all([startStandInProcess(), mkdtemp(path.join(os.tmpdir(), 'elf-sequence-'))]);
  });
  afterAll(async () => {
    await s?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('thing type -> thing group -> things with attributes in the group -> policy on the group -> a new default version, enforced on a real MQTT client', { timeout: 300_000 }, async () => {
    await ok('create-thing-type', '--thing-type-name', 'radar', '--thing-type-properties', 'thingTypeDescription=street radar,searchableAttributes=site');
    const group = await ok('create-thing-group', '--thing-group-name', 'radars', '--thing-group-properties', JSON.stringify({ thingGroupDescription: 'street radars', attributePayload: { attributes: { city: 'x' } } }));
    const attrs = (site: string) => JSON.stringify({ attributes: { site, lane: '2' } });
    const [north] = await Promise.all([
      ok('create-thing', '--thing-name', 'radar_north', '--thing-type-name', 'radar', '--attribute-payload', attrs('north')),
      ok('create-thing', '--thing-name', 'radar_south', '--thing-type-name', 'radar', '--attribute-payload', attrs('south')),
    ]);
    expect(north.thingArn).toBe('arn:aws:iot:us-west-2:123456789012:thing/radar_north');
    const typed = await ok('list-things', '--thing-type-name', 'radar');
    expect((typed.things as { thingName: string; attributes: Record<string, string> }[]).map((t) => [t.thingName, t.attributes.site])).toEqual([
      ['radar_north', 'north'],
      ['radar_south', 'south'],
    ]);

    const cert = await ok('create-keys-and-certificate', '--set-as-active');
    const files: Files = { ca: s.caPath, cert: path.join(dir, 'north.pem'), key: path.join(dir, 'north.key') };
    await writeFile(files.cert, cert.certificatePem as string);
    await writeFile(files.key, (cert.keyPair as { PrivateKey: string }).PrivateKey, { mode: 0o600 });
    await ok('attach-thing-principal', '--thing-name', 'radar_north', '--principal', cert.certificateArn as string);

    // version 1: publish under the thing type's name; version 2: under the thing's site attribute
    const policy = (topic: string) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:*:*:client/${iot:Connection.Thing.ThingName}' },
          { Effect: 'Allow', Action: 'iot:Publish', Resource: `arn:aws:iot:*:*:topic/${topic}` },
        ],
      });
    // the policy goes on the group; it applies to a member thing's connection whose client id is the thing's name
    await ok('add-thing-to-thing-group', '--thing-group-name', 'radars', '--thing-name', 'radar_north');
    await ok('create-policy', '--policy-name', 'radar-policy', '--policy-document', policy('traffic/${iot:Connection.Thing.ThingTypeName}/*'));
    await ok('attach-policy', '--policy-name', 'radar-policy', '--target', group.thingGroupArn as string);
    expect((await ok('list-targets-for-policy', '--policy-name', 'radar-policy')).targets).toEqual([group.thingGroupArn]);

    const publish = async (topic: string) => (await mosquitto('mosquitto_pub', [...mosquittoArgs({ host: '127.0.0.1', port: s.mqttPort, caPem: s.caPem }, files, 'radar_north'), '-t', topic, '-m', '{"count":3}', '-q', '1'], undefined, 60_000).done).code;
    expect(await publish('traffic/radar/count')).toBe(0);
    expect(await publish('traffic/north/count')).not.toBe(0);

    const v2 = await ok('create-policy-version', '--policy-name', 'radar-policy', '--policy-document', policy('traffic/${iot:Connection.Thing.Attributes[site]}/*'), '--set-as-default');
    expect(v2).toMatchObject({ policyVersionId: '2', isDefaultVersion: true });
    expect(await publish('traffic/north/count')).toBe(0);
    expect(await publish('traffic/radar/count')).not.toBe(0);

    // and back: the default decides, not the newest
    await ok('set-default-policy-version', '--policy-name', 'radar-policy', '--policy-version-id', '1');
    expect(await publish('traffic/radar/count')).toBe(0);
    const versions = await ok('list-policy-versions', '--policy-name', 'radar-policy');
    expect(versions.policyVersions).toMatchObject([
      { versionId: '1', isDefaultVersion: true },
      { versionId: '2', isDefaultVersion: false },
    ]);
  });
});
