import { describe, expect, it } from 'vitest';
import { Fleet } from '../../src/fleet/fleet.js';
import type { FleetState, ThingRecord } from '../../src/fleet/types.js';
import { defaultFilters, parseThingsSelector, selectDevices } from '../../src/publish/fleet-devices.js';
import { sendInput, sendOptions } from '../../src/cli/commands/send.js';
import { outcome, parseMaxFailed } from '../../src/cli/send-outcome.js';
import { subscribeOutcome } from '../../src/cli/commands/subscribe.js';
import type { SendSummary } from '../../src/publish/summary.js';

const complete = (name: string): ThingRecord => ({
  name,
  thingArn: `arn:aws:iot:us-east-1:123456789012:thing/${name}`,
  certificateId: 'c'.repeat(64),
  certificateArn: `arn:aws:iot:us-east-1:123456789012:cert/${name}`,
  policyName: `elf-${name}`,
  policyArn: `arn:aws:iot:us-east-1:123456789012:policy/elf-${name}`,
  principalAttached: true,
  policyAttached: true,
  files: { cert: `${name}.pem`, publicKey: `${name}.pub`, privateKey: `${name}.prv` },
});
const fleet = (things: ThingRecord[], target: FleetState['target'] = { region: 'us-east-1', local: false }): Fleet => new Fleet('/s', { version: 1, target, prefix: 'thing_', topicRoot: 'elf', things });

describe('--things and the fleet', () => {
  it('parses a count or a list, naming the flag in errors', () => {
    expect(parseThingsSelector('3')).toEqual({ first: 3 });
    expect(parseThingsSelector('thing_0, thing_2')).toEqual({ names: ['thing_0', 'thing_2'] });
    expect(() => parseThingsSelector('0')).toThrow(/--things '0'/);
    expect(() => parseThingsSelector('a,,b')).toThrow(/--things/);
    expect(() => parseThingsSelector('a,a')).toThrow(/--things: a is named twice/);
  });

  it('selects complete things in recorded order; leaves out and reports incomplete ones', () => {
    const f = fleet([complete('thing_0'), { name: 'thing_1', certRequestedAt: 'x' }, complete('thing_2')]);
    const all = selectDevices(f);
    expect(all.devices).toEqual([
      { name: 'thing_0', certPath: '/s/thing_0.pem', keyPath: '/s/thing_0.prv', index: 0 },
      { name: 'thing_2', certPath: '/s/thing_2.pem', keyPath: '/s/thing_2.prv', index: 2 },
    ]);
    expect(all.incomplete).toEqual(['thing_1']);
    expect(selectDevices(f, { first: 1 }).devices.map((d) => d.name)).toEqual(['thing_0']);
    expect(selectDevices(f, { names: ['thing_2'] }).devices.map((d) => d.name)).toEqual(['thing_2']);
    expect(() => selectDevices(f, { first: 3 })).toThrow(/--things 3: the fleet in \/s has 2 usable things/);
    expect(() => selectDevices(f, { names: ['thing_1'] })).toThrow(/thing_1 was not completely created/);
    expect(() => selectDevices(f, { names: ['nope'] }, '--thing')).toThrow(/^--thing: no thing nope/);
    expect(() => selectDevices(fleet([{ name: 'x' }]))).toThrow(/no complete thing/);
    expect(() => selectDevices(fleet([]))).toThrow(/^no fleet in \/s: run `elf create` first/);
  });

  it('a thing recorded with its files: its certificate and private key in the state dir', () => {
    const f = fleet([complete('thing_0')]);
    const t = f.state!.things[0]!;
    expect([f.certPath(t), f.keyPath(t), f.thingsFile]).toEqual(['/s/thing_0.pem', '/s/thing_0.prv', '/s/things.json']);
  });

  it('subscribes to the topic root and everything below it by default', () => {
    expect(defaultFilters('elf')).toEqual(['elf', 'elf/#']);
  });
});

