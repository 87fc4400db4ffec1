import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromWorker, ToWorker } from './protocol.js';

/**
 * The worker processes of `elf send --workers N` and `elf subscribe --workers N` (child.ts, one job
 * each), and the rules they live by: stdout stays the parent's (results), their log lines share
 * stderr; abort (Ctrl-C) tells every worker to stop; on the parent's own exit any worker still
 * running is killed; a worker notices the parent's death through its IPC channel (child.ts).
 */

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Pool {
  pids: Array<number | undefined>;
  /** tell every worker still connected to stop (drain and report) */
  stopAll(): void;
  /** every worker's exit, in job order */
  done: Promise<WorkerExit[]>;
}

const childModule = fileURLToPath(new URL('./child.js', import.meta.url));

export interface PoolDeps {
  signal?: AbortSignal;
  onMessage: (worker: number, m: FromWorker) => void;
  /** a worker exited (after its last message) */
  onExit?: (worker: number, exit: WorkerExit) => void;
}

export function forkWorkers(jobs: ToWorker[], deps: PoolDeps): Pool {
  const children: ChildProcess[] = jobs.map((job, i) => {
    const child = fork(childModule, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.on('message', (m: FromWorker) => deps.onMessage(i, m));
    child.send(job);
    return child;
  });
  const killAll = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const stopAll = () => {
    for (const c of children) if (c.connected) c.send({ type: 'stop' } satisfies ToWorker, () => {});
  };
  if (deps.signal?.aborted) stopAll();
  deps.signal?.addEventListener('abort', stopAll, { once: true });
  const exited = (c: ChildProcess, i: number) =>
    new Promise<WorkerExit>((resolve) =>
      c.once('exit', (code, signal) => {
        deps.onExit?.(i, { code, signal });
        resolve({ code, signal });
      }),
    );
  const done = Promise.all(children.map(exited)).finally(() => {
    deps.signal?.removeEventListener('abort', stopAll);
    process.off('exit', killAll);
  });
  return { pids: children.map((c) => c.pid), stopAll, done };
}
