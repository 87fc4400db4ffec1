import { createLogger } from '../../log.js';
import type { Source } from '../../source/types.js';
import type { FleetMetrics } from '../fleet-metrics.js';
import { ownedSource } from '../owned-source.js';
import type { FromWorker, SourceSpec, ToWorker, WorkerJob } from './protocol.js';

/**
 * A worker process of `elf send --workers N` (started by parent.ts with child_process.fork): runs
 * runSend on its slice of the fleet with its own CRT event loop, and reports to the parent over IPC.
 * It never writes to stdout; its log lines go to the shared stderr.
 *
 * It stops (drains briefly, prints nothing, exits) when the parent says so, on SIGINT/SIGTERM, and
 * when the parent dies: the IPC channel then disconnects, even after a SIGKILL of the parent.
 */

/** after the parent is gone: how long the drain may take before the worker exits anyway */
const ORPHAN_EXIT_MS = 15_000;

const ac = new AbortController();
let started = false;

function tell(m: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) return resolve();
    process.send(m, undefined, {}, () => resolve());
  });
}

async function source(spec: SourceSpec, job: WorkerJob): Promise<Source> {
  const src = await import('../../source/index.js');
  const base = spec.kind === 'message' ? src.messageSource(spec.text) : src.fileSource(spec.path, { format: spec.format, strict: spec.strict, maxPayloadBytes: spec.maxPayloadBytes });
  return job.partition ? ownedSource(base, job.partition.positions, job.partition.fleetSize) : base;
}

async function run(job: WorkerJob): Promise<number> {
  const log = createLogger().child({ worker: job.worker });
  try {
    if (job.youngGenerationMb !== undefined) (await import('../../young-generation.js')).limitYoungGeneration(job.youngGenerationMb);
    const { runSend } = await import('../run.js');
    let read: (() => FleetMetrics) | undefined;
    const summary = await runSend(
      { ...job.options, devices: job.devices },
      {
        source: await source(job.source, job),
        logger: log,
        signal: ac.signal,
        onProgress: (progress) => void tell({ type: 'progress', progress, ...(read ? { metrics: read() } : {}) }),
        ...(job.metrics ? { onMetrics: (r: () => FleetMetrics) => (read = r) } : {}),
      },
    );
    await tell({ type: 'done', summary });
    return 0;
  } catch (e) {
    await tell({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    return 1;
  }
}

process.on('message', (m: ToWorker) => {
  if (m.type === 'stop') ac.abort();
  else if (m.type === 'job' && !started) {
    started = true;
    // the device SDK's native client can keep a process alive after its connections are closed:
    // the worker ends itself once its summary is sent (as the CLI does, cli/device-run.ts)
    void run(m.job).then((code) => process.exit(code));
  }
});
process.on('disconnect', () => {
  ac.abort();
  if (!started) process.exit(1);
  setTimeout(() => process.exit(1), ORPHAN_EXIT_MS).unref();
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => ac.abort());
