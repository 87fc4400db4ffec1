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
  return t;
}
