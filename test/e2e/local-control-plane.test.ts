import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  AttachPolicyCommand,
  AttachPrincipalPolicyCommand,
  AttachThingPrincipalCommand,
  CertificateStateException,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DeleteConflictException,
  DeletePolicyCommand,
  DeleteThingCommand,
  DescribeCertificateCommand,
  DescribeEndpointCommand,
  DescribeThingCommand,
  DetachPolicyCommand,
  DetachPrincipalPolicyCommand,
  DetachThingPrincipalCommand,
  GetPolicyCommand,
  InternalFailureException,
  InvalidRequestException,
  LimitExceededException,
  ListAttachedPoliciesCommand,
  ListCertificatesCommand,
  ListPoliciesCommand,
  ListPrincipalPoliciesCommand,
  ListPrincipalThingsCommand,
  ListThingPrincipalsCommand,
  ListThingsCommand,
  MalformedPolicyException,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  ServiceUnavailableException,
  ThrottlingException,
  UpdateCertificateCommand,
  VersionConflictException,
  type IoTClient,
  type ListCertificatesCommandOutput,
} from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['iot:Connect', 'iot:Publish'], Resource: ['arn:aws:iot:*:*:*'] }],
});

/** Asserts that `p` rejects with the SDK's exception class `cls` and the HTTP status `status`. */
async function expectAwsError(p: Promise<unknown>, cls: abstract new (...args: never[]) => Error, status: number): Promise<Error & Record<string, unknown>> {
  const e = await p.then(
    () => {
      throw new Error(`expected ${cls.name}, but the call succeeded`);
    },
    (err: unknown) => err as Error & Record<string, unknown>,
  );
  expect(e).toBeInstanceOf(cls);
  expect(e.name).toBe(cls.name);
  expect((e.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(status);
  return e;
}

async function newCert(iot: IoTClient, active = true) {
  const r = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: active }));
  return { arn: r.certificateArn!, id: r.certificateId!, pem: r.certificatePem!, key: r.keyPair!.PrivateKey! };
}

let root: string;
let s: StandInProcess;
let iot: IoTClient;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'elf-cp-'));
  s = await startStandInProcess({ stateDir: path.join(root, 'state') });
  iot = s.client();
});

