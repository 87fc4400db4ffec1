import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import { MAX_PUBLISHES_PER_SEC_PER_CONNECTION } from '../aws/limits.js';
import type { Source } from '../source/types.js';
import { decimal, integer, nonEmpty } from './parse.js';

/** The flags of generated traffic on `elf send` (#18): --template, --seed; --topic may be a template. */
export interface TrafficOptionValues {
  interval?: number;
  template?: string;
  scenario?: string;
  seed?: number;
  rate?: number;
  shadowEvery?: number;
  replayTime?: string;
  speed?: number;
}

export function addTrafficOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--template <file.json>', 'payload template: a JSON document whose strings may hold {{ expressions }} evaluated per thing and message (README: "Ways to make traffic")').argParser(nonEmpty('--template')))
    .addOption(new Option('--scenario <file.js>', 'scenario script: a JavaScript module (CommonJS or ESM, MQTTX CLI\'s `simulate` scenarios too) whose generator(faker, options) returns each message (README: "Ways to make traffic")').argParser(nonEmpty('--scenario')))
    .addOption(new Option('--rate <msg/s>', 'messages per second across the things of this run, spread evenly over them (instead of --interval)').argParser(decimal(0.001, 10_000_000)))
    .addOption(new Option('--shadow-every <n>', "every n-th message of a thing also updates its classic shadow's reported state with the payload (a JSON object)").argParser(integer(1)))
    .addOption(new Option('--replay-time <field|Y,M,D[,h,m,s]>', "send each line at its own time (a field in ISO 8601, epoch s or ms; or the columns of year, month, day, hour, minute, second), relative to the first line's").argParser(nonEmpty('--replay-time')))
    .addOption(new Option('--speed <factor>', 'with --replay-time: how much faster than the data\'s clock (3600: an hour of data a second)').argParser(decimal(0.000001, 1e9)))
    .addOption(new Option('--seed <n>', 'seed of every random value of --template and --scenario: the same seed makes the same messages (default: a random seed, logged)').argParser(integer(0, 2 ** 32 - 1)));
}

export interface TrafficInput {
  template?: { file: string; text: string };
  scenario?: { file: string };
  seed: number;
  /** the fleet's topic root (what its policy lets a thing publish to) */
  policyRoot?: string;
  replay?: { fields: string[]; speed: number; origin: number };
}

/**
 * Reads and checks the template before any connection is made: it compiles, and, unless it reads
 * the current line (known only per message), renders once for the first thing. Checks that the
 * topic (or a topic template) stays under the fleet's topic root, which is all its policy lets a
 * thing publish to; `topicRoot` is undefined when the broker is not the fleet's target
 * (--mqtt-endpoint), whose rules are its own.
 */
export async function trafficInput(o: TrafficOptionValues, topic: string, topicRoot: string | undefined, source: Source): Promise<TrafficInput> {
  const seed = o.seed ?? randomInt(2 ** 32 - 1);
  const replay = o.replayTime === undefined ? undefined : await replayInput(o.replayTime, o, source);
  if (o.speed !== undefined && replay === undefined) throw new UsageError('--speed applies to --replay-time only');
  const { compileTemplate, isTopicTemplate, topicPolicyProblem, compileTopic } = await import('../traffic/index.js');
  const base = { seed, ...(replay ? { replay } : {}), ...(topicRoot !== undefined ? { policyRoot: topicRoot } : {}) };
  if (isTopicTemplate(topic)) compileTopic(topic);
  const problem = topicRoot === undefined ? undefined : topicPolicyProblem(topic, topicRoot);
  if (problem) throw new UsageError(problem);
  if (o.scenario !== undefined) {
    if (o.template !== undefined) throw new UsageError('give --template or --scenario, not both');
    // loaded here to fail before any connection (a missing file, a syntax error, no generator)
    await (await import('../traffic/index.js')).loadScenario(o.scenario);
    return { ...base, scenario: { file: o.scenario } };
  }
  if (o.template === undefined) return base;
  let text: string;
  try {
    text = await readFile(o.template, 'utf8');
  } catch (e) {
    throw new UsageError(`--template ${o.template}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const compiled = await compileTemplate(text, o.template);
  if (!/\bline\b/.test(text)) {
    const { Rng } = await import('../traffic/rng.js');
    compiled.render({ k: 0, name: 'thing_0', rng: new Rng(seed), seq: 0, t: 0, series: [] }, null, Date.now());
  }
  return { ...base, template: { file: o.template, text } };
}

/** The data's first time (the origin of the replay clock): the first line of the whole input with a readable time. */
async function replayInput(value: string, o: TrafficOptionValues, source: Source): Promise<TrafficInput['replay']> {
  const { parseReplayTime, timeOf } = await import('../traffic/replay.js');
  if (o.interval !== undefined || o.rate !== undefined) throw new UsageError('--replay-time sends each line at its own time: give no --interval or --rate');
  const spec = parseReplayTime(value, o.speed ?? 1);
  for await (const item of source.open()) {
    if (item.kind !== 'message') continue;
    let row: unknown;
    try {
      row = JSON.parse(item.payload);
    } catch {
      continue;
    }
    const t = timeOf(spec, row);
    if (t !== undefined) return { ...spec, origin: t };
  }
  throw new UsageError(`--replay-time '${value}': no line of ${source.name} has a readable time there`);
}

/**
 * Pure: seconds between two messages of one thing, from --interval or --rate (spread evenly over the
 * things). Against AWS IoT Core (elf applies its limits there), a rate over 100 publishes/s per connection is refused.
 */
export function intervalOf(o: { interval?: number; rate?: number }, things: number, awsLimits: boolean): number {
  if (o.rate === undefined) return o.interval ?? 1;
  if (o.interval !== undefined) throw new UsageError('give --rate or --interval, not both');
  const perThing = o.rate / things;
  if (awsLimits && perThing > MAX_PUBLISHES_PER_SEC_PER_CONNECTION) {
    throw new UsageError(`--rate ${o.rate} over ${things} thing${things === 1 ? '' : 's'} is ${Math.round(perThing)} publishes/s per connection; AWS IoT Core allows ${MAX_PUBLISHES_PER_SEC_PER_CONNECTION}: use more things or a lower rate`);
  }
  return things / o.rate;
}
