import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { runSend, type SendOptions } from '../../src/publish/run.js';
import { runSubscribe } from '../../src/publish/subscribe.js';
import { collect, startMosquitto, type ClientCert, type Mosquitto } from '../helpers/mosquitto.js';
import { linesSource } from '../helpers/lines-source.js';
import { eventually } from '../helpers/poll.js';

const logger = pino({ level: 'silent' });
let broker: Mosquitto;
let things: ClientCert[];

beforeAll(async () => {
  broker = await startMosquitto();
  things = await Promise.all(['thing_0', 'thing_1', 'thing_2'].map((n) => broker.issueClient(n)));
});
afterAll(async () => {
  await broker?.teardown();
});

/** JSONL lines with irregular spacing, so byte-equality means "unchanged". */
const jsonl = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `{"tag": "${tag}",  "i":${i}, "v": [${i}, ${i * 2}] }`);

function base(topic: string, over: Partial<SendOptions> = {}): SendOptions {
  return {
    devices: things.map((t) => ({ name: t.name, certPath: t.certPath, keyPath: t.keyPath })),
    host: broker.host,
    port: broker.port,
    caFile: broker.caFile,
    protocol: '3.1.1',
    qos: 1,
    topic,
    appendThingName: true,
    interval: 0.05,
    loop: false,
    drainTimeoutMs: 5000,
    ...over,
  };
}

function byThing(messages: Array<{ topic: string; payload: Buffer }>, root: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const msg of messages) {
    const thing = msg.topic.slice(root.length + 1);
    m.set(thing, [...(m.get(thing) ?? []), msg.payload.toString()]);
  }
  return m;
}

