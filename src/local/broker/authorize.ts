import type { Logger } from '../../log.js';
import type { BrokerAuthority } from '../authority.js';
import { evaluate, iotArn, parsePolicy, type PolicyDocument } from '../policy.js';
import { checkClientId, checkPayload, checkTopicFilter, checkTopicName, isBasicIngestFilter, isServiceOnlyTopic, MQTT_LIMITS, topicMatches } from '../topics.js';
import type { Session } from './sessions.js';
import { checkSharedFilter, parseShared } from './shared.js';

/**
 * The broker's decisions, AWS IoT Core's way: iot:Connect on client/<clientId>, iot:Publish on
 * topic/<topic> (plus iot:RetainPublish for retained messages), iot:Subscribe on
 * topicfilter/<filter>, iot:Receive on topic/<topic> at each delivery, per the certificate's
 * policies (https://docs.aws.amazon.com/iot/latest/developerguide/iot-policy-actions.html), and the
 * message broker's limits (topics.ts). Each decision names why it refuses, and of which kind, so that
 * the protocol layer can answer with the matching MQTT 5 reason code.
 */

/** Why something is refused, in the terms MQTT 5 reason codes distinguish. */
export type DenialKind =
  | 'not-authorized'
  | 'bad-client-id'
  | 'topic-name-invalid'
  | 'topic-filter-invalid'
  | 'payload-too-large'
  | 'qos-not-supported'
  | 'quota-exceeded'
  | 'subscription-id-not-supported';

export interface Denial {
  kind: DenialKind;
  reason: string;
}

/** The fields of a PUBLISH (or a last will) that decide whether it may be sent. */
export interface PublishRequest {
  topic: string;
  payload: Buffer | string;
  qos?: number;
  retain?: boolean;
}

const DECISION_CACHE_MAX = 4096;
const deny = (kind: DenialKind, reason: string): Denial => ({ kind, reason });

export class Authorizer {
  constructor(
    private readonly authority: BrokerAuthority,
    private readonly log: Logger,
  ) {}

  /** May this session connect as `clientId` (with this will)? Sets the session's policy context. */
  connect(s: Session, clientId: string, will?: PublishRequest): Denial | undefined {
    const id = checkClientId(clientId);
    if (!id.ok) return deny('bad-client-id', id.reason);
    s.ctx = this.contextOf(s, clientId);
    s.decisions.clear();
    if (!this.allowed(s, 'iot:Connect', this.arn('client', clientId))) return deny('not-authorized', `iot:Connect on client/${clientId} is not allowed by policy`);
    if (will) {
      const why = this.publish(s, will);
      if (why) return { ...why, reason: `last will: ${why.reason}` };
    }
    return undefined;
  }

  /** May this session send this PUBLISH (or will)? */
  publish(s: Session, packet: PublishRequest): Denial | undefined {
    const topic = checkTopicName(packet.topic);
    if (!topic.ok) return deny('topic-name-invalid', topic.reason);
    if (isServiceOnlyTopic(packet.topic)) return deny('not-authorized', `${packet.topic} is reserved for AWS IoT's own messages`);
    const size = checkPayload(Buffer.byteLength(packet.payload));
    if (!size.ok) return deny('payload-too-large', size.reason);
    if ((packet.qos ?? 0) > 1) return deny('qos-not-supported', 'QoS 2 is not supported');
    const arn = this.arn('topic', packet.topic);
    if (!this.allowed(s, 'iot:Publish', arn)) return deny('not-authorized', `iot:Publish on ${packet.topic} is not allowed by policy`);
    if (packet.retain && !this.allowed(s, 'iot:RetainPublish', arn)) return deny('not-authorized', `iot:RetainPublish on ${packet.topic} is not allowed by policy`);
    return undefined;
  }

  /**
   * May this session subscribe to `filter`, given the filters it already holds? A shared subscription
   * `$share/{ShareName}/{TopicFilter}` needs iot:Subscribe on the whole filter
   * (topicfilter/$share/{ShareName}/{TopicFilter}) and iot:Receive on each topic it delivers.
   */
  subscribe(s: Session, filter: string, held: readonly string[]): Denial | undefined {
    const shared = parseShared(filter);
    const check = shared ? checkSharedFilter(shared) : checkTopicFilter(filter);
    if (!check.ok) return deny('topic-filter-invalid', check.reason);
    if (isBasicIngestFilter(shared?.filter ?? filter)) return deny('not-authorized', `${filter}: Basic Ingest topics ($aws/rules/…) cannot be subscribed to`);
    if (!held.includes(filter) && held.length >= MQTT_LIMITS.maxSubscriptionsPerConnection) {
      return deny('quota-exceeded', `more than ${MQTT_LIMITS.maxSubscriptionsPerConnection} subscriptions on one connection`);
    }
    if (!this.allowed(s, 'iot:Subscribe', this.arn('topicfilter', filter))) return deny('not-authorized', `iot:Subscribe on ${filter} is not allowed by policy`);
    return undefined;
  }

  /**
   * Should a message on `topic` reach this session, holding these filters? Only when one of them
   * matches AWS's way (`sensor/#` does not match `sensor`) and iot:Receive allows the topic.
   */
  receive(s: Session, topic: string, held: readonly string[]): boolean {
    if (s.revoked || topic.startsWith('$SYS')) return false;
    if (!held.some((f) => topicMatches(parseShared(f)?.filter ?? f, topic))) return false;
    return this.allowed(s, 'iot:Receive', this.arn('topic', topic));
  }

  /** The certificate's policies or things changed: decide afresh from now on. */
  refresh(s: Session): void {
    if (s.ctx.clientId !== undefined) s.ctx = this.contextOf(s, s.ctx.clientId);
    s.policies = undefined;
    s.decisions.clear();
  }

  private contextOf(s: Session, clientId: string): Session['ctx'] {
    // the thing policy variables resolve when the client id is the name of a thing attached to the certificate
    const thing = this.authority.thingsOf(s.certificateArn).find((t) => t.thingName === clientId);
    return { clientId, certificateId: s.certificateId, ...(thing ? { thing } : {}) };
  }

  private arn(kind: 'client' | 'topic' | 'topicfilter', name: string): string {
    return iotArn[kind](this.authority.region, this.authority.account, name);
  }

  private allowed(s: Session, action: string, resource: string): boolean {
    if (s.revoked) return false;
    const key = `${action} ${resource}`;
    const hit = s.decisions.get(key);
    if (hit !== undefined) return hit;
    const ok = evaluate(this.policiesOf(s), action, resource, s.ctx).decision === 'allow';
    if (s.decisions.size >= DECISION_CACHE_MAX) s.decisions.clear();
    s.decisions.set(key, ok);
    return ok;
  }

  private policiesOf(s: Session): PolicyDocument[] {
    if (!s.policies) {
      s.policies = [];
      for (const text of this.authority.policyDocuments(s.certificateArn, s.ctx.clientId)) {
        try {
          s.policies.push(parsePolicy(text));
        } catch (e) {
          this.log.warn({ certificateId: s.certificateId, err: (e as Error).message }, 'ignoring a policy that does not parse');
        }
      }
    }
    return s.policies;
  }
}