afterAll(async () => {
  await s?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('elf local: control plane through @aws-sdk/client-iot', () => {
  it('creates the state dir 0700 with ca.pem and ca.key 0600, and serves /elf/info', async () => {
    expect((await stat(s.stateDir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(s.stateDir, 'ca.key'))).mode & 0o777).toBe(0o600);
    const info = (await (await fetch(`${s.endpointUrl}/elf/info`)).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ standIn: 'elf', region: 'us-east-1', account: '123456789012', mqtt: { host: '127.0.0.1' } });
    expect(info.caPem).toBe(await readFile(s.caPath, 'utf8'));
    expect(s.cli.stdout).toMatch(/^elf local: control plane http:\/\/127\.0\.0\.1:\d+$/m);
    expect(s.cli.stdout).toMatch(/^elf local: state .* \(CA .*ca\.pem\)$/m);
  });

  it('drives the whole create → attach → list → detach → delete cycle (all 24 operations)', async () => {
    // CreateKeysAndCertificate: a real certificate from the local CA, AWS's id and ARN shapes
    const cert = await newCert(iot);
    expect(cert.id).toMatch(/^[0-9a-f]{64}$/);
    expect(cert.arn).toBe(`arn:aws:iot:us-east-1:123456789012:cert/${cert.id}`);
    expect(cert.key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const x = new X509Certificate(cert.pem);
    expect(x.verify(new X509Certificate(await readFile(s.caPath, 'utf8')).publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(cert.key))).toBe(true);
    expect(createHash('sha256').update(x.raw).digest('hex')).toBe(cert.id);
    // the device's private key is not kept by the stand-in
    expect(await readFile(path.join(s.stateDir, 'registry.json'), 'utf8')).not.toContain('PRIVATE KEY');

    const thing = await iot.send(new CreateThingCommand({ thingName: 'cycle_0', attributePayload: { attributes: { model: 'elf-1' } } }));
    expect(thing.thingArn).toBe('arn:aws:iot:us-east-1:123456789012:thing/cycle_0');
    expect(thing.thingId).toBeTruthy();
    const described = await iot.send(new DescribeThingCommand({ thingName: 'cycle_0' }));
    expect(described).toMatchObject({ thingName: 'cycle_0', defaultClientId: 'cycle_0', version: 1, attributes: { model: 'elf-1' }, thingId: thing.thingId });

    await iot.send(new AttachThingPrincipalCommand({ thingName: 'cycle_0', principal: cert.arn }));
    expect((await iot.send(new ListThingPrincipalsCommand({ thingName: 'cycle_0' }))).principals).toEqual([cert.arn]);
    expect((await iot.send(new ListPrincipalThingsCommand({ principal: cert.arn }))).things).toEqual(['cycle_0']);

    const pol = await iot.send(new CreatePolicyCommand({ policyName: 'policy-cycle_0', policyDocument: POLICY }));
    expect(pol).toMatchObject({ policyName: 'policy-cycle_0', policyArn: 'arn:aws:iot:us-east-1:123456789012:policy/policy-cycle_0', policyVersionId: '1' });
    await iot.send(new CreatePolicyCommand({ policyName: 'policy-cycle_0.legacy', policyDocument: POLICY }));
    const got = await iot.send(new GetPolicyCommand({ policyName: 'policy-cycle_0' }));
    expect(got.policyDocument).toBe(POLICY);
    expect(got.creationDate).toBeInstanceOf(Date);
    expect(Math.abs(got.creationDate!.getTime() - Date.now())).toBeLessThan(60_000);

    await iot.send(new AttachPolicyCommand({ policyName: 'policy-cycle_0', target: cert.arn }));
    await iot.send(new AttachPrincipalPolicyCommand({ policyName: 'policy-cycle_0.legacy', principal: cert.arn }));
    const attached = await iot.send(new ListAttachedPoliciesCommand({ target: cert.arn }));
    expect(attached.policies?.map((p) => p.policyName)).toEqual(['policy-cycle_0', 'policy-cycle_0.legacy']);
    const byPrincipal = await iot.send(new ListPrincipalPoliciesCommand({ principal: cert.arn }));
    expect(byPrincipal.policies?.map((p) => p.policyName)).toEqual(['policy-cycle_0', 'policy-cycle_0.legacy']);

    const desc = (await iot.send(new DescribeCertificateCommand({ certificateId: cert.id }))).certificateDescription!;
    expect(desc).toMatchObject({ certificateArn: cert.arn, certificateId: cert.id, status: 'ACTIVE', certificatePem: cert.pem, ownedBy: '123456789012', certificateMode: 'DEFAULT' });
    expect(desc.validity?.notAfter?.getTime()).toBeGreaterThan(Date.now());
    const certs = await iot.send(new ListCertificatesCommand({}));
    expect(certs.certificates?.find((c) => c.certificateId === cert.id)).toMatchObject({ certificateArn: cert.arn, status: 'ACTIVE' });
    const policies = await iot.send(new ListPoliciesCommand({}));
    expect(policies.policies?.map((p) => p.policyName)).toEqual(expect.arrayContaining(['policy-cycle_0', 'policy-cycle_0.legacy']));
    const things = await iot.send(new ListThingsCommand({}));
    expect(things.things?.find((t) => t.thingName === 'cycle_0')).toMatchObject({ thingArn: thing.thingArn, attributes: { model: 'elf-1' }, version: 1 });

    // deviation (documented): DescribeEndpoint names the stand-in's broker as host:port
    const ep = await iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
    expect(ep.endpointAddress).toBe(`127.0.0.1:${s.mqttPort}`);
    expect((await iot.send(new DescribeEndpointCommand({}))).endpointAddress).toBe(`127.0.0.1:${s.mqttPort}`);

    // clean-up in ELF's order
    await iot.send(new DetachPrincipalPolicyCommand({ policyName: 'policy-cycle_0.legacy', principal: cert.arn }));
    await iot.send(new DetachPolicyCommand({ policyName: 'policy-cycle_0', target: cert.arn }));
    await iot.send(new DeletePolicyCommand({ policyName: 'policy-cycle_0' }));
    await iot.send(new DeletePolicyCommand({ policyName: 'policy-cycle_0.legacy' }));
    await iot.send(new UpdateCertificateCommand({ certificateId: cert.id, newStatus: 'INACTIVE' }));
    expect((await iot.send(new DescribeCertificateCommand({ certificateId: cert.id }))).certificateDescription?.status).toBe('INACTIVE');
    await iot.send(new DetachThingPrincipalCommand({ thingName: 'cycle_0', principal: cert.arn }));
    await iot.send(new DeleteCertificateCommand({ certificateId: cert.id }));
    await iot.send(new DeleteThingCommand({ thingName: 'cycle_0' }));

    await expectAwsError(iot.send(new DescribeThingCommand({ thingName: 'cycle_0' })), ResourceNotFoundException, 404);
    await expectAwsError(iot.send(new DescribeCertificateCommand({ certificateId: cert.id })), ResourceNotFoundException, 404);
    await expectAwsError(iot.send(new GetPolicyCommand({ policyName: 'policy-cycle_0' })), ResourceNotFoundException, 404);
  });

  it('takes the region of ARNs from the SigV4 credential scope', async () => {
    const eu = s.client({ region: 'eu-west-1' });
    const r = await eu.send(new CreateThingCommand({ thingName: 'region_eu' }));
    expect(r.thingArn).toBe('arn:aws:iot:eu-west-1:123456789012:thing/region_eu');
    await eu.send(new DeleteThingCommand({ thingName: 'region_eu' }));
  });

  describe('state rules', () => {
    it('a policy still attached cannot be deleted; a duplicate policy name is refused', async () => {
      const cert = await newCert(iot);
      await iot.send(new CreatePolicyCommand({ policyName: 'rule-attached', policyDocument: POLICY }));
      await iot.send(new AttachPolicyCommand({ policyName: 'rule-attached', target: cert.arn }));
      const e = await expectAwsError(iot.send(new DeletePolicyCommand({ policyName: 'rule-attached' })), DeleteConflictException, 409);
      expect(e.message).toMatch(/attached to one or more principals/);
      const dup = await expectAwsError(iot.send(new CreatePolicyCommand({ policyName: 'rule-attached', policyDocument: POLICY })), ResourceAlreadyExistsException, 409);
      expect(dup.resourceId).toBe('rule-attached');
      expect(dup.resourceArn).toBe('arn:aws:iot:us-east-1:123456789012:policy/rule-attached');
      // attaching twice is a no-op
      await iot.send(new AttachPolicyCommand({ policyName: 'rule-attached', target: cert.arn }));
      expect((await iot.send(new ListAttachedPoliciesCommand({ target: cert.arn }))).policies).toHaveLength(1);
    });

    it('certificates: ACTIVE cannot be deleted; attached policies need forceDelete; attached things always block', async () => {
      const cert = await newCert(iot);
      await expectAwsError(iot.send(new DeleteCertificateCommand({ certificateId: cert.id })), CertificateStateException, 406);
      await iot.send(new UpdateCertificateCommand({ certificateId: cert.id, newStatus: 'INACTIVE' }));
      await iot.send(new CreatePolicyCommand({ policyName: 'rule-force', policyDocument: POLICY }));
      await iot.send(new AttachPolicyCommand({ policyName: 'rule-force', target: cert.arn }));
      const e = await expectAwsError(iot.send(new DeleteCertificateCommand({ certificateId: cert.id })), DeleteConflictException, 409);
      expect(e.message).toMatch(/policies must be detached/);
      await iot.send(new CreateThingCommand({ thingName: 'rule-force-thing' }));
      await iot.send(new AttachThingPrincipalCommand({ thingName: 'rule-force-thing', principal: cert.arn }));
      await expectAwsError(iot.send(new DeleteCertificateCommand({ certificateId: cert.id, forceDelete: true })), DeleteConflictException, 409);
      // a thing with principals cannot be deleted
      const t = await expectAwsError(iot.send(new DeleteThingCommand({ thingName: 'rule-force-thing' })), InvalidRequestException, 400);
      expect(t.message).toMatch(/still attached to one or more principals/);
      await iot.send(new DetachThingPrincipalCommand({ thingName: 'rule-force-thing', principal: cert.arn }));
      await iot.send(new DeleteCertificateCommand({ certificateId: cert.id, forceDelete: true }));
      // forceDelete detached the policy, which can now be deleted
      await iot.send(new DeletePolicyCommand({ policyName: 'rule-force' }));
      await iot.send(new DeleteThingCommand({ thingName: 'rule-force-thing' }));
    });

    it('CreateThing is idempotent for the same configuration and refuses a different one', async () => {
      const a = await iot.send(new CreateThingCommand({ thingName: 'rule-idem', attributePayload: { attributes: { a: '1' } } }));
      const b = await iot.send(new CreateThingCommand({ thingName: 'rule-idem', attributePayload: { attributes: { a: '1' } } }));
      expect(b).toMatchObject({ thingId: a.thingId, thingArn: a.thingArn });
      const e = await expectAwsError(iot.send(new CreateThingCommand({ thingName: 'rule-idem', attributePayload: { attributes: { a: '2' } } })), ResourceAlreadyExistsException, 409);
      expect(e.resourceArn).toBe(a.thingArn);
      await expectAwsError(iot.send(new CreateThingCommand({ thingName: 'rule-type', thingTypeName: 'NoSuchType' })), ResourceNotFoundException, 404);
    });

    it('DeleteThing: a missing thing succeeds; a wrong expectedVersion is a VersionConflict', async () => {
      await iot.send(new DeleteThingCommand({ thingName: 'rule-never-existed' }));
      await iot.send(new CreateThingCommand({ thingName: 'rule-version' }));
      await expectAwsError(iot.send(new DeleteThingCommand({ thingName: 'rule-version', expectedVersion: 7 })), VersionConflictException, 409);
      await iot.send(new DeleteThingCommand({ thingName: 'rule-version', expectedVersion: 1 }));
    });

    it('a certificate takes at most 10 policies (LimitExceeded)', async () => {
      const once = s.client({ maxAttempts: 1 }); // the SDK retries LimitExceededException
      const cert = await newCert(iot);
      for (let i = 0; i < 11; i++) await iot.send(new CreatePolicyCommand({ policyName: `rule-limit-${i}`, policyDocument: POLICY }));
      for (let i = 0; i < 10; i++) await iot.send(new AttachPolicyCommand({ policyName: `rule-limit-${i}`, target: cert.arn }));
      await expectAwsError(once.send(new AttachPolicyCommand({ policyName: 'rule-limit-10', target: cert.arn })), LimitExceededException, 410);
      // re-attaching one already attached is still a no-op
      await iot.send(new AttachPolicyCommand({ policyName: 'rule-limit-3', target: cert.arn }));
    });

    it('detaching what is not attached, and unknown resources, are ResourceNotFound', async () => {
      const cert = await newCert(iot);
      await iot.send(new CreatePolicyCommand({ policyName: 'rule-detach', policyDocument: POLICY }));
      await iot.send(new CreateThingCommand({ thingName: 'rule-detach' }));
      await expectAwsError(iot.send(new DetachPolicyCommand({ policyName: 'rule-detach', target: cert.arn })), ResourceNotFoundException, 404);
      await expectAwsError(iot.send(new DetachPrincipalPolicyCommand({ policyName: 'rule-detach', principal: cert.arn })), ResourceNotFoundException, 404);
      await expectAwsError(iot.send(new DetachThingPrincipalCommand({ thingName: 'rule-detach', principal: cert.arn })), ResourceNotFoundException, 404);
      const ghost = `arn:aws:iot:us-east-1:123456789012:cert/${'ab'.repeat(32)}`;
      await expectAwsError(iot.send(new AttachPolicyCommand({ policyName: 'rule-detach', target: ghost })), ResourceNotFoundException, 404);
      await expectAwsError(iot.send(new AttachThingPrincipalCommand({ thingName: 'rule-detach', principal: ghost })), ResourceNotFoundException, 404);
      await expectAwsError(iot.send(new AttachThingPrincipalCommand({ thingName: 'rule-nothing', principal: cert.arn })), ResourceNotFoundException, 404);
      await expectAwsError(iot.send(new AttachPolicyCommand({ policyName: 'rule-nopolicy', target: cert.arn })), ResourceNotFoundException, 404);
      await expectAwsError(iot.send(new DescribeCertificateCommand({ certificateId: 'cd'.repeat(32) })), ResourceNotFoundException, 404);
      await expectAwsError(iot.send(new DeletePolicyCommand({ policyName: 'rule-nopolicy' })), ResourceNotFoundException, 404);
      await expectAwsError(iot.send(new ListThingPrincipalsCommand({ thingName: 'rule-nothing' })), ResourceNotFoundException, 404);
    });

    it('UpdateCertificate: a REVOKED certificate cannot change; bad statuses are invalid', async () => {
      const cert = await newCert(iot, false);
      expect((await iot.send(new DescribeCertificateCommand({ certificateId: cert.id }))).certificateDescription?.status).toBe('INACTIVE');
      await iot.send(new UpdateCertificateCommand({ certificateId: cert.id, newStatus: 'REVOKED' }));
      await expectAwsError(iot.send(new UpdateCertificateCommand({ certificateId: cert.id, newStatus: 'ACTIVE' })), CertificateStateException, 406);
      await expectAwsError(iot.send(new UpdateCertificateCommand({ certificateId: cert.id, newStatus: 'BOGUS' as never })), InvalidRequestException, 400);
      await iot.send(new DeleteCertificateCommand({ certificateId: cert.id }));
    });

    it('validates names, certificate ids, policy documents and endpoint types', async () => {
      await expectAwsError(iot.send(new CreateThingCommand({ thingName: 'has/slash' })), InvalidRequestException, 400);
      await expectAwsError(iot.send(new CreateThingCommand({ thingName: 'dots..' })), InvalidRequestException, 400);
      await expectAwsError(iot.send(new CreateThingCommand({ thingName: 'x'.repeat(129) })), InvalidRequestException, 400);
      await iot.send(new CreateThingCommand({ thingName: 'x'.repeat(128) }));
      await expectAwsError(iot.send(new CreatePolicyCommand({ policyName: 'p'.repeat(129), policyDocument: POLICY })), InvalidRequestException, 400);
      await expectAwsError(iot.send(new DescribeCertificateCommand({ certificateId: 'not-an-id' })), InvalidRequestException, 400);
      for (const doc of ['{not json', '{"Version":"2012-10-17"}', '{"Statement":[{"Effect":"Maybe","Action":"iot:*","Resource":"*"}]}', '{"Statement":[{"Effect":"Allow","Resource":"*"}]}', '{"Statement":[{"Effect":"Allow","Action":"iot:*"}]}']) {
        await expectAwsError(iot.send(new CreatePolicyCommand({ policyName: 'rule-malformed', policyDocument: doc })), MalformedPolicyException, 400);
      }
      await expectAwsError(iot.send(new GetPolicyCommand({ policyName: 'rule-malformed' })), ResourceNotFoundException, 404);
      await expectAwsError(iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Nonsense' })), InvalidRequestException, 400);
      await expectAwsError(iot.send(new ListThingsCommand({ maxResults: 251 })), InvalidRequestException, 400);
    });
  });

  it('pages with nextToken/maxResults and marker/pageSize', async () => {
    for (let i = 0; i < 7; i++) await iot.send(new CreateThingCommand({ thingName: `page_${i}` }));
    for (let i = 0; i < 5; i++) await iot.send(new CreatePolicyCommand({ policyName: `page-policy-${i}`, policyDocument: POLICY }));
    const names: string[] = [];
    const sizes: number[] = [];
    let nextToken: string | undefined;
    do {
      const r = await iot.send(new ListThingsCommand({ maxResults: 3, nextToken, attributeName: undefined }));
      sizes.push(r.things!.length);
      names.push(...r.things!.map((t) => t.thingName!));
      nextToken = r.nextToken;
    } while (nextToken);
    expect(names.filter((n) => n.startsWith('page_'))).toEqual(['page_0', 'page_1', 'page_2', 'page_3', 'page_4', 'page_5', 'page_6']);
    expect(new Set(names).size).toBe(names.length);
    expect(sizes.every((n) => n <= 3)).toBe(true);

    const policyNames: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const r = await iot.send(new ListPoliciesCommand({ pageSize: 2, marker }));
      expect(r.policies!.length).toBeLessThanOrEqual(2);
      policyNames.push(...r.policies!.map((p) => p.policyName!));
      marker = r.nextMarker;
      pages++;
    } while (marker);
    expect(policyNames.filter((n) => n.startsWith('page-policy-'))).toEqual(['page-policy-0', 'page-policy-1', 'page-policy-2', 'page-policy-3', 'page-policy-4']);
    expect(pages).toBeGreaterThanOrEqual(3);

    const certIds: string[] = [];
    marker = undefined;
    do {
      const r: ListCertificatesCommandOutput = await iot.send(new ListCertificatesCommand({ pageSize: 2, marker, ascendingOrder: true }));
      certIds.push(...r.certificates!.map((c) => c.certificateId!));
      marker = r.nextMarker;
    } while (marker);
    const all = (await iot.send(new ListCertificatesCommand({ pageSize: 250 }))).certificates!.map((c) => c.certificateId!);
    expect(certIds).toEqual(all);
    expect(all.length).toBeGreaterThan(2);
    await expectAwsError(iot.send(new ListThingsCommand({ nextToken: '!!!' })), InvalidRequestException, 400);
  });

  describe('bad input gets AWS’s error shape and a 4xx, and the server keeps serving', () => {
    /** A request with the path sent verbatim (fetch would normalise `..` and `%2E%2E` away). */
    function raw(method: string, pathAndQuery: string, body?: string) {
      return new Promise<{ status: number; type: string | undefined; json: Record<string, unknown> }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: s.port, method, path: pathAndQuery, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['x-amzn-errortype'] as string | undefined, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
        });
        req.on('error', reject);
        req.end(body);
      });
    }
    async function stillServing() {
      const r = await raw('GET', '/things?maxResults=1');
      expect(r.status).toBe(200);
    }

    it.each([
      ['malformed JSON', 'POST', '/things/bad_json', '{"attributePayload": {', 400, 'SerializationException:'],
      ['a JSON array body', 'POST', '/things/bad_json', '[1,2]', 400, 'SerializationException:'],
      ['a malformed policy', 'POST', '/policies/bad-policy', JSON.stringify({ policyDocument: '{"Statement": "nope"' }), 400, 'MalformedPolicyException:'],
      ['an unknown route', 'GET', '/no/such/route', undefined, 404, 'UnknownOperationException:'],
      ['a wrong method', 'PUT', '/things/x', undefined, 404, 'UnknownOperationException:'],
      ['an encoded / in a name', 'POST', '/things/a%2Fb', '{}', 400, 'InvalidRequestException:'],
      ['.. as a name', 'GET', '/policies/..', undefined, 400, 'InvalidRequestException:'],
      ['encoded .. as a name', 'DELETE', '/things/%2E%2E', undefined, 400, 'InvalidRequestException:'],
      ['bad percent-encoding', 'GET', '/things/%E0%A4%A', undefined, 400, 'InvalidRequestException:'],
      ['an over-long name', 'POST', `/things/${'n'.repeat(300)}`, '{}', 400, 'InvalidRequestException:'],
      ['a bad integer', 'GET', '/things?maxResults=lots', undefined, 400, 'InvalidRequestException:'],
    ])('%s', async (_what, method, p, body, status, type) => {
      const r = await raw(method, p, body);
      expect(r.status).toBe(status);
      expect(r.type).toBe(type);
      expect(typeof r.json.message).toBe('string');
      await stillServing();
    });

    it('an oversize body (> 1 MiB) is 413', async () => {
      const big = JSON.stringify({ policyDocument: 'x'.repeat(2 * 1024 * 1024) });
      const r = await raw('POST', '/policies/too-big', big);
      expect(r.status).toBe(413);
      expect(r.type).toBe('RequestEntityTooLargeException:');
      expect(r.json.message).toMatch(/exceeds/);
      await stillServing();
    });
  });

  it('survives concurrent mutations and a restart with its state intact', async () => {
    const before = await iot.send(new CreateThingCommand({ thingName: 'restart_keep', attributePayload: { attributes: { k: 'v' } } }));
    const cert = await newCert(iot);
    await iot.send(new CreatePolicyCommand({ policyName: 'restart-policy', policyDocument: POLICY }));
    await iot.send(new AttachPolicyCommand({ policyName: 'restart-policy', target: cert.arn }));
    await iot.send(new AttachThingPrincipalCommand({ thingName: 'restart_keep', principal: cert.arn }));
    // a burst of concurrent writes: all land, the file stays valid JSON
    await Promise.all(Array.from({ length: 40 }, (_, i) => iot.send(new CreateThingCommand({ thingName: `burst_${i}` }))));
    const file = JSON.parse(await readFile(path.join(s.stateDir, 'registry.json'), 'utf8')) as { things: { thingName: string }[] };
    expect(file.things.filter((t) => t.thingName.startsWith('burst_'))).toHaveLength(40);
    const caBefore = await readFile(s.caPath, 'utf8');

    const result = await s.stop();
    expect(result.exitCode).toBe(0);
    s = await startStandInProcess({ stateDir: s.stateDir });
    iot = s.client();

    expect(await readFile(s.caPath, 'utf8')).toBe(caBefore);
    expect(await iot.send(new DescribeThingCommand({ thingName: 'restart_keep' }))).toMatchObject({ thingId: before.thingId, attributes: { k: 'v' } });
    expect((await iot.send(new DescribeCertificateCommand({ certificateId: cert.id }))).certificateDescription).toMatchObject({ status: 'ACTIVE', certificatePem: cert.pem });
    expect((await iot.send(new ListAttachedPoliciesCommand({ target: cert.arn }))).policies?.map((p) => p.policyName)).toEqual(['restart-policy']);
    expect((await iot.send(new ListThingPrincipalsCommand({ thingName: 'restart_keep' }))).principals).toEqual([cert.arn]);
    let count = 0;
    let nextToken: string | undefined;
    do {
      const r = await iot.send(new ListThingsCommand({ maxResults: 250, nextToken }));
      count += r.things!.filter((t) => t.thingName!.startsWith('burst_')).length;
      nextToken = r.nextToken;
    } while (nextToken);
    expect(count).toBe(40);
    // the rules still hold after the restart
    await expectAwsError(iot.send(new DeletePolicyCommand({ policyName: 'restart-policy' })), DeleteConflictException, 409);
  });
});

