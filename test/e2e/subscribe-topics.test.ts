import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { mosquittoFleet, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * `elf subscribe` with its default filters receives each message `elf send` publishes on the topic
 * root (`elf`) and below it (`elf/<thing>`) exactly once on mosquitto (MQTT's rule: `elf/#` matches
 * `elf`, so elf subscribes to `elf/#` only), over MQTT 3.1.1 and 5 (issue 17 item 4: over 3.1.1 the
 * messages on `elf` never reached the handler); and on the stand-in (AWS's rule: elf subscribes to
 * `elf` and `elf/#`, overlapping filters that once got the subscriber disconnected and its QoS 1
 * messages lost or repeated, see src/local/broker/persistence.ts). Both CLIs run as processes.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'elf-e2e-subtopics-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function write(name: string, lines: string[]): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/**
 * Subscribes as thing_1 (default filters), sends as thing_0 to `elf` and to `elf/thing_0`, then one
 * last message: once that arrived, every earlier one has (one publisher at a time, one subscriber
 * queue), so the lines printed are all there will be.
 */
async function exactlyOnce(protocol: '3.1.1' | '5', flags: string[], tag: string): Promise<void> {
  const root = Array.from({ length: 3 }, (_, i) => `{"to":"root","i":${i},"tag":"${tag}"}`);
  const below = Array.from({ length: 3 }, (_, i) => `{"to":"below","i":${i},"tag":"${tag}"}`);
  const end = [`{"to":"end","tag":"${tag}"}`];
  const send = (file: string, extra: string[]) =>
    runCli(['send', '--things', 'thing_0', '--json-message', file, '--interval', '0.02', '--no-loop', '--qos', '1', '--protocol', protocol, ...extra, ...flags], { cwd: work });
  const sub = startCli(['subscribe', '--thing', 'thing_1', '--protocol', protocol, '--duration', '120', '--json', ...flags], { cwd: work });
  try {
    await sub.waitFor(/"subscribed"/, { stream: 'stderr', timeoutMs: 30_000 });
    for (const [file, extra] of [
      [write(`root-${tag}.jsonl`, root), []],
      [write(`below-${tag}.jsonl`, below), ['--append-thing-name']],
      [write(`end-${tag}.jsonl`, end), ['--append-thing-name']],
    ] as const) {
      const r = await send(file, [...extra]);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    await sub.waitFor(/"to\\":\\"end/, { timeoutMs: 20_000 });
  } finally {
    sub.child.kill('SIGINT');
  }
  const r = await sub.done;
  const got = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { topic: string; payload: string });
  const want = [...root.map((p) => `elf ${p}`), ...below.map((p) => `elf/thing_0 ${p}`), ...end.map((p) => `elf/thing_0 ${p}`)];
  expect(got.map((m) => `${m.topic} ${m.payload}`).sort(), r.stderr).toStrictEqual(want.sort());
  expect(r.stderr).toMatch(/elf subscribe: 7 messages arrived/);
  expect(r.stderr).not.toMatch(/connection interrupted/);
}

describe.each(['3.1.1', '5'] as const)('elf subscribe (default filters) over MQTT %s', (protocol) => {
  describe('on mosquitto (MQTT: `elf/#` matches `elf`)', () => {
    let broker: Mosquitto;
    let flags: string[];
    beforeAll(async () => {
      broker = await startMosquitto({ persistence: false });
      flags = await mosquittoFleet(broker, path.join(work, `mosq-${protocol}`), ['thing_0', 'thing_1']);
    }, 60_000);
    afterAll(() => broker?.teardown());

    it('receives each message on `elf` and `elf/<thing>` exactly once', async () => {
      await exactlyOnce(protocol, flags, `mosq-${protocol}`);
    }, 120_000);
  });

  describe('on the stand-in (AWS: `elf/#` does not match `elf`, so elf subscribes to both)', () => {
    let s: StandInProcess;
    let flags: string[];
    beforeAll(async () => {
      s = await startStandInProcess();
      const dir = path.join(work, `standin-${protocol}`);
      const created = await runCli(['create', '2', '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work });
      expect(created.exitCode, created.stderr).toBe(0);
      flags = ['--state-dir', dir];
    }, 90_000);
    afterAll(() => s?.stop());

    it('receives each message on `elf` and `elf/<thing>` exactly once, and stays connected', async () => {
      await exactlyOnce(protocol, flags, `standin-${protocol}`);
    }, 120_000);
  });
});
