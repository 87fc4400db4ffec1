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
      headers: ['tool', 'broker', 'things', 'connected', 'all connected s', 'msg/s achieved', 'msg/s scheduled', 'within 100 ms', 'lost', 'peak RSS MB', 'CPU s'],
      rows: s2.rows.map((r) => [r.tool, r.broker, int(r.things), int(r.connected), fixed(r.allConnectedSeconds, 1), int(r.achievedPerSec), int(r.scheduledPerSec), pct(r.onTimeShare, 2), int(r.lost), int(r.peakRssMb), fixed(r.cpuSeconds, 1)]),
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
