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
 * `elf send --template` and topic templates as a user runs them (the built CLI as a process), against
 * `elf local` and mosquitto, checked by an independent subscriber (MQTT.js): types kept, per-thing
 * series continuous, topics from the payload, the same --seed making the same messages.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'elf-e2e-traffic-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** no wall-clock values: two runs with one seed must be byte-identical */
const TEMPLATE = {
  device: '{{ thing }}',
  index: '{{ index }}',
  seq: '{{ seq }}',
  label: 'm-{{ index }}-{{ seq }}',
  temperature: '{{ walk(15, 30, 0.5) }}',
  packets: '{{ counter(1000, 3) }}',
  rssi: '{{ int(-90, -40) }}',
  status: '{{ choice("ok", 3, "warn", 1) }}',
  ok: '{{ seq mod 2 == 0 }}',
  city: '{{ fake("location.city") }}',
  position: '{{ near(52.52, 13.405, 5) }}',
};

function write(name: string, content: string): string {
  const file = path.join(work, name);
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

/** the payloads per thing, in arrival order, after checking what every message must satisfy */
function checkFleet(messages: Msg[], things: string[], count: number, root: string): Map<string, string[]> {
  expect(messages).toHaveLength(things.length * count);
  const by = new Map<string, string[]>();
  for (const m of messages) {
    const p = JSON.parse(m.payload) as Record<string, unknown>;
    expect(m.topic).toBe(`${root}/${p.device as string}/${p.status as string}`);
    by.set(p.device as string, [...(by.get(p.device as string) ?? []), m.payload]);
  }
  for (const thing of things) {
    const ps = by.get(thing)!.map((s) => JSON.parse(s) as Record<string, unknown>);
    expect(ps).toHaveLength(count);
    ps.forEach((p, i) => {
      expect(p).toMatchObject({ device: thing, index: Number(thing.split('_')[1]), seq: i, label: `m-${thing.split('_')[1]}-${i}`, packets: 1000 + 3 * i, ok: i % 2 === 0 });
      expect(typeof p.temperature).toBe('number');
      expect(p.temperature as number).toBeGreaterThanOrEqual(15);
      expect(p.temperature as number).toBeLessThanOrEqual(30);
      if (i > 0) expect(Math.abs((p.temperature as number) - (ps[i - 1]!.temperature as number))).toBeLessThanOrEqual(0.5 + 1e-9);
      expect(Number.isInteger(p.rssi)).toBe(true);
      expect(['ok', 'warn']).toContain(p.status);
      expect(typeof p.city).toBe('string');
      expect(p.position).toEqual([expect.any(Number), expect.any(Number)]);
    });
  }
  return by;
}

describe('send --template against elf local', () => {
  let s: StandInProcess;
  let dir: string;
  let template: string;
  let listener: MqttClient;
  const got: Msg[] = [];
  beforeAll(async () => {
    s = await startStandInProcess();
    dir = path.join(work, 'standin-fleet');
    const created = await runCli(['create', '3', '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work });
    expect(created.exitCode, created.stderr).toBe(0);
    template = write('template.json', JSON.stringify(TEMPLATE, null, 2));
    // an independent subscriber with thing_2's certificate (its policy lets it subscribe to elf/#)
    listener = await connectAsync({
      protocol: 'mqtts',
      host: '127.0.0.1',
      port: s.mqttPort,
      ca: s.caPem,
      cert: fs.readFileSync(path.join(dir, 'thing_2.pem')),
      key: fs.readFileSync(path.join(dir, 'thing_2.prv')),
      clientId: 'thing_2',
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    listener.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
    await listener.subscribeAsync('elf/#', { qos: 1 });
  }, 90_000);
  afterAll(async () => {
    await listener?.endAsync();
    await s?.stop();
  });

  const send = (...extra: string[]) =>
    runCli(['send', '--things', 'thing_0,thing_1', '--template', template, '--topic', 'elf/{thing}/{status}', '--count', '6', '--interval', '0.02', '--seed', '42', '--json', '--state-dir', dir, ...extra], { cwd: work });

  it('payloads keep their types, series continue per thing, topics come from the payload; the same --seed sends the same bytes', async () => {
    const first = await send();
    expect(first.exitCode, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).totals).toMatchObject({ sent: 12, acked: 12, failed: 0 });
    await eventually(() => got.length >= 12, () => `12 messages, got ${got.length}`);
    const a = checkFleet(got.splice(0), ['thing_0', 'thing_1'], 6, 'elf');

    const second = await send();
    expect(second.exitCode, second.stderr).toBe(0);
    await eventually(() => got.length >= 12, () => `12 messages, got ${got.length}`);
    const b = checkFleet(got.splice(0), ['thing_0', 'thing_1'], 6, 'elf');
    expect(b).toEqual(a);

    const other = await send('--seed', '43');
    expect(other.exitCode, other.stderr).toBe(0);
    await eventually(() => got.length >= 12, () => `12 messages, got ${got.length}`);
    expect(checkFleet(got.splice(0), ['thing_0', 'thing_1'], 6, 'elf')).not.toEqual(a);
  });

  it('a bad template, a failing field and a topic outside the policy: one line naming the file, field or flag, before any connection', async () => {
    const bad = write('bad.json', JSON.stringify({ a: { b: '{{ int(1, }}' } }));
    expectOneLineError(await runCli(['send', '--template', bad, '--count', '1', '--state-dir', dir], { cwd: work }), 2, /bad\.json: "a\.b": \{\{ int\(1, \}\}/);
    const unknown = write('unknown.json', JSON.stringify({ v: '{{ nosuch(1) }}' }));
    expectOneLineError(await runCli(['send', '--template', unknown, '--count', '1', '--state-dir', dir], { cwd: work }), 2, /unknown\.json: "v": .*no function nosuch\(\)/);
    const notJson = write('notjson.json', '{ "a": ');
    expectOneLineError(await runCli(['send', '--template', notJson, '--count', '1', '--state-dir', dir], { cwd: work }), 2, /notjson\.json: not JSON/);
    expectOneLineError(await runCli(['send', '--template', path.join(work, 'missing.json'), '--state-dir', dir], { cwd: work }), 2, /--template .*missing\.json: no such file/);
    expectOneLineError(await runCli(['send', '--topic', 'other/{thing}', '--count', '1', '--state-dir', dir], { cwd: work }), 2, /--topic 'other\/\{thing\}' can publish outside the fleet's topic root 'elf'/);
    // a plain topic too: the policy would refuse every publish (AWS closes the connection on the first)
    expectOneLineError(await runCli(['send', '--topic', 'other', '--append-thing-name', '--count', '1', '--state-dir', dir], { cwd: work }), 2, /--topic 'other' is outside the fleet's topic root 'elf'/);
    // a field the line does not have: the run stops with an error naming the template's field
    const lines = write('lines.jsonl', '{"Direction":"N"}\n{"Other":1}\n');
    const reads = write('reads.json', JSON.stringify({ d: '{{ line.Direction }}' }));
    const r = await runCli(['send', '--things', 'thing_0', '--json-message', lines, '--template', reads, '--topic', 'elf/{thing}', '--no-loop', '--interval', '0.02', '--state-dir', dir], { cwd: work });
    expect(r.exitCode, r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(/reads\.json: "d": \{\{ line\.Direction \}\}/);
    await eventually(() => got.length >= 1, 'the first line was sent');
    expect(got.splice(0).map((m) => m.payload)).toEqual(['{"d":"N"}']);
  });

  it('a topic from the fields of a file and values enriched from the line', async () => {
    const lines = write('radar.jsonl', ['{"Direction":"NB","Count":3,"Time Bin":"07:00"}', '{"Direction":"SB","Count":5,"Time Bin":"07:15"}'].join('\n'));
    const enrich = write('enrich.json', JSON.stringify({ dir: '{{ line.Direction }}', count: '{{ line.Count }}', bin: "{{ 'Time Bin' of line }}", device: '{{ thing }}', seq: '{{ seq }}' }));
    const r = await runCli(['send', '--things', 'thing_0', '--json-message', lines, '--template', enrich, '--topic', 'elf/radar/{dir}', '--no-loop', '--interval', '0.02', '--state-dir', dir], { cwd: work });
    expect(r.exitCode, r.stderr).toBe(0);
    await eventually(() => got.length >= 2, () => `2 messages, got ${got.length}`);
    expect(got.splice(0)).toEqual([
      { topic: 'elf/radar/NB', payload: '{"dir":"NB","count":3,"bin":"07:00","device":"thing_0","seq":0}' },
      { topic: 'elf/radar/SB', payload: '{"dir":"SB","count":5,"bin":"07:15","device":"thing_0","seq":1}' },
    ]);
    // without a payload template, the line is sent as it is and routed by its own field
    const plain = await runCli(['send', '--things', 'thing_0', '--json-message', lines, '--topic', 'elf/{thing}/{Direction}/{Time Bin}', '--no-loop', '--interval', '0.02', '--state-dir', dir], { cwd: work });
    expect(plain.exitCode, plain.stderr).toBe(0);
    await eventually(() => got.length >= 2, () => `2 messages, got ${got.length}`);
    expect(got.splice(0).map((m) => m.topic)).toEqual(['elf/thing_0/NB/07:00', 'elf/thing_0/SB/07:15']);
  });

  it('--rate instead of --interval; --shadow-every 2 makes every 2nd payload the shadow\'s reported state', async () => {
    const r = await runCli(['send', '--things', 'thing_0', '--template', template, '--topic', 'elf/{thing}/{status}', '--count', '4', '--rate', '50', '--shadow-every', '2', '--seed', '7', '--json', '--state-dir', dir], { cwd: work });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).totals).toMatchObject({ sent: 4, acked: 4, failed: 0 });
    await eventually(() => got.length >= 4, () => `4 messages, got ${got.length}`);
    const payloads = got.splice(0).map((m) => m.payload);
    // the thing's own shadow, read with its certificate once the run is over
    const me = await connectAsync({ protocol: 'mqtts', host: '127.0.0.1', port: s.mqttPort, ca: s.caPem, cert: fs.readFileSync(path.join(dir, 'thing_0.pem')), key: fs.readFileSync(path.join(dir, 'thing_0.prv')), clientId: 'thing_0', protocolVersion: 4, reconnectPeriod: 0 });
    try {
      const shadow = new Promise<string>((resolve) => me.on('message', (_t, p) => resolve(p.toString())));
      await me.subscribeAsync('$aws/things/thing_0/shadow/get/accepted', { qos: 1 });
      await me.publishAsync('$aws/things/thing_0/shadow/get', '', { qos: 1 });
      const doc = JSON.parse(await shadow) as { state: { reported: unknown }; version: number };
      expect(doc.state.reported).toEqual(JSON.parse(payloads[3]!));
      expect(doc.version).toBe(2);
    } finally {
      await me.endAsync();
    }
    expectOneLineError(await runCli(['send', '--rate', '10', '--interval', '1', '--state-dir', dir], { cwd: work }), 2, /--rate or --interval, not both/);
  });

  it('--replay-time on radar-counts columns with --partition: every line once, each thing in data order; missing and out-of-order times reported, not fatal', async () => {
    const rows = fs.readFileSync(path.join(ROOT, 'data/radar-counts.json'), 'utf8').split('\n').slice(0, 40).map((l) => JSON.parse(l) as Record<string, unknown>);
    const broken = [...rows, { Direction: 'NB', Volume: 1 }, { ...rows[0]!, Volume: 99 }];
    const file = write('radar-40.jsonl', broken.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const r = await runCli(['send', '--things', 'thing_0,thing_1', '--json-message', file, '--replay-time', 'Year,Month,Day,Hour,Minute', '--speed', '36000', '--partition', '--topic', 'elf/{thing}', '--json', '--state-dir', dir], { cwd: work });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).totals).toMatchObject({ sent: 42, acked: 42, failed: 0 });
    expect(r.stderr).toMatch(/replay: 1 lines without a readable time and 1 earlier than the line before them/);
    await eventually(() => got.length >= 42, () => `42 messages, got ${got.length}`);
    const msgs = got.splice(0);
    for (const [k, thing] of ['thing_0', 'thing_1'].entries()) {
      expect(msgs.filter((m) => m.topic === `elf/${thing}`).map((m) => m.payload)).toEqual(broken.filter((_, i) => i % 2 === k).map((x) => JSON.stringify(x)));
    }
    expectOneLineError(await runCli(['send', '--json-message', file, '--replay-time', 'nosuch', '--state-dir', dir], { cwd: work }), 2, /--replay-time 'nosuch': no line of .*radar-40\.jsonl has a readable time/);
  });
});

describe('send --template against mosquitto (MQTT 5)', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(() => broker?.teardown());

  it('the same seed makes the same messages on another broker, checked by an independent subscriber', async () => {
    const flags = await mosquittoFleet(broker, path.join(work, 'mosq-fleet'), ['thing_0', 'thing_1']);
    const template = write('template-mosq.json', JSON.stringify(TEMPLATE));
    const sub = await collect(broker, 'elf/#');
    try {
      const r = await runCli(['send', '--template', template, '--topic', 'elf/{thing}/{status}', '--count', '6', '--interval', '0.02', '--seed', '42', '--protocol', '5', ...flags], { cwd: work });
      expect(r.exitCode, r.stderr).toBe(0);
      await sub.waitForCount(12);
      const a = checkFleet(sub.messages.map((m) => ({ topic: m.topic, payload: m.payload.toString() })), ['thing_0', 'thing_1'], 6, 'elf');
      sub.messages.splice(0);
      const again = await runCli(['send', '--template', template, '--topic', 'elf/{thing}/{status}', '--count', '6', '--interval', '0.02', '--seed', '42', ...flags], { cwd: work });
      expect(again.exitCode, again.stderr).toBe(0);
      await sub.waitForCount(12);
      expect(checkFleet(sub.messages.map((m) => ({ topic: m.topic, payload: m.payload.toString() })), ['thing_0', 'thing_1'], 6, 'elf')).toEqual(a);
    } finally {
      await sub.close();
    }
  });
  it('--shadow-every 3: the shadow update topic carries every 3rd payload as the reported state', async () => {
    const flags = await mosquittoFleet(broker, path.join(work, 'mosq-fleet-2'), ['thing_0', 'thing_1']);
    const template = write('template-mosq-2.json', JSON.stringify(TEMPLATE));
    const sub = await collect(broker, 'elf/#');
    const shadows = await collect(broker, '$aws/things/+/shadow/update');
    try {
      const r = await runCli(['send', '--template', template, '--topic', 'elf/{thing}/{status}', '--count', '3', '--rate', '100', '--shadow-every', '3', '--seed', '1', ...flags], { cwd: work });
      expect(r.exitCode, r.stderr).toBe(0);
      await sub.waitForCount(6);
      await shadows.waitForCount(2);
      const by = checkFleet(sub.messages.map((m) => ({ topic: m.topic, payload: m.payload.toString() })), ['thing_0', 'thing_1'], 3, 'elf');
      for (const m of shadows.messages) {
        const thing = m.topic.split('/')[2]!;
        expect(JSON.parse(m.payload.toString())).toEqual({ state: { reported: JSON.parse(by.get(thing)![2]!) } });
      }
    } finally {
      await sub.close();
      await shadows.close();
    }
  });
});
