import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsIot, awsSkipReason, hasAws } from '../helpers/awscli.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * Interop: the official AWS CLI (`aws`, Debian package awscli on CI) drives the stand-in through
 * --endpoint-url with dummy credentials, as any AWS client would.
 */
describe.skipIf(!hasAws)(`elf local through the AWS CLI${awsSkipReason}`, () => {
  let s: StandInProcess;
  const aws = awsIot(() => s.endpointUrl);

  beforeAll(async () => {
    s = await startStandInProcess();
  });
  afterAll(() => s?.stop());

  // each `aws` start costs a second or more of CPU: generous bound for a loaded 2-core machine
  it('creates a thing, keys and certificate, attaches, lists, describes the endpoint, and fails to delete an attached policy', { timeout: 240_000 }, async () => {
    // independent calls run side by side: each `aws` start costs about a second
    const doc = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });
    const [thing, cert, policy] = await Promise.all([
      aws('create-thing', '--thing-name', 'cli_0'),
      aws('create-keys-and-certificate', '--set-as-active'),
      aws('create-policy', '--policy-name', 'cli-policy', '--policy-document', doc),
    ]);
    expect(thing.code).toBe(0);
    // region from the CLI's SigV4 scope
    expect(thing.json).toMatchObject({ thingName: 'cli_0', thingArn: 'arn:aws:iot:us-west-2:123456789012:thing/cli_0' });
    expect(cert.code).toBe(0);
    const certArn = cert.json.certificateArn as string;
    expect(certArn).toMatch(/^arn:aws:iot:us-west-2:123456789012:cert\/[0-9a-f]{64}$/);
    expect((cert.json.keyPair as Record<string, string>).PrivateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(cert.json.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(policy.json).toMatchObject({ policyName: 'cli-policy', policyVersionId: '1' });

    const [attach, attachPolicy] = await Promise.all([
      aws('attach-thing-principal', '--thing-name', 'cli_0', '--principal', certArn),
      aws('attach-policy', '--policy-name', 'cli-policy', '--target', certArn),
    ]);
    expect(attach.code).toBe(0);
    expect(attachPolicy.code).toBe(0);

    const [principals, things, ep, attached] = await Promise.all([
      aws('list-thing-principals', '--thing-name', 'cli_0'),
      aws('list-things'),
      aws('describe-endpoint', '--endpoint-type', 'iot:Data-ATS'),
      aws('list-attached-policies', '--target', certArn),
    ]);
    expect(principals.json.principals).toEqual([certArn]);
    expect(things.code).toBe(0);
    expect((things.json.things as { thingName: string }[]).map((t) => t.thingName)).toEqual(['cli_0']);
    expect(ep.code).toBe(0);
    expect(ep.json.endpointAddress).toBe(`127.0.0.1:${s.mqttPort}`);
    expect((attached.json.policies as { policyName: string }[]).map((p) => p.policyName)).toEqual(['cli-policy']);

    const del = await aws('delete-policy', '--policy-name', 'cli-policy');
    expect(del.code).not.toBe(0);
    expect(del.stderr).toMatch(/An error occurred \(DeleteConflictException\) when calling the DeletePolicy operation: .*attached/);
  });

  // what `elf clean --run-id` relies on (API_ListThings.html attributeName/attributeValue; API_CreateThing.html: 3 attributes without a type)
  it('thing attributes: list-things filters by name and value, and a thing without a type takes at most 3', { timeout: 240_000 }, async () => {
    const three = (run: string) => JSON.stringify({ attributes: { elf_run: run, site: 'north', model: 'm1' } });
    const [a, b, four] = await Promise.all([
      aws('create-thing', '--thing-name', 'attr_a', '--attribute-payload', three('r1')),
      aws('create-thing', '--thing-name', 'attr_b', '--attribute-payload', three('r2')),
      aws('create-thing', '--thing-name', 'attr_c', '--attribute-payload', JSON.stringify({ attributes: { a: '1', b: '2', c: '3', d: '4' } })),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(four.code).not.toBe(0);
    expect(four.stderr).toMatch(/\(InvalidRequestException\) when calling the CreateThing operation: .*at most 3 attributes/);

    const [r1, north, missing] = await Promise.all([
      aws('list-things', '--attribute-name', 'elf_run', '--attribute-value', 'r1'),
      aws('list-things', '--attribute-name', 'site', '--attribute-value', 'north'),
      aws('describe-thing', '--thing-name', 'attr_c'),
    ]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r1.json.things).toEqual([expect.objectContaining({ thingName: 'attr_a', attributes: { elf_run: 'r1', site: 'north', model: 'm1' } })]);
    expect((north.json.things as { thingName: string }[]).map((t) => t.thingName).sort()).toEqual(['attr_a', 'attr_b']);
    // the refused thing was not made
    expect(missing.stderr).toMatch(/ResourceNotFoundException/);
  });
});
