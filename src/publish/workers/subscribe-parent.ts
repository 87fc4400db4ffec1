import { ElfError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { mergeSubscribeResults, type SubscribeFleetOptions, type SubscribeFleetResult } from '../subscribe-fleet.js';
import type { SubscribeStopReason } from '../subscribe.js';
import { failedSlot } from './parent.js';
import { forkWorkers } from './pool.js';
import { sliceConnectRate, sliceFleet, type Slice } from './slices.js';

/**
 * `elf subscribe --workers N`: N worker processes, each with a contiguous slice of the listening
 * things and its own CRT event loop (as `send --workers`, parent.ts). The parent alone prints: the
 * workers hand it what arrives, in batches, and it counts for the whole set, so `--count n` prints
 * exactly n messages and then stops every worker. A worker that ends without its result is
 * reported with its slice and exit code; the others go on. Ctrl-C stops all and the merged result
 * of what arrived follows.
 */

export interface SubscribeWorkersDeps {
  logger: Logger;
  workers: number;
  signal?: AbortSignal;
  onMessage: (thing: string, topic: string, payload: string) => void;
  /** every worker's things that could subscribe have subscribed */
  onReady?: (subscribed: number) => void;
}

interface Part {
  slice: Slice;
  ready?: number;
  result?: SubscribeFleetResult;
  error?: string;
  ended?: boolean;
}

export async function runSubscribeWorkers(opts: SubscribeFleetOptions, deps: SubscribeWorkersDeps): Promise<SubscribeFleetResult> {
  const n = opts.devices.length;
  const log = deps.logger;
  const parts: Part[] = sliceFleet(n, deps.workers).map((slice) => ({ slice }));
  let received = 0;
  let reason: SubscribeStopReason | undefined = deps.signal?.aborted ? 'aborted' : undefined;
  const onAbort = () => (reason ??= 'aborted');
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  const readyIfAll = () => {
    if (parts.every((p) => p.ready !== undefined || p.ended)) deps.onReady?.(parts.reduce((a, p) => a + (p.ready ?? 0), 0));
  };
  const failed = new Map<Part, ReturnType<typeof failedSlot>>();
  const pool = forkWorkers(
    parts.map(({ slice }) => ({
      type: 'subscribe',
      job: { worker: slice.worker, options: { ...opts, devices: opts.devices.slice(slice.from, slice.to), connectRate: sliceConnectRate(opts.connectRate ?? 100, slice, n) } },
    })),
    {
      ...(deps.signal ? { signal: deps.signal } : {}),
      onMessage: (i, m) => {
        const p = parts[i]!;
        if (m.type === 'ready') {
          p.ready = m.subscribed;
          readyIfAll();
        } else if (m.type === 'messages') {
          for (const [thing, topic, payload] of m.batch) {
            if (opts.count !== undefined && received >= opts.count) break;
            received++;
            deps.onMessage(thing, topic, payload);
            if (opts.count !== undefined && received >= opts.count) {
              reason ??= 'count';
              pool.stopAll();
            }
          }
        } else if (m.type === 'subscribed') p.result = m.result;
        else if (m.type === 'error') p.error = m.message;
      },
      onExit: (i, exit) => {
        const p = parts[i]!;
        p.ended = true;
        if (!p.result) {
          const slot = failedSlot(p.slice, opts.devices.slice(p.slice.from, p.slice.to).map((d) => d.name), exit, p.error);
          failed.set(p, slot);
          log.error({ worker: p.slice.worker, things: slot.things, first: slot.firstThing, last: slot.lastThing, exitCode: exit.code, signal: exit.signal, error: p.error }, 'a worker ended without its result; the others go on');
        }
        readyIfAll();
      },
    },
  );
  log.info({ workers: parts.map((p, i) => ({ worker: p.slice.worker, pid: pool.pids[i], things: p.slice.to - p.slice.from })) }, `${parts.length} worker processes`);
  try {
    await pool.done;
  } finally {
    deps.signal?.removeEventListener('abort', onAbort);
  }
  if (failed.size === parts.length) {
    const first = failed.values().next().value!;
    throw new ElfError(`every worker failed (worker 0: ${first.error ?? (first.signal ? `killed by ${first.signal}` : `exit code ${first.exitCode}`)})`, 'ELF_WORKERS_FAILED');
  }
  const merged = mergeSubscribeResults(
    parts.map((p) => p.result ?? { failed: failed.get(p)!, names: failed.get(p)!.names }),
    reason,
  );
  // what the parent printed is what arrived (a worker may have counted messages past --count)
  return { ...merged, received };
}
