import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateThingCommand, DeleteThingCommand, DescribeThingCommand } from '@aws-sdk/client-iot';
import { cleanEnv, ELF_BIN, runCli, startCli } from '../helpers/cli.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * Issue 17, item 10, as a user meets it: `create` of a large fleet says up front how long the quotas
 * make it; on a terminal the bar gives the rate and the time left, and the failures come after the
 * bar, not through it; `clean` says what it removed and what it left alone, and why.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const hasScript = spawnSync('script', ['--version']).error === undefined;

let work: string;
let s: StandInProcess;
beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'elf-e2e-create-large-'));
  s = await startStandInProcess();
}, 90_000);
afterAll(async () => {
  await s?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('create of a large fleet', () => {
  it('says up front how long AWS IoT default rates make it, before the first thing', async () => {
    const dir = path.join(work, 'big');
    const create = startCli(['create', '100000', '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work });
    const [line] = await create.waitFor(/creating 100,000 things takes at least .*/, { stream: 'stderr' });
    expect(line).toMatch(/takes at least 2 h 47 min: AWS IoT allows CreateKeysAndCertificate 10\/s per account and Region by default \(https:\/\/docs\.aws\.amazon\.com\/general\/latest\/gr\/iot-core\.html#throttling-limits\); raise the quota in Service Quotas, or keep the fleet and reuse it/);
    create.child.kill('SIGINT');
    expect((await create.done).exitCode).toBe(130);
    const cleaned = await runCli(['clean', '--state-dir', dir], { cwd: work, env: cleanEnv({ ELF_LOCAL_URL: s.endpointUrl }) });
    expect(cleaned.exitCode, cleaned.stderr).toBe(0);
  }, 120_000);

  it.runIf(hasScript)('on a terminal: rate and time left on the bar, the failure after it; clean counts the name another fleet holds as left alone', async () => {
    const dir = path.join(work, 'tty');
    const iot = s.client();
    // another fleet's thing with a name this fleet will want
    await iot.send(new CreateThingCommand({ thingName: 'thing_2' }));
    try {
      const cmd = [process.execPath, ELF_BIN, 'create', '25', '--endpoint-url', s.endpointUrl, '--state-dir', dir].map((a) => `'${a}'`).join(' ');
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: work, env: cleanEnv(), encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stdout).toBe(3);
      // what the terminal shows, one redraw (\r) or line (\n) at a time
      const shown = r.stdout.split(/[\r\n]+/);
      expect(shown.some((l) => /^creating \[[#.]+\] \d+\/25 \(1 failed\) {2}\d+(\.\d)?\/s, \d+ s left/.test(l)), r.stdout).toBe(true);
      expect(shown.filter((l) => l.includes('creating [') && l.includes('ERROR')), r.stdout).toEqual([]);
      expect(r.stdout).toMatch(/ERROR.*1 thing failed \(thing_2\): thing <thing> already exists in the stand-in and was not made by this fleet/);

      const cleaned = await runCli(['clean', '--state-dir', dir], { cwd: work, env: cleanEnv({ ELF_LOCAL_URL: s.endpointUrl }) });
      expect(cleaned.exitCode, cleaned.stderr).toBe(0);
      expect(cleaned.stdout).toMatch(/^removed 24 of 25 things, 1 left alone, 0 failed, in /);
      expect(cleaned.stdout).toMatch(/\n {2}1 left alone: a thing of that name that this fleet did not make \(what this fleet made under that name was removed\)\n/);
      // and it was left alone indeed
      expect((await iot.send(new DescribeThingCommand({ thingName: 'thing_2' }))).thingName).toBe('thing_2');
    } finally {
      await iot.send(new DeleteThingCommand({ thingName: 'thing_2' }));
    }
  }, 180_000);
});
