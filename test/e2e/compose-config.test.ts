import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/** Debian's docker-compose (installed by .ci/run) must accept docker-compose.yml as it is. */
const hasDockerCompose = spawnSync('docker-compose', ['version']).error === undefined;

describe.skipIf(!hasDockerCompose)('docker-compose.yml', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'elf-compose-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is accepted by docker-compose config, with the elf and local services wired as documented', () => {
    copyFileSync(path.join(ROOT, 'docker-compose.yml'), path.join(dir, 'docker-compose.yml'));
    writeFileSync(path.join(dir, '.env'), 'AWS_REGION=us-east-1\n');
    const r = spawnSync('docker-compose', ['config'], { cwd: dir, encoding: 'utf8', env: { ...process.env, THINGS: '2', SAMPLE: 'data/radar-counts.json' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}elf:$/m);
    expect(r.stdout).toMatch(/^ {2}local:$/m);
    expect(r.stdout).toContain('ELF_LOCAL_URL: http://local:4580');
    expect(r.stdout).toContain('--advertise-host');
    expect(r.stdout).toContain('create 2');
    expect(r.stdout).toContain('/app/data/radar-counts.json');
    expect(r.stdout).toMatch(/\/data:\/app\/data:ro/);
    expect(r.stdout).toMatch(/\/misc:\/app\/misc/);
  });
});
