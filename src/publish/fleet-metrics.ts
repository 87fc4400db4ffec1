import { LatencyHistogram, type SerializedHistogram } from './histogram.js';
import type { RunState } from './run-state.js';

/**
 * The fleet's figures at one moment, for live metrics (`--metrics-port`): read from the things'
 * counters when asked (a scrape), never on the publish path. Plain JSON, so a worker sends it to its
 * parent with its progress and the parent adds the workers' up exactly (mergeFleetMetrics).
 */
export interface FleetMetrics {
  things: number;
  sent: number;
  acked: number;
  failed: number;
  skipped: number;
  inflight: number;
  /** connections up now */
  connected: number;
  /** things that connected at least once */
  everConnected: number;
  /** connections that dropped */
  drops: number;
  /** connections that came back after a drop */
  reconnects: number;
  /** QoS 1 acknowledgement latency so far */
  latency: SerializedHistogram;
}

export function emptyFleetMetrics(things = 0): FleetMetrics {
  return { things, sent: 0, acked: 0, failed: 0, skipped: 0, inflight: 0, connected: 0, everConnected: 0, drops: 0, reconnects: 0, latency: new LatencyHistogram().toJSON() };
}

/** The run's figures now: one pass over the things (a scrape costs O(things), a publish nothing). */
export function fleetMetrics(run: RunState): FleetMetrics {
  const m = emptyFleetMetrics(run.settings.things);
  const hist = new LatencyHistogram();
  for (const s of run.stats) {
    m.sent += s.sent;
    m.acked += s.acked;
    m.failed += s.failed;
    m.skipped += s.skipped;
    m.inflight += s.inflight;
    m.drops += s.interruptions;
    m.reconnects += s.reconnects;
    hist.merge(s.latency);
  }
  m.connected = run.health.connectedNow;
  m.everConnected = run.health.everConnected;
  m.latency = hist.toJSON();
  return m;
}

/** Pure: the figures of a fleet from those of its parts (workers): counts added, histograms merged. */
export function mergeFleetMetrics(parts: FleetMetrics[]): FleetMetrics {
  const m = emptyFleetMetrics();
  const hist = new LatencyHistogram();
  for (const p of parts) {
    for (const k of ['things', 'sent', 'acked', 'failed', 'skipped', 'inflight', 'connected', 'everConnected', 'drops', 'reconnects'] as const) m[k] += p[k];
    hist.merge(LatencyHistogram.fromJSON(p.latency));
  }
  m.latency = hist.toJSON();
  return m;
}
