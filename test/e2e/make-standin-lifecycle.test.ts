import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, ROOT, runCli, startCli } from '../helpers/cli.js';
import { freePort } from '../helpers/net.js';

/**
 * Issue 17, items 1 and 2: the stand-in `make bootstrap` starts outlives the terminal that started it
 * (SIGHUP to that shell's process group); a state dir removed under a running stand-in is put back
 * instead of answered with 500s; `make clean` never removes the state of a stand-in it did not stop;
 * Ctrl-C on a stand-in whose state dir vanished stops it without a stack trace.
 */

const work = mkdtempSync(path.join(tmpdir(), 'elf-make-standin-'));
for (const f of ['Makefile', 'bin', 'dist', 'src', 'data', 'node_modules', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
  symlinkSync(path.join(ROOT, f), path.join(work, f));
}
const toReap: number[] = [];
afterAll(() => {
  for (const pid of toReap) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  rmSync(work, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function make(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync('make', ['--no-print-directory', '-o', 'dist', '-o', 'node_modules', ...args], { cwd: work, env: cleanEnv(env), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

async function ports(): Promise<string[]> {
  return [`LOCAL_PORT=${await freePort()}`, `LOCAL_MQTT_PORT=${await freePort()}`];
}

describe('the stand-in make starts', () => {
  it('survives SIGHUP to the process group of the shell that started it, and rebuilds a state dir removed under it', async () => {
    const vars = [...(await ports()), 'LOCAL_DIR=.elf-hup'];
    const url = `http://127.0.0.1:${vars[0]!.split('=')[1]}`;
    // a terminal's shell: its own process group, as a job of an interactive shell is
    const shell = spawn('bash', ['-c', `make --no-print-directory -o dist -o node_modules local-start ${vars.join(' ')}`], { cwd: work, env: cleanEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    shell.stdout.on('data', (d: Buffer) => (out += d.toString()));
    shell.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => shell.on('close', resolve));
    expect(code, out).toBe(0);
    const pid = Number(readFileSync(path.join(work, '.elf-hup/local.pid'), 'utf8'));
    toReap.push(pid);

    // the terminal closes: SIGHUP to every process still in the shell's group (none, once it is detached)
    try {
      process.kill(-shell.pid!, 'SIGHUP');
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe('ESRCH');
    }
    expect((await fetch(`${url}/elf/info`)).status).toBe(200);
    expect(alive(pid)).toBe(true);

    // `rm -rf` of its state under it: the next create works and the state is back on disk
    rmSync(path.join(work, '.elf-hup/local'), { recursive: true, force: true });
    const created = await runCli(['create', '1', '--state-dir', 'misc-hup'], { cwd: work, env: cleanEnv({ ELF_LOCAL_URL: url }) });
    expect(created.exitCode, created.stderr).toBe(0);
    expect(existsSync(path.join(work, '.elf-hup/local/registry.json'))).toBe(true);
    expect(existsSync(path.join(work, '.elf-hup/local/ca.pem'))).toBe(true);
    expect(readFileSync(path.join(work, '.elf-hup/local.log'), 'utf8')).toMatch(/state directory was removed while the stand-in ran; recreated it/);

    const clean = make(['clean', 'STATE_DIR=misc-hup', ...vars]);
    expect(clean.code, clean.out).toBe(0);
    expect(clean.out).toMatch(/removed 1 of 1 things/);
    expect(clean.out).toMatch(/stopped the local stand-in/);
    expect(alive(pid)).toBe(false);
    expect(existsSync(path.join(work, '.elf-hup'))).toBe(false);
  }, 180_000);

  it('make clean leaves the state of a stand-in it did not start, and says so; Ctrl-C on it after its state vanished prints no stack trace', async () => {
    const vars = [...(await ports()), 'LOCAL_DIR=.elf-hand'];
    const [port, mqttPort] = vars.map((v) => v.split('=')[1]!);
    // bootstrap once started a stand-in here (the marker), which has since died; the user started one by hand
    mkdirSync(path.join(work, '.elf-hand'), { recursive: true });
    writeFileSync(path.join(work, '.elf-hand/bootstrap-started'), '');
    const hand = startCli(['local', '--state-dir', '.elf-hand/local', '--port', port!, '--mqtt-port', mqttPort!], { cwd: work });
    await hand.waitFor(/MQTT broker/);
    toReap.push(hand.child.pid!);

    const clean = make(['clean', 'STATE_DIR=misc-hand', ...vars]);
    expect(clean.code, clean.out).toBe(0);
    expect(clean.out).toMatch(/a stand-in that make did not start \(pid \d+\) still uses \.elf-hand\/local: left it running and kept its state/);
    expect(existsSync(path.join(work, '.elf-hand/local/ca.pem'))).toBe(true);
    expect(alive(hand.child.pid!)).toBe(true);

    // its state removed anyway (by hand): Ctrl-C still stops it cleanly
    rmSync(path.join(work, '.elf-hand'), { recursive: true, force: true });
    const stopped = await hand.kill('SIGINT');
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    expect(stopped.stderr).not.toMatch(/internal error|\n\s+at /);
  }, 180_000);

  it('a second stand-in on the same state dir is refused in one line naming the first', async () => {
    const dir = path.join(work, 'shared-state');
    const first = startCli(['local', '--state-dir', dir, '--port', '0', '--mqtt-port', '0'], { cwd: work });
    await first.waitFor(/MQTT broker/);
    toReap.push(first.child.pid!);
    const second = await runCli(['local', '--state-dir', dir, '--port', '0', '--mqtt-port', '0'], { cwd: work, timeoutMs: 60_000 });
    expect(second.exitCode).toBe(1);
    expect(second.stderr.trim()).toBe(`elf: --state-dir ${dir} is in use by another elf local (pid ${first.child.pid}); stop it first, or choose another --state-dir`);
    expect((await first.kill('SIGTERM')).exitCode).toBe(0);
  }, 120_000);
});

describe('a port in use under make', () => {
  it('names the make variable that sets the busy port, with its value (#17 item 11)', async () => {
    const net = await import('node:net');
    const busy = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => busy.once('listening', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = make(['local-start', `LOCAL_PORT=${await freePort()}`, `LOCAL_MQTT_PORT=${port}`, 'LOCAL_DIR=.elf-busy']);
      expect(r.code, r.out).not.toBe(0);
      expect(r.out).toMatch(new RegExp(`elf: --mqtt-port ${port} on 127\\.0\\.0\\.1 is already in use`));
      expect(r.out).toMatch(new RegExp(`its --mqtt-port LOCAL_MQTT_PORT=${port}: pick free ones`));
    } finally {
      busy.close();
    }
  }, 120_000);
});
