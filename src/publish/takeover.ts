/**
 * Tells a connection taken over by another client with the same client id from an ordinary
 * interruption. A broker keeps one connection per client id: when two clients share one, each
 * connect throws the other out, so the connection drops again and again right after it is made
 * (AWS IoT Core: "AWS IoT differences from MQTT specifications" in
 * https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html; aedes and mosquitto do the same).
 * Pure: the caller passes the time.
 */

/** a drop this soon after the connection was made counts as quick */
export const QUICK_DROP_MS = 5_000;
/** this many quick drops in a row make a takeover (or a refused publish) likely */
export const QUICK_DROPS = 3;

/** A connection's publish counters, when the watch is told of a connect or a drop. */
export interface PublishCounts {
  sent: number;
  /** answered: acknowledged, or failed */
  answered: number;
}

export interface DropContext extends Partial<PublishCounts> {
  /** the broker said why: MQTT 5 DISCONNECT 0x87 Not authorized */
  notAuthorized?: boolean;
}

/**
 * Why a connection keeps dropping, once it is likely: `publish-refused` when the broker ends it for a
 * publish the policy refuses (MQTT 5 says so, reason code 0x87; over MQTT 3.1.1 AWS just closes the
 * connection, so: quick drops in a row, each with publishes outstanding and none answered since the
 * connect), else `takeover` for quick drops in a row.
 */
export type DropCause = 'takeover' | 'publish-refused';

export class TakeoverWatch {
  private upAt: number | undefined;
  private atUp: PublishCounts | undefined;
  private quickDrops = 0;
  private refusedDrops = 0;
  private reported = false;

  connected(now: number, counts?: PublishCounts): void {
    this.upAt = now;
    this.atUp = counts;
  }

  /** Returns the cause once, on the drop that makes it likely. */
  interrupted(now: number, drop: DropContext = {}): DropCause | undefined {
    const quick = this.upAt !== undefined && now - this.upAt <= QUICK_DROP_MS;
    // publishes in flight, none answered since the connect: counted by what is outstanding, not by what
    // was sent since the connect, because the client resends an unacknowledged QoS 1 publish on the new
    // connection itself (elf's counters do not move: `send --count 1` was a takeover from the second drop)
    const unanswered = this.atUp !== undefined && drop.sent !== undefined && drop.answered !== undefined && drop.sent > drop.answered && drop.answered === this.atUp.answered;
    this.upAt = undefined;
    this.atUp = undefined;
    this.quickDrops = quick ? this.quickDrops + 1 : 0;
    this.refusedDrops = quick && unanswered ? this.refusedDrops + 1 : 0;
    if (this.reported) return undefined;
    if (drop.notAuthorized || this.refusedDrops >= QUICK_DROPS) {
      this.reported = true;
      return 'publish-refused';
    }
    if (this.quickDrops < QUICK_DROPS) return undefined;
    this.reported = true;
    return 'takeover';
  }
}

const listed = (clientIds: string[]): string => (clientIds.length <= 3 ? clientIds.join(', ') : `${clientIds.slice(0, 3).join(', ')} and ${clientIds.length - 3} more`);

/** The words for it, naming the client ids (the things' names). */
export function takeoverMessage(clientIds: string[]): string {
  return (
    `${listed(clientIds)}: disconnected again and again right after connecting; another client is probably using the same client id ` +
    '(the broker keeps the connection that came last): stop the other client (another elf send or subscribe on this fleet, or a device with this certificate)'
  );
}

/** The words for a publish the policy refuses (AWS: https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt5-reason-codes). */
export function publishRefusedMessage(clientIds: string[], topic?: string): string {
  return (
    `${listed(clientIds)}: the broker ends the connection right after a publish${topic ? ` to ${topic}` : ''}: the thing's policy probably does not allow ` +
    'iot:Publish on that topic (AWS IoT Core closes an MQTT 3.1.1 connection for a refused publish; over MQTT 5 it says so with reason code 0x87); ' +
    "allow the topic in the thing's policy, or publish where it allows"
  );
}
