import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, type CliResult } from '../helpers/cli.js';
import { collect, mosquittoFleet, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { eventually } from '../helpers/poll.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * `elf send --scenario` as a user runs it (the built CLI as a process) with the two scenarios of
 * data/ and an MQTTX-style script, against `elf local` and mosquitto, MQTT 3.1.1 and 5, checked by
 * an independent subscriber (MQTT.js): types, per-thing continuity, and the same --seed sending the
 * same bytes on both brokers.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const VEHICLE = path.join(ROOT, 'data/scenario-vehicle.js');
const RADAR = path.join(ROOT, 'data/scenario-radar.mjs');
const THINGS = ['thing_0', 'thing_1'];
const COUNT = 5;

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'elf-e2e-scenario-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function write(name: string, content: string): string {
  const file = path.join(work, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

function expectOneLineError(r: CliResult, code: number, pattern: RegExp) {
  expect(r.exitCode, r.stderr).toBe(code);
  const lines = r.stderr.split('\n').filter((l) => /^(elf|error):/.test(l));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

type Msg = { topic: string; payload: string };
type Fix = { vin: string; model: string; seq: number; lat: number; lon: number; heading: number; speed_kmh: number; odometer_km: number; fuel_pct: number };

/** vehicles: one VIN per thing, seq 0..n-1 in order, numbers where numbers belong, moving forward */
function checkVehicles(messages: Msg[]): Map<string, string[]> {
  expect(messages).toHaveLength(THINGS.length * COUNT);
  const by = new Map<string, string[]>();
  for (const m of messages) by.set(m.topic, [...(by.get(m.topic) ?? []), m.payload]);
  expect([...by.keys()].sort()).toEqual(THINGS.map((t) => `elf/${t}`));
  for (const payloads of by.values()) {
    const fixes = payloads.map((p) => JSON.parse(p) as Fix);
    expect(fixes.map((f) => f.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(fixes.map((f) => f.vin)).size).toBe(1);
    expect(fixes[0]!.vin).toMatch(/^[A-HJ-NPR-Z0-9]{17}$/);
    for (const [i, f] of fixes.entries()) {
      for (const k of ['lat', 'lon', 'heading', 'speed_kmh', 'odometer_km', 'fuel_pct'] as const) expect(typeof f[k]).toBe('number');
      expect(f.lat).toBeGreaterThan(30.25);
      expect(f.lat).toBeLessThan(30.29);
      if (i > 0) {
        expect(f.odometer_km).toBeGreaterThan(fixes[i - 1]!.odometer_km);
        expect(Math.hypot(f.lat - fixes[i - 1]!.lat, f.lon - fixes[i - 1]!.lon)).toBeLessThan(0.001);
      }
    }
  }
  return by;
}

/** radar rows: the columns of radar-counts, one counter per thing, bin after bin */
function checkRadar(messages: Msg[]): Map<string, string[]> {
  const columns = Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, 'data/radar-counts.json'), 'utf8').split('\n')[0]!) as object);
  expect(messages).toHaveLength(THINGS.length * COUNT);
  const by = new Map<string, string[]>();
  for (const m of messages) {
    const row = JSON.parse(m.payload) as Record<string, unknown>;
    const thing = m.topic.split('/')[1]!;
    expect(m.topic).toBe(`elf/${thing}/${row.Direction as string}`);
    expect(Object.keys(row)).toEqual(columns);
    by.set(thing, [...(by.get(thing) ?? []), m.payload]);
  }
  for (const payloads of by.values()) {
    const rows = payloads.map((p) => JSON.parse(p) as Record<string, unknown>);
    expect(new Set(rows.map((r) => `${r.location_name as string}|${r.Direction as string}`)).size).toBe(1);
    expect(rows.map((r) => r['Time Bin'])).toEqual(['00:00', '00:15', '00:30', '00:45', '01:00']);
    for (const r of rows) expect(Number.isInteger(r.Volume) && typeof r.location_latitude === 'number').toBe(true);
  }
  return by;
}

