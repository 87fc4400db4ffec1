import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DescribeCertificateCommand,
  GetPolicyCommand,
  ListAttachedPoliciesCommand,
  ListCertificatesCommand,
  ListPoliciesCommand,
  ListThingPrincipalsCommand,
  ListThingsCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { thingPolicyDocument } from '../../src/provision/policy.js';
import { cleanEnv, runCli, startCli, type CliResult } from '../helpers/cli.js';
import { makeUnwritable } from '../helpers/disk.js';
import { freePort } from '../helpers/net.js';
import { eventually } from '../helpers/poll.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * `elf create` / `elf clean` as a user runs them: the built CLI as a process against `elf local`.
 * (The stand-in signs each certificate in ~0.3 s on this 2-core machine, which sets the pace here.)
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function inventory(iot: IoTClient) {
  const things = (await iot.send(new ListThingsCommand({ maxResults: 250 }))).things ?? [];
  const certs = (await iot.send(new ListCertificatesCommand({ pageSize: 250 }))).certificates ?? [];
  const policies = (await iot.send(new ListPoliciesCommand({ pageSize: 250 }))).policies ?? [];
  return { things: things.length, certs: certs.length, policies: policies.length };
}
const NONE = { things: 0, certs: 0, policies: 0 };

/** exactly one `elf: …` line and no stack trace */
function expectOneLineError(r: CliResult, pattern: RegExp) {
  expect(r.exitCode, r.stderr).not.toBe(0);
  const lines = r.stderr.split('\n').filter((l) => /^(elf|error):/.test(l));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

let work: string;
const tmp = () => fs.mkdtempSync(path.join(work, 's-'));
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'elf-e2e-cc-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('create and clean against the stand-in', () => {
  let s: StandInProcess;
  let iot: IoTClient;
  const elf = (args: string[], timeoutMs = 120_000) => runCli([...args, '--endpoint-url', s.endpointUrl], { cwd: work, timeoutMs });
  beforeAll(async () => {
    s = await startStandInProcess();
    iot = s.client();
  });
  afterAll(() => s?.stop());
  afterEach(async () => {
    // every test leaves the control plane empty; a leftover is a bug in the test or in elf
    expect(await inventory(iot)).toEqual(NONE);
  });

  it('create 3: three things, each with one ACTIVE certificate and one least-privilege policy; files 0600 in a 0700 dir; clean removes all', async () => {
    const dir = path.join(tmp(), 'misc');
    const r = await elf(['create', '3', '--state-dir', dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^created 3 of 3 things, 0 failed, in [\d.]+ s \(local stand-in http/);

    const things = (await iot.send(new ListThingsCommand({}))).things ?? [];
    expect(things.map((t) => t.thingName).sort()).toEqual(['thing_0', 'thing_1', 'thing_2']);
    const fleet = JSON.parse(fs.readFileSync(path.join(dir, 'things.json'), 'utf8'));
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    for (const name of ['thing_0', 'thing_1', 'thing_2']) {
      const principals = (await iot.send(new ListThingPrincipalsCommand({ thingName: name }))).principals ?? [];
      expect(principals).toHaveLength(1);
      const certArn = principals[0]!;
      const certificateId = certArn.split('/').pop()!;
      const desc = (await iot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription!;
      expect(desc.status).toBe('ACTIVE');
      const policies = (await iot.send(new ListAttachedPoliciesCommand({ target: certArn }))).policies ?? [];
      expect(policies.map((p) => p.policyName)).toEqual([`elf-${name}`]);
      const doc = JSON.parse((await iot.send(new GetPolicyCommand({ policyName: `elf-${name}` }))).policyDocument!);
      expect(doc).toEqual(thingPolicyDocument({ region: s.region, account: certArn.split(':')[4]!, thingName: name, topicRoot: 'elf' }));
      expect(JSON.stringify(doc)).not.toContain(':*:');

      // the files: modes, and certificate, public key and private key belong together and to the registry
      const rec = fleet.things.find((t: { name: string }) => t.name === name);
      expect(rec.certificateId).toBe(certificateId);
      for (const ext of ['pem', 'pub', 'prv']) expect(fs.statSync(path.join(dir, `${name}.${ext}`)).mode & 0o777).toBe(0o600);
      const cert = new X509Certificate(fs.readFileSync(path.join(dir, `${name}.pem`)));
      expect(cert.checkPrivateKey(createPrivateKey(fs.readFileSync(path.join(dir, `${name}.prv`))))).toBe(true);
      expect(createPublicKey(fs.readFileSync(path.join(dir, `${name}.pub`))).export({ type: 'spki', format: 'der' })).toEqual(cert.publicKey.export({ type: 'spki', format: 'der' }));
      expect(createHash('sha256').update(cert.raw).digest('hex')).toBe(certificateId);
    }

    const c = await elf(['clean', '--state-dir', dir]);
    expect(c.exitCode, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/^removed 3 of 3 things, 0 failed/);
    expect(await inventory(iot)).toEqual(NONE);
    expect(fs.existsSync(dir)).toBe(false);
    const again = await elf(['clean', '--state-dir', dir]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/nothing to clean/);
  });

  it('refuses to create over a fleet without --add; --add grows it; clean reuses the recorded endpoint', async () => {
    const dir = path.join(tmp(), 'misc');
    expect((await elf(['create', '2', '--state-dir', dir])).exitCode).toBe(0);
    const refused = await elf(['create', '2', '--state-dir', dir]);
    expectOneLineError(refused, /already holds a fleet of 2 things .*--add.*elf clean/);
    expect((await inventory(iot)).things).toBe(2);
    const grown = await elf(['create', '1', '--add', '--state-dir', dir]);
    expect(grown.exitCode, grown.stderr).toBe(0);
    expect((await iot.send(new ListThingsCommand({}))).things!.map((t) => t.thingName).sort()).toEqual(['thing_0', 'thing_1', 'thing_2']);
    // no --endpoint-url: the fleet's own record says where it lives
    const c = await runCli(['clean', '--state-dir', dir], { cwd: work });
    expect(c.exitCode, c.stderr).toBe(0);
  });

  it('bad input: one line, non-zero exit, nothing made', async () => {
    const dir = path.join(tmp(), 'misc');
    for (const count of ['0', '-1', 'abc', '1.5', '']) {
      const r = await elf(['create', count, '--state-dir', dir]);
      expectOneLineError(r, /argument 'count'|expected an integer/);
      expect(r.exitCode).toBe(2);
    }
    expectOneLineError(await elf(['create', '1', '--concurrency', '0', '--state-dir', dir]), /--concurrency/);
    expectOneLineError(await elf(['create', '1', '--prefix', 'a:b', '--state-dir', dir]), /--prefix "a:b" may only contain/);
    expectOneLineError(await elf(['create', '1', '--topic-root', 'elf/#', '--state-dir', dir]), /--topic-root "elf\/#" must not contain wildcards/);
    expect(fs.existsSync(dir)).toBe(false);

    // an unreachable endpoint
    const port = await freePort();
    const down = await runCli(['create', '2', '--endpoint-url', `http://127.0.0.1:${port}`, '--state-dir', dir], { cwd: work });
    expectOneLineError(down, new RegExp(`cannot reach http://127.0.0.1:${port} \\(from --endpoint-url\\): ECONNREFUSED`));
    expect(fs.existsSync(dir)).toBe(false);

    // a corrupted things.json: named, with a way out; nothing made
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'things.json'), '{"version":1,"things":[{"na');
    expectOneLineError(await elf(['create', '2', '--state-dir', dir]), /things.json is corrupted .*elf clean --only-local/);
    expectOneLineError(await elf(['clean', '--state-dir', dir]), /things.json is corrupted/);
    const forced = await runCli(['clean', '--force', '--state-dir', dir], { cwd: work });
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(fs.existsSync(path.join(dir, 'things.json'))).toBe(false);
  });

  it('an unwritable state dir: one line before anything is made', async (ctx) => {
    const parent = tmp();
    const undo = makeUnwritable(parent);
    if (!undo) return ctx.skip();
    try {
      const r = await elf(['create', '2', '--state-dir', path.join(parent, 'misc')]);
      expectOneLineError(r, /misc: not writable \((EACCES|EPERM)\).*--state-dir/);
    } finally {
      undo();
    }
  });

  it('--only-local forgets the fleet with a warning that nothing in the control plane was removed', async () => {
    const dir = path.join(tmp(), 'misc');
    expect((await elf(['create', '1', '--state-dir', dir])).exitCode).toBe(0);
    const r = await runCli(['clean', '--only-local', '--state-dir', dir], { cwd: work });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/removed local files only: nothing was removed from the control plane at http/);
    expect(fs.existsSync(dir)).toBe(false);
    expect(await inventory(iot)).toEqual({ things: 1, certs: 1, policies: 1 });
    // tidy up by hand what elf was told to forget (the afterEach check wants an empty control plane)
    await removeAllByHand(iot);
  });

  it('reads the endpoint from a .env in the working directory; Ctrl-C stops after the things in flight, all recorded', async () => {
    const cwd = tmp();
    fs.writeFileSync(path.join(cwd, '.env'), `AWS_ENDPOINT_URL_IOT=${s.endpointUrl}\n`);
    const cli = startCli(['create', '20', '--state-dir', 'misc'], { cwd });
    await cli.waitFor(/"msg":"target"/, { stream: 'stderr' });
    // mid-run: once the first thing's key is on disk
    await eventually(() => fs.existsSync(path.join(cwd, 'misc')) && fs.readdirSync(path.join(cwd, 'misc')).some((f) => f.endsWith('.prv')), 'a first thing made', { timeoutMs: 60_000 });
    cli.child.kill('SIGINT');
    const r = await cli.done;
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stdout).toMatch(/^created \d+ of 20 things/);
    expect(r.stderr).toMatch(/elf: interrupted after \d+ things; what was made is recorded/);
    const fleet = JSON.parse(fs.readFileSync(path.join(cwd, 'misc', 'things.json'), 'utf8'));
    expect(fleet.target.endpointUrl).toBe(s.endpointUrl);
    expect(fleet.things.length).toBe((await inventory(iot)).certs);
    const c = await runCli(['clean'], { cwd });
    expect(c.exitCode, c.stderr).toBe(0);
  });

  it('SIGKILL at random moments during create 20 (10 trials): clean afterwards leaves nothing', async () => {
    for (let trial = 0; trial < 10; trial++) {
      const dir = path.join(tmp(), 'misc');
      const cli = startCli(['create', '20', '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work });
      // somewhere between start-up and the end of the run (create 20 takes ~2–4 s here)
      // the random moment is the test (a kill anywhere in the run), not a wait for a result
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 3000));
      const killed = await cli.kill('SIGKILL');
      const c = await runCli(['clean', '--state-dir', dir], { cwd: work });
      expect(c.exitCode, `trial ${trial} (${killed.signal ?? `exit ${killed.exitCode}`}): ${c.stdout}${c.stderr}`).toBe(0);
      expect(await inventory(iot), `trial ${trial}`).toEqual(NONE);
    }
  }, 400_000);

  it('SIGKILL at random moments during clean (10 trials): the next clean finishes the job', async () => {
    // ten small fleets made at once (own prefixes: thing names are unique per account), then killed one by one
    const dirs = Array.from({ length: 10 }, () => path.join(tmp(), 'misc'));
    const made = await Promise.all(dirs.map((dir, i) => elf(['create', '3', '--prefix', `k${i}_`, '--state-dir', dir], 240_000)));
    for (const m of made) expect(m.exitCode, m.stderr).toBe(0);
    for (const [trial, dir] of dirs.entries()) {
      const cli = startCli(['clean', '--state-dir', dir], { cwd: work });
      // clean of 3 things takes ~1.5 s here, most of it start-up
      // the random moment is the test, not a wait for a result
      await new Promise((r) => setTimeout(r, 400 + Math.random() * 1200));
      await cli.kill('SIGKILL');
      const c = await runCli(['clean', '--state-dir', dir], { cwd: work });
      expect(c.exitCode, `trial ${trial}: ${c.stdout}${c.stderr}`).toBe(0);
      expect(fs.existsSync(dir)).toBe(false);
    }
    expect(await inventory(iot)).toEqual(NONE);
  }, 400_000);
});

