import { spawn } from 'node:child_process';
import path from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector, type ConnectionEvent, type DeviceConnection, type Protocol } from '../../src/mqtt/index.js';
import { ROOT } from '../helpers/cli.js';
import { collect, startMosquitto, type ClientCert, type Mosquitto } from '../helpers/mosquitto.js';
import { eventually } from '../helpers/poll.js';

/**
 * One contract for both device connections (src/mqtt/mqtt311.ts and mqtt5.ts implement the same
 * DeviceConnection): each behaviour below runs for MQTT 3.1.1 and MQTT 5 against a real mosquitto,
 * with an independent client (MQTT.js) on the other side.
 */

interface Call {
  topic: string;
  payload: string;
}

/** records what each handler was given */
function recorder() {
  const calls = new Map<string, Call[]>();
  return {
    calls,
    handler: (name: string) => {
      calls.set(name, []);
      return (topic: string, payload: Buffer) => calls.get(name)!.push({ topic, payload: payload.toString() });
    },
    of: (name: string) => calls.get(name) ?? [],
    show: () => JSON.stringify(Object.fromEntries(calls)),
  };
}

const sorted = (calls: Call[]) => calls.map((c) => `${c.topic} ${c.payload}`).sort();

describe.each(['3.1.1', '5'] as const)('DeviceConnection contract over MQTT %s (mosquitto)', (protocol: Protocol) => {
  let broker: Mosquitto;
  let me: ClientCert;
  let peer: MqttClient;
  const open: DeviceConnection[] = [];
  const connector = createConnector();
  let n = 0;

  /** a connection under test with its own client id (closed after the suite) */
  const connection = (over: { reconnectMinMs?: number; reconnectMaxMs?: number } = {}) => {
    const conn = connector.create({
      host: broker.host,
      port: broker.port,
      clientId: `contract-${protocol}-${++n}`,
      cert: { path: me.certPath },
      key: { path: me.keyPath },
      caFile: broker.caFile,
      protocol,
      ...over,
    });
    open.push(conn);
    return conn;
  };
  const events = (conn: DeviceConnection) => {
    const seen: ConnectionEvent[] = [];
    conn.on((e) => seen.push(e));
    return seen;
  };

  beforeAll(async () => {
    broker = await startMosquitto();
    me = await broker.issueClient('device');
    const p = await broker.issueClient('peer');
    peer = await connectAsync({
      protocol: 'mqtts',
      host: broker.host,
      port: broker.port,
      ca: broker.caPem,
      cert: p.certPem,
      key: p.keyPem,
      clientId: `peer-${protocol}`,
      reconnectPeriod: 200,
    });
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close(2000)));
    await peer?.endAsync(true);
    await broker?.teardown();
  });

  it('connects: resolves at the CONNACK, says so once, and reports its identity', async () => {
    const conn = connection();
    const seen = events(conn);
    expect(conn.isConnected).toBe(false);
    await conn.connect();
    expect(conn.isConnected).toBe(true);
    expect(conn.protocol).toBe(protocol);
    expect(conn.clientId).toBe(`contract-${protocol}-${n}`);
    expect(seen).toEqual([{ type: 'connected' }]);
  });

  it('publishes at QoS 0 and QoS 1: the broker delivers each message to another client, bytes unchanged', async () => {
    const sub = await collect(broker, `pub-${protocol}/#`);
    try {
      const conn = connection();
      await conn.connect();
      const binary = Buffer.from([0, 1, 2, 255, 254, 10, 13]);
      await conn.publish(`pub-${protocol}/q1`, '{"qos": 1}', 1);
      await conn.publish(`pub-${protocol}/bin`, binary, 1);
      await conn.publish(`pub-${protocol}/q0`, '{"qos": 0}', 0);
      // the callback form: done once, without an error
      const done = await new Promise<string | undefined>((resolve) => conn.send(`pub-${protocol}/send`, 'sent', 1, resolve));
      expect(done).toBeUndefined();
      await sub.waitForCount(4);
      const got = Object.fromEntries(sub.messages.map((m) => [m.topic, m.payload]));
      expect(got[`pub-${protocol}/q1`]!.toString()).toBe('{"qos": 1}');
      expect(got[`pub-${protocol}/bin`]!.equals(binary)).toBe(true);
      expect(got[`pub-${protocol}/q0`]!.toString()).toBe('{"qos": 0}');
      expect(got[`pub-${protocol}/send`]!.toString()).toBe('sent');
    } finally {
      await sub.close();
    }
  });

  it('subscribes with overlapping filters: each handler gets each message its filter matches, exactly once (`#` includes the parent level)', async () => {
    const conn = connection();
    await conn.connect();
    const rec = recorder();
    const root = `ov-${protocol}`;
    for (const filter of [`${root}/#`, `${root}/+`, `${root}/a`, root]) await conn.subscribe(filter, 1, rec.handler(filter));
    const sent: Array<[string, string]> = [
      [`${root}/a`, '1'],
      [`${root}/b`, '2'],
      [root, '3'],
      [`${root}/a/deep`, '4'],
      [`${root}x`, '5'],
      ['other', '6'],
      // the last two: once a handler has them, everything published before has arrived
      [`${root}/a`, 'end'],
      [root, 'end'],
    ];
    for (const [topic, payload] of sent) await peer.publishAsync(topic, payload, { qos: 1 });
    const expected: Record<string, string[]> = {
      [`${root}/#`]: [`${root}/a 1`, `${root}/b 2`, `${root} 3`, `${root}/a/deep 4`, `${root}/a end`, `${root} end`],
      [`${root}/+`]: [`${root}/a 1`, `${root}/b 2`, `${root}/a end`],
      [`${root}/a`]: [`${root}/a 1`, `${root}/a end`],
      [root]: [`${root} 3`, `${root} end`],
    };
    for (const [filter, want] of Object.entries(expected)) {
      const ends = want.filter((w) => w.endsWith(' end'));
      await eventually(() => ends.every((e) => sorted(rec.of(filter)).includes(e)), () => `${filter} got its end markers: ${rec.show()}`);
    }
    for (const [filter, want] of Object.entries(expected)) expect(sorted(rec.of(filter)), filter).toEqual([...want].sort());
  });

  it('dispatches a message once per subscribed filter that matches it, also when two handlers share a filter', async () => {
    const conn = connection();
    await conn.connect();
    const rec = recorder();
    const root = `once-${protocol}`;
    await conn.subscribe(`${root}/+/x`, 1, rec.handler('first'));
    await conn.subscribe(`${root}/+/x`, 1, rec.handler('second'));
    await conn.subscribe(`${root}/#`, 0, rec.handler('all'));
    for (let i = 0; i < 5; i++) await peer.publishAsync(`${root}/${i}/x`, String(i), { qos: 1 });
    await peer.publishAsync(`${root}/end/x`, 'end', { qos: 1 });
    await eventually(() => ['first', 'second', 'all'].every((h) => rec.of(h).some((c) => c.payload === 'end')), () => `every handler got the end marker: ${rec.show()}`);
    const want = [0, 1, 2, 3, 4].map((i) => `${root}/${i}/x ${i}`).concat(`${root}/end/x end`).sort();
    for (const h of ['first', 'second', 'all']) expect(sorted(rec.of(h)), h).toEqual(want);
  });

  /**
   * The broker restarts under a subscribed connection: it says interrupted then resumed, its
   * subscription delivers again, and a QoS 1 message published while the broker was down is
   * acknowledged (and, when the broker keeps sessions, arrives at a subscriber that was there before:
   * without persistence that subscriber's session is gone too).
   */
  async function reconnects(on: Mosquitto, peerOn: MqttClient, cert: ClientCert, root: string, keepsSessions: boolean): Promise<ConnectionEvent[]> {
    const conn = connector.create({
      host: on.host,
      port: on.port,
      clientId: `${root}-device`,
      cert: { path: cert.certPath },
      key: { path: cert.keyPath },
      caFile: on.caFile,
      protocol,
      reconnectMinMs: 100,
      reconnectMaxMs: 1000,
    });
    open.push(conn);
    const seen = events(conn);
    await conn.connect();
    const rec = recorder();
    await conn.subscribe(`${root}/in`, 1, rec.handler('in'));
    const sub = await collect(on, `${root}/out`);
    try {
      await on.stop();
      await eventually(() => !conn.isConnected && seen.some((e) => e.type === 'interrupted'), () => `interrupted: ${JSON.stringify(seen)}`);
      const queued = conn.publish(`${root}/out`, 'while down', 1);
      await on.restart();
      await queued;
      await eventually(() => seen.some((e) => e.type === 'resumed') && conn.isConnected, () => `resumed: ${JSON.stringify(seen)}`);
      const types = seen.map((e) => e.type).filter((t) => t !== 'failed');
      expect(types).toEqual(['connected', 'interrupted', 'resumed']);
      if (keepsSessions) {
        await sub.waitForCount(1);
        expect(sub.messages.map((m) => m.payload.toString())).toEqual(['while down']);
      }
      await eventually(() => peerOn.connected, 'the peer reconnected');
      // the subscription may be sent again just after the CONNACK: publish until one arrives
      await eventually(async () => {
        await peerOn.publishAsync(`${root}/in`, 'after', { qos: 1 });
        return rec.of('in').length > 0;
      }, () => `the subscription delivers again: ${rec.show()}`, { everyMs: 200 });
      expect(new Set(sorted(rec.of('in')))).toEqual(new Set([`${root}/in after`]));
      return seen;
    } finally {
      await sub.close();
    }
  }

  it('reconnects after the broker restarted with the session: interrupted, resumed, subscribed, the QoS 1 message sent while down delivered', async () => {
    await reconnects(broker, peer, me, `re-${protocol}`, true);
  });

  it('reconnects after the broker restarted without the session: subscribes again', async () => {
    const bare = await startMosquitto({ persistence: false });
    const p = await bare.issueClient('peer');
    const peerOn = await connectAsync({ protocol: 'mqtts', host: bare.host, port: bare.port, ca: bare.caPem, cert: p.certPem, key: p.keyPem, clientId: `bare-peer-${protocol}`, reconnectPeriod: 200 });
    try {
      const seen = await reconnects(bare, peerOn, await bare.issueClient('device'), `lost-${protocol}`, false);
      expect(seen.find((e) => e.type === 'resumed')).toEqual({ type: 'resumed', sessionPresent: false });
    } finally {
      await peerOn.endAsync(true);
      await bare.teardown();
    }
  });

  it('closes: the broker sees the client leave, close() is idempotent, publishing afterwards fails', async () => {
    const conn = connection();
    await conn.connect();
    const clientId = conn.clientId;
    await conn.close();
    await conn.close();
    expect(conn.isConnected).toBe(false);
    await eventually(() => new RegExp(`Client ${clientId} disconnected`).test(broker.log), () => `mosquitto logged the disconnect:\n${broker.log}`);
    await expect(conn.publish('after/close', 'x', 1)).rejects.toThrow();
  });

  it('close releases the native connection: a process that connected, subscribed, published and closed exits by itself', async () => {
    // dist/ is what bin/elf.js runs; an unreleased CRT connection keeps the event loop alive
    const script = `
      const { createConnector } = await import(${JSON.stringify(path.join(ROOT, 'dist/mqtt/index.js'))});
      const o = JSON.parse(process.env.CONTRACT_OPTS);
      const conn = createConnector().create(o);
      await conn.connect();
      await conn.subscribe('exit/#', 1, () => {});
      await conn.publish('exit/x', 'bye', 1);
      await conn.close();
      process.stdout.write('closed\\n');
      // the MQTT 5 client frees its event handlers when it is garbage-collected after close()
      // (awslabs/aws-crt-nodejs#600): collect now and then; without close() nothing lets it end
      setInterval(() => globalThis.gc(), 100).unref();
    `;
    const opts = { host: broker.host, port: broker.port, clientId: `exit-${protocol}`, cert: { path: me.certPath }, key: { path: me.keyPath }, caFile: broker.caFile, protocol };
    const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { env: { ...process.env, CONTRACT_OPTS: JSON.stringify(opts) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await eventually(() => child.exitCode !== null, () => `the process exited by itself; its output: ${out}`, { timeoutMs: 20_000 });
      expect(await exited).toBe(0);
      expect(out).toContain('closed');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