/** one result per run of each scenario on the stand-in, compared with mosquitto's below */
const standInRuns: { vehicle?: Map<string, string[]>; radar?: Map<string, string[]> } = {};

describe('send --scenario against elf local', () => {
  let s: StandInProcess;
  let dir: string;
  let listener: MqttClient;
  const got: Msg[] = [];
  beforeAll(async () => {
    s = await startStandInProcess();
    dir = path.join(work, 'standin-fleet');
    const created = await runCli(['create', '3', '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work });
    expect(created.exitCode, created.stderr).toBe(0);
    // an independent subscriber with thing_2's certificate (its policy lets it subscribe to elf/#)
    listener = await connectAsync({ protocol: 'mqtts', host: '127.0.0.1', port: s.mqttPort, ca: s.caPem, cert: fs.readFileSync(path.join(dir, 'thing_2.pem')), key: fs.readFileSync(path.join(dir, 'thing_2.prv')), clientId: 'thing_2', protocolVersion: 4, reconnectPeriod: 0 });
    listener.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
    await listener.subscribeAsync('elf/#', { qos: 1 });
  }, 90_000);
  afterAll(async () => {
    await listener?.endAsync();
    await s?.stop();
  });

  const send = (scenario: string, topic: string, ...extra: string[]) =>
    runCli(['send', '--things', THINGS.join(','), '--scenario', scenario, '--topic', topic, '--count', String(COUNT), '--interval', '0.02', '--seed', '42', '--json', '--state-dir', dir, ...extra], { cwd: work });
  const arrived = async (n: number) => {
    await eventually(() => got.length >= n, () => `${n} messages, got ${got.length}`);
    return got.splice(0);
  };

  it('the vehicle (CommonJS, MQTTX shape) over MQTT 3.1.1: one VIN per thing, moving along its route; the same --seed sends the same bytes', async () => {
    const first = await send(VEHICLE, 'elf/{thing}');
    expect(first.exitCode, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).totals).toMatchObject({ sent: 10, acked: 10, failed: 0, skipped: 0 });
    const a = checkVehicles(await arrived(10));
    const again = await send(VEHICLE, 'elf/{thing}');
    expect(again.exitCode, again.stderr).toBe(0);
    expect(checkVehicles(await arrived(10))).toEqual(a);
    const other = await send(VEHICLE, 'elf/{thing}', '--seed', '43');
    expect(other.exitCode, other.stderr).toBe(0);
    expect(checkVehicles(await arrived(10))).not.toEqual(a);
    standInRuns.vehicle = a;
  });

  it('the radar counter (ESM) over MQTT 5: rows in the columns of radar-counts, routed by their Direction', async () => {
    const r = await send(RADAR, 'elf/{thing}/{Direction}', '--protocol', '5');
    expect(r.exitCode, r.stderr).toBe(0);
    standInRuns.radar = checkRadar(await arrived(10));
  });

  it('a generator that throws or returns garbage: its messages are skipped and counted, one warning names the file and line', async () => {
    const flaky = write('flaky.js', ['const generator = (faker, options) => {', '  if (options.seq % 2 === 1) throw new RangeError(`odd ${options.seq}`)', "  if (options.seq === 4) return { message: 'x', topic: 'outside/root' }", '  return { message: JSON.stringify({ n: options.seq, who: options.clientId }) }', '}', 'module.exports = { name: "flaky", generator }', ''].join('\n'));
    const r = await send(flaky, 'elf/{thing}');
    expect(r.exitCode, r.stderr).toBe(0);
    // --count counts messages sent: each thing sends seq 0, 2, 6, 8, 10 and skips 1, 3, 4 (topic), 5, 7, 9
    expect(JSON.parse(r.stdout).totals).toMatchObject({ sent: 10, acked: 10, skipped: 12 });
    const warnings = r.stderr.split('\n').filter((l) => l.includes('--scenario'));
    expect(warnings, r.stderr).toHaveLength(1);
    expect(warnings[0]).toMatch(/--scenario .*flaky\.js:2: thing_\d message 1: RangeError: odd 1 \(12 messages skipped/);
    const payloads = (await arrived(10)).map((m) => m.payload);
    for (const thing of THINGS) expect(payloads.filter((p) => p.includes(thing))).toEqual([0, 2, 6, 8, 10].map((n) => JSON.stringify({ n, who: thing })));
    // --strict: the first bad message stops the run
    const strict = await send(flaky, 'elf/{thing}', '--strict');
    expect(strict.exitCode, strict.stderr).not.toBe(0);
    expect(strict.stderr).toMatch(/--scenario .*flaky\.js:2: thing_\d message 1: RangeError: odd 1/);
    await arrived(1);
  });

  it('bad scripts are refused before any connection: one line naming the file (and line)', async () => {
    const dirs = ['--count', '1', '--state-dir', dir];
    expectOneLineError(await runCli(['send', '--scenario', path.join(work, 'missing.js'), ...dirs], { cwd: work }), 2, /--scenario .*missing\.js: no such file/);
    expectOneLineError(await runCli(['send', '--scenario', write('syntax.mjs', 'export function generator() {\n  return {\n}}}\n'), ...dirs], { cwd: work }), 2, /--scenario .*syntax\.mjs(:3)?: SyntaxError: /);
    write('typed/package.json', '{"type":"module"}');
    expectOneLineError(await runCli(['send', '--scenario', write('typed/cjs.js', 'module.exports = {\n  generator: (] \n}\n'), ...dirs], { cwd: work }), 2, /--scenario .*cjs\.js(:2)?: SyntaxError: /);
    expectOneLineError(await runCli(['send', '--scenario', write('dep.mjs', 'import "no-such-package-elf"\nexport function generator() {}\n'), ...dirs], { cwd: work }), 2, /--scenario .*dep\.mjs: imports no-such-package-elf, which is not installed/);
    expectOneLineError(await runCli(['send', '--scenario', write('nogen.cjs', 'module.exports = { name: "x" }\n'), ...dirs], { cwd: work }), 2, /--scenario .*nogen\.cjs: exports no generator function/);
    expectOneLineError(await runCli(['send', '--scenario', VEHICLE, '--template', path.join(ROOT, 'data/template-sensor.json'), ...dirs], { cwd: work }), 2, /--template or --scenario, not both/);
  });
});

describe('send --scenario against mosquitto', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(() => broker?.teardown());

  it('MQTT 5 and 3.1.1: the same seed sends the same bytes as on elf local, checked by an independent subscriber', async () => {
    const flags = await mosquittoFleet(broker, path.join(work, 'mosq-fleet'), THINGS);
    const sub = await collect(broker, 'elf/#');
    const messages = () => sub.messages.splice(0).map((m) => ({ topic: m.topic, payload: m.payload.toString() }));
    try {
      const v = await runCli(['send', '--scenario', VEHICLE, '--topic', 'elf/{thing}', '--count', String(COUNT), '--interval', '0.02', '--seed', '42', '--protocol', '5', ...flags], { cwd: work });
      expect(v.exitCode, v.stderr).toBe(0);
      await sub.waitForCount(10);
      const vehicles = checkVehicles(messages());
      const r = await runCli(['send', '--scenario', RADAR, '--topic', 'elf/{thing}/{Direction}', '--count', String(COUNT), '--interval', '0.02', '--seed', '42', '--protocol', '3.1.1', ...flags], { cwd: work });
      expect(r.exitCode, r.stderr).toBe(0);
      await sub.waitForCount(10);
      const radar = checkRadar(messages());
      // the same things and seed on another broker and protocol: byte for byte what elf local got
      if (standInRuns.vehicle) expect(new Map([...vehicles].map(([t, p]) => [t, p]))).toEqual(standInRuns.vehicle);
      if (standInRuns.radar) expect(radar).toEqual(standInRuns.radar);
    } finally {
      await sub.close();
    }
  });
});
