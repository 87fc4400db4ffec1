import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttachPolicyCommand, CreatePolicyCommand, DetachPolicyCommand, ListThingPrincipalsCommand } from '@aws-sdk/client-iot';
import { runCli, startCli, type CliResult } from '../helpers/cli.js';
import { collect, mosquittoFleet, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * `elf send` and `elf subscribe` as a user runs them: the built CLI as processes, against `elf local`
 * (a fleet made by `elf create`) and against a real mosquitto (a fleet state dir written by hand in
 * elf's format, certificates from the broker's CA).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'elf-e2e-send-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** JSONL with irregular spacing, so byte-equality means "sent unchanged" */
const jsonl = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `{"tag": "${tag}",  "i":${i}, "v": [${i}, ${i * 2}] }`);

function write(name: string, content: string | Buffer): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, content);
  return file;
}

/** exactly one `elf: …` (or commander `error: …`) line and no stack trace */
function expectOneLineError(r: CliResult, code: number, pattern: RegExp) {
  expect(r.exitCode, r.stderr).toBe(code);
  const lines = r.stderr.split('\n').filter((l) => /^(elf|error):/.test(l));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

function byThing(messages: Array<{ topic: string; payload: string }>, root: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const msg of messages) {
    const thing = msg.topic.slice(root.length + 1);
    m.set(thing, [...(m.get(thing) ?? []), msg.payload]);
  }
  return m;
}

// one stand-in for the file; each behaviour below is asserted over MQTT 3.1.1 (elf's default) and 5
describe('send and subscribe against elf local', () => {
  let s: StandInProcess;
  beforeAll(async () => {
    s = await startStandInProcess();
  }, 90_000);
  afterAll(() => s?.stop());

  describe.each(['3.1.1', '5'] as const)('over MQTT %s', (protocol) => {
    // things of their own in the shared stand-in: m311_0…, m5_0…
    const tag = protocol.replace(/\./g, '');
    const t = (i: number) => `m${tag}_${i}`;
    it('create 4; subscribe as the 4th --expect 30; send with the other 3 a 10-line file at QoS 1 → exactly 30, byte-equal, in file order; clean', async () => {
      const dir = path.join(work, `standin-fleet-${protocol}`);
      const created = await runCli(['create', '4', '--prefix', `m${tag}_`, '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work });
      expect(created.exitCode, created.stderr).toBe(0);
      try {
        const lines = jsonl(10, `standin-${protocol}`);
        const file = write(`standin-${protocol}.jsonl`, lines.join('\n') + '\n');
        const sub = startCli(['subscribe', '--protocol', protocol, '--thing', t(3), '--expect', '30', '--duration', '60', '--json', '--state-dir', dir], { cwd: work });
        try {
          await sub.waitFor(/"subscribed"/, { stream: 'stderr', timeoutMs: 30_000 });
          const sent = await runCli(
            ['send', '--protocol', protocol, '--things', [0, 1, 2].map(t).join(','), '--json-message', file, '--interval', '0.05', '--no-loop', '--append-thing-name', '--qos', '1', '--json', '--state-dir', dir],
            { cwd: work },
          );
          expect(sent.exitCode, sent.stderr).toBe(0);
          const summary = JSON.parse(sent.stdout);
          expect(summary.totals).toMatchObject({ sent: 30, acked: 30, failed: 0, unacked: 0 });
          expect(summary.stopReason).toBe('end-of-input');
          expect(summary.perThing.map((t: { name: string }) => t.name)).toEqual([0, 1, 2].map(t));
          await sub.waitFor(/(?:.*\n){30}/, { timeoutMs: 15_000 });
          await new Promise((r) => setTimeout(r, 500)); // nothing more may arrive
        } finally {
          sub.child.kill('SIGINT');
        }
        const r = await sub.done;
        // with --expect, the verdict is the exit code even when interrupted
        expect(r.exitCode, r.stderr).toBe(0);
        expect(r.stderr).toMatch(/elf subscribe: 30 messages arrived/);
        const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { topic: string; payload: string; receivedAt: string });
        expect(got).toHaveLength(30);
        for (const m of got) expect(Number.isNaN(Date.parse(m.receivedAt))).toBe(false);
        const per = byThing(got, 'elf');
        expect([...per.keys()].sort()).toEqual([0, 1, 2].map(t));
        for (const lines_ of per.values()) expect(lines_).toEqual(lines);
      } finally {
        const cleaned = await runCli(['clean', '--state-dir', dir], { cwd: work });
        expect(cleaned.exitCode, cleaned.stderr).toBe(0);
      }
    }, 120_000);

    it('a publish the policy refuses: named as a policy denial, nothing delivered, exit not 0', async () => {
      const dir = path.join(work, `standin-denied-${protocol}`);
      const created = await runCli(['create', '1', '--prefix', `d${tag}_`, '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work });
      expect(created.exitCode, created.stderr).toBe(0);
      // its one thing may connect but publish nowhere
      const thing = `d${tag}_0`;
      const iot = s.client();
      const { principals } = await iot.send(new ListThingPrincipalsCommand({ thingName: thing }));
      const policyName = `connect-only-${tag}`;
      await iot.send(
        new CreatePolicyCommand({
          policyName,
          policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] }),
        }),
      );
      await iot.send(new DetachPolicyCommand({ policyName: `elf-${thing}`, target: principals![0]! }));
      await iot.send(new AttachPolicyCommand({ policyName, target: principals![0]! }));
      const r = await runCli(['send', '--protocol', protocol, '--count', '1', '--json', '--state-dir', dir], { cwd: work, timeoutMs: 90_000 });
      expect(r.exitCode, r.stderr).toBe(1);
      expect((JSON.parse(r.stdout) as { totals: { acked: number } }).totals.acked).toBe(0);
      const refused = `${thing}: the broker ends the connection right after a publish.*policy probably does not allow iot:Publish`;
      if (protocol === '3.1.1') {
        // AWS closes an MQTT 3.1.1 connection for a refused publish, without a word: elf tells it from a takeover
        expect(r.stderr).toMatch(new RegExp(refused));
        expect(r.stderr).not.toMatch(/another client is probably using the same client id/);
      } else {
        // MQTT 5, QoS 1: PUBACK 0x87, the connection stays up; the one error line says why
        expect(r.stderr).toMatch(
          new RegExp(`^elf: nothing was delivered: none of 1 messages was acknowledged \\(first: ${thing}: the broker refused the message: not authorized \\(PUBACK reason 0x87: iot:Publish on elf is not allowed by the policy\\)`, 'm'),
        );
        // QoS 0 has no acknowledgement to carry the reason: DISCONNECT 0x87, named a policy denial at the first one
        const q0 = await runCli(['send', '--protocol', protocol, '--qos', '0', '--count', '4', '--interval', '0.5', '--state-dir', dir], { cwd: work, timeoutMs: 90_000 });
        expect(q0.stderr).toMatch(/the broker disconnected: reason code 0x87/);
        expect(q0.stderr).toMatch(new RegExp(refused));
      }
    }, 120_000);
  });
});

