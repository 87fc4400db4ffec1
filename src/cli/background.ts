import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { ElfError } from '../errors.js';

/**
 * `--background`: runs this same command again as a detached child, in its own session (setsid), so
 * that closing the terminal (SIGHUP to its process group) does not reach it — `nohup` is not enough
 * for Node, which resets inherited signal dispositions at start-up. The child's stdout and stderr go
 * to a log file; it reports readiness over an IPC channel (see reportReady) and is then left alone.
 */

export interface ReadyMessage {
  type: 'elf-ready';
  lines: string[];
}

export interface BackgroundOptions {
  /** argv for the child, after the script (e.g. ['local', '--port', '0']) */
  args: string[];
  logFile: string;
  /** how long the child has to report readiness before it is stopped */
  readyTimeoutMs: number;
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Starts the child and resolves with its pid and ready lines once it is ready; rejects with the log's tail if it exits first. */
export function startInBackground(opts: BackgroundOptions): Promise<{ pid: number; ready: ReadyMessage }> {
  const log = openSync(opts.logFile, 'a', 0o600);
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...opts.args], {
    detached: true,
    stdio: ['ignore', log, log, 'ipc'],
  });
  closeSync(log);
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      const logged = tail(opts.logFile);
      reject(new ElfError(`${why} (log: ${opts.logFile})${logged ? `:\n${logged}` : ''}`));
    };
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      fail(`the background process did not become ready within ${opts.readyTimeoutMs / 1000} s; stopped it`);
    }, opts.readyTimeoutMs);
    child.once('error', (e) => fail(`could not start the background process: ${e.message}`));
    child.once('exit', (code, signal) => fail(`the background process exited before it was ready (${signal ?? `exit code ${code}`})`));
    child.on('message', (m: ReadyMessage) => {
      if (m?.type !== 'elf-ready') return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.disconnect();
      child.unref();
      resolve({ pid: child.pid!, ready: m });
    });
  });
}

/** In a child started by startInBackground: tells the parent it is ready and lets the channel go. */
export function reportReady(lines: string[]): void {
  if (!process.send || !process.connected) return;
  const message: ReadyMessage = { type: 'elf-ready', lines };
  process.send(message, () => process.disconnect());
}

/** This process's own arguments without the given flag, for the child to run. */
export function argsWithout(flag: string, argv: string[] = process.argv.slice(2)): string[] {
  return argv.filter((a) => a !== flag);
}
