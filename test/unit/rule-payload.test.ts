import { describe, expect, it } from 'vitest';
import { withRoleArn } from '../../src/provision/rules.js';

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