describe('elf send engine against mosquitto (mTLS)', () => {
  it('3 things × 10 lines at QoS 1: exactly 30 messages, byte-equal, in file order per thing', async () => {
    const lines = jsonl(10, 'a');
    const sub = await collect(broker, 't1/#');
    try {
      const summary = await runSend(base('t1'), { source: linesSource(lines), logger });
      await sub.waitForCount(30);
      await new Promise((r) => setTimeout(r, 300)); // nothing more may arrive
      expect(sub.messages).toHaveLength(30);
      const got = byThing(sub.messages, 't1');
      for (const t of things) expect(got.get(t.name)).toEqual(lines);
      expect(summary.totals).toMatchObject({ sent: 30, acked: 30, failed: 0, unacked: 0 });
      expect(summary.stopReason).toBe('end-of-input');
      expect(summary.connected).toBe(3);
      expect(summary.latencyMs).not.toBeNull();
    } finally {
      await sub.close();
    }
  });

  it('QoS 0 on 3.1.1 as fast as it goes, through the sync-point gate: every line in order; a year-long --duration ends at end of input', async () => {
    const lines = jsonl(3000, 'q0');
    const sub = await collect(broker, 't9/#');
    try {
      // 31,536,000 s overflows setTimeout (it fired at once and the drain then waited a year)
      const summary = await runSend(base('t9', { devices: base('t9').devices.slice(0, 1), qos: 0, interval: 0, duration: 31_536_000 }), { source: linesSource(lines), logger });
      expect(summary.stopReason).toBe('end-of-input');
      expect(summary.totals).toMatchObject({ sent: 3000, acked: 3000, failed: 0 });
      await sub.waitForCount(3000);
      expect(sub.messages.map((m) => m.payload.toString())).toEqual(lines);
    } finally {
      await sub.close();
    }
  });

  it('--duration 3 --interval 0.5: 5 to 7 messages per thing, lasts its duration and ends by itself', async () => {
    const sub = await collect(broker, 't2/#');
    try {
      const t0 = Date.now();
      const summary = await runSend(base('t2', { interval: 0.5, duration: 3, loop: true }), { source: linesSource(jsonl(4, 'b')), logger });
      const took = Date.now() - t0;
      expect(took).toBeGreaterThanOrEqual(2900);
      expect(summary.stopReason).toBe('duration');
      await sub.waitForCount(summary.totals.acked);
      const got = byThing(sub.messages, 't2');
      for (const t of things) {
        const n = got.get(t.name)?.length ?? 0;
        expect(n).toBeGreaterThanOrEqual(5);
        expect(n).toBeLessThanOrEqual(7);
      }
    } finally {
      await sub.close();
    }
  });

  it('MQTT 5: every line delivered, byte-equal', async () => {
    const lines = jsonl(10, 'c');
    const sub = await collect(broker, 't3/#');
    try {
      const summary = await runSend(base('t3', { protocol: '5', interval: 0.02 }), { source: linesSource(lines), logger });
      expect(summary.totals.acked).toBe(30);
      await sub.waitForCount(30);
      const got = byThing(sub.messages, 't3');
      for (const t of things) expect(got.get(t.name)).toEqual(lines);
    } finally {
      await sub.close();
    }
  });

  it('partition: each line sent exactly once, line i by thing i mod N; the source is read once', async () => {
    const lines = jsonl(10, 'd');
    const src = linesSource(lines);
    const sub = await collect(broker, 't4/#');
    try {
      const summary = await runSend(base('t4', { partition: true, interval: 0.02 }), { source: src, logger });
      expect(summary.totals.acked).toBe(10);
      await sub.waitForCount(10);
      await new Promise((r) => setTimeout(r, 300));
      expect(sub.messages.map((m) => m.payload.toString()).sort()).toEqual([...lines].sort());
      const got = byThing(sub.messages, 't4');
      things.forEach((t, k) => expect(got.get(t.name)).toEqual(lines.filter((_, i) => i % 3 === k)));
      expect(src.opens).toBe(1);
    } finally {
      await sub.close();
    }
  });

  it('an abort signal stops promptly and still returns a summary', async () => {
    const ac = new AbortController();
    // abort once a message is through (a condition, not a time); a run that ignored it would go on for 30 s
    const sub = await collect(broker, 't5/#');
    void sub.waitForCount(1).then(() => ac.abort());
    const summary = await runSend(base('t5', { interval: 0.1, duration: 30, loop: true }), { source: linesSource(jsonl(5, 'e')), logger, signal: ac.signal }).finally(() => sub.close());
    expect(summary.stopReason).toBe('aborted');
    expect(summary.totals.sent).toBeGreaterThan(0);
    expect(summary.totals.acked).toBe(summary.totals.sent);
  });

  it('runSubscribe counts what arrives and stops at --count', async () => {
    const got: string[] = [];
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const sub = runSubscribe(
      { device: { name: 'thing_2', certPath: things[2]!.certPath, keyPath: things[2]!.keyPath }, host: broker.host, port: broker.port, caFile: broker.caFile, protocol: '3.1.1', qos: 1, filter: 't6/#', count: 4, duration: 20 },
      { logger, onMessage: (_t, p) => got.push(p.toString()), onReady: ready },
    );
    await isReady;
    await runSend(base('t6', { devices: base('t6').devices.slice(0, 2), interval: 0.02 }), { source: linesSource(jsonl(3, 'f')), logger });
    const res = await sub;
    expect(res.stopReason).toBe('count');
    expect(res.received).toBe(4);
    expect(got).toHaveLength(4);
  });

  it('gives up with a clear error when the broker never answers', async () => {
    const { freePort } = await import('../helpers/net.js');
    const port = await freePort();
    const summary = await runSend(base('t8', { port, duration: 30, giveUpAfterMs: 1500 }), { source: linesSource(jsonl(3, 'h')), logger });
    expect(summary.stopReason).toBe('gave-up');
    expect(summary.error).toMatch(new RegExp(`no connection to 127.0.0.1:${port} for 1.5 s \\(last error: .*refused.*\\)`));
    expect(summary.connected).toBe(0);
  });

  it('a broker restart (SIGKILL, 2 s down, same port) in a QoS 1 run loses no line', async () => {
    const lines = jsonl(60, 'g');
    const sub = await collect(broker, 't7/#');
    try {
      await broker.savedSince(Date.now()); // the subscription is on disk, so the SIGKILL below keeps it
      const run = runSend(base('t7', { devices: base('t7').devices.slice(0, 2), interval: 0.05, giveUpAfterMs: 20_000 }), {
        source: linesSource(lines),
        logger,
      });
      await sub.waitForCount(20);
      await broker.kill();
      await new Promise((r) => setTimeout(r, 2000)); // the outage itself: the broker stays down 2 s
      await broker.restart();
      const summary = await run;
      expect(summary.totals.failed).toBe(0);
      expect(summary.perThing.every((t) => t.interruptions >= 1)).toBe(true);
      const missing = () => {
        const got = byThing(sub.messages, 't7');
        return things.slice(0, 2).flatMap((t) => lines.filter((l) => !(got.get(t.name) ?? []).includes(l)).map((l) => `${t.name} ${l}`));
      };
      await eventually(() => missing().length === 0, () => `every line after the restart; missing ${missing().join(', ')}`, { timeoutMs: 10_000 });
    } finally {
      await sub.close();
    }
  });
});