describe('send outcome → exit code', () => {
  const summary = (over: Partial<SendSummary>): SendSummary =>
    ({ protocol: '3.1.1', qos: 1, things: 1, connected: 1, stopReason: 'end-of-input', elapsedMs: 1, allConnectedMs: 1, drainMs: 0, totals: { scheduled: 1, sent: 1, acked: 1, failed: 0, unacked: 0, skipped: 0, late: 0 }, msgsPerSec: 1, latencyMs: null, skippedLines: { count: 0, examples: [] }, duplicates: { possible: 0 }, fallbackReaders: 0, perThing: [], ...over }) as SendSummary;
  it('0 when something was delivered; 130 interrupted; 1 gave up, bad input, nothing delivered', () => {
    expect(outcome(summary({}))).toBeUndefined();
    expect(outcome(summary({ stopReason: 'aborted' }))?.exitCode).toBe(130);
    expect(outcome(summary({ stopReason: 'gave-up', error: 'no connection' }))?.message).toMatch(/^gave up: no connection/);
    expect(outcome(summary({ stopReason: 'input-error', error: 'f:3: invalid JSON' }))?.message).toBe('f:3: invalid JSON');
    const none = outcome(summary({ connected: 0, totals: { scheduled: 0, sent: 0, acked: 0, failed: 0, unacked: 0, skipped: 0, late: 0 } }));
    expect(none?.exitCode).toBe(1);
    expect(none?.message).toMatch(/^nothing was delivered: no thing could connect/);
    // every message refused (an MQTT 5 PUBACK 0x87): the broker's reason is in the one line
    const refusal = 'the broker refused the message: not authorized (PUBACK reason 0x87: iot:Publish on elf is not allowed by the policy)';
    const denied = outcome(
      summary({ totals: { scheduled: 1, sent: 1, acked: 0, failed: 1, unacked: 0, skipped: 0, late: 0 }, perThing: [{ name: 'thing_0', failed: 1, lastError: refusal } as SendSummary['perThing'][number]] }),
    );
    expect(denied?.exitCode).toBe(1);
    expect(denied?.message).toBe(`nothing was delivered: none of 1 messages was acknowledged (first: thing_0: ${refusal})`);
  });

  it('3 when some messages failed or stayed unacknowledged, or a thing never connected, unless --max-failed accepts it', () => {
    const lossy = summary({ things: 4, connected: 4, totals: { scheduled: 24, sent: 24, acked: 1, failed: 18, unacked: 5, skipped: 0, late: 0 } });
    const e = outcome(lossy);
    expect(e?.exitCode).toBe(3);
    expect(e?.message).toBe('partial delivery: 23 of 24 messages not acknowledged (18 failed, 5 unacknowledged) (--max-failed <n|p%> accepts some loss)');
    expect(outcome(lossy, { count: 23 })).toBeUndefined();
    expect(outcome(lossy, { count: 22 })?.message).toMatch(/more than --max-failed 22 allows\)$/);
    // 23 of 24 is 95.8%
    expect(outcome(lossy, { percent: 96 })).toBeUndefined();
    expect(outcome(lossy, { percent: 95 })?.message).toMatch(/more than --max-failed 95% allows\)$/);
    const absent = summary({ things: 4, connected: 3, perThing: [{ name: 'thing_3', connectMs: null, lastError: 'AWS_IO_SOCKET_TIMEOUT' } as SendSummary['perThing'][number]] });
    expect(outcome(absent)?.message).toBe('partial delivery: 1 of 4 things never connected (first: thing_3: AWS_IO_SOCKET_TIMEOUT) (--max-failed <n|p%> accepts some loss)');
    expect(outcome(absent, { percent: 25 })).toBeUndefined();
    expect(outcome(absent, { percent: 24 })?.exitCode).toBe(3);
    expect(outcome(summary({ qos: 0, totals: { scheduled: 2, sent: 2, acked: 1, failed: 0, unacked: 1, skipped: 0, late: 0 } }))?.message).toMatch(/^partial delivery: 1 of 2 messages not written \(0 failed, 1 unwritten\)/);
    // a worker that died: its things' figures are missing, whatever --max-failed says
    expect(outcome(summary({ failedParts: [{ part: 'worker 1', things: 3, firstThing: 'a', lastThing: 'c', exitCode: null, signal: 'SIGKILL' }] }), { percent: 100 })?.exitCode).toBe(3);
  });

  it('--max-failed takes a count or a percentage, and names what it expects', () => {
    expect(parseMaxFailed('10')).toEqual({ count: 10 });
    expect(parseMaxFailed(' 2.5% ')).toEqual({ percent: 2.5 });
    for (const bad of ['', '-1', '1.5', '101%', 'x%', '%']) expect(() => parseMaxFailed(bad), bad).toThrow(/expected/);
  });
});

