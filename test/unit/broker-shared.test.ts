import { describe, expect, it } from 'vitest';
import { exceedsMaximumPacketSize } from '../../src/local/broker/packet-size.js';
import { checkSharedFilter, parseShared, toBrokerFilter, toPublicFilter } from '../../src/local/broker/shared.js';

describe('shared subscription filters (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt5-shared-subscription)', () => {
  it('split $share/{ShareName}/{TopicFilter}; other filters are not shared', () => {
    expect(parseShared('$share/g/a/+/#')).toEqual({ shareName: 'g', filter: 'a/+/#' });
    expect(parseShared('a/b')).toBeUndefined();
    expect(parseShared('$aws/events/#')).toBeUndefined();
  });

  it("AWS's rules: a ShareName without / + #, at most 128 characters; a filter of at most 256; the prefix's slashes not counted", () => {
    const ok = (f: string) => checkSharedFilter(parseShared(f)!).ok;
    expect(ok('$share/g/a/b/c/d/e/f/g/h')).toBe(true);
    expect(ok('$share/g/a/b/c/d/e/f/g/h/i')).toBe(false);
    expect(ok(`$share/${'n'.repeat(128)}/x`)).toBe(true);
    expect(ok(`$share/${'n'.repeat(129)}/x`)).toBe(false);
    expect(ok('$share/a+b/x')).toBe(false);
    expect(ok('$share/a#/x')).toBe(false);
    expect(ok('$share//x')).toBe(false);
    expect(ok('$share/g')).toBe(false);
    expect(ok(`$share/g/${'t'.repeat(256)}`)).toBe(true);
    expect(ok(`$share/g/${'t'.repeat(257)}`)).toBe(false);
    expect(ok('$share/g/a/#/b')).toBe(false);
  });

  it('the broker-side name round-trips; a client cannot name the broker-side form itself', () => {
    expect(toPublicFilter(toBrokerFilter('$share/g/a/#'))).toBe('$share/g/a/#');
    expect(toBrokerFilter('a/#')).toBe('a/#');
    expect(toBrokerFilter('$elf-share/g/a')).not.toMatch(/^\$elf-share\//);
  });
});

describe('Maximum Packet Size of a delivery', () => {
  const p = (payload: string, properties?: object) => ({ topic: 'a/b', payload: Buffer.from(payload), qos: 1, ...(properties ? { properties } : {}) });
  it('no limit, or far below it: fits; over the limit with topic, header and properties counted: does not', () => {
    expect(exceedsMaximumPacketSize(p('x'.repeat(10_000)), undefined)).toBe(false);
    expect(exceedsMaximumPacketSize(p('x'.repeat(100)), 1000)).toBe(false);
    // 3 fixed header + 2+3 topic + 2 packet id + 1 properties length + 489 payload = 500
    expect(exceedsMaximumPacketSize(p('x'.repeat(489)), 500)).toBe(false);
    expect(exceedsMaximumPacketSize(p('x'.repeat(490)), 500)).toBe(true);
    expect(exceedsMaximumPacketSize(p('x'.repeat(450), { userProperties: { k: 'v'.repeat(60) } }), 500)).toBe(true);
  });
});
