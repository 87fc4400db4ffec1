import { describe, expect, it } from 'vitest';
import { humanLine, words } from '../../src/log-line.js';

describe('log fields in words on a terminal', () => {
  it('send\'s connecting line: phrases, no internal names, nothing said of limits not applied', () => {
    const rec = { level: 30, time: 1, things: 4, host: '127.0.0.1', port: 8883, via: 'stand-in', protocol: '3.1.1', qos: 1, source: 'data/radar-counts.json', awsLimits: false, msg: 'connecting' };
    expect(humanLine(rec)).toBe('connecting (4 things, broker 127.0.0.1:8883, via stand-in, MQTT 3.1.1, QoS 1, source data/radar-counts.json)');
    expect(humanLine({ ...rec, awsLimits: true })).toMatch(/, AWS IoT's per-connection limits\)$/);
  });

  it('other fields: camelCase as words, lists shortened, errors by their message, a bare message alone', () => {
    expect(words('firstThing')).toBe('first thing');
    expect(humanLine({ msg: 'left out', incomplete: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], sweepOrphans: true, dryRun: false })).toBe('left out (incomplete a, b, c, d, e and 2 more, sweep orphans, no dry run)');
    expect(humanLine({ msg: 'failed', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n  at x' }, clientId: 'thing_0' })).toBe('failed (boom, client thing_0)');
    expect(humanLine({ msg: 'ready', level: 30, time: 2 })).toBe('ready');
  });
});
