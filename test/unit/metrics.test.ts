import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyFleetMetrics, mergeFleetMetrics, type FleetMetrics } from '../../src/publish/fleet-metrics.js';
import { LatencyHistogram } from '../../src/publish/histogram.js';
import { attachTraffic, Traffic } from '../../src/local/traffic.js';
import { BrokerEvents } from '../../src/local/broker/events.js';
import { byRoot, LOCAL_METRICS, localFigures, localMetricsRegistry, MAX_ROOT_LABELS, OTHER_ROOTS } from '../../src/report/local-metrics.js';
import { promBuckets } from '../../src/report/prom-histogram.js';
import { SEND_METRICS, sendMetricsRegistry } from '../../src/report/send-metrics.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { pino } from 'pino';

const ROOT = path.resolve(import.meta.dirname, '../..');

function fleet(over: Partial<FleetMetrics>, latencies: number[] = []): FleetMetrics {
  const h = new LatencyHistogram();
  for (const l of latencies) h.record(l);
  return { ...emptyFleetMetrics(), ...over, latency: h.toJSON() };
}

async function exposition(r: { registry: { metrics(): Promise<string> }; beforeScrape(): void }) {
  r.beforeScrape();
  return parsePrometheus(await r.registry.metrics());
}

describe('send metrics', () => {
  it('mirror the fleet figures, one read per scrape, latency as cumulative seconds buckets', async () => {
    let reads = 0;
    const m = fleet({ things: 3, sent: 10, acked: 8, failed: 1, inflight: 1, connected: 2, everConnected: 3, drops: 2, reconnects: 1 }, [0.5, 3, 3, 40, 2000]);
    const s = await exposition(sendMetricsRegistry(() => (reads++, m), { shard: '1/2' }));
    expect(reads).toBe(1);
    expect(sampleValue(s, SEND_METRICS.sent)).toBe(10);
    expect(sampleValue(s, SEND_METRICS.acked)).toBe(8);
    expect(sampleValue(s, SEND_METRICS.failed)).toBe(1);
    expect(sampleValue(s, SEND_METRICS.inflight)).toBe(1);
    expect(sampleValue(s, SEND_METRICS.connected)).toBe(2);
    expect(sampleValue(s, SEND_METRICS.reconnects)).toBe(1);
    expect(sampleValue(s, SEND_METRICS.drops, { shard: '1/2' })).toBe(2);
    const bucket = (le: string) => sampleValue(s, `${SEND_METRICS.latency}_bucket`, { le });
    expect(bucket('0.001')).toBe(1);
    expect(bucket('0.005')).toBe(3);
    expect(bucket('0.05')).toBe(4);
    expect(bucket('2.5')).toBe(5);
    expect(bucket('+Inf')).toBe(5);
    expect(sampleValue(s, `${SEND_METRICS.latency}_count`)).toBe(5);
    expect(sampleValue(s, `${SEND_METRICS.latency}_sum`)).toBeCloseTo(2.0465, 1);
  });

  it('buckets never lose a count and stay cumulative', () => {
    const h = new LatencyHistogram();
    for (let ms = 0.001; ms < 100_000; ms *= 1.37) h.record(ms);
    const b = promBuckets(h.toJSON());
    expect(b.count).toBe(h.count);
    expect(b.cumulative.at(-1)).toBe(h.count);
    for (let i = 1; i < b.cumulative.length; i++) expect(b.cumulative[i]).toBeGreaterThanOrEqual(b.cumulative[i - 1]!);
  });

  it("the workers' figures merge by adding counts and histograms", () => {
    const a = fleet({ things: 2, sent: 5, acked: 4, connected: 2 }, [1, 2]);
    const b = fleet({ things: 3, sent: 7, acked: 7, connected: 1, reconnects: 2 }, [3, 400]);
    const m = mergeFleetMetrics([a, b]);
    expect(m).toMatchObject({ things: 5, sent: 12, acked: 11, connected: 3, reconnects: 2 });
    expect(LatencyHistogram.fromJSON(m.latency).count).toBe(4);
    expect(m.latency.maxMs).toBe(400);
  });
});

