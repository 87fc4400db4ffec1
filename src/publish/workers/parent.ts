import { ElfError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { emptyFleetMetrics, mergeFleetMetrics, type FleetMetrics } from '../fleet-metrics.js';
import { mergeSummaries, type FailedSlot } from '../merge.js';
import type { SendOptions } from '../run.js';
import type { Progress, SendSummary } from '../summary.js';
import { forkWorkers, type WorkerExit } from './pool.js';
import type { SourceSpec, WorkerJob } from './protocol.js';
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
  progress?: Progress;
  metrics?: FleetMetrics;
  summary?: SendSummary;
  error?: string;
}

function sumProgress(ws: Worker[], things: number, elapsedMs: number): Progress {
  const p: Progress = { elapsedMs, things, connected: 0, sent: 0, acked: 0, failed: 0, skipped: 0, inflight: 0, ratePerSec: 0 };
  for (const w of ws) {
    if (!w.progress) continue;
    for (const k of ['connected', 'sent', 'acked', 'failed', 'skipped', 'inflight', 'ratePerSec'] as const) p[k] += w.progress[k];
  }
  return p;
}

function jobOf(slice: Slice, opts: SendOptions, deps: WorkersDeps): WorkerJob {
  const n = opts.devices.length;
  const devices = opts.devices.slice(slice.from, slice.to);
  const { devices: _all, ...options } = opts;
  const ygc = deps.youngGenerationMb?.(devices.length);
  return {
    worker: slice.worker,
    options: { ...options, connectRate: sliceConnectRate(opts.connectRate ?? 100, slice, n) },
    devices,
    source: deps.source,
    ...(deps.partition ? { partition: { positions: deps.partition.positions.slice(slice.from, slice.to), fleetSize: deps.partition.fleetSize } } : {}),
    ...(ygc !== undefined ? { youngGenerationMb: ygc } : {}),
    ...(deps.onMetrics ? { metrics: true } : {}),
  };
}

/** A worker that ended without its result: its slice, exit code or signal, and its things' names. */
export function failedSlot(slice: Slice, names: string[], exit: WorkerExit, error: string | undefined): FailedSlot {
  return { part: `worker ${slice.worker}`, things: names.length, firstThing: names[0]!, lastThing: names.at(-1)!, exitCode: exit.code, signal: exit.signal, ...(error ? { error } : {}), names };
}

export async function runWorkers(opts: SendOptions, deps: WorkersDeps): Promise<SendSummary> {
  if (opts.devices.length === 0) throw new ElfError('no things to send with: create some first (elf create N)', 'ELF_NO_THINGS');
  const log = deps.logger;
  const workers: Worker[] = sliceFleet(opts.devices.length, deps.workers).map((slice) => ({ slice }));
  const t0 = Date.now();
  const failed = new Map<Worker, FailedSlot>();
  const pool = forkWorkers(
    workers.map((w) => ({ type: 'job', job: jobOf(w.slice, opts, deps) })),
    {
      ...(deps.signal ? { signal: deps.signal } : {}),
      onMessage: (i, m) => {
        const w = workers[i]!;
        if (m.type === 'progress') {
          w.progress = m.progress;
          if (m.metrics) w.metrics = m.metrics;
        } else if (m.type === 'done') w.summary = m.summary;
        else if (m.type === 'error') w.error = m.message;
      },
      onExit: (i, exit) => {
        const w = workers[i]!;
        if (w.summary) return;
        const slot = failedSlot(w.slice, opts.devices.slice(w.slice.from, w.slice.to).map((d) => d.name), exit, w.error);
        failed.set(w, slot);
        log.error({ worker: w.slice.worker, things: slot.things, first: slot.firstThing, last: slot.lastThing, exitCode: exit.code, signal: exit.signal, error: w.error }, 'a worker ended without its summary; the others go on');
      },
    },
  );
  deps.onMetrics?.(() => mergeFleetMetrics(workers.map((w) => w.metrics ?? emptyFleetMetrics(w.slice.to - w.slice.from))));
  log.info({ workers: workers.map((w, i) => ({ worker: w.slice.worker, pid: pool.pids[i], things: w.slice.to - w.slice.from })) }, `${workers.length} worker processes`);
  const every = opts.progressIntervalMs ?? 1000;
  const timer = deps.onProgress ? setInterval(() => deps.onProgress!(sumProgress(workers, opts.devices.length, Date.now() - t0)), every) : undefined;
  try {
    await pool.done;
  } finally {
    if (timer) clearInterval(timer);
  }
  if (failed.size === workers.length) {
    const first = failed.values().next().value!;
    throw new ElfError(`every worker failed (worker 0: ${first.error ?? (first.signal ? `killed by ${first.signal}` : `exit code ${first.exitCode}`)})`, 'ELF_WORKERS_FAILED');
  }
  return mergeSummaries({ parts: workers.map((w) => w.summary ?? failed.get(w)!) });
}
