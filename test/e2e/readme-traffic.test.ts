import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ELF_BIN, ROOT, runCli } from '../helpers/cli.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * The README's "Ways to make traffic" (a file, a template, a scenario, a replay) run as written:
 * its first sh block, through bash, against `elf local` with `elf create 3`, from a directory with
 * the repository's data/. Every command must exit 0, which `elf send` does only when every message
 * it sent was acknowledged (README "Exit codes"); the payloads themselves are checked by
 * traffic-template, traffic-scenario and traffic-replay-timing.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let s: StandInProcess;
let work: string;
beforeAll(async () => {
  s = await startStandInProcess();
  work = await mkdtemp(path.join(os.tmpdir(), 'elf-readme-traffic-'));
  await symlink(path.join(ROOT, 'data'), path.join(work, 'data'));
}, 60_000);
afterAll(async () => {
  await s?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The first ```sh block under the README's "Ways to make traffic" heading. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Ways to make traffic'));
  const m = /```sh\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error('no sh block under ### Ways to make traffic in README.md');
  return m[1]!;
}

describe("the README's ways to make traffic", () => {
  it('each command of the block runs as written and delivers every message it sends', { timeout: 300_000 }, async () => {
    const dir = path.join(work, 'fleet');
    const flags = ['--endpoint-url', s.endpointUrl, '--state-dir', dir];
    const created = await runCli(['create', '3', ...flags], { cwd: work, timeoutMs: 120_000 });
    expect(created.exitCode, created.stderr).toBe(0);
    const example = await readmeExample();
    const commands = example.split('\n').filter((l) => l.startsWith('elf send'));
    // the four ways: a file, a template, a scenario, a replay
    for (const way of ['--json-message', '--template', '--scenario', '--replay-time']) expect(commands.some((c) => c.includes(way)), way).toBe(true);
    // each command in turn (set -e: the first that fails stops the block), its number echoed before it
    const numbered = example
      .split('\n')
      .map((l) => (l.startsWith('elf send') ? `echo "== ${commands.indexOf(l)}"\n${l}` : l))
      .join('\n');
    const shell = `set -e\nelf() { ${JSON.stringify(process.execPath)} ${JSON.stringify(ELF_BIN)} "$@" ${flags.map((f) => JSON.stringify(f)).join(' ')}; }\n${numbered}`;
    const ran = spawnSync('bash', ['-c', shell], { cwd: work, env: cleanEnv(), encoding: 'utf8', timeout: 240_000 });
    expect(ran.status, `${ran.stdout}${ran.stderr}`).toBe(0);
    expect(ran.stdout.match(/^== \d+$/gm)).toEqual(commands.map((_, i) => `== ${i}`));
  });
});
