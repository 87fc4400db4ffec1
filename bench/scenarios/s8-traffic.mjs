// Scenario 8: what generated traffic costs (issue 18).
// A. One connection as fast as it goes (--interval 0, QoS 1, mTLS to mosquitto), the same number of
//    messages four ways: a JSON Lines file as it is, a payload template (data/template-sensor.json),
//    and the two scenario scripts of data/. Measured like scenario 1: wall time from the start of
//    `elf send` to the last message at an independent mosquitto_sub, and elf's own figures.
// B. The memory of many things each with its own series state: bench/traffic-memory.mjs renders
//    payloads for N things in one process without a broker and reports the heap they keep alive
//    after a full GC, per thing, and the CPU time per payload rendered.
// C. Replay on the data's own clock: how close to its scaled timestamp each row is sent and arrives
//    (s8-replay.mjs).
import { join } from 'node:path';
import { ROOT } from '../lib/elf.mjs';
import { watched } from '../lib/proc.mjs';
import { startCounter } from '../lib/subscriber.mjs';
import { writeJsonl } from '../lib/data.mjs';
import { performance } from 'node:perf_hooks';
import { replayTiming } from './s8-replay.mjs';

const QUIET_MS = 3000;
const SOURCES = [
  { name: 'file (JSON Lines, as it is)', flags: () => [] },
  { name: 'template (data/template-sensor.json)', flags: () => ['--template', join(ROOT, 'data', 'template-sensor.json'), '--seed', '1'] },
  { name: 'scenario (data/scenario-radar.mjs)', flags: () => ['--scenario', join(ROOT, 'data', 'scenario-radar.mjs'), '--seed', '1'] },
  { name: 'scenario (data/scenario-vehicle.js)', flags: () => ['--scenario', join(ROOT, 'data', 'scenario-vehicle.js'), '--seed', '1'] },
];
const MEMORY_KINDS = ['file', 'template', 'radar', 'vehicle'];

function parseElfJson(out) {
  const text = out.trim();
  const start = text.lastIndexOf('\n{');
  const s = JSON.parse(start >= 0 ? text.slice(start + 1) : text);
  return { sent: s.totals?.sent, acked: s.totals?.acked, msgsPerSec: s.msgsPerSec };
}

async function oneConnection(ctx, opts) {
  const lines = opts.s8Messages;
  const file = join(ctx.tmp, 's8.jsonl');
  await writeJsonl(file, { lines });
  const sub = await ctx.broker.issueClient('s8-sub');
  const rows = [];
  let run = 0;
  for (const source of SOURCES) {
    const topic = `bench/s8/${run++}`;
    const generated = source.flags().length > 0;
    // the file is streamed once; generated payloads are made for --count messages (the file's lines are read and ignored)
    const args = [...ctx.elfSend.args({ fleetDir: ctx.oneThingFleet, file, topic, qos: 1, interval: 0, loop: false }), ...source.flags(), ...(generated ? ['--count', String(lines)] : [])];
    const counter = await startCounter(ctx.broker, sub, { topic, qos: 1, id: `s8-sub-${run}` });
    const t0 = performance.now();
    const res = await watched(process.execPath, args, { cwd: ROOT, stdin: 'ignore', timeoutMs: Math.max(120_000, lines / 100) }).done;
    const got = await counter.settle(lines, { quietMs: QUIET_MS, maxMs: 300_000 });
    await counter.stop();
    const wallSeconds = ((got.count > 0 ? got.lastAt : performance.now()) - t0) / 1000;
    let own;
    try {
      own = parseElfJson(res.stdout);
    } catch {
      own = undefined;
    }
    const row = {
      source: source.name,
      messages: lines,
      delivered: got.count,
      msgsPerSec: got.count / wallSeconds,
      ownMsgsPerSec: own?.msgsPerSec,
      cpuSeconds: res.cpuSeconds,
      peakRssMb: res.peakRssMb,
      exitCode: res.code,
      error: res.code === 0 ? undefined : res.stderr.trim().split('\n').slice(-2).join(' | '),
    };
    rows.push(row);
    ctx.say(`  ${source.name}: ${row.delivered}/${lines} delivered, ${Math.round(row.msgsPerSec)} msg/s, ${row.cpuSeconds?.toFixed(2)} CPU s${row.error ? ` (exit ${res.code}: ${row.error})` : ''}`);
  }
  return rows;
}

async function memory(ctx, opts) {
  const rows = [];
  for (const kind of MEMORY_KINDS) {
    const res = await watched(process.execPath, ['--expose-gc', join(ROOT, 'bench', 'traffic-memory.mjs'), '--kind', kind, '--things', String(opts.s8Things), '--messages', '10'], { cwd: ROOT, stdin: 'ignore', timeoutMs: 600_000 }).done;
    if (res.code !== 0) {
      rows.push({ kind, error: res.stderr.trim().split('\n').slice(-2).join(' | ') });
      continue;
    }
    const r = JSON.parse(res.stdout.trim().split('\n').pop());
    rows.push({ ...r, peakRssMb: res.peakRssMb });
    ctx.say(`  ${kind}: ${r.things} things, ${r.heapPerThingBytes} B of heap per thing (${r.heapMb} MB), ${r.cpuUsPerPayload} CPU-µs per payload`);
  }
  return rows;
}

export async function scenario8(ctx, opts) {
  ctx.say(`scenario 8: generated traffic — one connection, ${opts.s8Messages.toLocaleString('en-US')} messages per source, mTLS to mosquitto ${ctx.versions.mosquitto}; memory of ${opts.s8Things.toLocaleString('en-US')} things`);
  if (!ctx.elf.send) throw new Error('scenario 8 needs the elf send command (dist/cli)');
  const rows = await oneConnection(ctx, opts);
  const memoryRows = await memory(ctx, opts);
  const replay = await replayTiming(ctx, opts);
  return {
    replay,
    messages: opts.s8Messages,
    things: opts.s8Things,
    rows,
    memoryRows,
    notes: ['A: --interval 0, QoS 1, one thing; template and scenarios send --count messages made per message, the file its lines as they are', 'C: the first --s8-replay-hours of radar-counts at --speed 3600; errors against each row\'s scaled timestamp, arrival with the median lag as origin; the rows of one 15-minute bin share a timestamp and go out one after another, so the later rows of a bin carry the time the earlier ones took', 'B: no broker; heap after a full GC with every thing alive, minus the heap before the things were made (the compiled template or loaded script and faker are shared and not counted)'],
  };
}
