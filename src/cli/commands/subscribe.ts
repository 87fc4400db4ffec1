import { Command, Option } from 'commander';
import { ElfError, UsageError } from '../../errors.js';
import { EXIT } from '../../exit-codes.js';
import { parseMqttEndpoint, type MqttEndpoint } from '../../target/endpoint.js';
import { nameIndex, owns } from '../../fleet/shard.js';
import type { Fleet } from '../../fleet/fleet.js';
import { defaultFilters, parseThingsSelector, selectDevices, type ThingsSelector } from '../../publish/fleet-devices.js';
import type { SendDevice } from '../../publish/send-options.js';
import type { SubscribeFleetOptions, SubscribeFleetResult } from '../../publish/subscribe-fleet.js';
import { stopCount } from '../../publish/subscribe.js';
import { addShardOptions, shardOf, type ShardOptionValues } from '../shard-options.js';
import { commandContext, type CommandContext } from '../context.js';
import type { Arrivals } from '../../report/subscribe-model.js';
import { addReportOption, checkReportPath, writeRunReport, type ReportOptionValues } from '../report-options.js';
import { claimThings } from '../../fleet/lock.js';
import { checkCaFile, finish, mqttTarget, stopOnSignals, waitingFor, workerCount } from '../device-run.js';
import { decimal, integer, nonEmpty, oneOf } from '../parse.js';
import { addTargetOptions, type TargetOptionValues } from '../options.js';

interface SubscribeFlags extends TargetOptionValues, ShardOptionValues, ReportOptionValues {
  thing?: string;
  things?: ThingsSelector;
  workers: number | 'auto';
  connectRate: number;
  topic?: string;
  qos: 0 | 1;
  duration?: number;
  count?: number;
  expect?: number;
  json?: boolean;
  protocol: '3.1.1' | '5';
  mqttEndpoint?: MqttEndpoint;
  caFile?: string;
  rootCert?: string;
}

const topicFilter = (value: string): string => {
  if (value.trim() === '') throw new UsageError('--topic must not be empty');
  return value;
};

