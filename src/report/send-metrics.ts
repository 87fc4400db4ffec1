import { Counter, Gauge, Registry } from 'prom-client';
import type { FleetMetrics } from '../publish/fleet-metrics.js';
import type { ScrapedRegistry } from './metrics-server.js';
import { MirroredHistogram } from './prom-histogram.js';

/**
 * `elf send --metrics-port`: the fleet's figures as Prometheus metrics, read from `read()` at each
 * scrape (one process's run, or the workers' figures merged by the parent). Counters and gauges
 * only mirror counts the run keeps anyway: the publish path does nothing more for them.
 */
export const SEND_METRICS = {
  things: 'elf_send_things',
  sent: 'elf_send_messages_sent_total',
  acked: 'elf_send_messages_acked_total',
  failed: 'elf_send_messages_failed_total',
  skipped: 'elf_send_messages_skipped_total',
  inflight: 'elf_send_messages_in_flight',
  connected: 'elf_send_connections',
  everConnected: 'elf_send_things_connected',
  drops: 'elf_send_connection_drops_total',
  reconnects: 'elf_send_reconnects_total',
  latency: 'elf_send_ack_latency_seconds',
} as const;

const HELP: Record<keyof typeof SEND_METRICS, string> = {
  things: 'things in this run',
  sent: 'publishes handed to the MQTT client',
  acked: 'publishes acknowledged by the broker (QoS 1: PUBACK; QoS 0: written)',
  failed: 'publishes the client gave up on',
  skipped: 'input lines not sent (over the payload limit)',
  inflight: 'publishes waiting for their acknowledgement',
  connected: 'MQTT connections up now',
  everConnected: 'things that connected at least once',
  drops: 'connections that were interrupted',
  reconnects: 'connections that came back after an interruption',
  latency: 'QoS 1 acknowledgement latency (PUBLISH to PUBACK)',
};

const GAUGES = new Set<keyof FleetMetrics>(['things', 'inflight', 'connected', 'everConnected']);

export function sendMetricsRegistry(read: () => FleetMetrics, labels: Record<string, string> = {}): ScrapedRegistry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  let snapshot: FleetMetrics | undefined;
  const current = () => (snapshot ??= read());
  for (const key of Object.keys(SEND_METRICS) as Array<keyof typeof SEND_METRICS>) {
    if (key === 'latency') continue;
    const cfg = { name: SEND_METRICS[key], help: HELP[key], registers: [registry] };
    if (GAUGES.has(key)) {
      new Gauge({ ...cfg, collect() { this.set(current()[key]); } });
    } else {
      new Counter({ ...cfg, collect() { this.reset(); this.inc(current()[key]); } });
    }
  }
  new MirroredHistogram({ name: SEND_METRICS.latency, help: HELP.latency, registers: [registry] }, () => current().latency);
  return {
    registry,
    beforeScrape: () => {
      snapshot = undefined;
    },
  };
}
