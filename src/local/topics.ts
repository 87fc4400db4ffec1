import {
  KEEP_ALIVE_SECONDS,
  MAX_CLIENT_ID_BYTES,
  MAX_FILTERS_PER_SUBSCRIBE,
  MAX_PAYLOAD_BYTES,
  MAX_SUBSCRIPTIONS_PER_CONNECTION,
  MAX_TOPIC_BYTES,
  MAX_TOPIC_SLASHES,
  MQTT5_MAX_SESSION_EXPIRY_SECONDS,
  MQTT5_MESSAGE_EXPIRY_SECONDS,
  MQTT5_RECEIVE_MAXIMUM,
  MQTT5_TOPIC_ALIAS_MAXIMUM,
} from '../aws/limits.js';

/**
 * MQTT topic names, topic filters and client ids, checked and matched the way AWS IoT Core does
 * (docs/aws-iot-facts.md#message-broker-limits, #mqtt-on-aws-iot-core). Pure.
 */
import { topicFilterMatches } from '../util/topic-filter.js';

/** The broker limits the stand-in enforces (values and sources in aws/limits.ts). */
export const MQTT_LIMITS = {
  maxTopicBytes: MAX_TOPIC_BYTES,
  maxTopicSlashes: MAX_TOPIC_SLASHES,
  maxClientIdBytes: MAX_CLIENT_ID_BYTES,
  maxPayloadBytes: MAX_PAYLOAD_BYTES,
  maxFiltersPerSubscribe: MAX_FILTERS_PER_SUBSCRIBE,
  maxSubscriptionsPerConnection: MAX_SUBSCRIPTIONS_PER_CONNECTION,
} as const;

/** AWS IoT Core's MQTT 5 numbers the stand-in applies (values and sources in aws/limits.ts). */
export const MQTT5_LIMITS = {
  /** Topic Alias Maximum in CONNACK */
  topicAliasMaximum: MQTT5_TOPIC_ALIAS_MAXIMUM,
  /** Receive Maximum: unacknowledged inbound QoS 1 publishes per connection */
  receiveMaximum: MQTT5_RECEIVE_MAXIMUM,
  /** Session Expiry Interval: a longer request is lowered to this */
  maxSessionExpirySeconds: MQTT5_MAX_SESSION_EXPIRY_SECONDS,
  /** Message Expiry Interval bounds */
  minMessageExpirySeconds: MQTT5_MESSAGE_EXPIRY_SECONDS.min,
  maxMessageExpirySeconds: MQTT5_MESSAGE_EXPIRY_SECONDS.max,
  /** keep-alive above this (or 0) is lowered to it: the client is told with Server Keep Alive */
  maxKeepAliveSeconds: KEEP_ALIVE_SECONDS.max,
} as const;

export type Check = { ok: true } | { ok: false; reason: string };

const OK: Check = { ok: true };
const fail = (reason: string): Check => ({ ok: false, reason });
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const slashes = (s: string): number => {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 0x2f) n++;
  return n;
};

const BASIC_INGEST = /^\$aws\/rules\/[^/]+\//;

export function checkClientId(clientId: string): Check {
  if (bytes(clientId) > MQTT_LIMITS.maxClientIdBytes) return fail(`client id is longer than ${MQTT_LIMITS.maxClientIdBytes} bytes`);
  if (clientId.startsWith('$')) return fail('client ids starting with $ are reserved');
  return OK;
}

export function checkPayload(size: number): Check {
  return size > MQTT_LIMITS.maxPayloadBytes ? fail(`payload of ${size} bytes is larger than ${MQTT_LIMITS.maxPayloadBytes} bytes`) : OK;
}

/** Size, level-count and reserved-prefix rules shared by topic names and filters. */
function checkCommon(s: string, what: string): Check {
  if (s.length === 0) return fail(`empty ${what}`);
  if (s.includes('\u0000')) return fail(`${what} contains U+0000`);
  let rest = s;
  let limitLevels = true;
  if (s.startsWith('$')) {
    if (!s.startsWith('$aws/')) return fail(`${what} ${JSON.stringify(s)} is reserved (only $aws/ topics may start with $)`);
    const ingest = BASIC_INGEST.exec(s);
    if (ingest) rest = s.slice(ingest[0].length);
    else limitLevels = false;
  }
  if (bytes(rest) > MQTT_LIMITS.maxTopicBytes) return fail(`${what} is longer than ${MQTT_LIMITS.maxTopicBytes} bytes`);
  if (limitLevels && slashes(rest) > MQTT_LIMITS.maxTopicSlashes) return fail(`${what} has more than ${MQTT_LIMITS.maxTopicSlashes} slashes`);
  return OK;
}

/** A topic name in PUBLISH (MQTT 3.1.1 §4.7.3: no wildcards) plus AWS's limits. */
export function checkTopicName(topic: string): Check {
  const common = checkCommon(topic, 'topic');
  if (!common.ok) return common;
  if (topic.includes('+') || topic.includes('#')) return fail('wildcards + and # are not allowed in a topic name');
  return OK;
}

/**
 * Reserved topics only AWS IoT publishes to (topics.md "Reserved topics": shadow responses and
 * $aws/events are Subscribe-only for clients).
 */
const SERVICE_ONLY = /^\$aws\/(events\/|things\/[^/]+\/shadow\/(?:name\/[^/]+\/)?(?:update|get|delete)\/(?:accepted|rejected|delta|documents)$)/;

/**
 * A filter on Basic Ingest's reserved topics (`$aws/rules/<rule>/…`): "Your devices and rules can't
 * subscribe to Basic Ingest reserved topics"
 * (https://docs.aws.amazon.com/iot/latest/developerguide/iot-basic-ingest.html). Only a filter that
 * names `$aws/rules` itself: `$aws/+/…` or `$aws/#` are other reserved topics' business.
 */
export function isBasicIngestFilter(filter: string): boolean {
  return filter === '$aws/rules' || filter.startsWith('$aws/rules/');
}

export function isServiceOnlyTopic(topic: string): boolean {
  return SERVICE_ONLY.test(topic);
}

/** A topic filter in SUBSCRIBE (MQTT 3.1.1 §4.7.1: `#` alone and last, `+` alone in its level) plus AWS's limits. */
export function checkTopicFilter(filter: string): Check {
  const common = checkCommon(filter, 'topic filter');
  if (!common.ok) return common;
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return fail('# must be the last level of a topic filter, alone');
    if (level.includes('+') && level !== '+') return fail('+ must be alone in its topic level');
  }
  return OK;
}

/**
 * Whether a (valid) filter matches a (valid) topic name as AWS IoT Core matches it: `sensor/#`
 * matches `sensor/`, `sensor/x`, `sensor/x/y` but not `sensor` (util/topic-filter.ts has the rules).
 */
export function topicMatches(filter: string, topic: string): boolean {
  return topicFilterMatches(filter, topic, 'aws');
}

/** AWS keep-alive rule (docs/aws-iot-facts.md#message-broker-limits): a client may ask for 30–1200 s; 0 or more than 1200 → 1200; 1–29 → 30. */
export function clampKeepAlive(seconds: number): number {
  if (seconds === 0 || seconds > KEEP_ALIVE_SECONDS.max) return KEEP_ALIVE_SECONDS.max;
  return Math.max(KEEP_ALIVE_SECONDS.min, seconds);
}