/** Deletes every policy, certificate and thing in the stand-in, in AWS order (for a test that told elf to forget its fleet). */
async function removeAllByHand(iot: IoTClient) {
  const sdk = await import('@aws-sdk/client-iot');
  for (const c of (await iot.send(new ListCertificatesCommand({}))).certificates ?? []) {
    for (const p of (await iot.send(new ListAttachedPoliciesCommand({ target: c.certificateArn! }))).policies ?? []) {
      await iot.send(new sdk.DetachPolicyCommand({ policyName: p.policyName!, target: c.certificateArn! }));
    }
    await iot.send(new sdk.UpdateCertificateCommand({ certificateId: c.certificateId!, newStatus: 'INACTIVE' }));
    for (const t of (await iot.send(new sdk.ListPrincipalThingsCommand({ principal: c.certificateArn! }))).things ?? []) {
      await iot.send(new sdk.DetachThingPrincipalCommand({ thingName: t, principal: c.certificateArn! }));
    }
    await iot.send(new sdk.DeleteCertificateCommand({ certificateId: c.certificateId! }));
  }
  for (const p of (await iot.send(new ListPoliciesCommand({}))).policies ?? []) await iot.send(new sdk.DeletePolicyCommand({ policyName: p.policyName! }));
  for (const t of (await iot.send(new ListThingsCommand({}))).things ?? []) await iot.send(new sdk.DeleteThingCommand({ thingName: t.thingName! }));
}

