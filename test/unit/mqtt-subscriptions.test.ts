import { describe, expect, it } from 'vitest';
import { Subscriptions } from '../../src/mqtt/subscriptions.js';

function table(...filters: string[]) {
  const subs = new Subscriptions();
  const got: string[] = [];
  const ids = filters.map((f) => subs.add(f, 1, (topic) => got.push(`${f} <- ${topic}`)));
  return { subs, got, ids };
}

describe('Subscriptions (one connection’s handlers)', () => {
  it('gives a message to each handler whose filter matches, once, `#` including the parent level', () => {
    const { subs, got } = table('elf', 'elf/#', 'elf/+', 'other');
    subs.dispatch('elf', Buffer.from('x'));
    subs.dispatch('elf/t', Buffer.from('x'));
    subs.dispatch('elf/t/deep', Buffer.from('x'));
    expect(got).toEqual(['elf <- elf', 'elf/# <- elf', 'elf/# <- elf/t', 'elf/+ <- elf/t', 'elf/# <- elf/t/deep']);
  });

  it('dispatches a copy labelled with subscription identifiers to those subscriptions only', () => {
    const { subs, got, ids } = table('a/#', 'a/+', 'a/b');
    expect(new Set(ids).size).toBe(3);
    // mosquitto over MQTT 5: one copy per matching subscription, each with its identifier
    for (const id of ids) subs.dispatch('a/b', Buffer.from('x'), [id]);
    expect(got.sort()).toEqual(['a/# <- a/b', 'a/+ <- a/b', 'a/b <- a/b']);
    // one copy for several subscriptions (MQTT 5 §3.3.4 allows either)
    got.length = 0;
    subs.dispatch('a/b', Buffer.from('x'), [ids[0]!, ids[2]!]);
    expect(got).toEqual(['a/# <- a/b', 'a/b <- a/b']);
    // no identifiers (a broker without them): by filter
    got.length = 0;
    subs.dispatch('a/b', Buffer.from('x'), []);
    expect(got).toHaveLength(3);
  });

  it('keeps one identifier per filter: a second handler on a filter shares it, and both are called', () => {
    const subs = new Subscriptions();
    const got: string[] = [];
    const first = subs.add('t/+', 0, () => got.push('first'));
    const second = subs.add('t/+', 1, () => got.push('second'));
    expect(second).toBe(first);
    subs.dispatch('t/x', Buffer.alloc(0), [first]);
    expect(got).toEqual(['first', 'second']);
  });

  it('matches a shared subscription by the filter after $share/<group>/', () => {
    const { subs, got } = table('$share/g/s/#');
    subs.dispatch('s/x', Buffer.alloc(0));
    expect(got).toEqual(['$share/g/s/# <- s/x']);
  });

  it('forgets a handler whose subscription was refused', () => {
    const subs = new Subscriptions();
    const got: string[] = [];
    const h = () => got.push('h');
    subs.add('t', 1, h);
    subs.remove('t', h);
    subs.dispatch('t', Buffer.alloc(0));
    expect(got).toEqual([]);
  });

  it('subscribes to every filter again with its highest QoS and identifier, and survives a refusal', async () => {
    const subs = new Subscriptions();
    const a = subs.add('a', 0, () => {});
    subs.add('a', 1, () => {});
    const b = subs.add('b/#', 0, () => {});
    const sent: Array<[string, number, number]> = [];
    subs.subscribeAgain(async (filter, qos, id) => {
      sent.push([filter, qos, id]);
      if (filter === 'a') throw new Error('refused');
    });
    await Promise.resolve();
    expect(sent).toEqual([
      ['a', 1, a],
      ['b/#', 0, b],
    ]);
  });
});
