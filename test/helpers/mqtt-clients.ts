import { spawn } from 'node:child_process';
import { connect as mqttjsConnect, type IClientOptions, type MqttClient } from 'mqtt';
import { iot, mqtt } from 'aws-iot-device-sdk-v2';

/** Rejects after ms with a message, so that no wait in a test is unbounded. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)))]).finally(() =>
    clearTimeout(t),
  );
}

export interface Endpoint {
  host: string;
  port: number;
  caPem: string;
}

export interface Identity {
  certPem: string;
  privateKey: string;
}

/**
 * Resolves with the first message in `messages` (those there now and those still to come) that
 * `match` accepts; the receiver calls each function in `waiters` after pushing a message.
 */
export function waitForMessage<M>(messages: readonly M[], waiters: Set<() => void>, match: (m: M) => boolean, ms: number, what: string): Promise<M> {
  let seen = 0;
  let check = () => undefined as void;
  return within(
    new Promise<M>((resolve) => {
      check = () => {
        for (; seen < messages.length; seen++) {
          if (match(messages[seen]!)) {
            waiters.delete(check);
            resolve(messages[seen]!);
            return;
          }
        }
      };
      waiters.add(check);
      check();
    }),
    ms,
    what,
  ).finally(() => waiters.delete(check));
}

// ---------------------------------------------------------------- the device SDK (MQTT 3.1.1 client)

export interface SdkConnection {
  conn: mqtt.MqttClientConnection;
  /** resolves at the first 'interrupt' (the broker closed the connection) */
  interrupted: Promise<unknown>;
  /** messages received, by topic */
  messages: { topic: string; payload: string }[];
  /** waits for a message on a topic (matching an optional predicate) */
  next(topic: string, pred?: (payload: string) => boolean, ms?: number): Promise<string>;
  close(): Promise<void>;
}

export async function sdkConnect(ep: Endpoint, id: Identity, clientId: string): Promise<SdkConnection> {
  const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(id.certPem, id.privateKey)
    .with_certificate_authority(ep.caPem)
    .with_endpoint(ep.host)
    .with_port(ep.port)
    .with_client_id(clientId)
    .with_clean_session(true)
    .with_reconnect_min_sec(1)
    .with_reconnect_max_sec(2)
    .build();
  const conn = new mqtt.MqttClient().new_connection(config);
  const messages: { topic: string; payload: string }[] = [];
  const waiters = new Set<() => void>();
  conn.on('message', (topic, payload) => {
    messages.push({ topic, payload: Buffer.from(payload).toString('utf8') });
    for (const w of waiters) w();
  });
  const interrupted = new Promise((resolve) => conn.once('interrupt', resolve));
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    // disconnect() also releases the native connection
    await within(conn.disconnect(), 5000, 'device SDK disconnect').catch(() => undefined);
  };
  try {
    await within(conn.connect(), 15_000, `device SDK connect as ${clientId}`);
  } catch (e) {
    await close();
    throw e;
  }
  return {
    conn,
    interrupted,
    messages,
    next: (topic, pred = () => true, ms = 10_000) => waitForMessage(messages, waiters, (m) => m.topic === topic && pred(m.payload), ms, `a message on ${topic}`).then((m) => m.payload),
    close,
  };
}

// ---------------------------------------------------------------- MQTT.js (raw protocol)

export type Outcome = 'connected' | 'closed';

/** Connects with MQTT.js over TLS (no reconnects); resolves whether the broker let it in. */
export async function mqttjsTry(ep: Endpoint, id: Partial<Identity> & { ca?: string }, clientId: string, extra: IClientOptions = {}) {
  const client: MqttClient = mqttjsConnect({
    protocol: 'mqtts',
    host: ep.host,
    port: ep.port,
    ca: id.ca ?? ep.caPem,
    ...(id.certPem ? { cert: id.certPem } : {}),
    ...(id.privateKey ? { key: id.privateKey } : {}),
    clientId,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...extra,
  });
  client.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  const outcome = await within(
    new Promise<Outcome>((resolve) => {
      client.once('connect', () => resolve('connected'));
      client.once('close', () => resolve('closed'));
    }),
    15_000,
    `MQTT.js connect as ${clientId}`,
  );
  return { client, outcome, closed, end: () => client.endAsync(true).catch(() => undefined) };
}

// ---------------------------------------------------------------- mosquitto clients (Debian mosquitto-clients)

export interface Files {
  ca: string;
  cert: string;
  key: string;
}

export function mosquittoArgs(ep: Endpoint, files: Files, clientId: string): string[] {
  return ['-h', ep.host, '-p', String(ep.port), '--cafile', files.ca, '--cert', files.cert, '--key', files.key, '-i', clientId, '-V', 'mqttv311'];
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a mosquitto client; `ready` (when given) resolves once stdout or stderr matches it. */
export function mosquitto(bin: 'mosquitto_pub' | 'mosquitto_sub', args: string[], ready?: RegExp, timeoutMs = 20_000) {
  // mosquitto's stdout is block-buffered on a pipe: line-buffer it so that `ready` can be seen
  const child = spawn('stdbuf', ['-oL', bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let onData = () => undefined as void;
  child.stdout.setEncoding('utf8').on('data', (d: string) => ((stdout += d), onData()));
  child.stderr.setEncoding('utf8').on('data', (d: string) => ((stderr += d), onData()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
  const isReady = ready
    ? within(
        new Promise<void>((resolve, reject) => {
          onData = () => {
            if (ready.test(stdout) || ready.test(stderr)) resolve();
          };
          void done.then((r) => reject(new Error(`${bin} exited (${r.code}) before ${ready}: ${r.stdout}${r.stderr}`)));
        }),
        timeoutMs,
        `${bin} ${ready}`,
      )
    : Promise.resolve();
  return { child, done, ready: isReady, stdout: () => stdout, kill: () => (child.exitCode === null ? child.kill('SIGKILL') : undefined) };
}
