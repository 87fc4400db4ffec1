import type { Connector } from '../../src/mqtt/index.js';
import type { ConnectionEvent, ConnectionOptions, DeviceConnection, MessageHandler, QoS } from '../../src/mqtt/types.js';
import type { Clock, Timer } from '../../src/util/clock.js';

/**
 * Connections without a network, for timing logic on a virtual clock (duration, give-up, drain):
 * what a real broker cannot be told to do on cue (refuse every attempt, drop a connection and
 * never take it back, never acknowledge). Message flow itself is tested against real brokers.
 */
export interface FakeBroker {
  connector: Connector;
  /** connections made so far, by client id */
  readonly connections: Map<string, FakeConnection>;
  /** refuse connection attempts (a failed attempt every `retryMs`) while true */
  down: boolean;
  /** acknowledge publishes (on the next microtask) while true; otherwise they stay in flight */
  acking: boolean;
}

export interface FakeConnection extends DeviceConnection {
  readonly published: Array<{ at: number; topic: string; payload: string; qos: QoS }>;
  readonly options: ConnectionOptions;
  /** the broker drops this connection: emits 'interrupted' */
  drop(error?: string): void;
  /** the client reconnected after a drop: emits 'resumed' */
  resume(): void;
  /** a message arrives on `topic` (to every matching subscription) */
  deliver(topic: string, payload: string): void;
  closed: boolean;
}

/** topic filter matching as MQTT 3.1.1 §4.7 (+ one level, # the rest) */
function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

export function fakeBroker(clock: Clock, retryMs = 1000): FakeBroker {
  const broker: FakeBroker = {
    connections: new Map(),
    down: false,
    acking: true,
    connector: { create: (options) => create(options) },
  };
  const create = (options: ConnectionOptions): FakeConnection => {
    const listeners: Array<(e: ConnectionEvent) => void> = [];
    const subs: Array<{ filter: string; onMessage: MessageHandler }> = [];
    const emit = (e: ConnectionEvent) => listeners.forEach((l) => l(e));
    let connected = false;
    const conn: FakeConnection = {
      clientId: options.clientId,
      protocol: options.protocol ?? '3.1.1',
      options,
      published: [],
      closed: false,
      get isConnected() {
        return connected;
      },
      connect: (signal) =>
        new Promise<void>((resolve, reject) => {
          let attempt = 0;
          let retry: Timer | undefined;
          const aborted = () => {
            retry?.cancel();
            reject(new Error('connect aborted'));
          };
          const tryOnce = () => {
            if (signal?.aborted || conn.closed) return aborted();
            attempt++;
            if (broker.down) {
              emit({ type: 'failed', error: 'connection refused', attempt });
              retry = clock.after(retryMs, tryOnce);
              return;
            }
            signal?.removeEventListener('abort', aborted);
            connected = true;
            emit({ type: 'connected' });
            resolve();
          };
          signal?.addEventListener('abort', aborted, { once: true });
          queueMicrotask(tryOnce);
        }),
      publish: (topic, payload, qos) => new Promise((resolve, reject) => conn.send(topic, payload, qos, (e) => (e === undefined ? resolve() : reject(new Error(e))))),
      send: (topic, payload, qos, done) => {
        conn.published.push({ at: clock.now(), topic, payload: String(payload), qos });
        if (broker.acking) queueMicrotask(() => done(undefined));
      },
      subscribe: async (filter, _qos, onMessage) => {
        subs.push({ filter, onMessage });
      },
      close: async () => {
        conn.closed = true;
        connected = false;
      },
      on: (listener) => listeners.push(listener),
      drop: (error = 'connection reset') => {
        connected = false;
        emit({ type: 'interrupted', error });
      },
      resume: () => {
        connected = true;
        emit({ type: 'resumed', sessionPresent: false });
      },
      deliver: (topic, payload) => {
        for (const s of subs) if (matches(s.filter, topic)) s.onMessage(topic, Buffer.from(payload));
      },
    };
    broker.connections.set(options.clientId, conn);
    return conn;
  };
  return broker;
}
