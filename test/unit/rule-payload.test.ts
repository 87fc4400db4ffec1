import { describe, expect, it } from 'vitest';
import type { IoTClient } from '@aws-sdk/client-iot';
import { cleanRunRules, withRoleArn } from '../../src/provision/rules.js';

describe('withRoleArn (--payload … --role-arn)', () => {
  it('replaces the role of every action that takes one, and of the error action, and leaves the rest', () => {
    const old = 'arn:aws:iam::123456789012:role/placeholder';
    const role = 'arn:aws:iam::999999999999:role/mine';
    const payload = {
      sql: "SELECT * FROM 'elf'",
      actions: [{ s3: { roleArn: old, bucketName: 'b', key: 'k' } }, { firehose: { roleArn: old, deliveryStreamName: 'f' } }, { http: { url: 'https://example.com' } }],
      errorAction: { republish: { roleArn: old, topic: 'errors' } },
    };
    expect(withRoleArn(payload, role)).toEqual({
      sql: "SELECT * FROM 'elf'",
      actions: [{ s3: { roleArn: role, bucketName: 'b', key: 'k' } }, { firehose: { roleArn: role, deliveryStreamName: 'f' } }, { http: { url: 'https://example.com' } }],
      errorAction: { republish: { roleArn: role, topic: 'errors' } },
    });
    expect(payload.actions[0]!.s3!.roleArn).toBe(old);
  });
});

describe('cleanRunRules (elf clean --run-id)', () => {
  it('leaves the rules, saying why, when the identity may not list them (AWS answers AccessDeniedException; the stand-in checks no IAM)', async () => {
    const denied = Object.assign(new Error('User: arn:aws:iam::1:user/x is not authorized to perform: iot:ListTopicRules'), { name: 'AccessDeniedException' });
    const calls: string[] = [];
    const client = {
      send: async (cmd: object) => {
        calls.push(cmd.constructor.name);
        throw denied;
      },
    } as unknown as IoTClient;
    expect(await cleanRunRules(client, 'r1')).toEqual({ deleted: [], failed: [], denied: denied.message });
    expect(calls).toEqual(['ListTopicRulesCommand']);
  });
});