describe('the stand-in metrics', () => {
  const client = { clientId: 'c', certificateId: 'x', ipAddress: undefined, sessionIdentifier: 's' };

  it('connections, messages in and out by topic root, denials by action, rules', async () => {
    const events = new BrokerEvents(pino({ level: 'silent' }));
    const traffic = new Traffic();
    const off = attachTraffic(traffic, events);
    events.emit('connect', client);
    events.emit('connect', { ...client, clientId: 'd', sessionIdentifier: 't' });
    events.emit('disconnect', { ...client, reason: 'CLIENT_INITIATED_DISCONNECT' });
    for (const topic of ['elf', 'elf/thing_0', 'elf/thing_1', 'elfish/x']) events.emit('publish', { topic, payload: Buffer.from('{}'), qos: 1, retain: false, client });
    events.emit('deliver', { topic: 'elf/thing_0', bytes: 2, clientId: 'd' });
    events.emit('denied', { action: 'publish', clientId: 'c' });
    events.emit('denied', { action: 'receive', clientId: 'd' });
    const rules = { matched: 4, fired: 3, dropped: 0, failedActions: 1, queued: 0 };
    const perRule = { busy: { matched: 4, fired: 3, failed: 1, actionErrors: 1, dropped: 0 }, idle: { matched: 0, fired: 0, failed: 0, actionErrors: 0, dropped: 0 } };
    const s = await exposition(localMetricsRegistry(() => localFigures({ traffic, ruleStats: () => rules, ruleCounters: () => perRule })));
    expect(sampleValue(s, LOCAL_METRICS.messagesIn, { topic_root: 'elf' })).toBe(3);
    expect(sampleValue(s, LOCAL_METRICS.messagesIn, { topic_root: 'elfish' })).toBe(1);
    expect(sampleValue(s, LOCAL_METRICS.messagesOut, { topic_root: 'elf' })).toBe(1);
    expect(sampleValue(s, LOCAL_METRICS.denials, { action: 'receive' })).toBe(1);
    expect(sampleValue(s, LOCAL_METRICS.denials, { action: 'publish' })).toBe(1);
    expect(sampleValue(s, LOCAL_METRICS.connections)).toBe(1);
    expect(sampleValue(s, LOCAL_METRICS.connects)).toBe(2);
    expect(sampleValue(s, LOCAL_METRICS.disconnects)).toBe(1);
    expect(sampleValue(s, LOCAL_METRICS.ruleMatches)).toBe(4);
    expect(sampleValue(s, LOCAL_METRICS.ruleActionFailures)).toBe(1);
    expect(sampleValue(s, LOCAL_METRICS.perRuleMatched, { rule: 'busy' })).toBe(4);
    expect(sampleValue(s, LOCAL_METRICS.perRuleMatched, { rule: 'idle' })).toBe(0);
    expect(sampleValue(s, LOCAL_METRICS.perRuleFailed, { rule: 'busy' })).toBe(1);
    expect(sampleValue(s, LOCAL_METRICS.perRuleActionErrors, { rule: 'busy' })).toBe(1);
    off();
  });

  it('label at most MAX_ROOT_LABELS roots, the quietest summed under one label', () => {
    const zero = { messages: 0, bytes: 0 };
    const roots = Array.from({ length: MAX_ROOT_LABELS + 5 }, (_, i) => ({ root: `r${i}`, in: { messages: 1000 - i, bytes: 0 }, out: zero }));
    const got = byRoot(roots, 'in');
    expect(Object.keys(got)).toHaveLength(MAX_ROOT_LABELS + 1);
    expect(got.r0).toBe(1000);
    expect(got[OTHER_ROOTS]).toBe([100, 101, 102, 103, 104].reduce((a, i) => a + 1000 - i, 0));
  });
});

describe('the Grafana dashboard (deploy/grafana/elf-dashboard.json)', () => {
  it('parses and queries only metrics elf exposes', async () => {
    const dash = JSON.parse(readFileSync(path.join(ROOT, 'deploy/grafana/elf-dashboard.json'), 'utf8')) as { panels: Array<{ type: string; targets?: Array<{ expr: string }> }> };
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    const exposed = new Set<string>();
    const send = await exposition(sendMetricsRegistry(() => fleet({}, [1])));
    const zero = { messages: 1, bytes: 1 };
    const figures = { connections: { connected: 0, connects: 0, disconnects: 0 }, roots: [{ root: 'elf', in: zero, out: zero }], denials: { connect: 1, publish: 0, subscribe: 0, receive: 0 }, rules: undefined, ruleCounters: { r: { matched: 1, fired: 1, failed: 0, actionErrors: 0, dropped: 0 } } };
    const local = await exposition(localMetricsRegistry(() => figures));
    for (const s of [...send, ...local]) exposed.add(s.name);
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\belf_[a-z0-9_]+/g)].map((m) => m[0])));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(exposed, `${name} is queried by the dashboard`).toContain(name);
    // and every metric elf exposes is on the dashboard
    for (const name of exposed) expect(used, `${name} is exposed`).toContain(name);
  });
});