describe('elf local --throttle', () => {
  let t: StandInProcess;
  beforeAll(async () => {
    t = await startStandInProcess({ args: ['--throttle'] });
  });
  afterAll(() => t?.stop());

  it("answers a burst beyond an API's rate with ThrottlingException (HTTP 400), then refills", async () => {
    const once = t.client({ maxAttempts: 1 }); // the SDK would otherwise retry the throttling away
    const started = performance.now();
    const results = await Promise.allSettled(Array.from({ length: 60 }, () => once.send(new ListThingsCommand({}))));
    const elapsed = (performance.now() - started) / 1000;
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const throttled = results.filter((r) => r.status === 'rejected' && r.reason instanceof ThrottlingException && r.reason.$metadata.httpStatusCode === 400).length;
    // ListThings: 10 TPS with a burst of one second's worth; the bucket refills while the burst is served
    expect(ok).toBeGreaterThanOrEqual(10);
    expect(ok).toBeLessThanOrEqual(10 + Math.ceil(elapsed * 10));
    expect(ok + throttled).toBe(60);
    if (elapsed < 4) expect(throttled).toBeGreaterThan(0);
    // other APIs have their own buckets
    await once.send(new DescribeThingCommand({ thingName: 'nope' })).catch((e: unknown) => expect(e).toBeInstanceOf(ResourceNotFoundException));
    // a throttled call changed nothing, and the default SDK client retries its way through
    // the token bucket refills with time: this wait is the behaviour (a refill), not a wait for a result
    await new Promise((r) => setTimeout(r, 300));
    await t.client().send(new ListThingsCommand({}));
  });
});

