// An independent counter: mosquitto_sub on the broker, counting received lines (one per message;
// payloads are single-line JSON). `settle` waits until the count reaches the expected number or
// stops growing for a quiet period.
import { spawn } from 'node:child_process';
import { sleep } from './net.mjs';
import { track } from './proc.mjs';
import { performance } from 'node:perf_hooks';

export async function startCounter(broker, client, { topic, qos = 1, id }) {
  const args = ['-h', broker.host, '-p', String(broker.port), '--cafile', broker.caFile, '--cert', client.certPath, '--key', client.keyPath, '-t', topic, '-q', String(qos), '-i', id];
  const p = track(spawn('mosquitto_sub', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let count = 0;
  let lastAt = performance.now();
  let err = '';
  p.stdout.on('data', (d) => {
    for (let i = 0; i < d.length; i++) if (d[i] === 10) count++;
    lastAt = performance.now();
  });
  p.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  const exited = new Promise((r) => p.once('exit', r));
  // mosquitto_sub prints nothing when subscribed; give it a moment and make sure it is alive
  await sleep(400);
  if (p.exitCode !== null) throw new Error(`mosquitto_sub exited at start: ${err.trim()}`);
  return {
    get count() {
      return count;
    },
    /** ms (performance.now) of the last byte received */
    get lastAt() {
      return lastAt;
    },
    reset() {
      count = 0;
      lastAt = performance.now();
    },
    /**
     * Waits until `expected` lines arrived or none arrived for `quietMs`, bounded by `maxMs`.
     * Returns { count, lastAt }.
     */
    async settle(expected, { quietMs = 2000, maxMs = 120_000 } = {}) {
      const until = performance.now() + maxMs;
      while (count < expected && performance.now() - lastAt < quietMs && performance.now() < until) await sleep(20);
      return { count, lastAt };
    },
    async stop() {
      if (p.exitCode === null && p.signalCode === null) {
        p.kill('SIGTERM');
        await exited;
      }
    },
  };
}
