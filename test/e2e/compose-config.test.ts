import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, ROOT } from '../helpers/cli.js';

/**
 * docker-compose.yml as Compose v1 (`docker-compose`, Debian's, installed by .ci/run) and v2 (`docker
 * compose`, where the plugin is installed) read it: on a fresh clone (no .env), with the `local`
 * service behind its profile, and with every variable `make bootstrap` documents passed through.
 */
const composes: [string, string[]][] = [
  ['docker-compose', []],
  ['docker', ['compose']],
];
const available = composes.filter(([cmd, pre]) => spawnSync(cmd, [...pre, 'version']).status === 0);

describe.skipIf(available.length === 0)('docker-compose.yml', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'elf-compose-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(path.join(ROOT, 'docker-compose.yml'), path.join(dir, 'docker-compose.yml'));

  it.each(available)('%s %j: config works on a fresh clone (no .env), the stand-in behind profile local', (cmd, pre) => {
    const env = { ...process.env, THINGS: '2', SAMPLE: 'data/radar-counts.json' };
    const plain = spawnSync(cmd, [...pre, '-f', 'docker-compose.yml', 'config'], { cwd: dir, encoding: 'utf8', env });
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^ {2}elf:$/m);
    // v2 leaves an inactive profile's service out of `config`; v1 prints it with its profile
    if (/^ {2}local:$/m.test(plain.stdout)) expect(plain.stdout).toMatch(/^ {4}profiles:\n {4}- local$/m);
    const withLocal = spawnSync(cmd, [...pre, 'config'], { cwd: dir, encoding: 'utf8', env: { ...env, COMPOSE_PROFILES: 'local' } });
    expect(withLocal.status, withLocal.stderr).toBe(0);
    expect(withLocal.stdout).toMatch(/^ {2}local:$/m);
    expect(withLocal.stdout).toContain('ELF_LOCAL_URL: http://local:4580');
    expect(withLocal.stdout).toContain('--advertise-host');
    expect(withLocal.stdout).toContain('create 2');
    expect(withLocal.stdout).toContain('/app/data/radar-counts.json');
    expect(withLocal.stdout).toMatch(/\/data:\/app\/data:ro/);
    expect(withLocal.stdout).toMatch(/\/misc:\/app\/misc/);
  });

  it.each(available)('%s %j: credentials from an optional .env reach elf', (cmd, pre) => {
    const withEnv = mkdtempSync(path.join(tmpdir(), 'elf-compose-env-'));
    try {
      copyFileSync(path.join(ROOT, 'docker-compose.yml'), path.join(withEnv, 'docker-compose.yml'));
      writeFileSync(path.join(withEnv, '.env'), 'AWS_DEFAULT_REGION=eu-west-1\nAWS_PROFILE=dev\n');
      const r = spawnSync(cmd, [...pre, 'config'], { cwd: withEnv, encoding: 'utf8', env: cleanEnv() });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/AWS_DEFAULT_REGION: eu-west-1/);
      expect(r.stdout).toMatch(/AWS_PROFILE: dev/);
      // unset stays unset (v1 prints null, v2 leaves it out), never an empty string
      expect(r.stdout).not.toMatch(/AWS_SECRET_ACCESS_KEY: *['"]{2}|AWS_SECRET_ACCESS_KEY: *$/m);
    } finally {
      rmSync(withEnv, { recursive: true, force: true });
    }
  });

  it('make passes every bootstrap variable to Compose', () => {
    const work = mkdtempSync(path.join(tmpdir(), 'elf-compose-make-'));
    try {
      for (const f of ['Makefile', 'docker-compose.yml', 'bin', 'dist', 'data', 'node_modules', 'package.json']) symlinkSync(path.join(ROOT, f), path.join(work, f));
      const vars = ['THINGS=4', 'DURATION=7', 'INTERVAL=0.5', 'QOS=0', 'TOPIC=fleet/a', 'SEND_ARGS=--append-thing-name', 'STATE_DIR=fleet2', 'LOCAL_DIR=.elf2', 'SAMPLE_FILE=example', 'RULE=radar-to-s3', 'ROLE_ARN=arn:aws:iam::1:role/r'];
      const r = spawnSync('make', ['--no-print-directory', '-o', 'dist', '-o', 'node_modules', 'compose-config', ...vars], { cwd: work, encoding: 'utf8', env: cleanEnv() });
      expect(r.status, r.stderr).toBe(0);
      const config = r.stdout.replace(/\s+/g, ' ');
      expect(config).toContain('create 4');
      expect(config).toContain('--json-message /app/data/example.json --duration 7 --interval 0.5 --qos 0 --topic fleet/a --append-thing-name');
      expect(config).toContain('rule create radar_to_s3 --payload file:///app/data/rules/radar-to-s3.json --role-arn arn:aws:iam::1:role/r');
      expect(config).toMatch(/\/fleet2:\/app\/misc/);
      expect(config).toMatch(/\/\.elf2:\/app\/\.elf/);
      // no credentials here: the stand-in's profile is on
      expect(r.stdout).toMatch(/^ {2}local:$/m);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
