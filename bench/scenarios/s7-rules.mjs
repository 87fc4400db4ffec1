// Scenario 7: the stand-in's rules engine under a full-speed stream. The same file sent once by a
// few things at `--interval 0` to elf local, with no rule, then with one SQL rule
// (SELECT n, v * 2 AS v2 FROM 'elf' WHERE v > 49: half the messages) writing to a Firehose sink
// file. Measured: elf's acknowledged msg/s, the stand-in's CPU-seconds per 1,000 messages, and
// messages/s through the rule (rows in the sink file over the time from the first publish to the
// last row written), plus what the rule dropped (GET /elf/info).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ELF, ROOT } from '../lib/elf.mjs';
import { localEnv, startLocal } from '../lib/local.mjs';
import { readCpuSeconds, watched } from '../lib/proc.mjs';
import { lastJson } from '../lib/summary.mjs';
import { sleep } from '../lib/net.mjs';

const SQL = "SELECT n, v * 2 AS v2 FROM 'elf' WHERE v > 49";

async function elf(args, env) {
  const r = await watched(process.execPath, [ELF, ...args], { cwd: ROOT, env, timeoutMs: 3_600_000, keep: 16 << 20 }).done;
  if (r.code !== 0) throw new Error(`elf ${args.slice(0, 2).join(' ')} failed (${r.code}): ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  return r;
}

/** Rows in the sink once they reach `expected` or stop growing for `quietMs`; with the time the last one came. */
async function sinkRows(file, expected, quietMs = 5000) {
  let last = -1;
  let lastAt = performance.now();
  for (;;) {
    const n = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    if (n !== last) {
      last = n;
      lastAt = performance.now();
    }
    if (n >= expected || performance.now() - lastAt > quietMs) return { rows: n, lastAt };
    await sleep(50);
  }
}

export async function scenario7(ctx, opts) {
  const { rulesLines: lines, rulesThings: things } = opts;
  if (!ctx.elf.send || !ctx.elf.local || !ctx.elf.create || !ctx.elf.rule) return { pending: 'elf send, local, create and rule are needed', rows: [] };
  ctx.say(`scenario 7: ${lines} lines from ${things} things at --interval 0 through elf local, no rule vs one SQL rule into a Firehose sink`);
  const local = await startLocal(ctx, { name: 's7-local' });
  ctx.cleanups.push(() => local.stop());
  const env = localEnv(local.url);
  const state = ['--state-dir', join(ctx.tmp, 's7-fleet')];
  const rows = [];
  try {
    await elf(['create', String(things), '--endpoint-url', local.url, ...state, ...(ctx.elf.create.has('--no-pacing') ? ['--no-pacing'] : [])], env);
    const file = join(ctx.tmp, 's7.jsonl');
    await writeFile(file, Array.from({ length: lines }, (_, n) => `{"n":${n},"v":${n % 100}}`).join('\n') + '\n');
    const expected = Math.floor(lines / 100) * 50 + Math.max(0, (lines % 100) - 50);
    for (const withRule of [false, true]) {
      if (withRule) await elf(['rule', 'create', 's7_rule', '--sql', SQL, '--action', 'firehose:stream=s7,separator=\\n', ...state], env);
      const cpu0 = readCpuSeconds(local.pid) ?? 0;
      const t0 = performance.now();
      const r = await elf(['send', ...state, '--json-message', file, '--partition', '--no-loop', '--duration', '86400', '--interval', '0', '--workers', '1', '--json'], env);
      const summary = lastJson(r.stdout);
      const sink = withRule ? await sinkRows(join(local.stateDir, 'sinks', 'firehose', 's7.jsonl'), expected) : undefined;
      const brokerCpu = (readCpuSeconds(local.pid) ?? 0) - cpu0;
      const info = await (await globalThis.fetch(`${local.url}/elf/info`)).json();
      const row = {
        rule: withRule ? SQL : 'none',
        sent: summary?.totals?.sent,
        acked: summary?.totals?.acked,
        msgsPerSec: summary?.msgsPerSec,
        standInCpuSeconds: brokerCpu,
        standInCpuPer1000: summary?.totals?.acked ? (brokerCpu * 1000) / summary.totals.acked : undefined,
        sinkRows: sink?.rows,
        expectedRows: withRule ? expected : undefined,
        ruleMsgsPerSec: sink ? summary.totals.acked / ((sink.lastAt - t0) / 1000) : undefined,
        dropped: info.rules?.dropped,
        failedActions: info.rules?.failedActions,
        senderCpuSeconds: r.cpuSeconds,
      };
      ctx.say(`  rule ${withRule ? 'on' : 'off'}: ${Math.round(row.msgsPerSec ?? 0)} msg/s acknowledged, stand-in ${row.standInCpuPer1000?.toFixed(2) ?? '?'} CPU-s/1000 msg${sink ? `, sink ${sink.rows}/${expected} rows, ${Math.round(row.ruleMsgsPerSec)} msg/s through the rule, dropped ${row.dropped}` : ''}`);
      rows.push(row);
    }
    return { lines, things, rows, notes: ['msg/s through the rule = messages acknowledged / seconds from the send\'s start to the last sink row written (the rule runs off the broker\'s path, so it may finish after the sender)'] };
  } finally {
    await local.stop();
  }
}
