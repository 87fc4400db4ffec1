// The tables printed at the end of a run (and pasted into BENCHMARKS.md).
import { fixed, int, pct, textTable } from './table.mjs';

export function sections(results) {
  const out = [];
  const s1 = results.scenarios[1];
  if (s1?.rows) {
    out.push({
      title: `Scenario 1 — one connection, as fast as it goes, mTLS, ${int(s1.lines)} lines`,
      headers: ['tool', 'QoS', 'delivered', 'lost', 'msg/s (to subscriber)', 'own msg/s', 'msg per CPU-s', 'exit s', 'CPU s', 'peak RSS MB'],
      rows: s1.rows.map((r) => [r.tool, r.qos, int(r.delivered), int(r.lost), int(r.msgsPerSec), int(r.ownMsgsPerSec), int(r.cpuSeconds > 0 ? r.delivered / r.cpuSeconds : undefined), fixed(r.exitSeconds, 2), fixed(r.cpuSeconds, 2), int(r.peakRssMb)]),
      notes: s1.notes,
      scenario: s1,
    });
  }
  const s2 = results.scenarios[2];
  if (s2?.rows) {
    out.push({
      title: `Scenario 2 — fleet scale, 1 msg/s per thing, ${s2.duration} s, QoS 1`,
      headers: ['tool', 'broker', 'things', 'connected', 'all connected s', 'msg/s achieved', 'msg/s scheduled', 'within 100 ms', 'lost', 'unacked', 'subscriber lag s', 'peak RSS MB', 'CPU s'],
      rows: s2.rows.map((r) => [r.tool, r.broker, int(r.things), int(r.connected), fixed(r.allConnectedSeconds, 1), int(r.achievedPerSec), int(r.scheduledPerSec), pct(r.onTimeShare, 2), int(r.lost), int(r.unacked), fixed(r.subscriberLagSeconds, 1), int(r.peakRssMb), fixed(r.cpuSeconds, 1)]),
      notes: s2.notes,
      scenario: s2,
    });
  }
  const s3 = results.scenarios[3];
  if (s3?.rows) {
    out.push({
      title: `Scenario 3 — peak RSS streaming a ${int(s3.bytes / 1e6)} MB JSON Lines file (${int(s3.lines)} lines), QoS 0`,
      headers: ['tool', 'delivered', 'msg/s', 'wall s', 'peak RSS MB'],
      rows: s3.rows.map((r) => [r.tool, int(r.delivered), int(r.msgsPerSec), fixed(r.wallSeconds, 1), int(r.peakRssMb)]),
      notes: s3.notes,
      scenario: s3,
    });
  }
  const s4 = results.scenarios[4];
  if (s4?.rows) {
    out.push({
      title: `Scenario 4 — provisioning ${int(s4.things)} things against elf local`,
      headers: ['command', 'stand-in', 'things ok', 'failed', 'seconds', 'things/s', 'ideal s', 'share of ideal'],
      rows: s4.rows.map((r) => [r.command, r.throttle ? '--throttle' : 'unthrottled', int(r.ok), int(r.failed), fixed(r.seconds, 1), fixed(r.thingsPerSec, 1), fixed(r.idealSeconds, 1), pct(r.shareOfIdeal, 1)]),
      notes: s4.notes,
      scenario: s4,
    });
  }
  const s5 = results.scenarios[5];
  if (s5?.rows?.length) {
    out.push({
      title: `Scenario 5 — one machine's cores: ${int(s5.things)} things, 1 msg per ${s5.interval} s each, ${s5.duration} s, QoS 1, mosquitto`,
      headers: ['tool', 'connected', 'all connected s', 'within 100 ms', 'acked', 'lost', 'unacked', 'CPU-s per 1,000 msg', 'broker CPU s', 'RSS MB per process', 'RSS MB total'],
      rows: s5.rows.map((r) => [r.tool, int(r.connected), fixed(r.allConnectedSeconds, 1), pct(r.onTimeShare, 2), int(r.acked), int(r.lost), int(r.unacked), fixed(r.cpuPer1000, 2), fixed(r.brokerCpuSeconds, 1), r.processes.map((p) => `${p.role === 'parent' ? 'P' : 'W'} ${p.peakRssMb}/${p.cpuSeconds}s`).join(' '), int(r.peakTotalRssMb)]),
      notes: s5.notes,
      scenario: s5,
    });
  }
  const s6 = results.scenarios[6];
  if (s6?.rows?.length) {
    out.push({
      title: `Scenario 6 — ${int(s6.things)} things on elf local, ${int(s6.lines)} lines once: 1 process vs ${s6.shards} shards; clean --run-id ${fixed(s6.clean?.seconds, 1)} s`,
      headers: ['arm', 'processes', 'things', 'connected', 'sent', 'acked', 'counted by the rule', 'duplicates', 'missing', 'wall s', 'CPU s', 'peak RSS MB (largest)'],
      rows: s6.rows.map((r) => [r.arm, r.processes, int(r.things), int(r.connected), int(r.sent), int(r.acked), int(r.received), int(r.duplicates), int(r.missing), fixed(r.wallSeconds, 1), fixed(r.cpuSeconds, 1), int(r.peakRssMb)]),
      notes: [...(s6.notes ?? []), `clean --run-id: ${s6.clean?.output ?? '?'}`],
      scenario: s6,
    });
  }
  const s7 = results.scenarios[7];
  if (s7?.rows?.length) {
    out.push({
      title: `Scenario 7 — rules on elf local: ${int(s7.lines)} lines from ${s7.things} things at --interval 0`,
      headers: ['rule', 'acked', 'msg/s (sender)', 'stand-in CPU-s per 1,000 msg', 'sink rows', 'expected', 'msg/s through the rule', 'dropped'],
      rows: s7.rows.map((r) => [r.rule, int(r.acked), int(r.msgsPerSec), fixed(r.standInCpuPer1000, 2), int(r.sinkRows), int(r.expectedRows), int(r.ruleMsgsPerSec), int(r.dropped)]),
      notes: s7.notes,
      scenario: s7,
    });
  }
  const s8 = results.scenarios[8];
  if (s8?.rows?.length) {
    out.push({
      title: `Scenario 8A — generated traffic over one connection: ${int(s8.messages)} messages per source, --interval 0, QoS 1, mosquitto`,
      headers: ['source', 'delivered', 'msg/s (to subscriber)', 'own msg/s', 'msg per CPU-s', 'CPU s', 'peak RSS MB'],
      rows: s8.rows.map((r) => [r.source, int(r.delivered), int(r.msgsPerSec), int(r.ownMsgsPerSec), int(r.cpuSeconds > 0 ? r.delivered / r.cpuSeconds : undefined), fixed(r.cpuSeconds, 2), int(r.peakRssMb)]),
      notes: s8.notes?.slice(0, 1),
      scenario: s8,
    });
    out.push({
      title: `Scenario 8B — ${int(s8.things)} things each with its own traffic state (no broker)`,
      headers: ['traffic', 'heap per thing B', 'heap MB', 'CPU-µs per payload', 'payload B', 'process peak RSS MB'],
      rows: s8.memoryRows.map((r) => [r.kind, int(r.heapPerThingBytes), fixed(r.heapMb, 1), fixed(r.cpuUsPerPayload, 2), int(r.payloadBytes), int(r.peakRssMb)]),
      notes: s8.notes?.slice(2),
    });
    const r = s8.replay;
    if (r) {
      out.push({
        title: `Scenario 8C — replay of ${int(r.rows)} radar-counts rows at --speed ${int(r.speed)} (${fixed(r.scheduleSeconds, 1)} s), one connection, QoS 1, mosquitto`,
        headers: ['error vs scaled timestamp', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'within 50 ms %'],
        rows: [
          ['sent (sender\'s sentAt)', ...['p50', 'p95', 'p99', 'max', 'within50ms'].map((k) => fixed(r.sendErrorMs[k], 1))],
          ['arrived (mosquitto_sub)', ...['p50', 'p95', 'p99', 'max', 'within50ms'].map((k) => fixed(r.arrivalErrorMs[k], 1))],
        ],
        notes: s8.notes?.slice(1, 2),
      });
    }
  }
  for (const [k, v] of Object.entries(results.scenarios)) if (v?.error) out.push({ title: `Scenario ${k} — failed`, headers: ['error'], rows: [[v.error]] });
  if (results.targets?.length) {
    out.push({ title: 'Targets (issue 7)', headers: ['target', 'measured', 'met'], rows: results.targets.map((t) => [t.target, t.measured, t.met === undefined ? 'pending' : t.met ? 'yes' : 'NO']) });
  }
  return out;
}

export function report(results) {
  const m = results.machine;
  let s = `\nelf benchmarks — ${results.started} ${results.quick ? '(quick)' : ''}\n`;
  s += `machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB, node ${m.node}, mosquitto ${results.versions.mosquitto}, load at start ${m.loadAverageAtStart.join(' ')}\n`;
  for (const sec of sections(results)) {
    s += sec.rows.length ? `\n${sec.title}\n${textTable(sec.headers, sec.rows)}\n` : `\n${sec.title}\n`;
    for (const n of sec.notes ?? []) s += `  * ${n}\n`;
    if (sec.scenario?.loadAtStart) s += `  * ${sec.scenario.seconds} s; load average at its start ${sec.scenario.loadAtStart.join(' ')} (${m.cpus} cores)\n`;
  }
  return `${s}\nrun took ${results.seconds} s\n\n`;
}
