import { createRequire } from 'node:module';
import { io, type mqtt } from 'aws-iot-device-sdk-v2';

/**
 * The MQTT 3.1.1 publish of the CRT binding, called without the SDK's wrapper.
 *
 * `MqttClientConnection.publish()` wraps each call in a generator-driven `__awaiter`, two promises
 * and a bound callback before it reaches the native `mqtt_client_connection_publish`; on one
 * connection at `--interval 0` that wrapper and its garbage were a fifth of elf's CPU (bench/,
 * BENCHMARKS.md). It also always passes a completion callback, which the binding turns into a
 * libuv async handle per publish; called directly, a publish may go without one
 * (completions.ts). It is the binding of the aws-crt the SDK itself loaded (resolved from the
 * SDK's location), so the native handle matches. When the binding does not have the function
 * (another aws-crt version), the SDK's publish() is used instead; test/unit/crt-publish.test.ts
 * notices that.
 */
type NativePublish = (
  handle: unknown,
  topic: string,
  payload: string | Buffer,
  qos: number,
  retain: boolean,
  onComplete: ((packetId: number, errorCode: number) => void) | undefined,
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
 * Hands a publish to the CRT. Returns undefined when it was taken, else why not (and then
 * `onComplete` is never called). `onComplete`, when given, is called once the CRT completed the
 * publish (QoS 1: PUBACK; QoS 0: handed to the connection), with the reason when it failed.
 */
export function crtPublish(
  conn: mqtt.MqttClientConnection,
  topic: string,
  payload: string | Buffer,
  qos: mqtt.QoS,
  onComplete: ((error: string | undefined) => void) | undefined,
): string | undefined {
  if (nativePublish === undefined) {
    conn.publish(topic, payload, qos).then(
      () => onComplete?.(undefined),
      (e: unknown) => onComplete?.(String(e instanceof Error ? e.message : e)),
    );
    return undefined;
  }
  try {
    nativePublish(
      conn.native_handle(),
      topic,
      payload,
      qos,
      false,
      onComplete && ((_packetId, errorCode) => onComplete(errorCode === 0 ? undefined : `Failed to publish: ${io.error_code_to_string(errorCode)}`)),
    );
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
