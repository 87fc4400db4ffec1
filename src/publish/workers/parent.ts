import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ElfError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { emptyFleetMetrics, mergeFleetMetrics, type FleetMetrics } from '../fleet-metrics.js';
import { mergeSummaries, type FailedSlot } from '../merge.js';
import type { SendOptions } from '../run.js';
import type { Progress, SendSummary } from '../summary.js';
import type { FromWorker, SourceSpec, ToWorker, WorkerJob } from './protocol.js';
import { sliceConnectRate, sliceFleet, type Slice } from './slices.js';

/**
 * `elf send --workers N`: N worker processes (child.ts), each with a contiguous slice of the fleet
 * and its own CRT event loop (the CRT runs every connection of a process on one thread and cannot
 * be loaded in worker threads). The parent talks to the terminal alone: one progress line for the
 * whole fleet, one summary merged exactly (merge.ts).
 *
 * Faults: a worker that ends without its summary is logged at once with its slice and exit code,
 * the others go on, and the merged summary lists it (failedParts). Abort (Ctrl-C) tells every worker
 * to stop; the summary of what was delivered follows. Workers notice the parent's death through
 * their IPC channel; on the parent's own exit any worker still running is killed.
 */

export interface WorkersDeps {
  source: SourceSpec;
  logger: Logger;
  workers: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** live metrics: a reader of the whole fleet's figures (the workers' latest, merged) */
  onMetrics?: (read: () => FleetMetrics) => void;
  /** --partition: fleet positions of opts.devices and the size of the whole fleet */
  partition?: { positions: number[]; fleetSize: number };
  youngGenerationMb?: (sliceThings: number) => number | undefined;
}

interface Worker {
  slice: Slice;
  child: ChildProcess;
  progress?: Progress;
  metrics?: FleetMetrics;
  summary?: SendSummary;
  error?: string;
}

const childModule = fileURLToPath(new URL('./child.js', import.meta.url));

function sumProgress(ws: Worker[], things: number, elapsedMs: number): Progress {
  const p: Progress = { elapsedMs, things, connected: 0, sent: 0, acked: 0, failed: 0, skipped: 0, inflight: 0, ratePerSec: 0 };
  for (const w of ws) {
    if (!w.progress) continue;
    for (const k of ['connected', 'sent', 'acked', 'failed', 'skipped', 'inflight', 'ratePerSec'] as const) p[k] += w.progress[k];
  }
  return p;
}

function startWorker(slice: Slice, opts: SendOptions, deps: WorkersDeps): Worker {
  const n = opts.devices.length;
  const devices = opts.devices.slice(slice.from, slice.to);
  const { devices: _all, ...options } = opts;
  const ygc = deps.youngGenerationMb?.(devices.length);
  const job: WorkerJob = {
    worker: slice.worker,
    options: { ...options, connectRate: sliceConnectRate(opts.connectRate ?? 100, slice, n) },
    devices,
    source: deps.source,
    ...(deps.partition ? { partition: { positions: deps.partition.positions.slice(slice.from, slice.to), fleetSize: deps.partition.fleetSize } } : {}),
    ...(ygc !== undefined ? { youngGenerationMb: ygc } : {}),
    ...(deps.onMetrics ? { metrics: true } : {}),
  };
  // stdout stays the parent's (results); a worker's log lines share stderr
  const child = fork(childModule, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const w: Worker = { slice, child };
  child.on('message', (m: FromWorker) => {
    if (m.type === 'progress') {
      w.progress = m.progress;
      if (m.metrics) w.metrics = m.metrics;
    }
    else if (m.type === 'done') w.summary = m.summary;
    else w.error = m.message;
  });
  child.send({ type: 'job', job } satisfies ToWorker);
  return w;
}

function failedSlot(w: Worker, names: string[], exitCode: number | null, signal: string | null): FailedSlot {
  return { part: `worker ${w.slice.worker}`, things: names.length, firstThing: names[0]!, lastThing: names.at(-1)!, exitCode, signal, ...(w.error ? { error: w.error } : {}), names };
}

export async function runWorkers(opts: SendOptions, deps: WorkersDeps): Promise<SendSummary> {
  if (opts.devices.length === 0) throw new ElfError('no things to send with: create some first (elf create N)', 'ELF_NO_THINGS');
  const log = deps.logger;
  const slices = sliceFleet(opts.devices.length, deps.workers);
  const t0 = Date.now();
  const workers = slices.map((s) => startWorker(s, opts, deps));
  deps.onMetrics?.(() => mergeFleetMetrics(workers.map((w) => w.metrics ?? emptyFleetMetrics(w.slice.to - w.slice.from))));
  log.info({ workers: workers.map((w) => ({ worker: w.slice.worker, pid: w.child.pid, things: w.slice.to - w.slice.from })) }, `${workers.length} worker processes`);
  const killAll = () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const stopAll = () => {
    for (const w of workers) if (w.child.connected) w.child.send({ type: 'stop' } satisfies ToWorker, () => {});
  };
  if (deps.signal?.aborted) stopAll();
  deps.signal?.addEventListener('abort', stopAll, { once: true });
  const every = opts.progressIntervalMs ?? 1000;
  const timer = deps.onProgress ? setInterval(() => deps.onProgress!(sumProgress(workers, opts.devices.length, Date.now() - t0)), every) : undefined;

  const failed = new Map<Worker, FailedSlot>();
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.child.once('exit', (code, signal) => {
              if (!w.summary) {
                const slot = failedSlot(w, opts.devices.slice(w.slice.from, w.slice.to).map((d) => d.name), code, signal);
                failed.set(w, slot);
                log.error({ worker: w.slice.worker, things: slot.things, first: slot.firstThing, last: slot.lastThing, exitCode: code, signal, error: w.error }, 'a worker ended without its summary; the others go on');
              }
              resolve();
            });
          }),
      ),
    );
  } finally {
    if (timer) clearInterval(timer);
    deps.signal?.removeEventListener('abort', stopAll);
    process.off('exit', killAll);
  }
  if (failed.size === workers.length) {
    const first = failed.values().next().value!;
    throw new ElfError(`every worker failed (worker 0: ${first.error ?? (first.signal ? `killed by ${first.signal}` : `exit code ${first.exitCode}`)})`, 'ELF_WORKERS_FAILED');
  }
  return mergeSummaries({ parts: workers.map((w) => w.summary ?? failed.get(w)!) });
}
