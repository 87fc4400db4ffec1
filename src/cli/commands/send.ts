import { Command, Option } from 'commander';
import { MAX_CONNECTS_PER_SEC_PER_ACCOUNT, MAX_PAYLOAD_BYTES } from '../../aws/limits.js';
import { UsageError } from '../../errors.js';
import { parseMqttEndpoint, type MqttEndpoint } from '../../target/endpoint.js';
import type { MqttTarget } from '../../target/mqtt-target.js';
import { parseThingsSelector, selectDevices, type ThingsSelector } from '../../publish/fleet-devices.js';
import type { SendDeps, SendDevice, SendOptions } from '../../publish/send-options.js';
import type { SendSummary } from '../../publish/summary.js';
import type { SourceSpec } from '../../publish/workers/protocol.js';
import type { Source } from '../../source/types.js';
import { fleetPositions, nameIndex, owns } from '../../fleet/shard.js';
import { ownedSource } from '../../publish/owned-source.js';
import { addShardOptions, shardOf, type ShardOptionValues } from '../shard-options.js';
import { commandContext } from '../context.js';
import { claimThings } from '../../fleet/lock.js';
import { checkCaFile, finish, mqttTarget, stopOnSignals, waitingFor, workerCount } from '../device-run.js';
import { decimal, integer, nonEmpty, oneOf } from '../parse.js';
import { NO_LOSS, outcome, parseMaxFailed, type MaxFailed } from '../send-outcome.js';
import { addTargetOptions, type TargetOptionValues } from '../options.js';
import { addMetricsOptions, serveMetrics, type MetricsOptionValues } from '../metrics-options.js';
import { addReportOption, checkReportPath, writeRunReport, type ReportOptionValues } from '../report-options.js';
import type { FleetMetrics } from '../../publish/fleet-metrics.js';
import { addTrafficOptions, intervalOf, trafficInput, type TrafficInput, type TrafficOptionValues } from '../traffic-options.js';

/** The original ELF's message when neither a message nor a file is given. */
export const DEFAULT_MESSAGE = 'IoT ELF Hello';
/** AWS IoT Core's payload limit, the default line limit everywhere. */
const DEFAULT_MAX_PAYLOAD = MAX_PAYLOAD_BYTES;
/** MQTT's own limit on a packet (remaining length < 256 MiB) */
const MQTT_MAX_PAYLOAD = 256 * 1024 * 1024 - 1024;
/** at the end (and on Ctrl-C): how long outstanding acknowledgements are waited for */
const DRAIN_TIMEOUT_MS = 10_000;
/**
 * V8's young generation for a small fleet (src/young-generation.ts): 16 MB instead of up to 32 MB
 * takes 15–25 MB off the peak RSS of a file streamed at full speed, for ~5% more CPU. Not for big
 * fleets: what each thing keeps alive between its slots would fill a small young generation.
 */
const YOUNG_GENERATION_MB = 16;
const YOUNG_GENERATION_MAX_THINGS = 1000;

interface SendFlags extends TargetOptionValues, ShardOptionValues, MetricsOptionValues, TrafficOptionValues, ReportOptionValues {
  jsonMessage?: string;
  format: 'auto' | 'jsonl' | 'json' | 'csv';
  strict?: boolean;
  topic: string;
  appendThingName?: boolean;
  qos: 0 | 1;
  /** undefined: 1 s, or from --rate */
  interval?: number;
  duration: number;
  count?: number;
  loop: boolean;
  partition?: boolean;
  addTimestamp?: string | true;
  addThingName?: string | true;
  protocol: '3.1.1' | '5';
  mqttEndpoint?: MqttEndpoint;
  caFile?: string;
  connectRate: number;
  maxPayload?: number;
  things?: ThingsSelector;
  workers: number | 'auto';
  json?: boolean;
  maxFailed?: MaxFailed;
}

const workersValue = (v: string): number | 'auto' => (v.trim() === 'auto' ? 'auto' : integer(1, 1024)(v));

