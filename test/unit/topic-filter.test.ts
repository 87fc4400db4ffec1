import { describe, expect, it } from 'vitest';
import { topicFilterMatches } from '../../src/util/topic-filter.js';

describe('topic filter matching', () => {
  it.each([
    // filter, topic, MQTT, AWS
    ['sensor/#', 'sensor/x', true, true],
    ['sensor/#', 'sensor/x/y', true, true],
    ['sensor/#', 'sensor/', true, true],
    ['sensor/#', 'sensor', true, false], // MQTT 3.1.1 §4.7.1.2; AWS deviates
    ['sensor/x/#', 'sensor/x', true, false],
    ['sensor/#', 'sensorx', false, false],
    ['sensor/#', 'other', false, false],
    ['sensor/+', 'sensor/x', true, true],
    ['sensor/+', 'sensor/', true, true],
    ['sensor/+', 'sensor/x/y', false, false],
    ['sensor/+', 'sensor', false, false],
    ['+/x', 'a/x', true, true],
    ['+', 'a', true, true],
    ['+', 'a/b', false, false],
    ['#', 'anything/at/all', true, true],
    ['#', '$aws/things/t/shadow/update', false, false], // MQTT-4.7.2-1
    ['+/things/t/shadow/update', '$aws/things/t/shadow/update', false, false],
    ['$aws/things/+/shadow/update/delta', '$aws/things/t/shadow/update/delta', true, true],
    ['Sensor/x', 'sensor/x', false, false], // case-sensitive
    ['a/b', 'a/b', true, true],
    ['a/b', 'a/b/c', false, false],
    ['a/b/c', 'a/b', false, false],
  ])('%j against %j: MQTT %s, AWS %s', (filter, topic, mqtt, aws) => {
    expect(topicFilterMatches(filter, topic, 'mqtt')).toBe(mqtt);
    expect(topicFilterMatches(filter, topic, 'aws')).toBe(aws);
  });
});
