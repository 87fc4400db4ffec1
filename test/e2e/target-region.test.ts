import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../helpers/cli.js';

/** Issue 17, item 7: AWS_DEFAULT_REGION counts, after AWS_REGION, as the AWS CLI reads it. */
const work = mkdtempSync(path.join(tmpdir(), 'elf-region-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const creds = { AWS_ACCESS_KEY_ID: 'AKIAELFTESTREGION000', AWS_SECRET_ACCESS_KEY: 'not-a-secret' };

describe('elf target: the region from the environment', { concurrent: true }, () => {
  it('takes AWS_DEFAULT_REGION when AWS_REGION is not set', async () => {
    const r = await runCli(['target', '--state-dir', path.join(work, 'none')], { cwd: work, env: cleanEnv({ ...creds, AWS_DEFAULT_REGION: 'eu-west-1' }) });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('aws region=eu-west-1');
  });

  it('prefers AWS_REGION', async () => {
    const r = await runCli(['target', '--state-dir', path.join(work, 'none')], { cwd: work, env: cleanEnv({ ...creds, AWS_REGION: 'ap-south-1', AWS_DEFAULT_REGION: 'eu-west-1' }) });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('aws region=ap-south-1');
  });

  it('names both variables when neither is set', async () => {
    const r = await runCli(['target', '--state-dir', path.join(work, 'none')], { cwd: work, env: cleanEnv(creds) });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^elf: no AWS region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION/m);
  });
});
