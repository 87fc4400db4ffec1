// Issue 7's targets, checked against a run's results. A figure measured on the device-SDK stand-in
// (before `elf send` is on the build) is shown but the target stays pending.
import { int, pct } from './table.mjs';

function verdict(row, ok) {
  if (!row) return undefined;
  return row.standIn ? undefined : ok;
}

export function evaluateTargets(results) {
  const t = [];
  const s1 = results.scenarios[1]?.rows;
  if (s1) {
    for (const qos of [0, 1]) {
      const elf = s1.find((r) => r.elf && r.qos === qos);
      const peerName = qos === 0 ? 'mosquitto_pub -l' : 'MQTT.js CLI (mqtt pub -s -M)';
      const peer = s1.find((r) => r.tool === peerName && r.qos === qos);
      const factor = qos === 0 ? 1 : 6;
      if (elf && peer) {
        const ratio = elf.msgsPerSec / peer.msgsPerSec;
        t.push({
          target: `S1 QoS ${qos}: ≥ ${factor}× ${peerName.split(' (')[0]}`,
          measured: `${elf.standIn ? '(stand-in) ' : ''}${int(elf.msgsPerSec)} vs ${int(peer.msgsPerSec)} msg/s = ${ratio.toFixed(3)}×`,
          met: verdict(elf, ratio >= factor),
        });
      }
      if (qos === 1 && elf) t.push({ target: 'S1 QoS 1: zero lines lost', measured: `${elf.standIn ? '(stand-in) ' : ''}${int(elf.lost)} lost of ${int(elf.lines)}`, met: verdict(elf, elf.lost === 0) });
    }
  }
  const s2 = results.scenarios[2]?.rows?.filter((r) => r.broker === 'mosquitto');
  if (s2?.length) {
    const big = s2.reduce((a, b) => (b.things > a.things ? b : a));
    const standIn = big.tool.includes('stand-in');
    const mark = (ok) => (standIn ? undefined : ok);
    const pre = standIn ? '(stand-in) ' : '';
    t.push({ target: `S2: ${int(big.things)} things connected within 60 s`, measured: `${pre}${int(big.connected)} connected${big.allConnectedSeconds !== undefined ? ` in ${big.allConnectedSeconds.toFixed(1)} s` : ', not all'}`, met: mark(big.connected === big.things && big.allConnectedSeconds <= 60) });
    const worstOnTime = Math.min(...s2.map((r) => r.onTimeShare ?? 0));
    t.push({ target: 'S2: ≥ 99.9% of publishes within 100 ms (every size)', measured: `${pre}worst ${pct(worstOnTime, 2)}`, met: mark(worstOnTime >= 0.999) });
    const lost = s2.reduce((a, r) => a + (r.lost ?? 0), 0);
    t.push({ target: 'S2: zero lost at QoS 1', measured: `${pre}${int(lost)} lost over all sizes`, met: mark(lost === 0) });
    t.push({ target: 'S2: peak RSS ≤ 1.5 GB', measured: `${pre}${int(big.peakRssMb)} MB at ${int(big.things)} things`, met: mark(big.peakRssMb <= 1536) });
  }
  const s3 = results.scenarios[3]?.rows?.find((r) => r.elf);
  if (s3) t.push({ target: 'S3: peak RSS ≤ 150 MB streaming the file', measured: `${s3.standIn ? '(stand-in) ' : ''}${int(s3.peakRssMb)} MB`, met: verdict(s3, s3.peakRssMb <= 150) });
  const s4 = results.scenarios[4]?.rows?.filter((r) => r.throttle);
  if (s4?.length) {
    for (const r of s4) t.push({ target: `S4: ${r.command} --throttle ≥ 90% of ideal, 0 failed`, measured: `${pct(r.shareOfIdeal)} of ${r.idealSeconds.toFixed(0)} s, ${int(r.failed)} failed`, met: r.shareOfIdeal >= 0.9 && r.failed === 0 });
  } else if (results.scenarios[4]?.pending) t.push({ target: 'S4: --throttle ≥ 90% of ideal, 0 failed', measured: results.scenarios[4].pending, met: undefined });
  const s5 = results.scenarios[5]?.rows?.filter((r) => r.tool.startsWith('elf send'));
  if (s5?.length) {
    const best = s5.reduce((a, b) => ((b.connected ?? 0) > (a.connected ?? 0) ? b : a));
    t.push({ target: `S5: ${int(best.things)} things all connected within 90 s`, measured: `${best.tool}: ${int(best.connected)} connected${best.allConnectedSeconds !== undefined ? ` in ${best.allConnectedSeconds.toFixed(1)} s` : ', not all'}`, met: best.connected === best.things && best.allConnectedSeconds <= 90 });
    t.push({ target: 'S5: ≥ 99.9% on time, 0 lost at QoS 1, total RSS ≤ 2.5 GB', measured: s5.map((r) => `${r.tool}: ${pct(r.onTimeShare, 2)}, ${int(r.lost)} lost, ${int(r.peakTotalRssMb)} MB`).join('; '), met: s5.some((r) => r.onTimeShare >= 0.999 && r.lost === 0 && r.peakTotalRssMb <= 2560) });
  }
  const s6 = results.scenarios[6]?.rows;
  if (s6?.length) {
    t.push({ target: 'S6: shards and one process: same totals, 0 duplicates, 0 missing', measured: s6.map((r) => `${r.arm}: ${int(r.acked)} acked, ${int(r.duplicates)} dup, ${int(r.missing)} missing`).join('; '), met: s6.every((r) => r.duplicates === 0 && r.missing === 0 && r.acked === s6[0].acked) });
  }
  return t;
}
