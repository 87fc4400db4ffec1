// Scenario 8, part C: replay on the data's own clock (issue 18), on a quiet machine and the real clock.
// The first --s8-replay-hours hours of data/radar-counts.json (composed from Year, Month, Day, Hour,
// Minute) at --speed 3600 over one connection (QoS 1, mTLS to mosquitto). Two errors per row, in ms,
// against the row's scaled timestamp ((t - t0) / 3600) relative to the first row:
// - send error: the time the sender handed the row over (`--add-timestamp sentAt`, ms resolution);
// - arrival error: the time an independent mosquitto_sub received it (`-F '%U'`, the system clock),
//   with the median lag as origin (the first arrival alone carries one-time costs).
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../lib/elf.mjs';
import { sleep } from '../lib/net.mjs';
import { track, watched } from '../lib/proc.mjs';

const SPEED = 3600;
const dataMs = (r) => Date.UTC(r.Year, r.Month - 1, r.Day, r.Hour, r.Minute);

function firstHours(ctx, hours) {
  const lines = readFileSync(join(ROOT, 'data', 'radar-counts.json'), 'utf8').split('\n').filter((l) => l !== '');
  const t0 = dataMs(JSON.parse(lines[0]));
  const kept = lines.filter((l) => dataMs(JSON.parse(l)) - t0 < hours * 3_600_000);
  const file = join(ctx.tmp, 's8-replay.jsonl');
  writeFileSync(file, kept.join('\n') + '\n');
  return { file, rows: kept.length };
}

/** mosquitto_sub printing `<receive time, s.ns> <payload>` per message */
async function arrivals(ctx, client, topic) {
  const args = ['-h', ctx.broker.host, '-p', String(ctx.broker.port), '--cafile', ctx.broker.caFile, '--cert', client.certPath, '--key', client.keyPath, '-t', topic, '-q', '1', '-i', 's8-replay-sub', '-F', '%U %p'];
  const p = track(spawn('mosquitto_sub', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  await sleep(400);
  if (p.exitCode !== null) throw new Error('mosquitto_sub exited at start');
  const lines = () => out.split('\n').filter((l) => l !== '');
  return {
    async until(n, maxMs) {
      const end = Date.now() + maxMs;
      while (lines().length < n && Date.now() < end) await sleep(50);
      p.kill('SIGTERM');
      return lines().map((l) => {
        const i = l.indexOf(' ');
        return { at: Number(l.slice(0, i)) * 1000, row: JSON.parse(l.slice(i + 1)) };
      });
    },
  };
}

const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
function summary(errors) {
  const s = [...errors].sort((a, b) => a - b);
  return { p50: +pct(s, 0.5).toFixed(1), p95: +pct(s, 0.95).toFixed(1), p99: +pct(s, 0.99).toFixed(1), max: +s[s.length - 1].toFixed(1), within50ms: +((100 * s.filter((e) => e <= 50).length) / s.length).toFixed(2) };
}

export async function replayTiming(ctx, opts) {
  const { file, rows } = firstHours(ctx, opts.s8ReplayHours);
  const topic = 'bench/s8/replay';
  const sub = await arrivals(ctx, await ctx.broker.issueClient('s8-replay-sub'), topic);
  const args = ctx.elfSend.args({ fleetDir: ctx.oneThingFleet, file, topic, qos: 1, interval: 0, loop: false }).filter((a, i, all) => a !== '--interval' && all[i - 1] !== '--interval');
  args.push('--replay-time', 'Year,Month,Day,Hour,Minute', '--speed', String(SPEED), '--add-timestamp', 'sentAt');
  const res = await watched(process.execPath, args, { cwd: ROOT, stdin: 'ignore', timeoutMs: 120_000 + (opts.s8ReplayHours * 3_600_000) / SPEED }).done;
  if (res.code !== 0) throw new Error(`elf send exited ${res.code}: ${res.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  const got = await sub.until(rows, 30_000);
  const first = got.reduce((a, b) => (Date.parse(b.row.sentAt) < Date.parse(a.row.sentAt) ? b : a));
  const d0 = dataMs(first.row);
  const s0 = Date.parse(first.row.sentAt);
  const scheduled = (g) => (dataMs(g.row) - d0) / SPEED;
  const lags = got.map((g) => g.at - scheduled(g)).sort((a, b) => a - b);
  const a0 = lags[Math.floor(lags.length / 2)];
  const row = {
    rows,
    received: got.length,
    speed: SPEED,
    scheduleSeconds: +(got.reduce((m, g) => Math.max(m, scheduled(g)), 0) / 1000).toFixed(1),
    sendErrorMs: summary(got.map((g) => Math.abs(Date.parse(g.row.sentAt) - s0 - scheduled(g)))),
    arrivalErrorMs: summary(got.map((g) => Math.abs(g.at - a0 - scheduled(g)))),
  };
  ctx.say(`  replay: ${row.received}/${rows} rows over ${row.scheduleSeconds} s; send error p99 ${row.sendErrorMs.p99} ms, max ${row.sendErrorMs.max} ms (${row.sendErrorMs.within50ms}% within 50 ms); arrival error p99 ${row.arrivalErrorMs.p99} ms, max ${row.arrivalErrorMs.max} ms`);
  return row;
}
