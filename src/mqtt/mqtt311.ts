import { io, iot, mqtt } from 'aws-iot-device-sdk-v2';
import type { ConnectionOptions, DeviceConnection, MessageHandler, QoS, SendDone } from './types.js';
import { crtPublish, newConnection, onAnyMessage, releaseAfterDisconnect } from './crt-binding.js';
import { Qos0Gate } from './qos0-gate.js';
import { Subscriptions } from './subscriptions.js';
import { ConnectionBase, abortError, buildWithOwnTrust, errorText, pemText, sleep, withTimeout } from './shared.js';

/**
 * MQTT 3.1.1 over the device SDK's `AwsIotMqttConnectionConfigBuilder` (docs/aws-iot-facts.md#device-sdk-connections):
 * persistent session (clean_session false) so that unacknowledged QoS 1 publishes are sent again
 * after a reconnect; the CRT reconnects by itself after an interruption, but "a failure during
 * initial connect would halt reconnects" (SDK MQTT5 user guide), so connect() retries itself.
 * QoS 0 publishes pass a gate that bounds what the CRT holds unsent (qos0-gate.ts).
 */
export class Mqtt311Connection extends ConnectionBase implements DeviceConnection {
  readonly protocol = '3.1.1' as const;
  private readonly conn: mqtt.MqttClientConnection;
  private connected = false;
  private everConnected = false;
  private closed = false;
  private attempt: Promise<boolean> | undefined;
  private readonly gate = new Qos0Gate();
  private readonly subscriptions = new Subscriptions();
  /** QoS 0 publishes the gate holds back (at most the caller's window of them) */
  private readonly waiting: Array<{ topic: string; payload: string | Buffer; bytes: number; done: SendDone }> = [];

  constructor(
    client: mqtt.MqttClient,
    private readonly opts: ConnectionOptions,
  ) {
    super();
    const { cert, key } = opts;
    const builder =
      'path' in cert && 'path' in key
        ? iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(cert.path, key.path)
        : iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(pemText(cert), pemText(key));
    if (opts.caFile) builder.with_certificate_authority_from_path(undefined, opts.caFile);
    builder
      .with_endpoint(opts.host)
      .with_port(opts.port)
      .with_client_id(opts.clientId)
      .with_clean_session(false)
      .with_keep_alive_seconds(opts.keepAliveSeconds ?? 60)
      .with_reconnect_min_sec(Math.max(1, Math.round((opts.reconnectMinMs ?? 1000) / 1000)))
      .with_reconnect_max_sec(Math.max(1, Math.round((opts.reconnectMaxMs ?? 30_000) / 1000)))
      .with_socket_options(new io.SocketOptions(io.SocketType.STREAM, io.SocketDomain.IPV6, opts.connectTimeoutMs ?? 10_000));
    const config = buildWithOwnTrust(opts.caFile, () => builder.build());
    if (!opts.awsLimits) {
      // the SDK's metrics ride in the CONNECT username; other brokers may not expect them
      config.disable_metrics = true;
      config.metrics = undefined;
    }
    this.conn = newConnection(client, config);
    // the CRT takes the any-message callback only before the first connect
    if (!opts.publishOnly) onAnyMessage(this.conn, (topic, payload) => this.subscriptions.dispatch(topic, Buffer.from(payload)));
    this.conn.on('interrupt', (error) => {
      this.connected = false;
      if (!this.closed) this.emit({ type: 'interrupted', error: errorText(error) });
    });
    this.conn.on('resume', (_rc, sessionPresent) => {
      this.connected = true;
      if (!sessionPresent) this.subscriptions.subscribeAgain((filter, qos) => this.crtSubscribe(filter, qos));
      if (!this.closed) this.emit({ type: 'resumed', sessionPresent });
    });
    // 'error' must have a listener or the emitter throws; failures surface through the promises
    this.conn.on('error', () => {});
  }