describe('elf local --fault-rate', () => {
  let f: StandInProcess;
  beforeAll(async () => {
    f = await startStandInProcess({ args: ['--fault-rate', '0.5', '--fault-seed', '42'] });
  });
  afterAll(() => f?.stop());

  it('fails a seeded share of calls with Throttling/500/503, before the operation takes effect', async () => {
    const once = f.client({ maxAttempts: 1 });
    const created: string[] = [];
    const kinds = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      try {
        await once.send(new CreateThingCommand({ thingName: `fault_${i}` }));
        created.push(`fault_${i}`);
      } catch (e) {
        const err = e as Error & { $metadata: { httpStatusCode: number } };
        expect([ThrottlingException, InternalFailureException, ServiceUnavailableException].some((c) => err instanceof c)).toBe(true);
        expect({ ThrottlingException: 400, InternalFailureException: 500, ServiceUnavailableException: 503 }[err.name]).toBe(err.$metadata.httpStatusCode);
        kinds.set(err.name, (kinds.get(err.name) ?? 0) + 1);
      }
    }
    expect(created.length).toBeGreaterThan(5);
    expect(created.length).toBeLessThan(25);
    expect(kinds.size).toBeGreaterThanOrEqual(2);
    // only the calls that succeeded left a thing behind
    const sturdy = f.client({ maxAttempts: 30 });
    const listed: string[] = [];
    let nextToken: string | undefined;
    do {
      const r = await sturdy.send(new ListThingsCommand({ maxResults: 250, nextToken }));
      listed.push(...r.things!.map((x) => x.thingName!));
      nextToken = r.nextToken;
    } while (nextToken);
    expect(listed.sort()).toEqual([...created].sort());
  });

  it('stops on SIGINT with exit 0, its registry flushed', async () => {
    const result = await f.cli.kill('SIGINT');
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/"msg":"stopped"/);
    const file = JSON.parse(await readFile(path.join(f.stateDir, 'registry.json'), 'utf8')) as { format: string };
    expect(file.format).toBe('elf-registry/1');
  });
});
