import aedesPersistence, { type AedesMemoryPersistence } from 'aedes-persistence';
import type { Client } from 'aedes';

// the package is CommonJS (module.exports = the factory); its types declare it as an ES default export
const memoryPersistence = aedesPersistence as unknown as () => AedesMemoryPersistence;

/** The fields of a queued message the memory persistence matches on. */
interface Queued {
  brokerId?: string;
  brokerCounter?: number;
  messageId?: number;
}

/** Not a packet identifier (those are 1–65535): marks a queued copy for removal. */
const UNSENT_MARK = -1;

/**
 * aedes's in-memory persistence with two fixes for clients with a persistent session and
 * overlapping subscriptions, as `elf subscribe` holds on the stand-in (`elf` and `elf/#`: AWS's
 * `elf/#` does not match `elf`, MQTT's does, and aedes routes by MQTT's rule). aedes 2.0.0-beta.1
 * delivers such a QoS 1 message once (its per-client dedupe), then:
 * - queued it once per matching subscription: the extra copies stay queued after the PUBACK and are
 *   sent again on the next connection. Here it is queued once per client (MQTT 3.1.1 §3.3.5 and MQTT 5
 *   §3.3.4 allow one delivery per client for overlapping subscriptions; mosquitto does that too);
 * - for each delivery it skips (the duplicate, or one authorizeForward refuses) "clears" the queued
 *   copy by packet identifier while it has none yet, so it removes the copy the other delivery is
 *   about to send ("no such packet": the connection drops and the message is lost or sent again).
 *   Here a copy not yet sent is removed only if, once the deliveries under way have run, no delivery
 *   took it.
 */
export function brokerPersistence(): AedesMemoryPersistence {
  const persistence = memoryPersistence();
  type Fn = (...args: unknown[]) => Promise<unknown>;
  const raw = persistence as unknown as Record<'outgoingEnqueueCombi' | 'outgoingClearMessageId' | 'outgoingUpdate', Fn>;
  const enqueue = raw.outgoingEnqueueCombi.bind(persistence);
  const clear = raw.outgoingClearMessageId.bind(persistence);
  const update = raw.outgoingUpdate.bind(persistence);
  raw.outgoingEnqueueCombi = (subs, ...rest) => enqueue(onePerClient(subs as { clientId: string }[]), ...rest);
  raw.outgoingClearMessageId = (client, packet, ...rest) => {
    const p = packet as Queued;
    if (p.messageId !== undefined || p.brokerId === undefined || rest.length > 0) return clear(client, packet, ...rest);
    return new Promise((resolve, reject) =>
      setImmediate(() => {
        dropIfUnsent(persistence, client as Client, p, update, clear).then(resolve, reject);
      }),
    );
  };
  return persistence;
}

/** Remove the queued copy of `packet` unless a delivery has given it a packet identifier. */
async function dropIfUnsent(persistence: AedesMemoryPersistence, client: Client, packet: Queued, update: (...a: unknown[]) => Promise<unknown>, clear: (...a: unknown[]) => Promise<unknown>): Promise<unknown> {
  for await (const q of persistence.outgoingStream(client) as AsyncIterable<Queued>) {
    if (q.brokerId !== packet.brokerId || q.brokerCounter !== packet.brokerCounter) continue;
    if (q.messageId !== undefined) return undefined;
    await update(client, { ...q, messageId: UNSENT_MARK });
    return clear(client, { messageId: UNSENT_MARK });
  }
  return undefined;
}

/** The first subscription of each client, in order. */
export function onePerClient<S extends { clientId: string }>(subs: readonly S[]): S[] {
  const seen = new Set<string>();
  return subs.filter((s) => {
    if (seen.has(s.clientId)) return false;
    seen.add(s.clientId);
    return true;
  });
}
