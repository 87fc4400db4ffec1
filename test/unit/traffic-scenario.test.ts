import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ThingTraffic, type TrafficSpec } from '../../src/traffic/traffic.js';
import { compileScenario, messageOf, type ScenarioRun } from '../../src/traffic/scenario.js';
import { loadScenario } from '../../src/traffic/scenario-load.js';
import { compileTopic } from '../../src/traffic/topic.js';
import { TemplateError } from '../../src/traffic/errors.js';
import { UsageError } from '../../src/errors.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'elf-scenario-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const file = path.join(work, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

const RUN: ScenarioRun = { things: 3, qos: 1, intervalSec: 1, seed: 42, policyRoot: 'elf' };

async function spec(file: string, over: Partial<ScenarioRun> = {}, topic?: string): Promise<TrafficSpec> {
  const run = { ...RUN, ...over };
  return { scenario: await compileScenario(file, run), seed: run.seed, intervalSec: run.intervalSec, ...(topic ? { topic: compileTopic(topic) } : {}) };
}

/** n messages of thing k: [topic, payload] */
function messages(s: TrafficSpec, k: number, n: number): Array<[string, string | undefined]> {
  const t = new ThingTraffic(s, k, `thing_${k}`, 'elf');
  return Array.from({ length: n }, () => {
    const p = t.next('{"msg":"IoT ELF Hello"}', 0);
    return [t.topic, p];
  });
}

// MQTTX CLI's scenario shape, as its users write them (faker 8's number.float({ precision }) included)
const MQTTX_STYLE = `
const dataCache = {}
const generator = function (faker, options) {
  const { clientId } = options
  if (!dataCache[clientId]) dataCache[clientId] = { id: faker.string.uuid(), city: faker.location.city() }
  return { message: JSON.stringify({ ...dataCache[clientId], temp: faker.number.float({ min: -20, max: 50, precision: 0.1 }), n: options.count }) }
}
module.exports = { name: 'mqttx-style', generator }
`;

describe('scenario scripts: loading', () => {
  it('CommonJS (also under "type": "module"), ESM and a bare function export all load; the name comes from the module or the file', async () => {
    const plain = write('plain/weather.js', MQTTX_STYLE);
    const typed = write('typed/weather.js', MQTTX_STYLE);
    write('typed/package.json', '{"type":"module"}');
    const esm = write('esm.mjs', 'export function generator(faker, o) { return { payload: { k: o.thing.index } } }\n');
    const fn = write('fn.cjs', 'module.exports = (faker, o) => ({ message: o.clientId })\n');
    for (const f of [plain, typed]) expect((await loadScenario(f)).name).toBe('mqttx-style');
    expect((await loadScenario(esm)).name).toBe('esm');
    expect((await loadScenario(fn)).name).toBe('fn');
    expect((await loadScenario(path.join(ROOT, 'data/scenario-vehicle.js'))).name).toBe('vehicle');
    expect((await loadScenario(path.join(ROOT, 'data/scenario-radar.mjs'))).name).toBe('radar-counter');
  });

  // (syntax errors and missing packages are reported by Node's own loader, which vitest replaces: test/e2e/traffic-scenario.test.ts)
  it('a missing file, no generator, an error at load: one usage error naming the file', async () => {
    const cases: Array<[string, RegExp]> = [
      [path.join(work, 'nope.js'), /^--scenario .*nope\.js: no such file$/],
      [write('nogen.mjs', 'export const name = "x"\n'), /^--scenario .*nogen\.mjs: exports no generator function/],
      [write('throws-at-load.cjs', '\nthrow new Error("boom")\n'), /^--scenario .*throws-at-load\.cjs:2: boom$/],
    ];
    for (const [file, pattern] of cases) {
      const e = await loadScenario(file).then(() => undefined, (x: unknown) => x);
      expect(e, file).toBeInstanceOf(UsageError);
      expect((e as Error).message).toMatch(pattern);
    }
  });
});

describe('scenario scripts: messages', () => {
  it('MQTTX-style: the same seed makes the same bytes per thing, whatever other things do; precision is honoured', async () => {
    // one copy per run: a module is loaded once per process, and this one keeps a cache of its own
    const copy = (n: number) => write(`mq/weather-${n}.js`, MQTTX_STYLE);
    const a = messages(await spec(copy(1)), 1, 5);
    const b = messages(await spec(copy(2)), 1, 5);
    expect(b).toEqual(a);
    const c = messages(await spec(copy(3), { seed: 43 }), 1, 5);
    expect(c).not.toEqual(a);
    const parsed = a.map(([, p]) => JSON.parse(p!) as { id: string; temp: number; n: number });
    expect(new Set(parsed.map((p) => p.id)).size).toBe(1);
    for (const p of parsed) {
      expect(p.n).toBe(3);
      expect(Math.abs(p.temp * 10 - Math.round(p.temp * 10))).toBeLessThan(1e-6);
    }
    expect(a.every(([t]) => t === 'elf')).toBe(true);
  });

  it('options carry the thing, its own state, seq, t and the line; a returned topic or a topic template routes the message', async () => {
    const file = write('opts.mjs', 'export function generator(f, o) { o.state.n = (o.state.n ?? 0) + 1; return { payload: { k: o.thing.index, name: o.thing.name, n: o.state.n, seq: o.seq, t: o.t, msg: o.line.msg, every: o.messageInterval }, ...(o.seq === 1 ? { topic: "elf/x/" + o.clientId } : {}) } }\n');
    const s = await spec(file, { intervalSec: 2 }, 'elf/{thing}/{k}');
    expect(messages(s, 2, 3)).toEqual([
      ['elf/thing_2/2', '{"k":2,"name":"thing_2","n":1,"seq":0,"t":0,"msg":"IoT ELF Hello","every":2000}'],
      ['elf/x/thing_2', '{"k":2,"name":"thing_2","n":2,"seq":1,"t":2,"msg":"IoT ELF Hello","every":2000}'],
      ['elf/thing_2/2', '{"k":2,"name":"thing_2","n":3,"seq":2,"t":4,"msg":"IoT ELF Hello","every":2000}'],
    ]);
  });

  it('a generator that throws or returns garbage: the message is skipped and counted, the first error names file, line, thing and message', async () => {
    const file = write('bad.mjs', ['export function generator(f, o) {', '  if (o.seq === 1) throw new TypeError("no wheels")', '  if (o.seq === 2) return null', '  if (o.seq === 3) return { topic: "other/x", message: "m" }', '  return { message: "ok" }', '}', ''].join('\n'));
    const s = await spec(file);
    expect(messages(s, 0, 5).map(([, p]) => p)).toEqual(['ok', undefined, undefined, undefined, 'ok']);
    expect(s.scenario!.failures.count).toBe(3);
    expect(s.scenario!.failures.first).toBe(`--scenario ${file}:2: thing_0 message 1: TypeError: no wheels`);
    const strict = await spec(file, { strict: true });
    const t = new ThingTraffic(strict, 0, 'thing_0', 'elf');
    t.next('{}', 0);
    expect(() => t.next('{}', 0)).toThrow(TemplateError);
  });

  it('what a result must be', () => {
    expect(messageOf({ message: 'x' }, 'elf')).toEqual({ payload: 'x', value: undefined });
    expect(messageOf({ payload: { a: 1 }, topic: 'elf' }, 'elf')).toEqual({ payload: '{"a":1}', value: { a: 1 }, topic: 'elf' });
    expect(messageOf({ message: Buffer.from('hé') }, undefined)).toEqual({ payload: 'hé', value: undefined });
    expect(messageOf({ payload: 3 }, 'elf')).toEqual({ payload: '3', value: 3 });
    expect(messageOf(undefined, 'elf')).toMatch(/returned nothing/);
    expect(messageOf('x', 'elf')).toMatch(/returned "x", not \{ message \}/);
    expect(messageOf(Promise.resolve({ message: 'x' }), 'elf')).toMatch(/Promise/);
    expect(messageOf({ message: 1n }, 'elf')).toMatch(/cannot be written as JSON/);
    expect(messageOf({ msg: 'x' }, 'elf')).toMatch(/no message/);
    expect(messageOf({ message: () => 1 }, 'elf')).toMatch(/no message/);
    expect(messageOf({ message: 'x', topic: 'elf/#' }, 'elf')).toMatch(/not a topic name/);
    expect(messageOf({ message: 'x', topic: 'elfx/a' }, 'elf')).toMatch(/outside the fleet's topic root 'elf'/);
    expect(messageOf({ message: 'x', topic: 'any/where' }, undefined)).toEqual({ payload: 'x', value: undefined, topic: 'any/where' });
  });

  it('the shipped scenarios: radar rows in the columns of radar-counts, bin after bin; a vehicle moving along its route', async () => {
    const radar = await spec(path.join(ROOT, 'data/scenario-radar.mjs'));
    const columns = Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, 'data/radar-counts.json'), 'utf8').split('\n')[0]!) as object);
    const rows = messages(radar, 1, 8).map(([, p]) => JSON.parse(p!) as Record<string, number | string>);
    rows.forEach((r, i) => {
      expect(Object.keys(r)).toEqual(columns);
      expect(r['Time Bin']).toBe(`0${Math.floor(i / 4)}:${String((i % 4) * 15).padStart(2, '0')}`);
      expect(Number.isInteger(r.Volume) && (r.Volume as number) >= 0).toBe(true);
    });
    const vehicle = await spec(path.join(ROOT, 'data/scenario-vehicle.js'));
    const fixes = messages(vehicle, 0, 6).map(([, p]) => JSON.parse(p!) as { vin: string; lat: number; lon: number; odometer_km: number; speed_kmh: number });
    expect(new Set(fixes.map((f) => f.vin)).size).toBe(1);
    for (let i = 1; i < fixes.length; i++) {
      expect(fixes[i]!.odometer_km).toBeGreaterThan(fixes[i - 1]!.odometer_km);
      // at most 60 km/h for 1 s between two fixes: under 17 m, i.e. well under 0.001 degrees
      expect(Math.hypot(fixes[i]!.lat - fixes[i - 1]!.lat, fixes[i]!.lon - fixes[i - 1]!.lon)).toBeLessThan(0.001);
    }
  });
});
