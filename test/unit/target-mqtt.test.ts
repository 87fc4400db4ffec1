import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FleetTarget } from '../../src/fleet/types.js';
import { isAwsIotHost, isAwsTarget } from '../../src/target/aws.js';
import { resolveMqttTarget } from '../../src/target/mqtt-target.js';
import type { ResolvedTarget } from '../../src/target/target.js';

const AWS: FleetTarget = { region: 'us-east-1', local: false };

describe('AWS itself or not', () => {
  it('knows AWS IoT Core endpoints and targets', () => {
    expect(isAwsIotHost('a1b2c3-ats.iot.eu-west-1.amazonaws.com')).toBe(true);
    expect(isAwsIotHost('a1b2c3-ats.iot.cn-north-1.amazonaws.com.cn')).toBe(true);
    expect(isAwsIotHost('127.0.0.1')).toBe(false);
    expect(isAwsIotHost('iot.example.com')).toBe(false);
    expect(isAwsTarget({ region: 'us-east-1', local: false })).toBe(true);
    expect(isAwsTarget({ region: 'us-east-1', local: true, endpointUrl: 'http://127.0.0.1:4580' })).toBe(false);
    expect(isAwsTarget({ region: 'us-east-1', local: false, endpointUrl: 'http://localhost:4566' })).toBe(false);
    expect(isAwsTarget({ region: 'us-east-1', local: false, endpointUrl: 'https://iot.us-east-1.amazonaws.com' })).toBe(true);
  });
});

describe('resolveMqttTarget', () => {
  const input = (fleet: FleetTarget, extra: object = {}) => ({ fleet, ...extra });
  const never = () => Promise.reject(new Error('must not be called'));

  it('--mqtt-endpoint: no control-plane call; AWS limits only for an AWS IoT host', async () => {
    const t = await resolveMqttTarget(input(AWS, { mqttEndpoint: { host: '127.0.0.1', port: 1883 }, caFile: '/ca.pem' }), { target: never, describeEndpoint: never });
    expect(t).toMatchObject({ host: '127.0.0.1', port: 1883, caFile: '/ca.pem', awsLimits: false, awsSemantics: false, via: 'flag' });
    const a = await resolveMqttTarget(input(AWS, { mqttEndpoint: { host: 'x-ats.iot.us-east-1.amazonaws.com', port: 8883 } }), { target: never, describeEndpoint: never });
    expect(a).toMatchObject({ awsLimits: true, awsSemantics: true });
    expect(a.caFile).toBeUndefined();
  });

  it('the stand-in: its MQTT address, and its CA in a 0600 temp file removed by cleanup()', async () => {
    const target: ResolvedTarget = { region: 'us-east-1', local: true, endpointUrl: 'http://127.0.0.1:1', standIn: { standIn: 'elf', region: 'us-east-1', account: '123456789012', mqtt: { host: '127.0.0.1', port: 4581 }, caPem: 'PEM' } };
    const t = await resolveMqttTarget(input({ region: 'us-east-1', local: true, endpointUrl: 'http://127.0.0.1:1' }), { target: async () => target, describeEndpoint: never });
    expect(t).toMatchObject({ host: '127.0.0.1', port: 4581, awsLimits: false, awsSemantics: true, via: 'stand-in' });
    expect(fs.readFileSync(t.caFile!, 'utf8')).toBe('PEM');
    expect(fs.statSync(t.caFile!).mode & 0o777).toBe(0o600);
    t.cleanup();
    expect(fs.existsSync(t.caFile!)).toBe(false);
    t.cleanup();
  });

  it('AWS: DescribeEndpoint, port 8883, AWS limits, the system trust store unless --ca-file', async () => {
    const t = await resolveMqttTarget(input(AWS), { target: async () => ({ region: 'us-east-1', local: false }), describeEndpoint: async () => 'abc-ats.iot.us-east-1.amazonaws.com' });
    expect(t).toMatchObject({ host: 'abc-ats.iot.us-east-1.amazonaws.com', port: 8883, awsLimits: true, via: 'DescribeEndpoint' });
    expect(t.caFile).toBeUndefined();
  });
});

