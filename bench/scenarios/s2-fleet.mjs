// Scenario 2: fleet scale. N things in one process, one message per second each, for `duration`
// seconds, QoS 1, to mosquitto over mTLS (each thing its own connection and client id), and to
// the stand-in (elf local) for the smaller sizes. Measured: time to connect all, messages per
// second achieved against scheduled, share of publishes within 100 ms of their slot, lost
// messages (acknowledged by the broker − received by an independent mosquitto_sub, which is
// waited for while it still receives), peak RSS and CPU of the sending process.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ELF, ROOT } from '../lib/elf.mjs';
import { certPool, writeFleet } from '../lib/fleet.mjs';
import { startLocal, localEnv } from '../lib/local.mjs';
import { watched } from '../lib/proc.mjs';
import { startCounter } from '../lib/subscriber.mjs';
import { writeJsonl } from '../lib/data.mjs';
import { lastJson, lostOf, normalize } from '../lib/summary.mjs';

/** new connections per second asked of elf: AWS's per-account connect quota (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits) */
const CONNECT_RATE = 500;
/** `elf send --json` lists every thing: about 300 bytes each, 3 MB at 10,000 things */
const ELF_SUMMARY_MAX = 64 << 20;

async function measure(ctx, { label, brokerName, things, duration, run, counter }) {
  counter?.reset();
  const w = run();
  const r = await w.done;
  const s = normalize(lastJson(r.stdout));
  let delivered;
  let subscriberLagSeconds;
  if (counter) {
    // the subscriber may be far behind a saturated broker: wait while its count still grows (the
    // broker queues for it and loses nothing), so that a backlog is not counted as lost
    const endedAt = performance.now();
    const got = await counter.settle(s?.acked ?? Infinity, { quietMs: 5000, maxMs: 600_000 });
    delivered = got.count;
    subscriberLagSeconds = Math.max(0, (got.lastAt - endedAt) / 1000);
  }
  const sent = s?.sent;
  const row = {
    tool: label,
    broker: brokerName,
    things,
    connected: s?.connected,
    allConnectedSeconds: s?.allConnectedMs == null ? undefined : s.allConnectedMs / 1000,
    scheduledPerSec: things, // one message per second per thing
    achievedPerSec: (delivered ?? s?.acked ?? 0) / duration,
    sent,
    acked: s?.acked,
    delivered,
    // QoS 1: acknowledged by the broker but never at the subscriber (publishes never acknowledged
    // are the sender's `unacked`, not the broker's loss); without a subscriber: sent − acked
    lost: counter ? lostOf(s, delivered) : sent === undefined ? undefined : sent - (s?.acked ?? 0),
    unacked: s?.unacked ?? (sent === undefined ? undefined : sent - (s?.acked ?? 0) - (s?.failed ?? 0)),
    subscriberLagSeconds,
    late: s?.late,
    onTimeShare: sent ? 1 - (s.late ?? 0) / sent : undefined,
    peakRssMb: r.peakRssMb,
    cpuSeconds: r.cpuSeconds,
    wallSeconds: r.wallMs / 1000,
    exitCode: r.code,
    error: r.code === 0 && s ? undefined : r.stderr.trim().split('\n').slice(-2).join(' | ') || 'no summary on stdout',
    countedBy: counter ? 'mosquitto_sub' : 'publisher acknowledgements',
  };
  ctx.say(
    `  ${label} → ${brokerName}, ${things} things: ${row.connected ?? '?'} connected` +
      `${row.allConnectedSeconds !== undefined ? ` in ${row.allConnectedSeconds.toFixed(1)} s` : ''}, ${Math.round(row.achievedPerSec)}/${things} msg/s, ` +
      `${row.onTimeShare !== undefined ? (row.onTimeShare * 100).toFixed(2) : '?'}% on time, lost ${row.lost ?? '?'}, peak RSS ${row.peakRssMb.toFixed(0)} MB` +
      `${row.error ? ` (exit ${r.code}: ${row.error})` : ''}`,
  );
  return row;
}

