import { describe, expect, it } from 'vitest';
import { attachTraffic, OTHER_ROOTS, OTHER_TOPICS, topicRoot, Traffic, type TrafficSource } from '../../src/local/traffic.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('Traffic', () => {
  it('counts messages and bytes in and out, overall, by topic, by root and by client', () => {
    const c = clock();
    const tr = new Traffic({ now: c.now });
    tr.received('elf/thing_0', 10, 'thing_0');
    tr.received('elf/thing_0', 5, 'thing_0');
    tr.received('$aws/things/t/shadow/update/accepted', 3);
    tr.delivered('elf/thing_0', 10, 'sub');
    expect(tr.totals()).toEqual({ in: { messages: 3, bytes: 18 }, out: { messages: 1, bytes: 10 } });
    expect(tr.topics()).toContainEqual({ topic: 'elf/thing_0', in: { messages: 2, bytes: 15 }, out: { messages: 1, bytes: 10 } });
    expect(tr.roots().map((r) => [r.root, r.in.messages])).toEqual([['elf', 2], ['$aws', 1]]);
    expect(tr.clientOf('thing_0')).toMatchObject({ in: { messages: 2, bytes: 15 }, out: { messages: 0, bytes: 0 } });
    expect(tr.clientOf('sub')?.out.messages).toBe(1);
    expect(topicRoot('elf')).toBe('elf');
  });

  it('keeps a per-second history of the last window, per topic, and drops what is older', () => {
    const c = clock(10_000);
    const tr = new Traffic({ now: c.now, windowSeconds: 3 });
    tr.received('a', 1);
    tr.received('b', 1);
    c.advance(1000);
    tr.received('a', 1);
    tr.delivered('a', 1, 's');
    expect(tr.seconds()).toEqual([
      { t: 10, in: 2, out: 0, topics: { a: [1, 0], b: [1, 0] } },
      { t: 11, in: 1, out: 1, topics: { a: [1, 1] } },
    ]);
    c.advance(2000);
    expect(tr.seconds().map((s) => s.t)).toEqual([11]);
    c.advance(5000);
    expect(tr.seconds()).toEqual([]);
  });

  it('counts roots past maxRoots under one bucket, however many distinct roots come', () => {
    const tr = new Traffic({ maxRoots: 2 });
    for (let i = 0; i < 1000; i++) tr.received(`root${i}/x`, 1);
    tr.received('root0/y', 1);
    const roots = Object.fromEntries(tr.roots().map((r) => [r.root, r.in.messages]));
    expect(roots).toEqual({ root0: 2, root1: 1, [OTHER_ROOTS]: 998 });
  });

  it('counts topics past maxTopics under one bucket', () => {
    const tr = new Traffic({ maxTopics: 2 });
    for (const t of ['a', 'b', 'c', 'd', 'a']) tr.received(t, 1);
    expect(Object.fromEntries(tr.topics().map((t) => [t.topic, t.in.messages]))).toEqual({ a: 2, b: 1, [OTHER_TOPICS]: 2 });
  });

  it('knows who is connected since when, ignores a taken-over connection going away, forgets disconnected clients first', () => {
    const c = clock();
    const tr = new Traffic({ now: c.now, maxClients: 2 });
    tr.connected('t0', 'cert0', 's1');
    c.advance(500);
    tr.connected('t0', 'cert0', 's2');
    tr.disconnected('t0', 's1');
    expect(tr.clientOf('t0')).toMatchObject({ connected: true, since: 1_000_500, certificateId: 'cert0' });
    tr.disconnected('t0', 's2');
    expect(tr.clientOf('t0')?.connected).toBe(false);
    tr.connected('t1', 'cert1', 's3');
    tr.connected('t2', 'cert2', 's4');
    expect(tr.clients().map((x) => x.clientId).sort()).toEqual(['t1', 't2']);
  });

  it('is fed by the broker events', () => {
    const listeners = new Map<string, (e: never) => void>();
    const source = { on: (name: string, fn: (e: never) => void) => (listeners.set(name, fn), () => listeners.delete(name)) } as unknown as TrafficSource;
    const tr = new Traffic();
    const stop = attachTraffic(tr, source);
    const fire = (name: string, e: unknown) => (listeners.get(name) as (e: unknown) => void)(e);
    fire('connect', { clientId: 'x', certificateId: 'c', sessionIdentifier: 's' });
    fire('publish', { topic: 'elf', payload: Buffer.from('abc'), client: { clientId: 'x' } });
    fire('deliver', { topic: 'elf', bytes: 3, clientId: 'y' });
    fire('disconnect', { clientId: 'x', sessionIdentifier: 's' });
    expect(tr.totals()).toEqual({ in: { messages: 1, bytes: 3 }, out: { messages: 1, bytes: 3 } });
    expect(tr.clientOf('x')).toMatchObject({ connected: false, in: { messages: 1, bytes: 3 } });
    stop();
    expect(listeners.size).toBe(0);
  });
});