describe('send flags → what runSend is asked', () => {
  const flags = { format: 'auto' as const, topic: 'elf', qos: 1 as const, interval: 1, duration: 120, loop: true, protocol: '3.1.1' as const, connectRate: 100, workers: 'auto' as const, stateDir: 'misc' };

  it('one source and one CA file from the flags and their aliases; contradictions are one-line usage errors', () => {
    expect(sendInput(undefined, flags)).toEqual({ source: { kind: 'message', text: 'IoT ELF Hello' } });
    expect(sendInput('hi', { ...flags, rootCert: 'ca.pem' })).toEqual({ caFile: 'ca.pem', source: { kind: 'message', text: 'hi' } });
    expect(sendInput(undefined, { ...flags, file: 'm.csv', format: 'csv', strict: true, maxPayload: 10 }).source).toEqual({ kind: 'file', path: 'm.csv', format: 'csv', strict: true, maxPayloadBytes: 10 });
    expect(sendInput(undefined, { ...flags, jsonMessage: 'm.jsonl' }).source).toMatchObject({ maxPayloadBytes: 128 * 1024, strict: false });
    expect(() => sendInput(undefined, { ...flags, file: 'a', jsonMessage: 'b' })).toThrow(/^--file is an alias of --json-message/);
    expect(() => sendInput(undefined, { ...flags, rootCert: 'a', caFile: 'b' })).toThrow(/^--root-cert is an alias of --ca-file/);
    expect(() => sendInput('hi', { ...flags, jsonMessage: 'm.jsonl' })).toThrow(/^give a message or --json-message <file>, not both/);
    expect(() => sendInput(undefined, { ...flags, format: 'csv' })).toThrow(/^--format applies to --json-message <file> only/);
  });

  it('the broker, the CA and the field names defaults', () => {
    const mqtt = { host: 'h', port: 8883, caFile: '/ca', awsLimits: true, awsSemantics: true, via: 'flag' as const, cleanup: () => {} };
    const o = sendOptions({ ...flags, addTimestamp: true, addThingName: 'who', count: 3 }, [], mqtt);
    expect(o).toMatchObject({ host: 'h', port: 8883, caFile: '/ca', awsLimits: true, addTimestamp: 'timestamp', addThingName: 'who', count: 3, appendThingName: false, partition: false, drainTimeoutMs: 10_000 });
    expect(sendOptions(flags, [], { ...mqtt, caFile: undefined })).not.toHaveProperty('caFile');
  });
});

describe('subscribe outcome → exit code', () => {
  it('with --expect the count decides, Ctrl-C included; without it, Ctrl-C exits 130', () => {
    expect(subscribeOutcome({ received: 3, elapsedMs: 1, stopReason: 'aborted' }, 3)).toBeUndefined();
    expect(subscribeOutcome({ received: 2, elapsedMs: 1, stopReason: 'duration' }, 3)?.message).toBe('expected at least 3 messages, 2 arrived');
    expect(subscribeOutcome({ received: 2, elapsedMs: 1, stopReason: 'duration' }, 3)?.exitCode).toBe(3);
    expect(subscribeOutcome({ received: 0, elapsedMs: 1, stopReason: 'duration' }, 3)?.exitCode).toBe(1);
    expect(subscribeOutcome({ received: 0, elapsedMs: 1, stopReason: 'aborted' }, undefined)?.exitCode).toBe(130);
    expect(subscribeOutcome({ received: 0, elapsedMs: 1, stopReason: 'duration' }, undefined)).toBeUndefined();
  });

  it('a worker that died fails the run (after --expect is met too), naming its slice', () => {
    const failedParts = [{ part: 'worker 1', things: 2, firstThing: 'thing_2', lastThing: 'thing_3', exitCode: null, signal: 'SIGKILL' as NodeJS.Signals }];
    const e = subscribeOutcome({ received: 5, elapsedMs: 1, stopReason: 'duration', failedParts }, 5);
    expect(e?.code).toBe('ELF_PARTIAL');
    expect(e?.exitCode).toBe(3);
    expect(e?.message).toContain('worker 1, 2 things thing_2..thing_3: killed by SIGKILL');
  });
});