export async function scenario2(ctx, opts) {
  const duration = opts.duration;
  const rows = [];
  const notes = [];
  const { broker } = ctx;
  ctx.say(`scenario 2: fleets of ${opts.fleet.join(', ')} things → mosquitto${opts.standInFleet.length ? `, ${opts.standInFleet.join(', ')} → elf local` : ''}; 1 msg/s each for ${duration} s, QoS 1`);
  const pool = await certPool(ctx, 8);
  const file = join(ctx.tmp, 's2.jsonl');
  await writeJsonl(file, { lines: 1000 });
  const sub = await broker.issueClient('s2-sub');
  let k = 0;
  for (const n of opts.fleet) {
    const topic = `bench/s2/${k++}`;
    const counter = await startCounter(broker, sub, { topic: `${topic}/#`, qos: 1, id: `s2-sub-${k}` });
    try {
      const timeoutMs = (duration + 120 + n / 50) * 1000;
      if (ctx.elfSend) {
        const fleetDir = await writeFleet(join(ctx.tmp, `s2-fleet-${n}`), { things: n, pool });
        rows.push(
          await measure(ctx, {
            label: ctx.elfSend.label,
            brokerName: 'mosquitto',
            things: n,
            duration,
            counter,
            run: () => watched(process.execPath, ctx.elfSend.args({ fleetDir, file, topic, qos: 1, interval: 1, duration, connectRate: CONNECT_RATE }), { cwd: ROOT, timeoutMs, keep: ELF_SUMMARY_MAX }),
          }),
        );
      } else {
        rows.push(
          await measure(ctx, {
            label: 'device SDK direct (stand-in for elf send)',
            brokerName: 'mosquitto',
            things: n,
            duration,
            counter,
            run: () =>
              watched(
                process.execPath,
                [join(ROOT, 'bench', 'sdk-fleet.mjs'), '--host', broker.host, '--port', String(broker.port), '--ca', broker.caFile, '--certs', pool.map((c) => c.certPath).join(','), '--keys', pool.map((c) => c.keyPath).join(','), '--things', String(n), '--duration', String(duration), '--qos', '1', '--topic', `${topic}/sdk`],
                { cwd: ROOT, timeoutMs },
              ),
          }),
        );
      }
    } finally {
      await counter.stop();
    }
  }
  if (opts.standInFleet.length) {
    const missing = ['create', 'local'].filter((c) => !ctx.elf[c]);
    if (!ctx.elfSend) missing.push('send');
    if (missing.length) notes.push(`stand-in rows pending: elf ${missing.join(', ')} not on this build`);
    else {
      for (const n of opts.standInFleet) {
        const local = await startLocal(ctx, { name: `s2-local-${n}` });
        ctx.cleanups.push(() => local.stop());
        try {
          const env = localEnv(local.url);
          const stateDir = join(ctx.tmp, `s2-local-fleet-${n}`);
          const c = await watched(process.execPath, [ELF, 'create', String(n), '--endpoint-url', local.url, '--state-dir', stateDir, ...(ctx.elf.create.has('--no-pacing') ? ['--no-pacing'] : [])], { cwd: ROOT, env, timeoutMs: 1_800_000 }).done;
          if (c.code !== 0) throw new Error(`elf create ${n} against elf local failed: ${c.stderr.trim().split('\n').pop()}`);
          rows.push(
            await measure(ctx, {
              label: ctx.elfSend.label,
              brokerName: 'elf local',
              things: n,
              duration,
              run: () => watched(process.execPath, ctx.elfSend.args({ fleetDir: stateDir, file, qos: 1, interval: 1, duration, connectRate: CONNECT_RATE, local: local.url }), { cwd: ROOT, env, timeoutMs: (duration + 120 + n / 50) * 1000, keep: ELF_SUMMARY_MAX }),
            }),
          );
        } finally {
          await local.stop();
        }
      }
      notes.push('elf local rows: lost = sent − acknowledged (the stand-in enforces least-privilege policies, so no independent subscriber there)');
    }
  }
  notes.push('lost (mosquitto rows) = acknowledged by the broker − received by mosquitto_sub, waited for while it still receives (a saturated broker queues for it); unacked = sent but not acknowledged when the sender stopped');
  if (ctx.elfSend) notes.push(`elf asked to connect at most ${CONNECT_RATE} things/s (AWS's per-account connect quota; elf's default is lower)`);
  else notes.push('elf send not on this build: the device SDK driven directly (bench/sdk-fleet.mjs) stands in, connecting as fast as 200 handshakes in flight allow');
  notes.push(`mosquitto fleets share ${pool.length} client certificates (RSA-2048) between things: each connection still does its own mTLS handshake`);
  return { duration, rows, notes };
}
