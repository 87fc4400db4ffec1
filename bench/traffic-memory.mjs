#!/usr/bin/env node --expose-gc
// The cost of generated traffic's per-thing state, without a broker (scenario 8 of bench/run.mjs):
// N things each with its own ThingTraffic (generator, series state, a scenario's state object), each
// made to render --messages payloads, then the heap they keep alive after a full GC, per thing, and
// the CPU time per payload rendered. Run with `node --expose-gc`. Prints one JSON line.
//   node --expose-gc bench/traffic-memory.mjs --kind template|radar|vehicle|file --things 10000 --messages 10
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT } from './lib/elf.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const kind = arg('kind', 'template');
const things = Number(arg('things', '10000'));
const messages = Number(arg('messages', '10'));
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');

const { trafficSpec, ThingTraffic } = await import(join(ROOT, 'dist', 'traffic', 'index.js'));
const template = join(ROOT, 'data', 'template-sensor.json');
const scenarios = { radar: join(ROOT, 'data', 'scenario-radar.mjs'), vehicle: join(ROOT, 'data', 'scenario-vehicle.js') };
const run = { things, qos: 1, intervalSec: 1, seed: 1, policyRoot: 'elf' };
// `file`: lines sent as they are, routed by a topic template (the least per-thing state traffic has)
const spec = await trafficSpec({
  topic: 'elf/{thing}',
  seed: 1,
  intervalSec: 1,
  ...(kind === 'template' ? { template: { file: template, text: readFileSync(template, 'utf8') } } : {}),
  ...(scenarios[kind] ? { scenario: { file: scenarios[kind], run } } : {}),
});
const line = '{"Direction":"NB","Volume":3}';

const heap = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};
const before = heap();
const fleet = new Array(things);
for (let k = 0; k < things; k++) fleet[k] = new ThingTraffic(spec, k, `thing_${k}`, 'elf');
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let bytes = 0;
for (let m = 0; m < messages; m++) for (let k = 0; k < things; k++) bytes += fleet[k].next(line, 1_700_000_000_000 + m * 1000).length;
const cpu = process.cpuUsage(cpu0);
const ms = performance.now() - t0;
const after = heap();
const payloads = things * messages;
process.stdout.write(
  JSON.stringify({
    kind,
    things,
    messages,
    heapPerThingBytes: Math.round((after - before) / things),
    heapMb: +((after - before) / 2 ** 20).toFixed(1),
    usPerPayload: +((1000 * ms) / payloads).toFixed(2),
    cpuUsPerPayload: +((cpu.user + cpu.system) / payloads).toFixed(2),
    payloadBytes: Math.round(bytes / payloads),
    rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
    alive: fleet.length,
  }) + '\n',
);
