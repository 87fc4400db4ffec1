import { AttachThingPrincipalCommand, CreateKeysAndCertificateCommand, CreatePolicyCommand, AttachPolicyCommand, CreateThingCommand } from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsIot, awsSkipReason, cliError, hasAws } from '../helpers/awscli.js';
import { mqttjsTry, type Endpoint } from '../helpers/mqtt-clients.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * Static thing groups through the official AWS CLI, and the broker applying a group's policies to a
 * member thing's connection only when its client id is the thing's name
 * (https://docs.aws.amazon.com/iot/latest/developerguide/thing-groups.html).
 */
describe.skipIf(!hasAws)(`thing groups through the AWS CLI${awsSkipReason}`, () => {
  let s: StandInProcess;
  const aws = awsIot(() => s.endpointUrl);
  const groupNames = (r: { json: Record<string, unknown> }) => (r.json.thingGroups as { groupName: string }[]).map((g) => g.groupName);

  beforeAll(async () => {
    s = await startStandInProcess();
  });
  afterAll(() => s?.stop());

  // each `aws` start costs a second or more of CPU: independent calls run side by side, with a generous bound
  it('creates a hierarchy, updates, lists, adds and removes things, and refuses to delete a parent', { timeout: 240_000 }, async () => {
    const site = await aws('create-thing-group', '--thing-group-name', 'site', '--thing-group-properties', JSON.stringify({ thingGroupDescription: 'a site', attributePayload: { attributes: { city: 'Oslo' } } }));
    expect(site.code, site.stderr).toBe(0);
    expect(site.json).toMatchObject({ thingGroupName: 'site', thingGroupArn: 'arn:aws:iot:us-west-2:123456789012:thinggroup/site' });
    const [floor, t1] = await Promise.all([aws('create-thing-group', '--thing-group-name', 'floor1', '--parent-group-name', 'site'), aws('create-thing', '--thing-name', 'g_t1')]);
    expect(floor.code, floor.stderr).toBe(0);
    expect(t1.code, t1.stderr).toBe(0);
    const [added, updated] = await Promise.all([
      aws('add-thing-to-thing-group', '--thing-group-name', 'floor1', '--thing-name', 'g_t1'),
      aws('update-thing-group', '--thing-group-name', 'site', '--expected-version', '1', '--thing-group-properties', JSON.stringify({ attributePayload: { attributes: { zip: '0150' }, merge: true } })),
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(updated.json).toEqual({ version: 2 });

    const [desc, all, below, direct, recursive, ofThing, parentDelete] = await Promise.all([
      aws('describe-thing-group', '--thing-group-name', 'floor1'),
      aws('list-thing-groups'),
      aws('list-thing-groups', '--parent-group', 'site', '--recursive'),
      aws('list-things-in-thing-group', '--thing-group-name', 'site'),
      aws('list-things-in-thing-group', '--thing-group-name', 'site', '--recursive'),
      aws('list-thing-groups-for-thing', '--thing-name', 'g_t1'),
      aws('delete-thing-group', '--thing-group-name', 'site'),
    ]);
    expect(desc.json).toMatchObject({ thingGroupName: 'floor1', version: 1, thingGroupMetadata: { parentGroupName: 'site', rootToParentThingGroups: [{ groupName: 'site' }] } });
    expect(groupNames(all)).toEqual(['floor1', 'site']);
    expect(groupNames(below)).toEqual(['floor1']);
    expect(direct.json.things).toEqual([]);
    expect(recursive.json.things).toEqual(['g_t1']);
    expect(groupNames(ofThing)).toEqual(['floor1']);
    expect(parentDelete.stderr).toMatch(cliError('InvalidRequestException', 'DeleteThingGroup', 'Cannot delete thing group : site when there are still child groups attached to it.'));

    const [removed, stale] = await Promise.all([
      aws('remove-thing-from-thing-group', '--thing-group-name', 'floor1', '--thing-name', 'g_t1'),
      aws('update-thing-group', '--thing-group-name', 'site', '--expected-version', '1', '--thing-group-properties', '{}'),
    ]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(stale.stderr).toMatch(cliError('VersionConflictException', 'UpdateThingGroup'));
    const [siteDesc, empty] = await Promise.all([aws('describe-thing-group', '--thing-group-name', 'site'), aws('list-things-in-thing-group', '--thing-group-name', 'floor1')]);
    expect(siteDesc.json).toMatchObject({ version: 2, thingGroupProperties: { thingGroupDescription: 'a site', attributePayload: { attributes: { city: 'Oslo', zip: '0150' } } } });
    expect(empty.json.things).toEqual([]);
  });

  it("a group's policy reaches a member thing's connection when the client id is the thing's name, live as membership changes", { timeout: 240_000 }, async () => {
    const iot = s.client();
    const cert = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const allow = (action: string, resource: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });
    await Promise.all([
      iot.send(new CreatePolicyCommand({ policyName: 'connect-only', policyDocument: allow('iot:Connect', '*') })),
      iot.send(new CreatePolicyCommand({ policyName: 'fleet-subscribe', policyDocument: allow('iot:Subscribe', 'arn:aws:iot:*:*:topicfilter/fleet/*') })),
      iot.send(new CreateThingCommand({ thingName: 'member' })),
    ]);
    await Promise.all([
      iot.send(new AttachPolicyCommand({ policyName: 'connect-only', target: cert.certificateArn })),
      iot.send(new AttachThingPrincipalCommand({ thingName: 'member', principal: cert.certificateArn })),
    ]);
    expect((await aws('create-thing-group', '--thing-group-name', 'fleet')).code).toBe(0);
    const groupArn = 'arn:aws:iot:us-west-2:123456789012:thinggroup/fleet';
    const [attached, added] = await Promise.all([aws('attach-policy', '--policy-name', 'fleet-subscribe', '--target', groupArn), aws('add-thing-to-thing-group', '--thing-group-name', 'fleet', '--thing-name', 'member')]);
    expect(attached.code, attached.stderr).toBe(0);
    expect(added.code, added.stderr).toBe(0);
    const listed = await aws('list-attached-policies', '--target', groupArn);
    expect((listed.json.policies as { policyName: string }[]).map((p) => p.policyName)).toEqual(['fleet-subscribe']);

    const ep: Endpoint = { host: '127.0.0.1', port: s.mqttPort, caPem: s.caPem };
    const id = { certPem: cert.certificatePem!, privateKey: cert.keyPair!.PrivateKey! };
    const [member, stranger] = await Promise.all([mqttjsTry(ep, id, 'member'), mqttjsTry(ep, id, 'stranger')]);
    try {
      expect([member.outcome, stranger.outcome]).toEqual(['connected', 'connected']);
      // MQTT 3.1.1: the granted QoS; AWS closes the connection on a refused subscription
      const granted = (c: typeof member, filter: string) => c.client.subscribeAsync(filter, { qos: 1 }).then((g) => g[0]!.qos, () => 'closed');
      expect(await granted(member, 'fleet/a')).toBe(1);
      expect(await granted(stranger, 'fleet/a')).toBe('closed');

      // out of the group: the same connection loses the group's policy at once
      expect((await aws('remove-thing-from-thing-group', '--thing-group-name', 'fleet', '--thing-name', 'member')).code).toBe(0);
      expect(await granted(member, 'fleet/b')).toBe('closed');
    } finally {
      await Promise.all([member.end(), stranger.end()]);
    }
  });
});
