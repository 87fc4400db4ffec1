#!/usr/bin/env node
// Stand-in for `elf send` with a fleet while the command is not on main: N connections from one
// process over the device SDK (MQTT 3.1.1 client, the builder elf uses), each thing publishing one
// message per interval on an absolute schedule (thing k's slots at start + k·interval/N + j·interval,
// from its first slot after it connected), QoS 1. Connects as fast as it can with a bounded
// number of handshakes in flight. Prints one JSON summary line on stdout.
//   node bench/sdk-fleet.mjs --host H --port P --ca CA --certs c1.pem,c2.pem --keys k1,k2 --things N
//        [--interval 1] [--duration 60] [--qos 1] [--topic elf] [--pending 200]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { io, iot, mqtt } from 'aws-iot-device-sdk-v2';
import { performance } from 'node:perf_hooks';

const { values: a } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    ca: { type: 'string' },
    certs: { type: 'string' },
    keys: { type: 'string' },
    things: { type: 'string' },
    interval: { type: 'string', default: '1' },
    duration: { type: 'string', default: '60' },
    qos: { type: 'string', default: '1' },
    topic: { type: 'string', default: 'elf' },
    pending: { type: 'string', default: '200' },
  },
});
const N = Number(a.things);
const intervalMs = Number(a.interval) * 1000;
const durationMs = Number(a.duration) * 1000;
const qos = a.qos === '1' ? mqtt.QoS.AtLeastOnce : mqtt.QoS.AtMostOnce;
const certs = a.certs.split(',').map((f) => readFileSync(f, 'utf8'));
const keys = a.keys.split(',').map((f) => readFileSync(f, 'utf8'));
const caPem = readFileSync(a.ca, 'utf8');
const client = new mqtt.MqttClient();

const conns = new Array(N);
const connectedAt = new Array(N);
let connected = 0;
let failedConnects = 0;
let allConnectedMs = null;
let scheduled = 0;
let sent = 0;
let acked = 0;
let failed = 0;
let late = 0;
let maxLateMs = 0;
const payloads = Array.from({ length: 64 }, (_, i) =>
  JSON.stringify({ id: i, intname: 'CAPITAL OF TEXAS HWY / LAKEWOOD DR', read_date: '2017-12-15T14:00:00.000', direction: i % 2 ? 'NB' : 'SB', volume: (i * 7) % 113, speed: 30 + (i % 40) }),
);

function make(k) {
  const b = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(certs[k % certs.length], keys[k % keys.length]);
  b.with_certificate_authority(caPem)
    .with_endpoint(a.host)
    .with_port(Number(a.port))
    .with_client_id(`sdk-thing-${k}`)
    .with_clean_session(true)
    .with_keep_alive_seconds(300)
    .with_socket_options(new io.SocketOptions(io.SocketType.STREAM, io.SocketDomain.IPV4, 30_000));
  const config = b.build();
  config.disable_metrics = true;
  config.metrics = undefined;
  const c = client.new_connection(config);
  c.on('error', () => {});
  return c;
}

const start = performance.now();
const end = start + durationMs;
let stopped = false;

// connect ramp: bounded handshakes in flight
const pendingMax = Number(a.pending);
let next = 0;
let inFlight = 0;
const ramp = new Promise((resolve) => {
  const launch = () => {
    while (inFlight < pendingMax && next < N && !stopped) {
      const k = next++;
      inFlight++;
      const c = (conns[k] = make(k));
      c.connect().then(
        () => {
          connectedAt[k] = performance.now();
          connected++;
          if (connected === N) allConnectedMs = performance.now() - start;
        },
        () => {
          failedConnects++;
        },
      ).finally(() => {
        inFlight--;
        if (inFlight === 0 && (next >= N || stopped)) resolve();
        else launch();
      });
    }
  };
  launch();
});

// schedule: one global cursor over slots g (thing g mod N, time start + g·interval/N)
const step = intervalMs / N;
let g = 0;
const tick = () => {
  const now = performance.now();
  while (start + g * step <= now && start + g * step < end) {
    const k = g % N;
    const due = start + g * step;
    g++;
    const c = conns[k];
    if (!c || connectedAt[k] === undefined || connectedAt[k] > due) continue; // not yet connected: slot not scheduled for it
    scheduled++;
    const lateness = now - due;
    if (lateness > 100) late++;
    if (lateness > maxLateMs) maxLateMs = lateness;
    sent++;
    c.publish(a.topic, payloads[g % payloads.length], qos).then(
      () => acked++,
      () => failed++,
    );
  }
  if (start + g * step < end) setTimeout(tick, Math.max(0, Math.min(50, start + g * step - performance.now())));
  else finish();
};
setTimeout(tick, 0);

async function finish() {
  stopped = true;
  const drainUntil = performance.now() + 15_000;
  while (acked + failed < sent && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
  // handshakes still in flight when the schedule ended: bounded wait
  await Promise.race([ramp, new Promise((r) => setTimeout(r, 30_000))]);
  await Promise.all(conns.filter(Boolean).map((c) => Promise.race([c.disconnect().catch(() => {}), new Promise((r) => setTimeout(r, 3000))])));
  process.stdout.write(
    JSON.stringify({ tool: 'device SDK direct', things: N, connected, failedConnects, allConnectedMs, scheduled, sent, acked, failed, late, maxLateMs, elapsedMs: performance.now() - start }) + '\n',
  );
  process.exit(0);
}
