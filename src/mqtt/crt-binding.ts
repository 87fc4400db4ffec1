import { createRequire } from 'node:module';
import { io, type mqtt } from 'aws-iot-device-sdk-v2';
import { errorText } from './shared.js';

/**
 * The two places where elf calls the CRT binding under the device SDK directly, each because the
 * SDK's path costs what a simulator of 10,000 devices cannot pay (bench/, BENCHMARKS.md). It is
 * the binding of the aws-crt the SDK itself loaded (resolved from the SDK's location), so native
 * handles match. When the binding lacks a function (another aws-crt version) the SDK's own path is
 * used; test/unit/crt-binding.test.ts notices that.
 *
 * 1. crtPublish(): `MqttClientConnection.publish()` wraps each call in a generator-driven
 *    `__awaiter`, two promises and a bound callback before it reaches the native
 *    `mqtt_client_connection_publish`; on one connection at `--interval 0` that was a fifth of
 *    elf's CPU. Every publish still carries its callback, although each costs a libuv async handle
 *    for as long as it is in flight: in aws-crt 1.33 a publish without one leaks its completion
 *    record in the binding (measured: RSS +2.5 MB/s at 40,000 msg/s).
 * 2. newConnection(): the SDK gives every connection six callbacks into JavaScript, each a
 *    thread-safe function (a libuv async handle) for the connection's life, and libuv walks every
 *    async handle of the loop on each wake-up: at 10,000 connections that walk was most of the main
 *    thread. Elf uses two of them (interrupted, resumed). The other four are left out: success and
 *    failure (elf waits on connect()'s own callback), any-message (only connections that
 *    subscribe get it: onAnyMessage()) and closed, whose only other job in the SDK is to release the native connection
 *    after a disconnect: releaseAfterDisconnect() does that instead.
 */
type NativePublish = (
  handle: unknown,
  topic: string,
  payload: string | Buffer,
  qos: number,
  retain: boolean,
  onComplete: (packetId: number, errorCode: number) => void,
) => void;

type Binding = Record<string, unknown>;

function load(): Binding | undefined {
  try {
    const sdk = createRequire(import.meta.url).resolve('aws-iot-device-sdk-v2');
    return (createRequire(sdk)('aws-crt/dist/native/binding.js') as { default?: Binding }).default;
  } catch {
    return undefined;
  }
}

const binding = load();
const nativePublish = typeof binding?.mqtt_client_connection_publish === 'function' ? (binding.mqtt_client_connection_publish as NativePublish) : undefined;
/** the SDK passes these 15 arguments to mqtt_client_connection_new (aws-crt 1.33) */
const CONNECTION_NEW_ARGS = 15;
const ON_SUCCESS = 3;
const ON_FAILURE = 4;

/** true when publishes bypass the SDK's wrapper */
export const fastPublishAvailable = nativePublish !== undefined;
/** true when connections can be made with only the interrupted and resumed callbacks */
export const leanConnectionsAvailable =
  typeof binding?.mqtt_client_connection_new === 'function' &&
  typeof binding.mqtt_client_connection_on_message === 'function' &&
  typeof binding.mqtt_client_connection_on_closed === 'function';

/** connections made without the closed callback: releasing them after a disconnect is ours to do */
const leanConnections = new WeakSet<mqtt.MqttClientConnection>();

/**
 * `client.new_connection(config)` with only the interrupted and resumed callbacks. The SDK's
 * constructor calls the binding's `mqtt_client_connection_new` (which takes the success and failure
 * callbacks as optional), `mqtt_client_connection_on_message` and `mqtt_client_connection_on_closed`;
 * for this synchronous call only, the first drops two arguments and the other two do nothing. An
 * unexpected argument list is passed on untouched, and the connection is then the SDK's own.
 */
export function newConnection(client: mqtt.MqttClient, config: mqtt.MqttConnectionConfig): mqtt.MqttClientConnection {
  if (!binding || !leanConnectionsAvailable) return client.new_connection(config);
  const saved = {
    mqtt_client_connection_new: binding.mqtt_client_connection_new,
    mqtt_client_connection_on_message: binding.mqtt_client_connection_on_message,
    mqtt_client_connection_on_closed: binding.mqtt_client_connection_on_closed,
  };
  let lean = false;
  binding.mqtt_client_connection_new = (...args: unknown[]) => {
    if (args.length === CONNECTION_NEW_ARGS) {
      args[ON_SUCCESS] = undefined;
      args[ON_FAILURE] = undefined;
      lean = true;
    }
    return (saved.mqtt_client_connection_new as (...a: unknown[]) => unknown)(...args);
  };
  const skip = (original: unknown) => (...args: unknown[]) => (lean ? undefined : (original as (...a: unknown[]) => unknown)(...args));
  binding.mqtt_client_connection_on_message = skip(saved.mqtt_client_connection_on_message);
  binding.mqtt_client_connection_on_closed = skip(saved.mqtt_client_connection_on_closed);
  try {
    const conn = client.new_connection(config);
    if (lean) leanConnections.add(conn);
    return conn;
  } finally {
    Object.assign(binding, saved);
  }
}

/** (topic, payload) of a message received; the binding passes the payload as an ArrayBuffer */
type AnyMessage = (topic: string, payload: ArrayBuffer) => void;

/**
 * Gives every message the connection receives to `handler`; call it once, before the first connect
 * (the CRT refuses it later). Elf does not use the CRT's per-subscription callbacks: its topic tree
 * does not match a filter's `#` against the parent level (`elf/#` against `elf`, which MQTT 3.1.1
 * §4.7.1.2 matches and mosquitto sends), and a second subscription to one filter replaces the first
 * one's callback. Connections that never subscribe (`elf send`'s) go without it: publishOnly.
 */
export function onAnyMessage(conn: mqtt.MqttClientConnection, handler: AnyMessage): void {
  if (leanConnections.has(conn)) {
    (binding!.mqtt_client_connection_on_message as (handle: unknown, cb: AnyMessage) => void)(conn.native_handle(), handler);
  } else {
    conn.on('message', (topic, payload) => handler(topic, payload));
  }
}

/**
 * After a completed disconnect: releases the native connection of a lean connection (the SDK does
 * it in the closed callback, which lean connections do not have). Nothing for the SDK's own.
 */
export function releaseAfterDisconnect(conn: mqtt.MqttClientConnection): void {
  if (!leanConnections.delete(conn)) return;
  (conn as unknown as { close(): void }).close();
}

/**
 * Publishes and calls `done` once: with undefined when the CRT completed the publish (QoS 1: PUBACK;
 * QoS 0: handed to the connection), else with the reason. `done` may run synchronously when the
 * CRT refuses the call outright.
 */
export function crtPublish(
  conn: mqtt.MqttClientConnection,
  topic: string,
  payload: string | Buffer,
  qos: mqtt.QoS,
  done: (error: string | undefined) => void,
): void {
  if (nativePublish === undefined) {
    conn.publish(topic, payload, qos).then(
      () => done(undefined),
      (e: unknown) => done(errorText(e)),
    );
    return;
  }
  try {
    nativePublish(conn.native_handle(), topic, payload, qos, false, (_packetId, errorCode) =>
      done(errorCode === 0 ? undefined : `Failed to publish: ${io.error_code_to_string(errorCode)}`),
    );
  } catch (e) {
    done(errorText(e));
  }
}
