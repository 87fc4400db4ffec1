import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import { integer } from './parse.js';

/** The flags of generated traffic on `elf send` (#18): --template, --seed; --topic may be a template. */
export interface TrafficOptionValues {
  template?: string;
  seed?: number;
}

export function addTrafficOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--template <file.json>', 'payload template: a JSON document whose strings may hold {{ expressions }} evaluated per thing and message (README: "Ways to make traffic")'))
    .addOption(new Option('--seed <n>', 'seed of every random value of --template: the same seed makes the same messages (default: a random seed, logged)').argParser(integer(0, 2 ** 32 - 1)));
}

export interface TrafficInput {
  template?: { file: string; text: string };
  seed: number;
}

/**
 * Reads and checks the template before any connection is made: it compiles, and, unless it reads
 * the current line (known only per message), renders once for the first thing. Checks that a topic
 * template stays under the fleet's topic root, which is all its policy lets a thing publish to.
 */
export async function trafficInput(o: TrafficOptionValues, topic: string, topicRoot: string | undefined): Promise<TrafficInput> {
  const seed = o.seed ?? randomInt(2 ** 32 - 1);
  const { compileTemplate, isTopicTemplate, topicPolicyProblem, compileTopic } = await import('../traffic/index.js');
  if (isTopicTemplate(topic)) {
    compileTopic(topic);
    const problem = topicRoot === undefined ? undefined : topicPolicyProblem(topic, topicRoot);
    if (problem) throw new UsageError(problem);
  }
  if (o.template === undefined) return { seed };
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
  return { template: { file: o.template, text }, seed };
}
