// Scenario 5: one machine's cores. The same fleet with `elf send --workers 1` and `--workers 2`
// (and the device SDK driven directly, S2's peer, one process) to a local mosquitto over mTLS,
// QoS 1, one message per `interval` per thing. Measured per run: things connected and when the
// last one did, share of publishes within 100 ms of schedule, lost (acknowledged by the broker −
// received by an independent mosquitto_sub), CPU-seconds per 1,000 messages over all the sender's
// processes, peak RSS per process and the peak of their sum, and the broker's CPU.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT } from '../lib/elf.mjs';
import { certPool, writeFleet } from '../lib/fleet.mjs';
import { watchTree, watched } from '../lib/proc.mjs';
import { startCounter } from '../lib/subscriber.mjs';
import { writeJsonl } from '../lib/data.mjs';
import { lastJson, lostOf, normalize } from '../lib/summary.mjs';

/** AWS's per-account connect quota (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits) */
const CONNECT_RATE = 500;
const SUMMARY_MAX = 128 << 20;

/** One sender run under watch (its process tree), then the subscriber's count once it settles. */
async function measure(ctx, { label, things, interval, duration, counter, argv }) {
  counter.reset();
  const cpu0 = ctx.broker.cpuSeconds() ?? 0;
  const w = watched(process.execPath, argv, { cwd: ROOT, timeoutMs: (duration + 300 + things / 50) * 1000, keep: SUMMARY_MAX });
  const tree = watchTree(w.child.pid);
  const r = await w.done;
  const t = tree.stop();
  const brokerCpu = (ctx.broker.cpuSeconds() ?? 0) - cpu0;
  const s = normalize(lastJson(r.stdout));
  const endedAt = performance.now();
  // wait while the subscriber still receives: a saturated broker queues for it
  const got = await counter.settle(s?.acked ?? Infinity, { quietMs: 5000, maxMs: 600_000 });
  const row = {
    tool: label,
    things,
    interval,
    connected: s?.connected,
    allConnectedSeconds: s?.allConnectedMs == null ? undefined : s.allConnectedMs / 1000,
    scheduledPerSec: things / interval,
    sent: s?.sent,
    acked: s?.acked,
    unacked: s?.unacked ?? (s ? s.sent - s.acked - (s.failed ?? 0) : undefined),
    delivered: got.count,
    lost: lostOf(s, got.count),
    subscriberLagSeconds: Math.max(0, (got.lastAt - endedAt) / 1000),
    onTimeShare: s?.sent ? 1 - (s.late ?? 0) / s.sent : undefined,
    cpuSeconds: t.cpuSeconds,
    cpuPer1000: s?.acked ? (t.cpuSeconds * 1000) / s.acked : undefined,
    brokerCpuSeconds: brokerCpu,
    processes: t.processes.map((p) => ({ role: p.role, peakRssMb: Math.round(p.peakRssMb), cpuSeconds: +p.cpuSeconds.toFixed(1) })),
    peakTotalRssMb: t.peakTotalRssMb,
    wallSeconds: r.wallMs / 1000,
    exitCode: r.code,
    error: r.code === 0 && s ? undefined : r.stderr.trim().split('\n').slice(-2).join(' | ') || 'no summary on stdout',
  };
  ctx.say(
    `  ${label}, ${things} things: ${row.connected ?? '?'} connected${row.allConnectedSeconds !== undefined ? ` in ${row.allConnectedSeconds.toFixed(1)} s` : ''}, ` +
      `${row.onTimeShare !== undefined ? (row.onTimeShare * 100).toFixed(2) : '?'}% on time, lost ${row.lost ?? '?'}, unacked ${row.unacked ?? '?'}, ` +
      `${row.cpuPer1000?.toFixed(2) ?? '?'} CPU-s/1000 msg, RSS ${row.peakTotalRssMb.toFixed(0)} MB over ${row.processes.length} processes${row.error ? ` (exit ${r.code}: ${row.error})` : ''}`,
  );
  return row;
}

export async function scenario5(ctx, opts) {
  const { s5Things: things, s5Interval: interval, s5Duration: duration, s5Workers: workerCounts } = opts;
  if (!ctx.elfSend || ctx.elfSend.engine) return { pending: 'elf send is not on this build', rows: [] };
  ctx.say(`scenario 5: ${things} things → mosquitto, 1 msg per ${interval} s each for ${duration} s, QoS 1; elf send --workers ${workerCounts.join(', ')} and the device SDK in one process`);
  const pool = await certPool(ctx, 8);
  const file = join(ctx.tmp, 's5.jsonl');
  await writeJsonl(file, { lines: 1000 });
  const fleetDir = await writeFleet(join(ctx.tmp, `s5-fleet-${things}`), { things, pool });
  const sub = await ctx.broker.issueClient('s5-sub');
  const rows = [];
  let k = 0;
  const runs = [
    ...workerCounts.map((n) => ({
      label: `elf send --workers ${n}`,
      argv: (topic) => [...ctx.elfSend.args({ fleetDir, file, topic, qos: 1, interval, duration, connectRate: CONNECT_RATE }), '--workers', String(n)],
    })),
    {
      label: 'device SDK direct (S2 peer, one process)',
      argv: (topic) => [join(ROOT, 'bench', 'sdk-fleet.mjs'), '--host', ctx.broker.host, '--port', String(ctx.broker.port), '--ca', ctx.broker.caFile, '--certs', pool.map((c) => c.certPath).join(','), '--keys', pool.map((c) => c.keyPath).join(','), '--things', String(things), '--interval', String(interval), '--duration', String(duration), '--qos', '1', '--topic', topic],
    },
  ];
  for (const run of runs) {
    const topic = `bench/s5/${k++}`;
    const counter = await startCounter(ctx.broker, sub, { topic: `${topic}/#`, qos: 1, id: `s5-sub-${k}` });
    try {
      rows.push(await measure(ctx, { label: run.label, things, interval, duration, counter, argv: run.argv(topic) }));
    } finally {
      await counter.stop();
    }
  }
  return {
    things,
    interval,
    duration,
    rows,
    notes: [
      `elf asked to connect at most ${CONNECT_RATE} things/s in all (each worker its share); the device SDK peer connects as fast as 200 handshakes in flight allow`,
      `CPU and RSS: the sender and every process it started, sampled every 250 ms (a worker's last 250 ms of CPU may be missed); RSS total = the peak of their sum at one moment`,
      'lost = acknowledged by the broker − received by mosquitto_sub (waited for while it still receives); unacked = sent but not acknowledged when the sender stopped',
      `mosquitto, mosquitto_sub and the sender share the machine's ${ctx.cores ?? 'few'} cores`,
    ],
  };
}
