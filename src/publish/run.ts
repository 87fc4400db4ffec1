import { ElfError } from '../errors.js';
import { createConnector } from '../mqtt/index.js';
import { systemClock } from '../util/clock.js';
import { drain } from './drain.js';
import { fleetMetrics } from './fleet-metrics.js';
import { checkHealth } from './health.js';
import { ProgressReporter } from './progress.js';
import { ramp } from './ramp.js';
import { PACER_TICK_MS, RunState } from './run-state.js';
import type { SendDeps, SendOptions } from './send-options.js';
import type { SendSummary } from './summary.js';
import { startThing } from './thing.js';
import type { TrafficSpec } from '../traffic/traffic.js';

/** The fleet's generated traffic, compiled once (the template module is loaded only when used). */
async function traffic(opts: SendOptions): Promise<TrafficSpec | undefined> {
  const root = opts.topic ?? 'elf';
  if (opts.template === undefined && opts.scenario === undefined && !root.includes('{')) return undefined;
  const { trafficSpec } = await import('../traffic/index.js');
  return trafficSpec({
    ...(opts.template ? { template: opts.template } : {}),
    ...(opts.scenario
      ? {
          scenario: {
            file: opts.scenario.file,
            run: { things: opts.devices.length, qos: opts.qos, intervalSec: opts.interval ?? 1, seed: opts.seed ?? 0, ...(opts.count !== undefined ? { count: opts.count } : {}), ...(opts.policyRoot !== undefined ? { policyRoot: opts.policyRoot } : {}), ...(opts.strict ? { strict: true } : {}) },
          },
        }
      : {}),
    topic: root.includes('{') && opts.appendThingName ? `${root}/{thing}` : root,
    seed: opts.seed ?? 0,
    intervalSec: opts.interval ?? 1,
  });
}

export type { SendDeps, SendDevice, SendOptions } from './send-options.js';

/**
 * `elf send`: one connection per thing with its own certificate, connections ramped at
 * `connectRate`, each thing publishing as soon as it is connected, one shared pass over the source.
 * The steps share one RunState: ramp.ts starts the things (thing.ts), health.ts watches their
 * connections and gives up, progress.ts reports, drain.ts ends the run and sums it up.
 */
export async function runSend(opts: SendOptions, deps: SendDeps): Promise<SendSummary> {
  if (opts.devices.length === 0) throw new ElfError('no things to send with: create some first (elf create N)', 'ELF_NO_THINGS');
  const clock = deps.clock ?? systemClock;
  const connector = deps.connector ?? createConnector();
  const run = new RunState(opts, clock, deps.logger, deps.source);
  deps.onMetrics?.(() => fleetMetrics(run));
  run.traffic = await traffic(opts);
  const onUserAbort = () => run.halt('aborted');
  if (deps.signal?.aborted) run.halt('aborted');
  deps.signal?.addEventListener('abort', onUserAbort, { once: true });
  // a tick late: the pacer wakes a slot due in the last tick before the end at or after the end,
  // and it must still be sent (every thing ends by itself at its first slot past the end)
  const { durationMs } = run.spec;
  const durationTimer = durationMs === undefined ? undefined : clock.after(durationMs + PACER_TICK_MS, () => run.halt('duration'));
  const progress = new ProgressReporter(run, deps.onProgress);
  const watch = clock.every(Math.min(250, run.settings.progressEveryMs), () => {
    checkHealth(run);
    progress.tick();
  });
  try {
    const started = await ramp(run, (k, handshakeDone) => startThing(run, k, connector, handshakeDone));
    await Promise.all(started);
    const summary = await drain(run);
    const failed = run.traffic?.scenario?.failures;
    if (failed && failed.count > 0) run.log.warn({ failed: failed.count }, `${failed.first} (${failed.count} message${failed.count === 1 ? '' : 's'} skipped: the generator failed on ${failed.count === 1 ? 'it' : 'them'})`);
    const r = run.replay;
    if (r && (r.missing > 0 || r.outOfOrder > 0)) run.log.warn({ missingTime: r.missing, outOfOrder: r.outOfOrder }, `replay: ${r.missing} lines without a readable time and ${r.outOfOrder} earlier than the line before them were sent at once`);
    return summary;
  } finally {
    watch.cancel();
    durationTimer?.cancel();
    deps.signal?.removeEventListener('abort', onUserAbort);
    run.stopAll();
    await run.feed.close().catch(() => {});
  }
}