const topicName = (value: string): string => {
  if (value === '' || /[+#]/.test(value)) throw new UsageError(`--topic '${value}': a topic name must not be empty or hold the wildcards + or #`);
  // a template ({thing}, {index}, {seq}, {field}) is checked when the fleet's topic root is known
  return value;
};

const fieldName = (flag: string) => (value: string) => nonEmpty(flag)(value);

export function sendCommand(): Command {
  const cmd = new Command('send')
    .description('every thing of the fleet connects with its own certificate and streams messages (a file, line by line, or one message)')
    .argument('[message]', `a message to send as {"msg": <message>} (default "${DEFAULT_MESSAGE}" when no file is given)`)
    .addOption(new Option('--json-message <file>', 'file of messages: JSON Lines, a JSON array, JSON documents (pretty-printed or concatenated), or CSV with a header').argParser(nonEmpty('--json-message')))
    .addOption(new Option('--file <file>', 'alias of --json-message').argParser(nonEmpty('--file')).hideHelp())
    .addOption(new Option('--format <format>', 'how to read the file').choices(['auto', 'jsonl', 'json', 'csv']).default('auto'))
    .option('--strict', 'stop at the first line that is not a valid message (default: skip it, report it, go on)')
    .addOption(new Option('--topic <topic>', 'topic to publish to; {thing}, {index}, {seq} and {field} of the payload make one per message').default('elf').argParser(topicName))
    .option('--append-thing-name', 'publish to <topic>/<thing name>')
    .addOption(new Option('--qos <qos>', 'MQTT QoS: 1 = acknowledged by the broker, resent after a reconnect; 0 = fire and forget').default(1).argParser((v) => Number(oneOf('0', '1')(v)) as 0 | 1))
    .addOption(new Option('--interval <seconds>', 'seconds between two messages of one thing (default 1; fractions allowed; 0 = as fast as possible)').argParser(decimal(0, 86_400)))
    .addOption(new Option('--duration <seconds>', 'how long to send').default(120).argParser(decimal(0.001, 31_536_000)))
    .addOption(new Option('--count <n>', 'stop each thing after n messages').argParser(integer(1)))
    .option('--no-loop', 'stop at the end of the file (default: start it over)')
    .option('--partition', 'deal the lines out: each line is sent once, by one thing (line i by thing i mod N)')
    .addOption(new Option('--add-timestamp [field]', 'add an ISO-8601 timestamp to each JSON object (field default "timestamp")').argParser(fieldName('--add-timestamp')))
    .addOption(new Option('--add-thing-name [field]', "add the thing's name to each JSON object (field default \"thing\")").argParser(fieldName('--add-thing-name')))
    .addOption(new Option('--protocol <version>', 'MQTT version').choices(['3.1.1', '5']).default('3.1.1'))
    .addOption(new Option('--mqtt-endpoint <host[:port]>', 'broker to connect to (default: DescribeEndpoint of the fleet\'s target; port 8883)').argParser((v) => parseMqttEndpoint(v)))
    .addOption(new Option('--ca-file <file>', 'trusted CA (PEM) for the broker (default: the system trust store, or the stand-in\'s CA)').argParser(nonEmpty('--ca-file')))
    .addOption(new Option('--root-cert <file>', 'alias of --ca-file').argParser(nonEmpty('--root-cert')).hideHelp())
    .addOption(new Option('--connect-rate <n>', `new connections per second (AWS allows ${MAX_CONNECTS_PER_SEC_PER_ACCOUNT}/s per account)`).default(100).argParser(integer(1, 10_000)))
    .addOption(new Option('--max-payload <bytes>', `longest message; longer lines are skipped (default ${DEFAULT_MAX_PAYLOAD}; AWS IoT Core refuses more)`).argParser(integer(1, MQTT_MAX_PAYLOAD)))
    .addOption(new Option('--things <n|list>', 'send with the first n things, or the named ones (comma-separated)').argParser((v) => parseThingsSelector(v)))
    .addOption(new Option('--workers <n|auto>', 'processes to send with, each with a slice of the fleet and its own MQTT event loop (auto: one per 5,000 things, at most one per core but one)').default('auto').argParser(workersValue))
    .option('--json', 'print the summary as JSON on stdout')
    .addOption(new Option('--max-failed <n|p%>', 'messages lost (failed, or unacknowledged at QoS 1) and things that never connected, each, that still exit 0 (default 0: any loss exits 3)').argParser(parseMaxFailed));
  cmd.addHelpText('after', '\nExit codes: 0 every message delivered; 1 nothing delivered; 2 usage error; 3 partial delivery (beyond --max-failed); 130 interrupted. `elf --help` lists them all.');
  addTrafficOptions(cmd);
  addShardOptions(cmd, 'send with the things');
  addReportOption(cmd, 'a run report (messages/s sent and acknowledged, ack latency p50/p99 and connections per second, on-time share per thing, skipped lines, parameters; with --json the summary carries the per-second series, which `elf report merge --report` merges across shards)');
  addMetricsOptions(cmd, "the run's figures (messages sent/acked/failed, in flight, ack latency, connections, reconnects)");
  addTargetOptions(cmd);
  return cmd.action(async (message: string | undefined, raw: SendRawFlags) => {
    const ctx = commandContext(raw);
    const { log } = ctx;
    const input = sendInput(message, raw);
    if (raw.partition && raw.loop === false) log.debug('--no-loop is implied by --partition');

    // everything that can be checked on disk is checked before any connection is made
    const fleet = await ctx.fleet();
    const selected = selectDevices(fleet, raw.things);
    const { incomplete } = selected;
    // --shard: this machine's things of the fleet; --partition deals the lines over the whole fleet
    const shard = shardOf(raw, ctx.env);
    const devices = shard ? selected.devices.filter((d) => owns(shard, nameIndex(d.name, fleet.state!.prefix) ?? -1)) : selected.devices;
    if (devices.length === 0) throw new UsageError(`--shard ${shard!.index}/${shard!.count}: none of the ${selected.devices.length} things in ${ctx.stateDir} belongs to this shard`);
    // without --shard, --partition deals over the things selected (--things), as one process always did
    const global = raw.partition && shard ? fleetPositions(devices.map((d) => d.name), fleet.state!.things.map((t) => t.name), fleet.state!.prefix, fleet.state!.fleetSize) : undefined;
    if (incomplete.length > 0) log.warn({ incomplete: incomplete.slice(0, 10) }, `${incomplete.length} things of the fleet were not completely created and are left out (\`elf clean\` removes them)`);
    await checkCaFile(input.caFile);
    await checkReportPath(raw.report);
    const metrics = await liveMetrics(raw, log, shard ? `${shard.index}/${shard.count}` : undefined);
    const workers = workerCount(raw.workers, devices.length);
    // one process deals its own lines of the whole fleet's partition; workers each deal theirs
    const source = await openSource(input.source, workers === 1 ? global : undefined);
    // the fleet's policy guards its own target only: another broker (--mqtt-endpoint) has its own rules
    const traffic = await trafficInput(raw, raw.topic, raw.mqttEndpoint ? undefined : fleet.state?.topicRoot, await openSource(input.source));

    // the input is good: the things are this run's (or another elf's, which fails here)
    const claim = await claimThings(ctx.stateDir, 'send', devices.map((d) => d.name), { onWait: waitingFor(log) });
    const mqtt = await mqttTarget(ctx, fleet, { ...(raw.mqttEndpoint ? { mqttEndpoint: raw.mqttEndpoint } : {}), ...(input.caFile ? { caFile: input.caFile } : {}) });
    process.once('exit', mqtt.cleanup);

    // from here on connections exist: the process ends through finish()
    const signal = stopOnSignals(mqtt.cleanup, () => {
      claim.stopping();
      log.warn('interrupted: waiting briefly for outstanding acknowledgements (Ctrl-C again to quit at once)');
    });
    const status = statusLine(process.stderr);
    let summary: SendSummary;
    try {
      log.info(
        { things: devices.length, ...(shard ? { shard: `${shard.index}/${shard.count}` } : {}), host: mqtt.host, port: mqtt.port, via: mqtt.via, protocol: raw.protocol, qos: raw.qos, source: source.name, ...(traffic.template ? { template: traffic.template.file, seed: traffic.seed } : {}), ...(traffic.scenario ? { scenario: traffic.scenario.file, seed: traffic.seed } : {}), awsLimits: mqtt.awsLimits, ...(workers > 1 ? { workers } : {}) },
        'connecting',
      );
      const run = runner(workers, input.source, devices, global);
      summary = await run({ ...sendOptions(raw, devices, mqtt, traffic), ...(raw.report ? { timeline: true } : {}) }, { source, logger: log, signal, ...(await status.deps()), ...metrics.deps });
    } catch (e) {
      status.clear();
      return finish(1, e, mqtt.cleanup);
    }
    status.clear();
    const { renderJson, renderText } = await import('../../publish/summary.js');
    process.stdout.write(raw.json ? renderJson(summary) : renderText(summary));
    const reportFailed = raw.report ? await sendReport(raw.report, summary, raw, { target: `${mqtt.host}:${mqtt.port} (${mqtt.via})`, workers, source: source.name, shard }, log) : undefined;
    return finish(0, reportFailed ?? outcome(summary, raw.maxFailed ?? NO_LOSS), mqtt.cleanup);
  });
}

type SendRawFlags = SendFlags & { file?: string; rootCert?: string };

/** Pure: the flags that must agree with each other, resolved to one CA file and one source. */
export function sendInput(message: string | undefined, raw: SendRawFlags): { caFile?: string; source: SourceSpec } {
  if (raw.file !== undefined && raw.jsonMessage !== undefined && raw.file !== raw.jsonMessage) throw new UsageError('--file is an alias of --json-message: give one of them');
  if (raw.rootCert !== undefined && raw.caFile !== undefined && raw.rootCert !== raw.caFile) throw new UsageError('--root-cert is an alias of --ca-file: give one of them');
  const file = raw.jsonMessage ?? raw.file;
  const caFile = raw.caFile ?? raw.rootCert;
  if (file !== undefined && message !== undefined) throw new UsageError('give a message or --json-message <file>, not both');
  if (raw.format !== 'auto' && file === undefined) throw new UsageError('--format applies to --json-message <file> only');
  const source: SourceSpec =
    file === undefined
      ? { kind: 'message', text: message ?? DEFAULT_MESSAGE }
      : { kind: 'file', path: file, format: raw.format, strict: raw.strict === true, maxPayloadBytes: raw.maxPayload ?? DEFAULT_MAX_PAYLOAD };
  return { ...(caFile !== undefined ? { caFile } : {}), source };
}

type Partition = { positions: number[]; fleetSize: number };

/**
 * The source a spec names; a file is checked (exists, is text, has messages) before any connection.
 * With `owned`, only the lines of those positions in a partition over the whole fleet.
 */
async function openSource(spec: SourceSpec, owned?: Partition): Promise<Source> {
  const src = await import('../../source/index.js');
  if (spec.kind === 'message') return src.messageSource(spec.text);
  const { kind: _kind, path: _path, ...options } = spec;
  await src.checkSourceFile(spec.path, options);
  const whole = src.fileSource(spec.path, options);
  return owned ? ownedSource(whole, owned.positions, owned.fleetSize) : whole;
}

/** Pure: what runSend is asked to do, from the flags, the things and the broker. */
export function sendOptions(raw: SendFlags, devices: SendDevice[], mqtt: MqttTarget, traffic?: TrafficInput): SendOptions {
  return {
    ...(traffic?.template ? { template: traffic.template } : {}),
    ...(traffic?.scenario ? { scenario: traffic.scenario } : {}),
    ...(traffic?.policyRoot !== undefined ? { policyRoot: traffic.policyRoot } : {}),
    ...(raw.strict ? { strict: true } : {}),
    ...(traffic ? { seed: traffic.seed } : {}),
    ...(raw.shadowEvery !== undefined ? { shadowEvery: raw.shadowEvery } : {}),
    ...(traffic?.replay ? { replay: traffic.replay } : {}),
    devices,
    host: mqtt.host,
    port: mqtt.port,
    ...(mqtt.caFile ? { caFile: mqtt.caFile } : {}),
    protocol: raw.protocol,
    qos: raw.qos,
    topic: raw.topic,
    appendThingName: raw.appendThingName === true,
    interval: intervalOf(raw, devices.length, mqtt.awsLimits),
    duration: raw.duration,
    ...(raw.count !== undefined ? { count: raw.count } : {}),
    loop: traffic?.replay ? false : raw.loop,
    partition: raw.partition === true,
    ...(raw.addTimestamp !== undefined ? { addTimestamp: raw.addTimestamp === true ? 'timestamp' : raw.addTimestamp } : {}),
    ...(raw.addThingName !== undefined ? { addThingName: raw.addThingName === true ? 'thing' : raw.addThingName } : {}),
    connectRate: raw.connectRate,
    awsLimits: mqtt.awsLimits,
    drainTimeoutMs: DRAIN_TIMEOUT_MS,
  };
}

type Runner = (o: SendOptions, d: SendDeps) => Promise<SendSummary>;

/**
 * One process (runSend, with a small young generation for a small fleet), or worker processes
 * (with --partition, dealing the lines over `global`, the whole fleet's positions, when sharded).
 */
function runner(workers: number, source: SourceSpec, devices: SendDevice[], global: Partition | undefined): Runner {
  const youngGeneration = (things: number) => (things <= YOUNG_GENERATION_MAX_THINGS ? YOUNG_GENERATION_MB : undefined);
  if (workers > 1) {
    return async (o, d) => {
      const { runWorkers } = await import('../../publish/workers/parent.js');
      return runWorkers(o, { ...d, source, workers, youngGenerationMb: youngGeneration, ...(o.partition ? { partition: global ?? { positions: devices.map((_, i) => i), fleetSize: devices.length } } : {}) });
    };
  }
  return async (o, d) => {
    const { runSend } = await import('../../publish/run.js');
    const mb = youngGeneration(o.devices.length);
    if (mb !== undefined) (await import('../../young-generation.js')).limitYoungGeneration(mb);
    return runSend(o, d);
  };
}

/**
 * `--metrics-port`: the endpoint starts before any connection (a port in use fails first); the run
 * hands it a reader of its figures as it starts. It lives until the process ends with the run.
 */
async function liveMetrics(raw: SendFlags, log: SendDeps['logger'], shard: string | undefined): Promise<{ deps: Pick<SendDeps, 'onMetrics'> }> {
  if (raw.metricsPort === undefined) return { deps: {} };
  let read: (() => FleetMetrics) | undefined;
  const { emptyFleetMetrics } = await import('../../publish/fleet-metrics.js');
  const { sendMetricsRegistry } = await import('../../report/send-metrics.js');
  await serveMetrics(raw, () => sendMetricsRegistry(() => read?.() ?? emptyFleetMetrics(), shard ? { shard } : {}), log);
  return { deps: { onMetrics: (r) => (read = r) } };
}

/** Pure: the run's parameters as a report lists them. */
export function reportParams(raw: SendFlags, run: { workers: number; source: string; shard?: { index: number; count: number } | undefined; things: number }): Array<[string, string]> {
  const p: Array<[string, string]> = [
    ['things', String(run.things)],
    ['source', run.source],
    ['topic', raw.appendThingName ? `${raw.topic}/<thing>` : raw.topic],
    ['MQTT', `${raw.protocol}, QoS ${raw.qos}`],
    raw.rate !== undefined ? ['rate', `${raw.rate} msg/s across the things`] : ['interval', `${raw.interval ?? 1} s`],
    ['duration', `${raw.duration} s`],
  ];
  if (raw.count !== undefined) p.push(['count', `${raw.count} per thing`]);
  p.push(['connect rate', `${raw.connectRate}/s`], ['input', raw.partition ? 'partitioned over the things' : raw.loop === false ? 'once' : 'looped']);
  if (run.workers > 1) p.push(['workers', String(run.workers)]);
  if (run.shard) p.push(['shard', `${run.shard.index}/${run.shard.count}`]);
  return p;
}

async function sendReport(file: string, summary: SendSummary, raw: SendFlags, run: { target: string; workers: number; source: string; shard?: { index: number; count: number } | undefined }, log: SendDeps['logger']): Promise<Error | undefined> {
  const { sendReportModel } = await import('../../report/model.js');
  const params = reportParams(raw, { ...run, things: summary.things });
  return writeRunReport(file, sendReportModel({ summary, params, target: run.target, intervalSeconds: raw.rate !== undefined ? 1 / raw.rate : (raw.interval ?? 1) }), log);
}

/** The status line on a terminal's stderr, redrawn in place; nothing when stderr is not a terminal. */
function statusLine(stream: NodeJS.WriteStream): { deps(): Promise<Pick<SendDeps, 'onProgress'>>; clear(): void } {
  let shown = false;
  return {
    async deps() {
      if (stream.isTTY !== true) return {};
      const { renderStatusLine } = await import('../../publish/summary.js');
      return {
        onProgress: (p) => {
          shown = true;
          stream.write(`\r${renderStatusLine(p)}\x1b[K`);
        },
      };
    },
    clear() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
