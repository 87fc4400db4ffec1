// Scenario 1: one connection, as fast as it goes, mTLS to a local mosquitto, a JSON Lines file,
// QoS 0 and QoS 1. Every tool is measured the same way: wall time from its start until the
// independent mosquitto_sub has received everything it is going to receive (a quiet period
// ends the wait), and delivered/sent lines.
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../lib/elf.mjs';
import { watched } from '../lib/proc.mjs';
import { startCounter } from '../lib/subscriber.mjs';
import { writeJsonl } from '../lib/data.mjs';
import { performance } from 'node:perf_hooks';

const QUIET_MS = 3000;

function tools(ctx, client) {
  const { broker } = ctx;
  const tls = ['--cafile', broker.caFile, '--cert', client.certPath, '--key', client.keyPath];
  const list = [
    {
      name: 'mosquitto_pub -l',
      peer: true,
      stdinFile: true,
      cmd: 'mosquitto_pub',
      args: (topic, qos) => ['-h', broker.host, '-p', String(broker.port), ...tls, '-t', topic, '-q', String(qos), '-l', '-i', `pub-${topic.replace(/\//g, '-')}`],
    },
    {
      name: 'MQTT.js CLI (mqtt pub -s -M)',
      peer: true,
      stdinFile: true,
      cmd: process.execPath,
      args: (topic, qos) => [join(ROOT, 'node_modules', 'mqtt', 'build', 'bin', 'mqtt.js'), 'pub', '-s', '-M', '-h', broker.host, '-p', String(broker.port), '-C', 'mqtts', '--ca', broker.caFile, '--cert', client.certPath, '--key', client.keyPath, '-t', topic, '-q', String(qos), '-i', `mqttjs-${topic.replace(/\//g, '-')}`],
    },
  ];
  if (ctx.elfSend) {
    list.unshift({
      name: `${ctx.elfSend.label} --interval 0`,
      elf: true,
      engine: ctx.elfSend.engine,
      cmd: process.execPath,
      args: (topic, qos, file) => ctx.elfSend.args({ fleetDir: ctx.oneThingFleet, file, topic, qos, interval: 0, loop: false }),
      parse: parseElfJson,
    });
  } else {
    list.unshift({
      name: 'device SDK direct (stand-in for elf send)',
      elf: true,
      standIn: true,
      cmd: process.execPath,
      args: (topic, qos, file) => [join(ROOT, 'bench', 'sdk-publish.mjs'), '--host', broker.host, '--port', String(broker.port), '--ca', broker.caFile, '--cert', client.certPath, '--key', client.keyPath, '--file', file, '--qos', String(qos), '--topic', topic, '--client-id', `sdk-${topic.replace(/\//g, '-')}`],
      parse: (out) => JSON.parse(out.trim().split('\n').pop()),
    });
  }
  return list;
}

function parseElfJson(out) {
  const text = out.trim();
  const start = text.lastIndexOf('\n{');
  const s = JSON.parse(start >= 0 ? text.slice(start + 1) : text);
  return { sent: s.totals?.sent, acked: s.totals?.acked, failed: s.totals?.failed, msgsPerSec: s.msgsPerSec };
}

export async function scenario1(ctx, opts) {
  const file = join(ctx.tmp, 's1.jsonl');
  const { lines, bytes } = await writeJsonl(file, { lines: opts.lines });
  ctx.say(`scenario 1: ${lines.toLocaleString('en-US')} lines (${(bytes / 1e6).toFixed(1)} MB), one connection, mTLS to mosquitto ${ctx.versions.mosquitto}`);
  const subClient = await ctx.broker.issueClient('s1-sub');
  const pubClient = await ctx.broker.issueClient('s1-pub');
  const rows = [];
  let run = 0;
  for (const qos of opts.qos) {
    for (const tool of tools(ctx, pubClient)) {
      const topic = `bench/s1/${run++}`;
      const counter = await startCounter(ctx.broker, subClient, { topic, qos: 1, id: `s1-sub-${run}` });
      const fd = tool.stdinFile ? openSync(file, 'r') : undefined;
      const t0 = performance.now();
      const w = watched(tool.cmd, tool.args(topic, qos, file), { stdin: fd ?? 'ignore', timeoutMs: Math.max(120_000, lines / 200), cwd: ROOT });
      const res = await w.done;
      if (fd !== undefined) closeSync(fd);
      const got = await counter.settle(lines, { quietMs: QUIET_MS, maxMs: 120_000 });
      await counter.stop();
      const wallS = ((got.count > 0 ? got.lastAt : performance.now()) - t0) / 1000;
      let own;
      try {
        own = tool.parse?.(res.stdout);
      } catch {
        own = undefined;
      }
      const row = {
        tool: tool.name,
        elf: !!tool.elf,
        engine: !!tool.engine,
        standIn: !!tool.standIn,
        qos,
        lines,
        delivered: got.count,
        lost: lines - got.count,
        wallSeconds: wallS,
        msgsPerSec: got.count / wallS,
        ownMsgsPerSec: own?.msgsPerSec,
        exitCode: res.code,
        exitSeconds: res.wallMs / 1000,
        cpuSeconds: res.cpuSeconds,
        peakRssMb: res.peakRssMb,
        error: res.code === 0 ? undefined : res.stderr.trim().split('\n').slice(-3).join(' | '),
      };
      rows.push(row);
      ctx.say(`  QoS ${qos} ${tool.name}: ${row.delivered}/${lines} delivered, ${Math.round(row.msgsPerSec)} msg/s${row.error ? ` (exit ${res.code}: ${row.error})` : ''}`);
    }
  }
  return { lines, bytes, rows };
}
