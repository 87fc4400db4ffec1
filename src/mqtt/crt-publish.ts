import { createRequire } from 'node:module';
import { io, type mqtt } from 'aws-iot-device-sdk-v2';

/**
 * The MQTT 3.1.1 publish of the CRT binding, called without the SDK's wrapper.
 *
 * `MqttClientConnection.publish()` wraps each call in a generator-driven `__awaiter`, two promises
 * and a bound callback before it reaches the native `mqtt_client_connection_publish`; on one
 * connection at `--interval 0` that wrapper and its garbage were a fifth of elf's CPU (bench/,
 * BENCHMARKS.md). Here the binding is called directly with one callback. It is the binding of the
 * aws-crt the SDK itself loaded (resolved from the SDK's location), so the native handle matches.
 * When the binding does not have the function (another aws-crt version), `fastPublish` is
 * undefined and the caller uses the SDK's publish(); test/unit/crt-publish.test.ts notices that.
 *
 * Every publish carries its callback, although each costs a libuv async handle (and every wake-up
 * of the loop walks all of them: the main thread's limit at 10,000 connections): in aws-crt 1.33 a
 * publish without one leaks its completion record in the binding (measured: RSS +2.5 MB/s at
 * 40,000 msg/s; BENCHMARKS.md).
 */
type NativePublish = (
  handle: unknown,
  topic: string,
  payload: string | Buffer,
  qos: number,
  retain: boolean,
  onComplete: (packetId: number, errorCode: number) => void,
) => void;

function load(): NativePublish | undefined {
  try {
    const sdk = createRequire(import.meta.url).resolve('aws-iot-device-sdk-v2');
    const binding = (createRequire(sdk)('aws-crt/dist/native/binding.js') as { default?: { mqtt_client_connection_publish?: unknown } }).default;
    const fn = binding?.mqtt_client_connection_publish;
    return typeof fn === 'function' ? (fn as NativePublish) : undefined;
  } catch {
    return undefined;
  }
}

const nativePublish = load();

/** true when publishes bypass the SDK's wrapper */
export const fastPublishAvailable = nativePublish !== undefined;

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
      (e: unknown) => done(String(e instanceof Error ? e.message : e)),
    );
    return;
  }
  try {
    nativePublish(conn.native_handle(), topic, payload, qos, false, (_packetId, errorCode) =>
      done(errorCode === 0 ? undefined : `Failed to publish: ${io.error_code_to_string(errorCode)}`),
    );
  } catch (e) {
    done(e instanceof Error ? e.message : String(e));
  }
}
