import { io, iot, mqtt5 } from 'aws-iot-device-sdk-v2';
import { DEFAULT_SESSION_EXPIRY_SECONDS } from '../aws/limits.js';
import type { ConnectionOptions, DeviceConnection, MessageHandler, QoS, SendDone } from './types.js';
import { Subscriptions } from './subscriptions.js';
import { ConnectionBase, abortError, buildWithOwnTrust, errorText, pemText, withTimeout } from './shared.js';

/** Session kept by the broker across reconnects, so QoS 1 survives them (AWS's default expiry: 1 hour). */
const SESSION_EXPIRY_S = DEFAULT_SESSION_EXPIRY_SECONDS;
/** MQTT 5 reason code 0x87 Not authorized (AWS: a publish or subscribe the policy refuses) */
const NOT_AUTHORIZED = 0x87;

/**
 * MQTT 5 over `AwsIotMqtt5ClientConfigBuilder` (docs/aws-iot-facts.md#device-sdk-connections). Session RejoinPostSuccess with a
 * non-zero session expiry so unacknowledged QoS 1 publishes are resent after a reconnect. The
 * builder turns on AWS IoT Core's client-side limits (100 publishes/s per connection); they are
 * lifted (`None`) unless `awsLimits`. The client retries failed connects by itself until stop().
 */
export class Mqtt5Connection extends ConnectionBase implements DeviceConnection {
  readonly protocol = '5' as const;
  private readonly client: mqtt5.Mqtt5Client;
  private connected = false;
  private started = false;
  private closed = false;
  private attempts = 0;
  private everConnected = false;
  private readonly subscriptions = new Subscriptions();
  /** the broker takes Subscription Identifiers (CONNACK; AWS IoT Core does not, mosquitto does) */
  private subscriptionIds = false;

  constructor(
    bootstrap: io.ClientBootstrap,
    private readonly opts: ConnectionOptions,
  ) {
    super();
    const { cert, key } = opts;
    const builder =
      'path' in cert && 'path' in key
        ? iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromPath(opts.host, cert.path, key.path)
        : iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromMemory(opts.host, pemText(cert), pemText(key));
    if (opts.caFile) builder.withCertificateAuthorityFromPath(undefined, opts.caFile);
    builder
      .withPort(opts.port)
      .withConnectProperties({
        clientId: opts.clientId,
        keepAliveIntervalSeconds: opts.keepAliveSeconds ?? 60,
        sessionExpiryIntervalSeconds: SESSION_EXPIRY_S,
      })
      .withSessionBehavior(mqtt5.ClientSessionBehavior.RejoinPostSuccess)
      .withRetryJitterMode(mqtt5.RetryJitterType.Full)
      .withMinReconnectDelayMs(opts.reconnectMinMs ?? 1000)
      .withMaxReconnectDelayMs(opts.reconnectMaxMs ?? 30_000)
      .withOfflineQueueBehavior(mqtt5.ClientOperationQueueBehavior.FailQos0PublishOnDisconnect)
      .withSocketOptions(new io.SocketOptions(io.SocketType.STREAM, io.SocketDomain.IPV6, opts.connectTimeoutMs ?? 10_000))
      .withExtendedValidationAndFlowControlOptions(
        opts.awsLimits ? mqtt5.ClientExtendedValidationAndFlowControl.AwsIotCoreDefaults : mqtt5.ClientExtendedValidationAndFlowControl.None,
      );
    const config = buildWithOwnTrust(opts.caFile, () => builder.build());
    config.clientBootstrap = bootstrap;
    if (!opts.awsLimits) {
      config.disableMetrics = true;
      config.metrics = undefined;
    }
    this.client = new mqtt5.Mqtt5Client(config);
    this.client.on('error', () => {});
    this.client.on('connectionSuccess', (e) => {
      this.connected = true;
      this.subscriptionIds = e.settings.subscriptionIdentifiersAvailable;
      if (this.closed) return;
      if (!this.everConnected) {
        this.everConnected = true;
        this.emit({ type: 'connected' });
      } else {
        if (!e.connack.sessionPresent) this.subscriptions.subscribeAgain((filter, qos, id) => this.sendSubscribe(filter, qos, id));
        this.emit({ type: 'resumed', sessionPresent: e.connack.sessionPresent });
      }
    });
    this.client.on('connectionFailure', (e) => {
      this.attempts++;
      if (this.closed) return;
      const code = e.connack?.reasonCode;
      if (code !== undefined && code >= 0x80) {
        this.emit({ type: 'failed', error: connackRefusal(code, e.connack?.reasonString), attempt: this.attempts, refused: true });
      } else this.emit({ type: 'failed', error: errorText(e.error), attempt: this.attempts });
    });
    this.client.on('disconnection', (e) => {
      const was = this.connected;
      this.connected = false;
      const code = e.disconnect?.reasonCode;
      const error = code !== undefined && code >= 0x80 ? `the broker disconnected: reason code 0x${code.toString(16)}${e.disconnect?.reasonString ? ` (${e.disconnect.reasonString})` : ''}` : errorText(e.error);
      if (was && !this.closed) this.emit({ type: 'interrupted', error, ...(code === NOT_AUTHORIZED ? { notAuthorized: true } : {}) });
    });
    this.client.on('messageReceived', (e) => {
      const topic = e.message.topicName;
      const payload = e.message.payload;
      const buf =
        payload === undefined
          ? Buffer.alloc(0)
          : typeof payload === 'string'
            ? Buffer.from(payload)
            : Buffer.from(payload instanceof ArrayBuffer ? payload : (payload as ArrayBufferView).buffer);
      this.subscriptions.dispatch(topic, buf, e.message.subscriptionIdentifiers);
    });
  }

