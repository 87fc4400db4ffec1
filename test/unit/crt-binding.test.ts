import { createRequire } from 'node:module';
import { iot, mqtt } from 'aws-iot-device-sdk-v2';
import { describe, expect, it } from 'vitest';
import { fastPublishAvailable, leanConnectionsAvailable, newConnection, releaseAfterDisconnect } from '../../src/mqtt/crt-binding.js';
import { createCertificateAuthority, issueDeviceCertificate } from '../../src/local/ca.js';
import { createConnector } from '../../src/mqtt/index.js';

type Binding = Record<string, (...a: unknown[]) => unknown>;
const sdk = createRequire(import.meta.url).resolve('aws-iot-device-sdk-v2');
const binding = (createRequire(sdk)('aws-crt/dist/native/binding.js') as { default: Binding }).default;

/** a connection config the CRT accepts (nothing connects) */
async function config(): Promise<mqtt.MqttConnectionConfig> {
  const ca = await createCertificateAuthority('crt-binding test CA');
  const device = await issueDeviceCertificate(ca);
  return iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(device.certPem, device.privateKey)
    .with_endpoint('127.0.0.1')
    .with_client_id('thing_0')
    .build();
}

/** true when the binding still lets a handler be set: the SDK's constructor did not set one */
function handlerFree(fn: string, conn: mqtt.MqttClientConnection): boolean {
  try {
    binding[fn]!(conn.native_handle(), () => {});
    return true;
  } catch (e) {
    expect(String(e)).toMatch(/more than once/);
    return false;
  }
}

describe('crt-binding', () => {
  // elf calls the CRT binding's publish directly (a fifth of its CPU at --interval 0 went to the
  // SDK's wrapper). An aws-crt upgrade that renames the binding would fall back to the SDK silently
  // and slowly: this test is how that is noticed.
  it('finds the binding publish of the aws-crt the device SDK loads', () => {
    expect(fastPublishAvailable).toBe(true);
  });

  it('can make connections with only the interrupted and resumed callbacks', () => {
    expect(leanConnectionsAvailable).toBe(true);
  });

  it('makes a connection without the any-message and closed handlers, and restores the binding', async () => {
    const client = new mqtt.MqttClient();
    const cfg = await config();
    const before = { ...binding };
    const lean = newConnection(client, cfg);
    expect({ ...binding }).toEqual(before);
    expect(handlerFree('mqtt_client_connection_on_message', lean)).toBe(true);
    expect(handlerFree('mqtt_client_connection_on_closed', lean)).toBe(true);
    // the SDK's own connection sets both: the check above can tell
    const own = client.new_connection(cfg);
    expect(handlerFree('mqtt_client_connection_on_closed', own)).toBe(false);
    releaseAfterDisconnect(lean);
    // the native connection is released: the binding refuses to close it again
    expect(() => binding.mqtt_client_connection_close!(lean.native_handle())).toThrow(/already been closed/);
    // released once: a second call does nothing (a second native close would throw)
    expect(() => releaseAfterDisconnect(lean)).not.toThrow();
    // the SDK's own connection is not elf's to release
    expect(() => releaseAfterDisconnect(own)).not.toThrow();
    (own as unknown as { close(): void }).close();
  });

  it('gives the any-message callback only to connections that may subscribe (elf send makes publish-only ones)', async () => {
    const ca = await createCertificateAuthority('crt-binding test CA');
    const device = await issueDeviceCertificate(ca);
    const connector = createConnector();
    const make = (publishOnly: boolean) =>
      connector.create({ host: '127.0.0.1', port: 1, clientId: 'thing_0', cert: { pem: device.certPem }, key: { pem: device.privateKey }, publishOnly });
    const native = (c: unknown) => (c as { conn: mqtt.MqttClientConnection }).conn;
    const publishOnly = make(true);
    const subscriber = make(false);
    expect(handlerFree('mqtt_client_connection_on_message', native(publishOnly))).toBe(true);
    expect(handlerFree('mqtt_client_connection_on_message', native(subscriber))).toBe(false);
    await expect(publishOnly.subscribe('t', 1, () => {})).rejects.toThrow(/publish-only/);
    await Promise.all([publishOnly.close(), subscriber.close()]);
  });
});
