import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DescribeEndpointCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { afterEach, describe, expect, it } from 'vitest';
import { sdkConnect, within, type SdkConnection } from '../helpers/mqtt-clients.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/** elf's own least-privilege shape: the thing may only be itself and use its own topics. */
const policyDocument = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:*:*:client/${iot:Connection.Thing.ThingName}' },
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: ['arn:aws:iot:*:*:topic/elf/${iot:Connection.Thing.ThingName}', 'arn:aws:iot:*:*:topic/$aws/things/${iot:Connection.Thing.ThingName}/shadow/*'] },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: ['arn:aws:iot:*:*:topicfilter/elf/${iot:Connection.Thing.ThingName}', 'arn:aws:iot:*:*:topicfilter/$aws/things/${iot:Connection.Thing.ThingName}/shadow/*'] },
  ],
});

let standIn: StandInProcess | undefined;
let dev: SdkConnection | undefined;
let keptDir: string | undefined;
afterEach(async () => {
  await dev?.close();
  await standIn?.stop();
  if (keptDir) await rm(path.dirname(keptDir), { recursive: true, force: true });
  dev = undefined;
  standIn = undefined;
  keptDir = undefined;
});

async function provision(s: StandInProcess, thingName: string) {
  const iot = s.client();
  const keys = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
  await iot.send(new CreatePolicyCommand({ policyName: `policy-${thingName}`, policyDocument }));
  await iot.send(new AttachPolicyCommand({ policyName: `policy-${thingName}`, target: keys.certificateArn! }));
  await iot.send(new CreateThingCommand({ thingName }));
  await iot.send(new AttachThingPrincipalCommand({ thingName, principal: keys.certificateArn! }));
  const { endpointAddress } = await iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
  const [host, port] = endpointAddress!.split(/:(?=\d+$)/) as [string, string];
  return { iot, keys, endpoint: { host, port: Number(port), caPem: s.caPem } };
}

describe('elf local runs the MQTT broker', () => {
  it('a certificate made through the control plane connects, publishes and receives; UpdateCertificate INACTIVE disconnects it', async () => {
    standIn = await startStandInProcess();
    const { iot, keys, endpoint } = await provision(standIn, 'thing_0');
    expect(endpoint.port).toBe(standIn.mqttPort);
    dev = await sdkConnect(endpoint, { certPem: keys.certificatePem!, privateKey: keys.keyPair!.PrivateKey! }, 'thing_0');
    await dev.conn.subscribe('elf/thing_0', 1);
    await dev.conn.publish('elf/thing_0', JSON.stringify({ msg: 'IoT ELF Hello' }), 1);
    expect(JSON.parse(await dev.next('elf/thing_0'))).toEqual({ msg: 'IoT ELF Hello' });

    await iot.send(new UpdateCertificateCommand({ certificateId: keys.certificateId!, newStatus: 'INACTIVE' }));
    await within(dev.interrupted, 10_000, 'the device to be disconnected');
    expect(standIn.cli.stderr).toMatch(/closing the connection: certificate is INACTIVE/);
  });

  it('keeps the broker certificate (key 0600) and device shadows in the state dir across restarts', async () => {
    standIn = await startStandInProcess({ keepState: true });
    const stateDir = (keptDir = standIn.stateDir);
    const { keys, endpoint } = await provision(standIn, 'thing_s');
    const id = { certPem: keys.certificatePem!, privateKey: keys.keyPair!.PrivateKey! };
    const S = '$aws/things/thing_s/shadow';
    dev = await sdkConnect(endpoint, id, 'thing_s');
    await dev.conn.subscribe(`${S}/update/accepted`, 1);
    await dev.conn.publish(`${S}/update`, JSON.stringify({ state: { reported: { color: 'red' } } }), 1);
    expect(JSON.parse(await dev.next(`${S}/update/accepted`))).toMatchObject({ version: 1 });
    await dev.close();
    dev = undefined;
    expect((await stat(path.join(stateDir, 'broker.key'))).mode & 0o777).toBe(0o600);
    await standIn.stop();

    standIn = await startStandInProcess({ stateDir });
    dev = await sdkConnect({ ...endpoint, port: standIn.mqttPort }, id, 'thing_s');
    await dev.conn.subscribe(`${S}/get/accepted`, 1);
    await dev.conn.publish(`${S}/get`, '', 1);
    expect(JSON.parse(await dev.next(`${S}/get/accepted`))).toMatchObject({ state: { reported: { color: 'red' } }, version: 1 });
  });
});