  get clientId(): string {
    return this.opts.clientId;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  connect(signal?: AbortSignal): Promise<void> {
    if (this.closed || signal?.aborted) return Promise.reject(abortError());
    return new Promise<void>((resolve, reject) => {
      const onSuccess = () => {
        cleanup();
        resolve();
      };
      const onAbort = () => {
        cleanup();
        reject(abortError());
      };
      const cleanup = () => {
        this.client.removeListener('connectionSuccess', onSuccess);
        signal?.removeEventListener('abort', onAbort);
      };
      this.client.on('connectionSuccess', onSuccess);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (!this.started) {
        this.started = true;
        this.client.start();
      }
    });
  }

  async publish(topic: string, payload: string | Buffer, qos: QoS): Promise<void> {
    // the CRT's client must not be used after close(): a publish then never settles
    if (this.closed) throw new Error('the connection is closed');
    const res = await this.client.publish({
      topicName: topic,
      payload,
      qos: qos === 1 ? mqtt5.QoS.AtLeastOnce : mqtt5.QoS.AtMostOnce,
    });
    // a PUBACK reason code >= 0x80 is a refusal (MQTT 5 §3.4.2.1)
    if (res && res.reasonCode >= 128) throw new Error(pubackRefusal(res.reasonCode, topic, res.reasonString));
  }

  send(topic: string, payload: string | Buffer, qos: QoS, done: SendDone): void {
    this.publish(topic, payload, qos).then(
      () => done(undefined),
      (e: unknown) => done(errorText(e)),
    );
  }

  async subscribe(filter: string, qos: QoS, onMessage: MessageHandler): Promise<void> {
    if (this.opts.publishOnly) throw new Error('this connection was made publish-only');
    if (this.closed) throw new Error('the connection is closed');
    const id = this.subscriptions.add(filter, qos, onMessage);
    try {
      const suback = await this.sendSubscribe(filter, qos, id);
      const code = suback.reasonCodes[0] ?? 0;
      if (code >= 128) throw new Error(`the broker refused the subscription to ${filter} (SUBACK reason ${code})`);
    } catch (e) {
      this.subscriptions.remove(filter, onMessage);
      throw e;
    }
  }

  private sendSubscribe(filter: string, qos: QoS, id: number): Promise<mqtt5.SubackPacket> {
    return this.client.subscribe({
      subscriptions: [{ topicFilter: filter, qos: qos === 1 ? mqtt5.QoS.AtLeastOnce : mqtt5.QoS.AtMostOnce }],
      // with an identifier, each copy of a message says which subscription it is for (subscriptions.ts)
      ...(this.subscriptionIds ? { subscriptionIdentifier: id } : {}),
    });
  }

  async close(timeoutMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.connected = false;
    if (this.started) {
      const stopped = new Promise<void>((resolve) => this.client.once('stopped', () => resolve()));
      // with a DISCONNECT (normal disconnection): without one the CRT just closes the socket
      this.client.stop({ reasonCode: mqtt5.DisconnectReasonCode.NormalDisconnection });
      await withTimeout(stopped, timeoutMs, undefined);
    }
    this.client.close();
  }
}

/**
 * A refusing PUBACK in words, e.g. "the broker refused the message: not authorized (PUBACK reason
 * 0x87: iot:Publish on elf/x is not allowed by the policy)": AWS IoT Core answers 0x87 for a publish
 * the policy denies (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt5-reason-codes).
 */
export function pubackRefusal(code: number, topic: string, reasonString?: string): string {
  const name = mqtt5.PubackReasonCode[code] as string | undefined;
  const words = name ? name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase() : 'refused';
  const hex = `0x${code.toString(16).toUpperCase().padStart(2, '0')}`;
  const denial = code === NOT_AUTHORIZED ? `: iot:Publish on ${topic} is not allowed by the policy` : '';
  return `the broker refused the message: ${words} (PUBACK reason ${hex}${denial})${reasonString ? `: ${reasonString}` : ''}`;
}

/**
 * A refusing CONNACK in words, e.g. "the broker refused the connection: not authorized (CONNACK
 * reason 0x87)", with the server's reason string when it sent one (MQTT 5 §3.2.2.2).
 */
export function connackRefusal(code: number, reasonString?: string): string {
  const name = mqtt5.ConnectReasonCode[code] as string | undefined;
  const words = name ? name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase() : 'refused';
  const hex = `0x${code.toString(16).toUpperCase().padStart(2, '0')}`;
  return `the broker refused the connection: ${words} (CONNACK reason ${hex})${reasonString ? `: ${reasonString}` : ''}`;
}
