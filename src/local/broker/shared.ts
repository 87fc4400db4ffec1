import type { Aedes, AedesPublishPacket, Client } from 'aedes';
import { SHARED_SUBSCRIPTION } from '../../aws/limits.js';
import type { Logger } from '../../log.js';
import { checkTopicFilter, topicMatches, type Check } from '../topics.js';

/**
 * Shared subscriptions as AWS IoT Core serves them, for MQTT 3.1.1 and 5
 * (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt5-shared-subscription): the
 * clients subscribed to `$share/{ShareName}/{TopicFilter}` form one group per ShareName and filter,
 * and each message the filter matches (AWS's matching) goes to one online member of each such group.
 *
 * aedes 2.0.0-beta.1 refuses `$share/` for MQTT 5 (SUBACK 0x9E) and takes it as a literal filter for
 * 3.1.1, so the broker renames each `$share/` filter in SUBSCRIBE and UNSUBSCRIBE to `$elf-share/`
 * before aedes reads it (aedes then keeps it as a filter nothing is published on, persisted and
 * restored with the session), and delivers to groups here: one aedes subscription per group whose
 * listener picks a member in turn (AWS: "a random distribution") and hands it the message.
 *
 * Where the stand-in differs: AWS queues QoS 1 messages for a group of persistent sessions while all
 * its members are offline; here a group without an online member drops the message.
 */

const PUBLIC_PREFIX = SHARED_SUBSCRIPTION.prefix;
const BROKER_PREFIX = '$elf-share/';

/** A `$share/` filter as the broker (aedes) keeps it; a client's literal `$elf-share/` is made invalid. */
export function toBrokerFilter(filter: string): string {
  if (filter.startsWith(PUBLIC_PREFIX)) return BROKER_PREFIX + filter.slice(PUBLIC_PREFIX.length);
  if (filter.startsWith(BROKER_PREFIX)) return `#/${filter}`;
  return filter;
}

/** The filter as the client wrote it (for lifecycle events, logs and policy checks). */
export function toPublicFilter(filter: string): string {
  return filter.startsWith(BROKER_PREFIX) ? PUBLIC_PREFIX + filter.slice(BROKER_PREFIX.length) : filter;
}

export interface SharedFilter {
  shareName: string;
  /** the topic filter the group receives */
  filter: string;
}

/** `$share/{ShareName}/{TopicFilter}` split, or undefined for any other filter (not checked). */
export function parseShared(filter: string): SharedFilter | undefined {
  if (!filter.startsWith(PUBLIC_PREFIX)) return undefined;
  const slash = filter.indexOf('/', PUBLIC_PREFIX.length);
  if (slash < 0) return { shareName: filter.slice(PUBLIC_PREFIX.length), filter: '' };
  return { shareName: filter.slice(PUBLIC_PREFIX.length, slash), filter: filter.slice(slash + 1) };
}

/** AWS's rules for a shared subscription's filter (see SHARED_SUBSCRIPTION). Pure. */
export function checkSharedFilter(shared: SharedFilter): Check {
  const { shareName, filter } = shared;
  if (shareName.length === 0) return { ok: false, reason: 'a shared subscription needs a ShareName: $share/{ShareName}/{TopicFilter}' };
  if (/[/+#]/.test(shareName)) return { ok: false, reason: 'a ShareName may not contain /, + or #' };
  if ([...shareName].length > SHARED_SUBSCRIPTION.maxShareNameChars) return { ok: false, reason: `a ShareName is at most ${SHARED_SUBSCRIPTION.maxShareNameChars} characters` };
  if (filter.length === 0) return { ok: false, reason: 'a shared subscription needs a TopicFilter: $share/{ShareName}/{TopicFilter}' };
  if ([...filter].length > SHARED_SUBSCRIPTION.maxTopicFilterChars) return { ok: false, reason: `a shared TopicFilter is at most ${SHARED_SUBSCRIPTION.maxTopicFilterChars} characters` };
  return checkTopicFilter(filter);
}

/** A group member: one client's shared subscription, with the QoS it was granted. */
interface Member {
  client: Client;
  qos: 0 | 1;
}

interface Group {
  filter: string;
  members: Member[];
  /** index of the member that gets the next message */
  turn: number;
  listener: (packet: AedesPublishPacket, cb: () => void) => void;
}

export interface SharedDeps {
  broker: Aedes;
  /** may this member receive a message on `topic` now (iot:Receive, its connection alive)? */
  mayReceive(client: Client, publicFilter: string, topic: string): boolean;
  log: Logger;
}

export class SharedSubscriptions {
  private readonly groups = new Map<string, Group>();
  /** the copies handed to members carry their own broker id, so aedes's per-client ordering check of plain deliveries is left alone */
  private readonly brokerId: string;
  private counter = 0;

  constructor(private readonly deps: SharedDeps) {
    this.brokerId = `${deps.broker.id}/shared`;
  }

  /** `client` subscribed to `publicFilter` (a `$share/` filter that passed the checks). */
  join(client: Client, publicFilter: string, qos: number): void {
    const shared = parseShared(publicFilter);
    if (!shared) return;
    let group = this.groups.get(publicFilter);
    if (!group) {
      const g: Group = { filter: shared.filter, members: [], turn: 0, listener: (packet, cb) => this.deliver(publicFilter, g, packet, cb) };
      this.groups.set(publicFilter, (group = g));
      this.deps.broker.subscribe(shared.filter, g.listener, () => undefined);
    }
    const granted: 0 | 1 = qos > 0 ? 1 : 0;
    const existing = group.members.find((m) => m.client === client);
    if (existing) existing.qos = granted;
    else group.members.push({ client, qos: granted });
  }

  /** `client` left `publicFilter` (UNSUBSCRIBE), or every group (its connection closed). */
  leave(client: Client, publicFilter?: string): void {
    for (const [key, group] of this.groups) {
      if (publicFilter !== undefined && key !== publicFilter) continue;
      group.members = group.members.filter((m) => m.client !== client);
      if (group.members.length > 0) continue;
      this.groups.delete(key);
      this.deps.broker.unsubscribe(group.filter, group.listener, () => undefined);
    }
  }

  /** One member of the group, in turn, gets the message; none online: it is dropped (QoS 0 as on AWS; see above for QoS 1). */
  private deliver(publicFilter: string, group: Group, packet: AedesPublishPacket, cb: () => void): void {
    if (!topicMatches(group.filter, packet.topic)) return cb();
    const n = group.members.length;
    for (let i = 0; i < n; i++) {
      const index = (group.turn + i) % n;
      const member = group.members[index]!;
      if (member.client.closed || !this.deps.mayReceive(member.client, publicFilter, packet.topic)) continue;
      group.turn = (index + 1) % n;
      const copy = {
        cmd: 'publish' as const,
        topic: packet.topic,
        payload: packet.payload,
        qos: Math.min(packet.qos, member.qos) as 0 | 1,
        // "Messages that are published on topics that have shared subscribers and have the RETAIN flag set are delivered to shared subscribers like any other publish message"
        retain: false,
        dup: false,
        brokerId: this.brokerId,
        brokerCounter: ++this.counter,
        ...pick(packet, 'properties', 'messageExpiry'),
      };
      member.client.publish(copy as unknown as AedesPublishPacket, (err?: Error) => {
        if (err) this.deps.log.debug({ clientId: member.client.id, err: err.message }, 'shared delivery failed');
      });
      return cb();
    }
    cb();
  }
}

function pick<T extends object>(o: T, ...keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (Object.prototype.hasOwnProperty.call(o, k)) out[k] = (o as Record<string, unknown>)[k];
  return out;
}
