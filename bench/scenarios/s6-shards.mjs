// Scenario 6: shards. One fleet on the stand-in (elf local), created once with a run id; a file of
// `perThing` lines per thing sent once (`--partition --no-loop`) by one process, then by `shards`
// processes (`send --shard i/n`, started together, connect rate shared out). An independent count:
// a topic rule on the stand-in writes every message's `n` into a Firehose sink file, so duplicates
// and missing lines are counted on the broker's side, not by the senders. Then the shards'
// summaries are merged (`elf report merge`) and the run is removed by `elf clean --run-id` (timed).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ELF, ROOT } from '../lib/elf.mjs';
import { localEnv, startLocal } from '../lib/local.mjs';
import { watched } from '../lib/proc.mjs';
import { lastJson } from '../lib/summary.mjs';
import { sleep } from '../lib/net.mjs';

const CONNECT_RATE = 500;
const RUN_ID = 'bench-s6';

/** The sink's `n`s once their number reaches `expected` or stops growing for `quietMs`. */
async function sinkCount(file, expected, quietMs = 5000) {
  let last = -1;
  let since = performance.now();
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const ns = text.split('\n').filter(Boolean).map((l) => JSON.parse(l).n);
    if (ns.length >= expected) return ns;
    if (ns.length !== last) {
      last = ns.length;
      since = performance.now();
    } else if (performance.now() - since > quietMs) return ns;
    await sleep(100);
  }
}

/** Pure: duplicates and missing among `ns` against 0..expected-1. */
export function tally(ns, expected) {
  const seen = new Uint8Array(expected);
  let duplicates = 0;
  let foreign = 0;
  for (const n of ns) {
    if (!Number.isInteger(n) || n < 0 || n >= expected) foreign++;
    else if (seen[n]++) duplicates++;
  }
  let missing = 0;
  for (const s of seen) if (s === 0) missing++;
  return { received: ns.length, duplicates, missing, foreign };
}

async function elf(args, env, timeoutMs = 3_600_000) {
  const r = await watched(process.execPath, [ELF, ...args], { cwd: ROOT, env, timeoutMs, keep: 64 << 20 }).done;
  if (r.code !== 0) throw new Error(`elf ${args.slice(0, 2).join(' ')} failed (${r.code}): ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  return r;
}

export async function scenario6(ctx, opts) {
  const { s6Things: things, s6Shards: shards } = opts;
  const perThing = 2;
  const lines = things * perThing;
  if (!ctx.elf.send || !ctx.elf.local || !ctx.elf.create) return { pending: 'elf send, local and create are needed', rows: [] };
  ctx.say(`scenario 6: ${things} things on elf local, ${lines} lines sent once: 1 process vs ${shards} shard processes; clean --run-id`);
  const local = await startLocal(ctx, { name: 's6-local' });
  ctx.cleanups.push(() => local.stop());
  const env = localEnv(local.url);
  const fleet = join(ctx.tmp, 's6-fleet');
  const state = ['--state-dir', fleet];
  const rows = [];
  try {
    await elf(['create', String(things), '--endpoint-url', local.url, ...state, '--run-id', RUN_ID, ...(ctx.elf.create.has('--no-pacing') ? ['--no-pacing'] : [])], env);
    const file = join(ctx.tmp, 's6.jsonl');
    await writeFile(file, Array.from({ length: lines }, (_, n) => `{"n":${n}}`).join('\n') + '\n');
    const send = (extra) => [ELF, 'send', ...state, '--json-message', file, '--partition', '--no-loop', '--duration', '86400', '--interval', '0.5', '--workers', '1', '--json', ...extra];
    for (const arm of ['one', 'shards']) {
      const stream = `s6_${arm}`;
      await elf(['rule', 'create', stream, '--sql', "SELECT n FROM 'elf'", '--action', `firehose:stream=${stream},separator=\\n`, ...state], env);
      const t0 = performance.now();
      const procs =
        arm === 'one'
          ? [watched(process.execPath, send(['--connect-rate', String(CONNECT_RATE)]), { cwd: ROOT, env, keep: 64 << 20 })]
          : Array.from({ length: shards }, (_, i) => watched(process.execPath, send(['--shard', `${i}/${shards}`, '--connect-rate', String(Math.max(1, Math.round(CONNECT_RATE / shards)))]), { cwd: ROOT, env, keep: 64 << 20 }));
      const results = await Promise.all(procs.map((p) => p.done));
      const wallSeconds = (performance.now() - t0) / 1000;
      const failed = results.filter((r) => r.code !== 0);
      if (failed.length) throw new Error(`send (${arm}) failed: ${failed[0].stderr.trim().split('\n').slice(-2).join(' | ')}`);
      let summary;
      if (arm === 'one') summary = lastJson(results[0].stdout);
      else {
        const files = await Promise.all(results.map(async (r, i) => {
          const f = join(ctx.tmp, `s6-shard-${i}.json`);
          await writeFile(f, JSON.stringify(lastJson(r.stdout)));
          return f;
        }));
        summary = lastJson((await elf(['report', 'merge', ...files, '--json'], env)).stdout);
      }
      const count = tally(await sinkCount(join(local.stateDir, 'sinks', 'firehose', `${stream}.jsonl`), lines), lines);
      await elf(['rule', 'delete', stream, ...state], env);
      const row = {
        arm: arm === 'one' ? '1 process' : `${shards} shard processes`,
        processes: procs.length,
        things: summary?.things,
        connected: summary?.connected,
        sent: summary?.totals?.sent,
        acked: summary?.totals?.acked,
        ...count,
        wallSeconds,
        cpuSeconds: results.reduce((a, r) => a + r.cpuSeconds, 0),
        peakRssMb: Math.max(...results.map((r) => r.peakRssMb)),
      };
      ctx.say(`  ${row.arm}: ${row.connected}/${row.things} connected, sent ${row.sent}, rule saw ${row.received} (${row.duplicates} duplicates, ${row.missing} missing) in ${wallSeconds.toFixed(1)} s`);
      rows.push(row);
    }
    const t0 = performance.now();
    const cleaned = await elf(['clean', '--run-id', RUN_ID, '--endpoint-url', local.url, ...(ctx.elf.clean?.has('--no-pacing') ? ['--no-pacing'] : [])], env);
    const cleanSeconds = (performance.now() - t0) / 1000;
    ctx.say(`  clean --run-id: ${cleanSeconds.toFixed(1)} s (${cleaned.stdout.trim().split('\n').pop()})`);
    return {
      things,
      shards,
      lines,
      rows,
      clean: { seconds: cleanSeconds, output: cleaned.stdout.trim().split('\n').pop() },
      notes: [`lines sent once each (--partition --no-loop, 1 line per 0.5 s per thing); counted by a topic rule into a Firehose sink on the stand-in`, `connect rate ${CONNECT_RATE}/s in all (each shard its share)`],
    };
  } finally {
    await local.stop();
  }
}
