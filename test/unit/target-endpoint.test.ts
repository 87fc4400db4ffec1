import { describe, expect, it } from 'vitest';
import { parseMqttEndpoint } from '../../src/target/endpoint.js';

describe('parseMqttEndpoint', () => {
  it('takes host, host:port and [v6]:port', () => {
    expect(parseMqttEndpoint('abc-ats.iot.us-east-1.amazonaws.com')).toEqual({ host: 'abc-ats.iot.us-east-1.amazonaws.com', port: 8883 });
    expect(parseMqttEndpoint('localhost:1883')).toEqual({ host: 'localhost', port: 1883 });
    expect(parseMqttEndpoint('[::1]:8884')).toEqual({ host: '::1', port: 8884 });
    expect(parseMqttEndpoint('[::1]')).toEqual({ host: '::1', port: 8883 });
  });
  it('names the flag in a one-line error', () => {
    expect(() => parseMqttEndpoint('localhost:0')).toThrow(/--mqtt-endpoint 'localhost:0': the port must be a number from 1 to 65535/);
    expect(() => parseMqttEndpoint('mqtts://h:1')).toThrow(/not a URL/);
    expect(() => parseMqttEndpoint('::1')).toThrow(/brackets/);
    expect(() => parseMqttEndpoint(' ')).toThrow(/empty/);
  });
});