  get clientId(): string {
    return this.opts.clientId;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async connect(signal?: AbortSignal): Promise<void> {
    const min = this.opts.reconnectMinMs ?? 1000;
    const max = this.opts.reconnectMaxMs ?? 30_000;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted || this.closed) throw abortError();
      const tryOnce = this.conn.connect();
      this.attempt = tryOnce;
      try {
        // an abort does not wait for the attempt in flight; close() does (bounded)
        const abort = aborted(signal);
        const outcome = await Promise.race([tryOnce.then(() => 'ok' as const), abort.promise]).finally(abort.dispose);
        if (outcome === 'aborted') throw abortError();
        this.everConnected = true;
        if (this.closed) throw abortError();
        this.connected = true;
        this.emit({ type: 'connected' });
        return;
      } catch (e) {
        if (this.closed || signal?.aborted) throw abortError();
        this.emit({ type: 'failed', error: errorText(e), attempt });
      } finally {
        if (this.attempt === tryOnce) this.attempt = undefined;
      }
      // full jitter, doubling from min to max
      const ceiling = Math.min(max, min * 2 ** Math.min(attempt - 1, 20));
      await sleep(ceiling / 2 + Math.random() * (ceiling / 2), signal);
    }
  }

  publish(topic: string, payload: string | Buffer, qos: QoS): Promise<void> {
    return new Promise<void>((resolve, reject) => this.send(topic, payload, qos, (error) => (error === undefined ? resolve() : reject(new Error(error)))));
  }

  send(topic: string, payload: string | Buffer, qos: QoS, done: SendDone): void {
    if (this.closed) return done('the connection is closed');
    if (qos === 1) return crtPublish(this.conn, topic, payload, mqtt.QoS.AtLeastOnce, done);
    // QoS 0 goes through the gate (qos0-gate.ts): the CRT would queue without bound otherwise.
    // A string's length stands for its bytes (exact for ASCII; the gate's bounds are soft anyway).
    const bytes = topic.length + payload.length;
    if (this.waiting.length === 0 && this.gate.canSend(bytes)) return this.sendQos0(topic, payload, bytes, done);
    this.waiting.push({ topic, payload, bytes, done });
  }

  private sendQos0(topic: string, payload: string | Buffer, bytes: number, done: SendDone): void {
    const sync = this.gate.sent(bytes);
    if (sync === undefined) return crtPublish(this.conn, topic, payload, mqtt.QoS.AtMostOnce, done);
    crtPublish(this.conn, topic, payload, mqtt.QoS.AtLeastOnce, (error) => {
      this.gate.settled(sync);
      done(error);
      this.pump();
    });
  }

  /** hands waiting QoS 0 publishes to the client, in order, as far as the gate lets them */
  private pump(): void {
    while (this.waiting.length > 0 && this.gate.canSend(this.waiting[0]!.bytes)) {
      const w = this.waiting.shift()!;
      this.sendQos0(w.topic, w.payload, w.bytes, w.done);
    }
  }

  async subscribe(filter: string, qos: QoS, onMessage: MessageHandler): Promise<void> {
    if (this.opts.publishOnly) throw new Error('this connection was made publish-only');
    if (this.closed) throw new Error('the connection is closed');
    this.subscriptions.add(filter, qos, onMessage);
    try {
      await this.crtSubscribe(filter, qos);
    } catch (e) {
      this.subscriptions.remove(filter, onMessage);
      throw e;
    }
  }

  private async crtSubscribe(filter: string, qos: QoS): Promise<void> {
    // no per-subscription callback: every message goes through onAnyMessage (crt-binding.ts)
    const res = await this.conn.subscribe(filter, qos === 1 ? mqtt.QoS.AtLeastOnce : mqtt.QoS.AtMostOnce);
    // 0x80 in the SUBACK is a refusal
    if ((res.qos as number) === 128) throw new Error(`the broker refused the subscription to ${filter}`);
  }

  async close(timeoutMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.connected = false;
    for (const w of this.waiting.splice(0)) w.done('the connection is closed');
    // never release the native connection under an attempt in flight
    if (this.attempt) await withTimeout(this.attempt.then(() => undefined, () => undefined), timeoutMs, undefined);
    if (this.attempt) return; // still hanging: leave it rather than free it under the CRT
    if (this.everConnected) {
      // released when the disconnect completes, even after the wait has timed out (a connection
      // between reconnect attempts completes it only at its next attempt), or at once when the
      // CRT refused it (nothing in flight then); never under a disconnect still in flight
      const release = () => releaseAfterDisconnect(this.conn);
      await withTimeout(this.conn.disconnect().then(release, release), timeoutMs, undefined);
    } else {
      (this.conn as unknown as { close(): void }).close();
    }
  }
}

function aborted(signal?: AbortSignal): { promise: Promise<'aborted'>; dispose: () => void } {
  let dispose = () => {};
  const promise = new Promise<'aborted'>((resolve) => {
    if (!signal) return;
    if (signal.aborted) return resolve('aborted');
    const on = () => resolve('aborted');
    signal.addEventListener('abort', on, { once: true });
    dispose = () => signal.removeEventListener('abort', on);
  });
  return { promise, dispose };
}
