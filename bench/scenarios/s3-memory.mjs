// Scenario 3: peak RSS while streaming a big JSON Lines file (default 1 GiB), one thing,
// interval 0, QoS 0, to mosquitto over mTLS. The file is generated streaming and deleted after.
// Peak RSS is the kernel's high-water mark (VmHWM) of the process, sampled every 100 ms.
// mosquitto_pub -l is measured beside it; MQTT.js's CLI is left out (at ≈ 13,000 msg/s a 1 GiB
// file would take several minutes).
import { closeSync, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from '../lib/elf.mjs';
import { watched } from '../lib/proc.mjs';
import { startCounter } from '../lib/subscriber.mjs';
import { writeJsonl } from '../lib/data.mjs';
import { performance } from 'node:perf_hooks';

export async function scenario3(ctx, opts) {
  const file = join(ctx.tmp, 's3.jsonl');
  const t0 = performance.now();
  const { lines, bytes } = await writeJsonl(file, { bytes: opts.megabytes * 2 ** 20 });
  ctx.say(`scenario 3: ${(bytes / 2 ** 20).toFixed(0)} MiB, ${lines.toLocaleString('en-US')} lines written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const sub = await ctx.broker.issueClient('s3-sub');
  const pub = ctx.pool?.[0] ?? (await ctx.broker.issueClient('s3-pub'));
  const { broker } = ctx;
  const tools = [
    ctx.elfSend
      ? { name: `${ctx.elfSend.label} --interval 0`, elf: true, engine: ctx.elfSend.engine, args: (topic) => ctx.elfSend.args({ fleetDir: ctx.oneThingFleet, file, topic, qos: 0, interval: 0, loop: false }) }
      : {
          name: 'device SDK direct (stand-in for elf send)',
          elf: true,
          standIn: true,
          args: (topic) => [join(ROOT, 'bench', 'sdk-publish.mjs'), '--host', broker.host, '--port', String(broker.port), '--ca', broker.caFile, '--cert', pub.certPath, '--key', pub.keyPath, '--file', file, '--qos', '0', '--topic', topic, '--client-id', 's3-sdk'],
        },
    {
      name: 'mosquitto_pub -l',
      cmd: 'mosquitto_pub',
      stdinFile: true,
      args: (topic) => ['-h', broker.host, '-p', String(broker.port), '--cafile', broker.caFile, '--cert', pub.certPath, '--key', pub.keyPath, '-t', topic, '-q', '0', '-l', '-i', 's3-mosquitto-pub'],
    },
  ];
  const rows = [];
  try {
    let k = 0;
    for (const tool of tools) {
      const topic = `bench/s3/${k++}`;
      const counter = await startCounter(broker, sub, { topic, qos: 1, id: `s3-sub-${k}` });
      const fd = tool.stdinFile ? openSync(file, 'r') : undefined;
      const start = performance.now();
      const w = watched(tool.cmd ?? process.execPath, tool.args(topic), { cwd: ROOT, stdin: fd ?? 'ignore', timeoutMs: 1_800_000 });
      const r = await w.done;
      if (fd !== undefined) closeSync(fd);
      const got = await counter.settle(lines, { quietMs: 3000, maxMs: 300_000 });
      await counter.stop();
      const wallSeconds = ((got.count > 0 ? got.lastAt : performance.now()) - start) / 1000;
      const row = {
        tool: tool.name,
        elf: !!tool.elf,
        engine: !!tool.engine,
        standIn: !!tool.standIn,
        lines,
        delivered: got.count,
        wallSeconds,
        msgsPerSec: got.count / wallSeconds,
        peakRssMb: r.peakRssMb,
        cpuSeconds: r.cpuSeconds,
        exitCode: r.code,
        error: r.code === 0 ? undefined : r.stderr.trim().split('\n').slice(-2).join(' | '),
      };
      rows.push(row);
      ctx.say(`  ${tool.name}: peak RSS ${row.peakRssMb.toFixed(0)} MB, ${got.count}/${lines} delivered in ${wallSeconds.toFixed(1)} s${row.error ? ` (exit ${r.code}: ${row.error})` : ''}`);
    }
  } finally {
    await rm(file, { force: true });
  }
  return { bytes, lines, rows, notes: ['QoS 0: delivered counts are what mosquitto_sub received; a QoS 0 stream may lose messages by design'] };
}
