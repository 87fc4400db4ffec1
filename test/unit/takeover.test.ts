import { describe, expect, it } from 'vitest';
import { publishRefusedMessage, QUICK_DROP_MS, QUICK_DROPS, TakeoverWatch, takeoverMessage } from '../../src/publish/takeover.js';

describe('TakeoverWatch', () => {
  it('reports once, on the third drop in a row right after connecting', () => {
    const w = new TakeoverWatch();
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      w.connected(i * 10_000);
      seen.push(w.interrupted(i * 10_000 + 200));
    }
    expect(seen).toEqual([undefined, undefined, 'takeover', undefined, undefined]);
  });

  it('an ordinary interruption after a long connection resets the count', () => {
    const w = new TakeoverWatch();
    w.connected(0);
    expect(w.interrupted(100)).toBeUndefined();
    w.connected(1_000);
    expect(w.interrupted(1_100)).toBeUndefined();
    w.connected(2_000);
    expect(w.interrupted(2_000 + QUICK_DROP_MS + 1)).toBeUndefined();
    w.connected(20_000);
    expect(w.interrupted(20_100)).toBeUndefined();
    // a drop with no connection in between is not quick
    expect(w.interrupted(20_200)).toBeUndefined();
  });

  it('quick drops each right after publishes that got no answer are a refused publish (AWS closes an MQTT 3.1.1 connection for one), not a takeover', () => {
    const w = new TakeoverWatch();
    const seen: (string | undefined)[] = [];
    let sent = 0;
    for (let i = 0; i < QUICK_DROPS; i++) {
      w.connected(i * 10_000, { sent, answered: 0 });
      sent += 1;
      seen.push(w.interrupted(i * 10_000 + 50, { sent, answered: 0 }));
    }
    expect(seen).toEqual([undefined, undefined, 'publish-refused']);
  });

  it('one QoS 1 publish the client resends on each new connection (elf counts it sent once) is a refused publish too', () => {
    const w = new TakeoverWatch();
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < QUICK_DROPS; i++) {
      w.connected(i * 10_000, { sent: i === 0 ? 0 : 1, answered: 0 });
      seen.push(w.interrupted(i * 10_000 + 50, { sent: 1, answered: 0 }));
    }
    expect(seen).toEqual([undefined, undefined, 'publish-refused']);
  });

  it('quick drops while publishes are answered stay a takeover; an MQTT 5 DISCONNECT 0x87 is a refused publish at once', () => {
    const w = new TakeoverWatch();
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < QUICK_DROPS; i++) {
      w.connected(i * 10_000, { sent: i * 10, answered: i * 10 });
      seen.push(w.interrupted(i * 10_000 + 900, { sent: i * 10 + 10, answered: i * 10 + 9 }));
    }
    expect(seen).toEqual([undefined, undefined, 'takeover']);
    const v5 = new TakeoverWatch();
    v5.connected(0);
    expect(v5.interrupted(60_000, { notAuthorized: true })).toBe('publish-refused');
  });

  it('names the client ids, a few of them', () => {
    expect(takeoverMessage(['a'])).toMatch(/^a: disconnected again and again right after connecting; another client is probably using the same client id/);
    expect(takeoverMessage(['a', 'b', 'c', 'd', 'e'])).toMatch(/^a, b, c and 2 more:/);
    expect(publishRefusedMessage(['thing_0'], 'elf/thing_0')).toMatch(/^thing_0: the broker ends the connection right after a publish to elf\/thing_0: the thing's policy probably does not allow iot:Publish/);
  });
});
