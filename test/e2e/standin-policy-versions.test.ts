import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  AttachPolicyCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListPolicyVersionsCommand,
  ListTargetsForPolicyCommand,
} from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsIot, awsSkipReason, hasAws } from '../helpers/awscli.js';
import { mosquitto, mosquittoArgs, mqttjsTry, type Endpoint, type Files } from '../helpers/mqtt-clients.js';
import { eventually } from '../helpers/poll.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * Policy versions on one stand-in, through the AWS CLI, and the broker holding live connections to
 * the default version: https://docs.aws.amazon.com/iot/latest/developerguide/iot-policies.html
 * (named policies are versioned), https://docs.aws.amazon.com/iot/latest/developerguide/iot-policy-actions.html
 * (iot:Publish checked at every PUBLISH, iot:Receive at every delivery, iot:Subscribe at SUBSCRIBE).
 */
const doc = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const allow = (action: string | string[], resource: string) => ({ Effect: 'Allow', Action: action, Resource: resource });

describe.skipIf(!hasAws)(`policy versions on the stand-in${awsSkipReason}`, () => {
  let s: StandInProcess;
  let dir: string;
  const aws = awsIot(() => s.endpointUrl);
  // a resource's ARN has the region of the client that created it (here the SDK's)
  const arn = (kind: string, name: string) => `arn:aws:iot:${s.region}:123456789012:${kind}/${name}`;

  beforeAll(async () => {
    [s, dir] = await Promise.all([startStandInProcess(), mkdtemp(path.join(os.tmpdir(), 'elf-policy-versions-'))]);
  });
  afterAll(async () => {
    await s?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates, lists, gets, sets the default of and deletes versions with AWS rules; lists a policy targets', { timeout: 240_000 }, async () => {
    // every operation once through the AWS CLI (each start costs seconds), the rest through the JS SDK
    const iot = s.client({ maxAttempts: 1 });
    const sdkError = (p: Promise<unknown>) => p.then(() => 'no error', (e: Error) => e.name);
    const v = (n: number) => doc([allow('iot:Connect', `arn:aws:iot:*:*:client/v${n}`)]);
    expect(await iot.send(new CreatePolicyCommand({ policyName: 'pv', policyDocument: v(1) }))).toMatchObject({ policyVersionId: '1' });
    const v2 = await aws('create-policy-version', '--policy-name', 'pv', '--policy-document', v(2));
    expect(v2.json).toMatchObject({ policyArn: arn('policy', 'pv'), policyVersionId: '2', isDefaultVersion: false, policyDocument: v(2) });
    expect(await iot.send(new GetPolicyCommand({ policyName: 'pv' }))).toMatchObject({ defaultVersionId: '1', policyDocument: v(1) });
    const v3 = await aws('create-policy-version', '--policy-name', 'pv', '--policy-document', v(3), '--set-as-default');
    expect(v3.json).toMatchObject({ policyVersionId: '3', isDefaultVersion: true });
    const [got, one, listed] = await Promise.all([
      aws('get-policy', '--policy-name', 'pv'),
      aws('get-policy-version', '--policy-name', 'pv', '--policy-version-id', '2'),
      aws('list-policy-versions', '--policy-name', 'pv'),
    ]);
    expect(got.json).toMatchObject({ defaultVersionId: '3', policyDocument: v(3) });
    expect(one.json).toMatchObject({ policyName: 'pv', policyArn: arn('policy', 'pv'), policyVersionId: '2', isDefaultVersion: false, policyDocument: v(2) });
    expect(typeof one.json.creationDate).toBe('number');
    expect((listed.json.policyVersions as { versionId: string; isDefaultVersion: boolean }[]).map((x) => [x.versionId, x.isDefaultVersion])).toEqual([
      ['1', false],
      ['2', false],
      ['3', true],
    ]);

    // at most five versions
    await iot.send(new CreatePolicyVersionCommand({ policyName: 'pv', policyDocument: v(4) }));
    await iot.send(new CreatePolicyVersionCommand({ policyName: 'pv', policyDocument: v(5) }));
    const sixth = await aws('create-policy-version', '--policy-name', 'pv', '--policy-document', v(6));
    expect(sixth.code).not.toBe(0);
    expect(sixth.stderr).toContain('VersionsLimitExceededException');

    expect(
      await Promise.all([
        sdkError(iot.send(new DeletePolicyVersionCommand({ policyName: 'pv', policyVersionId: '3' }))),
        sdkError(iot.send(new DeletePolicyCommand({ policyName: 'pv' }))),
        sdkError(iot.send(new GetPolicyVersionCommand({ policyName: 'pv', policyVersionId: '9' }))),
        sdkError(iot.send(new CreatePolicyVersionCommand({ policyName: 'nope', policyDocument: v(1) }))),
        sdkError(iot.send(new CreatePolicyVersionCommand({ policyName: 'pv', policyDocument: '{"Statement":' }))),
      ]),
    ).toEqual(['DeleteConflictException', 'DeleteConflictException', 'ResourceNotFoundException', 'ResourceNotFoundException', 'MalformedPolicyException']);

    expect((await aws('set-default-policy-version', '--policy-name', 'pv', '--policy-version-id', '2')).code).toBe(0);
    expect(await iot.send(new GetPolicyCommand({ policyName: 'pv' }))).toMatchObject({ defaultVersionId: '2', policyDocument: v(2) });

    // ListTargetsForPolicy
    const certArn = (await iot.send(new CreateKeysAndCertificateCommand({}))).certificateArn!;
    expect((await iot.send(new ListTargetsForPolicyCommand({ policyName: 'pv' }))).targets).toEqual([]);
    await iot.send(new AttachPolicyCommand({ policyName: 'pv', target: certArn }));
    expect((await aws('list-targets-for-policy', '--policy-name', 'pv')).json.targets).toEqual([certArn]);
    expect(await sdkError(iot.send(new ListTargetsForPolicyCommand({ policyName: 'nope' })))).toBe('ResourceNotFoundException');

    // deleting the policy: detach, delete the non-default versions, then it goes
    await iot.send(new DetachPolicyCommand({ policyName: 'pv', target: certArn }));
    await Promise.all(['1', '3', '4'].map((id) => iot.send(new DeletePolicyVersionCommand({ policyName: 'pv', policyVersionId: id }))));
    expect((await aws('delete-policy-version', '--policy-name', 'pv', '--policy-version-id', '5')).code).toBe(0);
    expect((await iot.send(new ListPolicyVersionsCommand({ policyName: 'pv' }))).policyVersions).toMatchObject([{ versionId: '2', isDefaultVersion: true }]);
    expect((await aws('delete-policy', '--policy-name', 'pv')).code).toBe(0);
  });

  it('a connected client is held to the default version from the moment it changes (MQTT.js and mosquitto_sub)', { timeout: 240_000 }, async () => {
    const iot = s.client();
    const [sub, pub] = await Promise.all([iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true })), iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }))]);
    const subFiles: Files = { ca: s.caPath, cert: path.join(dir, 'sub.pem'), key: path.join(dir, 'sub.key') };
    await writeFile(subFiles.cert, sub.certificatePem!);
    await writeFile(subFiles.key, sub.keyPair!.PrivateKey!, { mode: 0o600 });
    // v1 lets the subscriber receive and publish everything under elf/; v2 only receive elf/open
    const mqttArn = (kind: string, name: string) => `arn:aws:iot:*:*:${kind}/${name}`;
    const everything = doc([allow('iot:*', '*')]);
    const v1 = doc([allow('iot:Connect', '*'), allow('iot:Subscribe', mqttArn('topicfilter', 'elf/*')), allow(['iot:Receive', 'iot:Publish'], mqttArn('topic', 'elf/*'))]);
    const v2 = doc([allow('iot:Connect', '*'), allow('iot:Subscribe', mqttArn('topicfilter', 'elf/*')), allow('iot:Receive', mqttArn('topic', 'elf/open'))]);
    await Promise.all([iot.send(new CreatePolicyCommand({ policyName: 'held', policyDocument: v1 })), iot.send(new CreatePolicyCommand({ policyName: 'all', policyDocument: everything }))]);
    await Promise.all([iot.send(new AttachPolicyCommand({ policyName: 'held', target: sub.certificateArn })), iot.send(new AttachPolicyCommand({ policyName: 'all', target: pub.certificateArn }))]);

    const ep: Endpoint = { host: '127.0.0.1', port: s.mqttPort, caPem: s.caPem };
    const idOf = (r: typeof sub) => ({ certPem: r.certificatePem!, privateKey: r.keyPair!.PrivateKey! });
    const held = await mqttjsTry(ep, idOf(sub), 'held-mqttjs');
    const publisher = await mqttjsTry(ep, idOf(pub), 'publisher');
    expect([held.outcome, publisher.outcome]).toEqual(['connected', 'connected']);
    const got: string[] = [];
    held.client.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
    await held.client.subscribeAsync('elf/#', { qos: 1 });
    // mosquitto_sub exits after three messages: elf/a before, elf/open after, elf/a again (elf/a after must not be one)
    const msub = mosquitto('mosquitto_sub', [...mosquittoArgs(ep, subFiles, 'held-mosquitto'), '-t', 'elf/#', '-q', '1', '-v', '-d', '-C', '3'], /SUBACK/, 120_000);
    await msub.ready;
    try {
      const send = (topic: string, body: string) => publisher.client.publishAsync(topic, body, { qos: 1 });
      await send('elf/a', 'before');
      await eventually(() => got.includes('elf/a before'), () => `elf/a under v1; got ${JSON.stringify(got)}`);

      expect((await aws('create-policy-version', '--policy-name', 'held', '--policy-document', v2, '--set-as-default')).code).toBe(0);
      await send('elf/a', 'after');
      await send('elf/open', 'after');
      await eventually(() => got.includes('elf/open after'), () => `elf/open under v2; got ${JSON.stringify(got)}`);
      // the same publisher, QoS 1, in order: elf/a was decided before elf/open arrived
      expect(got).not.toContain('elf/a after');

      // back to version 1: elf/a flows again on the same connections
      expect((await aws('set-default-policy-version', '--policy-name', 'held', '--policy-version-id', '1')).code).toBe(0);
      await send('elf/a', 'again');
      await eventually(() => got.includes('elf/a again'), () => `elf/a under v1 again; got ${JSON.stringify(got)}`);

      // and to version 2 again: a PUBLISH v2 does not allow closes the MQTT 3.1.1 connection, as AWS does
      expect((await aws('set-default-policy-version', '--policy-name', 'held', '--policy-version-id', '2')).code).toBe(0);
      held.client.publish('elf/from-held', 'x', { qos: 1 });
      await held.closed;
      const out = (await msub.done).stdout;
      expect(out.split('\n').filter((l) => l.startsWith('elf/'))).toEqual(['elf/a before', 'elf/open after', 'elf/a again']);
    } finally {
      msub.kill();
      await Promise.all([held.end(), publisher.end()]);
    }
  });
});
