import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AttachPolicyCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  DeleteCertificateCommand,
  DeletePolicyCommand,
  DetachPolicyCommand,
  IoTClient,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, ROOT } from '../helpers/cli.js';
import { eventually } from '../helpers/poll.js';
import { freePort } from '../helpers/net.js';

/**
 * `make bootstrap` / `make clean` as a user runs them, natively, with no AWS credentials: the
 * Makefile starts the local stand-in, creates the things, streams radar-counts; an independent
 * mosquitto_sub (with its own certificate and policy) watches the topic; `make clean` leaves nothing.
 * Runs in a scratch directory that links to the project's files, on free ports.
 */
const hasMosquittoSub = spawnSync('mosquitto_sub', ['--help']).error === undefined;

describe.skipIf(!hasMosquittoSub)('make bootstrap / make clean (native, no credentials)', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'elf-bootstrap-'));
  const certs = mkdtempSync(path.join(tmpdir(), 'elf-watcher-'));
  for (const f of ['Makefile', 'bin', 'dist', 'src', 'data', 'node_modules', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
    symlinkSync(path.join(ROOT, f), path.join(work, f));
  }
  let pidToReap: number | undefined;
  afterAll(() => {
    if (pidToReap) {
      try {
        process.kill(pidToReap, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    rmSync(work, { recursive: true, force: true });
    rmSync(certs, { recursive: true, force: true });
  });

  function make(args: string[], timeoutMs = 120_000) {
    // -o: use the dist/ and node_modules/ the suite runs with; never rebuild them under other tests' feet
    const r = spawnSync('make', ['--no-print-directory', '-o', 'dist', '-o', 'node_modules', ...args], { cwd: work, env: cleanEnv(), encoding: 'utf8', timeout: timeoutMs });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  }

  it('bootstraps radar-counts onto the stand-in it starts, and make clean removes everything, twice', async () => {
    const port = await freePort();
    const mqttPort = await freePort();
    const vars = [`LOCAL_PORT=${port}`, `LOCAL_MQTT_PORT=${mqttPort}`];

    // 1. the stand-in, as bootstrap starts it when there are no credentials
    const started = make(['local-start', ...vars]);
    expect(started.code, started.out).toBe(0);
    pidToReap = Number(readFileSync(path.join(work, '.elf/local.pid'), 'utf8'));

    // 2. an independent subscriber with its own certificate and a policy for the topic
    const endpoint = `http://127.0.0.1:${port}`;
    const iot = new IoTClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const info = (await (await fetch(`${endpoint}/elf/info`)).json()) as { caPem: string; account: string };
    const keys = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const arn = (r: string) => `arn:aws:iot:us-east-1:${info.account}:${r}`;
    const policyDocument = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client/watcher') },
        { Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn('topicfilter/elf') },
        { Effect: 'Allow', Action: 'iot:Receive', Resource: arn('topic/elf') },
      ],
    });
    await iot.send(new CreatePolicyCommand({ policyName: 'watcher', policyDocument }));
    await iot.send(new AttachPolicyCommand({ policyName: 'watcher', target: keys.certificateArn }));
    writeFileSync(path.join(certs, 'ca.pem'), info.caPem);
    writeFileSync(path.join(certs, 'cert.pem'), keys.certificatePem!);
    writeFileSync(path.join(certs, 'key.pem'), keys.keyPair!.PrivateKey!, { mode: 0o600 });
    // stdbuf: line-buffered output through a pipe, so SUBACK and each message show up as they happen
    const sub = spawn('stdbuf', ['-oL', 'mosquitto_sub', '-d', '-h', '127.0.0.1', '-p', String(mqttPort), '--cafile', path.join(certs, 'ca.pem'), '--cert', path.join(certs, 'cert.pem'), '--key', path.join(certs, 'key.pem'), '-i', 'watcher', '-t', 'elf', '-q', '1']);
    let received = '';
    let diagnostics = '';
    sub.stdout.setEncoding('utf8').on('data', (d: string) => (received += d));
    sub.stderr.setEncoding('utf8').on('data', (d: string) => (diagnostics += d));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`mosquitto_sub did not subscribe: ${received}${diagnostics}`)), 30_000);
      sub.stdout.on('data', () => {
        if (received.includes('SUBACK')) {
          clearTimeout(t);
          resolve();
        }
      });
    });

    // 3. the quick start's command, with a short run
    const boot = make(['bootstrap', 'SAMPLE_FILE=radar-counts', 'THINGS=2', 'DURATION=5', ...vars], 180_000);
    expect(boot.code, boot.out).toBe(0);
    expect(boot.out).toMatch(/running elf natively/);
    expect(boot.out).toMatch(/created 2 of 2 things/);
    // the subscriber prints what the broker delivered by the end of the send; wait for it, not for a time
    const delivered = () => received.split('\n').filter((l) => l.startsWith('{'));
    await eventually(() => delivered().length >= 4, () => `4 radar lines at the subscriber (got ${delivered().length})`);
    sub.kill();
    const radarLines = new Set(readFileSync(path.join(ROOT, 'data/radar-counts.json'), 'utf8').split('\n'));
    const payloads = delivered();
    expect(payloads.length).toBeGreaterThanOrEqual(4);
    for (const p of payloads) expect(radarLines.has(p), p).toBe(true);

    // the subscriber's own resources are the test's to remove
    await iot.send(new DetachPolicyCommand({ policyName: 'watcher', target: keys.certificateArn }));
    await iot.send(new DeletePolicyCommand({ policyName: 'watcher' }));
    await iot.send(new UpdateCertificateCommand({ certificateId: keys.certificateId, newStatus: 'INACTIVE' }));
    await iot.send(new DeleteCertificateCommand({ certificateId: keys.certificateId }));
    iot.destroy();

    // 4. make clean; keep the stand-in's state for a look by hiding the marker that lets clean remove it
    unlinkSync(path.join(work, '.elf/bootstrap-started'));
    const clean = make(['clean', ...vars]);
    expect(clean.code, clean.out).toBe(0);
    expect(clean.out).toMatch(/removed 2 of 2 things/);
    expect(clean.out).toMatch(/stopped the local stand-in/);
    expect(() => process.kill(pidToReap!, 0)).toThrow(); // no process left running
    expect(existsSync(path.join(work, 'misc'))).toBe(false);
    const registry = JSON.parse(readFileSync(path.join(work, '.elf/local/registry.json'), 'utf8'));
    expect(registry.things).toEqual([]);
    expect(registry.certificates).toEqual([]);
    expect(registry.policies).toEqual([]);

    // 5. safe to run again; with the marker back, the stand-in's state goes too
    writeFileSync(path.join(work, '.elf/bootstrap-started'), '');
    const again = make(['clean', ...vars]);
    expect(again.code, again.out).toBe(0);
    expect(existsSync(path.join(work, '.elf'))).toBe(false);
  }, 300_000);
});
