import { describe, expect, it } from 'vitest';
import { checkClientId, checkPayload, clampKeepAlive, isBasicIngestFilter, isServiceOnlyTopic, checkTopicFilter, checkTopicName, MQTT_LIMITS, topicMatches } from '../../src/local/topics.js';

const ok = (c: { ok: boolean }) => c.ok;

describe('topic names (PUBLISH)', () => {
  it.each([
    ['elf', true],
    ['elf/thing_0', true],
    ['a/b/c/d/e/f/g/h', true], // 7 slashes
    ['a/b/c/d/e/f/g/h/i', false], // 8 slashes
    ['$aws/things/t/shadow/name/s/update/accepted', true], // $aws/ topics are exempt from the slash limit
    ['$aws/rules/myrule/a/b/c/d/e/f/g/h', true], // basic ingest prefix excluded
    ['$aws/rules/myrule/a/b/c/d/e/f/g/h/i', false],
    ['$SYS/broker/x', false], // reserved
    ['$foo', false],
    ['', false],
    ['a/+/b', false],
    ['a/#', false],
    ['sensor/', true],
    ['/leading', true],
    ['nul\u0000byte', false],
  ])('%j → %s', (topic, expected) => {
    expect(ok(checkTopicName(topic))).toBe(expected);
  });

  it('allows 256 bytes and refuses 257, counting UTF-8 bytes', () => {
    expect(ok(checkTopicName('a'.repeat(256)))).toBe(true);
    expect(ok(checkTopicName('a'.repeat(257)))).toBe(false);
    expect(ok(checkTopicName('é'.repeat(128)))).toBe(true); // 256 bytes
    expect(ok(checkTopicName('é'.repeat(129)))).toBe(false);
    expect(checkTopicName('a'.repeat(300))).toEqual({ ok: false, reason: 'topic is longer than 256 bytes' });
  });
});

describe('topic filters (SUBSCRIBE)', () => {
  it.each([
    ['#', true],
    ['+', true],
    ['sensor/#', true],
    ['sensor/+/temp', true],
    ['+/+/#', true],
    ['sensor/#/x', false], // # only last
    ['sensor#', false], // # alone in its level
    ['sensor/te+mp', false], // + alone in its level
    ['sensor+/x', false],
    ['$aws/things/+/shadow/update/accepted', true],
    ['$SYS/#', false],
    ['a/b/c/d/e/f/g/#', true], // 7 slashes
    ['a/b/c/d/e/f/g/h/#', false],
    ['', false],
  ])('%j → %s', (filter, expected) => {
    expect(ok(checkTopicFilter(filter))).toBe(expected);
  });
});

describe('matching', () => {
  it.each([
    ['sensor/#', 'sensor/x', true],
    ['sensor/#', 'sensor/x/y', true],
    ['sensor/#', 'sensor/', true],
    ['sensor/#', 'sensor', false], // AWS deviation from MQTT 3.1.1 §4.7.1.2
    ['sensor/+', 'sensor/x', true],
    ['sensor/+', 'sensor/', true],
    ['sensor/+', 'sensor/x/y', false],
    ['sensor/+', 'sensor', false],
    ['+/x', 'a/x', true],
    ['#', 'anything/at/all', true],
    ['#', '$aws/things/t/shadow/update', false], // MQTT-4.7.2-1
    ['+/things/t/shadow/update', '$aws/things/t/shadow/update', false],
    ['$aws/things/+/shadow/update/delta', '$aws/things/t/shadow/update/delta', true],
    ['Sensor/x', 'sensor/x', false], // case-sensitive
    ['a/b', 'a/b', true],
    ['a/b', 'a/b/c', false],
  ])('%j matches %j: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});

describe('client ids and payloads', () => {
  it('limits client ids to 128 bytes and reserves $', () => {
    expect(ok(checkClientId('thing_0'))).toBe(true);
    expect(ok(checkClientId('x'.repeat(128)))).toBe(true);
    expect(ok(checkClientId('x'.repeat(129)))).toBe(false);
    expect(ok(checkClientId('$me'))).toBe(false);
  });

  it('limits payloads to 128 KB', () => {
    expect(MQTT_LIMITS.maxPayloadBytes).toBe(131072);
    expect(ok(checkPayload(131072))).toBe(true);
    expect(ok(checkPayload(131073))).toBe(false);
  });
});

describe('keep-alive', () => {
  it.each([
    [0, 1200],
    [1, 30],
    [29, 30],
    [30, 30],
    [60, 60],
    [1200, 1200],
    [1201, 1200],
    [65535, 1200],
  ])('%i s → %i s', (asked, granted) => {
    expect(clampKeepAlive(asked)).toBe(granted);
  });
});

describe('Basic Ingest filters (no subscriptions, as on AWS)', () => {
  it.each([
    ['$aws/rules/r/elf', true],
    ['$aws/rules/r/#', true],
    ['$aws/rules/+/x', true],
    ['$aws/rules', true],
    ['$aws/rules/#', true],
    ['$aws/things/t/shadow/update/accepted', false],
    ['$aws/#', false],
    ['elf/$aws/rules/x', false],
    ['$aws/rulesx/a', false],
  ])('%j → %s', (filter, expected) => {
    expect(isBasicIngestFilter(filter)).toBe(expected);
  });
});

describe('service-only topics', () => {
  it.each([
    ['$aws/things/t/shadow/update/accepted', true],
    ['$aws/things/t/shadow/name/cfg/update/delta', true],
    ['$aws/things/t/shadow/get/rejected', true],
    ['$aws/things/t/shadow/update/documents', true],
    ['$aws/events/presence/connected/t', true],
    ['$aws/things/t/shadow/update', false],
    ['$aws/things/t/shadow/name/cfg/get', false],
    ['elf/things/t/shadow/update/accepted', false],
  ])('%j → %s', (topic, expected) => {
    expect(isServiceOnlyTopic(topic)).toBe(expected);
  });
});
