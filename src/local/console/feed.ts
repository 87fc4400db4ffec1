import type { ServerResponse } from 'node:http';
import type { Registry } from '../registry/index.js';
import type { RuleService } from '../rules/index.js';
import type { ShadowService } from '../shadow.js';
import type { Traffic } from '../traffic.js';
import { SseStream } from './stream.js';
import { buildView, type ShadowEntry } from './view.js';

/**
 * The `view` and `rate` events of GET /console/events. The registry part of the view is read again
 * only when the registry says it changed (Registry.onChange), and then pushed at once (coalesced:
 * one view per event-loop turn however many changes a call made). The counters (traffic per client,
 * shadows, rule counts and sink rows) change with every message, so they are checked every
 * VIEW_CHECK_MS and pushed when they differ from what a page last got.
 */

export const VIEW_CHECK_MS = 500;

function shadowEntries(shadows: ShadowService): ShadowEntry[] {
  return Object.keys(shadows.snapshot()).flatMap((k) => {
    const [thingName, name] = k.split('\u0000') as [string, string | undefined];
    const document = shadows.document(thingName, name) as ShadowEntry['document'] | undefined;
    return document ? [{ thingName, ...(name !== undefined ? { name } : {}), document }] : [];
  });
}

export interface FeedDeps {
  registry: Pick<Registry, 'snapshot' | 'onChange'>;
  traffic: Traffic;
  shadows: ShadowService;
  rules?: Pick<RuleService, 'rules' | 'stats' | 'ruleCounters' | 'recentRows'>;
  /** how often the counters are checked for a change; default VIEW_CHECK_MS */
  viewCheckMs?: number;
}

export function startViewFeed(d: FeedDeps, streams: Set<SseStream>) {
  let registry = d.registry.snapshot();
  let registryStale = false;
  const view = () => {
    if (registryStale) {
      registry = d.registry.snapshot();
      registryStale = false;
    }
    return buildView({
      registry,
      shadows: shadowEntries(d.shadows),
      clients: d.traffic.clients(),
      traffic: d.traffic.totals(),
      ...(d.rules ? { rules: d.rules.rules.snapshot() } : {}),
      ...(d.rules?.stats() ? { ruleStats: d.rules.stats() } : {}),
      ...(d.rules ? { ruleCounters: d.rules.ruleCounters(), sinks: d.rules.recentRows() } : {}),
    });
  };
  const viewers = new Map<SseStream, { last: string }>();
  const pushView = () => {
    if (viewers.size === 0) return;
    const text = JSON.stringify(view());
    for (const [s, state] of viewers) {
      if (state.last === text) continue;
      state.last = text;
      s.send('view', JSON.parse(text));
    }
  };
  let pushScheduled = false;
  const offRegistry = d.registry.onChange(() => {
    registryStale = true;
    if (pushScheduled) return;
    pushScheduled = true;
    setImmediate(() => {
      pushScheduled = false;
      pushView();
    });
  });
  let lastRateSecond = 0;
  const tick = setInterval(() => {
    if (viewers.size === 0) return;
    pushView();
    const fresh = d.traffic.seconds().filter((s) => s.t >= lastRateSecond);
    lastRateSecond = Math.floor(Date.now() / 1000) - 1;
    if (fresh.length > 0) for (const s of viewers.keys()) s.send('rate', { seconds: fresh, now: Date.now() });
  }, d.viewCheckMs ?? VIEW_CHECK_MS);
  tick.unref();
  return {
    open(res: ServerResponse) {
      const s: SseStream = new SseStream(res, () => {
        viewers.delete(s);
        streams.delete(s);
      });
      streams.add(s);
      const v = view();
      viewers.set(s, { last: JSON.stringify(v) });
      s.send('view', v);
      s.send('rate', { seconds: d.traffic.seconds(), now: Date.now() });
    },
    stop: () => {
      clearInterval(tick);
      offRegistry();
    },
  };
}
