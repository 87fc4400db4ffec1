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
 * 2. newConnection(): the SDK gives every connection four event callbacks, each a libuv async
 *    handle for the connection's life, and libuv walks every async handle of the loop on each
 *    wake-up: at 10,000 connections that walk was most of the main thread. Elf uses two of them
 *    (interrupted, resumed); the success and failure events (the SDK's `connection_success` and
 *    `connection_failure`, which elf does not listen to) are left out, halving the walk.
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
/** true when connections can be made without the success and failure callbacks */
export const leanConnectionsAvailable = typeof binding?.mqtt_client_connection_new === 'function';

/**
 * `client.new_connection(config)` without the success and failure event callbacks: the SDK's
 * constructor calls the binding's `mqtt_client_connection_new`, which is swapped, for this
 * synchronous call only, for one that drops those two arguments (the binding takes them as
 * optional). Any other argument list is passed on untouched.
 */
export function newConnection(client: mqtt.MqttClient, config: mqtt.MqttConnectionConfig): mqtt.MqttClientConnection {
  const original = binding?.mqtt_client_connection_new;
  if (!binding || typeof original !== 'function') return client.new_connection(config);
  binding.mqtt_client_connection_new = (...args: unknown[]) => {
    if (args.length === CONNECTION_NEW_ARGS) {
      args[ON_SUCCESS] = undefined;
      args[ON_FAILURE] = undefined;
    }
    return (original as (...a: unknown[]) => unknown)(...args);
  };
  try {
    return client.new_connection(config);
  } finally {
    binding.mqtt_client_connection_new = original;
  }
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
