#!/usr/bin/env node
// CreateKeysAndCertificate rate of the local stand-in (needs `npm run build`).
//   node bench/standin-certs.mjs [n=40] [idleMs=10000]
// Starts the stand-in in-process on loopback with a temp state dir and calls the route over HTTP:
// n calls one at a time, n calls 10 at a time, then (after idleMs, while the key pool refills) a
// burst of 30. Prints calls/s (wall clock) and the process's CPU time per certificate (key
// generation in libuv's threads included): steadier than the rate on a busy machine.
/* global fetch, performance */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../dist/log.js';
import { startStandIn } from '../dist/local/server.js';

const n = Number(process.argv[2] ?? 40);
const idleMs = Number(process.argv[3] ?? 10_000);
const dir = await mkdtemp(join(tmpdir(), 'elf-bench-'));
const standIn = await startStandIn({ host: '127.0.0.1', port: 0, mqttPort: 0, stateDir: join(dir, 'state'), region: 'us-east-1', account: '123456789012', logger: createLogger({ level: 'warn' }) });
const url = `${standIn.controlPlaneUrl}/keys-and-certificate?setAsActive=true`;

async function one() {
  const r = await fetch(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
  await r.json();
}

async function run(label, count, concurrency) {
  let next = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, async () => { while (next++ < count) await one(); }));
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(`${label.padEnd(24)} ${String(count).padStart(4)} in ${ms.toFixed(0).padStart(6)} ms = ${((count / ms) * 1000).toFixed(1).padStart(6)}/s, CPU ${((cpu.user + cpu.system) / 1000 / count).toFixed(1)} ms/cert`);
}

try {
  await run('sequential', n, 1);
  await run('10 concurrent', n, 10);
  await new Promise((r) => setTimeout(r, idleMs));
  await run('burst of 30 after idle', 30, 10);
} finally {
  await standIn.close();
  await rm(dir, { recursive: true, force: true });
}
