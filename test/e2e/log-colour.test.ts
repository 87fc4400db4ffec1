import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ELF_BIN } from '../helpers/cli.js';

/**
 * Issue 17, item 8: NO_COLOR, FORCE_COLOR and a terminal. `elf local --host 0.0.0.0` on a busy port
 * logs an INFO and a WARN line and exits; run under `script` it has a real terminal (a pty).
 */
const hasScript = spawnSync('script', ['--version']).error === undefined;
// eslint-disable-next-line no-control-regex
const ANSI_COLOUR = /\u001b\[\d+(;\d+)*m/;

let work: string;
let busy: net.Server;
let busyPort: number;
beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'elf-colour-'));
  busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, '0.0.0.0', r));
  busyPort = (busy.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => busy.close(r));
  rmSync(work, { recursive: true, force: true });
});

function elfLocalArgs(name: string): string[] {
  return [ELF_BIN, 'local', '--host', '0.0.0.0', '--port', String(busyPort), '--mqtt-port', '0', '--state-dir', path.join(work, name)];
}

/** the command on a pseudo-terminal: stdout and stderr both come back through script's stdout */
function onTerminal(name: string, env: NodeJS.ProcessEnv): string {
  const cmd = [process.execPath, ...elfLocalArgs(name)].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { env: cleanEnv(env), encoding: 'utf8', timeout: 60_000 });
  return r.stdout;
}

function piped(name: string, env: NodeJS.ProcessEnv): string {
  return spawnSync(process.execPath, elfLocalArgs(name), { env: cleanEnv(env), encoding: 'utf8', timeout: 60_000 }).stderr;
}

describe.runIf(hasScript)('log colours', { concurrent: true }, () => {
  it('a terminal gets coloured lines by default', () => {
    const out = onTerminal('tty', {});
    expect(out).toMatch(/WARN/);
    expect(out).toMatch(ANSI_COLOUR);
    // a record's fields in words on its line, not a block of programmers' names below it (#17 item 11)
    expect(out).toMatch(/created a new local certificate authority \(ca [^)]+\)/);
    expect(out).not.toMatch(/^[ \t]+[a-zA-Z]+: /m);
  }, 90_000);

  it('NO_COLOR turns colour off on a terminal', () => {
    const out = onTerminal('no-color', { NO_COLOR: '1' });
    expect(out).toMatch(/WARN/);
    expect(out).not.toMatch(ANSI_COLOUR);
  }, 90_000);

  it('a pipe gets JSON lines without colour; FORCE_COLOR asks for coloured lines anyway', () => {
    const json = piped('pipe', {});
    expect(json).toMatch(/"level":40/);
    expect(json).not.toMatch(ANSI_COLOUR);
    const forced = piped('forced', { FORCE_COLOR: '1' });
    expect(forced).toMatch(/WARN/);
    expect(forced).toMatch(ANSI_COLOUR);
    expect(piped('forced-off', { FORCE_COLOR: '0' })).not.toMatch(ANSI_COLOUR);
  }, 90_000);
});
