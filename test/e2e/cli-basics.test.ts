import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cleanEnv, ELF_BIN, runCli } from '../helpers/cli.js';

describe('elf CLI basics', () => {
  it('prints help with every command and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.exitCode).toBe(0);
    for (const c of ['create', 'send', 'subscribe', 'clean', 'local']) expect(r.stdout).toContain(c);
  });

  it('rejects an unknown command with a one-line error and a non-zero exit', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('ends quietly when the reader of its output goes away (elf … | head)', async () => {
    // the read end is closed before the child has started, so its write of the help text meets EPIPE
    const child = spawn(process.execPath, [ELF_BIN, 'send', '--help'], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });
});
