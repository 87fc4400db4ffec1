/**
 * The device-connection contract: what src/publish needs from an MQTT client, independent of the
 * device SDK. Only src/mqtt/ implements it (over aws-iot-device-sdk-v2 / aws-crt).
 */

export type Protocol = '3.1.1' | '5';
export type QoS = 0 | 1;

/** A certificate or key: a file path, or the PEM text itself. */
export type PemSource = { path: string } | { pem: string };

export interface ConnectionOptions {
  host: string;
  port: number;
  /** the thing name in elf */
  clientId: string;
  cert: PemSource;
  key: PemSource;
  /** trusted CA bundle (PEM file); when absent the system trust store is used */
  caFile?: string;
  /** default '3.1.1', which every broker elf targets speaks (the stand-in, mosquitto and AWS speak 5 as well) */
  protocol?: Protocol;
  /** MQTT keep-alive, seconds (AWS clamps to 30..1200); default 60 */
  keepAliveSeconds?: number;
  /**
   * true against AWS IoT Core: keep the SDK's metrics username and (MQTT 5) its client-side
   * per-connection limits (100 publishes/s, 512 KiB/s; docs/aws-iot-facts.md#message-broker-limits). false for other brokers.
   */
  awsLimits?: boolean;
  /** reconnect backoff bounds; defaults 1 s .. 30 s */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** TCP connect timeout, default 10 s */
  connectTimeoutMs?: number;
  /**
   * true for a connection that never subscribes (`elf send`'s): MQTT 3.1.1 connections then go
   * without the CRT's any-message callback, one libuv handle less per connection (crt-binding.ts),
   * and subscribe() rejects. Default false.
   */
  publishOnly?: boolean;
}

export type ConnectionEvent =
  /** the first successful CONNACK */
  | { type: 'connected' }
  /**
   * an established connection was lost; the client is reconnecting. `notAuthorized` when the broker
   * said why with an MQTT 5 DISCONNECT 0x87 Not authorized (AWS: a publish or subscribe the policy refuses)
   */
  | { type: 'interrupted'; error: string; notAuthorized?: boolean }
  /** reconnected after an interruption */
  | { type: 'resumed'; sessionPresent: boolean }
  /**
   * one connection attempt failed (the connection keeps retrying until closed); `refused` when the
   * broker answered the CONNECT with a refusal (MQTT 5 CONNACK reason 0x80 or above), which
   * retrying the same CONNECT gets again
   */
  | { type: 'failed'; error: string; attempt: number; refused?: boolean };

export type MessageHandler = (topic: string, payload: Buffer) => void;

/** Called once per message sent with send(): undefined when it completed, else why it failed. */
export type SendDone = (error: string | undefined) => void;

export interface DeviceConnection {
  readonly clientId: string;
  readonly protocol: Protocol;
  /** true while a CONNACK'd connection is up */
  readonly isConnected: boolean;
  /**
   * Connects, retrying with backoff after failed attempts (the MQTT 3.1.1 client does not retry a
   * failed first connect by itself). Resolves at the first CONNACK; rejects only when `signal`
   * aborts or the connection is closed first.
   */
  connect(signal?: AbortSignal): Promise<void>;
  /**
   * Resolves when the broker acknowledged the message (QoS 1, PUBACK) or, at QoS 0, when the client
   * took it (MQTT 5: written; MQTT 3.1.1: queued, with backpressure from qos0-gate.ts, which sends one
   * message in 128 of a QoS 0 stream at QoS 1 so that its PUBACK proves the rest arrived); rejects
   * when the client gives it up. While disconnected, QoS 1 publishes are queued and sent (again)
   * after reconnecting.
   */
  publish(topic: string, payload: string | Buffer, qos: QoS): Promise<void>;
  /**
   * publish() with a callback instead of a promise: the hot path of `elf send`, which publishes
   * tens of thousands of messages a second on one connection. `done` may be called synchronously.
   */
  send(topic: string, payload: string | Buffer, qos: QoS, done: SendDone): void;
  /**
   * Subscribes; resolves at the SUBACK, rejects when the broker refused. Every message received is
   * given to each handler whose filter matches its topic, exactly once, however the filters
   * overlap (subscriptions.ts); a filter's `#` matches its parent level (MQTT 3.1.1 §4.7.1.2).
   */
  subscribe(filter: string, qos: QoS, onMessage: MessageHandler): Promise<void>;
  /** Disconnects (bounded by timeoutMs, default 5 s) and releases native resources. Idempotent. */
  close(timeoutMs?: number): Promise<void>;
  on(listener: (event: ConnectionEvent) => void): void;
}
