import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuleExecutor } from '../../src/local/rules/executor.js';
import { RecentRows } from '../../src/local/rules/recent.js';
import { FileSinks } from '../../src/local/rules/sinks.js';
import { TopicRules } from '../../src/local/rules/topic-rules.js';

/** The rule engine's per-rule figures and the last rows each sink received (the console's Rules page, the metrics). */

const ROLE = 'arn:aws:iam::123456789012:role/r';
let dir: string;
let sinks: FileSinks;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'elf-exec-'));
  sinks = new FileSinks(dir);
});
afterEach(async () => {
  await sinks.close();
  await rm(dir, { recursive: true, force: true });
});

function executor(rules: TopicRules, publish: (m: { topic: string }) => Promise<void> = async () => {}) {
  return new RuleExecutor({ rules, accountId: '123456789012', log: pino({ level: 'silent' }), sinks, publish, now: () => 1000 });
}

const msg = (topic: string, body: unknown) => ({ topic, payload: Buffer.from(JSON.stringify(body)) });

describe('the rule executor counts per rule', () => {
  it('matched, fired, failed SQL and action errors by rule, and the rows each sink received', async () => {
    const rules = new TopicRules({ region: 'us-east-1', account: '123456789012' });
    rules.create('hot', { sql: "SELECT t FROM 'room/+' WHERE t > 20", actions: [{ firehose: { roleArn: ROLE, deliveryStreamName: 'temps' } }, { republish: { roleArn: ROLE, topic: 'alerts/${topic(2)}' } }] });
    rules.create('bad_bucket', { sql: "SELECT * FROM 'room/#'", actions: [{ s3: { roleArn: ROLE, bucketName: 'b', key: '../escape' } }] });
    rules.create('broken', { sql: "SELECT * FROM 'other'", actions: [{ kinesis: { roleArn: ROLE, streamName: 'k' } }] });
    // no input makes the stand-in's SQL throw while it runs: stand in for one that would
    (rules.enabledRule('broken')!.compiled.sql as unknown as { run: () => never }).run = () => {
      throw new Error('boom');
    };
    const ex = executor(rules);
    ex.offer(msg('room/a', { t: 25 }));
    ex.offer(msg('room/b', { t: 10 }));
    ex.offer(msg('room/a', { t: 30 }));
    ex.offer(msg('other', {}));
    ex.offer(msg('nobody', {}));
    await ex.idle();
    expect(ex.ruleCounters()).toEqual({
      hot: { matched: 3, fired: 2, failed: 0, actionErrors: 0, dropped: 0 },
      bad_bucket: { matched: 3, fired: 3, failed: 0, actionErrors: 3, dropped: 0 },
      broken: { matched: 1, fired: 0, failed: 1, actionErrors: 0, dropped: 0 },
    });
    const rows = ex.recent.snapshot();
    expect(rows.map((s) => [s.kind, s.name, s.delivered])).toEqual([
      ['firehose', 'temps', 2],
      ['republish', 'alerts/a', 2],
    ]);
    // newest first, the row as the sink got it
    expect(rows[0]!.rows.map((r) => [r.ruleName, JSON.parse(r.text), r.time])).toEqual([
      ['hot', { t: 30 }, 1000],
      ['hot', { t: 25 }, 1000],
    ]);
  });

  it('counts a message dropped on a full queue against its rule', async () => {
    const rules = new TopicRules({ region: 'us-east-1', account: '123456789012' });
    rules.create('all', { sql: "SELECT * FROM '#'", actions: [{ republish: { roleArn: ROLE, topic: 'out' } }] });
    const ex = new RuleExecutor({ rules, accountId: '1', log: pino({ level: 'silent' }), sinks, publish: async () => {}, queueLimit: 2 });
    for (let i = 0; i < 5; i++) ex.offer(msg('x', { i }));
    await ex.idle();
    expect(ex.ruleCounters().all).toMatchObject({ matched: 5, dropped: 3, fired: 2 });
  });
});

describe('the last rows of each sink', () => {
  it('keeps the newest rows per sink, the sinks written last, and cuts long rows', () => {
    const r = new RecentRows({ rowsPerSink: 2, maxSinks: 2, rowChars: 5 });
    r.record('s3', 'a', 'r', Buffer.from('1'), 1);
    r.record('s3', 'a', 'r', Buffer.from('2'), 2);
    r.record('s3', 'a', 'r', Buffer.from('3'), 3);
    r.record('kinesis', 'b', 'r', Buffer.from('0123456789'), 4);
    r.record('s3', 'a', 'r', Buffer.from('4'), 5);
    // a third sink pushes out the one written longest ago (b), not the one made first (a)
    r.record('firehose', 'c', 'r', Buffer.from('x'), 6);
    const got = r.snapshot();
    expect(got.map((s) => [s.kind, s.name, s.delivered, s.rows.map((x) => x.text)])).toEqual([
      ['firehose', 'c', 1, ['x']],
      ['s3', 'a', 4, ['4', '3']],
    ]);
    r.record('kinesis', 'b', 'r', Buffer.from('0123456789'), 7);
    expect(r.snapshot().find((s) => s.name === 'b')!.rows[0]).toEqual({ ruleName: 'r', time: 7, text: '01234', bytes: 10 });
  });
});
