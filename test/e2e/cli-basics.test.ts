import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

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
});
