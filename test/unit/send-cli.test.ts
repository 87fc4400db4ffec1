import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import fs from 'node:fs';
import type { FleetState, ThingRecord } from '../../src/fleet/types.js';
import { defaultFilters, isAwsIotHost, isAwsTarget, parseThingsSelector, selectDevices } from '../../src/publish/fleet-devices.js';
import { resolveMqttTarget } from '../../src/publish/mqtt-target.js';
import { outcome } from '../../src/cli/commands/send.js';
import type { SendSummary } from '../../src/publish/summary.js';
import type { ResolvedTarget } from '../../src/target.js';

const logger = pino({ level: 'silent' });

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
const fleet = (things: ThingRecord[], target: FleetState['target'] = { region: 'us-east-1', local: false }): FleetState => ({ version: 1, target, prefix: 'thing_', topicRoot: 'elf', things });

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
    const all = selectDevices(f, '/s');
    expect(all.devices).toEqual([
      { name: 'thing_0', certPath: '/s/thing_0.pem', keyPath: '/s/thing_0.prv' },
      { name: 'thing_2', certPath: '/s/thing_2.pem', keyPath: '/s/thing_2.prv' },
    ]);
    expect(all.incomplete).toEqual(['thing_1']);
    expect(selectDevices(f, '/s', { first: 1 }).devices.map((d) => d.name)).toEqual(['thing_0']);
    expect(selectDevices(f, '/s', { names: ['thing_2'] }).devices.map((d) => d.name)).toEqual(['thing_2']);
    expect(() => selectDevices(f, '/s', { first: 3 })).toThrow(/--things 3: the fleet in \/s has 2 usable things/);
    expect(() => selectDevices(f, '/s', { names: ['thing_1'] })).toThrow(/thing_1 was not completely created/);
    expect(() => selectDevices(f, '/s', { names: ['nope'] }, '--thing')).toThrow(/^--thing: no thing nope/);
    expect(() => selectDevices(fleet([{ name: 'x' }]), '/s')).toThrow(/no complete thing/);
  });

  it('knows AWS IoT Core endpoints and targets', () => {
    expect(isAwsIotHost('a1b2c3-ats.iot.eu-west-1.amazonaws.com')).toBe(true);
    expect(isAwsIotHost('a1b2c3-ats.iot.cn-north-1.amazonaws.com.cn')).toBe(true);
    expect(isAwsIotHost('127.0.0.1')).toBe(false);
    expect(isAwsIotHost('iot.example.com')).toBe(false);
    expect(isAwsTarget({ region: 'us-east-1', local: false })).toBe(true);
    expect(isAwsTarget({ region: 'us-east-1', local: true, endpointUrl: 'http://127.0.0.1:4580' })).toBe(false);
    expect(isAwsTarget({ region: 'us-east-1', local: false, endpointUrl: 'http://localhost:4566' })).toBe(false);
    expect(isAwsTarget({ region: 'us-east-1', local: false, endpointUrl: 'https://iot.us-east-1.amazonaws.com' })).toBe(true);
    expect(defaultFilters('elf')).toEqual(['elf', 'elf/#']);
  });
});

describe('resolveMqttTarget', () => {
  const input = (f: FleetState, extra: object = {}) => ({ fleet: f, stateDir: '/s', flags: {}, env: {}, ...extra });
  const never = () => Promise.reject(new Error('must not be called'));

  it('--mqtt-endpoint: no control-plane call; AWS limits only for an AWS IoT host', async () => {
    const t = await resolveMqttTarget(input(fleet([]), { mqttEndpoint: { host: '127.0.0.1', port: 1883 }, caFile: '/ca.pem' }), { logger, resolve: never, describeEndpoint: never });
    expect(t).toMatchObject({ host: '127.0.0.1', port: 1883, caFile: '/ca.pem', awsLimits: false, awsSemantics: false, via: 'flag' });
    const a = await resolveMqttTarget(input(fleet([]), { mqttEndpoint: { host: 'x-ats.iot.us-east-1.amazonaws.com', port: 8883 } }), { logger, resolve: never, describeEndpoint: never });
    expect(a).toMatchObject({ awsLimits: true, awsSemantics: true });
    expect(a.caFile).toBeUndefined();
  });

  it('the stand-in: its MQTT address, and its CA in a 0600 temp file removed by cleanup()', async () => {
    const target: ResolvedTarget = { region: 'us-east-1', local: true, endpointUrl: 'http://127.0.0.1:1', standIn: { standIn: 'elf', region: 'us-east-1', account: '123456789012', mqtt: { host: '127.0.0.1', port: 4581 }, caPem: 'PEM' } };
    const t = await resolveMqttTarget(input(fleet([], { region: 'us-east-1', local: true, endpointUrl: 'http://127.0.0.1:1' })), { logger, resolve: async () => target, describeEndpoint: never });
    expect(t).toMatchObject({ host: '127.0.0.1', port: 4581, awsLimits: false, awsSemantics: true, via: 'stand-in' });
    expect(fs.readFileSync(t.caFile!, 'utf8')).toBe('PEM');
    expect(fs.statSync(t.caFile!).mode & 0o777).toBe(0o600);
    t.cleanup();
    expect(fs.existsSync(t.caFile!)).toBe(false);
    t.cleanup();
  });

  it('AWS: DescribeEndpoint, port 8883, AWS limits, the system trust store unless --ca-file', async () => {
    const t = await resolveMqttTarget(input(fleet([])), { logger, resolve: async () => ({ region: 'us-east-1', local: false }), describeEndpoint: async () => 'abc-ats.iot.us-east-1.amazonaws.com' });
    expect(t).toMatchObject({ host: 'abc-ats.iot.us-east-1.amazonaws.com', port: 8883, awsLimits: true, via: 'DescribeEndpoint' });
    expect(t.caFile).toBeUndefined();
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
  });
});