describe('send and subscribe against mosquitto (mTLS)', () => {
  let broker: Mosquitto;
  let dir: string;
  let mq: string[];
  beforeAll(async () => {
    broker = await startMosquitto({ persistence: false });
    dir = path.join(work, 'mosq-fleet');
    mq = await mosquittoFleet(broker, dir, ['thing_0', 'thing_1', 'thing_2']);
  }, 60_000);
  afterAll(() => broker?.teardown());

  const elf = (args: string[], timeoutMs = 60_000) => runCli([...args, ...mq], { cwd: work, timeoutMs });

  it('a JSON array, pretty-printed JSON documents and CSV: every message delivered by every thing, in order, as compact JSON', async () => {
    const expected = ['{"a":1,"b":[1,2],"s":"x y"}', '{"a":2,"n":null}', '{"a":3,"deep":{"k":[true,false]}}'];
    const array = write('m.json', '[\n  {"a": 1, "b": [1, 2], "s": "x y"},\n  {"a": 2, "n": null},\n  {"a": 3, "deep": {"k": [true, false]}}\n]\n');
    const docs = write('docs.json', expected.map((e) => JSON.stringify(JSON.parse(e), null, 2)).join('\n'));
    const csv = write('m.csv', 'id,name,temp\n1,foo,21.5\n2,"bar, baz",-3\n3,007,\n');
    const csvExpected = ['{"id":1,"name":"foo","temp":21.5}', '{"id":2,"name":"bar, baz","temp":-3}', '{"id":3,"name":"007","temp":null}'];
    const cases = [
      { topic: 'arr', file: array, want: expected },
      { topic: 'docs', file: docs, want: expected },
      { topic: 'csv', file: csv, want: csvExpected },
    ];
    const subs = await Promise.all(cases.map((c) => collect(broker, `${c.topic}/#`)));
    try {
      // one after the other: each uses every thing, and a thing (one client id) is used by one elf at a time
      const results: CliResult[] = [];
      for (const c of cases) results.push(await elf(['send', '--json-message', c.file, '--topic', c.topic, '--append-thing-name', '--interval', '0.02', '--no-loop', '--json']));
      for (const [i, c] of cases.entries()) {
        const r = results[i]!;
        expect(r.exitCode, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout).totals).toMatchObject({ sent: 9, acked: 9 });
        await subs[i]!.waitForCount(9);
        const per = byThing(subs[i]!.messages.map((m) => ({ topic: m.topic, payload: m.payload.toString() })), c.topic);
        expect([...per.keys()].sort()).toEqual(['thing_0', 'thing_1', 'thing_2']);
        for (const got of per.values()) expect(got).toEqual(c.want);
      }
      await new Promise((r) => setTimeout(r, 300)); // the wait is the test: nothing more (no duplicate) may arrive
      for (const sub of subs) expect(sub.messages).toHaveLength(9);
    } finally {
      await Promise.all(subs.map((s) => s.close()));
    }
  }, 60_000);

  it('--duration 3 --interval 0.5: 5 to 7 messages per thing; the run lasts its duration and ends by itself', async () => {
    const sub = await collect(broker, 'dur/#');
    try {
      const file = write('dur.jsonl', jsonl(4, 'd').join('\n'));
      const run = startCli(['send', '--json-message', file, '--topic', 'dur', '--append-thing-name', '--duration', '3', '--interval', '0.5', '--json', ...mq], { cwd: work });
      await run.waitFor(/"connecting"/, { stream: 'stderr', timeoutMs: 30_000 });
      const r = await run.done;
      expect(r.exitCode, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.stopReason).toBe('duration');
      expect(summary.elapsedMs).toBeGreaterThanOrEqual(2900);
      // that it ends promptly, not merely at some point, is shown on the virtual clock (test/unit/send-timing.test.ts)
      await sub.waitForCount(summary.totals.acked);
      const per = byThing(sub.messages.map((m) => ({ topic: m.topic, payload: m.payload.toString() })), 'dur');
      for (const t of ['thing_0', 'thing_1', 'thing_2']) {
        const n = per.get(t)?.length ?? 0;
        expect(n, t).toBeGreaterThanOrEqual(5);
        expect(n, t).toBeLessThanOrEqual(7);
      }
    } finally {
      await sub.close();
    }
  }, 60_000);

  it('--protocol 5: every line delivered byte-equal, the text summary on stdout, and the process ends by itself', async () => {
    const lines = jsonl(5, 'five');
    const file = write('five.jsonl', lines.join('\n') + '\n');
    const sub = await collect(broker, 'five/#');
    try {
      const r = await elf(['send', '--protocol', '5', '--json-message', file, '--topic', 'five', '--append-thing-name', '--interval', '0.02', '--no-loop']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^elf send: 3 things \(3 connected\), MQTT 5, QoS 1, [\d.]+ s, stopped by end-of-input\n/);
      expect(r.stdout).toMatch(/messages: 15 sent, 15 acked, 0 failed/);
      expect(r.stdout).toMatch(/ack latency p50 [\d.]+ ms, p99 [\d.]+ ms/);
      await sub.waitForCount(15);
      const per = byThing(sub.messages.map((m) => ({ topic: m.topic, payload: m.payload.toString() })), 'five');
      for (const got of per.values()) expect(got).toEqual(lines);
    } finally {
      await sub.close();
    }
  }, 60_000);

  it('an invalid line and an oversize line are skipped and reported, the rest delivered; --strict stops at the invalid line with exit 1', async () => {
    const good = jsonl(4, 'bad');
    const file = write('bad.jsonl', [good[0], good[1], '{"oops": ', good[2], `{"big": "${'x'.repeat(300)}"}`, good[3]].join('\n') + '\n');
    const sub = await collect(broker, 'bad/#');
    try {
      const [lenient, strict] = await Promise.all([
        elf(['send', '--json-message', file, '--topic', 'bad', '--things', '1', '--max-payload', '200', '--interval', '0.02', '--no-loop']),
        elf(['send', '--json-message', file, '--topic', 'bad/strict', '--things', 'thing_1', '--max-payload', '200', '--interval', '0.02', '--no-loop', '--strict']),
      ]);
      expect(lenient.exitCode, lenient.stderr).toBe(0);
      expect(lenient.stdout).toMatch(/messages: 4 sent, 4 acked/);
      expect(lenient.stdout).toMatch(/skipped input lines: 2\n\s+line 3: invalid JSON.*\n\s+line 5: .*(limit|large|bytes)/);
      // not "0 skipped" beside "skipped input lines: 2" (#17 item 11)
      expect(lenient.stdout).not.toMatch(/\b0 skipped\b/);
      expectOneLineError(strict, 1, new RegExp(`^elf: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3: invalid JSON`));
      expect(strict.stdout).toMatch(/stopped by input-error/);
      expect(strict.stdout).toMatch(/messages: 2 sent, 2 acked/);
      await sub.waitForCount(6);
      await new Promise((r) => setTimeout(r, 300)); // the wait is the test: nothing more (no duplicate) may arrive
      const lenientGot = sub.messages.filter((m) => m.topic === 'bad').map((m) => m.payload.toString());
      const strictGot = sub.messages.filter((m) => m.topic === 'bad/strict').map((m) => m.payload.toString());
      expect(lenientGot).toEqual(good);
      expect(strictGot).toEqual(good.slice(0, 2));
    } finally {
      await sub.close();
    }
  }, 60_000);

  it('a missing file, a directory, an empty file, no fleet and bad flag values: one-line errors before any connection', async () => {
    const empty = write('empty.json', '');
    const rs = await Promise.all([
      elf(['send', '--json-message', path.join(work, 'nope.jsonl')]),
      elf(['send', '--file', work]),
      elf(['send', '--json-message', empty]),
      runCli(['send', '--state-dir', path.join(work, 'no-fleet')], { cwd: work }),
      elf(['send', '--qos', '2']),
      elf(['send', '--things', 'thing_7']),
      runCli(['send', '--mqtt-endpoint', '127.0.0.1:99999'], { cwd: work }),
    ]);
    expectOneLineError(rs[0]!, 1, /^elf: cannot read .*nope\.jsonl: no such file$/);
    expectOneLineError(rs[1]!, 1, /^elf: .* is a directory, not a file$/);
    expectOneLineError(rs[2]!, 1, /^elf: .*empty\.json has no messages \(the file is empty\)$/);
    expectOneLineError(rs[3]!, 1, /^elf: no fleet in .*no-fleet: run `elf create` first$/);
    expectOneLineError(rs[4]!, 2, /--qos.*'2' is invalid/);
    expectOneLineError(rs[5]!, 2, /^elf: --things: no thing thing_7/);
    expectOneLineError(rs[6]!, 2, /^elf: --mqtt-endpoint '127\.0\.0\.1:99999': the port/);
    for (const r of rs) expect(r.stdout).toBe('');
  }, 60_000);

  it('Ctrl-C: stops the schedule, drains, prints the summary and exits 130, promptly', async () => {
    const sub = await collect(broker, 'int/#');
    try {
      const run = startCli(['send', 'tick', '--topic', 'int', '--append-thing-name', '--duration', '60', '--interval', '0.1', '--json', ...mq], { cwd: work });
      await run.waitFor(/"connecting"/, { stream: 'stderr', timeoutMs: 30_000 });
      await sub.waitForCount(9, 20_000);
      run.child.kill('SIGINT');
      const r = await run.done;
      expect(r.exitCode, r.stderr).toBe(130);
      const summary = JSON.parse(r.stdout.slice(0, r.stdout.lastIndexOf('}') + 1));
      expect(summary.stopReason).toBe('aborted');
      expect(summary.totals.unacked).toBe(0);
      expect(summary.totals.acked).toBeGreaterThanOrEqual(9);
      expect(r.stderr).toMatch(/elf: interrupted: \d+ of \d+ messages acknowledged/);
      await sub.waitForCount(summary.totals.acked);
    } finally {
      await sub.close();
    }
  }, 60_000);

  it('subscribe --expect: passes when the messages arrive, fails (exit 1) when too few do', async () => {
    const sub = startCli(['subscribe', '--thing', 'thing_2', '--topic', 'exp/#', '--expect', '6', ...mq], { cwd: work });
    try {
      await sub.waitFor(/"subscribed"/, { stream: 'stderr', timeoutMs: 30_000 });
      const sent = await elf(['send', 'ping', '--things', '2', '--topic', 'exp', '--append-thing-name', '--count', '3', '--interval', '0.05']);
      expect(sent.exitCode, sent.stderr).toBe(0);
      expect(sent.stdout).toMatch(/stopped by count/);
    } finally {
      // it stops by itself at 6; a kill here only matters when the test already failed
      setTimeout(() => sub.child.kill('SIGKILL'), 20_000).unref();
    }
    const ok = await sub.done;
    expect(ok.exitCode, ok.stderr).toBe(0);
    const lines = ok.stdout.trim().split('\n');
    expect(lines).toHaveLength(6);
    for (const l of lines) expect(l).toMatch(/^exp\/thing_[01] \{"msg":"ping"\}$/);
    expect(ok.stderr).toMatch(/elf subscribe: 6 messages arrived in [\d.]+ s \(stopped by count\)/);

    const fail = await elf(['subscribe', '--thing', 'thing_2', '--topic', 'exp/#', '--expect', '1', '--duration', '1']);
    expectOneLineError(fail, 1, /^elf: expected at least 1 messages, 0 arrived$/);
    expect(fail.stderr).toMatch(/elf subscribe: 0 messages arrived in [\d.]+ s \(stopped by duration\)/);
  }, 60_000);
});
