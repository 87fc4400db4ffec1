import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ELF_BIN = path.join(ROOT, 'bin/elf.js');

export interface CliResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
}

/**
 * Environment for a spawned elf: no AWS credentials or endpoint from the developer's machine leak
 * into a test, JSON logs (stderr is not a TTY anyway).
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('AWS_') || k.startsWith('ELF_')) continue;
    // JSON logs whatever the developer's terminal settings (FORCE_COLOR turns on pretty lines)
    if (k === 'FORCE_COLOR' || k === 'NO_COLOR') continue;
    env[k] = v;
  }
  // keep the SDK from reading ~/.aws of the machine running the tests
  env.AWS_CONFIG_FILE = '/nonexistent/elf-test-aws-config';
  env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/elf-test-aws-credentials';
  env.AWS_EC2_METADATA_DISABLED = 'true';
  return { ...env, ...extra };
}

/** Runs the built CLI to completion. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const child = startCli(args, opts);
  if (opts.input !== undefined) child.child.stdin?.end(opts.input);
  else child.child.stdin?.end();
  return child.done;
}

export interface RunningCli {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  done: Promise<CliResult>;
  /** Resolves when stdout (or stderr) matches; on timeout rejects showing what was captured. */
  waitFor(pattern: RegExp, opts?: { stream?: 'stdout' | 'stderr'; timeoutMs?: number }): Promise<RegExpMatchArray>;
  kill(signal?: NodeJS.Signals): Promise<CliResult>;
}

export function startCli(args: string[], opts: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, [ELF_BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? cleanEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    for (const l of listeners) l();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const l of listeners) l();
  });
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      for (const l of listeners) l();
      resolve({ stdout, stderr, exitCode, signal });
    });
  });
  const running: RunningCli = {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    done,
    waitFor(pattern, { stream = 'stdout', timeoutMs: wait = 30_000 } = {}) {
      return new Promise((resolve, reject) => {
        let finished = false;
        const check = () => {
          if (finished) return;
          const m = (stream === 'stdout' ? stdout : stderr).match(pattern);
          if (m) {
            finished = true;
            listeners.delete(check);
            clearTimeout(t);
            resolve(m);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            finished = true;
            listeners.delete(check);
            clearTimeout(t);
            reject(new Error(`process exited before ${pattern} appeared\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
          }
        };
        const t = setTimeout(() => {
          finished = true;
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
        }, wait);
        listeners.add(check);
        check();
      });
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return done;
    },
  };
  return running;
}
