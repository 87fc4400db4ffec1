import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../helpers/cli.js';

/**
 * `elf local --host <an address of this machine that is not loopback>`: the broker listens there
 * only, so the console's MQTT client (the Test page) must dial that address, not 127.0.0.1, and
 * check the broker's certificate for the advertised name (--advertise-host), which the certificate
 * carries, not for the address it dialled. Subscribed and published through the console's own
 * routes (the page's are the same; console.browser.test.ts drives them in a browser).
 */

/** A non-internal IPv4 address of this machine, if it has one. */
function outsideAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
}

/** Reads Server-Sent Events from a response until `until` returns true for an event. */
async function readEvents(res: Response, until: (event: string, data: string) => boolean): Promise<void> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended first; it said: ${buffer}`);
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
      if (event && until(event, data)) {
        await reader.cancel();
        return;
      }
    }
  }
}

const address = outsideAddress();
let local: RunningCli | undefined;
let dir: string | undefined;
afterAll(async () => {
  await local?.kill('SIGTERM');
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the console on a stand-in that listens on a non-loopback address', () => {
  it.skipIf(address === undefined)(`subscribes and publishes through the broker on that address (${address ?? 'none on this machine'})`, { timeout: 90_000 }, async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'elf-console-host-'));
    local = startCli(['local', '--host', address!, '--advertise-host', 'elf-broker.test', '--port', '0', '--mqtt-port', '0', '--console-port', '0', '--state-dir', path.join(dir, 'state')], { timeoutMs: 90_000 });
    const url = (await local.waitFor(/^elf local: console (http:\/\/127\.0\.0\.1:\d+\/console)$/m, { timeoutMs: 60_000 }))[1]!;
    const stream = await fetch(`${url}/messages?filter=${encodeURIComponent('console/dial')}`);
    expect(stream.status).toBe(200);
    let failure = '';
    let received = '';
    const subscribed = readEvents(stream, (event, data) => {
      if (event === 'failed') failure = data;
      if (event === 'message') received = data;
      return event === 'failed' || event === 'message';
    });
    // published until it arrives: the subscription is granted asynchronously
    let done = false;
    void subscribed.finally(() => (done = true));
    while (!done) {
      const r = await fetch(`${url}/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ topic: 'console/dial', payload: '{"via":"console"}', qos: 1 }) });
      if (r.status !== 200) failure ||= `publish answered ${r.status}: ${await r.text()}`;
      if (failure) break;
      await Promise.race([subscribed, new Promise((resolve) => setTimeout(resolve, 200))]);
    }
    await subscribed.catch(() => undefined);
    expect(failure, local.stderr.slice(-2000)).toBe('');
    expect(JSON.parse(received)).toMatchObject({ topic: 'console/dial', payload: '{"via":"console"}' });
  });
});
