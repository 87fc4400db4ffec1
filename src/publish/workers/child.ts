import { createLogger } from '../../log.js';
import type { Source } from '../../source/types.js';
import type { FleetMetrics } from '../fleet-metrics.js';
import { ownedSource } from '../owned-source.js';
import type { Arrived, FromWorker, SourceSpec, SubscribeJob, ToWorker, WorkerJob } from './protocol.js';

/**
 * A worker process of `elf send --workers N` or `elf subscribe --workers N` (started by pool.ts with
 * child_process.fork): runs runSend or runSubscribeFleet on its slice of the fleet with its own CRT
 * event loop, and reports to the parent over IPC.
 * It never writes to stdout; its log lines go to the shared stderr.
 *
 * It stops (drains briefly, prints nothing, exits) when the parent says so, on SIGINT/SIGTERM, and
 * when the parent dies: the IPC channel then disconnects, even after a SIGKILL of the parent.
 */

/** after the parent is gone: how long the drain may take before the worker exits anyway */
const ORPHAN_EXIT_MS = 15_000;

/** messages that arrived are sent to the parent at most this many at once, at least this often */
const BATCH = 512;
const BATCH_MS = 20;

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

/** `elf subscribe --workers N`: this worker's things listen; what arrives goes to the parent in batches. */
async function listen(job: SubscribeJob): Promise<number> {
  const log = createLogger().child({ worker: job.worker });
  let batch: Arrived[] = [];
  let flushing: NodeJS.Timeout | undefined;
  const flush = () => {
    flushing = undefined;
    if (batch.length === 0) return Promise.resolve();
    const m: FromWorker = { type: 'messages', batch };
    batch = [];
    return tell(m);
  };
  try {
    const { runSubscribeFleet } = await import('../subscribe-fleet.js');
    const result = await runSubscribeFleet(job.options, {
      logger: log,
      signal: ac.signal,
      onReady: (subscribed) => void tell({ type: 'ready', subscribed }),
      onMessage: (thing, topic, payload) => {
        batch.push([thing, topic, payload.toString('utf8')]);
        if (batch.length >= BATCH) void flush();
        else flushing ??= setTimeout(() => void flush(), BATCH_MS);
      },
    });
    if (flushing) clearTimeout(flushing);
    await flush();
    await tell({ type: 'subscribed', result });
    return 0;
  } catch (e) {
    await tell({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    return 1;
  }
}

process.on('message', (m: ToWorker) => {
  if (m.type === 'stop') ac.abort();
  else if (!started) {
    started = true;
    // the device SDK's native client can keep a process alive after its connections are closed:
    // the worker ends itself once its summary is sent (as the CLI does, cli/device-run.ts)
    void (m.type === 'job' ? run(m.job) : listen(m.job)).then((code) => process.exit(code));
  }
});
process.on('disconnect', () => {
  ac.abort();
  if (!started) process.exit(1);
  setTimeout(() => process.exit(1), ORPHAN_EXIT_MS).unref();
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => ac.abort());