export function subscribeCommand(): Command {
  const cmd = new Command('subscribe')
    .description("listen with the fleet's certificates and print every message that arrives (topic and payload, one per line)")
    .addOption(new Option('--thing <name>', "whose certificate to connect with; the client id is the thing's name (default: the last thing of the fleet; do not let `elf send` use it at the same time)").argParser(nonEmpty('--thing')))
    .addOption(new Option('--things <n|list>', 'listen with each of these things, each its own connection: the first n, or the named ones (comma-separated)').argParser((v) => parseThingsSelector(v)))
    .addOption(new Option('--topic <filter>', 'topic filter (default: <topic root> and <topic root>/#)').argParser(topicFilter))
    .addOption(new Option('--qos <qos>', 'subscription QoS').default(1).argParser((v) => Number(oneOf('0', '1')(v)) as 0 | 1))
    .addOption(new Option('--duration <seconds>', 'stop after this many seconds (default: until --count, --expect or Ctrl-C)').argParser(decimal(0.001, 31_536_000)))
    .addOption(new Option('--count <n>', 'stop after n messages (in all, over every listening thing)').argParser(integer(1)))
    .addOption(new Option('--expect <n>', 'exit 3 (1 if none arrived) unless at least n messages arrived; stops at n unless --count or --duration says otherwise').argParser(integer(0)))
    .option('--json', 'print JSON lines {topic, payload, receivedAt} (and thing, when several things listen)')
    .addOption(new Option('--protocol <version>', 'MQTT version').choices(['3.1.1', '5']).default('3.1.1'))
    .addOption(new Option('--mqtt-endpoint <host[:port]>', "broker to connect to (default: DescribeEndpoint of the fleet's target; port 8883)").argParser((v) => parseMqttEndpoint(v)))
    .addOption(new Option('--ca-file <file>', "trusted CA (PEM) for the broker (default: the system trust store, or the stand-in's CA)").argParser(nonEmpty('--ca-file')))
    .addOption(new Option('--root-cert <file>', 'alias of --ca-file').argParser(nonEmpty('--root-cert')).hideHelp())
    .addOption(new Option('--connect-rate <n>', 'new connections per second, when several things listen').default(100).argParser(integer(1, 10_000)))
    .addOption(new Option('--workers <n|auto>', 'processes to listen with, each with a slice of the listening things (auto: one per 5,000 things, at most one per core but one)').default('auto').argParser(workersValue));
  addShardOptions(cmd, 'listen with the things');
  addReportOption(cmd, 'a report of what arrived (messages per second, by topic, the parameters)');
  addTargetOptions(cmd);
  return cmd.action(async (raw: SubscribeFlags) => {
    const ctx = commandContext(raw);
    const { log } = ctx;
    if (raw.rootCert !== undefined && raw.caFile !== undefined && raw.rootCert !== raw.caFile) throw new UsageError('--root-cert is an alias of --ca-file: give one of them');
    if (raw.thing !== undefined && raw.things !== undefined) throw new UsageError('--thing and --things: give one of them');
    const caFile = raw.caFile ?? raw.rootCert;
    const fleet = await ctx.fleet();
    const devices = listeners(fleet, raw, shardOf(raw, ctx.env));
    await checkCaFile(caFile);
    await checkReportPath(raw.report);
    const arrivals = raw.report ? new (await import('../../report/subscribe-model.js')).Arrivals() : undefined;
    const startedAt = Date.now();
    const claim = await claimThings(ctx.stateDir, 'subscribe', devices.map((d) => d.name), { onWait: waitingFor(log) });
    // --expect alone: stop as soon as the expectation is met
    const count = stopCount(raw);
    if (raw.expect === 0 && raw.count === undefined && raw.duration === undefined) throw new UsageError('--expect 0 needs --duration (how long to listen)');
    const workers = workerCount(raw.workers, devices.length);

    const mqtt = await mqttTarget(ctx, fleet, { ...(raw.mqttEndpoint ? { mqttEndpoint: raw.mqttEndpoint } : {}), ...(caFile ? { caFile } : {}) });
    process.once('exit', mqtt.cleanup);
    const { topicRoot } = fleet.requireThings();
    const filter = raw.topic ?? (mqtt.awsSemantics ? defaultFilters(topicRoot) : `${topicRoot}/#`);
    const options: SubscribeFleetOptions = {
      devices,
      host: mqtt.host,
      port: mqtt.port,
      ...(mqtt.caFile ? { caFile: mqtt.caFile } : {}),
      protocol: raw.protocol,
      qos: raw.qos,
      filter,
      ...(raw.duration !== undefined ? { duration: raw.duration } : {}),
      ...(count !== undefined ? { count } : {}),
      awsLimits: mqtt.awsLimits,
      connectRate: raw.connectRate,
    };
    const several = devices.length > 1;
    const print = (thing: string, topic: string, text: string) => {
      arrivals?.add(topic, Date.now());
      process.stdout.write(raw.json ? `${JSON.stringify({ ...(several ? { thing } : {}), topic, payload: text, receivedAt: new Date().toISOString() })}\n` : `${topic} ${text}\n`);
    };
    const onReady = (subscribed: number) =>
      log.info({ ...(several ? { things: devices.length, subscribedThings: subscribed } : { thing: devices[0]!.name }), filter, host: mqtt.host, port: mqtt.port, ...(workers > 1 ? { workers } : {}) }, 'subscribed');

    const signal = stopOnSignals(mqtt.cleanup, () => claim.stopping());
    let result: SubscribeFleetResult;
    try {
      if (workers > 1) {
        const { runSubscribeWorkers } = await import('../../publish/workers/subscribe-parent.js');
        result = await runSubscribeWorkers(options, { logger: log, signal, workers, onReady, onMessage: print });
      } else {
        const { runSubscribeFleet } = await import('../../publish/subscribe-fleet.js');
        result = await runSubscribeFleet(options, { logger: log, signal, onReady, onMessage: (thing, topic, payload) => print(thing, topic, payload.toString('utf8')) });
      }
    } catch (e) {
      return finish(1, e, mqtt.cleanup);
    }
    process.stderr.write(`${subscribeSummary(result)}\n`);
    const things = devices.length === 1 ? devices[0]!.name : `${devices.length} things`;
    const reportFailed = raw.report && arrivals ? await subscribeReport(raw.report, arrivals, result, { startedAt, target: `${mqtt.host}:${mqtt.port} (${mqtt.via})`, params: [['thing', things], ['filter', ([] as string[]).concat(filter).join(', ')], ['MQTT', `${raw.protocol}, QoS ${raw.qos}`]] }, log) : undefined;
    return finish(0, reportFailed ?? subscribeOutcome(result, raw.expect), mqtt.cleanup);
  });
}

