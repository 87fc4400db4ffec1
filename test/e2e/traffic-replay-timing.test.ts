import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { mosquittoFleet, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { eventually } from '../helpers/poll.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * Replay on the data's own clock, on the real clock: the first three hours of data/radar-counts.json
 * (12 bins of 15 minutes, ~400 rows), composed times, `--speed 3600` (a bin every 250 ms), one thing.
 * An independent subscriber (MQTT.js) takes each message's arrival time on its own clock.
 *
 * What is asserted, and why: the strict bound is on the sender's schedule. Each payload carries
 * the wall-clock time the sender handed it over (`--add-timestamp sentAt`, stamped after the wait
 * for its slot): relative to the first message, 95% are within 50 ms of their scaled timestamp
 * ((t - t0) / 3600) and none beyond 250 ms (on a quiet machine all are within 50 ms; on 2 loaded
 * cores the sender itself is sometimes descheduled for 100-200 ms). Arrival at the subscriber adds the broker hop and two loaded processes, which
 * on a 2-core machine shared with other test workers can stall for longer than 50 ms without the
 * schedule being wrong; so arrival is checked looser, against the median lag (arrival - scaled
 * timestamp) as its origin rather than the first arrival alone (which pays the broker's one-time
 * costs): in data order, the median within 50 ms, every message within 250 ms.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const SPEED = 3600;
const STRICT_MS = 50;
const ARRIVAL_MAX_MS = 250;

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'elf-e2e-replay-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

type Arrival = { at: number; topic: string; payload: string };
type Row = { Year: number; Month: number; Day: number; Hour: number; Minute: number; sentAt: string };

const dataMs = (r: Row) => Date.UTC(r.Year, r.Month - 1, r.Day, r.Hour, r.Minute);

/** The rows of radar-counts of its first three hours (due in the first 3 s at --speed 3600), as a file. */
function firstHours(): { file: string; rows: number } {
  const lines = fs.readFileSync(path.join(ROOT, 'data/radar-counts.json'), 'utf8').split('\n').filter((l) => l !== '');
  const t0 = dataMs(JSON.parse(lines[0]!) as Row);
  const kept = lines.filter((l) => (dataMs(JSON.parse(l) as Row) - t0) / SPEED < 3000);
  const file = path.join(work, 'radar-3h.jsonl');
  fs.writeFileSync(file, kept.join('\n') + '\n');
  return { file, rows: kept.length };
}
const replay = (file: string) => ['--json-message', file, '--replay-time', 'Year,Month,Day,Hour,Minute', '--speed', String(SPEED), '--add-timestamp', 'sentAt', '--topic', 'elf/{thing}', '--json'];

function checkTiming(arrivals: Arrival[], sent: number) {
  expect(arrivals).toHaveLength(sent);
  const rows = arrivals.map((a) => ({ ...a, row: JSON.parse(a.payload) as Row }));
  const first = rows.reduce((a, b) => (Date.parse(b.row.sentAt) < Date.parse(a.row.sentAt) ? b : a));
  const d0 = dataMs(first.row);
  const s0 = Date.parse(first.row.sentAt);
  const scheduled = (r: (typeof rows)[number]) => (dataMs(r.row) - d0) / SPEED;
  // arrival's reference: the median of (arrival - scheduled), not the first arrival alone, which
  // carries one-time costs (the broker's first authorization of the thing) that later ones do not
  const lags = rows.map((r) => r.at - scheduled(r)).sort((a, b) => a - b);
  const a0 = lags[Math.floor(lags.length / 2)]!;
  const sendErrors: number[] = [];
  const arrivalErrors: number[] = [];
  for (const r of rows) {
    sendErrors.push(Math.abs(Date.parse(r.row.sentAt) - s0 - scheduled(r)));
    arrivalErrors.push(Math.abs(r.at - a0 - scheduled(r)));
  }
  // sentAt has millisecond resolution: 1 ms of rounding on each side. 95% within 50 ms, and none
  // beyond 250 ms: on 2 cores shared with other test workers (load average above 10) the sender is
  // sometimes descheduled for 100-200 ms, which delays one bin's burst without shifting the schedule
  const sends = [...sendErrors].sort((a, b) => a - b);
  const worst = `send-time errors (ms), worst: ${sends.slice(-5).join(', ')}`;
  expect(sends[Math.floor(sends.length * 0.95)]!, worst).toBeLessThanOrEqual(STRICT_MS + 2);
  expect(sends[sends.length - 1]!, worst).toBeLessThanOrEqual(ARRIVAL_MAX_MS);
  const sorted = [...arrivalErrors].sort((a, b) => a - b);
  expect(sorted[Math.floor(sorted.length / 2)]!, 'median arrival error (ms)').toBeLessThanOrEqual(STRICT_MS);
  expect(sorted[sorted.length - 1]!, `arrival errors (ms), worst: ${sorted.slice(-5).join(', ')}`).toBeLessThanOrEqual(ARRIVAL_MAX_MS);
  // arrived in data order
  const order = rows.map((r) => dataMs(r.row));
  expect(order).toEqual([...order].sort((a, b) => a - b));
}

describe('replay timing against elf local (MQTT 3.1.1)', () => {
  let s: StandInProcess;
  let dir: string;
  let listener: MqttClient;
  const got: Arrival[] = [];
  beforeAll(async () => {
    s = await startStandInProcess();
    dir = path.join(work, 'standin-fleet');
    const created = await runCli(['create', '3', '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work });
    expect(created.exitCode, created.stderr).toBe(0);
    listener = await connectAsync({ protocol: 'mqtts', host: '127.0.0.1', port: s.mqttPort, ca: s.caPem, cert: fs.readFileSync(path.join(dir, 'thing_2.pem')), key: fs.readFileSync(path.join(dir, 'thing_2.prv')), clientId: 'thing_2', protocolVersion: 4, reconnectPeriod: 0 });
    listener.on('message', (topic, payload) => got.push({ at: Date.now(), topic, payload: payload.toString() }));
    await listener.subscribeAsync('elf/#', { qos: 1 });
  }, 90_000);
  afterAll(async () => {
    await listener?.endAsync();
    await s?.stop();
  });

  it('radar-counts at --speed 3600: each row sent within 50 ms of its scaled timestamp, and arriving close to it', async () => {
    const { file, rows } = firstHours();
    const r = await runCli(['send', '--things', 'thing_0', ...replay(file), '--state-dir', dir], { cwd: work });
    expect(r.exitCode, r.stderr).toBe(0);
    const sent = JSON.parse(r.stdout).totals.sent as number;
    expect(sent).toBe(rows);
    await eventually(() => got.length >= sent, () => `${sent} messages, got ${got.length}`);
    checkTiming(got, sent);
  });
});

describe('replay timing against mosquitto (MQTT 5)', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(() => broker?.teardown());

  it('the same schedule through another broker and protocol', async () => {
    const flags = await mosquittoFleet(broker, path.join(work, 'mosq-fleet'), ['thing_0']);
    const { connectAsync: connect } = await import('mqtt');
    const c = await broker.issueClient('timing-sub');
    const sub = await connect({ protocol: 'mqtts', host: broker.host, port: broker.port, ca: broker.caPem, cert: c.certPem, key: c.keyPem, clientId: 'timing-sub', protocolVersion: 5, reconnectPeriod: 0 });
    const got: Arrival[] = [];
    sub.on('message', (topic, payload) => got.push({ at: Date.now(), topic, payload: payload.toString() }));
    await sub.subscribeAsync('elf/#', { qos: 1 });
    try {
      const { file, rows } = firstHours();
      const r = await runCli(['send', ...replay(file), '--protocol', '5', ...flags], { cwd: work });
      expect(r.exitCode, r.stderr).toBe(0);
      const sent = JSON.parse(r.stdout).totals.sent as number;
      expect(sent).toBe(rows);
      await eventually(() => got.length >= sent, () => `${sent} messages, got ${got.length}`);
      checkTiming(got, sent);
    } finally {
      await sub.endAsync();
    }
  });
});
