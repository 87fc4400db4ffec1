/**
 * Quick measurement (not a test): one thing, --interval 0, QoS 0 and QoS 1, mTLS to a local
 * mosquitto, 200,000 small JSON lines read from a file; an independent mosquitto_sub counts what
 * arrives. Optional: N connections' connect time and RSS.
 *
 * Uses the real file source (src/source). Figures depend on the machine's load: compare with
 * bench/raw-crt figures taken in the same run, not across machines.
 *
 *   npx tsc -p tsconfig.json --noEmit false --outDir /tmp/elf-bench && node /tmp/elf-bench/bench/publish-one.js [lines] [connections]
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { runSend } from '../src/publish/run.js';
import { fileSource } from '../src/source/index.js';
import { startMosquitto, type Mosquitto } from '../test/helpers/mosquitto.js';

const LINES = Number(process.argv[2] ?? 200_000);
const CONNECTIONS = Number(process.argv[3] ?? 0);
const logger = pino({ level: 'warn' });

async function subscriber(broker: Mosquitto, topic: string, qos: number): Promise<{ count: () => number; stop: () => void }> {
  const c = await broker.issueClient(`sub-${topic}`);
  const p = spawn('mosquitto_sub', ['-h', broker.host, '-p', String(broker.port), '--cafile', broker.caFile, '--cert', c.certPath, '--key', c.keyPath, '-t', `${topic}/#`, '-q', String(qos), '-i', `sub-${topic}`]);
  let n = 0;
  p.stdout.on('data', (d: Buffer) => {
    for (const b of d) if (b === 10) n++;
  });
  await new Promise((r) => setTimeout(r, 500));
  return { count: () => n, stop: () => p.kill('SIGKILL') };
}

const T0 = Date.now(); const tl = (m: string) => console.log(((Date.now() - T0) / 1000).toFixed(1), m);
const broker = await startMosquitto({ persistence: false });
try {
  const file = path.join(broker.dir, 'lines.jsonl');
  const body = Array.from({ length: LINES }, (_, i) => `{"i":${i},"t":"2024-01-01T00:00:00Z","v":${(i * 0.37).toFixed(2)}}`).join('\n') + '\n';
  await writeFile(file, body);
  const thing = await broker.issueClient('thing_0');
  for (const qos of [0, 1] as const) {
    for (const protocol of ['3.1.1', '5'] as const) {
      const topic = `bench${qos}${protocol.replace(/\./g, '')}`;
      tl('subscriber');
      const sub = await subscriber(broker, topic, 1);
      tl('runSend');
      const summary = await runSend(
        {
          devices: [{ name: thing.name, certPath: thing.certPath, keyPath: thing.keyPath }],
          host: broker.host,
          port: broker.port,
          caFile: broker.caFile,
          protocol,
          qos,
          topic,
          interval: 0,
          loop: false,
          drainTimeoutMs: 30_000,
        },
        { source: fileSource(file), logger },
      );
      const until = Date.now() + 10_000;
      while (sub.count() < LINES && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      tl('received');
      sub.stop();
      console.log(
        `MQTT ${protocol} QoS ${qos}: ${summary.totals.acked} acked of ${summary.totals.sent} sent, ${summary.msgsPerSec} msg/s, ` +
          `elapsed ${(summary.elapsedMs / 1000).toFixed(2)} s, mosquitto_sub received ${sub.count()}/${LINES}` +
          (summary.latencyMs ? `, ack p50 ${summary.latencyMs.p50} ms p99 ${summary.latencyMs.p99} ms` : ''),
      );
    }
  }
  if (CONNECTIONS > 0) {
    const devices = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      // one certificate is enough to measure connection cost (client ids differ)
      devices.push({ name: `fleet_${i}`, certPath: thing.certPath, keyPath: thing.keyPath });
    }
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
    const summary = await runSend(
      { devices, host: broker.host, port: broker.port, caFile: broker.caFile, protocol: '3.1.1', qos: 1, topic: 'fleet', interval: 1, duration: 20, connectRate: 500 },
      { source: fileSource(file), logger },
    );
    clearInterval(t);
    console.log(
      `${CONNECTIONS} connections: all connected in ${summary.allConnectedMs} ms (${summary.connected} connected), ` +
        `${summary.totals.acked} acked / ${summary.totals.sent} sent, late ${summary.totals.late}, peak RSS ${(peak / 1e6).toFixed(0)} MB (start ${(rss0 / 1e6).toFixed(0)} MB)`,
    );
  }
} finally {
  tl('teardown');
  await broker.teardown();
  tl('done');
}