const workersValue = (v: string): number | 'auto' => (v.trim() === 'auto' ? 'auto' : integer(1, 1024)(v));

/**
 * The things that listen: --thing, or --things, narrowed by --shard; with --shard alone the
 * shard's things of the whole fleet; with none of them the last thing of the fleet.
 */
function listeners(fleet: Fleet, raw: SubscribeFlags, shard: ReturnType<typeof shardOf>): SendDevice[] {
  const selector = raw.thing !== undefined ? { names: [raw.thing] } : raw.things;
  const { devices } = selectDevices(fleet, selector, raw.thing !== undefined ? '--thing' : '--things');
  if (!shard) return selector ? devices : [devices[devices.length - 1]!];
  const mine = devices.filter((d) => owns(shard, nameIndex(d.name, fleet.state!.prefix) ?? -1));
  if (mine.length === 0) throw new UsageError(`--shard ${shard.index}/${shard.count}: none of the ${devices.length} things selected belongs to this shard`);
  return mine;
}

/** Pure: the one line that ends a subscription (on stderr). */
export function subscribeSummary(r: Pick<SubscribeFleetResult, 'received' | 'elapsedMs' | 'stopReason' | 'things' | 'subscribed' | 'perThing'>): string {
  const secs = (r.elapsedMs / 1000).toFixed(1);
  const messages = `${r.received} message${r.received === 1 ? '' : 's'}`;
  if (r.things <= 1) return `elf subscribe: ${messages} arrived in ${secs} s (stopped by ${r.stopReason})`;
  const silent = r.perThing.filter((t) => !t.error && t.received === 0).length;
  const failed = r.perThing.filter((t) => t.error).length;
  return (
    `elf subscribe: ${messages} arrived at ${r.things} things (${r.subscribed} subscribed${failed ? `, ${failed} could not listen` : ''}${silent ? `, ${silent} received nothing` : ''}) in ${secs} s (stopped by ${r.stopReason})`
  );
}

/** --report: the page of what arrived; a failure to write it is the command's error. */
async function subscribeReport(file: string, arrivals: Arrivals, result: SubscribeFleetResult, run: { startedAt: number; target: string; params: Array<[string, string]> }, log: CommandContext['log']): Promise<Error | undefined> {
  const { subscribeReportModel } = await import('../../report/subscribe-model.js');
  return writeRunReport(file, subscribeReportModel({ arrivals, received: result.received, elapsedMs: result.elapsedMs, stopReason: result.stopReason, ...run }), log);
}

/** The error a finished subscription ends with, if any: with --expect the verdict is the exit code, however the listening ended (Ctrl-C included). */
export function subscribeOutcome(result: Pick<SubscribeFleetResult, 'received' | 'stopReason' | 'elapsedMs'> & { failedParts?: SubscribeFleetResult['failedParts'] }, expect: number | undefined): ElfError | undefined {
  // some but fewer than expected is a partial run (3); none at all a failure (1)
  if (expect !== undefined && result.received < expect) return new ElfError(`expected at least ${expect} messages, ${result.received} arrived`, 'ELF_EXPECT', result.received > 0 ? EXIT.partial : EXIT.failed);
  if (result.failedParts?.length) {
    const f = result.failedParts[0]!;
    return new ElfError(`${result.failedParts.length} part${result.failedParts.length === 1 ? '' : 's'} of the listening things failed (${f.part}, ${f.things} things ${f.firstThing}..${f.lastThing}: ${f.signal ? `killed by ${f.signal}` : `exit code ${f.exitCode}`}); the count covers the rest`, 'ELF_PARTIAL', EXIT.partial);
  }
  if (expect !== undefined) return undefined;
  return result.stopReason === 'aborted' ? new ElfError('interrupted', 'ELF_INTERRUPTED', EXIT.interrupted) : undefined;
}
