import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ListCertificatesCommand, ListPoliciesCommand, ListThingsCommand } from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cleanEnv, ELF_BIN, ROOT, runCli, startCli } from '../helpers/cli.js';
import { eventually } from '../helpers/poll.js';
import { DUMMY_CREDENTIALS, startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * The pods of deploy/kubernetes as N local processes: the Job's exact script (run.sh) with
 * JOB_COMPLETION_INDEX=0..N-1 against the stand-in, then the clean-run Job's exact command. Every
 * thing of the run streams, no line twice (an independent subscriber counts), the pods' summaries
 * merge, and `clean --run-id` leaves nothing of the run, also of a pod that died before its clean.
 */
const K8S = path.join(ROOT, 'deploy/kubernetes');
const SHARDS = 4;
const THINGS = 8;
const RUN = 'k8s-e2e';
let s: StandInProcess;
let work: string;

beforeAll(async () => {
  s = await startStandInProcess();
  work = await mkdtemp(path.join(os.tmpdir(), 'elf-k8s-'));
}, 60_000);
afterAll(async () => {
  await s?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function podEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return cleanEnv({
    ELF: `${process.execPath} ${ELF_BIN}`,
    ELF_RUN_ID: RUN,
    ELF_THINGS: String(THINGS),
    ELF_SHARDS: String(SHARDS),
    ELF_MESSAGES: path.join(K8S, 'messages.jsonl'),
    ELF_SEND_ARGS: '--interval 0.05 --qos 1 --append-thing-name',
    AWS_ENDPOINT_URL_IOT: s.endpointUrl,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
    ...extra,
  });
}

function sh(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('/bin/sh', args, { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('deploy/kubernetes, run locally', () => {
  it('N pods stream every thing of the run once, their summaries merge, clean --run-id leaves nothing', async () => {
    const lines = readFileSync(path.join(K8S, 'messages.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(THINGS);
    // an independent subscriber, from a fleet of its own (another run)
    const listener = path.join(work, 'listener');
    const made = await runCli(['create', '1', '--prefix', 'listener_', '--run-id', 'listener', '--endpoint-url', s.endpointUrl, '--state-dir', listener], { cwd: work });
    expect(made.exitCode, made.stderr).toBe(0);
    const sub = startCli(['subscribe', '--thing', 'listener_0', '--topic', 'elf/#', '--json', '--state-dir', listener], { cwd: work });
    await sub.waitFor(/"subscribed"/, { stream: 'stderr', timeoutMs: 30_000 });

    const pods = await Promise.all(
      Array.from({ length: SHARDS }, (_, i) => {
        const dir = path.join(work, `pod-${i}`);
        mkdirSync(dir);
        return sh([path.join(K8S, 'run.sh')], podEnv({ JOB_COMPLETION_INDEX: String(i), ELF_WORK_DIR: dir }));
      }),
    );
    const files: string[] = [];
    for (const [i, p] of pods.entries()) {
      expect(p.code, p.stderr).toBe(0);
      const summary = /^ELF_SUMMARY (.*)$/m.exec(p.stdout)![1]!;
      files.push(path.join(work, `shard-${i}.json`));
      writeFileSync(files.at(-1)!, summary);
    }
    // every line once, by the thing one process of the whole fleet gives it (line k by thing_k)
    const got = () => sub.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { topic: string; payload: string });
    await eventually(() => got().length >= THINGS, () => `${THINGS} messages at the subscriber, ${got().length} so far`, { everyMs: 50 });
    sub.child.kill('SIGINT');
    await sub.done;
    expect(got().map((m) => [m.topic, m.payload]).sort()).toEqual(lines.map((l, k) => [`elf/thing_${k}`, l]).sort());

    const merged = await runCli(['report', 'merge', ...files, '--json'], { cwd: work });
    expect(merged.exitCode, merged.stderr).toBe(0);
    const m = JSON.parse(merged.stdout);
    expect(m.things).toBe(THINGS);
    expect(m.totals).toMatchObject({ sent: THINGS, acked: THINGS, failed: 0 });
    expect(m.perThing.map((t: { name: string }) => t.name)).toEqual(Array.from({ length: THINGS }, (_, k) => `thing_${k}`));

    // a pod that dies after its create: its state is gone with it
    const dead = path.join(work, 'dead-pod');
    const c = await sh(['-c', `$ELF create "$ELF_THINGS" --shards "$ELF_SHARDS" --run-id "$ELF_RUN_ID" --state-dir ${dead}`], podEnv({ JOB_COMPLETION_INDEX: '1' }));
    expect(c.code, c.stderr).toBe(0);
    rmSync(dead, { recursive: true });
    const iot = s.client();
    const ofRun = async () => (await iot.send(new ListThingsCommand({ attributeName: 'elf_run', attributeValue: RUN }))).things ?? [];
    expect(await ofRun()).toHaveLength(THINGS / SHARDS);

    // the clean-run Job's command, from an empty directory
    const job = parse(readFileSync(path.join(K8S, 'clean-run/job.yaml'), 'utf8')) as { spec: { template: { spec: { containers: Array<{ command: string[] }> } } } };
    const [shell, ...args] = job.spec.template.spec.containers[0]!.command;
    expect(shell).toBe('/bin/sh');
    const cleaned = await sh(args, podEnv({}));
    expect(cleaned.code, cleaned.stderr).toBe(0);
    expect(cleaned.stdout).toMatch(/removed 2 of 2 things, 0 failed/);
    expect(await ofRun()).toEqual([]);
    const certs = (await iot.send(new ListCertificatesCommand({}))).certificates ?? [];
    const policies = (await iot.send(new ListPoliciesCommand({}))).policies ?? [];
    expect(certs).toHaveLength(1); // the listener's
    expect(policies.map((p) => p.policyName)).toEqual([expect.stringContaining('listener_0')]);
    await runCli(['clean', '--state-dir', listener], { cwd: work });
  }, 300_000);
});
