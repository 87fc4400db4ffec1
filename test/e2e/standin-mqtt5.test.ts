import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DetachPolicyCommand, ListThingPrincipalsCommand } from '@aws-sdk/client-iot';
import { runCli, startCli } from '../helpers/cli.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * `elf send` and `elf subscribe` across MQTT versions against `elf local`: the device SDK's Mqtt5Client
 * and its 3.1.1 client through the stand-in's broker, with the certificates and policies `elf create`
 * made, a message published over one version received over the other, as AWS IoT Core does (send and
 * subscribe over the same version, 3.1.1 and 5, are in send-subscribe.test.ts). A CONNECT the policy
 * refuses over MQTT 5 ends send and subscribe at once with the CONNACK's reason in words, not after the
 * 30 s give-up; over 3.1.1 the broker just closes the socket (AWS does the same), so elf gives up after
 * 30 s, as exit-codes.test.ts shows with a deactivated certificate (the broker's refusals themselves are
 * tested in broker-mqtt5.test.ts).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let work: string;
let s: StandInProcess;
beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'elf-e2e-mqtt5-'));
  s = await startStandInProcess();
}, 90_000);
afterAll(async () => {
  await s?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe.each([
  ['5', '3.1.1'],
  ['3.1.1', '5'],
] as const)('elf send --protocol %s against elf local, elf subscribe --protocol %s', (sendProtocol, subProtocol) => {
  it('3 things × 10 lines at QoS 1: every message acknowledged and delivered byte-equal, in order', async () => {
    const dir = path.join(work, `fleet-${sendProtocol}-${subProtocol}`);
    const created = await runCli(['create', '4', '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work });
    expect(created.exitCode, created.stderr).toBe(0);
    try {
      const lines = Array.from({ length: 10 }, (_, i) => `{"five": ${i},  "pad": "${'x'.repeat(i)}" }`);
      const file = path.join(work, `cross-${sendProtocol}.jsonl`);
      fs.writeFileSync(file, lines.join('\n') + '\n');
      const sub = startCli(['subscribe', '--protocol', subProtocol, '--thing', 'thing_3', '--expect', '30', '--duration', '60', '--json', '--state-dir', dir], { cwd: work });
      try {
        await sub.waitFor(/"subscribed"/, { stream: 'stderr', timeoutMs: 30_000 });
        const sent = await runCli(
          ['send', '--protocol', sendProtocol, '--things', 'thing_0,thing_1,thing_2', '--json-message', file, '--interval', '0.05', '--no-loop', '--append-thing-name', '--qos', '1', '--json', '--state-dir', dir],
          { cwd: work },
        );
        expect(sent.exitCode, sent.stderr).toBe(0);
        expect(JSON.parse(sent.stdout).totals).toMatchObject({ sent: 30, acked: 30, failed: 0, unacked: 0 });
        await sub.waitFor(/(?:.*\n){30}/, { timeoutMs: 15_000 });
      } finally {
        sub.child.kill('SIGINT');
      }
      const r = await sub.done;
      expect(r.exitCode, r.stderr).toBe(0);
      const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { topic: string; payload: string });
      for (const thing of ['thing_0', 'thing_1', 'thing_2']) {
        expect(got.filter((m) => m.topic === `elf/${thing}`).map((m) => m.payload)).toEqual(lines);
      }
    } finally {
      const cleaned = await runCli(['clean', '--state-dir', dir], { cwd: work });
      expect(cleaned.exitCode, cleaned.stderr).toBe(0);
    }
  }, 120_000);
});

describe('a CONNECT refused by policy over MQTT 5', () => {
  it('send and subscribe stop at the refusal and name its reason code', async () => {
    const dir = path.join(work, 'refused');
    const created = await runCli(['create', '1', '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work });
    expect(created.exitCode, created.stderr).toBe(0);
    const iot = s.client();
    const { principals } = await iot.send(new ListThingPrincipalsCommand({ thingName: 'thing_0' }));
    await iot.send(new DetachPolicyCommand({ policyName: 'elf-thing_0', target: principals![0]! }));
    const file = path.join(work, 'refused.jsonl');
    fs.writeFileSync(file, '{"a":1}\n');
    const refusal = /the broker refused the connection: not authorized \(CONNACK reason 0x87\)/;
    const sent = await runCli(['send', '--protocol', '5', '--json-message', file, '--no-loop', '--state-dir', dir], { cwd: work });
    expect(sent.exitCode, sent.stderr).not.toBe(0);
    expect(sent.stderr).toMatch(refusal);
    expect(sent.stderr).not.toMatch(/no connection to .* for 30 s/);
    const sub = await runCli(['subscribe', '--protocol', '5', '--thing', 'thing_0', '--duration', '60', '--state-dir', dir], { cwd: work });
    expect(sub.exitCode, sub.stderr).not.toBe(0);
    expect(sub.stderr).toMatch(refusal);
  }, 60_000);
});
