import { Command, Option } from 'commander';
import { ElfError, UsageError } from '../../errors.js';
import { EXIT } from '../../exit-codes.js';
import { parseMqttEndpoint, type MqttEndpoint } from '../../target/endpoint.js';
import { defaultFilters, selectDevices } from '../../publish/fleet-devices.js';
import { stopCount, type SubscribeResult } from '../../publish/subscribe.js';
import { commandContext } from '../context.js';
import { claimThings } from '../../fleet/lock.js';
import { checkCaFile, finish, mqttTarget, stopOnSignals, waitingFor } from '../device-run.js';
import { decimal, integer, nonEmpty, oneOf } from '../parse.js';
import { addTargetOptions, type TargetOptionValues } from '../options.js';

interface SubscribeFlags extends TargetOptionValues {
  thing?: string;
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
    .description("listen with one of the fleet's certificates and print every message that arrives (topic and payload, one per line)")
    .addOption(new Option('--thing <name>', "whose certificate to connect with; the client id is the thing's name (default: the last thing of the fleet; do not let `elf send` use it at the same time)").argParser(nonEmpty('--thing')))
    .addOption(new Option('--topic <filter>', 'topic filter (default: <topic root> and <topic root>/#)').argParser(topicFilter))
    .addOption(new Option('--qos <qos>', 'subscription QoS').default(1).argParser((v) => Number(oneOf('0', '1')(v)) as 0 | 1))
    .addOption(new Option('--duration <seconds>', 'stop after this many seconds (default: until --count, --expect or Ctrl-C)').argParser(decimal(0.001, 31_536_000)))
    .addOption(new Option('--count <n>', 'stop after n messages').argParser(integer(1)))
    .addOption(new Option('--expect <n>', 'exit 3 (1 if none arrived) unless at least n messages arrived; stops at n unless --count or --duration says otherwise').argParser(integer(0)))
    .option('--json', 'print JSON lines {topic, payload, receivedAt}')
    .addOption(new Option('--protocol <version>', 'MQTT version').choices(['3.1.1', '5']).default('3.1.1'))
    .addOption(new Option('--mqtt-endpoint <host[:port]>', "broker to connect to (default: DescribeEndpoint of the fleet's target; port 8883)").argParser((v) => parseMqttEndpoint(v)))
    .addOption(new Option('--ca-file <file>', "trusted CA (PEM) for the broker (default: the system trust store, or the stand-in's CA)").argParser(nonEmpty('--ca-file')))
    .addOption(new Option('--root-cert <file>', 'alias of --ca-file').argParser(nonEmpty('--root-cert')).hideHelp());
  addTargetOptions(cmd);
  return cmd.action(async (raw: SubscribeFlags) => {
    const ctx = commandContext(raw);
    const { log } = ctx;
    if (raw.rootCert !== undefined && raw.caFile !== undefined && raw.rootCert !== raw.caFile) throw new UsageError('--root-cert is an alias of --ca-file: give one of them');
    const caFile = raw.caFile ?? raw.rootCert;
    const fleet = await ctx.fleet();
    const { devices } = selectDevices(fleet, raw.thing !== undefined ? { names: [raw.thing] } : undefined, '--thing');
    const device = devices[devices.length - 1]!;
    await checkCaFile(caFile);
    const claim = await claimThings(ctx.stateDir, 'subscribe', [device.name], { onWait: waitingFor(log) });
    // --expect alone: stop as soon as the expectation is met
    const count = stopCount(raw);
    if (raw.expect === 0 && raw.count === undefined && raw.duration === undefined) throw new UsageError('--expect 0 needs --duration (how long to listen)');

    const mqtt = await mqttTarget(ctx, fleet, { ...(raw.mqttEndpoint ? { mqttEndpoint: raw.mqttEndpoint } : {}), ...(caFile ? { caFile } : {}) });
    process.once('exit', mqtt.cleanup);
    const { topicRoot } = fleet.requireThings();
    const filter = raw.topic ?? (mqtt.awsSemantics ? defaultFilters(topicRoot) : `${topicRoot}/#`);

    const signal = stopOnSignals(mqtt.cleanup, () => claim.stopping());
    let result: SubscribeResult;
    try {
      const { runSubscribe } = await import('../../publish/subscribe.js');
      result = await runSubscribe(
        {
          device,
          host: mqtt.host,
          port: mqtt.port,
          ...(mqtt.caFile ? { caFile: mqtt.caFile } : {}),
          protocol: raw.protocol,
          qos: raw.qos,
          filter,
          ...(raw.duration !== undefined ? { duration: raw.duration } : {}),
          ...(count !== undefined ? { count } : {}),
          awsLimits: mqtt.awsLimits,
        },
        {
          logger: log,
          signal,
          onReady: () => log.info({ thing: device.name, filter, host: mqtt.host, port: mqtt.port }, 'subscribed'),
          onMessage: (topic, payload) => {
            const text = payload.toString('utf8');
            process.stdout.write(raw.json ? `${JSON.stringify({ topic, payload: text, receivedAt: new Date().toISOString() })}\n` : `${topic} ${text}\n`);
          },
        },
      );
    } catch (e) {
      return finish(1, e, mqtt.cleanup);
    }
    const secs = (result.elapsedMs / 1000).toFixed(1);
    process.stderr.write(`elf subscribe: ${result.received} message${result.received === 1 ? '' : 's'} arrived in ${secs} s (stopped by ${result.stopReason})\n`);
    return finish(0, subscribeOutcome(result, raw.expect), mqtt.cleanup);
  });
}

/** The error a finished subscription ends with, if any: with --expect the verdict is the exit code, however the listening ended (Ctrl-C included). */
export function subscribeOutcome(result: SubscribeResult, expect: number | undefined): ElfError | undefined {
  // some but fewer than expected is a partial run (3); none at all a failure (1)
  if (expect !== undefined) return result.received < expect ? new ElfError(`expected at least ${expect} messages, ${result.received} arrived`, 'ELF_EXPECT', result.received > 0 ? EXIT.partial : EXIT.failed) : undefined;
  return result.stopReason === 'aborted' ? new ElfError('interrupted', 'ELF_INTERRUPTED', EXIT.interrupted) : undefined;
}
