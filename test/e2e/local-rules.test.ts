import { execFile, spawnSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  AttachPolicyCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateTopicRuleCommand,
  DeleteTopicRuleCommand,
  DisableTopicRuleCommand,
  EnableTopicRuleCommand,
  GetTopicRuleCommand,
  ListTopicRulesCommand,
  ReplaceTopicRuleCommand,
  type IoTClient,
  type TopicRulePayload,
} from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ROOT } from '../helpers/cli.js';
import { mqttjsTry } from '../helpers/mqtt-clients.js';
import { eventually } from '../helpers/poll.js';
import { DUMMY_CREDENTIALS, startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * Topic rules on the stand-in: the seven control-plane operations through the JS SDK and the AWS CLI
 * (https://docs.aws.amazon.com/iot/latest/apireference/API_CreateTopicRule.html and siblings), and
 * their execution against messages published over MQTT: republish through the broker, an HTTP POST,
 * the error action, Basic Ingest.
 */

const ROLE = 'arn:aws:iam::123456789012:role/elf-rules';
let s: StandInProcess;
let iot: IoTClient;
let work: string;

/** Polls until check() returns a value (a failed check, e.g. a file not there yet, counts as not yet). */
const until = <T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> =>
  eventually(() => check().catch(() => undefined), what, { timeoutMs, everyMs: 50 });

beforeAll(async () => {
  s = await startStandInProcess();
  iot = s.client({ maxAttempts: 1 });
  work = await mkdtemp(path.join(os.tmpdir(), 'elf-rules-'));
});
afterAll(async () => {
  await s?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const payload = (sql: string, actions: TopicRulePayload['actions'] = [], extra: Partial<TopicRulePayload> = {}): TopicRulePayload => ({
  sql,
  awsIotSqlVersion: '2016-03-23',
  ruleDisabled: false,
  actions,
  ...extra,
});

describe('topic rules through the JS SDK', () => {
  it('create, get, list, replace, disable, enable and delete a rule', async () => {
    const s3 = { s3: { roleArn: ROLE, bucketName: 'elf-data', key: '${topic()}/${newuuid()}' } };
    await iot.send(new CreateTopicRuleCommand({ ruleName: 'crud_rule', topicRulePayload: payload("SELECT * FROM 'crud/#'", [s3], { description: 'd' }), tags: 'team=elf' }));
    const got = await iot.send(new GetTopicRuleCommand({ ruleName: 'crud_rule' }));
    expect(got.ruleArn).toBe(`arn:aws:iot:${s.region}:123456789012:rule/crud_rule`);
    expect(got.rule).toMatchObject({ ruleName: 'crud_rule', sql: "SELECT * FROM 'crud/#'", description: 'd', ruleDisabled: false, awsIotSqlVersion: '2016-03-23', actions: [s3] });
    expect(got.rule?.createdAt).toBeInstanceOf(Date);

    await iot.send(new ReplaceTopicRuleCommand({ ruleName: 'crud_rule', topicRulePayload: payload("SELECT a FROM 'crud/x'", [s3]) }));
    expect((await iot.send(new GetTopicRuleCommand({ ruleName: 'crud_rule' }))).rule?.sql).toBe("SELECT a FROM 'crud/x'");

    await iot.send(new DisableTopicRuleCommand({ ruleName: 'crud_rule' }));
    const disabled = await iot.send(new ListTopicRulesCommand({ ruleDisabled: true }));
    expect(disabled.rules?.map((r) => [r.ruleName, r.topicPattern, r.ruleDisabled])).toEqual([['crud_rule', 'crud/x', true]]);
    await iot.send(new EnableTopicRuleCommand({ ruleName: 'crud_rule' }));
    expect((await iot.send(new ListTopicRulesCommand({ topic: 'crud/x' }))).rules?.map((r) => r.ruleName)).toEqual(['crud_rule']);
    expect((await iot.send(new ListTopicRulesCommand({ topic: 'other' }))).rules).toEqual([]);

    await iot.send(new DeleteTopicRuleCommand({ ruleName: 'crud_rule' }));
    await expect(iot.send(new GetTopicRuleCommand({ ruleName: 'crud_rule' }))).rejects.toMatchObject({ name: 'UnauthorizedException' });
  });

  it('answers bad rules with AWS errors that name the problem', async () => {
    const create = (ruleName: string, p: TopicRulePayload) => iot.send(new CreateTopicRuleCommand({ ruleName, topicRulePayload: p }));
    await expect(create('bad-name', payload("SELECT * FROM 'a'"))).rejects.toMatchObject({ name: 'InvalidRequestException', message: expect.stringContaining('^[a-zA-Z0-9_]+$') });
    await expect(create('bad_sql', payload('SELECT * FROM'))).rejects.toMatchObject({ name: 'SqlParseException', $metadata: { httpStatusCode: 400 } });
    await expect(create('bad_fn', payload("SELECT get_thing_shadow('t', 'r') FROM 'a'"))).rejects.toMatchObject({
      name: 'SqlParseException',
      message: 'function get_thing_shadow() is not supported by the elf stand-in',
    });
    await expect(create('bad_action', payload("SELECT * FROM 'a'", [{ s3: { roleArn: ROLE, bucketName: 'b' } as never }]))).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: 'actions[0].s3.key is required and must be a non-empty string',
    });
    await create('dup_rule', payload("SELECT * FROM 'a'"));
    await expect(create('dup_rule', payload("SELECT * FROM 'a'"))).rejects.toMatchObject({ name: 'ResourceAlreadyExistsException' });
    await iot.send(new DeleteTopicRuleCommand({ ruleName: 'dup_rule' }));
  });
});

const hasAws = !spawnSync('aws', ['--version'], { stdio: 'ignore' }).error;
describe.skipIf(!hasAws)(`topic rules through the AWS CLI${hasAws ? '' : ' (SKIPPED: aws not on PATH)'}`, () => {
  const aws = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const env = cleanEnv({ AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey, AWS_DEFAULT_REGION: 'us-west-2', AWS_PAGER: '' });
      execFile('aws', ['iot', ...args, '--endpoint-url', s.endpointUrl, '--output', 'json'], { env, timeout: 120_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });

  it('takes the topicRulePayload file elf ships (data/rules/radar-to-s3.json), unchanged, and reads it back', { timeout: 240_000 }, async () => {
    const file = path.join(ROOT, 'data', 'rules', 'radar-to-s3.json');
    const rule = JSON.parse(await readFile(file, 'utf8')) as TopicRulePayload;
    expect(rule.actions!.map((a) => Object.keys(a)[0])).toEqual(['s3', 'firehose']);
    const created = await aws('create-topic-rule', '--rule-name', 'cli_rule', '--topic-rule-payload', `file://${file}`);
    expect(created.code, created.stderr).toBe(0);
    const [got, bad] = await Promise.all([aws('get-topic-rule', '--rule-name', 'cli_rule'), aws('create-topic-rule', '--rule-name', 'cli_bad', '--topic-rule-payload', '{"sql":"SELECT nosuch( FROM \'a\'","actions":[]}')]);
    expect(JSON.parse(got.stdout).rule).toMatchObject({ ruleName: 'cli_rule', sql: rule.sql, actions: rule.actions });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('SqlParseException');
    expect((await aws('delete-topic-rule', '--rule-name', 'cli_rule')).code).toBe(0);
  });
});

describe('rules run on what devices publish', () => {
  let http: Server;
  const posts: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  let device: Awaited<ReturnType<typeof mqttjsTry>>;
  let identity: { certPem: string; privateKey: string };

  beforeAll(async () => {
    http = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        posts.push({ url: req.url ?? '', headers: req.headers, body });
        res.end();
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    await iot.send(
      new CreatePolicyCommand({ policyName: 'rules_all', policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] }) }),
    );
    const cert = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    await iot.send(new AttachPolicyCommand({ policyName: 'rules_all', target: cert.certificateArn! }));
    identity = { certPem: cert.certificatePem!, privateKey: cert.keyPair!.PrivateKey! };
    device = await mqttjsTry({ host: '127.0.0.1', port: s.mqttPort, caPem: s.caPem }, identity, 'rules_device');
    expect(device.outcome).toBe('connected');
  });
  afterAll(async () => {
    await device?.end();
    await new Promise<void>((r) => http?.close(() => r()));
  });

  /** the messages the device receives from now on */
  const received = (): { topic: string; payload: string }[] => {
    const got: { topic: string; payload: string }[] = [];
    device.client.on('message', (topic, p) => got.push({ topic, payload: p.toString() }));
    return got;
  };

  it('republishes through the broker with ${} in the topic, POSTs over HTTP, and reports a failing action to the error action', async () => {
    const port = (http.address() as AddressInfo).port;
    await iot.send(
      new CreateTopicRuleCommand({
        ruleName: 'run_rule',
        topicRulePayload: payload("SELECT temp * 2 AS t2, topic(2) AS dev FROM 'sensors/+' WHERE temp > 20", [
          { republish: { roleArn: ROLE, topic: 'out/${topic(2)}', qos: 1 } },
          { http: { url: `http://127.0.0.1:${port}/ingest`, headers: [{ key: 'x-elf', value: '${topic(2)}' }] } },
          { s3: { roleArn: ROLE, bucketName: 'b', key: '../escape' } },
        ], { errorAction: { republish: { roleArn: ROLE, topic: 'errors/rules', qos: 1 } } }),
      }),
    );
    const got = received();
    await device.client.subscribeAsync(['out/#', 'errors/#'], { qos: 1 });
    await device.client.publishAsync('sensors/d1', JSON.stringify({ temp: 10 }), { qos: 1 });
    await device.client.publishAsync('sensors/d1', JSON.stringify({ temp: 21.5 }), { qos: 1 });
    const out = await until(async () => got.find((m) => m.topic === 'out/d1'), 'the republished message');
    expect(JSON.parse(out.payload)).toEqual({ t2: 43, dev: 'd1' });
    const err = await until(async () => got.find((m) => m.topic === 'errors/rules'), 'the error action');
    expect(JSON.parse(err.payload)).toMatchObject({
      ruleName: 'run_rule',
      topic: 'sensors/d1',
      clientId: 'rules_device',
      base64OriginalPayload: Buffer.from(JSON.stringify({ temp: 21.5 })).toString('base64'),
      failures: [{ failedAction: 'S3Action', failedResource: 'b' }],
    });
    const post = await until(async () => posts[0], 'the HTTP POST');
    expect(post).toMatchObject({ url: '/ingest', headers: { 'x-elf': 'd1', 'content-type': 'application/json' }, body: '{"t2":43,"dev":"d1"}' });
    // the message below the threshold fired nothing
    expect(got.filter((m) => m.topic === 'out/d1')).toHaveLength(1);
    expect(posts).toHaveLength(1);
    await iot.send(new DeleteTopicRuleCommand({ ruleName: 'run_rule' }));
  });

  it('Basic Ingest: $aws/rules/<rule>/… reaches that rule only, with the prefix hidden from topic()', async () => {
    await iot.send(
      new CreateTopicRuleCommand({
        ruleName: 'ingest_rule',
        topicRulePayload: payload("SELECT *, topic() AS t FROM 'ingest/never'", [{ firehose: { roleArn: ROLE, deliveryStreamName: 'ingest_stream', separator: '\n' } }]),
      }),
    );
    // "Your devices and rules can't subscribe to Basic Ingest reserved topics" (iot-basic-ingest.html),
    // even with iot:* on every resource: a refused SUBSCRIBE closes an MQTT 3.1.1 connection
    const snoop = await mqttjsTry({ host: '127.0.0.1', port: s.mqttPort, caPem: s.caPem }, identity, 'rules_snoop');
    expect(snoop.outcome).toBe('connected');
    await expect(snoop.client.subscribeAsync('$aws/rules/ingest_rule/#', { qos: 1 })).rejects.toThrow();
    await snoop.closed;
    await device.client.publishAsync('$aws/rules/ingest_rule/site/7', JSON.stringify({ n: 1 }), { qos: 1 });
    const file = path.join(s.stateDir, 'sinks', 'firehose', 'ingest_stream.jsonl');
    const text = await until(async () => {
      const t = await readFile(file, 'utf8');
      return t.length > 0 ? t : undefined;
    }, 'the firehose file');
    expect(text).toBe('{"n":1,"t":"site/7"}\n');
    await iot.send(new DeleteTopicRuleCommand({ ruleName: 'ingest_rule' }));
  });

  it("a firehose action without separator writes the records back to back, as AWS's does; a nested SELECT runs", async () => {
    // https://docs.aws.amazon.com/iot/latest/developerguide/kinesis-firehose-rule-action.html: separator is optional, none by default
    await iot.send(new CreateTopicRuleCommand({ ruleName: 'nosep_rule', topicRulePayload: payload("SELECT (SELECT VALUE n FROM e WHERE v > 1) AS names FROM 'nested/+'", [{ firehose: { roleArn: ROLE, deliveryStreamName: 'nosep' } }]) }));
    const file = path.join(s.stateDir, 'sinks', 'firehose', 'nosep.jsonl');
    const sinkText = (want: string) => until(async () => ((await readFile(file, 'utf8')) === want ? want : undefined), `${file} to hold ${want}`);
    await device.client.publishAsync('nested/a', JSON.stringify({ e: [{ n: 'a', v: 2 }, { n: 'b', v: 1 }, { n: 'c', v: 3 }] }), { qos: 1 });
    await sinkText('{"names":["a","c"]}');
    await device.client.publishAsync('nested/a', JSON.stringify({ e: [] }), { qos: 1 });
    await sinkText('{"names":["a","c"]}{"names":[]}');
    await iot.send(new DeleteTopicRuleCommand({ ruleName: 'nosep_rule' }));
  });

  it('SELECT * passes a payload that is not JSON through to S3 byte for byte', async () => {
    await iot.send(new CreateTopicRuleCommand({ ruleName: 'raw_rule', topicRulePayload: payload("SELECT * FROM 'raw/+'", [{ s3: { roleArn: ROLE, bucketName: 'raw', key: '${topic(2)}.bin' } }]) }));
    const bytes = Buffer.from([0, 1, 2, 0xff, 0x7b]);
    await device.client.publishAsync('raw/a', bytes, { qos: 1 });
    const file = path.join(s.stateDir, 'sinks', 's3', 'raw', 'a.bin');
    expect(await until(() => readFile(file), 'the S3 object')).toEqual(bytes);
    expect(await readdir(path.join(s.stateDir, 'sinks', 's3', 'raw'))).toEqual(['a.bin']);
    await iot.send(new DeleteTopicRuleCommand({ ruleName: 'raw_rule' }));
  });
});
