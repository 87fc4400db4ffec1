import { describe, expect, it } from 'vitest';
import { connackRefusal, pubackRefusal } from '../../src/mqtt/mqtt5.js';

describe('MQTT 5 refusals in words', () => {
  it('a PUBACK 0x87 is named a policy denial of the topic, with the reason string when the broker sent one', () => {
    expect(pubackRefusal(0x87, 'elf/thing_0')).toBe('the broker refused the message: not authorized (PUBACK reason 0x87: iot:Publish on elf/thing_0 is not allowed by the policy)');
    expect(pubackRefusal(0x87, 'elf', 'iot:Publish on elf is not allowed by policy')).toMatch(/\(PUBACK reason 0x87: .*\): iot:Publish on elf is not allowed by policy$/);
  });
  it('other PUBACK refusals by their name, in hex', () => {
    expect(pubackRefusal(0x97, 'elf')).toBe('the broker refused the message: quota exceeded (PUBACK reason 0x97)');
    expect(pubackRefusal(0xfe, 'elf')).toBe('the broker refused the message: refused (PUBACK reason 0xFE)');
  });
  it('a CONNACK refusal likewise', () => {
    expect(connackRefusal(0x87)).toBe('the broker refused the connection: not authorized (CONNACK reason 0x87)');
  });
});