describe('quotas and faults', () => {
  let s: StandInProcess | undefined;
  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });

  it('create 100 against `elf local --throttle`: zero failed; clean leaves nothing', async () => {
    s = await startStandInProcess({ args: ['--throttle'] });
    const dir = path.join(tmp(), 'misc');
    const r = await runCli(['create', '100', '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work, timeoutMs: 120_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^created 100 of 100 things, 0 failed/);
    const c = await runCli(['clean', '--state-dir', dir], { cwd: work, timeoutMs: 120_000 });
    expect(c.exitCode, c.stderr).toBe(0);
    expect(await inventory(s.client())).toEqual(NONE);
  }, 400_000);

  it('20% of calls answered with throttling or 5xx: create 20 makes all; clean leaves nothing', async () => {
    s = await startStandInProcess({ args: ['--fault-rate', '0.2', '--fault-seed', '7'] });
    const dir = path.join(tmp(), 'misc');
    const r = await runCli(['create', '20', '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work, timeoutMs: 120_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^created 20 of 20 things, 0 failed/);
    const c = await runCli(['clean', '--state-dir', dir], { cwd: work, timeoutMs: 120_000 });
    expect(c.exitCode, c.stderr).toBe(0);
    expect(await inventory(s.client())).toEqual(NONE);
  }, 240_000);
});

describe('target selection', () => {
  it('without credentials or endpoint, and no stand-in on the default port: says how to start it', async (ctx) => {
    const probe = await fetch('http://127.0.0.1:4580/elf/info').then(
      () => true,
      () => false,
    );
    if (probe) return ctx.skip(); // something serves the default port on this machine
    const dir = path.join(tmp(), 'misc');
    const r = await runCli(['create', '1', '--state-dir', dir], { cwd: work, env: cleanEnv() });
    expectOneLineError(r, /no AWS credentials found and the local stand-in is not running at http:\/\/127.0.0.1:4580; start it with `npx elf local`/);
    expect(fs.existsSync(dir)).toBe(false);
  });
});
