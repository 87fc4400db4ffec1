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
/** this many quick drops in a row make a takeover likely */
export const QUICK_DROPS = 3;

export class TakeoverWatch {
  private upAt: number | undefined;
  private quickDrops = 0;
  private reported = false;

  connected(now: number): void {
    this.upAt = now;
  }

  /** Returns true once, on the drop that makes a takeover likely. */
  interrupted(now: number): boolean {
    const quick = this.upAt !== undefined && now - this.upAt <= QUICK_DROP_MS;
    this.upAt = undefined;
    this.quickDrops = quick ? this.quickDrops + 1 : 0;
    if (this.reported || this.quickDrops < QUICK_DROPS) return false;
    this.reported = true;
    return true;
  }
}

/** The words for it, naming the client ids (the things' names). */
export function takeoverMessage(clientIds: string[]): string {
  const shown = clientIds.length <= 3 ? clientIds.join(', ') : `${clientIds.slice(0, 3).join(', ')} and ${clientIds.length - 3} more`;
  return (
    `${shown}: disconnected again and again right after connecting; another client is probably using the same client id ` +
    '(the broker keeps the connection that came last): stop the other client (another elf send or subscribe on this fleet, or a device with this certificate)'
  );
}
