/**
 * Whether an MQTT topic filter matches a topic name: one rule for the stand-in's broker (AWS
 * semantics) and the device connections' dispatch (MQTT semantics).
 *
 * - `+` matches exactly one level, possibly empty (MQTT 3.1.1 §4.7.1.3: `sport/+` matches `sport/`).
 * - `#` matches any number of levels below it, and in MQTT also the parent level itself
 *   (MQTT 3.1.1 §4.7.1.2: `sport/tennis/#` matches `sport/tennis`; MQTT 5 §4.7.1.2 says the same).
 *   AWS IoT Core deviates: there `sport/#` does not match `sport`
 *   (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt-differences).
 * - Filters that start with a wildcard do not match topic names that start with `$` (MQTT-4.7.2-1).
 *
 * Both arguments are taken as valid (a filter's `#` is last and alone in its level).
 */
export type TopicSemantics = 'mqtt' | 'aws';

export function topicFilterMatches(filter: string, topic: string, semantics: TopicSemantics): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    // the levels left in the topic: any number in MQTT, at least one (possibly empty) on AWS
    if (level === '#') return semantics === 'mqtt' || t.length > i;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
