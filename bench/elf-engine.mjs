#!/usr/bin/env node
// elf's send engine (dist/publish/run.js runSend: the code `elf send` runs) driven from a fleet
// state dir, for as long as the CLI command is not wired. Prints the SendSummary (without the
// per-thing list) as one JSON line on stdout.
//   node bench/elf-engine.mjs --state-dir DIR --file F (--host H --port P --ca CA | --local URL)
//        [--qos 0|1] [--interval s] [--duration s] [--topic elf] [--no-loop] [--connect-rate n]
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runSend } from '../dist/publish/run.js';
import { fileSource } from '../dist/source/index.js';
import { createLogger } from '../dist/log.js';

const { values: a } = parseArgs({
  options: {
    'state-dir': { type: 'string' },
    file: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    ca: { type: 'string' },
    local: { type: 'string' },
    qos: { type: 'string', default: '1' },
    interval: { type: 'string', default: '1' },
    duration: { type: 'string' },
    topic: { type: 'string' },
    'no-loop': { type: 'boolean', default: false },
    'connect-rate': { type: 'string' },
  },
});
const dir = a['state-dir'];
const state = JSON.parse(await readFile(join(dir, 'things.json'), 'utf8'));
const devices = state.things.map((t) => ({ name: t.name, certPath: join(dir, t.files.cert), keyPath: join(dir, t.files.privateKey) }));
let { host, port, ca } = a;
if (a.local) {
  // the stand-in announces its broker and CA (elf local's /elf/info)
  const info = await (await globalThis.fetch(new URL('/elf/info', a.local))).json();
  host = info.mqtt.host;
  port = String(info.mqtt.port);
  ca = join(dir, 'bench-standin-ca.pem');
  await writeFile(ca, info.caPem);
}
const ac = new globalThis.AbortController();
process.once('SIGINT', () => ac.abort());
process.once('SIGTERM', () => ac.abort());
const summary = await runSend(
  {
    devices,
    host,
    port: Number(port),
    caFile: ca,
    protocol: '3.1.1',
    qos: Number(a.qos),
    topic: a.topic ?? state.topicRoot ?? 'elf',
    interval: Number(a.interval),
    duration: a.duration === undefined ? undefined : Number(a.duration),
    loop: !a['no-loop'],
    connectRate: a['connect-rate'] === undefined ? undefined : Number(a['connect-rate']),
    drainTimeoutMs: 30_000,
  },
  { source: fileSource(a.file), logger: createLogger({ level: process.env.ELF_LOG_LEVEL ?? 'warn', pretty: false }), signal: ac.signal },
);
delete summary.perThing;
// the CRT's native threads can keep the process alive after the last connection closed
process.stdout.write(JSON.stringify(summary) + '\n', () => process.exit(0));
