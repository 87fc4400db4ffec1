#!/usr/bin/env node
// Throughput and memory of the file sources (needs `npm run build`).
//   node bench/source-throughput.mjs [lines=200000] [format=jsonl|json|docs|csv]
// Writes a file of radar-count-like records to the temp dir, reads it once through openBatches()
// and once through open(), and prints msg/s and MB/s (wall clock, and per CPU-second: steadier on a
// busy machine) and the peak RSS while reading. The file is removed afterwards.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { fileSource } from '../dist/source/index.js';

const lines = Number(process.argv[2] ?? 200_000);
const format = process.argv[3] ?? 'jsonl';
const dir = await mkdtemp(join(tmpdir(), 'elf-bench-'));
const file = join(dir, `sample.${format === 'csv' ? 'csv' : format === 'jsonl' ? 'jsonl' : 'json'}`);

function record(i) {
  return {
    id: i,
    intname: 'CAPITAL OF TEXAS HWY / LAKEWOOD DR',
    read_date: '2017-12-15T14:00:00.000',
    direction: i % 2 ? 'NB' : 'SB',
    volume: (i * 7) % 113,
    speed: 30 + (i % 40),
    location_latitude: 30.3851,
    location_longitude: -97.78566,
  };
}

const out = createWriteStream(file, { highWaterMark: 1 << 20 });
async function write(text) {
  if (!out.write(text)) await once(out, 'drain');
}
if (format === 'csv') await write(Object.keys(record(0)).join(',') + '\n');
if (format === 'json') await write('[\n');
for (let i = 0; i < lines; i++) {
  const r = record(i);
  if (format === 'jsonl') await write(JSON.stringify(r) + '\n');
  else if (format === 'csv') await write(Object.values(r).join(',') + '\n');
  else if (format === 'json') await write((i > 0 ? ',\n' : '') + JSON.stringify(r, null, 2).replace(/^/gm, '  '));
  else await write(JSON.stringify(r, null, 2) + '\n');
}
if (format === 'json') await write('\n]\n');
out.end();
await once(out, 'finish');
const bytes = (await stat(file)).size;

const baseRss = process.memoryUsage.rss();
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
const source = fileSource(file);
await source.resolvedFormat();

async function run(label, iterate) {
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const { messages, skips } = await iterate();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  if (messages !== lines) throw new Error(`expected ${lines} messages, got ${messages} (+${skips} skips)`);
  console.log(
    `${format} ${label.padEnd(12)} ${messages} msgs in ${s.toFixed(2)} s: ${Math.round(messages / s).toLocaleString('en')} msg/s, ` +
      `${(bytes / 1e6 / s).toFixed(0)} MB/s (${Math.round(messages / cpuS).toLocaleString('en')} msg per CPU-second)`,
  );
}

await run('openBatches', async () => {
  let messages = 0, skips = 0;
  for await (const batch of source.openBatches()) for (const item of batch) if (item.kind === 'message') messages++; else skips++;
  return { messages, skips };
});
await run('open', async () => {
  let messages = 0, skips = 0;
  for await (const item of source.open()) if (item.kind === 'message') messages++; else skips++;
  return { messages, skips };
});
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage.rss());
console.log(`file ${(bytes / 1e6).toFixed(1)} MB, RSS before reading ${(baseRss / 1e6).toFixed(0)} MB, peak while reading ${(peakRss / 1e6).toFixed(0)} MB`);
await rm(dir, { recursive: true, force: true });
