import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AttachPolicyCommand, CreatePolicyCommand, DescribeCertificateCommand, UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsIot, awsSkipReason, hasAws } from '../helpers/awscli.js';
import { mosquitto, mosquittoArgs, type Endpoint } from '../helpers/mqtt-clients.js';
import { opensslCa, type OpensslCa, type OpensslCertificate } from '../helpers/openssl-ca.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * A user's own CA (made with `openssl`, as AWS's guide does) registered with the stand-in through the
 * AWS CLI, device certificates it signed registered with RegisterCertificate, others with
 * RegisterCertificateWithoutCA, and a real MQTT client (mosquitto_pub/mosquitto_sub) connecting with
 * them: https://docs.aws.amazon.com/iot/latest/developerguide/manage-your-CA-certs.html,
 * https://docs.aws.amazon.com/iot/latest/developerguide/manual-cert-registration.html
 */
describe.skipIf(!hasAws)(`CA and certificate registration on the stand-in${awsSkipReason}`, () => {
  let s: StandInProcess;
  let dir: string;
  let userCa: OpensslCa;
  let otherCa: OpensslCa;
  const aws = awsIot(() => s.endpointUrl);
  const file = (p: string) => `file://${p}`;
  const ep = (): Endpoint => ({ host: '127.0.0.1', port: s.mqttPort, caPem: s.caPem });
  const everything = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] });

  /** mosquitto_pub at QoS 1 with a device certificate: exit code 0 only when the broker took the message */
  const publish = async (device: OpensslCertificate, clientId: string, topic = 'elf/ca') =>
    (await mosquitto('mosquitto_pub', [...mosquittoArgs(ep(), { ca: s.caPath, cert: device.certPath, key: device.keyPath }, clientId), '-t', topic, '-m', clientId, '-q', '1'], undefined, 60_000).done).code;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'elf-ca-registration-'));
    [s, userCa, otherCa] = await Promise.all([startStandInProcess(), opensslCa(dir, 'user'), opensslCa(dir, 'other')]);
    await s.client().send(new CreatePolicyCommand({ policyName: 'everything', policyDocument: everything }));
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('registers a CA with a verification certificate, then a device certificate it signed; mosquitto connects with it while it is registered and ACTIVE', { timeout: 300_000 }, async () => {
    const code = (await aws('get-registration-code')).json.registrationCode as string;
    expect(code).toMatch(/^[0-9a-f]{64}$/);
    const [verification, wrong, device] = await Promise.all([userCa.issue('verify', code), userCa.issue('wrong', 'not-the-code'), userCa.issue('device', 'device-1')]);

    const refused = await aws('register-ca-certificate', '--ca-certificate', file(userCa.certPath), '--verification-certificate', file(wrong.certPath));
    expect(refused.stderr).toContain('RegistrationCodeValidationException');
    const ca = await aws('register-ca-certificate', '--ca-certificate', file(userCa.certPath), '--verification-certificate', file(verification.certPath), '--set-as-active');
    expect(ca.code).toBe(0);
    const caId = ca.json.certificateId as string;
    expect(ca.json.certificateArn).toBe(`arn:aws:iot:us-west-2:123456789012:cacert/${caId}`);
    const [described, listed] = await Promise.all([aws('describe-ca-certificate', '--certificate-id', caId), aws('list-ca-certificates')]);
    expect(described.json.certificateDescription).toMatchObject({ certificateId: caId, status: 'ACTIVE', certificateMode: 'DEFAULT', autoRegistrationStatus: 'DISABLE', certificatePem: userCa.certPem });
    expect((listed.json.certificates as { certificateId: string }[]).map((c) => c.certificateId)).toEqual([caId]);

    // signed by a registered, ACTIVE CA but not registered itself: refused, as on AWS
    expect(await publish(device, 'device-unregistered')).not.toBe(0);
    const reg = await aws('register-certificate', '--certificate-pem', file(device.certPath), '--ca-certificate-pem', file(userCa.certPath), '--status', 'ACTIVE');
    expect(reg.code).toBe(0);
    const certArn = reg.json.certificateArn as string;
    const iot = s.client();
    expect((await iot.send(new DescribeCertificateCommand({ certificateId: reg.json.certificateId as string }))).certificateDescription).toMatchObject({ caCertificateId: caId, status: 'ACTIVE', certificateMode: 'DEFAULT' });
    await iot.send(new AttachPolicyCommand({ policyName: 'everything', target: certArn }));

    const sub = mosquitto('mosquitto_sub', [...mosquittoArgs(ep(), { ca: s.caPath, cert: device.certPath, key: device.keyPath }, 'device-sub'), '-t', 'elf/ca', '-q', '1', '-C', '1', '-d'], /SUBACK/, 60_000);
    await sub.ready;
    expect(await publish(device, 'device-pub')).toBe(0);
    expect((await sub.done).stdout).toContain('device-pub');

    // INACTIVE: refused again
    await iot.send(new UpdateCertificateCommand({ certificateId: reg.json.certificateId as string, newStatus: 'INACTIVE' }));
    expect(await publish(device, 'device-inactive')).not.toBe(0);

    // a CA is deleted only when INACTIVE and no certificate it signed is registered
    expect((await aws('delete-ca-certificate', '--certificate-id', caId)).stderr).toContain('CertificateStateException');
    expect((await aws('update-ca-certificate', '--certificate-id', caId, '--new-status', 'INACTIVE', '--new-auto-registration-status', 'ENABLE')).code).toBe(0);
    expect((await aws('describe-ca-certificate', '--certificate-id', caId)).json.certificateDescription).toMatchObject({ status: 'INACTIVE', autoRegistrationStatus: 'ENABLE' });
    expect((await aws('delete-ca-certificate', '--certificate-id', caId)).stderr).toContain('CertificateStateException');
  });

  it('registers certificates without a CA (SNI_ONLY) and CAs in SNI_ONLY mode; refuses a certificate no registered CA signed', { timeout: 300_000 }, async () => {
    const [loose, other2] = await Promise.all([otherCa.issue('loose', 'loose-1'), otherCa.issue('other2', 'other-2')]);
    // otherCa is not registered: RegisterCertificate refuses, RegisterCertificateWithoutCA takes it
    expect((await aws('register-certificate', '--certificate-pem', file(loose.certPath), '--status', 'ACTIVE')).stderr).toContain('CertificateValidationException');
    const reg = await aws('register-certificate-without-ca', '--certificate-pem', file(loose.certPath), '--status', 'ACTIVE');
    expect(reg.code).toBe(0);
    const iot = s.client();
    expect((await iot.send(new DescribeCertificateCommand({ certificateId: reg.json.certificateId as string }))).certificateDescription).toMatchObject({ status: 'ACTIVE', certificateMode: 'SNI_ONLY' });
    await iot.send(new AttachPolicyCommand({ policyName: 'everything', target: reg.json.certificateArn as string }));
    expect(await publish(loose, 'loose-pub')).toBe(0);
    // another certificate of the same unregistered CA is not trusted by the first one's registration
    expect(await publish(other2, 'other-2')).not.toBe(0);

    // SNI_ONLY CA: no verification certificate
    const sni = await aws('register-ca-certificate', '--ca-certificate', file(otherCa.certPath), '--certificate-mode', 'SNI_ONLY', '--set-as-active');
    expect(sni.code).toBe(0);
    expect((await aws('describe-ca-certificate', '--certificate-id', sni.json.certificateId as string)).json.certificateDescription).toMatchObject({ certificateMode: 'SNI_ONLY', status: 'ACTIVE' });
    expect((await aws('register-ca-certificate', '--ca-certificate', file(otherCa.certPath), '--certificate-mode', 'SNI_ONLY')).stderr).toContain('ResourceAlreadyExistsException');
    const r2 = await aws('register-certificate', '--certificate-pem', file(other2.certPath), '--set-as-active');
    expect(r2.code).toBe(0);
    expect((await iot.send(new DescribeCertificateCommand({ certificateId: r2.json.certificateId as string }))).certificateDescription).toMatchObject({ caCertificateId: sni.json.certificateId, status: 'ACTIVE', certificateMode: 'SNI_ONLY' });
    await iot.send(new AttachPolicyCommand({ policyName: 'everything', target: r2.json.certificateArn as string }));
    expect(await publish(other2, 'other-2-registered')).toBe(0);
  });
});
